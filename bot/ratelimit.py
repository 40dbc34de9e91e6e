"""The token bucket: one rate limiter for the outbox sender, the flood gate and the fake platforms.

`rate` tokens a second, at most `capacity` saved up. Time is passed in (monotonic seconds), never read here,
so each user brings its own clock and tests move time without sleeping.
"""

from __future__ import annotations


class TokenBucket:
    """`rate` tokens per second, at most `capacity` (at least 1) saved up, starting full at `now`."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        if rate <= 0:
            raise ValueError("a token bucket needs a positive rate")
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self.tokens = self.capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is there now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Spend one token, even if that leaves the bucket in debt (the caller waited `wait_time` first)."""
        self._refill(now)
        self.tokens -= 1.0

    def try_take(self, now: float) -> float:
        """Spend one token if there is one and return 0; else spend nothing and return the seconds to wait."""
        wait = self.wait_time(now)
        if wait == 0.0:
            self.tokens -= 1.0
        return wait

    def full(self, now: float) -> bool:
        """True when nothing has been spent that is not yet refilled (the bucket can be forgotten)."""
        self._refill(now)
        return self.tokens >= self.capacity
