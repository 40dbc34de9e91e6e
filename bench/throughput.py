"""Throughput and latency of the whole bot through the fake Bot API, against a bare echo bot in the same run.

Many simulated village team members log at once, the way people do: by buttons (/ghibuoi: day, topic,
«Xong», the count, «Đúng»; /ghigiup: day, kind, the count, «Đúng») and by one line of free text read back and
confirmed. When the bot asks "log it again?" (a twin session), they confirm. Each person waits for the bot's
answer before the next step, as in a real chat.

The bot under test runs in its own process (multiprocessing, spawn); this process serves the fake Bot API
(`bot.sandbox.fake_telegram.FakeTelegram` over HTTP) and plays the people, so the bot does not share its CPU
with the fake. The real bot starts as `bdhvs run` does: with two cores or more its conversation engine runs in
a process of its own (`bot/engine_process.py`); `--engine-mode thread` keeps it beside the event loop, to
compare. The bot's CPU share counts both of its processes. Three phases, each against a fresh bot process:

  1. echo     a bare python-telegram-bot 22.8 `Application` with one `MessageHandler` that replies (the
              baseline), driven by the same people typing messages, as fast as it answers;
  2. bot      the real application (`bot.app.build_application`, SQLite, polling) under the realistic mix,
              as fast as it answers;
  3. rate     the real application again, updates sent at a fixed rate (100/s by default): p50/p99 latency.

Latency is the time from the update being available on the fake to the bot's first visible answer in that
chat (a message sent or edited; the answerCallbackQuery spinner stop is not counted). Throughput counts
updates whose answer was complete, after a short warm-up.

The outbox rate limits are lifted for the run (the platform's 30 messages/s would otherwise be the measure):
this measures what the bot itself can process.

    python bench/throughput.py                              # defaults: 100 people, 6000 updates, 10 s
    python bench/throughput.py --users 200 --seconds 20
    python bench/throughput.py --profile /tmp/bot.prof      # cProfile the bot process of phase 2
    python bench/throughput.py --profile-engine /tmp/e.prof # CPU profile of the engine's thread in phase 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox.fake_telegram import FakeTelegram

TOKEN = "5550001:BENCH-fake_bot-token"
COMMUNE = 18196  # Xã Sơn Kim 1, Hà Tĩnh
VILLAGES = 20
WARMUP_SECONDS = 1.0
STEP_TIMEOUT = 30.0
GOAL_RATIO = 0.8
GOAL_P99_MS = 50.0

TOPIC_WORDS = {
    "vneid": "cài VNeID",
    "public_services": "dịch vụ công trực tuyến",
    "online_payment": "thanh toán không dùng tiền mặt",
    "online_safety": "chống lừa đảo trên mạng",
    "online_shopping": "mua sắm trực tuyến",
}
HELP_WORDS = {
    "vneid_level2": "kích hoạt mức 2",
    "public_service_filing": "nộp hồ sơ DVC",
    "cashless_account": "mở tài khoản ngân hàng số",
}
TOPICS = ["public_services", "online_shopping", "online_payment", "online_safety", "vneid", "other_platforms"]
KINDS = [
    "vneid_level2",
    "vneid_skill_confirmed",
    "public_service_filing",
    "cashless_account",
    "digital_signature",
    "social_security_vneid",
    "e_health",
]
MIX = (("text", 0.40), ("session", 0.35), ("help", 0.25))


# -- the bot under test, in its own process ----------------------------------------------------------


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


def _cpu_of(pid: int) -> float:
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


# -- the fake Bot API, with a hook for every bot message -------------------------------------------


class BenchFake(FakeTelegram):
    """The fake, telling each simulated person at once when the bot sends or edits in their chat."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.people: dict[int, Person] = {}

    def _add_record(self, chat: Any, message: dict[str, Any], sender: str) -> Any:
        record = super()._add_record(chat, message, sender)
        if sender == "bot":
            person = self.people.get(chat.info["id"])
            if person is not None:
                person.on_output("send", message)
        return record

    def _mark_edited(self, chat: Any, record: Any) -> None:
        super()._mark_edited(chat, record)
        person = self.people.get(chat.info["id"])
        if person is not None:
            person.on_output("edit", record.message)


# -- the people ------------------------------------------------------------------------------------


class StepFailed(Exception):
    pass


Want = Callable[[str, dict[str, Any]], bool]


def _data(message: dict[str, Any], action: str) -> str | None:
    """The callback data of the button whose payload holds `action` (e.g. ":save", ":topic:vneid")."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data") or ""
            if action in data:
                return data
    return None


def new_message(kind: str, message: dict[str, Any]) -> bool:
    return kind == "send"


def new_with(action: str) -> Want:
    return lambda kind, message: kind == "send" and _data(message, action) is not None


def saved_or_twin(kind: str, message: dict[str, Any]) -> bool:
    return kind == "send" and ("Đã lưu" in (message.get("text") or "") or _data(message, ":again") is not None)


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # seconds, measured updates only
    completed: int = 0  # updates answered completely
    errors: int = 0
    measuring: bool = False
    by_flow: dict[str, int] = field(default_factory=dict)


class Person:
    """A simulated team member in a private chat with the bot; one step at a time."""

    def __init__(
        self,
        fake: BenchFake,
        user_id: int,
        village: int,
        stats: Stats,
        rng: random.Random,
        permits: asyncio.Queue[None] | None = None,
    ) -> None:
        self.fake = fake
        self.user_id = user_id
        self.village = village
        self.stats = stats
        self.rng = rng
        self.permits = permits
        self._want: Want | None = None
        self._done: asyncio.Future[dict[str, Any]] | None = None
        self._sent_at = 0.0
        self._first: float | None = None
        fake.people[user_id] = self

    def on_output(self, kind: str, message: dict[str, Any]) -> None:
        now = time.perf_counter()
        if self._first is None:
            self._first = now
        text = message.get("text") or ""
        if self._done is not None and not self._done.done():
            if text.startswith("Xin lỗi, hệ thống"):
                self._done.set_exception(StepFailed(text))
            elif self._want is not None and self._want(kind, message):
                self._done.set_result(message)

    async def _step(self, make_update: Callable[[], int], want: Want) -> dict[str, Any]:
        if self.permits is not None:
            await self.permits.get()
        loop = asyncio.get_running_loop()
        self._want, self._done, self._first = want, loop.create_future(), None
        self._sent_at = time.perf_counter()
        make_update()
        try:
            message = await asyncio.wait_for(self._done, STEP_TIMEOUT)
        finally:
            self._want = None
        if self.stats.measuring:
            assert self._first is not None
            self.stats.latencies.append(self._first - self._sent_at)
            self.stats.completed += 1
        return message

    async def say(self, text: str, want: Want) -> dict[str, Any]:
        return await self._step(lambda: self.fake.user_says(self.user_id, text), want)

    async def press(self, message: dict[str, Any], action: str, want: Want) -> dict[str, Any]:
        data = _data(message, action)
        if data is None:
            raise StepFailed(f"no button {action!r} under {message.get('text')!r}")
        return await self._step(lambda: self.fake.user_presses(self.user_id, message["message_id"], data), want)

    # the flows

    async def echo(self) -> None:
        await self.say(f"Tin nhắn số {self.rng.randint(1, 10**6)} của thôn {self.village}", new_message)

    async def log_session(self) -> None:
        message = await self.say("/ghibuoi", new_with(":date:today"))
        message = await self.press(message, ":date:today", new_with(":topics_done"))
        topic = self.rng.choice(TOPICS)
        pressed = message["message_id"]
        message = await self.press(
            message, f":topic:{topic}", lambda kind, m: kind == "edit" and m["message_id"] == pressed
        )
        message = await self.press(message, ":topics_done", new_message)
        message = await self.say(str(self.rng.randint(8, 40)), new_with(":save"))
        await self._confirm(message)

    async def log_help(self) -> None:
        message = await self.say("/ghigiup", new_with(":date:today"))
        message = await self.press(message, ":date:today", new_with(":kind:"))
        message = await self.press(message, f":kind:{self.rng.choice(KINDS)}", new_message)
        message = await self.say(f"{self.rng.randint(1, 15)} người", new_with(":save"))
        await self.press(message, ":save", saved_or_twin)

    async def free_text(self) -> None:
        topic = self.rng.choice(list(TOPIC_WORDS))
        kind = self.rng.choice(list(HELP_WORDS))
        text = (
            f"hôm nay thôn {self.village} học {TOPIC_WORDS[topic]} {self.rng.randint(8, 40)} người, "
            f"giúp {self.rng.randint(1, 12)} người {HELP_WORDS[kind]}"
        )
        message = await self.say(text, new_with(":save"))
        await self._confirm(message)

    async def _confirm(self, read_back: dict[str, Any]) -> None:
        message = await self.press(read_back, ":save", saved_or_twin)
        if _data(message, ":again") is not None:  # "log it again?" — yes, it was a second session
            await self.press(message, ":again", saved_or_twin)

    async def live(self, echo: bool, stop: asyncio.Event) -> None:
        flows = {"text": self.free_text, "session": self.log_session, "help": self.log_help}
        names, weights = zip(*MIX, strict=True)
        while not stop.is_set():
            name = "echo" if echo else self.rng.choices(names, weights)[0]
            try:
                await (self.echo() if echo else flows[name]())
                self.stats.by_flow[name] = self.stats.by_flow.get(name, 0) + 1
            except (TimeoutError, StepFailed) as error:
                self.stats.errors += 1
                if self.stats.errors <= 5:
                    print(f"  person {self.user_id}: {type(error).__name__}: {error}", file=sys.stderr)
                if not echo and not stop.is_set():
                    with contextlib.suppress(StepFailed, asyncio.TimeoutError):
                        await self.say("/huy", new_message)


# -- one phase ---------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    rate: float  # updates answered per second
    p50_ms: float
    p99_ms: float
    updates: int
    errors: int
    seconds: float
    bot_cpu: float  # share of one core used by the bot (its process and the engine's own process, if any)
    harness_cpu: float  # share of one core used by this process (fake + people)
    offered: float | None = None  # fixed-rate phase: updates offered per second
    by_flow: dict[str, int] = field(default_factory=dict)
    api_calls: dict[str, float] = field(default_factory=dict)  # Bot API calls per update, whole phase
    engine: str | None = None  # the real bot: where it handled updates ("process" or "thread")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def run_phase(
    name: str, kind: str, args: argparse.Namespace, workdir: Path, rate: float | None = None, profile: str | None = None
) -> Result:
    fake = BenchFake(token=TOKEN, bot_username="bdhvs_bench_bot")
    await fake.start()
    users = [800_000 + n for n in range(args.users)]
    for user_id in users:
        fake.add_user(user_id, f"Tổ viên {user_id}")
    db_url = f"sqlite:///{workdir / f'{name}.db'}"
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    tuning = {
        "workers": args.app_workers,
        "pool": args.app_pool,
        "engine_mode": args.engine_mode,
        "engine_profile": args.profile_engine if name == "bot" else None,
    }
    process = context.Process(
        target=bot_process, args=(kind, fake.base_url, db_url, users, child, profile, tuning), name=f"bench-{name}"
    )
    process.start()
    if args.verbose:
        print(f"  [{name}] bot process pid {process.pid}", file=sys.stderr, flush=True)
    loop = asyncio.get_running_loop()
    try:
        deadline = time.monotonic() + 120
        while not await loop.run_in_executor(None, parent.poll, 0.2):
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {kind} bot did not start (exit code {process.exitcode}); see above")
        parent.recv()

        stats = Stats()
        stop = asyncio.Event()
        permits: asyncio.Queue[None] | None = asyncio.Queue() if rate else None
        rng = random.Random(20261125)
        people = [
            Person(fake, user_id, 1 + index % VILLAGES, stats, random.Random(rng.random()), permits)
            for index, user_id in enumerate(users)
        ]
        tasks = [asyncio.create_task(p.live(kind == "echo", stop)) for p in people]
        pacer = asyncio.create_task(_pace(permits, rate)) if permits is not None and rate else None

        await asyncio.sleep(WARMUP_SECONDS)  # warm-up: connections, caches, the first queue
        stats.measuring = True
        cpu0, bot_cpu0, t0 = time.process_time(), _cpu_of(process.pid), time.perf_counter()
        limit = args.updates if rate is None else None
        while time.perf_counter() - t0 < args.seconds and (limit is None or stats.completed < limit):
            await asyncio.sleep(0.05)
        stats.measuring = False
        elapsed = time.perf_counter() - t0
        harness_cpu = (time.process_time() - cpu0) / elapsed
        bot_cpu = (_cpu_of(process.pid) - bot_cpu0) / elapsed
        stop.set()
        if pacer is not None:
            pacer.cancel()
            for _ in people:  # let everyone waiting for a permit see the stop
                permits.put_nowait(None)  # type: ignore[union-attr]
        await asyncio.wait(tasks, timeout=STEP_TIMEOUT)
        for task in tasks:
            task.cancel()
        parent.send("stop")
        bot_stats = await loop.run_in_executor(None, parent.recv)
        made = max(1, len(fake._updates))
        api_calls: dict[str, float] = {}
        for method, _params in fake.calls:
            api_calls[method] = api_calls.get(method, 0) + 1 / made
    finally:
        await loop.run_in_executor(None, process.join, 30)
        if process.is_alive():
            process.kill()
        await fake.close()
    if bot_cpu != bot_cpu:  # no /proc: the bot's own count covers a little more than the window
        bot_cpu = bot_stats["cpu"] / max(elapsed, 1e-9)
    return Result(
        name=name,
        rate=stats.completed / elapsed,
        p50_ms=_percentile(stats.latencies, 0.50) * 1000,
        p99_ms=_percentile(stats.latencies, 0.99) * 1000,
        updates=stats.completed,
        errors=stats.errors,
        seconds=elapsed,
        bot_cpu=bot_cpu,
        harness_cpu=harness_cpu,
        offered=rate,
        by_flow=dict(stats.by_flow),
        api_calls=api_calls,
        engine=bot_stats.get("engine"),
    )


async def _pace(permits: asyncio.Queue[None], rate: float) -> None:
    """Release permits at a fixed rate: permit i at t0 + i/rate (no catching up in bursts after a stall)."""
    start = time.perf_counter()
    index = 0
    while True:
        index += 1
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        permits.put_nowait(None)


def _line(result: Result) -> str:
    text = (
        f"  {result.name:<6} {result.updates:>6} updates in {result.seconds:5.1f} s = {result.rate:7.1f} upd/s; "
        f"latency p50 {result.p50_ms:6.1f} ms, p99 {result.p99_ms:6.1f} ms; errors {result.errors}; "
        f"CPU bot {result.bot_cpu:4.0%}, fake+people {result.harness_cpu:4.0%}"
    )
    if result.engine:
        text += f"\n         engine: {result.engine}"
    if result.by_flow:
        text += "\n         flows completed: " + ", ".join(f"{k} {v}" for k, v in sorted(result.by_flow.items()))
    if result.api_calls:
        text += "\n         Bot API calls per update: " + ", ".join(
            f"{k} {v:.2f}" for k, v in sorted(result.api_calls.items(), key=lambda kv: -kv[1]) if v >= 0.01
        )
    return text


async def main_async(args: argparse.Namespace) -> int:
    print(
        f"bench/throughput.py: {args.users} people, up to {args.updates} updates or {args.seconds:g} s per phase, "
        f"{os.cpu_count()} CPUs; the bot runs in its own process"
    )
    try:
        import sniffio  # noqa: F401
    except ImportError:
        print(
            "  note: sniffio is not installed, so httpcore retries a failed `import sniffio` on every request "
            "(encode/httpcore#1103); both bots pay it"
        )
    with tempfile.TemporaryDirectory(prefix="bdhvs-bench-") as tmp:
        workdir = Path(tmp)
        echo = await run_phase("echo", "echo", args, workdir)
        print(_line(echo), flush=True)
        bot = await run_phase("bot", "app", args, workdir, profile=args.profile)
        print(_line(bot), flush=True)
        fixed = await run_phase("rate", "app", args, workdir, rate=args.rate)
        print(_line(fixed) + f" (offered {args.rate:g} upd/s)", flush=True)
    ratio = bot.rate / echo.rate if echo.rate else float("nan")
    print()
    print(f"throughput: {bot.rate:.0f} upd/s (echo bot: {echo.rate:.0f} upd/s, ratio {ratio:.2f})")
    print(
        f"latency at {args.rate:g} upd/s: p50 {fixed.p50_ms:.1f} ms, p99 {fixed.p99_ms:.1f} ms "
        f"(achieved {fixed.rate:.0f} upd/s)"
    )
    goals = [ratio >= GOAL_RATIO, fixed.p99_ms < GOAL_P99_MS, bot.errors == 0 and fixed.errors == 0]
    print(
        f"goals: ratio >= {GOAL_RATIO} {'met' if goals[0] else 'NOT met'}; "
        f"p99 < {GOAL_P99_MS:g} ms {'met' if goals[1] else 'NOT met'}; "
        f"no failed steps {'met' if goals[2] else 'NOT met'}"
    )
    if args.profile:
        print(
            f"profile of the bot process (phase 2): {args.profile} "
            f"(python -m pstats {args.profile}, then: sort cumtime / stats 40)"
        )
    return 0 if all(goals) or not args.check else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100, help="simulated people chatting at once (100)")
    parser.add_argument(
        "--updates", type=int, default=6000, help="stop a throughput phase after this many answered updates (6000)"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=10.0,
        help="at most this long per throughput phase; the fixed-rate phase's length (10)",
    )
    parser.add_argument("--rate", type=float, default=100.0, help="updates per second of the fixed-rate phase (100)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the bot process of phase 2 into FILE")
    parser.add_argument(
        "--profile-engine",
        metavar="FILE",
        help="cProfile the engine's calls (its own thread) in the bot process of phase 2 into FILE",
    )
    parser.add_argument(
        "--engine-mode",
        choices=("auto", "process", "thread"),
        default="auto",
        help="where the bot handles updates (config engine.mode; auto: a process of its own on two cores or more)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument("--verbose", action="store_true", help="print the bot processes' ids (for py-spy)")
    parser.add_argument("--app-workers", type=int, help="experiment: the outbox sender's worker count (default 12)")
    parser.add_argument("--app-pool", type=int, help="experiment: the Telegram HTTP connection pool size")
    args = parser.parse_args(argv)
    if args.users < 1 or args.updates < 1 or args.seconds <= 0 or args.rate <= 0:
        parser.error("--users, --updates, --seconds and --rate must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
