"""The outbox sender on its own, with a scripted renderer (a real ChannelRenderer that records deliveries)."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import threading
import time
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.channels.base import PermanentError, RetryAfter, SendTimedOut, TransientError, Unreachable
from bot.clock import FixedClock, SystemClock
from bot.config import RateLimits
from bot.outbox_sender import OutboxSender
from bot.pacing import Pacer
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage
from storage.outbox import DueScan, OutboxItem
from tests.app.conftest import outbox_rows

FAST = RateLimits(
    global_per_second=10000.0, private_chat_per_second=10000.0, private_chat_burst=100, group_per_minute=600000.0
)


class ScriptedRenderer:
    """Delivers by recording; fails items whose text is scripted; checks one item per chat in flight."""

    channel = "telegram"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.delivered: list[tuple[str, str, float]] = []  # (chat, text, monotonic time)
        self.failures: dict[str, list[Exception]] = {}
        self.attempts: list[tuple[str, float]] = []
        self.in_flight: collections.Counter[str] = collections.Counter()
        self.overlaps = 0
        self.peak = 0  # the most deliveries in flight at once, over all chats

    def is_group_chat(self, chat_id: str) -> bool:
        return chat_id.startswith("-")

    async def deliver(self, item: OutboxItem) -> None:
        text = item.payload.get("text") or item.kind
        self.in_flight[item.chat_id] += 1
        if self.in_flight[item.chat_id] > 1:
            self.overlaps += 1
        self.peak = max(self.peak, sum(self.in_flight.values()))
        try:
            self.attempts.append((text, time.monotonic()))
            if self.delay:
                await asyncio.sleep(self.delay)
            script = self.failures.get(text)
            if script:
                raise script.pop(0)
            self.delivered.append((item.chat_id, text, time.monotonic()))
        finally:
            self.in_flight[item.chat_id] -= 1

    def texts(self, chat: str | None = None) -> list[str]:
        return [text for c, text, _ in self.delivered if chat is None or c == chat]


REMINDER_KEY = "reminder:weekly_session:2026-W48:1:m7"


def put(
    database: Database,
    chat_id: str,
    text: str,
    kind: str = "message",
    now: dt.datetime | None = None,
    key: str | None = None,
) -> int:
    """Write one item to the outbox (with an idempotency key: a reminder or a notice), as its own commit."""
    with database.session() as session:
        payload: dict[str, Any] = {"text": text} if kind != "answer_callback" else {"callback_id": text}
        item = outbox.enqueue(
            session,
            channel="telegram",
            chat_id=chat_id,
            kind=kind,
            payload=payload,
            now=now or SystemClock().now(),
            idempotency_key=key,
        )
        if item is None:
            raise ValueError("each test uses an idempotency key once")
        return item.id


async def started(
    database: Database, renderer: ScriptedRenderer, limits: RateLimits = FAST, clock: Any = None, **options: Any
) -> OutboxSender:
    sender = OutboxSender(database, clock or SystemClock(), limits, [renderer], **{"base_backoff": 0.01, **options})
    await sender.start()
    return sender


async def test_order_per_chat_survives_transient_failures(database: Database) -> None:
    renderer = ScriptedRenderer(delay=0.001)
    renderer.failures["a2"] = [TransientError("502"), TransientError("timeout"), TransientError("502")]
    for n in range(1, 6):
        for chat in ("a", "b", "c"):
            put(database, chat, f"{chat}{n}")
    sender = await started(database, renderer, workers=4)
    try:
        assert await sender.drain(10, include_waiting=True)
    finally:
        await sender.stop()
    for chat in ("a", "b", "c"):
        assert renderer.texts(chat) == [f"{chat}{n}" for n in range(1, 6)]
    assert renderer.overlaps == 0
    # a3..a5 were never tried before a2 went through
    tried = [text for text, _ in renderer.attempts if text.startswith("a")]
    assert tried == ["a1", "a2", "a2", "a2", "a2", "a3", "a4", "a5"]
    assert [r.attempts for r in outbox_rows(database) if r.payload["text"] == "a2"] == [3]


async def test_private_chat_rate_and_burst(database: Database) -> None:
    limits = RateLimits(
        global_per_second=10000.0, private_chat_per_second=20.0, private_chat_burst=2, group_per_minute=600.0
    )
    renderer = ScriptedRenderer()
    for n in range(6):
        put(database, "7", f"m{n}")
        put(database, "7", f"cb{n}", kind="answer_callback")  # not counted per chat
    for n in range(4):
        put(database, "-100", f"g{n}")
    sender = await started(database, renderer, limits)
    try:
        assert await sender.drain(10)
    finally:
        await sender.stop()
    times = {text: at for _, text, at in renderer.delivered}
    assert renderer.texts("7")[0::2] == [f"m{n}" for n in range(6)]
    # A two-message reply goes out at once (the burst), then 20 a second: m1 does not wait for a token.
    assert times["m1"] - times["m0"] < times["m5"] - times["m1"]
    assert times["m5"] - times["m0"] >= (6 - 2) / 20.0 - 0.01
    assert times["g3"] - times["g0"] >= (4 - 2) / 10.0 - 0.01  # groups: 600 a minute here, burst 2


async def test_chats_are_sent_in_parallel(database: Database) -> None:
    limits = RateLimits(
        global_per_second=10000.0, private_chat_per_second=1.0, private_chat_burst=2, group_per_minute=20.0
    )
    renderer = ScriptedRenderer(delay=0.02)
    for chat in range(16):
        put(database, str(chat), f"{chat}-1")
        put(database, str(chat), f"{chat}-2")
    sender = await started(database, renderer, limits, workers=16)
    try:
        assert await sender.drain(10)
    finally:
        await sender.stop()
    assert len(renderer.delivered) == 32
    assert renderer.peak >= 4  # several chats in flight at once (one at a time would take 32 x 20 ms)
    assert renderer.overlaps == 0  # but never two of one chat


async def test_retry_after_pauses_the_channel(database: Database) -> None:
    renderer = ScriptedRenderer()
    renderer.failures["first"] = [RetryAfter(0.3)]
    put(database, "1", "first")
    sender = await started(database, renderer)
    try:
        while not renderer.attempts:
            await asyncio.sleep(0.005)
        refused_at = renderer.attempts[0][1]
        put(database, "2", "other chat")
        sender.notify()
        assert await sender.drain(5, include_waiting=True)
    finally:
        await sender.stop()
    times = {text: at for _, text, at in renderer.delivered}
    assert times["other chat"] - refused_at >= 0.29  # the whole channel waited
    assert times["first"] - refused_at >= 0.29
    assert sender.stats["retry_after"] == 1


async def test_fixed_clock_and_notify(database: Database) -> None:
    clock = FixedClock(dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC))
    renderer = ScriptedRenderer()
    renderer.failures["x"] = [TransientError("503")]
    put(database, "5", "x", now=clock.now())
    put(database, "5", "y", now=clock.now())
    sender = await started(database, renderer, clock=clock, base_backoff=60.0, poll_interval=0.05)
    try:
        assert await sender.drain(5)  # nothing due: x waits 60 s (on the fixed clock), y waits behind it
        await asyncio.sleep(0.1)
        assert renderer.delivered == []
        [x, y] = outbox_rows(database)
        assert x.next_attempt_at == clock.now() + dt.timedelta(seconds=60) and y.attempts == 0
        clock.advance(dt.timedelta(minutes=2))
        sender.notify()
        assert await sender.drain(5)
    finally:
        await sender.stop()
    assert renderer.texts() == ["x", "y"]


async def test_notify_from_another_thread_wakes_the_sender(database: Database) -> None:
    renderer = ScriptedRenderer()
    sender = await started(database, renderer, poll_interval=30.0)
    try:
        await asyncio.sleep(0.05)  # the first scan is over; the next poll is 30 s away

        def engine_thread() -> None:
            put(database, "9", "from a worker thread")
            sender.notify()

        thread = threading.Thread(target=engine_thread)
        thread.start()
        thread.join()
        deadline = time.monotonic() + 2
        while not renderer.delivered and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        assert renderer.texts() == ["from a worker thread"]
    finally:
        await sender.stop()


async def test_permanent_errors_and_crashes(database: Database) -> None:
    renderer = ScriptedRenderer()
    renderer.failures["bad"] = [PermanentError("Bad Request: message text is empty")]
    renderer.failures["buggy"] = [ValueError("a bug in a renderer")]
    for text in ("bad", "after bad", "buggy", "after buggy"):
        put(database, "3", text)
    sender = await started(database, renderer)
    try:
        assert await sender.drain(5, include_waiting=True)
    finally:
        await sender.stop()
    assert renderer.texts() == ["after bad", "buggy", "after buggy"]  # a crash is retried like a 5xx
    statuses = {r.payload["text"]: (r.status, r.attempts) for r in outbox_rows(database)}
    assert statuses["bad"] == ("failed", 0) and statuses["buggy"] == ("sent", 1)


async def test_stop_finishes_the_item_in_flight(database: Database) -> None:
    renderer = ScriptedRenderer(delay=0.2)
    put(database, "4", "slow")
    put(database, "4", "later")
    sender = await started(database, renderer)
    while not renderer.attempts:
        await asyncio.sleep(0.005)
    await sender.stop()
    assert renderer.texts() == ["slow"]
    assert [r.status for r in outbox_rows(database)] == ["sent", "pending"]  # "later" waits for the next start
    await sender.start()
    try:
        assert await sender.drain(5)
    finally:
        await sender.stop()
    assert renderer.texts() == ["slow", "later"]


def committed(database: Database, chat_id: str, *texts: str) -> list[OutboxItem]:
    """Items written in one unit of work, as the engine hands them over after its commit."""
    with database.session() as session:
        for text in texts:
            outbox.enqueue(
                session,
                channel="telegram",
                chat_id=chat_id,
                kind="message",
                payload={"text": text},
                now=SystemClock().now(),
            )
        items = list(session.info[outbox.NEW_ITEMS])
    assert all(item.id is not None for item in items)
    return items


async def test_handed_items_go_out_without_reading_them_back(database: Database) -> None:
    renderer = ScriptedRenderer()
    sender = await started(database, renderer, poll_interval=60.0)
    reads: list[tuple[Any, ...]] = []
    fetch = sender.store.scan

    def counted_scan(*args: Any) -> DueScan:
        reads.append(args)
        return fetch(*args)

    sender.store.scan = counted_scan  # type: ignore[method-assign,assignment]  # counts the sender's reads
    try:
        assert await sender.drain(5)
        for _ in range(200):  # the start-up scan has read the outbox
            if reads:
                break
            await asyncio.sleep(0.005)
        assert reads
        reads.clear()
        sender.handoff(committed(database, "7", "một", "hai"))
        sender.handoff(committed(database, "8", "ba"))
        for _ in range(200):
            if len(renderer.delivered) == 3:
                break
            await asyncio.sleep(0.01)
        assert renderer.texts("7") == ["một", "hai"] and renderer.texts("8") == ["ba"]
        assert reads == []  # nothing was read back from the outbox
        assert await sender.drain(5)
    finally:
        await sender.stop()
    assert [row.status for row in outbox_rows(database)] == ["sent"] * 3


async def test_an_item_both_handed_and_read_is_sent_once(database: Database) -> None:
    renderer = ScriptedRenderer(delay=0.002)
    sender = await started(database, renderer)
    try:
        for n in range(30):
            items = committed(database, str(n % 3), f"m{n}")
            if n % 2:
                sender.notify()  # a read may find it before, while or after it is handed over
            sender.handoff(items)
            if n % 5 == 0:
                await asyncio.sleep(0.003)
        assert await sender.drain(10)
    finally:
        await sender.stop()
    for chat in range(3):
        assert renderer.texts(str(chat)) == [f"m{n}" for n in range(30) if n % 3 == chat]
    assert renderer.overlaps == 0


async def test_a_handed_item_waits_behind_its_chats_retry(database: Database) -> None:
    renderer = ScriptedRenderer()
    renderer.failures["first"] = [TransientError("502")]
    sender = await started(database, renderer, base_backoff=0.2)
    try:
        put(database, "7", "first")
        sender.notify()
        for _ in range(200):
            if renderer.attempts:
                break
            await asyncio.sleep(0.005)
        sender.handoff(committed(database, "7", "second"))
        assert await sender.drain(10, include_waiting=True)
    finally:
        await sender.stop()
    assert renderer.texts("7") == ["first", "second"]


async def test_an_item_another_writer_committed_first_goes_first(database: Database) -> None:
    renderer = ScriptedRenderer()
    gate = asyncio.Event()
    deliver = renderer.deliver

    async def slow_first(item: OutboxItem) -> None:
        if item.payload.get("text") == "busy":
            await gate.wait()
        await deliver(item)

    renderer.deliver = slow_first  # type: ignore[method-assign]  # the first item waits for the gate
    sender = await started(database, renderer, workers=1, poll_interval=60.0)
    try:
        assert await sender.drain(5)
        sender.handoff(committed(database, "9", "busy"))  # holds the only worker
        await asyncio.sleep(0.05)
        early = put(database, "7", "reminder")  # committed before the reply below, not yet read
        sender.handoff(committed(database, "7", "reply"))
        await asyncio.sleep(0.05)
        sender.notify()  # the reminder's writer tells the sender
        await asyncio.sleep(0.05)
        gate.set()
        assert await sender.drain(10)
    finally:
        await sender.stop()
    assert early is not None
    assert renderer.texts("7") == ["reminder", "reply"]


async def test_a_held_item_waits_without_holding_back_its_chat(database: Database) -> None:
    clock = FixedClock(dt.datetime(2026, 11, 25, 14, 30, tzinfo=dt.UTC))  # 21:30 in Hà Nội
    morning = dt.datetime(2026, 11, 26, 0, 0, tzinfo=dt.UTC)  # 07:00 in Hà Nội

    def hold(item: Any, now: dt.datetime) -> dt.datetime | None:
        return morning if (item.idempotency_key or "").startswith("reminder:") and now < morning else None

    put(database, "7", "nhắc", now=clock.now(), key=REMINDER_KEY)
    put(database, "7", "trả lời", now=clock.now())
    renderer = ScriptedRenderer()
    sender = await started(database, renderer, clock=clock, poll_interval=0.05, hold=hold)
    try:
        assert await sender.drain(5)
        assert renderer.texts("7") == ["trả lời"]  # the reply went; the reminder did not hold it back
        held = [row for row in outbox_rows(database) if row.idempotency_key]
        assert [(row.status, row.next_attempt_at) for row in held] == [("held", morning)]
        await asyncio.sleep(0.2)  # full scans come and go: still night
        assert renderer.texts("7") == ["trả lời"]
        clock.set(morning)
        for _ in range(400):
            if len(renderer.delivered) == 2:
                break
            await asyncio.sleep(0.01)
        assert await sender.drain(5)
    finally:
        await sender.stop()
    assert renderer.texts("7") == ["trả lời", "nhắc"]
    assert [row.status for row in outbox_rows(database)] == ["sent", "sent"]
    assert sender.stats["held"] == 1


async def test_a_held_item_is_released_after_a_restart(database: Database) -> None:
    clock = FixedClock(dt.datetime(2026, 11, 26, 0, 5, tzinfo=dt.UTC))
    item_id = put(database, "7", "nhắc", now=clock.now(), key=REMINDER_KEY)
    with database.session() as session:
        outbox.hold(session, item_id, dt.datetime(2026, 11, 26, 0, 0, tzinfo=dt.UTC))
    renderer = ScriptedRenderer()
    sender = await started(database, renderer, clock=clock, poll_interval=0.05)
    try:
        for _ in range(400):
            if renderer.delivered:
                break
            await asyncio.sleep(0.01)
        assert await sender.drain(5)
    finally:
        await sender.stop()
    assert renderer.texts("7") == ["nhắc"]


async def test_a_reply_goes_before_a_fan_out_of_reminders(database: Database) -> None:
    limits = RateLimits(
        global_per_second=50.0, private_chat_per_second=10000.0, private_chat_burst=100, group_per_minute=600000.0
    )
    with database.session() as session:
        for n in range(150):
            outbox.enqueue(
                session,
                channel="telegram",
                chat_id=str(1000 + n),
                kind="message",
                payload={"text": f"nhắc {n}"},
                now=SystemClock().now(),
                idempotency_key=f"reminder:weekly_session:2026-W48:1:m{n}",
            )
    renderer = ScriptedRenderer()
    sender = await started(database, renderer, limits, workers=2, max_claimed=40)
    try:
        while len(renderer.delivered) < 5:
            await asyncio.sleep(0.005)
        before = len(renderer.delivered)
        sender.handoff(committed(database, "7", "trả lời"))
        for _ in range(1000):
            if "trả lời" in renderer.texts():
                break
            await asyncio.sleep(0.005)
        position = renderer.texts().index("trả lời")
    finally:
        await sender.stop()
    # Not behind the 145 reminders still queued, nor behind the ones already claimed: next, give or take
    # the few in flight when it arrived.
    assert position <= before + 6


async def test_a_timed_out_item_waits_the_settle_time_with_its_chat_behind_it(database: Database) -> None:
    """A send that got no answer may still land: its retry waits `timeout_settle`, and so does the rest of its
    chat; other chats go on meanwhile."""
    renderer = ScriptedRenderer()
    renderer.failures["treo"] = [SendTimedOut("no answer in time")]
    put(database, "7", "treo")
    put(database, "7", "sau")
    put(database, "8", "khác")
    sender = await started(database, renderer, timeout_settle=0.3)
    try:
        assert await sender.drain(10, include_waiting=True)
    finally:
        await sender.stop()
    assert renderer.texts("7") == ["treo", "sau"] and renderer.texts("8") == ["khác"]
    tries = [at for text, at in renderer.attempts if text == "treo"]
    assert len(tries) == 2 and tries[1] - tries[0] >= 0.29  # not before the settle time (base backoff 0.01)
    [(_, _, later)] = [d for d in renderer.delivered if d[1] == "sau"]
    assert later >= tries[1]  # the chat's next item only after the retry
    assert sender.stats["timed_out"] == 1 and renderer.overlaps == 0


class HangingOnceRenderer(ScriptedRenderer):
    """Its first delivery never answers (a renderer without a time-out of its own); the rest go through."""

    async def deliver(self, item: OutboxItem) -> None:
        if not self.attempts:
            self.attempts.append((item.payload.get("text") or item.kind, time.monotonic()))
            await asyncio.sleep(3600)
        await super().deliver(item)


async def test_the_senders_own_deadline_counts_as_a_time_out(database: Database) -> None:
    renderer = HangingOnceRenderer()
    put(database, "9", "một")
    put(database, "9", "hai")
    sender = await started(database, renderer, deliver_timeout=0.1, timeout_settle=0.05)
    try:
        assert await sender.drain(10, include_waiting=True)
    finally:
        await sender.stop()
    assert renderer.texts("9") == ["một", "hai"]
    assert sender.stats["timed_out"] == 1
    assert [(r.status, r.attempts) for r in outbox_rows(database)] == [("sent", 1), ("sent", 0)]


async def test_sent_items_are_marked_at_once_and_the_window_is_measured(database: Database) -> None:
    """Every item is marked after its answer without waiting for a batch to fill; `mark_lag()` measures the
    window in which a crash would send it again."""
    renderer = ScriptedRenderer()
    for n in range(30):
        put(database, str(n % 5), f"m{n}")
    sender = await started(database, renderer)
    try:
        assert await sender.drain(10)
        lag = sender.mark_lag()
    finally:
        await sender.stop()
    assert [r.status for r in outbox_rows(database)] == ["sent"] * 30
    assert lag["count"] == 30 and 0 <= lag["mean"] <= lag["p99"] <= lag["max"]
    assert sender.flush_interval == 0  # no gathering pause: the window is one small transaction


class MarkCheckingRenderer(ScriptedRenderer):
    """Records, for every delivery, the earlier items of its chat that were not yet marked sent."""

    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database
        self.unmarked_before: list[int] = []

    async def deliver(self, item: OutboxItem) -> None:
        with self.database.session() as session:
            earlier = session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.chat_id == item.chat_id,
                    col(OutboxMessage.id) < item.id,
                    OutboxMessage.status != "sent",
                )
            ).all()
        self.unmarked_before.append(len(earlier))
        await super().deliver(item)


async def test_a_chats_next_item_waits_for_the_previous_ones_mark(database: Database) -> None:
    """So a crash finds at most one item per chat answered and not marked: the one sent again after restart."""
    renderer = MarkCheckingRenderer(database)
    for n in range(12):
        for chat in ("21", "22", "23"):
            put(database, chat, f"{chat}-{n}")
    sender = await started(database, renderer, workers=2)
    try:
        assert await sender.drain(10)
    finally:
        await sender.stop()
    assert len(renderer.delivered) == 36
    assert renderer.unmarked_before == [0] * 36


async def test_an_unreachable_chat_fails_with_its_queue_and_goes_to_the_hook(database: Database) -> None:
    renderer = ScriptedRenderer()
    renderer.failures["blocked"] = [Unreachable("Forbidden: bot was blocked by the user")]
    first = put(database, "5", "blocked")
    for text in ("later 1", "later 2"):
        put(database, "5", text)
    put(database, "6", "other chat")
    told: list[tuple[str, str, int]] = []

    def on_unreachable(session: Session, channel: str, chat_id: str, *, cause_item_id: int, now: dt.datetime) -> None:
        told.append((channel, chat_id, cause_item_id))

    sender = await started(database, renderer, on_unreachable=on_unreachable)
    try:
        assert await sender.drain(5, include_waiting=True)
    finally:
        await sender.stop()
    assert renderer.texts() == ["other chat"] and told == [("telegram", "5", first)]
    statuses = {r.payload["text"]: r.status for r in outbox_rows(database)}
    assert statuses == {"blocked": "failed", "later 1": "failed", "later 2": "failed", "other chat": "sent"}
    assert sender.stats["unreachable"] == 1


def test_pacing_per_chat_per_group_and_a_channel_pause() -> None:
    pacer = Pacer(
        RateLimits(global_per_second=2.0, private_chat_per_second=1.0, private_chat_burst=2, group_per_minute=30.0),
        is_group=lambda channel, chat: chat.startswith("-"),
    )
    chat, group = ("telegram", "7"), ("telegram", "-100")
    for _ in range(2):  # the burst
        assert pacer.chat_wait(chat, "message", 0.0) == 0.0
        pacer.take_chat(chat, "message", 0.0)
    assert pacer.chat_wait(chat, "message", 0.0) == 1.0
    assert pacer.chat_wait(chat, "answer_callback", 0.0) == 0.0  # adds no message to the chat
    for _ in range(2):
        pacer.take_chat(group, "message", 0.0)
    assert pacer.chat_wait(group, "message", 0.0) == pytest.approx(60 / 28)  # 30 a minute, burst included
    assert pacer.take_channel("telegram", 0.0) == 0.0 and pacer.take_channel("telegram", 0.0) == 0.0
    assert pacer.take_channel("telegram", 0.0) == 0.5  # the bot's overall rate
    pacer.pause("telegram", 5.0, 1.0)
    assert pacer.take_channel("telegram", 1.0) == 5.0 and pacer.take_channel("zalo", 1.0) == 0.0
    assert pacer.take_channel("telegram", 6.0) == 0.0


async def test_a_full_read_that_began_before_a_time_out_was_written_keeps_the_chat_behind_it(
    database: Database,
) -> None:
    """A full read that began before a timed-out item's retry was written does not see it waiting: the chat's
    next item, committed meanwhile, must still wait behind the retry the sender already knows of."""
    renderer = ScriptedRenderer()
    renderer.failures["treo"] = [SendTimedOut("no answer in time")]
    put(database, "7", "treo")
    sender = await started(database, renderer, timeout_settle=0.3, poll_interval=0.01)
    real_scan = sender.store.scan
    armed = threading.Event()

    def scan(now: dt.datetime, channels: list[str], claimed: frozenset[int], room: int, after_id: int | None) -> Any:
        if after_id is None and armed.is_set():  # a full read, begun while "treo" is in flight
            armed.clear()
            put(database, "7", "sau")  # the person's next reply is committed...
            time.sleep(0.2)  # ...and "treo" times out while this read is still on its way
        return real_scan(now, channels, claimed, room, after_id)

    sender.store.scan = scan  # type: ignore[method-assign]
    real_deliver = renderer.deliver

    async def deliver(item: OutboxItem) -> None:
        if item.payload.get("text") == "treo" and not renderer.attempts:
            armed.set()
            await asyncio.sleep(0.1)  # a full read begins (every 10 ms here), then the send times out
        await real_deliver(item)

    renderer.deliver = deliver  # type: ignore[method-assign]
    try:
        await asyncio.sleep(0.05)
        assert await sender.drain(10, include_waiting=True)
    finally:
        await sender.stop()
    assert not armed.is_set(), "the read the test needs did not happen"
    assert renderer.texts("7") == ["treo", "sau"]
