"""What the outbox sender expects of a channel: a renderer that delivers one item, and the errors it raises.

Each channel adapter (Telegram, Zalo, ...) turns its platform's failures into one of four errors, so the
sender decides what to do (wait, retry, give up, mark the person unreachable) the same way for every channel.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from storage.outbox import KIND_ANSWER_CALLBACK, KIND_SET_COMMANDS, OutboxItem


class DeliveryError(Exception):
    """Base class of the errors a renderer raises when an item could not be delivered."""


class RetryAfter(DeliveryError):
    """The platform asked us to slow down (HTTP 429): try again after `seconds`, and pause the channel."""

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(message or f"flood control: retry after {seconds} s")
        self.seconds = max(0.0, float(seconds))


class TransientError(DeliveryError):
    """A failure that may pass (5xx, time-out, network): retry with exponential backoff."""


class SendTimedOut(TransientError):
    """No answer within the send time-out; the connection was closed, but the call may still land."""


class Unreachable(DeliveryError):
    """The person blocked the bot or left (HTTP 403): nothing more can be sent to this chat."""


class PermanentError(DeliveryError):
    """The platform refused this item for good (HTTP 400 and the like): give it up, log it."""


class ChatMoved(PermanentError):
    """The group became a supergroup with a new chat id (Telegram's 400 with `migrate_to_chat_id`): nothing more
    goes to the old id; the sender moves the chat's items, and the group's binding, to the new one."""

    def __init__(self, new_chat_id: str, message: str = "") -> None:
        super().__init__(message or f"the group chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


@runtime_checkable
class ChannelRenderer(Protocol):
    """Renders and delivers outbox items of one channel."""

    channel: str

    async def deliver(self, item: OutboxItem) -> None:
        """Send one item; raise a DeliveryError subclass when it could not be sent."""
        ...


#: Kinds that show nothing new when sent twice on any channel (a button's answer, the command menu).
UNSEEN_WHEN_REPEATED: frozenset[str] = frozenset({KIND_ANSWER_CALLBACK, KIND_SET_COMMANDS})


def unseen_when_repeated(renderer: ChannelRenderer | None) -> frozenset[str]:
    """The kinds a person does not see twice when this channel sends them twice; renderers may widen the set
    with an `unseen_when_repeated` attribute (Telegram: an edit done again leaves the same message)."""
    kinds = getattr(renderer, "unseen_when_repeated", None)
    return kinds if isinstance(kinds, frozenset) else UNSEEN_WHEN_REPEATED


def is_group_chat(renderer: ChannelRenderer, chat_id: str) -> bool:
    """Whether a chat is a group (stricter rate limit); renderers may define `is_group_chat(chat_id)`."""
    check = getattr(renderer, "is_group_chat", None)
    return bool(check(chat_id)) if callable(check) else False
