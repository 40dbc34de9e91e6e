"""End-to-end harness: the real application against an independent fake Bot API, as a checker would run it.

The fake (`FakeTelegram`) is started on its own port, alone; the bot is configured only through the public
environment names (BDHVS_TELEGRAM_TOKEN, BDHVS_TELEGRAM_API_BASE_URL, BDHVS_TELEGRAM_MODE, ...), built with
`build_application` and started, in polling or webhook mode. The `bdhvs` CLI runs with the same environment
against the same SQLite file. People are played on the fake's user side; every step waits, bounded, until the
bot has acknowledged the update and delivered everything it had to say (never a fixed sleep).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest

from bot import cli
from bot.app import BotApplication, build_application
from bot.clock import Clock, FixedClock
from bot.config import load_config
from bot.sandbox.fake_telegram import FakeTelegram
from tests.helpers import free_port

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SON_KIM_1 = 18196
TOKEN = "7300000001:E2E-independent-fake_token"
BOT_USERNAME = "bdhvs_e2e_bot"
SECRET = "e2e-Webhook_secret-42"
# Wednesday 25/11/2026, 10:00 in Vietnam. Invites made by the CLI use the real clock; they stay valid at this
# frozen time as long as the machine's date is not more than their lifetime before it.
FROZEN_AT = dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN)
TODAY = FROZEN_AT.date()
YESTERDAY = TODAY - dt.timedelta(days=1)
STEP_TIMEOUT = 10.0

# Telegram user ids of the people in the stories.
ADMIN, MEMBER, LEAD, STRANGER = 610001, 610002, 610003, 610004

# What the menus must offer (more commands may come with later features; these stay).
VI_DEFAULT_MENU = [
    {"command": "start", "description": "Bắt đầu, tham gia bằng mã mời"},
    {"command": "help", "description": "Hướng dẫn sử dụng"},
    {"command": "lang", "description": "Đổi ngôn ngữ / Change language"},
]
ADMIN_COMMANDS = ["ghibuoi", "ghigiup", "tuannay", "sua", "xoa", "thon", "moi", "huy", "help", "lang"]
MEMBER_COMMANDS = ["ghibuoi", "ghigiup", "tuannay", "sua", "xoa", "huy", "help", "lang"]
ADMIN_ONLY = ["thon", "moi"]
VIETNAMESE = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def check_menu(menu: list[dict[str, str]], required: list[str], forbidden: tuple[str, ...] = ()) -> None:
    """A Vietnamese command menu offering every `required` command, in that order, and none of `forbidden`."""
    names = [c["command"] for c in menu]
    assert [n for n in names if n in required] == required, names
    assert not set(forbidden) & set(names), names
    assert len(names) == len(set(names)), names
    vietnamese = [c for c in menu if VIETNAMESE & set(c["description"].lower())]
    assert len(vietnamese) >= 0.8 * len(menu), f"not a Vietnamese menu: {menu}"


def buttons_of(message: dict[str, Any]) -> list[dict[str, str]]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for b in buttons_of(message)]


def _snapshot(message: dict[str, Any]) -> tuple[Any, ...]:
    return (message.get("text"), message.get("caption"), json.dumps(message.get("reply_markup"), sort_keys=True))


@dataclass
class Step:
    """What one action of a person brought: new bot messages and bot messages edited since."""

    update_id: int
    new: list[dict[str, Any]]
    edited: list[dict[str, Any]]
    answer: dict[str, Any] | None = None  # the answerCallbackQuery of a press

    @property
    def texts(self) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.edited + self.new]

    @property
    def text(self) -> str:
        """Everything said in this step, new messages last."""
        return "\n---\n".join(self.texts)

    @property
    def last(self) -> dict[str, Any]:
        assert self.new, f"the bot sent no new message (edited: {[m.get('text') for m in self.edited]})"
        return self.new[-1]

    def with_buttons(self) -> dict[str, Any]:
        """The latest message of this step that carries buttons (new, else edited)."""
        for message in reversed(self.new + self.edited):
            if buttons_of(message):
                return message
        raise AssertionError(f"no message with buttons in this step: {self.texts}")


@dataclass
class Harness:
    """The fake, the database, the running application (replaced on restart) and the CLI."""

    fake: FakeTelegram
    db_path: Path
    mode: str
    monkeypatch: pytest.MonkeyPatch
    clock: Clock = field(default_factory=lambda: FixedClock(FROZEN_AT))
    port: int = 0
    extra_env: dict[str, str] = field(default_factory=dict)  # more of the deployer's settings
    app: BotApplication | None = None
    apps: list[BotApplication] = field(default_factory=list)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def env(self) -> dict[str, str]:
        """What a deployer would export to run the bot against the fake."""
        env = {
            "BDHVS_DATABASE_URL": self.db_url,
            "BDHVS_TELEGRAM_TOKEN": self.fake.token,
            "BDHVS_TELEGRAM_API_BASE_URL": self.fake.base_url,
            "BDHVS_TELEGRAM_MODE": self.mode,
            "BDHVS_WEB_HOST": "127.0.0.1",
            "BDHVS_WEB_PORT": str(self.port),
            "BDHVS_TIMEZONE": "Asia/Ho_Chi_Minh",
            # The fake does not throttle; the test should not wait on Telegram's 1 message/s per chat.
            "BDHVS_RATE_LIMITS_PRIVATE_CHAT_PER_SECOND": "1000",
            "BDHVS_RATE_LIMITS_PRIVATE_CHAT_BURST": "50",
            "BDHVS_RATE_LIMITS_GLOBAL_PER_SECOND": "1000",
            # Scripted people type faster than anyone; the flood limit is tested in tests/reliability/.
            "BDHVS_FLOOD_PER_MINUTE": "1000000",
            "BDHVS_FLOOD_BURST": "100000",
        }
        if self.mode == "webhook":
            env["BDHVS_TELEGRAM_SECRET_TOKEN"] = SECRET
            env["BDHVS_PUBLIC_URL"] = f"http://127.0.0.1:{self.port}"
        return {**env, **self.extra_env}

    async def start_app(self) -> BotApplication:
        config = load_config(env=self.env())
        # Sent items are marked in the database in batches; a short gathering time keeps each step quick.
        app = build_application(config, clock=self.clock, drain_on_stop=2.0, sender_options={"flush_interval": 0.002})
        self.apps.append(app)
        await app.start()
        self.app = app
        return app

    async def stop_app(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def restart(self) -> BotApplication:
        await self.stop_app()
        return await self.start_app()

    async def cli(self, *argv: str) -> tuple[int, str]:
        """Run `bdhvs ARGV...` with the deployment's environment; (exit code, stdout)."""
        for name, value in self.env().items():
            self.monkeypatch.setenv(name, value)
        self.monkeypatch.delenv("BDHVS_CONFIG", raising=False)

        def run() -> tuple[int, str]:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = cli.main(list(argv))
            return code, out.getvalue()

        # In a thread: the CLI may call the fake Bot API (getMe), which is served by this event loop.
        return await asyncio.to_thread(run)

    async def export(self) -> dict[str, Any]:
        code, out = await self.cli("export", "--commune", str(SON_KIM_1), "--format", "json")
        assert code == 0, out
        return json.loads(out)

    async def invite(self, role: str, *extra: str) -> dict[str, Any]:
        code, out = await self.cli("invite", "create", "--commune", str(SON_KIM_1), "--role", role, "--json", *extra)
        assert code == 0, out
        return json.loads(out)

    def person(self, user_id: int, name: str) -> Person:
        self.fake.add_user(user_id, name, language_code="vi")
        return Person(self, user_id, name)

    async def settle(self) -> None:
        """Every update acknowledged, every outbox item delivered."""
        await self.fake.wait_until_acknowledged(timeout=STEP_TIMEOUT)
        assert self.app is not None
        assert await self.app.sender.drain(STEP_TIMEOUT), "the outbox did not drain"


@dataclass
class Person:
    """Someone in a private chat with the bot, played on the fake's user side."""

    harness: Harness
    user_id: int
    name: str

    @property
    def fake(self) -> FakeTelegram:
        return self.harness.fake

    def messages(self) -> list[dict[str, Any]]:
        return self.fake.bot_messages(self.user_id)

    def last(self) -> dict[str, Any]:
        message = self.fake.last_bot_message(self.user_id)
        assert message is not None, f"{self.name} has no message from the bot"
        return message

    async def _act(self, make_update: Callable[[], int]) -> Step:
        before = {m["message_id"]: _snapshot(m) for m in self.messages()}
        update_id = int(make_update())
        await self.fake.wait_until_acknowledged(update_id, timeout=STEP_TIMEOUT)
        app = self.harness.app
        assert app is not None, "the bot is not running"
        assert await app.sender.drain(STEP_TIMEOUT), "the outbox did not drain"
        after = self.messages()
        new = [m for m in after if m["message_id"] not in before]
        edited = [m for m in after if m["message_id"] in before and _snapshot(m) != before[m["message_id"]]]
        return Step(update_id, new, edited)

    async def say(self, text: str, expect: str | None = None) -> Step:
        step = await self._act(lambda: self.fake.user_says(self.user_id, text, first_name=self.name))
        if expect is not None:
            assert expect in step.text, f"after {text!r} expected {expect!r} in:\n{step.text}"
        return step

    async def photo(self, caption: str | None = None, expect: str | None = None) -> Step:
        step = await self._act(lambda: self.fake.user_sends_photo(self.user_id, caption=caption, first_name=self.name))
        if expect is not None:
            assert expect in step.text, f"after a photo expected {expect!r} in:\n{step.text}"
        return step

    async def press(
        self,
        message: dict[str, Any],
        label: str,
        expect: str | None = None,
        *,
        closes: bool = True,
        strict: bool = True,
    ) -> Step:
        """Press the button whose label contains `label` under a bot message.

        Checks that the press was answered (answerCallbackQuery) and, with `closes`, that the pressed message
        was edited (its buttons replaced: the chosen one shown, or the new state of a toggle). `strict=False`
        presses a button the message no longer shows (a double tap racing with the bot's edit).
        """
        matches = [b for b in buttons_of(message) if label in b["text"]]
        assert matches, f"no button {label!r} under message {message['message_id']}: {labels(message)}"
        data = matches[0]["callback_data"]
        answered_before = set(self.fake.callback_answers)
        step = await self._act(lambda: self.fake.user_presses(self.user_id, message["message_id"], data, strict=strict))
        answers = [a for qid, a in self.fake.callback_answers.items() if qid not in answered_before]
        assert len(answers) == 1, f"the press of {label!r} was answered {len(answers)} times"
        step.answer = answers[0]
        if closes:
            pressed = [m for m in step.edited if m["message_id"] == message["message_id"]]
            assert pressed, f"the message whose button {label!r} was pressed was not edited"
        if expect is not None:
            assert expect in step.text, f"after pressing {label!r} expected {expect!r} in:\n{step.text}"
        return step


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """An independent fake Bot API on its own port, as a checker would start it."""
    # Webhook deliveries are retried for ~25 s, so a restart of the bot loses nothing (Telegram retries longer).
    async with FakeTelegram(
        token=TOKEN,
        bot_username=BOT_USERNAME,
        bot_first_name="Trợ lý BDHVS",
        webhook_max_attempts=10,
        webhook_retry_delay=0.05,
    ) as fake:
        yield fake


@pytest.fixture(params=["polling", "webhook"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def harness(
    fake: FakeTelegram, mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Harness]:
    port = free_port() if mode == "webhook" else 0
    h = Harness(fake=fake, db_path=tmp_path / "bdhvs.db", mode=mode, monkeypatch=monkeypatch, port=port)
    try:
        yield h
    finally:
        for app in reversed(h.apps):
            await app.stop()


def deep_link_code(link: str) -> str:
    """The start parameter of a t.me deep link: what the Telegram client sends as `/start CODE`."""
    parsed = urlparse(link)
    assert parsed.scheme == "https" and parsed.netloc == "t.me" and parsed.path == f"/{BOT_USERNAME}", link
    return parse_qs(parsed.query)["start"][0]


@dataclass
class Commune:
    """Xã Sơn Kim 1 set up through chat: the admin, villages, and a member of Thôn 2 who joined."""

    admin: Person
    member: Person
    member_invite: str
    admin_join: int  # update ids, for redelivery
    villages_confirm: int


async def set_up_commune(h: Harness) -> Commune:
    """The deployer makes an admin invite with the CLI; the admin joins, adds villages, invites a member by
    buttons; the member joins through the deep link."""
    invite = await h.invite("commune_admin")
    if h.app is None:
        await h.start_app()
    admin = h.person(ADMIN, "Chị Lan")
    join = await admin.say(f"/start {deep_link_code(invite['link'])}", expect="Chào mừng Chị Lan")

    step = await admin.say("/thon", expect="chưa có thôn nào")
    step = await admin.say("Thôn 1\nThôn 2, Thôn 3\nthôn 2", expect="Thêm 3 thôn")
    step = await admin.press(step.with_buttons(), "Đúng", expect="Đã thêm 3 thôn")
    villages_confirm = step.update_id
    step = await admin.press(step.with_buttons(), "Tạo mã mời", expect="Tạo mã mời cho ai?")
    step = await admin.press(step.with_buttons(), "Thành viên tổ", expect="Mời vào thôn nào?")
    step = await admin.press(step.with_buttons(), "Thôn 2", expect="Mã mời:")
    text = step.last["text"]
    link = next(word for word in text.split() if word.startswith("https://t.me/"))
    member = h.person(MEMBER, "Bác Hùng")
    await member.say(f"/start {deep_link_code(link)}", expect="Chào mừng Bác Hùng")
    await h.settle()
    return Commune(
        admin=admin,
        member=member,
        member_invite=deep_link_code(link),
        admin_join=join.update_id,
        villages_confirm=villages_confirm,
    )
