"""Failover: a fan-out of reminders on two instances sharing one PostgreSQL database, one SIGKILLed mid-way.

Both instances run the real outbox sender as `bdhvs run` wires it on PostgreSQL (rows claimed with leases, the
token's rate reserved in the database; tests/multi_instance/sending_instance.py), each in its own process,
against the fake Bot API served here, which enforces a scaled flood limit (400 a second by default) and counts
what arrives in each chat. Once half the messages went out, the instance holding the most rows is killed with
SIGKILL. Printed:

- seconds from the kill until the first of the rows it held goes out from the other (about the lease, 15 s by
  default: `--lease`), and until its last one;
- lost (goal 0) and doubled (goal: at most the messages it had in flight at the kill, printed: its rows the
  platform had already received and it had not marked sent);
- the achieved rate over the run against the limit (goal at least 0.9: the survivor goes on sending the rows it
  holds meanwhile, at the whole token's rate).

    python bench/failover.py --database-url postgresql://postgres@127.0.0.1:5432/bench
    python bench/failover.py --database-url ... --count 4000 --lease 5
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import datetime as dt
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web
from sqlalchemy import func, insert, text
from sqlmodel import col, select

from bot.messages import Reply
from bot.sandbox.fake_telegram import FakeTelegram
from storage.db import Database
from storage.migrate import upgrade
from storage.models import OutboxMessage
from tests.multi_instance.sending_instance import TOKEN

FIRST_CHAT = 90_000_000
WORKERS = 6
GOAL_RATIO = 0.9


def seed(database: Database, count: int) -> None:
    """One reminder per chat, each with its idempotency key, as the planner writes them."""
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "channel": "telegram",
            "chat_id": str(FIRST_CHAT + n),
            "kind": "message",
            "payload": Reply(f"Nhắc lịch buổi sinh hoạt tuần này #{n}").to_payload(),
            "idempotency_key": f"reminder:bench:{n}",
            "status": "pending",
            "attempts": 0,
            "created_at": now,
        }
        for n in range(count)
    ]
    with database.engine.begin() as connection:
        connection.execute(text("TRUNCATE outboxmessage, sendpace, botinstance"))
        connection.execute(insert(OutboxMessage.__table__), rows)  # type: ignore[attr-defined]


def held_by(database: Database) -> dict[str, list[int]]:
    """The rows still to send, by the instance holding them."""
    with database.session() as session:
        rows = session.exec(
            select(OutboxMessage.claimed_by, OutboxMessage.chat_id).where(
                col(OutboxMessage.status) == "pending", col(OutboxMessage.claimed_by).is_not(None)
            )
        ).all()
    found: dict[str, list[int]] = {}
    for owner, chat in rows:
        found.setdefault(str(owner), []).append(int(chat))
    return found


def unsent(database: Database) -> int:
    with database.session() as session:
        query = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.status) != "sent")
        return int(session.exec(query).one())


async def run(
    database_url: str, count: int, limit: float, lease: float, headroom: float, log_path: str | None = None
) -> dict[str, Any]:
    database = Database(database_url)
    upgrade(database)
    seed(database, count)
    fake = FakeTelegram(token=TOKEN, rate_limit_per_second=limit)
    for n in range(count):
        fake.add_user(FIRST_CHAT + n, first_name=f"U{n}")
    stamps: list[tuple[int, float]] = []  # (calls logged so far, when) at each accepted send

    @web.middleware
    async def clock_in(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        if request.match_info.get("method") == "sendMessage" and response.status == 200:
            stamps.append((len(fake.calls), time.perf_counter()))
        return response

    app = web.Application(middlewares=[clock_in])
    fake.add_route(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    host, port = runner.addresses[0][:2]
    api_url = f"http://{host}:{port}"
    rate = limit * headroom
    command = [sys.executable, "-m", "tests.multi_instance.sending_instance", database_url, api_url]
    options = ["--lease", str(lease), "--rate", str(rate), "--workers", str(WORKERS)]
    log = open(log_path, "w", encoding="utf-8") if log_path else subprocess.DEVNULL  # noqa: SIM115
    children = {
        owner: subprocess.Popen(
            [*command, owner, *options], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log
        )
        for owner in ("first", "second")
    }
    sent = lambda: len(fake.calls_to("sendMessage"))  # noqa: E731  # a counter read in the loops below
    try:
        while sent() < count // 2:
            await asyncio.sleep(0.01)
        holdings = await asyncio.to_thread(held_by, database)
        victim = max(children, key=lambda owner: len(holdings.get(owner, [])))
        children[victim].send_signal(signal.SIGKILL)
        children[victim].wait()
        killed_at, sent_at_kill = time.perf_counter(), sent()
        orphans = set((await asyncio.to_thread(held_by, database)).get(victim, []))
        # Its rows the platform already has (answered or in flight, not marked): the only ones that may double.
        in_flight = {chat for chat in orphans if fake.bot_message_count(chat)}
        waiting = orphans - in_flight
        deadline = time.perf_counter() + max(120.0, 4 * count / rate)
        while await asyncio.to_thread(unsent, database) and time.perf_counter() < deadline:
            await asyncio.sleep(0.2)
        finished = time.perf_counter()
    finally:
        for child in children.values():
            if child.poll() is None:
                child.kill()
                child.wait()
    await runner.cleanup()
    await fake.close()
    per_chat = [fake.bot_message_count(FIRST_CHAT + n) for n in range(count)]
    lost = sum(1 for n in per_chat if n == 0)
    doubled = sum(per_chat) - (count - lost)
    # When each call was answered: the first stamp taken once the log held it.
    calls, times = [n for n, _ in stamps], [t for _, t in stamps]
    orphan_times = sorted(
        times[min(len(times) - 1, bisect.bisect_left(calls, index + 1))]
        for index, (method, params) in enumerate(fake.calls)
        if method == "sendMessage" and int(params.get("chat_id", 0)) in waiting
    )
    orphan_times = [t for t in orphan_times if t >= killed_at]
    elapsed = times[-1] - times[0] if len(times) > 1 else float("nan")
    achieved = (len(times) - 1) / elapsed if len(times) > 1 else 0.0
    database.dispose()
    report: dict[str, Any] = {
        "count": count,
        "limit_per_s": limit,
        "sender_rate_per_s": rate,
        "lease_s": lease,
        "killed": victim,
        "sent_at_kill": sent_at_kill,
        "rows_held_by_the_killed": len(orphans),
        "first_of_its_rows_after_s": (orphan_times[0] - killed_at) if orphan_times else None,
        "last_of_its_rows_after_s": (orphan_times[-1] - killed_at) if orphan_times else None,
        "finished_after_kill_s": finished - killed_at,
        "lost": lost,
        "doubled": doubled,
        "in_flight_at_kill": len(in_flight),
        "answered_429": fake.rate_limited_count,
        "achieved_per_s": achieved,
        "ratio": achieved / limit,
    }
    report["goal_met"] = lost == 0 and doubled <= len(in_flight) and report["ratio"] >= GOAL_RATIO
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database the benchmark may empty")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--limit", type=float, default=400.0, help="the fake's flood limit, messages a second")
    parser.add_argument("--lease", type=float, default=15.0, help="seconds a claimed row stays its holder's")
    parser.add_argument("--headroom", type=float, default=0.98)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--log", help="write the instances' logs to this file")
    arguments = parser.parse_args()
    report = asyncio.run(
        run(
            arguments.database_url, arguments.count, arguments.limit, arguments.lease, arguments.headroom, arguments.log
        )
    )
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        print(f"{key:>28}: {value:.3f}" if isinstance(value, float) else f"{key:>28}: {value}")


if __name__ == "__main__":
    main()
