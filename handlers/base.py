"""What a handler works with: one turn of the conversation, inside one database transaction."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sqlmodel import Session

from bot.clock import Clock, local_today
from bot.i18n import Translator
from bot.messages import Button, Incoming, Reply
from bot.settings import Config
from storage.models import ChannelAccount, ConversationState, GroupChat, Member

IDLE = "idle"


class Routing(Enum):
    """What a flow's text handler may answer instead of handling the message."""

    AGAIN = "again"


#: a flow's text handler returns this when the message is not for its step: the router ends the flow and
#: routes the message as if no flow were open
ROUTE_AGAIN = Routing.AGAIN


#: Telegram's limit on a button's callback data, in bytes (Zalo's numbered choices keep the same payloads)
MAX_BUTTON_DATA = 64
#: the nonce of buttons that belong to no flow (the main menu, the language choice)
NO_NONCE = "-"


@dataclass(frozen=True)
class ButtonData:
    """What a button carries: ``flow:nonce:action[:arg]``, the wire format of every button already in chats.

    ``flow`` is the prefix of the flow that answers it, ``nonce`` the flow's when the button was made (an older
    flow's button is recognised as stale), ``action`` what the press means and ``arg`` its argument, which may
    itself hold colons.
    """

    flow: str
    nonce: str
    action: str
    arg: str = ""

    def pack(self) -> str:
        """The payload sent with the button; a payload over Telegram's 64 bytes is a mistake in the code."""
        payload = f"{self.flow}:{self.nonce}:{self.action}" + (f":{self.arg}" if self.arg else "")
        if len(payload.encode()) > MAX_BUTTON_DATA:
            raise ValueError(f"button payload too long: {payload}")
        return payload

    @classmethod
    def unpack(cls, payload: str) -> ButtonData:
        """A pressed button's payload read back; missing parts are empty (a forged payload routes nowhere)."""
        flow, _, rest = payload.partition(":")
        nonce, _, rest = rest.partition(":")
        action, _, arg = rest.partition(":")
        return cls(flow, nonce, action, arg)


class MissingContext(RuntimeError):
    """A handler was reached without what its step needs (a member, a commune): a routing mistake, not input."""


class UserError(Exception):
    """Something the person typed or chose cannot be accepted; the message says why, translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Turn:
    """One incoming update being handled: who, where in the conversation, and what to say back."""

    incoming: Incoming
    session: Session
    config: Config
    clock: Clock
    state: ConversationState
    member: Member | None = None
    account: ChannelAccount | None = None
    tr: Translator = field(default_factory=Translator)
    replies: list[Reply] = field(default_factory=list)
    toast: str | None = None  # a short notice shown when a button press is answered
    commands_changed: bool = False  # the person's command menu must be set again
    group: GroupChat | None = None  # the group chat this turn happens in (None in a private chat)
    leave_pressed: bool = False  # a press refused (another person's button): the pressed message stays as it is

    @property
    def _(self) -> Callable[[str], str]:
        return self.tr.gettext

    @property
    def now(self) -> dt.datetime:
        return self.clock.now()

    @property
    def today(self) -> dt.date:
        return local_today(self.clock, self.config.tz)

    @property
    def text(self) -> str:
        return (self.incoming.text or "").strip()

    def say(self, text: str, buttons: list[list[Button]] | None = None, edit: bool = False) -> Reply:
        """Queue a reply in this turn."""
        reply = Reply(text=text, buttons=[row for row in buttons or [] if row], edit=edit)
        self.replies.append(reply)
        return reply

    # Conversation state -------------------------------------------------------------------------

    def require_member(self) -> Member:
        """The member this turn is for; the router sends only members to the handlers that call this."""
        if self.member is None:
            raise MissingContext(f"step {self.step!r} needs a member")
        return self.member

    def require_commune(self) -> int:
        """The code of the member's commune; the handlers that call this serve commune roles only."""
        code = self.require_member().commune_code
        if code is None:
            raise MissingContext(f"step {self.step!r} needs a member of a commune")
        return code

    @property
    def step(self) -> str:
        return self.state.name

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    def start_flow(self, step: str, **data: Any) -> str:
        """Begin a flow; its buttons carry a fresh nonce so stale buttons are recognised."""
        nonce = secrets.token_hex(2)
        self.state.name = step
        self.state.data = {"nonce": nonce, **data}
        return nonce

    def goto(self, step: str, **changes: Any) -> None:
        """Move to another step of the current flow, keeping its data."""
        self.state.name = step
        self.state.data = {**self.state.data, **changes}

    def end_flow(self) -> None:
        self.state.name = IDLE
        self.state.data = {}

    def button(self, label: str, flow: str, action: str, arg: str = "") -> Button:
        """A button of the current flow: `flow:nonce:action[:arg]`, within Telegram's 64 bytes."""
        return Button(label, ButtonData(flow, self.state.data.get("nonce", NO_NONCE), action, arg).pack())
