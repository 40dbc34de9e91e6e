"""The bot under test in bench/throughput.py, each phase in a process of its own: the real application (as
`bdhvs run` starts it) or the bare echo bot of the baseline, with the people's village members seeded, and the
CPU both use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


TOKEN = "5550001:BENCH-fake_bot-token"
COMMUNE = 18196  # Xã Sơn Kim 1, Hà Tĩnh
VILLAGES = 20


def seed_members(database: Any, users: list[str]) -> None:
    """The commune, its villages, and every simulated person joined as a team member of one village."""
    from bot.clock import SystemClock
    from storage import invites
    from storage.areas import add_villages

    now = SystemClock().now()
    with database.session() as session:
        villages, _ = add_villages(
            session, COMMUNE, [f"Thôn {n}" for n in range(1, VILLAGES + 1)], now=now, actor_id=None
        )
        codes = [
            invites.create_invite(
                session, role="member", now=now, days=30, max_uses=100000, commune_code=COMMUNE, village_id=v.id
            ).code
            for v in villages
        ]
        for index, user_id in enumerate(users):
            invites.redeem(
                session,
                codes[index % VILLAGES],
                channel="telegram",
                user_id=user_id,
                chat_id=user_id,
                display_name=f"Tổ viên {index}",
                locale="vi",
                now=now,
            )


def _seed(db_url: str, users: list[int]) -> None:
    from storage.db import Database
    from storage.migrate import upgrade

    database = Database(db_url)
    upgrade(database)
    seed_members(database, [str(user) for user in users])
    database.dispose()


async def _wait_for_stop(conn: Any) -> None:
    loop = asyncio.get_running_loop()
    while True:
        if await loop.run_in_executor(None, conn.poll, 0.2):
            conn.recv()
            return


def _usage() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) used so far by another process and the processes it started (the
    engine's own process), from /proc; NaN where there is none."""
    try:
        tree, total = {pid}, 0.0
        for entry in sorted(os.listdir("/proc"), key=lambda name: (len(name), name)):
            if entry.isdigit() and int(entry) != pid:
                with contextlib.suppress(OSError, IndexError):
                    if int(_stat_fields(int(entry))[1]) in tree:
                        tree.add(int(entry))
        for member in tree:
            with contextlib.suppress(OSError):
                fields = _stat_fields(member)
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


async def _run_app(base_url: str, db_url: str, users: list[int], conn: Any, tuning: dict[str, Any]) -> dict[str, Any]:
    from bot.app import build_application
    from bot.config import Config, FloodLimits, RateLimits

    await asyncio.to_thread(_seed, db_url, users)
    config = Config(
        database_url=db_url,
        telegram_token=TOKEN,
        telegram_api_base_url=base_url,
        web_port=0,
        demo_data=False,
        # cProfile of the engine sees only this process's thread: keep the engine here for it.
        engine_mode="thread" if tuning.get("engine_profile") else tuning.get("engine_mode") or "auto",
        rate_limits=RateLimits(
            global_per_second=1e6, private_chat_per_second=1e6, private_chat_burst=1000, group_per_minute=1e6
        ),
        # Simulated people answer as fast as the bot does, far beyond the per-account flood limit; the gate's
        # dict lookup per update is still measured.
        flood=FloodLimits(per_minute=1e9, burst=1_000_000),
    )
    sender_options = {"workers": tuning["workers"]} if tuning.get("workers") else None
    telegram_options = {"connection_pool_size": tuning["pool"]} if tuning.get("pool") else None
    app = build_application(config, sender_options=sender_options, telegram_options=telegram_options)
    engine_profiler = None
    if tuning.get("engine_profile"):
        import cProfile

        # cProfile sees one thread; the engine runs on the update executor's thread, so profile each call there.
        engine_profiler = cProfile.Profile(time.thread_time)  # CPU time of the engine's thread, not waits
        process = app.engine.process

        def profiled(incoming: Any) -> Any:
            engine_profiler.enable()
            try:
                return process(incoming)
            finally:
                engine_profiler.disable()

        app.engine.process = profiled  # type: ignore[method-assign]
    await app.start()
    import gc

    gc.freeze()  # as `bdhvs run` does once started (BotApplication.run_forever)
    cpu = _usage()
    conn.send("ready")
    await _wait_for_stop(conn)
    stats = {"cpu": _usage() - cpu, "sender": dict(app.sender.stats), "engine": app.engine_mode}
    await app.stop()
    if engine_profiler is not None:
        engine_profiler.dump_stats(tuning["engine_profile"])
    return stats


async def _run_echo(base_url: str, conn: Any) -> dict[str, Any]:
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    application = Application.builder().token(TOKEN).base_url(base_url).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(timeout=10, poll_interval=0.0)
        await application.start()
        cpu = _usage()
        conn.send("ready")
        await _wait_for_stop(conn)
        stats = {"cpu": _usage() - cpu}
        await application.updater.stop()
        await application.stop()
    return stats


def bot_process(
    kind: str, base_url: str, db_url: str, users: list[int], conn: Any, profile: str | None, tuning: dict[str, Any]
) -> None:
    """Entry point of the bot process: run the echo bot or the real application until told to stop."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    def run() -> dict[str, Any]:
        if kind == "echo":
            return asyncio.run(_run_echo(base_url, conn))
        return asyncio.run(_run_app(base_url, db_url, users, conn, tuning))

    if profile:
        import cProfile

        profiler = cProfile.Profile()
        stats = profiler.runcall(run)
        profiler.dump_stats(profile)
    else:
        stats = run()
    conn.send(stats)
