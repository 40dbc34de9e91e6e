"""Groups and supergroups in the fake Telegram, as the platform behaves for a bot.

* Group ids are negative: a basic group's like ``-4001``, a supergroup's ``-100`` followed by ten digits.
  Updates carry ``chat.type`` ``group`` or ``supergroup`` and the group's ``title``.
* Privacy mode (on by default, as BotFather leaves it): in a group the bot receives only commands (``/cmd``, or
  ``/cmd@its_username``, never another bot's), messages mentioning ``@its_username``, replies to its own
  messages, and service messages (members joining and leaving, the group's migration). An administrator bot,
  or one with privacy mode off, receives everything.
* Adding and removing the bot sends ``my_chat_member`` (old status → new status); afterwards a removed bot's
  sends answer 403 "Forbidden: bot was kicked from the group chat".
* A group that becomes a supergroup sends a service message with ``migrate_to_chat_id`` in the old chat and one
  with ``migrate_from_chat_id`` in the new; sends to the old id answer 400 with ``parameters.migrate_to_chat_id``.
* ``group_messages_per_minute`` (Telegram: 20): new messages to one group beyond it answer 429 with
  ``retry_after``.
* A person who has only ever talked in groups has no private chat with the bot: a private message to them
  answers 403 "Forbidden: bot can't initiate conversation with a user".

An unknown negative id first seen through ``user_says`` (or a send, with lenient chats) becomes a group the bot
is already an administrator of, so that tests written before groups were modelled keep working. Listing the
groups, finding one and a group's transcript (service messages included) are groups.py's, shared with the fake
Zalo.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Unpack

from bot.ratelimit import TokenBucket

from .chats import Chat
from .groups import GroupBook
from .telegram_chats import SANDBOX_TOKEN, SANDBOX_USERNAME, TelegramOptions, jsonable
from .telegram_methods import TelegramMethods
from .telegram_params import NEW_MESSAGE_METHODS, BotApiError, UpdateId, bad_request

IN_GROUP = ("creator", "administrator", "member", "restricted")
SUPERGROUP_PREFIX = -1_000_000_000_000  # a supergroup's id is -100 followed by ten digits
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


@dataclass
class Group:
    """What the fake knows of one group: its kind and title, who is in it (the bot too), where it moved."""

    chat_id: int
    kind: str  # group | supergroup
    title: str
    members: dict[int, str] = field(default_factory=dict)  # user id -> status (creator, member, left, kicked...)
    bot_status: str = "left"  # member | administrator | left | kicked
    migrated_to: int | None = None
    bucket: TokenBucket | None = None  # the group's message limit, when the fake has one
    implicit: bool = False  # first seen through a message or a send, not made by create_group: anyone may write

    @property
    def bot_in(self) -> bool:
        """Whether the bot is a member of the group now."""
        return self.bot_status in IN_GROUP


def group_kind(chat_id: int) -> str:
    """The kind an id names: ``-100…`` (thirteen digits) a supergroup, any other negative id a basic group."""
    return "supergroup" if chat_id <= SUPERGROUP_PREFIX else "group"


class TelegramGroups(TelegramMethods, GroupBook[int, Group]):
    """The fake Telegram's groups: their members, the bot's membership, privacy mode and the group limit."""

    def __init__(
        self,
        token: str = SANDBOX_TOKEN,
        bot_username: str = SANDBOX_USERNAME,
        *,
        privacy_mode: bool = True,
        group_messages_per_minute: float | None = None,
        **options: Unpack[TelegramOptions],
    ) -> None:
        """A fake Telegram with privacy mode on or off, and an optional limit of new messages a minute per group
        (Telegram's is 20); the rest as TelegramChats."""
        super().__init__(token, bot_username, **options)
        self.privacy_mode = privacy_mode
        self.group_messages_per_minute = group_messages_per_minute
        self._groups: dict[int, Group] = {}
        self._group_ids = itertools.count(4001)

    # ------------------------------------------------------------------ the test API: groups

    def create_group(
        self,
        title: str,
        kind: str = "group",
        members: list[int] | tuple[int, ...] = (),
        *,
        chat_id: int | None = None,
        bot_status: str = "left",
    ) -> int:
        """A new group (or supergroup) without the bot; the first member is its creator. Returns its id.

        chat_id: a given id (of the kind's shape) instead of a new one; bot_status "member" or "administrator":
        the bot is in the group already, with no update (a sandbox restarted over a database that knows it)."""
        if kind not in ("group", "supergroup"):
            raise ValueError(f"a group's kind is group or supergroup, not {kind!r}")
        if bot_status not in ("left", "member", "administrator"):
            raise ValueError(f"the bot starts a group left, member or administrator, not {bot_status!r}")
        if chat_id is None:
            number = next(self._group_ids)
            chat_id = -number if kind == "group" else SUPERGROUP_PREFIX - number
        elif chat_id >= 0 or group_kind(chat_id) != kind or chat_id in self._chats:
            raise ValueError(f"{chat_id} is not a free {kind} id")
        group = self._make_group(chat_id, title, kind, bot_status=bot_status)
        for index, user_id in enumerate(members):
            self._known_user(user_id)
            group.members[user_id] = "creator" if index == 0 else "member"
        return chat_id

    def group(self, chat_id: int) -> dict[str, Any]:
        """What the fake knows of a group: id, type, title, members (user id -> status), bot_status, migrated_to."""
        group = self._group(chat_id)
        return {
            "id": group.chat_id,
            "type": group.kind,
            "title": group.title,
            "members": dict(group.members),
            "bot_status": group.bot_status,
            "migrated_to": group.migrated_to,
        }

    def bot_added_to_group(self, chat_id: int, by_user_id: int, admin: bool = False) -> UpdateId | None:
        """A member adds the bot (as a member, or an administrator): ``my_chat_member`` left → member (or
        administrator), then the service message of the bot joining. Returns the my_chat_member update's id."""
        group = self._live_group(chat_id)
        adder = self._member_user(group, by_user_id)
        if group.bot_in:
            raise ValueError(f"the bot is already in group {chat_id}")
        old, group.bot_status = group.bot_status, "administrator" if admin else "member"
        update_id = self._bot_membership_changed(group, adder, old)
        self._service_message(group, adder, {"new_chat_members": [self.bot_user], "new_chat_member": self.bot_user})
        return update_id

    def bot_made_admin(self, chat_id: int, by_user_id: int, admin: bool = True) -> UpdateId | None:
        """A member promotes the bot to administrator (or demotes it): ``my_chat_member``."""
        group = self._live_group(chat_id)
        promoter = self._member_user(group, by_user_id)
        if not group.bot_in:
            raise ValueError(f"the bot is not in group {chat_id}")
        old, group.bot_status = group.bot_status, "administrator" if admin else "member"
        return self._bot_membership_changed(group, promoter, old)

    def bot_removed_from_group(self, chat_id: int, by_user_id: int) -> UpdateId | None:
        """A member removes the bot: ``my_chat_member`` → left (a basic group) or kicked (a supergroup); from
        then on the bot's sends to the group answer 403."""
        group = self._live_group(chat_id)
        remover = self._member_user(group, by_user_id)
        if not group.bot_in:
            raise ValueError(f"the bot is not in group {chat_id}")
        old, group.bot_status = group.bot_status, "left" if group.kind == "group" else "kicked"
        update_id = self._bot_membership_changed(group, remover, old)
        self._service_message(
            group, remover, {"left_chat_member": self.bot_user, "left_chat_participant": self.bot_user}, deliver=False
        )
        return update_id

    def user_joins_group(
        self, chat_id: int, user_id: int, *, first_name: str | None = None, added_by: int | None = None
    ) -> UpdateId | None:
        """A person joins (by link, or added by a member): the service message every bot receives, and a
        ``chat_member`` update when the bot is an administrator that asked for them. Returns the message's
        update id (None when the bot is not in the group)."""
        group = self._live_group(chat_id)
        user = self._known_user(user_id, first_name)
        sender = self._member_user(group, added_by) if added_by is not None else user
        old = group.members.get(user_id, "left")
        group.members[user_id] = "member"
        if group.bot_in and group.bot_status == "administrator":
            self._enqueue(
                {
                    "chat_member": {
                        "chat": dict(self._chats[group.chat_id].info),
                        "from": dict(sender),
                        "date": int(self._clock()),
                        "old_chat_member": self._chat_member(user, old),
                        "new_chat_member": self._chat_member(user, "member"),
                    }
                }
            )
        return self._service_message(group, sender, {"new_chat_members": [dict(user)], "new_chat_member": dict(user)})

    def user_leaves_group(self, chat_id: int, user_id: int) -> UpdateId | None:
        """A person leaves the group: the service message every bot in it receives."""
        group = self._live_group(chat_id)
        user = self._member_user(group, user_id)
        group.members[user_id] = "left"
        return self._service_message(group, user, {"left_chat_member": dict(user), "left_chat_participant": dict(user)})

    def migrate_group(self, chat_id: int, by_user_id: int | None = None) -> int:
        """The group becomes a supergroup (a new, ``-100…`` id; the same title, members and bot). The old chat
        gets a service message with ``migrate_to_chat_id``, the new one with ``migrate_from_chat_id``; sends to
        the old id answer 400 with ``parameters.migrate_to_chat_id``. Returns the new id."""
        old = self._live_group(chat_id)
        if old.kind != "group":
            raise ValueError(f"{chat_id} is a supergroup already")
        creator = next((uid for uid, status in old.members.items() if status == "creator"), None)
        user = self._member_user(old, by_user_id if by_user_id is not None else creator)
        new_id = SUPERGROUP_PREFIX + chat_id  # -4001 -> -1000000004001
        new = self._make_group(new_id, old.title, "supergroup", bot_status=old.bot_status)
        new.members = dict(old.members)
        self._service_message(old, user, {"migrate_to_chat_id": new_id})
        old.migrated_to = new_id
        self._service_message(new, user, {"migrate_from_chat_id": chat_id})
        return new_id

    def force_reply_for(self, chat_id: int, user_id: int) -> int | None:
        """The bot message a person's app would answer on its own: the bot's latest message in the chat that asked
        for a ForceReply meant for this person (selective: it replies to their message or mentions them), when
        they have not written since (the app opens the reply when the message comes, and sending closes it).
        None otherwise."""
        chat = self._chats.get(int(chat_id))
        if chat is None:
            return None
        for record in reversed(chat.records):
            if record.deleted:
                continue
            if record.sender == "user":
                if record.message.get("from", {}).get("id") == user_id:
                    return None
                continue
            markup = record.sent_with.get("force_reply")
            if markup is not None and (not markup.get("selective") or self._targets(record.message, user_id)):
                return int(record.message["message_id"])
        return None

    # ------------------------------------------------------------------ the test API: notices

    def notices_for(self, user_id: int, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The callback answers with a text shown to one person (in one chat, when given), oldest first."""
        return [
            jsonable(n)
            for n in self.callback_notices
            if n["user_id"] == user_id and (chat_id is None or n["chat_id"] == int(chat_id))
        ]

    async def wait_for_notices(self, user_id: int, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` notices were shown to the person; return them all."""
        await self.wait_for(
            lambda: len(self.notices_for(user_id)) >= count, timeout, what=f"{count} notice(s) for user {user_id}"
        )
        return self.notices_for(user_id)

    # ------------------------------------------------------------------ Bot API methods

    async def api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        """A member of a chat: the bot itself, a person in a group, or the person of a private chat."""
        chat = self._chat_param(params, for_sending=False)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise bad_request("invalid user_id specified")
        if user_id == self.bot_id:
            group = self._groups.get(chat.info["id"])
            return self._chat_member(self.bot_user, group.bot_status if group else "member")
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        group = self._groups.get(chat.info["id"])
        if group is None:
            return self._chat_member(user, "member" if user_id == chat.info["id"] else "left")
        return self._chat_member(user, group.members.get(user_id, "left"))

    async def api_leaveChat(self, params: dict[str, Any]) -> bool:
        """The bot leaves a group: ``my_chat_member`` from the bot itself, member → left."""
        chat = self._chat_param(params, for_sending=False)
        group = self._groups.get(chat.info["id"])
        if group is None:
            raise bad_request("chat member status can't be changed in private chats")
        old, group.bot_status = group.bot_status, "left"
        self._bot_membership_changed(group, self.bot_user, old)
        return True

    # ------------------------------------------------------------------ what the methods share (overrides)

    def _chat_for(self, user: dict[str, Any], chat_id: int | None, title: str | None) -> Chat:
        """A person's private chat, or a group: an unknown negative id becomes a group the bot administers."""
        if chat_id is None or chat_id == user["id"] or chat_id > 0:
            return super()._chat_for(user, chat_id, title)
        group = self._groups.get(chat_id)
        if group is None:
            title = title or f"Nhóm {chat_id}"
            group = self._make_group(chat_id, title, group_kind(chat_id), bot_status="administrator", implicit=True)
        if user["id"] and group.members.get(user["id"], "left") not in IN_GROUP:
            if not group.implicit:
                raise ValueError(f"user {user['id']} is not a member of group {chat_id}: call user_joins_group first")
            group.members[user["id"]] = "member" if group.members else "creator"  # whoever writes is in it
        return self._chats[chat_id]

    def _chat_param(self, params: dict[str, Any], *, for_sending: bool = True) -> Chat:
        """The chat a call names, refused as Telegram refuses a group the bot left or that moved, and a person
        who never opened a private chat with the bot."""
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int):
            group = self._groups.get(chat_id)
            if group is not None and group.migrated_to is not None:
                raise BotApiError(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    {"migrate_to_chat_id": group.migrated_to},
                )
            if group is not None and not group.bot_in:
                if group.bot_status == "kicked" or group.kind == "group":
                    raise BotApiError(403, f"Forbidden: bot was kicked from the {group.kind} chat")
                raise BotApiError(403, f"Forbidden: bot is not a member of the {group.kind} chat")
            if chat_id > 0 and chat_id in self._users and chat_id not in self._chats and self.strict_chats:
                raise BotApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return super()._chat_param(params, for_sending=for_sending)

    def _check_rate_limit(self, method: str, params: dict[str, Any]) -> None:
        """The bot's and a chat's flood limits, then Telegram's limit of new messages a minute in one group."""
        super()._check_rate_limit(method, params)
        chat_id = params.get("chat_id")
        if not self.group_messages_per_minute or method not in NEW_MESSAGE_METHODS:
            return
        if not isinstance(chat_id, int) or chat_id >= 0:
            return
        group = self._groups.get(chat_id)
        if group is None:
            return
        now = self._monotonic()
        if group.bucket is None:
            per_minute = self.group_messages_per_minute
            group.bucket = TokenBucket(per_minute / 60.0, per_minute, now)
        wait = group.bucket.try_take(now)
        if wait > 0:
            self.rate_limited_count += 1
            raise self._flood_error(wait)

    def _delivered_in_group(self, chat: Chat, message: dict[str, Any]) -> bool:
        """Whether Telegram hands a person's group message to the bot (see the module docstring)."""
        group = self._groups.get(chat.info["id"])
        if group is None:
            return True
        if not group.bot_in:
            return False
        if not self.privacy_mode or group.bot_status == "administrator":
            return True
        replied = message.get("reply_to_message")
        if replied is not None and replied.get("from", {}).get("id") == self.bot_id:
            return True
        text = message.get("text") or message.get("caption") or ""
        entities = message.get("entities") or message.get("caption_entities") or []
        return any(self._addresses_bot(text, entity) for entity in entities)

    # ------------------------------------------------------------------ internals

    def _make_group(self, chat_id: int, title: str, kind: str, *, bot_status: str, implicit: bool = False) -> Group:
        """A group and its chat."""
        group = Group(chat_id=chat_id, kind=kind, title=title, bot_status=bot_status, implicit=implicit)
        self._groups[chat_id] = group
        self._chats[chat_id] = Chat(info={"id": chat_id, "type": kind, "title": title})
        return group

    def _live_group(self, chat_id: int) -> Group:
        """A group that has not moved to a supergroup."""
        group = self._group(chat_id)
        if group.migrated_to is not None:
            raise ValueError(f"group {chat_id} became supergroup {group.migrated_to}")
        return group

    def _known_user(self, user_id: int, first_name: str | None = None) -> dict[str, Any]:
        """A person the fake knows, registered on first sight without a private chat with the bot."""
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = {"id": user_id, "is_bot": False, "first_name": first_name or "Người dùng"}
            user["language_code"] = "vi"
        elif first_name:
            user["first_name"] = first_name
        return user

    def _member_user(self, group: Group, user_id: int | None) -> dict[str, Any]:
        """A member of the group (ValueError for anyone else)."""
        if user_id is None or group.members.get(user_id, "left") not in IN_GROUP:
            raise ValueError(f"user {user_id} is not a member of group {group.chat_id}")
        return self._users[user_id]

    def _chat_member(self, user: dict[str, Any], status: str) -> dict[str, Any]:
        """A ChatMember object as the Bot API shapes it for that status."""
        member: dict[str, Any] = {"user": dict(user), "status": status}
        if status == "administrator":
            member.update(_ADMIN_RIGHTS)
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _bot_membership_changed(self, group: Group, by: dict[str, Any], old: str) -> UpdateId | None:
        """``my_chat_member``: the bot's status in the group went from `old` to what it is now."""
        return self._enqueue(
            {
                "my_chat_member": {
                    "chat": dict(self._chats[group.chat_id].info),
                    "from": dict(by),
                    "date": int(self._clock()),
                    "old_chat_member": self._chat_member(self.bot_user, old),
                    "new_chat_member": self._chat_member(self.bot_user, group.bot_status),
                }
            }
        )

    def _service_message(
        self, group: Group, sender: dict[str, Any], fields: dict[str, Any], *, deliver: bool = True
    ) -> UpdateId | None:
        """A service message in the group's log, handed to the bot when it is in the group (every bot receives
        service messages, privacy mode or not)."""
        chat = self._chats[group.chat_id]
        message = self._new_message(chat, dict(sender))
        message.update(jsonable(fields))
        record = self._add_record(chat, message, "user")
        record.delivered = deliver and group.bot_in
        return self._enqueue({"message": message}) if record.delivered else None

    def _targets(self, message: dict[str, Any], user_id: int) -> bool:
        """Whether a selective markup on this bot message is meant for the person: it replies to their message,
        or mentions them."""
        replied = message.get("reply_to_message") or {}
        if replied.get("from", {}).get("id") == user_id:
            return True
        username = self._users.get(user_id, {}).get("username")
        for entity in message.get("entities", []):
            if entity.get("type") == "text_mention" and entity.get("user", {}).get("id") == user_id:
                return True
            mentioned = _entity_text(message.get("text", ""), entity).lower()
            if username and entity.get("type") == "mention" and mentioned == "@" + username.lower():
                return True
        return False

    def _addresses_bot(self, text: str, entity: dict[str, Any]) -> bool:
        """Whether an entity of a group message is for the bot: a leading command (not another bot's), or a
        mention of it."""
        kind = entity.get("type")
        if kind == "text_mention":
            return entity.get("user", {}).get("id") == self.bot_id
        found = _entity_text(text, entity)
        if kind == "mention":
            return found.lower() == "@" + self.bot_username.lower()
        if kind == "bot_command" and entity.get("offset") == 0:
            _command, at, addressee = found.partition("@")
            return not at or addressee.lower() == self.bot_username.lower()
        return False


def _entity_text(text: str, entity: dict[str, Any]) -> str:
    """The part of the text an entity covers (offsets in UTF-16 code units)."""
    utf16 = text.encode("utf-16-le")
    start, length = int(entity.get("offset", 0)), int(entity.get("length", 0))
    return utf16[start * 2 : (start + length) * 2].decode("utf-16-le", errors="replace")
