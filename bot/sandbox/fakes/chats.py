"""The simulated people of a fake platform, their chats and the message log that tests and the sandbox read."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

ChatKey = Any  # Telegram numbers its chats, Zalo names them with strings


@dataclass(eq=False)
class Record:
    """One message in a chat's log, as it is now, and who wrote it."""

    message: dict[str, Any]
    sender: str  # bot | user
    edited: bool = False
    deleted: bool = False
    sent_with: dict[str, Any] = field(default_factory=dict)  # how the bot sent it: force_reply, reply_parameters
    delivered: bool = True  # a person's message: whether the bot received it (privacy mode may keep it away)


@dataclass
class Chat:
    """One chat: what the platform says of it, its log, and what a client shows besides messages."""

    info: dict[str, Any]
    records: list[Record] = field(default_factory=list)
    next_message_id: int = 1
    version: int = 0  # bumped on every change a chat client would show
    reply_keyboard: dict[str, Any] | None = None  # the custom keyboard currently shown, if any
    last_action: tuple[str, float] | None = None  # (action, monotonic time)
    notices: list[dict[str, Any]] = field(default_factory=list)  # callback answers with text (private chats)


@dataclass(eq=False)
class Pending:
    """An update waiting to be handed to the bot (by getUpdates or the webhook)."""

    update: dict[str, Any]
    redelivered: bool = False
    returned: bool = False  # handed out by getUpdates at least once


class ChatLog:
    """The people and chats of a fake platform, with the reading side of their message log."""

    def __init__(self) -> None:
        """Start with nobody and no chat."""
        self._users: dict[ChatKey, dict[str, Any]] = {}
        self._chats: dict[ChatKey, Chat] = {}
        self._blocked: set[ChatKey] = set()

    @staticmethod
    def _chat_key(chat_id: Any) -> ChatKey:
        """The key a chat id is stored under (each platform says how it spells its ids)."""
        return chat_id

    def _shown(self, record: Record) -> dict[str, Any]:
        """A record as the message log shows it: a copy of the message plus its ``sender``."""
        return {**copy.deepcopy(record.message), "sender": record.sender}

    def _add_record(self, chat: Chat, message: dict[str, Any], sender: str) -> Record:
        """Append a message to the chat's log; a bot's message ends its "typing…"."""
        record = Record(message=message, sender=sender)
        chat.records.append(record)
        chat.version += 1
        if sender == "bot":
            chat.last_action = None
        return record

    @staticmethod
    def _find_record(chat: Chat, message_id: Any) -> Record | None:
        """The latest record of the chat with that message id, deleted or not."""
        for record in reversed(chat.records):
            if record.message["message_id"] == message_id:
                return record
        return None

    def block(self, user_id: Any, blocked: bool = True) -> None:
        """The person blocks (or unblocks) the bot: sending to them answers 403."""
        if blocked:
            self._blocked.add(self._chat_key(user_id))
        else:
            self._blocked.discard(self._chat_key(user_id))

    def messages(self, chat_id: Any) -> list[dict[str, Any]]:
        """The chat's transcript, oldest first: message dicts as they are now, plus ``sender`` (bot | user)."""
        chat = self._chats.get(self._chat_key(chat_id))
        return [self._shown(r) for r in chat.records if not r.deleted] if chat else []

    def bot_messages(self, chat_id: Any) -> list[dict[str, Any]]:
        """The bot's messages in the chat, oldest first."""
        return [m for m in self.messages(chat_id) if m["sender"] == "bot"]

    def last_bot_message(self, chat_id: Any) -> dict[str, Any] | None:
        """The bot's latest message in the chat, or None."""
        chat = self._chats.get(self._chat_key(chat_id))
        for record in reversed(chat.records if chat else []):
            if record.sender == "bot" and not record.deleted:
                return self._shown(record)
        return None

    def bot_message_count(self, chat_id: Any) -> int:
        """How many bot messages the chat holds (cheap: for predicates in benchmarks)."""
        chat = self._chats.get(self._chat_key(chat_id))
        return sum(1 for r in chat.records if r.sender == "bot" and not r.deleted) if chat else 0

    def chat_version(self, chat_id: Any) -> int:
        """A counter bumped on every new, edited or deleted message in the chat (0 for an unknown chat)."""
        chat = self._chats.get(self._chat_key(chat_id))
        return chat.version if chat else 0

    def _latest_bot_records(self, count: int) -> list[tuple[ChatKey, Record]]:
        """The last `count` bot messages of every chat (for a timed-out wait's report)."""
        return [
            (chat_id, record)
            for chat_id, chat in self._chats.items()
            for record in [r for r in chat.records if r.sender == "bot" and not r.deleted][-count:]
        ]
