"""The shared pace's slots kept in this process between two reservations in the database (bot/delivery/shared.py):
a block of `batch` slots an interval apart, those that passed unused dropped. The database side is
tests/multi_instance/test_claims.py's."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.delivery import shared
from bot.delivery.shared import SharedPace


class Clock:
    """time.monotonic, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(shared, "time", fake)
    return fake


def paced(rate: float, database_waits: list[float]) -> tuple[SharedPace, list[str]]:
    """A pace whose database answers each reservation with the next of `database_waits`; the keys it reserved."""
    pace = SharedPace(database=Any, rate=rate)  # type: ignore[arg-type]  # the database is not reached
    pace.add("telegram", "telegram:key")
    reserved: list[str] = []

    def reserve(key: str) -> float:
        reserved.append(key)
        return database_waits.pop(0)

    pace._reserve = reserve  # type: ignore[method-assign]
    return pace, reserved


def test_a_block_of_slots_one_interval_apart(clock: Clock) -> None:
    pace, reserved = paced(200.0, [0.0, 0.5])  # 10 slots a reservation (50 ms of the rate), 5 ms apart
    assert pace.batch == 10

    async def run() -> list[float]:
        return [await pace.reserve("telegram") for _ in range(11)]

    waits = asyncio.run(run())
    pace.close()
    assert waits[:10] == pytest.approx([n * 0.005 for n in range(10)])
    assert waits[10] == pytest.approx(0.5)  # the eleventh needed a new reservation, which said: in half a second
    assert reserved == ["telegram:key", "telegram:key"]
    assert asyncio.run(pace.reserve("zalo")) == 0.0  # a channel without a token key is not paced here


def test_slots_that_passed_unused_are_dropped(clock: Clock) -> None:
    pace, reserved = paced(200.0, [0.0, 0.0, 0.0])

    async def run() -> list[float]:
        first = [await pace.reserve("telegram") for _ in range(2)]
        clock.now += 0.0201  # the slots at +10 and +15 ms passed unused; +20 ms is still due, then +25 ms ...
        later = [await pace.reserve("telegram") for _ in range(7)]
        return first + later

    waits = asyncio.run(run())
    assert waits[2] == 0.0  # +20 ms: now
    assert waits[3:8] == pytest.approx([0.0049, 0.0099, 0.0149, 0.0199, 0.0249])  # +25 ... +45 ms
    assert waits[8] == 0.0 and len(reserved) == 2  # the block ran out: reserved again
    clock.now += 10.0  # a long quiet spell: the rest of that block passed unused, and is not spent in a burst
    assert asyncio.run(pace.reserve("telegram")) == 0.0
    assert len(reserved) == 3
    pace.close()
