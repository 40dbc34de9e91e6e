"""Crash consistency: 20 people log sessions through the fake Telegram Bot API while the bot's process (`bdhvs run`,
the engine in a process of its own, as in production) is SIGKILLed 3 times and started again, on SQLite and on
PostgreSQL (when BDHVS_TEST_DATABASE_URL is set).

Each person writes one-line reports («ngày 02/12 học vneid 137 người», the count unique in the whole run) and
presses «Đúng» when the read-back comes (and «Vẫn ghi thêm» when the bot asks about a twin); a report is
confirmed when the person saw «✅ Đã lưu» for it. Then `bdhvs export` must hold every confirmed session exactly
once, nothing twice, and nothing that was not confirmed unless «Đúng» was pressed and its confirmation lost in
a kill (counted and printed). What a person saw twice (the same message sent again: a kill between a send and
its mark) is counted per kill and chat and bounded by one: a person waits for each answer before the next step,
so a chat has at most one message between its send and its mark when the bot dies.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.clock import SystemClock
from bot.sandbox.fake_telegram import FakeTelegram
from storage import invites
from storage.areas import add_villages
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import BACKENDS, PG_URL, VN, reset_postgres

pytestmark = pytest.mark.reliability

PEOPLE = 20
KILLS = 3
SON_KIM_1 = 18196
TOKEN = "7300000042:CRASH-consistency_token"
FIRST_USER = 720001
CONFIRMED_PER_PHASE = 25  # confirmations between two kills: the kills land under load
STEP_TIMEOUT = 45.0  # a reply may wait for a restart (the bot's start-up, the engine's process)
MAX_ATTENDEES = 990  # counts are unique in a run and stay within the bot's limit (1000)
MAX_DAYS_BACK = 60  # a person's reports go one day further back each time (the bot takes 62 days)
SAVED = "✅ Đã lưu"
TWIN = "Vẫn ghi thêm"
CONFIRM = "Đúng"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(url: str) -> list[int]:
    """The commune, a village per person, and every person joined as a team member of their village."""
    database = Database(url)
    upgrade(database)
    now = SystemClock().now()
    users = [FIRST_USER + n for n in range(PEOPLE)]
    with database.session() as session:
        villages, _ = add_villages(session, SON_KIM_1, [f"Thôn {n + 1}" for n in range(PEOPLE)], now=now, actor_id=None)
        for user, village in zip(users, villages, strict=False):
            code = invites.create_invite(
                session, role="member", now=now, days=30, max_uses=1, commune_code=SON_KIM_1, village_id=village.id
            ).code
            invites.redeem(
                session,
                code,
                channel="telegram",
                user_id=str(user),
                chat_id=str(user),
                display_name=f"Tổ viên {user - FIRST_USER + 1}",
                locale="vi",
                now=now,
            )
    database.dispose()
    return users


@dataclass
class Ledger:
    """What the people did and saw, by the report's unique count of attendees."""

    pressed: set[int] = field(default_factory=set)  # «Đúng» (or «Vẫn ghi thêm») pressed
    confirmed: dict[int, int] = field(default_factory=dict)  # attendees -> user who saw «Đã lưu»
    abandoned: list[str] = field(default_factory=list)  # a reply that never came (a lost message)
    counter: int = 100

    def next_count(self) -> int | None:
        if self.counter >= MAX_ATTENDEES:
            return None
        self.counter += 1
        return self.counter


class BotProcess:
    """`bdhvs run` as a deployer starts it, in a process group of its own so that a kill takes the engine too."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        env = {**os.environ, **self.env, "BDHVS_WEB_PORT": str(free_port())}
        env.pop("BDHVS_CONFIG", None)
        with open(self.log_path, "ab") as log:
            log.write(f"\n--- start {self.starts + 1} ---\n".encode())
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def kill(self) -> int:
        """SIGKILL the bot and its engine process, at once, as a power cut would; how many processes died."""
        assert self.process is not None
        group = self.group()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        return len(group)

    def group(self) -> list[int]:
        """The processes of the bot's group: the bot, and the engine's process once it runs."""
        assert self.process is not None
        members = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[2]) == self.process.pid:
                    members.append(int(entry.name))
        return members

    def stop(self) -> None:
        """SIGTERM: the bot stops as on a normal shutdown (what was queued is sent first)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _buttons(message: dict[str, Any]) -> list[dict[str, str]]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


class Person:
    """Someone writing one-line reports and confirming them, on the fake's user side."""

    def __init__(self, fake: FakeTelegram, user: int, ledger: Ledger, rng: random.Random) -> None:
        self.fake = fake
        self.user = user
        self.ledger = ledger
        self.rng = rng
        self.reports = 0

    async def _await(self, since: int, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        """The first bot message after the `since` first that is wanted; None if none came in time."""

        def found() -> dict[str, Any] | None:
            return next((m for m in self.fake.bot_messages(self.user)[since:] if wanted(m)), None)

        try:
            return await self.fake.wait_for(found, STEP_TIMEOUT, what=f"a reply in chat {self.user}")
        except TimeoutError:
            return None

    async def report(self, attendees: int) -> None:
        """One report: write it (a day of its own, so no twin), confirm the read-back, see it saved."""
        day = local_today() - dt.timedelta(days=self.reports)
        self.reports += 1
        mark = f"— {attendees} người"
        since = self.fake.bot_message_count(self.user)
        self.fake.user_says(self.user, f"ngày {day:%d/%m} học vneid {attendees} người")
        read_back = await self._await(
            since, lambda m: mark in (m.get("text") or "") and any(CONFIRM in b["text"] for b in _buttons(m))
        )
        if read_back is None:
            self.ledger.abandoned.append(f"{self.user}: no read-back for {attendees}")
            return
        await self._think()
        await self._press(read_back, CONFIRM, attendees)

    async def _press(self, message: dict[str, Any], label: str, attendees: int) -> None:
        """Press a button of a message and wait for «Đã lưu» of this report (or the twin question)."""
        data = next(b["callback_data"] for b in _buttons(message) if label in b["text"])
        mark = f"— {attendees} người"
        since = self.fake.bot_message_count(self.user)
        self.ledger.pressed.add(attendees)
        self.fake.user_presses(self.user, message["message_id"], data, strict=False)
        answer = await self._await(
            since,
            lambda m: (
                (SAVED in (m.get("text") or "") and mark in m["text"]) or any(TWIN in b["text"] for b in _buttons(m))
            ),
        )
        if answer is None:
            self.ledger.abandoned.append(f"{self.user}: no answer to {label!r} for {attendees}")
        elif SAVED in (answer.get("text") or ""):
            self.ledger.confirmed[attendees] = self.user
        elif label != TWIN:
            await self._press(answer, TWIN, attendees)

    async def _think(self) -> None:
        await asyncio.sleep(self.rng.uniform(0.05, 0.3))

    async def live(self, stop: asyncio.Event) -> None:
        """Report until told to stop (a report under way is finished first)."""
        while not stop.is_set() and self.reports < MAX_DAYS_BACK:
            attendees = self.ledger.next_count()
            if attendees is None:
                return
            await self.report(attendees)
            await self._think()


def local_today() -> dt.date:
    """Today where the bot counts days (the deployment's timezone)."""
    return dt.datetime.now(VN).date()


def bot_env(url: str, fake: FakeTelegram) -> dict[str, str]:
    """What a deployer exports: the fake as the Bot API, polling, the engine in its own process."""
    return {
        "BDHVS_DATABASE_URL": url,
        "BDHVS_TELEGRAM_TOKEN": fake.token,
        "BDHVS_TELEGRAM_API_BASE_URL": fake.base_url,
        "BDHVS_TELEGRAM_MODE": "polling",
        "BDHVS_WEB_HOST": "127.0.0.1",
        "BDHVS_TIMEZONE": "Asia/Ho_Chi_Minh",
        "BDHVS_ENGINE_MODE": "process",
        "BDHVS_DEMO_DATA": "false",
        # The fake does not throttle; people here are quicker than Telegram's 1 message/s per chat allows.
        "BDHVS_RATE_LIMITS_PRIVATE_CHAT_PER_SECOND": "1000",
        "BDHVS_RATE_LIMITS_PRIVATE_CHAT_BURST": "50",
        "BDHVS_RATE_LIMITS_GLOBAL_PER_SECOND": "1000",
        "BDHVS_FLOOD_PER_MINUTE": "600",  # quick fingers, not a flood
        "BDHVS_FLOOD_BURST": "50",
    }


def database_url(backend: str, tmp_path: Path) -> str:
    if backend == "postgresql":
        assert PG_URL
        reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path / 'bdhvs.db'}"


def export_sessions(url: str) -> list[dict[str, Any]]:
    """`bdhvs export --commune 18196 --format json`, run as a deployer would, after the bot has stopped."""
    env = {**os.environ, "BDHVS_DATABASE_URL": url}
    env.pop("BDHVS_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", "--commune", str(SON_KIM_1), "--format", "json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout)["sessions"])


def doubled_in_chat(fake: FakeTelegram, kills_at: list[int]) -> Counter[tuple[int, int]]:
    """Messages sent again (the same text to the same chat; every text here is unique), per (kill, chat): a
    repeat is put down to the last kill before it (0: before any kill)."""
    first: set[tuple[int, str]] = set()
    doubled: Counter[tuple[int, int]] = Counter()
    for index, (method, params) in enumerate(fake.calls):
        if method != "sendMessage":
            continue
        key = (int(params["chat_id"]), str(params.get("text")))
        if key in first:
            doubled[(bisect.bisect_right(kills_at, index), key[0])] += 1
        first.add(key)
    return doubled


async def until_confirmed(fake: FakeTelegram, ledger: Ledger, count: int, bot: BotProcess) -> None:
    """Wait until the people have seen `count` reports saved in all."""
    assert bot.alive(), f"the bot died on its own (see {bot.log_path})"
    await fake.wait_for(lambda: len(ledger.confirmed) >= count, 60.0, what=f"{count} confirmed reports")


@pytest.mark.timeout(240)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_sigkills_under_load_lose_nothing_and_double_nothing(backend: str, tmp_path: Path) -> None:
    url = database_url(backend, tmp_path)
    users = await asyncio.to_thread(seed, url)
    fake = FakeTelegram(token=TOKEN, bot_username="bdhvs_crash_bot")
    await fake.start()
    for user in users:
        fake.add_user(user, f"Tổ viên {user - FIRST_USER + 1}")
    ledger, stop, rng = Ledger(), asyncio.Event(), random.Random(10)
    people = [Person(fake, user, ledger, random.Random(user)) for user in users]
    bot = BotProcess(bot_env(url, fake), tmp_path / "bot.log")
    began = time.monotonic()
    tasks: list[asyncio.Task[None]] = []
    kills_at: list[int] = []  # how many Bot API calls the fake had seen at each kill
    killed: list[int] = []  # processes killed each time: the bot, its engine's process, multiprocessing's helper
    try:
        bot.start()
        tasks = [asyncio.create_task(person.live(stop)) for person in people]
        for _kill in range(KILLS):
            await until_confirmed(fake, ledger, len(ledger.confirmed) + CONFIRMED_PER_PHASE, bot)
            await asyncio.sleep(rng.uniform(0.0, 0.2))  # somewhere in the middle of someone's step
            killed.append(bot.kill())
            kills_at.append(len(fake.calls))
            bot.start()
        await until_confirmed(fake, ledger, len(ledger.confirmed) + CONFIRMED_PER_PHASE, bot)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=STEP_TIMEOUT * 3)
        await fake.wait_until_acknowledged(timeout=STEP_TIMEOUT)
        await asyncio.to_thread(bot.stop)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.to_thread(bot.stop)
        await fake.close()
    elapsed = time.monotonic() - began
    sessions = await asyncio.to_thread(export_sessions, url)
    saved = Counter(int(s["attendees"]) for s in sessions)
    lost = sorted(a for a in ledger.confirmed if saved[a] == 0)
    doubled = sum(n - 1 for n in saved.values() if n > 1)
    unconfirmed = sorted(a for a in saved if a not in ledger.confirmed)
    never_pressed = [a for a in unconfirmed if a not in ledger.pressed]
    wrong_village = [
        s
        for s in sessions
        if int(s["attendees"]) in ledger.confirmed
        and s["village"] != f"Thôn {ledger.confirmed[int(s['attendees'])] - FIRST_USER + 1}"
    ]
    chat = doubled_in_chat(fake, kills_at)
    print(
        f"\ncrash-consistency {backend}: {PEOPLE} people, {bot.starts - 1} kills, {len(ledger.confirmed)} confirmed, "
        f"{len(lost)} lost, {doubled} doubled in data, {sum(chat.values())} doubled in chat "
        f"(at most {max(chat.values(), default=0)} per kill in one chat; bound 1)"
    )
    print(
        f"crash-consistency {backend}: {len(ledger.pressed)} «Đúng» pressed, {len(unconfirmed)} saved whose "
        f"confirmation was lost in a kill, {len(ledger.abandoned)} replies never seen, {elapsed:.1f} s"
    )
    # each kill took the engine's process (and multiprocessing's helper) with the bot
    assert bot.starts - 1 == KILLS and all(n >= 2 for n in killed), killed
    assert ledger.abandoned == [], ledger.abandoned[:5]
    assert lost == [] and doubled == 0, (lost, saved.most_common(3))
    assert never_pressed == [], f"saved without «Đúng»: {never_pressed}"
    assert wrong_village == [], wrong_village[:3]
    assert not [key for key in chat if key[0] == 0], f"sent twice with no kill: {chat}"
    assert max(chat.values(), default=0) <= 1, chat  # at most one message per kill per chat
