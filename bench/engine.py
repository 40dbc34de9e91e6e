"""CPU cost of the conversation engine per update, without HTTP: where bench/throughput.py spends most.

Plays the same people and flows as bench/throughput.py (guided session, guided help, one line of free text,
each read back and confirmed) straight into `ConversationEngine.process` on SQLite (or PostgreSQL with
`--database-url`, leasing its replies as an instance there does), one update at a time, and measures the CPU
time of each call (`time.thread_time`, so waits and other processes do not count). The
baseline, run in the same process on the same database, is the least a unit of work can cost here: an
update that is only deduplicated and committed (a redelivered one). The ratio says how many such bare
transactions one real update costs.

    python bench/engine.py                  # 2,000 updates
    python bench/engine.py --updates 5000 --profile /tmp/engine.prof
    python bench/engine.py --database-url postgresql://postgres@127.0.0.1:5432/bench   # (EMPTIED first)
    python bench/engine.py --programmes     # the province runs every programme of the catalog

Each step's line also shows the statements it sent to the database (on PostgreSQL each is a round trip;
BEGIN and COMMIT are counted apart).
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from bench.cluster import VILLAGES, seed
from bot.clock import SystemClock
from bot.config import Config
from bot.engine import ConversationEngine
from bot.messages import Incoming, Reply
from storage.db import Database
from storage.outbox import OutboxItem

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
HELP_WORDS = ["kích hoạt mức 2", "nộp hồ sơ DVC", "mở tài khoản ngân hàng số"]
TOPIC_WORDS = ["cài VNeID", "dịch vụ công trực tuyến", "thanh toán không dùng tiền mặt", "chống lừa đảo trên mạng"]


class Bench:
    def __init__(self, database: Database, users: int, rng: random.Random) -> None:
        self.database = database
        lease = None if database.is_sqlite else ("bench-engine", 15.0)
        self.rng = rng
        self.outbox: list[OutboxItem] = []
        self.engine = ConversationEngine(
            database,
            Config(database_url=database.url, demo_data=False),
            SystemClock(),
            _router,
            on_outbox=self.outbox.extend,
            lease=lease,
        )
        self.users = [str(900_000 + n) for n in range(users)]
        self.ids = itertools.count(1)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.statements: dict[str, int] = defaultdict(int)  # statements sent, per step
        self._sent = 0
        if database.is_sqlite:
            event.listen(database.engine, "before_cursor_execute", self._count)
        else:  # at the driver: some of the engine's statements are sent to it directly (storage/turn_writes.py)
            self._count_driver_calls()
        event.listen(database.engine, "commit", self._count)
        event.listen(database.engine, "begin", self._count)

    def _count(self, *args: Any, **kwargs: Any) -> None:
        self._sent += 1

    def _count_driver_calls(self) -> None:
        """Count every statement psycopg's cursors execute, whoever runs it (this bench's process only)."""
        import psycopg

        execute = psycopg.Cursor.execute

        def counted(cursor: Any, *args: Any, **kwargs: Any) -> Any:
            self._count()
            return execute(cursor, *args, **kwargs)

        psycopg.Cursor.execute = counted  # type: ignore[method-assign,assignment]

    def process(self, step: str, incoming: Incoming) -> list[OutboxItem]:
        mark, sent = len(self.outbox), self._sent
        started = time.thread_time()
        self.engine.process(incoming)
        self.cpu[step].append(time.thread_time() - started)
        self.statements[step] += self._sent - sent
        return [item for item in self.outbox[mark:] if item.kind in ("message", "edit")]

    def say(self, step: str, user: str, text: str) -> list[OutboxItem]:
        return self.process(
            step,
            Incoming(
                channel="telegram",
                update_id=str(next(self.ids)),
                user_id=user,
                chat_id=user,
                display_name="Tổ viên",
                text=text,
            ),
        )

    def press(self, step: str, user: str, shown: list[OutboxItem], action: str) -> list[OutboxItem]:
        for item in reversed(shown):
            for row in Reply.from_payload(item.payload).buttons:
                for button in row:
                    if action in button.payload:
                        return self.process(
                            step,
                            Incoming(
                                channel="telegram",
                                update_id=str(next(self.ids)),
                                user_id=user,
                                chat_id=user,
                                payload=button.payload,
                                callback_id=f"cb{item.id}",
                                message_id=str(item.id),
                                message_text=item.payload.get("text"),
                                button_label=button.label,
                            ),
                        )
        raise RuntimeError(f"no button {action!r} in {[i.payload.get('text') for i in shown]}")

    def confirm(self, user: str, shown: list[OutboxItem]) -> None:
        shown = self.press("save", user, shown, ":save")
        if any(":again" in b.payload for i in shown for row in Reply.from_payload(i.payload).buttons for b in row):
            self.press("save again", user, shown, ":again")

    def session_flow(self, user: str) -> None:
        shown = self.say("/ghibuoi", user, "/ghibuoi")
        shown = self.press("day", user, shown, ":date:today")
        shown = self.press("topic", user, shown, f":topic:{self.rng.choice(TOPICS)}")
        shown = self.press("topics done", user, shown, ":topics_done")
        shown = self.say("count", user, str(self.rng.randint(8, 40)))
        self.confirm(user, shown)

    def help_flow(self, user: str) -> None:
        shown = self.say("/ghigiup", user, "/ghigiup")
        shown = self.press("day", user, shown, ":date:today")
        shown = self.press("kind", user, shown, f":kind:{self.rng.choice(KINDS)}")
        shown = self.say("count", user, f"{self.rng.randint(1, 15)} người")
        self.confirm(user, shown)

    def text_flow(self, user: str, village: int) -> None:
        text = (
            f"hôm nay thôn {village} học {self.rng.choice(TOPIC_WORDS)} {self.rng.randint(8, 40)} người, "
            f"giúp {self.rng.randint(1, 12)} người {self.rng.choice(HELP_WORDS)}"
        )
        self.confirm(user, self.say("free text", user, text))

    def run(self, updates: int) -> None:
        while sum(len(v) for k, v in self.cpu.items() if k != "duplicate") < updates:
            index = self.rng.randrange(len(self.users))
            user = self.users[index]
            flow = self.rng.choices(["text", "session", "help"], [0.40, 0.35, 0.25])[0]
            if flow == "text":
                self.text_flow(user, 1 + index % VILLAGES)
            elif flow == "session":
                self.session_flow(user)
            else:
                self.help_flow(user)

    def duplicates(self, count: int) -> None:
        """The baseline: redelivered updates, each one a transaction that only finds it was seen."""
        for n in range(count):
            user = self.users[n % len(self.users)]
            sent = self._sent
            started = time.thread_time()
            self.engine.process(Incoming(channel="telegram", update_id="1", user_id=user, chat_id=user, text="x"))
            self.cpu["duplicate"].append(time.thread_time() - started)
            self.statements["duplicate"] += self._sent - sent


def _router(turn: Any) -> None:
    from handlers.router import route

    route(turn)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=2000, help="updates to measure (2000)")
    parser.add_argument("--users", type=int, default=100, help="people (100)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile (CPU time) the measured part into FILE")
    parser.add_argument(
        "--database-url", metavar="URL", help="PostgreSQL instead of a fresh SQLite file (its schema is EMPTIED)"
    )
    parser.add_argument(
        "--programmes",
        action="store_true",
        help="the commune's province runs every programme (the reader also looks for programme words)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bdhvs-bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/engine.db"
        users = [900_000 + n for n in range(args.users)]
        seed(url, users, args.programmes)  # a PostgreSQL schema emptied first, migrated, seeded
        database = Database(url)
        bench = Bench(database, args.users, random.Random(20261125))
        bench.run(200)  # warm-up: imports, caches, compiled statements
        bench.cpu.clear()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile(time.thread_time)
            profiler.enable()
        bench.duplicates(args.updates // 4)
        bench.run(args.updates)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        database.dispose()
    baseline = statistics.mean(bench.cpu.pop("duplicate")) * 1e6
    every = [value for values in bench.cpu.values() for value in values]
    mean = statistics.mean(every) * 1e6
    engine = "SQLite" if database.is_sqlite else "PostgreSQL"
    runs = ", the province running every programme" if args.programmes else ""
    print(
        f"bench/engine.py: {len(every)} updates through ConversationEngine.process on {engine}{runs}, CPU time per call"
    )
    for step, values in sorted(bench.cpu.items(), key=lambda kv: -statistics.mean(kv[1])):
        statements = bench.statements[step] / len(values)
        print(f"  {step:<12} {len(values):>5} x {statistics.mean(values) * 1e6:7.0f} µs, {statements:4.1f} statements")
    sent = sum(n for step, n in bench.statements.items() if step != "duplicate")
    print(f"statements per update: {sent / len(every):.2f} (BEGIN and COMMIT included)")
    print(f"all updates: {mean:.0f} µs CPU each (at most {1e6 / mean:.0f} updates/s on one core)")
    print(f"baseline, a redelivered update (dedupe and commit only): {baseline:.0f} µs; ratio {mean / baseline:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
