"""What the fake Telegram's and the fake Zalo's groups share: the book of groups a fake knows, by chat id.

Each platform keeps its own kind of group (telegram_groups.py: ``Group``; zalo_groups.py: ``ZaloGroup``) and says
what a test is told of one (``group``); listing them, finding one and reading a group's transcript are the same.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from .chats import ChatKey, ChatLog

GroupId = TypeVar("GroupId")  # Telegram numbers its groups, Zalo names them with strings
GroupT = TypeVar("GroupT")


class GroupBook(ChatLog, Generic[GroupId, GroupT]):
    """The groups a fake knows, in the order they were made, keyed like its chats."""

    _groups: dict[ChatKey, GroupT]

    def group(self, chat_id: GroupId) -> dict[str, Any]:
        """What the fake knows of a group (each platform says what)."""
        raise NotImplementedError

    def groups(self) -> list[dict[str, Any]]:
        """Every group the fake knows, in the order they were made."""
        return [self.group(chat_id) for chat_id in self._groups]

    def group_transcript(self, chat_id: GroupId) -> list[dict[str, Any]]:
        """The group's messages, oldest first; a person's message says whether the bot received it
        (``delivered``)."""
        self._group(chat_id)
        return self.messages(chat_id)

    def _group(self, chat_id: GroupId) -> GroupT:
        """A group the fake knows, or KeyError."""
        group = self._groups.get(self._chat_key(chat_id))
        if group is None:
            raise KeyError(f"no group {chat_id}")
        return group
