"""The people of bench/throughput.py: village team members logging by buttons and by one line of text, each
waiting for the bot's answer before the next step, over the fake Bot API that tells them of every bot message.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox.fake_telegram import FakeTelegram

STEP_TIMEOUT = 30.0

TOPIC_WORDS = {
    "vneid": "cài VNeID",
    "public_services": "dịch vụ công trực tuyến",
    "online_payment": "thanh toán không dùng tiền mặt",
    "online_safety": "chống lừa đảo trên mạng",
    "online_shopping": "mua sắm trực tuyến",
}
HELP_WORDS = {
    "vneid_level2": "kích hoạt mức 2",
    "public_service_filing": "nộp hồ sơ DVC",
    "cashless_account": "mở tài khoản ngân hàng số",
}
TOPICS = ["public_services", "online_shopping", "online_payment", "online_safety", "vneid", "other_platforms"]
KINDS = [
    "vneid_level2",
    "vneid_skill_confirmed",
    "public_service_filing",
    "cashless_account",
    "digital_signature",
    "social_security_vneid",
    "e_health",
]
MIX: dict[str, float] = {"text": 0.40, "session": 0.35, "help": 0.25}  # share of each way of logging


class BenchFake(FakeTelegram):
    """The fake, telling each simulated person at once when the bot sends or edits in their chat."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.people: dict[int, Person] = {}

    def _add_record(self, chat: Any, message: dict[str, Any], sender: str) -> Any:
        record = super()._add_record(chat, message, sender)
        if sender == "bot":
            person = self.people.get(chat.info["id"])
            if person is not None:
                person.on_output("send", message)
        return record

    def _mark_edited(self, chat: Any, record: Any) -> None:
        super()._mark_edited(chat, record)
        person = self.people.get(chat.info["id"])
        if person is not None:
            person.on_output("edit", record.message)


# -- the people ------------------------------------------------------------------------------------


class StepFailed(Exception):
    pass


Want = Callable[[str, dict[str, Any]], bool]


def _data(message: dict[str, Any], action: str) -> str | None:
    """The callback data of the button whose payload holds `action` (e.g. ":save", ":topic:vneid")."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data") or ""
            if action in data:
                return data
    return None


def new_message(kind: str, message: dict[str, Any]) -> bool:
    return kind == "send"


def new_with(action: str) -> Want:
    return lambda kind, message: kind == "send" and _data(message, action) is not None


def saved_or_twin(kind: str, message: dict[str, Any]) -> bool:
    return kind == "send" and ("Đã lưu" in (message.get("text") or "") or _data(message, ":again") is not None)


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # seconds, measured updates only
    completed: int = 0  # updates answered completely
    errors: int = 0
    measuring: bool = False
    by_flow: dict[str, int] = field(default_factory=dict)


class Person:
    """A simulated team member in a private chat with the bot; one step at a time."""

    def __init__(
        self,
        fake: BenchFake,
        user_id: int,
        village: int,
        stats: Stats,
        rng: random.Random,
        permits: asyncio.Queue[None] | None = None,
    ) -> None:
        self.fake = fake
        self.user_id = user_id
        self.village = village
        self.stats = stats
        self.rng = rng
        self.permits = permits
        self._want: Want | None = None
        self._done: asyncio.Future[dict[str, Any]] | None = None
        self._sent_at = 0.0
        self._first: float | None = None
        fake.people[user_id] = self

    def on_output(self, kind: str, message: dict[str, Any]) -> None:
        now = time.perf_counter()
        if self._first is None:
            self._first = now
        text = message.get("text") or ""
        if self._done is not None and not self._done.done():
            if text.startswith("Xin lỗi, hệ thống"):
                self._done.set_exception(StepFailed(text))
            elif self._want is not None and self._want(kind, message):
                self._done.set_result(message)

    async def _step(self, make_update: Callable[[], object], want: Want) -> dict[str, Any]:
        if self.permits is not None:
            await self.permits.get()
        loop = asyncio.get_running_loop()
        self._want, self._done, self._first = want, loop.create_future(), None
        self._sent_at = time.perf_counter()
        make_update()
        try:
            message = await asyncio.wait_for(self._done, STEP_TIMEOUT)
        finally:
            self._want = None
        if self.stats.measuring:
            assert self._first is not None
            self.stats.latencies.append(self._first - self._sent_at)
            self.stats.completed += 1
        return message

    async def say(self, text: str, want: Want) -> dict[str, Any]:
        return await self._step(lambda: self.fake.user_says(self.user_id, text), want)

    async def press(self, message: dict[str, Any], action: str, want: Want) -> dict[str, Any]:
        data = _data(message, action)
        if data is None:
            raise StepFailed(f"no button {action!r} under {message.get('text')!r}")
        return await self._step(lambda: self.fake.user_presses(self.user_id, message["message_id"], data), want)

    # the flows

    async def echo(self) -> None:
        await self.say(f"Tin nhắn số {self.rng.randint(1, 10**6)} của thôn {self.village}", new_message)

    async def log_session(self) -> None:
        message = await self.say("/ghibuoi", new_with(":date:today"))
        message = await self.press(message, ":date:today", new_with(":topics_done"))
        topic = self.rng.choice(TOPICS)
        pressed = message["message_id"]
        message = await self.press(
            message, f":topic:{topic}", lambda kind, m: kind == "edit" and m["message_id"] == pressed
        )
        message = await self.press(message, ":topics_done", new_message)
        message = await self.say(str(self.rng.randint(8, 40)), new_with(":save"))
        await self._confirm(message)

    async def log_help(self) -> None:
        message = await self.say("/ghigiup", new_with(":date:today"))
        message = await self.press(message, ":date:today", new_with(":kind:"))
        message = await self.press(message, f":kind:{self.rng.choice(KINDS)}", new_message)
        message = await self.say(f"{self.rng.randint(1, 15)} người", new_with(":save"))
        await self.press(message, ":save", saved_or_twin)

    async def free_text(self) -> None:
        topic = self.rng.choice(list(TOPIC_WORDS))
        kind = self.rng.choice(list(HELP_WORDS))
        text = (
            f"hôm nay thôn {self.village} học {TOPIC_WORDS[topic]} {self.rng.randint(8, 40)} người, "
            f"giúp {self.rng.randint(1, 12)} người {HELP_WORDS[kind]}"
        )
        message = await self.say(text, new_with(":save"))
        await self._confirm(message)

    async def _confirm(self, read_back: dict[str, Any]) -> None:
        message = await self.press(read_back, ":save", saved_or_twin)
        if _data(message, ":again") is not None:  # "log it again?" — yes, it was a second session
            await self.press(message, ":again", saved_or_twin)

    async def live(self, echo: bool, stop: asyncio.Event) -> None:
        flows = {"text": self.free_text, "session": self.log_session, "help": self.log_help}
        names, weights = list(MIX), list(MIX.values())
        while not stop.is_set():
            name = "echo" if echo else self.rng.choices(names, weights)[0]
            try:
                await (self.echo() if echo else flows[name]())
                self.stats.by_flow[name] = self.stats.by_flow.get(name, 0) + 1
            except (TimeoutError, StepFailed) as error:
                self.stats.errors += 1
                if self.stats.errors <= 5:
                    print(f"  person {self.user_id}: {type(error).__name__}: {error}", file=sys.stderr)
                if not echo and not stop.is_set():
                    with contextlib.suppress(StepFailed, asyncio.TimeoutError):
                        await self.say("/huy", new_message)
