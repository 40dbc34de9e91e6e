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
import multiprocessing
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.throughput_bot import TOKEN, VILLAGES, bot_process, cpu_of
from bench.throughput_people import STEP_TIMEOUT, BenchFake, Person, Stats

WARMUP_SECONDS = 1.0
GOAL_RATIO = 0.8
GOAL_P99_MS = 50.0


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
    bot_pid = process.pid or 0  # set once started
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
        cpu0, bot_cpu0, t0 = time.process_time(), cpu_of(bot_pid), time.perf_counter()
        limit = args.updates if rate is None else None
        while time.perf_counter() - t0 < args.seconds and (limit is None or stats.completed < limit):
            await asyncio.sleep(0.05)
        stats.measuring = False
        elapsed = time.perf_counter() - t0
        harness_cpu = (time.process_time() - cpu0) / elapsed
        bot_cpu = (cpu_of(bot_pid) - bot_cpu0) / elapsed
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
