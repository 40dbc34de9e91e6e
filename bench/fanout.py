"""Fan-out: 20,000 reminders to 20,000 chats through the fake Bot API, which enforces a scaled flood limit.

Telegram lets a bot send about 30 messages a second; the fake here enforces a scaled limit (400 a second by
default, burst of one second) and answers 429 with `retry_after` beyond it. The outbox sender's global rate is
set to the limit less a small headroom (98% by default: requests reach the fake with some jitter, and a 429
costs a pause of at least a second). Goal: the achieved rate at least 0.95 of the limit, nothing lost, nothing
duplicated, fewer than 0.1% of the calls answered 429.

The sender runs in its own process (multiprocessing, spawn) with the real pieces: a SQLite database migrated
as in production, N members in villages with no session this week, the reminder planner at Thursday 19:00
putting one `weekly_session` reminder per member in the outbox (with its idempotency key), and the
`OutboxSender` delivering through the real Telegram renderer (python-telegram-bot). This process serves the
fake Bot API and counts what arrives in each chat.

    python bench/fanout.py                  # 20,000 reminders at 400/s (about 50 s)
    python bench/fanout.py --count 2000     # a quick run
    python bench/fanout.py --limit 200 --workers 4 --json
    python bench/fanout.py --bots 34 --count 100000 --limit 30   # a national reminder through 34 tokens

With `--bots N` the deployment runs N bots (a bot per province): N fake Bot APIs, each enforcing `--limit` for its
own token, the members' accounts spread over them (account i talks to bot i mod N, as members of N provinces
would), and the sender pacing each token on its own. The ratio is then to the sum of the N limits.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from bot.sandbox.fake_telegram import FakeTelegram
from bot.settings import SENDER_WORKERS_PER_BOT, sender_workers

TOKEN = "5550002:BENCH-fanout-token"


def token_of(bot: int, bots: int) -> str:
    """Bot i's token (the single bot's as before)."""
    return TOKEN if bots == 1 else f"55510{bot:02d}:BENCH-fanout-token"


def bot_key(bot: int) -> str | None:
    """How outbox rows and accounts name bot i: bot 0 is the default one (named by none)."""
    return None if bot == 0 else f"p{bot}"


FIRST_USER = 70_000_000
COMMUNE = 18196  # Xã Sơn Kim 1, Hà Tĩnh
PROVINCE = 42
PER_VILLAGE = 200
GOAL_RATIO, GOAL_429 = 0.95, 0.001


# -- the sender's process ---------------------------------------------------------------------------


def _seed(database: Any, count: int, now: dt.datetime, bots: int = 1) -> None:
    """`count` members in villages of one commune, each with a Telegram chat (through bot i mod `bots`); no
    session logged."""
    from sqlalchemy import insert

    from storage.areas import add_villages
    from storage.models import ChannelAccount, Member

    villages = (count + PER_VILLAGE - 1) // PER_VILLAGE
    with database.session() as session:
        added, _ = add_villages(session, COMMUNE, [f"Thôn {n + 1}" for n in range(villages)], now=now, actor_id=None)
        ids = [v.id for v in added]
    with database.engine.begin() as connection:
        connection.execute(
            insert(Member.__table__),  # type: ignore[attr-defined]  # set by SQLModel, not in its stubs
            [
                {
                    "id": n + 1,
                    "display_name": f"Thành viên {n + 1}",
                    "role": "member",
                    "province_code": PROVINCE,
                    "commune_code": COMMUNE,
                    "village_id": ids[n // PER_VILLAGE],
                    "locale": "vi",
                    "reminders_paused": False,
                    "unreachable": False,
                    "created_at": now,
                }
                for n in range(count)
            ],
        )
        connection.execute(
            insert(ChannelAccount.__table__),  # type: ignore[attr-defined]  # set by SQLModel, not in its stubs
            [
                {
                    "member_id": n + 1,
                    "channel": "telegram",
                    "user_id": str(FIRST_USER + n),
                    "chat_id": str(FIRST_USER + n),
                    "created_at": now,
                    "bot": bot_key(n % bots),
                }
                for n in range(count)
            ],
        )


async def _send_all(db_url: str, api_url: str, rate: float, workers: int, count: int, bots: int = 1) -> dict[str, Any]:
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.channels.bots import BotRenderers
    from bot.channels.telegram import TelegramRenderer
    from bot.clock import SystemClock
    from bot.config import RateLimits
    from bot.outbox_sender import OutboxSender
    from bot.reminders import planner
    from storage.db import Database
    from storage.migrate import upgrade
    from tests.conftest import VN

    database = Database(db_url)
    upgrade(database)
    firing = dt.datetime(2026, 11, 26, 19, 0, tzinfo=VN)
    started = time.perf_counter()
    _seed(database, count, firing - dt.timedelta(days=30), bots)
    seeded = time.perf_counter()
    with database.session() as session:
        dues = planner.plan(session, VN, firing, firing + dt.timedelta(minutes=1), firing)
        queued = planner.enqueue(session, dues, firing.astimezone(dt.UTC))
    planned = time.perf_counter()
    with database.session() as session:  # a second firing of the same minute adds nothing
        again = planner.enqueue(
            session,
            planner.plan(session, VN, firing, firing + dt.timedelta(minutes=1), firing),
            firing.astimezone(dt.UTC),
        )

    telegram_bots, renderers = [], []
    for index in range(bots):
        bot = Bot(
            token_of(index, bots),
            base_url=f"{api_url}{_prefix(index, bots)}/bot",
            request=HTTPXRequest(
                connection_pool_size=workers + 4, read_timeout=30, write_timeout=30, connect_timeout=30, pool_timeout=30
            ),
        )
        await bot.initialize()
        telegram_bots.append(bot)
        renderers.append(TelegramRenderer(bot, database))
    limits = RateLimits(
        global_per_second=rate, private_chat_per_second=1.0, private_chat_burst=3, group_per_minute=20.0
    )
    channel: Any = renderers[0]
    if bots > 1:  # the sender's one renderer for the channel hands each item to its bot's
        channel = BotRenderers("telegram")
        for index, renderer in enumerate(renderers):
            channel.add(bot_key(index), renderer)
    sender = OutboxSender(database, SystemClock(), limits, [channel], workers=workers)
    send_start, cpu_start = time.perf_counter(), time.process_time()
    await sender.start()
    # Watch the sender's own count (a drain() loop would wake its dispatcher 200 times a second).
    deadline = time.perf_counter() + max(120.0, 4 * count / rate)
    while sender.stats["sent"] + sender.stats["failed"] < queued and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    drained = await sender.drain(timeout=10.0, include_waiting=True)
    send_end, cpu_end = time.perf_counter(), time.process_time()
    await sender.stop()
    for renderer, bot in zip(renderers, telegram_bots, strict=True):
        await renderer.api.close()
        await bot.shutdown()
    database.dispose()
    return {
        "seed_s": seeded - started,
        "plan_s": planned - seeded,
        "planned": len(dues),
        "queued": queued,
        "queued_again": again,
        "send_s": send_end - send_start,
        "sender_cpu_s": cpu_end - cpu_start,
        "drained": drained,
        "sender_stats": dict(sender.stats),
    }


def _prefix(bot: int, bots: int) -> str:
    """Where bot i's fake Bot API is mounted."""
    return "" if bots == 1 else f"/t{bot}"


def _child(
    db_url: str,
    api_url: str,
    rate: float,
    workers: int,
    count: int,
    results: Any,
    profile: str | None = None,
    bots: int = 1,
) -> None:
    try:
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            report = profiler.runcall(asyncio.run, _send_all(db_url, api_url, rate, workers, count, bots))
            profiler.dump_stats(profile)
            results.put(report)
            return
        results.put(asyncio.run(_send_all(db_url, api_url, rate, workers, count, bots)))
    except BaseException as error:
        results.put({"error": repr(error)})
        raise


# -- this process: the fake Bot API and the counting ------------------------------------------------


async def run(
    count: int, limit: float, workers: int, headroom: float = 0.98, profile: str | None = None, bots: int = 1
) -> dict[str, Any]:
    fakes = [
        FakeTelegram(token=token_of(index, bots), bot_username=f"bdhvs_fanout_{index}_bot", rate_limit_per_second=limit)
        for index in range(bots)
    ]
    for n in range(count):
        fakes[n % bots].add_user(FIRST_USER + n, first_name=f"U{n}")
    accepted: list[float] = []

    @web.middleware
    async def clock_in(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        if request.match_info.get("method") == "sendMessage" and response.status == 200:
            accepted.append(time.perf_counter())
        return response

    app = web.Application(middlewares=[clock_in])
    cpu_start = time.process_time()
    for index, fake in enumerate(fakes):
        fake.add_route(app, _prefix(index, bots))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    host, port = runner.addresses[0][:2]
    with tempfile.TemporaryDirectory() as tmp:
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        child = context.Process(
            target=_child,
            args=(
                f"sqlite:///{tmp}/fanout.db",
                f"http://{host}:{port}",
                limit * headroom,
                workers,
                count,
                results,
                profile,
                bots,
            ),
        )
        child.start()
        loop = asyncio.get_running_loop()
        report: dict[str, Any] = await loop.run_in_executor(None, results.get)
        await loop.run_in_executor(None, child.join)
    report["fake_cpu_s"] = time.process_time() - cpu_start
    await runner.cleanup()
    for fake in fakes:
        await fake.close()
    if "error" in report:
        raise SystemExit(f"the sender's process failed: {report['error']}")

    per_chat = [fakes[n % bots].bot_message_count(FIRST_USER + n) for n in range(count)]
    delivered = sum(per_chat)
    lost = sum(1 for n in per_chat if n == 0)
    duplicated = delivered - (count - lost)
    sends = sum(len(fake.calls_to("sendMessage")) for fake in fakes)
    rate_limited = sum(fake.rate_limited_count for fake in fakes)
    total_limit = limit * bots
    elapsed = accepted[-1] - accepted[0] if len(accepted) > 1 else float("nan")
    rate = (len(accepted) - 1) / elapsed if len(accepted) > 1 else 0.0
    burst = int(total_limit)  # the fakes' buckets start full: one second's worth goes out at once
    steady = (len(accepted) - 1 - burst) / (accepted[-1] - accepted[burst]) if len(accepted) > 2 * burst else rate
    report.update(
        {
            "count": count,
            "bots": bots,
            "limit_per_s": limit,
            "total_limit_per_s": total_limit,
            "sender_rate_per_s": limit * headroom,
            "workers": workers,
            "delivered": delivered,
            "lost": lost,
            "duplicated": duplicated,
            "answered_429": rate_limited,
            "send_calls": sends,
            "share_429": rate_limited / sends if sends else 0.0,
            "elapsed_s": elapsed,
            "achieved_per_s": rate,
            "ratio": rate / total_limit,
            "steady_ratio": steady / total_limit,
        }
    )
    report["goal_met"] = (
        report["ratio"] >= GOAL_RATIO and lost == 0 and duplicated == 0 and report["share_429"] < GOAL_429
    )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="reminders and chats (default 20000)")
    parser.add_argument("--limit", type=float, default=400.0, help="the fake's flood limit, messages/s")
    parser.add_argument(
        "--workers",
        type=int,
        help=f"outbox sender workers (default: as a deployment runs them, {SENDER_WORKERS_PER_BOT} per bot)",
    )
    parser.add_argument("--bots", type=int, default=1, help="bot tokens (a bot per province), each with --limit")
    parser.add_argument(
        "--headroom",
        type=float,
        default=0.98,
        help="the sender's global rate as a share of the limit (a little below it: a 429 costs "
        "a pause of retry_after >= 1 s)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--profile", help="write a cProfile of the sender's process to this file")
    args = parser.parse_args()
    bots = max(1, args.bots)
    workers = args.workers or sender_workers(SENDER_WORKERS_PER_BOT, bots)
    report = asyncio.run(run(args.count, args.limit, workers, args.headroom, args.profile, bots))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"fan-out: {report['count']:,} reminders to {report['count']:,} chats through {report['bots']} bot(s), "
            f"fake limit {report['limit_per_s']:.0f}/s per token ({report['total_limit_per_s']:.0f}/s in all), "
            f"sender rate {report['sender_rate_per_s']:.0f}/s per token, {report['workers']} workers"
        )
        print(
            f"  seed {report['seed_s']:.1f} s; plan + enqueue {report['planned']:,} reminders "
            f"{report['plan_s']:.1f} s (a second firing queued {report['queued_again']})"
        )
        print(
            f"  achieved {report['achieved_per_s']:.1f} msg/s over {report['elapsed_s']:.1f} s "
            f"({report['elapsed_s'] / 60:.1f} min): ratio {report['ratio']:.3f} of the sum of the limits "
            f"(after the first second's burst: "
            f"{report['steady_ratio']:.3f})"
        )
        print(
            f"  lost {report['lost']}, duplicated {report['duplicated']}, answered 429: "
            f"{report['answered_429']} of {report['send_calls']:,} calls ({100 * report['share_429']:.3f}%)"
        )
        print(
            f"  goal (ratio >= {GOAL_RATIO}, none lost or duplicated, < {100 * GOAL_429:.1f}% 429): "
            f"{'met' if report['goal_met'] else 'NOT met'}"
        )
    return 0 if report["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
