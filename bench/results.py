"""What one phase of bench/throughput.py measured, and how it is printed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Stats:
    """What the people of one phase saw."""

    latencies: list[float] = field(default_factory=list)  # seconds, measured updates only
    completed: int = 0  # updates answered completely
    errors: int = 0
    measuring: bool = False
    by_flow: dict[str, int] = field(default_factory=dict)


@dataclass
class Result:
    """What one phase measured."""

    name: str
    rate: float  # updates answered per second
    p50_ms: float
    p99_ms: float
    updates: int
    errors: int
    seconds: float
    bot_cpu: float  # share of one core used by the bot (its process and the engine's own process, if any)
    harness_cpu: float  # share of one core used by this process (fake + people)
    db_cpu: float = float("nan")  # share of one core used by a PostgreSQL server on this machine for the bot
    offered: float | None = None  # fixed-rate phase: updates offered per second
    by_flow: dict[str, int] = field(default_factory=dict)
    api_calls: dict[str, float] = field(default_factory=dict)  # Bot API calls per update, whole phase
    engine: str | None = None  # the real bot: where it handled updates ("process" or "thread")
    problems: list[str] = field(default_factory=list)  # what `check_chats` found wrong after the run

    @property
    def bot_ms_per_update(self) -> float:
        """The bot's CPU per update answered, in milliseconds (its processes, not the database server)."""
        return 1000 * self.bot_cpu / self.rate if self.rate else float("nan")

    @property
    def db_ms_per_update(self) -> float:
        """The database server's CPU per update answered, in milliseconds (NaN where it was not read)."""
        return 1000 * self.db_cpu / self.rate if self.rate else float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def line(result: Result) -> str:
    text = (
        f"  {result.name:<6} {result.updates:>6} updates in {result.seconds:5.1f} s = {result.rate:7.1f} upd/s; "
        f"latency p50 {result.p50_ms:6.1f} ms, p99 {result.p99_ms:6.1f} ms; errors {result.errors}; "
        f"CPU bot {result.bot_cpu:4.0%}, "
        + ("" if result.db_cpu != result.db_cpu else f"database server {result.db_cpu:4.0%}, ")
        + f"fake+people {result.harness_cpu:4.0%}"
    )
    if result.rate > 0 and result.bot_cpu == result.bot_cpu:
        text += f"\n         CPU per update: bot {result.bot_ms_per_update:.2f} ms" + (
            "" if result.db_cpu != result.db_cpu else f", database server {result.db_ms_per_update:.2f} ms"
        )
    if result.engine:
        text += f"\n         engine: {result.engine}"
    if result.problems:
        text += f"\n         CHECK FAILED in {len(result.problems)} chats: " + "; ".join(result.problems[:5])
    elif result.name != "echo":
        text += "\n         checked: every chat's messages once each, in order; every confirmed entry stored once"
    if result.by_flow:
        text += "\n         flows completed: " + ", ".join(f"{k} {v}" for k, v in sorted(result.by_flow.items()))
    if result.api_calls:
        text += "\n         Bot API calls per update: " + ", ".join(
            f"{k} {v:.2f}" for k, v in sorted(result.api_calls.items(), key=lambda kv: -kv[1]) if v >= 0.01
        )
    return text
