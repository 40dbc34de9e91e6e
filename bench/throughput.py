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
  2. bot      the real application (`bot.app.build_application`; SQLite and polling unless told otherwise)
              under the realistic mix, as fast as it answers;
  3. rate     the real application again, updates sent at a fixed rate (100/s by default): p50/p99 latency.

Phases 1 and 2 are run in `--rounds` rounds (3 by default), echo then bot each time: the machine's speed
drifts over a minute (other work on a shared host), so each round's ratio compares two phases run back to
back, and the ratio printed is the median of the rounds' ratios (each round's figures are printed too).

Latency is the time from the update being available on the fake to the bot's first visible answer in that
chat (a message sent or edited; the answerCallbackQuery spinner stop is not counted). Throughput counts
updates whose answer was complete, after a short warm-up.

With `--database-url postgresql://...` the real bot runs on PostgreSQL (its leases and shared pace, as several
instances do); `--instances 2` runs two on that one database in webhook mode (`--webhook` alone: one instance),
this process posting each update to one instance after the other, several at once, one at a time per chat
(bench/cluster.py: `SpreadWebhooks`). After each phase every chat is checked: the bot's messages arrived once
each in the order of its outbox, and every entry a person saw confirmed is stored once.

The outbox rate limits are lifted for the run (the platform's 30 messages/s would otherwise be the measure):
this measures what the bot itself can process.

    python bench/throughput.py                              # defaults: 100 people, 6000 updates, 10 s
    python bench/throughput.py --users 200 --seconds 20
    python bench/throughput.py --profile /tmp/bot.prof      # cProfile the bot process of phase 2
    python bench/throughput.py --profile-engine /tmp/e.prof # CPU profile of the engine's thread in phase 2
    python bench/throughput.py --database-url postgresql://postgres@127.0.0.1:5432/bench --instances 2
    python bench/throughput.py --programmes                 # the province runs every programme
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cluster import (
    TOKEN,
    VILLAGES,
    ServerCpu,
    SpreadWebhooks,
    check_chats,
    cpu_of,
    free_port,
    seed,
    start_bots,
    wait_ready,
)
from bench.results import Result, Stats, line, percentile
from bot.sandbox.fake_telegram import FakeTelegram

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
MIX: dict[str, float] = {"text": 0.40, "session": 0.35, "help": 0.25}  # share of each way of logging


# -- the fake Bot API, with a hook for every bot message -------------------------------------------


class BenchFake(FakeTelegram):
    """The fake, telling each simulated person at once when the bot sends or edits in their chat."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.people: dict[int, Person] = {}
        self.sent: dict[int, list[str]] = {}  # the texts of the bot's messages in each chat, as they arrived

    def _add_record(self, chat: Any, message: dict[str, Any], sender: str) -> Any:
        record = super()._add_record(chat, message, sender)
        if sender == "bot":
            self.sent.setdefault(chat.info["id"], []).append(str(message.get("text") or ""))
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

    async def _step(self, make_update: Callable[[], object], want: Want) -> dict[str, Any]:
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
        names, weights = list(MIX), list(MIX.values())
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


async def run_phase(
    name: str,
    kind: str,
    args: argparse.Namespace,
    workdir: Path,
    rate: float | None = None,
    profile: str | None = None,
    profile_engine: bool = False,
    round_number: int = 1,
) -> Result:
    fake = BenchFake(token=TOKEN, bot_username="bdhvs_bench_bot")
    users = [800_000 + n for n in range(args.users)]
    for user_id in users:
        fake.add_user(user_id, f"Tổ viên {user_id}")
    db_url = args.database_url or f"sqlite:///{workdir / f'{name}-{round_number}.db'}"
    count = 1 if kind == "echo" else args.instances
    webhook = kind != "echo" and args.webhook
    ports = [free_port() for _ in range(count)] if webhook else [0] * count
    if webhook:  # Telegram and a load balancer: updates spread over the instances, several at once
        fake._webhooks = SpreadWebhooks(fake, [f"http://127.0.0.1:{port}" for port in ports])
    await fake.start()
    loop = asyncio.get_running_loop()
    if kind != "echo":
        await loop.run_in_executor(None, seed, db_url, users, args.programmes)
    tunings = [
        {
            "workers": args.app_workers,
            "pool": args.app_pool,
            "engine_mode": args.engine_mode,
            "engine_profile": args.profile_engine if profile_engine and index == 0 else None,
            "web_port": port,
            "profile": profile if index == 0 else None,
        }
        for index, port in enumerate(ports)
    ]
    processes, pipes = start_bots(kind, name, fake.base_url, db_url, tunings, args.verbose)
    pids = [process.pid for process in processes if process.pid is not None]
    problems: list[str] = []
    try:
        await wait_ready(kind, processes, pipes)
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
        server = ServerCpu(db_url if kind != "echo" else "")
        await loop.run_in_executor(None, server.start)
        stats.measuring = True
        cpu0, bot_cpu0, t0 = time.process_time(), cpu_of(pids), time.perf_counter()
        limit = args.updates if rate is None else None
        while time.perf_counter() - t0 < args.seconds and (limit is None or stats.completed < limit):
            await asyncio.sleep(0.05)
        stats.measuring = False
        elapsed = time.perf_counter() - t0
        harness_cpu = (time.process_time() - cpu0) / elapsed
        bot_cpu = (cpu_of(pids) - bot_cpu0) / elapsed
        db_cpu = await loop.run_in_executor(None, server.stop) / elapsed
        stop.set()
        if pacer is not None:
            pacer.cancel()
            for _ in people:  # let everyone waiting for a permit see the stop
                permits.put_nowait(None)  # type: ignore[union-attr]
        await asyncio.wait(tasks, timeout=STEP_TIMEOUT)
        for task in tasks:
            task.cancel()
        for parent in pipes:
            parent.send("stop")
        bot_stats = [await loop.run_in_executor(None, parent.recv) for parent in pipes]
        made = max(1, len(fake._updates))
        api_calls: dict[str, float] = {}
        for method, _params in fake.calls:
            api_calls[method] = api_calls.get(method, 0) + 1 / made
    finally:
        for process in processes:
            await loop.run_in_executor(None, process.join, 30)
            if process.is_alive():
                process.kill()
        await fake.close()
    if kind != "echo":
        problems = await loop.run_in_executor(None, check_chats, fake.sent, db_url)
    if isinstance(fake._webhooks, SpreadWebhooks) and fake._webhooks.failed:
        print(f"  [{name}] webhook posts not answered 2xx (tried again): {fake._webhooks.failed}", file=sys.stderr)
    if bot_cpu != bot_cpu:  # no /proc: the bot's own count covers a little more than the window
        bot_cpu = sum(one["cpu"] for one in bot_stats) / max(elapsed, 1e-9)
    return Result(
        name=name,
        rate=stats.completed / elapsed,
        p50_ms=percentile(stats.latencies, 0.50) * 1000,
        p99_ms=percentile(stats.latencies, 0.99) * 1000,
        updates=stats.completed,
        errors=stats.errors,
        seconds=elapsed,
        bot_cpu=bot_cpu,
        harness_cpu=harness_cpu,
        db_cpu=db_cpu,
        offered=rate,
        by_flow=dict(stats.by_flow),
        api_calls=api_calls,
        engine=bot_stats[0].get("engine"),
        problems=problems,
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


async def main_async(args: argparse.Namespace) -> int:
    print(
        f"bench/throughput.py: {args.users} people, up to {args.updates} updates or {args.seconds:g} s per phase, "
        f"{os.cpu_count()} CPUs; the bot runs in its own process"
    )
    where = "SQLite" if not args.database_url else "PostgreSQL" if "postgres" in args.database_url else "database"
    print(
        f"  the real bot: {args.instances} instance(s) on {where}, "
        + ("webhook (updates spread over the instances)" if args.webhook else "polling")
    )
    try:
        import sniffio  # noqa: F401
    except ImportError:  # encode/httpcore#1103
        print(
            "  note: sniffio is not installed, so httpcore retries `import sniffio` on every request; both bots pay it"
        )
    with tempfile.TemporaryDirectory(prefix="bdhvs-bench-") as tmp:
        workdir = Path(tmp)
        rounds: list[tuple[Any, Any]] = []
        for number in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {number} of {args.rounds}", flush=True)
            echo = await run_phase("echo", "echo", args, workdir, round_number=number)
            print(line(echo), flush=True)
            profile = args.profile if number == 1 else None  # one profile, of the first round's bot
            bot = await run_phase(
                "bot", "app", args, workdir, profile=profile, profile_engine=number == 1, round_number=number
            )
            print(line(bot), flush=True)
            rounds.append((echo, bot))
        fixed = await run_phase("rate", "app", args, workdir, rate=args.rate)
        print(line(fixed) + f" (offered {args.rate:g} upd/s)", flush=True)
    ratios = [bot.rate / echo.rate if echo.rate else float("nan") for echo, bot in rounds]
    ratio = statistics.median(ratios)
    bot_rate = statistics.median(bot.rate for _, bot in rounds)
    echo_rate = statistics.median(echo.rate for echo, _ in rounds)
    print()
    print(
        f"throughput: {bot_rate:.0f} upd/s (echo bot: {echo_rate:.0f} upd/s, ratio {ratio:.2f}"
        + (f", the median of the rounds' {', '.join(f'{r:.2f}' for r in ratios)})" if len(rounds) > 1 else ")")
    )
    print(_cpu_per_update(rounds))
    print(
        f"latency at {args.rate:g} upd/s: p50 {fixed.p50_ms:.1f} ms, p99 {fixed.p99_ms:.1f} ms "
        f"(achieved {fixed.rate:.0f} upd/s)"
    )
    goals = [
        ratio >= GOAL_RATIO,
        fixed.p99_ms < GOAL_P99_MS,
        all(bot.errors == 0 for _, bot in rounds) and fixed.errors == 0,
        all(not bot.problems for _, bot in rounds) and not fixed.problems,
    ]
    print(
        f"goals: ratio >= {GOAL_RATIO} {'met' if goals[0] else 'NOT met'}; "
        f"p99 < {GOAL_P99_MS:g} ms {'met' if goals[1] else 'NOT met'}; "
        f"no failed steps {'met' if goals[2] else 'NOT met'}; "
        f"chats checked {'met' if goals[3] else 'NOT met'}"
    )
    if args.profile:
        print(
            f"profile of the bot process (phase 2): {args.profile} "
            f"(python -m pstats {args.profile}, then: sort cumtime / stats 40)"
        )
    return 0 if all(goals) or not args.check else 1


def _median(values: list[float]) -> float:
    """The median, NaN when any value is NaN (not measured)."""
    return float("nan") if any(value != value for value in values) else statistics.median(values)


def _cpu_per_update(rounds: list[tuple[Result, Result]]) -> str:
    """The CPU each update cost, medians of the rounds: the echo bot's, and the bot's with its database
    server's (when it runs on this machine). Unlike the throughput ratio, their ratio does not depend on how
    many cores the machine lends each side: the echo bot is one thread, the bot and PostgreSQL use them all."""
    echo_ms = _median([echo.bot_ms_per_update for echo, _ in rounds])
    bot_ms = _median([bot.bot_ms_per_update for _, bot in rounds])
    db_ms = _median([bot.db_ms_per_update for _, bot in rounds])
    text = f"CPU per update: echo bot {echo_ms:.2f} ms; the bot {bot_ms:.2f} ms"
    total = bot_ms
    if db_ms == db_ms:
        text += f" + its database server {db_ms:.2f} ms"
        total += db_ms
    return text + f" (echo bot / bot: {echo_ms / total:.2f}; the fake Bot API and the people are not counted)"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100, help="simulated people chatting at once (100)")
    parser.add_argument(
        "--updates", type=int, default=6000, help="stop a throughput phase after this many answered updates (6000)"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="at most this long per phase (10)")
    parser.add_argument("--rate", type=float, default=100.0, help="updates per second of the fixed-rate phase (100)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="echo and bot phases run this many times, in turn; the median ratio (3)"
    )
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
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="the real bot's database, e.g. postgresql://postgres@127.0.0.1:5432/bench (EMPTIED at each phase); "
        "default: a fresh SQLite file per phase",
    )
    parser.add_argument(
        "--instances", type=int, default=1, help="instances of the real bot on the one database (1; more: webhook)"
    )
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="the real bot receives updates by webhook (posted several at once, one at a time per chat)",
    )
    parser.add_argument(
        "--programmes",
        action="store_true",
        help="the commune's province runs every programme (the reader also looks for programme words)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument("--verbose", action="store_true", help="print the bot processes' ids (for py-spy)")
    parser.add_argument("--app-workers", type=int, help="experiment: the outbox sender's worker count (default 12)")
    parser.add_argument("--app-pool", type=int, help="experiment: the Telegram HTTP connection pool size")
    args = parser.parse_args(argv)
    if min(args.users, args.updates, args.instances, args.rounds) < 1 or args.seconds <= 0 or args.rate <= 0:
        parser.error("--users, --updates, --seconds, --rate, --instances and --rounds must be positive")
    if args.instances > 1:
        if not args.database_url or args.database_url.startswith("sqlite"):
            parser.error("--instances above 1 needs --database-url postgresql://... (SQLite runs one instance)")
        args.webhook = True  # one polling token is held by one instance at a time: the others would idle
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
