"""Group messages within the platform's limit for groups (Telegram: 20 a minute per group), paced by the sender and
never dropped: no 60 seconds hold more than 20 messages to one group; a group the channel has not heard from since
start-up (a Zalo group after a restart) is paced as a group because its reminder says it goes to a group."""

from __future__ import annotations

import bisect

from bot.clock import SystemClock
from bot.outbox_sender import OutboxSender
from bot.pacing import Pacer
from bot.settings import RateLimits
from storage import outbox
from storage.db import Database
from storage.outbox import TO_GROUP, OutboxItem

FAST = RateLimits(global_per_second=1e6, private_chat_per_second=1e6, private_chat_burst=3, group_per_minute=1e6)


def test_no_minute_holds_more_than_twenty_messages_to_one_group() -> None:
    pacer = Pacer(RateLimits(), is_group=lambda channel, chat: chat.startswith("-"))
    group, now, sent = ("telegram", "-100"), 0.0, []
    for _ in range(100):  # a sender that sends each message as soon as the pacer lets it
        now += pacer.chat_wait(group, "message", now)
        pacer.take_chat(group, "message", now)
        sent.append(now)
    assert sent[:3] == [0.0, 0.0, 0.0]  # a reply of three messages goes out at once
    busiest = max(bisect.bisect_left(sent, start + 60.0) - index for index, start in enumerate(sent))
    assert 18 <= busiest <= 20
    assert len(sent) == 100 and sent[-1] < 100 * 3.6  # paced, none dropped, near the limit


class Recorder:
    """A Zalo renderer that knows no group (as after a restart) and records what it delivered."""

    channel = "zalo"

    def __init__(self) -> None:
        self.delivered: list[str] = []

    async def deliver(self, item: OutboxItem) -> None:
        self.delivered.append(item.chat_id)


async def test_a_reminder_to_a_group_is_paced_as_a_group_on_any_channel(database: Database) -> None:
    with database.session() as session:
        for chat_id, payload in (("zg-1", {"text": "nhắc nhóm", TO_GROUP: True}), ("777", {"text": "nhắc riêng"})):
            outbox.enqueue(
                session,
                channel="zalo",
                chat_id=chat_id,
                kind="message",
                payload=payload,
                now=SystemClock().now(),
                idempotency_key=f"reminder:test:{chat_id}",
            )
    renderer = Recorder()
    sender = OutboxSender(database, SystemClock(), FAST, [renderer])
    await sender.start()
    try:
        assert await sender.drain(10)
    finally:
        await sender.stop()
    assert sorted(renderer.delivered) == ["777", "zg-1"]
    assert sender.pacer.is_group("zalo", "zg-1") and not sender.pacer.is_group("zalo", "777")
