"""Two senders on one PostgreSQL database: one SIGKILLed mid-send, the other sends its rows once their lease ran
out (nothing lost, each chat in order, doubles only the messages in flight at the kill); each token's global
rate holds across both."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter

from sqlalchemy import func
from sqlmodel import col, select

from bot.sandbox.fake_telegram import FakeTelegram
from storage.db import Database
from storage.models import OutboxMessage
from tests.app.conftest import wait_until
from tests.helpers import served
from tests.multi_instance.conftest import enqueue_chats
from tests.multi_instance.sending_instance import TOKEN, build_sender, telegram_bot

WORKERS = 6
CHILD = [sys.executable, "-m", "tests.multi_instance.sending_instance"]


def unsent(database: Database) -> int:
    with database.session() as session:
        query = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.status) != "sent")
        return int(session.exec(query).one())


def sequences(fake: FakeTelegram, chats: list[str]) -> dict[str, list[str]]:
    return {chat: [message["text"] for message in fake.bot_messages(int(chat))] for chat in chats}


async def test_a_killed_senders_rows_go_out_from_the_other_nothing_lost_in_order_doubles_bounded(
    pg_url: str, pg: Database
) -> None:
    chats = [str(700_000 + n) for n in range(40)]
    fake = FakeTelegram(token=TOKEN)
    for chat in chats:
        fake.add_user(int(chat), "Người nhận")
    async with served(fake) as api:
        enqueue_chats(pg, chats, per_chat=8)  # 320 messages, 8 per chat in order
        killed = subprocess.Popen(
            [*CHILD, pg_url, api.url, "killed", "--lease", "2", "--rate", "60", "--workers", str(WORKERS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        )
        try:
            await wait_until(lambda: len(fake.calls_to("sendMessage")) >= 100, timeout=60, what="sends under way")
            killed.kill()  # SIGKILL: no stop, no release; its leases run out on their own
            killed.wait(10)
        finally:
            if killed.poll() is None:
                killed.kill()
        at_kill, kill_time = len(fake.calls_to("sendMessage")), time.monotonic()
        bot = telegram_bot(api.url, WORKERS)
        await bot.initialize()
        survivor = build_sender(pg, bot, "survivor", lease=2.0, rate=60.0, workers=WORKERS)
        await survivor.start()
        try:
            await wait_until(lambda: len(fake.calls_to("sendMessage")) > at_kill, timeout=30, what="the takeover")
            takeover = time.monotonic() - kill_time
            await wait_until(lambda: unsent(pg) == 0, timeout=60, what="every row sent")
        finally:
            await survivor.stop()
            await bot.shutdown()
    texts = sequences(fake, chats)
    expected = {chat: [f"{chat} #{n:03d}" for n in range(8)] for chat in chats}
    doubled = sum(len(sent) - 8 for sent in texts.values())
    print(f"sends before the kill {at_kill}, takeover after {takeover:.1f} s (lease 2 s), doubled {doubled}")
    for chat, sent in texts.items():
        assert set(sent) == set(expected[chat]), chat  # nothing lost
        deduplicated = [text for i, text in enumerate(sent) if i == 0 or text != sent[i - 1]]
        assert deduplicated == expected[chat], chat  # in order; a double only right after its first copy
        assert len(sent) - 8 <= 1, chat  # at most the one message in flight in the chat
    assert doubled <= WORKERS  # one chat in flight per worker of the killed instance


async def test_the_tokens_rate_holds_across_two_senders(pg: Database) -> None:
    """The fake answers 429 beyond 40 sends a second; two senders each allowed 36 a second (90% of it) would send
    72 a second together without the shared pace."""
    chats = [str(800_000 + n) for n in range(160)]
    fake = FakeTelegram(token=TOKEN, rate_limit_per_second=40.0, rate_limit_burst=40.0)
    for chat in chats:
        fake.add_user(int(chat), "Người nhận")
    async with served(fake) as api:
        enqueue_chats(pg, chats, per_chat=1)
        bots = [telegram_bot(api.url, WORKERS) for _ in range(2)]
        senders = []
        for number, bot in enumerate(bots):
            await bot.initialize()
            # Few rows in hand at once, so that both senders take part in the fan-out.
            senders.append(build_sender(pg, bot, f"s{number}", lease=15.0, rate=36.0, workers=WORKERS, max_claimed=8))
        for sender in senders:
            await sender.start()
        try:
            await wait_until(lambda: unsent(pg) == 0, timeout=60, what="every row sent")
        finally:
            for sender in senders:
                await sender.stop()
            for bot in bots:
                await bot.shutdown()
    shares = Counter({f"s{n}": sender.stats["sent"] for n, sender in enumerate(senders)})
    print(f"sent by each sender {dict(shares)}, answered 429: {fake.rate_limited_count}")
    assert sum(shares.values()) == len(chats) and min(shares.values()) > 0
    assert fake.rate_limited_count == 0
