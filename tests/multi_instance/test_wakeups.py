"""Senders on one PostgreSQL database wake each other (LISTEN/NOTIFY, bot/delivery/wakeup.py): a reply committed
by one instance while another holds its chat goes out from the holder at once, not at the holder's next full read."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

from bot.clock import SystemClock
from bot.delivery.shared import Leases
from bot.delivery.wakeup import Wakeups
from bot.messages import Reply
from bot.outbox_sender import OutboxSender
from bot.settings import RateLimits
from storage import outbox
from storage.db import Database
from storage.outbox import OutboxItem
from tests.app.conftest import wait_until

CHAT = "810001"
NEVER = 3600.0  # the senders' full reads: not within a test


class GatedRenderer:
    """Records what each instance sends; holds the item whose text is `gated` until `gate` is set."""

    channel = "telegram"

    def __init__(self, owner: str, sent: list[tuple[str, str]], gate: asyncio.Event, gated: str) -> None:
        self.owner, self.sent, self.gate, self.gated = owner, sent, gate, gated
        self.holding = asyncio.Event()

    async def deliver(self, item: OutboxItem) -> None:
        text = str(item.payload.get("text"))
        if text == self.gated:
            self.holding.set()
            await self.gate.wait()
        self.sent.append((self.owner, text))


def sender(database: Database, owner: str, renderer: GatedRenderer) -> OutboxSender:
    limits = RateLimits(global_per_second=1000.0, private_chat_per_second=1000.0, private_chat_burst=20)
    return OutboxSender(
        database, SystemClock(), limits, [renderer], workers=2, poll_interval=NEVER, leases=Leases(owner, 30.0)
    )


def enqueue(database: Database, text: str) -> OutboxItem:
    with database.session() as session:
        item = outbox.enqueue(
            session,
            channel="telegram",
            chat_id=CHAT,
            kind=outbox.KIND_MESSAGE,
            payload=Reply(text).to_payload(),
            now=dt.datetime.now(dt.UTC),
            bot=None,
        )
    assert item is not None
    return item


def test_a_notice_reaches_the_other_instance_and_not_its_sender(pg: Database) -> None:
    heard = {"a": threading.Event(), "b": threading.Event()}
    first = {"a": True, "b": True}

    def woken(owner: str) -> None:
        if first[owner]:  # the read every listener makes once LISTEN is in force
            first[owner] = False
        else:
            heard[owner].set()

    a = Wakeups(pg, "a", lambda: woken("a"))
    b = Wakeups(pg, "b", lambda: woken("b"))
    a.start()
    b.start()
    try:
        assert a.wait_listening(10) and b.wait_listening(10)
        a.tell_others()
        assert heard["b"].wait(10)
        assert b.heard == 1 and a.heard == 0  # its own notice is not a wake-up
        assert not heard["a"].is_set()
    finally:
        a.stop()
        b.stop()
    assert a.told == 1


async def test_a_reply_committed_by_one_instance_goes_out_at_once_from_the_holder_of_its_chat(pg: Database) -> None:
    sent: list[tuple[str, str]] = []
    gate = asyncio.Event()
    renderer_a = GatedRenderer("a", sent, gate, "first")
    renderer_b = GatedRenderer("b", sent, gate, "first")
    a, b = sender(pg, "a", renderer_a), sender(pg, "b", renderer_b)
    await a.start()
    await b.start()
    try:
        assert a.wakeups is not None and b.wakeups is not None
        assert await asyncio.to_thread(a.wakeups.wait_listening, 10)
        assert await asyncio.to_thread(b.wakeups.wait_listening, 10)
        assert await a.drain(10) and await b.drain(10)  # the reads at start are done: nothing to send

        enqueue(pg, "first")
        b.notify()  # one of them (b, unless a is still reading after its drain) claims the row and holds it
        holding = asyncio.ensure_future(renderer_a.holding.wait()), asyncio.ensure_future(renderer_b.holding.wait())
        _done, waiting = await asyncio.wait(holding, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        for task in waiting:
            task.cancel()
        assert renderer_a.holding.is_set() != renderer_b.holding.is_set()
        holder, other = (a, b) if renderer_a.holding.is_set() else (b, a)
        name = "a" if holder is a else "b"

        second = enqueue(pg, "second")  # committed by the other's engine, while the holder has the chat
        other.handoff([second])
        await wait_until(lambda: holder.wakeups is not None and holder.wakeups.heard >= 1, timeout=10, what="woken")
        assert not other.claims.claimed  # the other left the row: its chat is the holder's

        gate.set()
        await wait_until(lambda: len(sent) == 2, timeout=10, what="both rows sent (full reads only hourly)")
        assert sent == [(name, "first"), (name, "second")]  # in order, from the holder, once each
    finally:
        gate.set()
        await a.stop()
        await b.stop()
