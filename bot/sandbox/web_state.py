"""The state behind the sandbox chat page, and the JSON views of its chats.

`SandboxChat` holds the fakes the page plays the user side of, the demo people (registered with the fakes as
people who opened the chat, so the bot may write to them first), the newcomers made on the page to try an invite
code, and the demo groups (bot/sandbox/web_groups.py). With a bot per province there are several Telegram bots
(`PageBot`), each with its own fake: a person talks to their province's (their ``bot``), and a request may name
another one (a newcomer trying a code on the wrong province's bot). The views turn a fake's transcript into the
page's shape: buttons flattened, files as URLs on the page's own server, Zalo's milliseconds as seconds. The
routes that read and change this state are bot/sandbox/web.py's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .fake_telegram import FakeTelegram
from .fake_zalo import FakeZalo
from .web_groups import SandboxGroups

NEWCOMER_FIRST_ID = 7_000_000_001


@dataclass(frozen=True)
class PageBot:
    """One Telegram bot of the page: its key (the deployment's name for it), its fake, how the page names it and
    whom it serves."""

    key: str
    fake: FakeTelegram
    label: str
    serves: str = ""

    def public(self) -> dict[str, Any]:
        """What the page knows of it."""
        return {
            "key": self.key,
            "username": self.fake.bot_username,
            "first_name": self.fake.bot_first_name,
            "label": self.label,
            "serves": self.serves,
        }


class SandboxChat:
    """The state behind the page: the fakes, the demo people and the newcomers made so far."""

    def __init__(
        self,
        fake: FakeTelegram,
        personas: list[dict[str, Any]],
        long_poll_seconds: float,
        zalo: FakeZalo | None = None,
        groups: list[dict[str, Any]] | None = None,
        bots: list[PageBot] | None = None,
    ) -> None:
        """Register the demo people with their bot's fake (and Zalo's, with a Zalo id, when Zalo runs), and make
        the groups. `bots`: the Telegram bots, the first one everybody's who names none (else `fake` alone)."""
        listed = bots or [PageBot("", fake, fake.bot_first_name)]
        self.bots = {bot.key: bot for bot in listed}
        self.default_bot = listed[0]
        self.fake = self.default_bot.fake
        self.zalo = zalo
        self.personas = [dict(p) for p in personas]
        self.newcomers: list[dict[str, Any]] = []
        self.long_poll_seconds = long_poll_seconds
        self._ids = itertools.count(NEWCOMER_FIRST_ID)
        for persona in self.personas:
            persona["user_id"] = int(persona["user_id"])
            if persona.get("bot") not in self.bots:
                persona["bot"] = self.default_bot.key
            # the demo people have opened the chat already, so the bot may write to them first
            self.bots[persona["bot"]].fake.add_user(
                persona["user_id"],
                persona_name(persona),
                language_code=persona.get("language_code", "vi"),
            )
            if zalo is not None:
                persona.setdefault("zalo_user_id", f"zalo{persona['user_id']}")
                zalo.add_user(str(persona["zalo_user_id"]), persona_name(persona))
        zalo_ids = {p["user_id"]: str(p.get("zalo_user_id") or f"zalo{p['user_id']}") for p in self.personas}
        fakes = {key: bot.fake for key, bot in self.bots.items()}
        self.groups = SandboxGroups(self.fake, zalo, groups or [], zalo_ids, fakes)

    def bot_of(self, user_id: int, key: Any = None) -> PageBot:
        """The Telegram bot a request of this person goes to: the one it names (`key`), else the person's own
        (their province's), else the first. LookupError for a key no bot has."""
        if key is not None and key != "":
            if str(key) not in self.bots:
                raise LookupError(f"no bot {key!r} in this sandbox")
            return self.bots[str(key)]
        person = self.person(user_id) or {}
        return self.bots.get(str(person.get("bot")), self.default_bot)

    def bots_view(self) -> list[dict[str, Any]]:
        """The Telegram bots, as the page lists them."""
        return [bot.public() for bot in self.bots.values()]

    def everyone(self) -> list[dict[str, Any]]:
        """The demo people, then the newcomers made on this server."""
        return self.personas + self.newcomers

    def person(self, user_id: int) -> dict[str, Any] | None:
        """A person of the page by Telegram user id, or None."""
        return next((p for p in self.everyone() if p["user_id"] == user_id), None)

    def new_person(self, bot: Any = None) -> dict[str, Any]:
        """A newcomer ("Người mới"), with a user id nobody has written from yet, to try an invite code; `bot`: the
        Telegram bot they write to first (else the first one; any request may name another)."""
        chosen = self.bot_of(0, bot)
        known = {p["user_id"] for p in self.everyone()}
        user_id = next(self._ids)
        while user_id in known or any(page_bot.fake.messages(user_id) for page_bot in self.bots.values()):
            user_id = next(self._ids)
        number = len(self.newcomers) + 1
        person = {
            "user_id": user_id,
            "name": f"Người mới {number}",
            "role": "Chưa tham gia",
            "area": "Thử tham gia bằng mã mời",
            "is_new": True,
            "bot": chosen.key,
        }
        if self.zalo is not None:
            person["zalo_user_id"] = f"zalo{user_id}"
        self.newcomers.append(person)
        return person

    def zalo_id(self, user_id: int) -> str:
        """The person's Zalo user id (a string, as on Zalo)."""
        person = self.person(user_id) or {}
        return str(person.get("zalo_user_id") or f"zalo{user_id}")

    def zalo_chat_view(self, user_id: int) -> dict[str, Any]:
        """One person's Zalo chat as the page shows it (only called when the sandbox runs Zalo)."""
        if self.zalo is None:
            raise web.HTTPNotFound(text="Zalo is not running in this sandbox")
        zalo_id = self.zalo_id(user_id)
        return {
            "user_id": user_id,
            "channel": "zalo",
            "version": self.zalo.chat_version(zalo_id),
            "messages": [zalo_message_view(m) for m in self.zalo.messages(zalo_id)],
            "reply_keyboard": None,
            "typing": self.zalo.typing(zalo_id),
            "notices": [],
            "commands": [],  # Zalo has no command menu
        }

    def chat_view(self, user_id: int, bot: PageBot | None = None) -> dict[str, Any]:
        """One person's Telegram chat with a bot (their own by default) as the page shows it: messages, custom
        keyboard, typing, notices, menu."""
        bot = bot or self.bot_of(user_id)
        fake = bot.fake
        person = self.person(user_id) or {}
        state = fake.chat_state(user_id)
        keyboard = state["reply_keyboard"]
        return {
            "user_id": user_id,
            "channel": "telegram",
            "bot": bot.key,
            "version": fake.chat_version(user_id),
            "messages": [message_view(m, bot.key) for m in fake.messages(user_id)],
            "reply_keyboard": [
                [b if isinstance(b, str) else b.get("text", "") for b in row] for row in keyboard.get("keyboard", [])
            ]
            if keyboard
            else None,
            "typing": state["chat_action"] is not None,
            "notices": state["notices"],
            "commands": fake.menu(user_id, person.get("language_code", "vi")),
        }


def persona_name(persona: dict[str, Any]) -> str:
    """The name a person shows in their chats."""
    # Vietnamese names end with the given name, which is how people are addressed
    name = str(persona.get("first_name") or persona.get("name") or "Người dùng")
    return name


def file_url(file_id: str, bot: str = "") -> str:
    """Where the page downloads a file of a chat with a bot (served by bot/sandbox/web.py)."""
    return f"/sandbox/api/file/{file_id}" + (f"?bot={bot}" if bot else "")


def message_view(message: dict[str, Any], bot: str = "") -> dict[str, Any]:
    """A transcript message of a chat with a bot (its key) in the page's shape (buttons flattened, files as
    URLs)."""
    view: dict[str, Any] = {
        "message_id": message["message_id"],
        "sender": message["sender"],
        "date": message["date"],
        "edited": message["edited"],
        "text": message.get("text"),
        "entities": message.get("entities", []),
        "caption": message.get("caption"),
        "caption_entities": message.get("caption_entities", []),
        "photo": None,
        "document": None,
        "buttons": [],
    }
    if message.get("photo"):
        size = message["photo"][-1]
        view["photo"] = {"url": file_url(size["file_id"], bot), "width": size["width"], "height": size["height"]}
    if message.get("document"):
        document = message["document"]
        view["document"] = {
            "url": file_url(document["file_id"], bot),
            "file_name": document.get("file_name") or "tệp",
            "mime_type": document.get("mime_type"),
            "file_size": document.get("file_size", 0),
        }
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        buttons = []
        for button in row:
            item: dict[str, Any] = {"text": button.get("text", "")}
            for key in ("callback_data", "url"):
                if key in button:
                    item[key] = button[key]
            buttons.append(item)
        view["buttons"].append(buttons)
    return view


def zalo_message_view(message: dict[str, Any]) -> dict[str, Any]:
    """A Zalo transcript message in the page's shape (no buttons on Zalo: choices are numbered lines)."""
    text = message.get("text")
    if text is None and message.get("sticker"):
        text = "[sticker]"
    elif text is None and message.get("voice"):
        text = "[tin nhắn thoại]"
    photo = message.get("photo")
    return {
        "message_id": message["message_id"],
        "sender": message["sender"],
        "date": int(message["date"]) // 1000,
        "edited": False,
        "text": text,
        "entities": [],
        "caption": message.get("caption"),
        "caption_entities": [],
        "photo": {"url": photo, "width": 0, "height": 0} if isinstance(photo, str) else None,
        "document": None,
        "buttons": [],
    }
