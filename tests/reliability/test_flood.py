"""Flood control end to end: one person sends 300 updates in a burst (messages and presses of a «Đúng»-like
button) through the fake Bot API, while someone else chats normally. At most the documented number is
processed (a burst of 10, then 30 a minute: with the limiter's clock held still, exactly 10), the flooder is
told exactly once, the other person is answered every time, and the database is written a bounded number of
times, not once per update. The same on Zalo, through its webhook.

The limiter's clock is injected (`flood_clock`), so nothing sleeps; the rest of the bot runs on real time.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.app import BotApplication, build_application
from bot.config import Config, FloodLimits
from storage.models import ProcessedUpdate
from tests.app.conftest import FAST_LIMITS, FakeApi, db_url, echo_router, fake_api, fake_options, free_port, wait_until  # noqa: F401
from tests.zalo.conftest import SECRET as ZALO_SECRET
from tests.zalo.conftest import ZaloApi, zalo_api, zalo_options  # noqa: F401

pytestmark = pytest.mark.reliability

LIMITS = FloodLimits()  # the documented default: 30 a minute after a burst of 10
FLOODER, OTHER = 4001, 4002
SENT = 300
NOTICE = "Bạn gửi nhanh quá"


class HeldClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.seconds = 50_000.0

    def __call__(self) -> float:
        return self.seconds


class WriteCounter:
    """Counts the statements that change the database (INSERT, UPDATE, DELETE) on an engine."""

    def __init__(self, app: BotApplication) -> None:
        self.writes = 0
        event.listen(app.database.engine, "before_cursor_execute", self._seen)

    def _seen(self, connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.writes += 1


async def _start(config: Config, clock: HeldClock) -> BotApplication:
    app = build_application(
        config, router=echo_router, sender_options={"base_backoff": 0.02}, drain_on_stop=1.0, flood_clock=clock
    )
    await app.start()
    return app


def _processed(app: BotApplication) -> int:
    with app.database.session() as session:
        return len(session.exec(select(ProcessedUpdate)).all())


async def test_a_burst_of_300_on_telegram(db_url: str, fake_api: FakeApi) -> None:  # noqa: F811
    fake, clock = fake_api.fake, HeldClock()
    config = Config(
        database_url=db_url,
        telegram_token=fake.token,
        telegram_api_base_url=fake_api.base_url,
        web_port=0,
        demo_data=False,
        rate_limits=FAST_LIMITS,
        flood=LIMITS,
    )
    app = await _start(config, clock)
    try:
        fake.user_says(FLOODER, "bắt đầu")
        [first] = await fake.wait_for_bot_messages(FLOODER, 1)
        writes = WriteCounter(app)
        last = other_last = None
        for n in range(1, SENT):
            if n % 3 == 0:  # a press of the read-back's button, again and again
                last = fake.user_presses(FLOODER, first["message_id"], "again", strict=False)
            else:
                last = fake.user_says(FLOODER, f"tin {n}")
            if n % 60 == 0:
                other_last = fake.user_says(OTHER, f"người khác {n}")
        await fake.wait_until_acknowledged(last, timeout=60)  # every update acknowledged, none left to redeliver
        await fake.wait_until_acknowledged(other_last, timeout=60)
        assert await app.sender.drain()
        processed = _processed(app) - len(range(60, SENT, 60))  # less the other person's messages
        notices = [m for m in fake.bot_messages(FLOODER) if m["text"].startswith(NOTICE)]
        others = [m["text"] for m in fake.bot_messages(OTHER)]
        print(
            f"\nflood: {SENT} sent, {processed} processed, {len(notices)} notice "
            f"(telegram; {writes.writes} database writes for the burst, limit {LIMITS.burst} at once "
            f"then {LIMITS.per_minute:g}/min)"
        )
        assert processed <= LIMITS.burst  # the limiter's clock stood still: no refill
        assert len(notices) == 1
        assert others == [f"echo: người khác {n}" for n in range(60, SENT, 60)]
        assert writes.writes <= 12 * (processed + 4 + 1)  # a handful per processed update, none per dropped one
        assert app.flood_gate is not None and app.flood_gate.dropped == SENT - processed

        # Two seconds later there is room for one more (30 a minute), and no second notice in this episode.
        clock.seconds += 2.0
        fake.user_says(FLOODER, "đã đợi")
        await wait_until(
            lambda: any(m["text"] == "echo: đã đợi" for m in fake.bot_messages(FLOODER)),
            what="the next message answered",
        )
        assert len([m for m in fake.bot_messages(FLOODER) if m["text"].startswith(NOTICE)]) == 1
    finally:
        await app.stop()


async def test_a_burst_on_the_zalo_webhook(db_url: str, zalo_api: ZaloApi) -> None:  # noqa: F811
    fake, clock = zalo_api.fake, HeldClock()
    port = free_port()
    config = Config(
        database_url=db_url,
        zalo_token=fake.token,
        zalo_api_base_url=zalo_api.base_url,
        zalo_mode="webhook",
        zalo_secret_token=ZALO_SECRET,
        web_port=port,
        public_url=f"http://127.0.0.1:{port}",
        demo_data=False,
        rate_limits=FAST_LIMITS,
    )
    app = await _start(replace(config, flood=LIMITS), clock)
    try:
        flooder, other = "f100d00001", "0the400002"
        ids = [fake.user_says(flooder, f"tin {n}") for n in range(100)]
        other_ids = [fake.user_says(other, "xin chào")]
        for message_id in ids + other_ids:
            await fake.wait_until_delivered(message_id, timeout=60)  # answered 200: Zalo will not send it again
        assert await app.sender.drain()
        echoes = [t for t in fake.bot_texts(flooder) if t.startswith("echo:")]
        notices = [t for t in fake.bot_texts(flooder) if t.startswith(NOTICE)]
        print(f"\nflood: 100 sent, {len(echoes)} processed, {len(notices)} notice (zalo webhook)")
        assert len(echoes) <= LIMITS.burst and len(notices) == 1
        assert [t.split("\n")[0] for t in fake.bot_texts(other)] == ["echo: xin chào"]  # its choices below
        assert all(attempt.get("status") == 200 for attempt in fake.webhook_attempts)
    finally:
        await app.stop()
