"""One instance's outbox sender, as `bdhvs run` wires it on PostgreSQL (leases, the token's shared rate, the
real Telegram renderer), in a process of its own so that a test or a benchmark can SIGKILL it mid-send.

    python -m tests.multi_instance.sending_instance DB_URL API_URL OWNER --lease 2 --rate 80 --workers 6

It prints "ready" once sending, then runs until killed (or until its standard input closes: a clean stop).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.channels.telegram import TelegramRenderer
from bot.clock import SystemClock
from bot.delivery.shared import Leases, SharedPace, token_key
from bot.outbox_sender import OutboxSender
from bot.settings import RateLimits
from storage.db import Database

TOKEN = "5550003:MULTI-instance-token"


def build_sender(
    database: Database, bot: Bot, owner: str, *, lease: float, rate: float, workers: int, **options: Any
) -> OutboxSender:
    """A sender of the token `TOKEN` with this instance's leases and the token's rate shared in the database."""
    pace = SharedPace(database, rate)
    pace.add("telegram", token_key("telegram", TOKEN))
    limits = RateLimits(
        global_per_second=rate, private_chat_per_second=1000.0, private_chat_burst=20, group_per_minute=6000.0
    )
    return OutboxSender(
        database,
        SystemClock(),
        limits,
        [TelegramRenderer(bot, database)],
        workers=workers,
        leases=Leases(owner, lease),
        shared_pace=pace,
        **options,
    )


def telegram_bot(api_url: str, workers: int) -> Bot:
    """The Bot API client the renderer sends with, against the fake at `api_url`."""
    request = HTTPXRequest(connection_pool_size=workers + 4, read_timeout=30, write_timeout=30, connect_timeout=30)
    return Bot(TOKEN, base_url=f"{api_url}/bot", request=request)


async def main(arguments: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {arguments.owner} %(name)s %(message)s")
    database = Database(arguments.db_url)
    bot = telegram_bot(arguments.api_url, arguments.workers)
    await bot.initialize()
    sender = build_sender(
        database, bot, arguments.owner, lease=arguments.lease, rate=arguments.rate, workers=arguments.workers
    )
    await sender.start()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until killed, or stdin closes
    await sender.stop()
    await bot.shutdown()
    database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db_url")
    parser.add_argument("api_url")
    parser.add_argument("owner")
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--rate", type=float, default=80.0)
    parser.add_argument("--workers", type=int, default=6)
    asyncio.run(main(parser.parse_args()))
