"""Channel-neutral messages: what arrives from a messenger and what the bot says back.

Handlers see only these types; each channel adapter converts its platform's updates into an
`Incoming` and renders a `Reply` (Telegram: inline keyboards; Zalo: numbered choices).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Any

ChatKey = tuple[str, str]  # (channel, chat id)


def chat_hash(channel: str, chat_id: str) -> int:
    """A chat's unsigned 32-bit hash, the same in every process, instance and run: its update lane
    (bot/engine_lanes.py), its sender worker (bot/outbox_sender.py) and its advisory lock key (bot/engine.py) are
    all drawn from it, so a chat always lands in the same place."""
    return zlib.crc32(f"{channel}:{chat_id}".encode())


@dataclass(frozen=True)
class IncomingFile:
    """A file a person sent as a document (not a picture): what the platform says of it, and its bytes when the
    channel fetched them before the update reached the engine (no download ever happens inside a transaction)."""

    file_id: str  # the platform's reference
    file_name: str
    size: int | None = None  # in bytes, as the platform announced it (None: not said)
    mime_type: str | None = None
    # Fetched by the channel: only a spreadsheet, in a private chat, within the limit (never in a log line).
    content: bytes | None = field(default=None, repr=False)
    problem: str | None = None  # why there is no content: file_too_big | file_not_fetched


@dataclass(frozen=True)
class Incoming:
    """One update from a person, whatever the channel."""

    channel: str  # telegram | zalo
    update_id: str
    user_id: str
    chat_id: str
    display_name: str = ""
    language_code: str | None = None
    chat_type: str = "private"  # private | group
    text: str | None = None
    payload: str | None = None  # button data
    callback_id: str | None = None  # Telegram callback query to answer
    message_id: str | None = None  # the bot message a pressed button sits on
    message_text: str | None = None  # that message's text, to close it after the press
    button_label: str | None = None  # the label of the pressed button
    photo_file_id: str | None = None  # the platform's file reference, never the bytes
    document: IncomingFile | None = None  # a file sent as a document (a spreadsheet to import)
    said_id: str | None = None  # in a group: the id of the person's own message (the bot's answer replies to it)
    chat_title: str = ""  # a group's title
    # In a group: the message is for the bot (a command, a mention of the bot, a reply to one of its messages).
    # Other group talk is not the bot's business, even when the platform delivers it.
    addressed: bool = True
    group_event: str | None = None  # bot_added | bot_removed | migrated: what happened to the group itself
    migrated_to: str | None = None  # group_event "migrated": the new chat id of the group (chat_id the old one)
    # The bot (its key) the update came through, when a deployment runs several on the channel; None: the
    # channel's default bot. Replies go back through it.
    bot: str | None = None
    # When the update was read from the platform (time.monotonic()), for the time-to-commit metric.
    received: float = field(default_factory=time.monotonic, compare=False, repr=False)

    @property
    def group_id(self) -> str:
        """The group chat this came from, or "" in the person's private chat (where their conversation with the
        bot lives: a person has one conversation in private and one in each group)."""
        return self.chat_id if self.chat_type == "group" else ""

    def __post_init__(self) -> None:
        # A NUL character means nothing to a person, and PostgreSQL refuses it in a text column: a NUL typed in a
        # code or a village name would fail the whole update there while SQLite stored it. Both drop it.
        for name in ("text", "payload", "display_name", "button_label", "message_text"):
            value = getattr(self, name)
            if value and "\x00" in value:
                object.__setattr__(self, name, value.replace("\x00", ""))


@dataclass(frozen=True)
class Button:
    """A choice: a label shown to the person and the payload sent back when chosen.

    `web_app`, when set, is a page Telegram opens as a Mini App instead of sending the payload back (an https
    address, in a private chat only); every other channel ignores it and offers the payload as usual.
    """

    label: str
    payload: str
    web_app: str | None = None


@dataclass
class Reply:
    """Something the bot says: text (already translated) with optional choices or a file."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    edit: bool = False  # replace the message whose button was pressed instead of sending a new one
    # In a group, ask the person to answer this message (Telegram: a selective ForceReply), since the bot only
    # sees replies, mentions and commands there.
    answer_here: bool = False
    reply_to: str | None = None  # the person's message this answers (`Incoming.said_id`), in a group
    file_token: str | None = None  # a StoredFile to send as a document or picture
    file_kind: str | None = None  # photo | document

    def to_payload(self) -> dict[str, Any]:
        """The JSON form kept in the outbox."""
        return {
            "text": self.text,
            "buttons": [
                [{"label": b.label, "payload": b.payload, **({"web_app": b.web_app} if b.web_app else {})} for b in row]
                for row in self.buttons
            ],
            "edit": self.edit,
            "file_token": self.file_token,
            "file_kind": self.file_kind,
            **({"answer_here": True} if self.answer_here else {}),
            **({"reply_to": self.reply_to} if self.reply_to else {}),
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Reply:
        """A reply back from its outbox payload (the inverse of to_payload)."""
        buttons = [[Button(b["label"], b["payload"], b.get("web_app")) for b in row] for row in data.get("buttons", [])]
        return cls(
            text=data["text"],
            buttons=buttons,
            edit=bool(data.get("edit")),
            file_token=data.get("file_token"),
            file_kind=data.get("file_kind"),
            answer_here=bool(data.get("answer_here")),
            reply_to=data.get("reply_to"),
        )
