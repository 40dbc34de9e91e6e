"""The shared token bucket: burst, refill, debt and the time to wait."""

from __future__ import annotations

import pytest

from bot.ratelimit import TokenBucket


def test_a_full_bucket_gives_its_burst_then_one_token_per_refill() -> None:
    bucket = TokenBucket(rate=2.0, capacity=3, now=100.0)
    assert [bucket.try_take(100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.try_take(100.0) == pytest.approx(0.5)
    assert bucket.try_take(100.25) == pytest.approx(0.25)  # a refused try spends nothing
    assert bucket.try_take(100.5) == 0.0
    assert not bucket.full(100.5) and bucket.full(102.0)


def test_take_may_go_into_debt_and_wait_time_counts_it() -> None:
    bucket = TokenBucket(rate=1.0, capacity=1, now=0.0)
    bucket.take(0.0)
    bucket.take(0.0)
    assert bucket.wait_time(0.0) == pytest.approx(2.0)
    assert bucket.wait_time(2.0) == 0.0


def test_time_going_backwards_refills_nothing_and_rate_must_be_positive() -> None:
    bucket = TokenBucket(rate=1.0, capacity=2, now=10.0)
    bucket.take(10.0)
    bucket.take(10.0)
    assert bucket.wait_time(5.0) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        TokenBucket(rate=0.0, capacity=1, now=0.0)
