"""The bots under test of bench/throughput.py, each in a process of its own, and the checks after a run.

* `bot_process` runs the echo bot (the baseline, polling) or one instance of the real application
  (`bot.app.build_application`) until told to stop; in webhook mode it serves the webhook on its own port.
* `seed` makes the database a run starts from: SQLite (a fresh file) or PostgreSQL (the schema emptied first),
  the commune, its villages and every simulated person joined as a team member.
* `SpreadWebhooks` stands for Telegram and a load balancer in front of the instances: it posts each pending
  update to one instance after the other (round robin), several at once as Telegram does (its
  `max_connections`), one at a time per chat.
* `check_chats` reads the database after a run: each chat's messages arrived once each, in the order the bot
  wrote them, and each entry a person saw confirmed is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import multiprocessing
import os
import re
import resource
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.sandbox.fakes.webhook import WebhookWorker

TOKEN = "5550001:BENCH-fake_bot-token"
SECRET = "bench-webhook-secret"
COMMUNE = 18196  # Xã Sơn Kim 1, Hà Tĩnh
VILLAGES = 20
SAVED_SESSION = re.compile(r"Đã lưu buổi sinh hoạt \(số (\d+)\)")
SAVED_HELP = "Đã lưu số người được hỗ trợ"
SAVED_TEXT = "✅ Đã lưu:\n"  # a one-line entry (the bench's: one session and one kind of help)


# -- the database a run starts from ------------------------------------------------------------------


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


def enable_programmes(database: Any) -> None:
    """The commune's province runs every programme of the catalog: the one-line reader then also looks for
    programme words in each message, as it does in such a province."""
    from bot.clock import SystemClock
    from storage.areas import get_commune
    from storage.programmes import provinces
    from storage.programmes.catalog import shipped

    now = SystemClock().now()
    with database.session() as session:
        province = get_commune(session, COMMUNE).province_code
        for programme in shipped():
            provinces.enable(session, actor=None, province_code=province, programme_id=programme.id, now=now)


def seed(db_url: str, users: list[int], programmes: bool = False) -> None:
    """A fresh database (a PostgreSQL schema emptied first), migrated and seeded; with `programmes`, the
    province runs every programme."""
    from sqlalchemy import text

    from storage.db import Database
    from storage.migrate import upgrade

    database = Database(db_url)
    if database.engine.dialect.name == "postgresql":
        with database.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(database)
    seed_members(database, [str(user) for user in users])
    if programmes:
        enable_programmes(database)
    database.dispose()


# -- CPU use ---------------------------------------------------------------------------------------------


def usage() -> float:
    """CPU seconds (user + system) of this process."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by other processes and the processes they started (the
    engine's own process), from /proc; NaN where there is none."""
    try:
        tree = set(pids)
        for entry in sorted(os.listdir("/proc"), key=lambda name: (len(name), name)):
            if entry.isdigit() and int(entry) not in tree:
                with contextlib.suppress(OSError, IndexError):
                    if int(_stat_fields(int(entry))[1]) in tree:
                        tree.add(int(entry))
        return sum(cpu_by_process(sorted(tree)).values())
    except (OSError, ValueError, IndexError):
        return float("nan")


def cpu_by_process(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each of these processes (not their children), from /proc;
    a process that has gone is left out."""
    tick, found = os.sysconf("SC_CLK_TCK"), {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat_fields(pid)
            found[pid] = (int(fields[11]) + int(fields[12])) / tick
    return found


def database_server_processes(db_url: str) -> list[int]:
    """The processes of a PostgreSQL server on this machine that work for the database: its sessions' backends
    and the server's own (the WAL writer, the checkpointer, ...). Empty for SQLite, and for a server elsewhere
    (its process ids are not this machine's: only ids whose process is named `postgres` here are kept)."""
    if not db_url.startswith("postgresql"):
        return []
    from sqlalchemy import text

    from storage.db import Database

    database = Database(db_url)
    try:
        with database.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL")
            ).all()
    finally:
        database.dispose()
    local = []
    for (pid,) in rows:
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text(encoding="ascii").strip() == "postgres":
                local.append(int(pid))
    return local


class ServerCpu:
    """The CPU a local PostgreSQL server spends for one database over a window (`start`, then `stop`): its
    processes at the end, less what those already running at the start had used then (a session opened
    within the window counts whole). NaN where it cannot be read: SQLite, a server on another machine."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._before: dict[int, float] = {}

    def start(self) -> None:
        self._before = cpu_by_process(database_server_processes(self.db_url))

    def stop(self) -> float:
        after = cpu_by_process(database_server_processes(self.db_url))
        if not after:
            return float("nan")
        return sum(seconds - self._before.get(pid, 0.0) for pid, seconds in after.items())


# -- the bots under test ---------------------------------------------------------------------------------


async def _wait_for_stop(conn: Any) -> None:
    loop = asyncio.get_running_loop()
    while True:
        if await loop.run_in_executor(None, conn.poll, 0.2):
            conn.recv()
            return


async def _run_app(base_url: str, db_url: str, conn: Any, tuning: dict[str, Any]) -> dict[str, Any]:
    from bot.app import build_application
    from bot.config import Config, FloodLimits, RateLimits
    from bot.settings import ENGINE_LANES

    port = tuning.get("web_port")
    receiving: dict[str, Any] = {}
    if port:  # webhook mode: the platform posts updates to this instance's own web server
        receiving = {
            "telegram_mode": "webhook",
            "telegram_secret_token": SECRET,
            "public_url": f"http://127.0.0.1:{port}",
            "web_host": "127.0.0.1",
        }
    config = Config(
        database_url=db_url,
        telegram_token=TOKEN,
        telegram_api_base_url=base_url,
        web_port=port or 0,
        demo_data=False,
        # cProfile of the engine sees only this process's thread: keep the engine here for it.
        engine_mode="thread" if tuning.get("engine_profile") else tuning.get("engine_mode") or "auto",
        # ... and on one lane: a profile's call stack is kept per profiler, not per thread.
        engine_lanes=1 if tuning.get("engine_profile") else ENGINE_LANES,
        rate_limits=RateLimits(
            global_per_second=1e6, private_chat_per_second=1e6, private_chat_burst=1000, group_per_minute=1e6
        ),
        # Simulated people answer as fast as the bot does, far beyond the per-account flood limit; the gate's
        # dict lookup per update is still measured.
        flood=FloodLimits(per_minute=1e9, burst=1_000_000),
        **receiving,
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

        def profiled(incoming: Any, along: Any = None) -> Any:
            engine_profiler.enable()
            try:
                return process(incoming, along)
            finally:
                engine_profiler.disable()

        app.engine.process = profiled  # type: ignore[method-assign]
    await app.start()
    import gc

    gc.freeze()  # as `bdhvs run` does once started (BotApplication.run_forever)
    cpu = usage()
    conn.send("ready")
    await _wait_for_stop(conn)
    stats = {"cpu": usage() - cpu, "sender": dict(app.sender.stats), "engine": app.engine_mode}
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
        cpu = usage()
        conn.send("ready")
        await _wait_for_stop(conn)
        stats = {"cpu": usage() - cpu}
        await application.updater.stop()
        await application.stop()
    return stats


def bot_process(kind: str, base_url: str, db_url: str, conn: Any, profile: str | None, tuning: dict[str, Any]) -> None:
    """Entry point of a bot process: run the echo bot or the real application until told to stop."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    def run() -> dict[str, Any]:
        if kind == "echo":
            return asyncio.run(_run_echo(base_url, conn))
        return asyncio.run(_run_app(base_url, db_url, conn, tuning))

    if profile:
        import cProfile

        profiler = cProfile.Profile()
        stats = profiler.runcall(run)
        profiler.dump_stats(profile)
    else:
        stats = run()
    conn.send(stats)


def start_bots(
    kind: str, name: str, base_url: str, db_url: str, tunings: list[dict[str, Any]], verbose: bool
) -> tuple[list[Any], list[Any]]:
    """One bot process per tuning (spawned), and the parent's end of each one's pipe."""
    context = multiprocessing.get_context("spawn")
    processes, pipes = [], []
    for index, tuning in enumerate(tunings):
        parent, child = context.Pipe()
        process = context.Process(
            target=bot_process,
            args=(kind, base_url, db_url, child, tuning.get("profile"), tuning),
            name=f"bench-{name}-{index}",
        )
        process.start()
        processes.append(process)
        pipes.append(parent)
        if verbose:
            print(f"  [{name}] bot process pid {process.pid}", file=sys.stderr, flush=True)
    return processes, pipes


async def wait_ready(kind: str, processes: list[Any], pipes: list[Any]) -> None:
    """Until every bot process said it is ready (two minutes at most)."""
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + 120
    for parent, process in zip(pipes, processes, strict=True):
        while not await loop.run_in_executor(None, parent.poll, 0.2):
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {kind} bot did not start (exit code {process.exitcode}); see above")
        parent.recv()


def free_port() -> int:
    """A TCP port nobody listens on now (for an instance's web server)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- Telegram and the load balancer in front of the instances -------------------------------------------


def _chat_of(update: dict[str, Any]) -> Any:
    for field in ("message", "edited_message"):
        if field in update:
            return update[field]["chat"]["id"]
    query = update.get("callback_query")
    if query is not None:
        return query["message"]["chat"]["id"] if query.get("message") else query["from"]["id"]
    return update["update_id"]


class SpreadWebhooks(WebhookWorker):
    """In place of a fake's webhook worker: each pending update is posted to the next instance in turn (the
    path of the webhook that was set, on each instance's own address), up to `connections` at once, one at a
    time per chat; a failed post is tried again a few times, as Telegram does. Starting, stopping and the HTTP
    session are the fake's worker's; only the delivering differs."""

    def __init__(self, owner: Any, targets: list[str], connections: int = 40) -> None:
        super().__init__(owner, "update_id")  # `attempts` stays empty: the fake's interface
        self.targets = targets
        self.connections = connections
        self.failed = 0  # posts that did not get a 2xx
        self._turn = itertools.cycle(range(len(targets)))
        self._busy: set[Any] = set()
        self._started: set[int] = set()

    def _ready(self) -> list[Any]:
        if len(self._busy) >= self.connections:
            return []
        return [p for p in self.owner._pending if id(p) not in self._started and _chat_of(p.update) not in self._busy]

    async def _run(self) -> None:
        owner = self.owner
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self.connections)
            self._session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60))
        tasks: set[asyncio.Task[None]] = set()
        while owner._webhook is not None:
            ready = await owner.notifier.wait(lambda: self._ready() or owner._webhook is None, None)
            if ready is True or owner._webhook is None:
                break
            for pending in ready[: self.connections - len(self._busy)]:
                chat = _chat_of(pending.update)
                if chat in self._busy:
                    continue
                self._busy.add(chat)
                self._started.add(id(pending))
                task = asyncio.create_task(self._post(pending, chat))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

    async def _post(self, pending: Any, chat: Any) -> None:
        owner = self.owner
        assert self._session is not None
        try:
            for attempt in range(5):
                webhook = owner._webhook
                if webhook is None:
                    return
                url = self.targets[next(self._turn)] + urlsplit(webhook["url"]).path
                try:
                    async with self._session.post(
                        url, data=json.dumps(pending.update), headers=owner._webhook_headers(webhook)
                    ) as response:
                        body = await response.read()
                        if 200 <= response.status < 300:
                            await owner._webhook_accepted(pending.update["update_id"], body)
                            return
                except (TimeoutError, aiohttp.ClientError, OSError):
                    pass
                self.failed += 1
                await asyncio.sleep(0.1 * 2**attempt)
        finally:
            with contextlib.suppress(ValueError):
                owner._pending.remove(pending)
            self._started.discard(id(pending))
            self._busy.discard(chat)
            await owner.notifier.notify()


# -- after a run -----------------------------------------------------------------------------------------


def check_chats(sent: dict[int, list[str]], db_url: str) -> list[str]:
    """What went wrong in the chats (empty: nothing), from what each chat was sent (`sent`: the texts of the
    bot's messages in each chat, in the order they arrived) and the database.

    Per chat: the messages arrived once each, in the order of the chat's outbox rows (every row marked sent, none
    else: the instances stopped cleanly, marking what they sent); every entry the bot said it saved (in a message
    sent, or still to send when the instances stopped) is stored once: a guided session by its number ("Đã lưu
    buổi sinh hoạt (số N)"), guided help by the count of "Đã lưu số người được hỗ trợ" answers, a one-line entry
    (one session and one kind of help) by the count of "✅ Đã lưu:" answers; and nothing is stored that the person
    was not told of."""
    from sqlalchemy import text

    from storage.db import Database

    problems: list[str] = []
    database = Database(db_url)
    try:
        with database.engine.connect() as connection:
            outbox: dict[str, list[str]] = {}  # the chat's messages marked sent
            written: dict[str, list[str]] = {}  # all the chat's messages, some perhaps still to send at the stop
            for chat, payload, status in connection.execute(
                text(
                    "SELECT chat_id, payload, status FROM outboxmessage WHERE channel = 'telegram' "
                    "AND kind = 'message' ORDER BY id"
                )
            ):
                data = payload if isinstance(payload, dict) else json.loads(payload)
                written.setdefault(str(chat), []).append(str(data.get("text") or ""))
                if status == "sent":
                    outbox.setdefault(str(chat), []).append(str(data.get("text") or ""))
            owners = {
                str(user): int(member)
                for user, member in connection.execute(
                    text("SELECT user_id, member_id FROM channelaccount WHERE channel = 'telegram'")
                )
            }
            sessions: dict[int, set[int]] = {}  # guided sessions: their numbers, told in the chat
            counted: dict[tuple[int, str], int] = {}  # (member, "text session" | "text help" | "guided help")
            for row_id, member, source in connection.execute(text("SELECT id, member_id, source FROM trainingsession")):
                if source == "guided":
                    sessions.setdefault(int(member), set()).add(int(row_id))
                else:
                    counted[int(member), "text session"] = counted.get((int(member), "text session"), 0) + 1
            for member, source, count in connection.execute(
                text("SELECT member_id, source, count(*) FROM helprecord GROUP BY member_id, source")
            ):
                counted[int(member), f"{source} help"] = int(count)
    finally:
        database.dispose()
    for user_id in sorted(set(sent) | {int(chat) for chat in written}):
        shown = sent.get(user_id, [])
        marked = outbox.get(str(user_id), [])
        if shown != marked:
            extra = len(shown) - len(marked)
            problems.append(
                f"chat {user_id}: {len(shown)} messages arrived, {len(marked)} sent in the outbox; "
                + ("some twice" if extra > 0 else "out of order or missing")
            )
        said = written.get(str(user_id), [])  # what the bot told the person, sent or still to send
        member = owners.get(str(user_id), -1)
        told = [int(n) for text_ in said for n in SAVED_SESSION.findall(text_)]
        stored = sessions.get(member, set())
        if sorted(told) != sorted(stored):
            problems.append(f"chat {user_id}: sessions confirmed {sorted(told)}, stored {sorted(stored)}")
        text_saves = sum(text_.startswith(SAVED_TEXT) for text_ in said)
        expected = {"guided help": sum(SAVED_HELP in text_ for text_ in said)}
        expected["text session"] = expected["text help"] = text_saves
        for what, told_count in expected.items():
            if counted.get((member, what), 0) != told_count:
                stored_count = counted.get((member, what), 0)
                problems.append(f"chat {user_id}: {what}: {told_count} confirmed, {stored_count} stored")
    return problems
