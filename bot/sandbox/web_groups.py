"""The group chats of the sandbox page: the demo groups on the fake Telegram and the fake Zalo, and how the page
shows them and speaks in them as any of their members.

A group is given as ``{"key", "title", "kind" (village | commune), "area", "telegram_chat_id", "telegram_type"
(group | supergroup), "zalo_group_id", "members" (the people's Telegram user ids, the creator first), "bot" (the
key of the Telegram bot in it, its province's; else the first)}``. The bot is already a member of each (the demo
setup bound them), so no update is made when they are set up.

What the page shows of a group message besides a private chat's: who wrote it (``from``), whether the bot
received it (``delivered``: Telegram's privacy mode and Zalo hand it only commands, mentions and replies), the
message it answers (``reply_to``) and, for Telegram's service messages, a line saying what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fake_telegram import FakeTelegram
from .fake_zalo import FakeZalo


@dataclass(frozen=True)
class PageGroup:
    """One demo group as the page knows it."""

    key: str
    title: str
    kind: str
    area: str
    telegram_chat_id: int
    telegram_type: str
    zalo_group_id: str
    members: tuple[int, ...]
    bot: str = ""  # the key of the Telegram bot in it

    def public(self) -> dict[str, Any]:
        """What the page's group list shows."""
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "area": self.area,
            "members": list(self.members),
            "telegram_chat_id": self.telegram_chat_id,
            "zalo_group_id": self.zalo_group_id,
            "bot": self.bot,
        }


class SandboxGroups:
    """The demo groups, made in the fakes, and their views for the page."""

    def __init__(
        self,
        fake: FakeTelegram,
        zalo: FakeZalo | None,
        groups: list[dict[str, Any]],
        zalo_ids: dict[int, str],
        fakes: dict[str, FakeTelegram] | None = None,
    ) -> None:
        """Make each group in its bot's fake Telegram (`fakes` by bot key; else `fake`) and in the fake Zalo, the
        bot already in it."""
        self.fake = fake
        self.fakes = fakes or {"": fake}
        self.zalo = zalo
        self.zalo_ids = zalo_ids  # person's Telegram user id -> Zalo user id
        self.people_of_zalo = {zalo_id: user_id for user_id, zalo_id in zalo_ids.items()}
        self.groups: dict[str, PageGroup] = {}
        for raw in groups:
            group = PageGroup(
                key=str(raw["key"]),
                title=str(raw["title"]),
                kind=str(raw.get("kind") or "village"),
                area=str(raw.get("area") or ""),
                telegram_chat_id=int(raw["telegram_chat_id"]),
                telegram_type=str(raw.get("telegram_type") or "group"),
                zalo_group_id=str(raw["zalo_group_id"]),
                members=tuple(int(m) for m in raw["members"]),
                bot=str(raw.get("bot") or "") if str(raw.get("bot") or "") in self.fakes else next(iter(self.fakes)),
            )
            self.groups[group.key] = group
            self.fake_of(group).create_group(
                group.title,
                group.telegram_type,
                list(group.members),
                chat_id=group.telegram_chat_id,
                bot_status="member",
            )
            if zalo is not None:
                members = [self._zalo_id(m) for m in group.members]
                zalo.create_group(group.title, members, group_id=group.zalo_group_id, bot_in=True)

    def listed(self) -> list[dict[str, Any]]:
        """The groups for the page's list."""
        return [group.public() for group in self.groups.values()]

    def get(self, key: str) -> PageGroup | None:
        """A group by its key."""
        return self.groups.get(key)

    def fake_of(self, group: PageGroup) -> FakeTelegram:
        """The fake Telegram of the bot in the group."""
        return self.fakes.get(group.bot, self.fake)

    def _zalo_id(self, user_id: int) -> str:
        """A person's Zalo id."""
        return self.zalo_ids.get(user_id) or f"zalo{user_id}"

    # ------------------------------------------------------------------ versions and views

    def version(self, group: PageGroup, channel: str) -> int:
        """The group chat's version on that messenger (what the page's long poll waits on)."""
        if channel == "zalo" and self.zalo is not None:
            return self.zalo.chat_version(group.zalo_group_id)
        return self.fake_of(group).chat_version(group.telegram_chat_id)

    def telegram_view(self, group: PageGroup, speaker: int, message_view: Any) -> dict[str, Any]:
        """The Telegram group as the speaker's app shows it."""
        fake = self.fake_of(group)

        def view_of(message: dict[str, Any]) -> Any:
            return message_view(message, group.bot)  # its files are the group's bot's

        state = fake.chat_state(group.telegram_chat_id, speaker)
        messages = fake.messages(group.telegram_chat_id)
        by_id = {m["message_id"]: m for m in messages}
        return {
            "group": group.key,
            "user_id": speaker,
            "channel": "telegram",
            "bot": group.bot,
            "version": fake.chat_version(group.telegram_chat_id),
            "messages": [self._telegram_message(m, by_id, view_of) for m in messages],
            "reply_keyboard": None,
            "typing": state["chat_action"] is not None,
            "notices": state["notices"],
            "commands": fake.menu(group.telegram_chat_id, "vi"),
            "force_reply_to": fake.force_reply_for(group.telegram_chat_id, speaker),
        }

    def zalo_view(self, group: PageGroup, speaker: int, message_view: Any) -> dict[str, Any]:
        """The Zalo group as the speaker's app shows it."""
        if self.zalo is None:
            raise LookupError("Zalo is not running in this sandbox")
        zalo = self.zalo
        messages = zalo.messages(group.zalo_group_id)
        by_id = {m["message_id"]: m for m in messages}
        return {
            "group": group.key,
            "user_id": speaker,
            "channel": "zalo",
            "version": zalo.chat_version(group.zalo_group_id),
            "messages": [self._zalo_message(m, by_id, message_view) for m in messages],
            "reply_keyboard": None,
            "typing": zalo.typing(group.zalo_group_id),
            "notices": [],
            "commands": [],
            "force_reply_to": None,
        }

    def _telegram_message(self, message: dict[str, Any], by_id: dict[Any, Any], message_view: Any) -> dict[str, Any]:
        """A Telegram group message in the page's shape."""
        view: dict[str, Any] = message_view(message)
        sender = message.get("from") or {}
        view["from"] = {"user_id": None if sender.get("is_bot") else sender.get("id"), "name": _name(sender)}
        view["delivered"] = message.get("delivered")
        view["service"] = _service_line(message)
        replied = message.get("reply_to_message")
        view["reply_to"] = _quoted(by_id.get(replied["message_id"], replied)) if replied else None
        return view

    def _zalo_message(self, message: dict[str, Any], by_id: dict[Any, Any], message_view: Any) -> dict[str, Any]:
        """A Zalo group message in the page's shape."""
        view: dict[str, Any] = message_view(message)
        sender = message.get("from") or {}
        person = None if sender.get("is_bot") else self.people_of_zalo.get(str(sender.get("id")))
        view["from"] = {"user_id": person, "name": _name(sender)}
        view["delivered"] = message.get("delivered")
        view["service"] = None
        quoted = message.get("quote_message_id")
        view["reply_to"] = _quoted(by_id[quoted]) if quoted in by_id else None
        return view


def _name(user: dict[str, Any]) -> str:
    """How a chat shows a sender's name."""
    if user.get("display_name"):
        return str(user["display_name"])
    return " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k)) or "?"


def _quoted(message: dict[str, Any]) -> dict[str, Any]:
    """The few words a reply shows of the message it answers."""
    text = message.get("text") or message.get("caption") or ("[ảnh]" if message.get("photo") else "")
    return {"message_id": message["message_id"], "name": _name(message.get("from") or {}), "text": str(text)[:120]}


def _service_line(message: dict[str, Any]) -> str | None:
    """What a Telegram service message tells, as a line in the chat; None for a person's message."""
    sender = _name(message.get("from") or {})
    if message.get("new_chat_members"):
        names = ", ".join(_name(u) for u in message["new_chat_members"])
        joined_alone = [u.get("id") for u in message["new_chat_members"]] == [message.get("from", {}).get("id")]
        return f"{names} đã tham gia nhóm" if joined_alone else f"{sender} đã thêm {names} vào nhóm"
    if message.get("left_chat_member"):
        left = message["left_chat_member"]
        if left.get("id") == message.get("from", {}).get("id"):
            return f"{_name(left)} đã rời nhóm"
        return f"{sender} đã mời {_name(left)} ra khỏi nhóm"
    if message.get("migrate_to_chat_id") or message.get("migrate_from_chat_id"):
        return "Nhóm đã được nâng cấp thành siêu nhóm"
    return None
