"""Groups in the fake Zalo, as the Zalo Bot Platform behaves for a bot.

* The bot receives only the group messages that mention it (the text starts with "@<bot name>") or reply to one
  of its messages; everything else, photos and stickers included unless they reply to the bot, stays in the
  transcript only (``delivered`` False).
* A group's update says ``chat_type`` "GROUP" and, when it has one, its name (``display_name``).
* Zalo describes no event for the bot being added or removed: ``bot_added_to_group`` and ``bot_removed_from_group``
  change who is in the group without an update; a removed bot's sends answer 403.
* A group first seen through a message (or made by ``add_group``) is one anyone may write in, the bot a member.

Listing the groups, finding one and a group's transcript are groups.py's, shared with the fake Telegram.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Unpack

from .chats import Chat, Record
from .groups import GroupBook
from .zalo_methods import SANDBOX_ZALO_TOKEN, ZaloApiFault, ZaloMethods, ZaloOptions


@dataclass
class ZaloGroup:
    """A Zalo group: its name, who is in it, whether the bot is."""

    group_id: str
    name: str | None
    members: list[str] = field(default_factory=list)
    bot_in: bool = False
    open: bool = False  # made by add_group (or first seen in a message): anyone may write, the bot is in it


class ZaloGroups(ZaloMethods, GroupBook[str, ZaloGroup]):
    """The fake Zalo's groups: their members, the bot's membership, and which group messages reach the bot."""

    def __init__(self, token: str = SANDBOX_ZALO_TOKEN, **options: Unpack[ZaloOptions]) -> None:
        """A fake Zalo that knows no group yet; the rest as ZaloMethods."""
        super().__init__(token, **options)
        self._groups: dict[str, ZaloGroup] = {}
        self._group_ids = itertools.count(6_000_000_000_000_000_001)

    # ------------------------------------------------------------------ the test API: groups

    def add_group(self, group_id: str, name: str | None = None) -> None:
        """A group the bot is a member of, where anyone may write (no member list kept)."""
        self._chat(str(group_id), "GROUP", name)
        self._groups.setdefault(str(group_id), ZaloGroup(str(group_id), name, bot_in=True, open=True))

    def create_group(
        self, name: str, members: list[str] | tuple[str, ...] = (), *, group_id: str | None = None, bot_in: bool = False
    ) -> str:
        """A new group of these people, without the bot (or with it: ``bot_in``); returns its id (a given one,
        or a new one)."""
        group_id = str(group_id) if group_id is not None else str(next(self._group_ids))
        if group_id in self._chats:
            raise ValueError(f"chat {group_id} exists already")
        self._chat(group_id, "GROUP", name)
        self._groups[group_id] = ZaloGroup(group_id, name, members=[str(m) for m in members], bot_in=bot_in)
        for user_id in members:
            self._known_user(str(user_id))
        return group_id

    def group(self, group_id: str) -> dict[str, Any]:
        """What the fake knows of a group: id, name, members (user ids), whether the bot is in it."""
        group = self._group(group_id)
        return {"id": group.group_id, "name": group.name, "members": list(group.members), "bot_in": group.bot_in}

    def bot_added_to_group(self, group_id: str, by_user_id: str) -> None:
        """A member adds the bot to the group (Zalo sends the bot no update for it)."""
        group = self._group(group_id)
        self._member(group, by_user_id)
        if group.bot_in:
            raise ValueError(f"the bot is already in group {group_id}")
        group.bot_in = True

    def bot_removed_from_group(self, group_id: str, by_user_id: str) -> None:
        """A member removes the bot: no update; its sends to the group answer 403 from then on."""
        group = self._group(group_id)
        self._member(group, by_user_id)
        if not group.bot_in:
            raise ValueError(f"the bot is not in group {group_id}")
        group.bot_in = False

    def user_joins_group(self, group_id: str, user_id: str, display_name: str | None = None) -> None:
        """A person joins the group (no update: Zalo tells the bot nothing of it)."""
        group = self._group(group_id)
        self._known_user(str(user_id), display_name)
        if str(user_id) not in group.members:
            group.members.append(str(user_id))

    def user_leaves_group(self, group_id: str, user_id: str) -> None:
        """A person leaves the group."""
        group = self._group(group_id)
        self._member(group, user_id)
        group.members.remove(str(user_id))

    # ------------------------------------------------------------------ what the user side and the methods ask

    def _group_speaker(self, group_id: str, user_id: str, display_name: str | None) -> dict[str, Any]:
        """A person writing in a group, registered on first sight without a private chat with the bot: a group
        first seen in a message is one anyone may write in; in a group made by create_group only its members may."""
        known_group = self._groups.get(group_id)
        if known_group is None:
            self.add_group(group_id)
        else:
            self._member(known_group, user_id)
        return self._known_user(user_id, display_name)

    def _reaches_bot(self, message: dict[str, Any], addressed: bool) -> bool:
        """Whether Zalo hands a person's message to the bot: always in a private chat; in a group only when it is
        addressed to the bot (a mention or a reply to it) and the bot is in the group."""
        group = self._groups.get(message["chat"]["id"]) if message["chat"]["chat_type"] == "GROUP" else None
        return group is None or (addressed and group.bot_in)

    def _sending_chat(self, params: dict[str, Any]) -> Chat:
        """The chat a sending call names, refused with 403 when it is a group the bot is not in; the rest as
        ZaloMethods."""
        chat_id = params.get("chat_id")
        group = self._groups.get(str(chat_id)) if isinstance(chat_id, (str, int)) else None
        if group is not None and not group.bot_in:
            raise ZaloApiFault(403, "Forbidden: the bot is not a member of this group")
        return super()._sending_chat(params)

    def _shown(self, record: Record) -> dict[str, Any]:
        """A message of the log with its ``sender`` and, for a person's group message, ``delivered``."""
        shown = super()._shown(record)
        if record.sender == "user" and record.message["chat"]["chat_type"] == "GROUP":
            shown["delivered"] = record.delivered
        return shown

    # ------------------------------------------------------------------ internals

    def _member(self, group: ZaloGroup, user_id: str) -> None:
        """ValueError unless the person is in the group."""
        if not group.open and str(user_id) not in group.members:
            raise ValueError(f"user {user_id} is not a member of group {group.group_id}: call user_joins_group first")
