"""What the outbox sender shares with the other instances on one PostgreSQL database: leases and each token's rate.

`Leases` names this instance and how long a claimed row stays its own without renewal (storage/outbox_leases.py
has the claim's rules). `SharedPace` reserves each send's slot in the token's `sendpace` row
(storage/instances.py), so the platform's global rate holds for the bot as a whole however many instances send;
a 429 there pauses every instance. Slots are reserved a few at a time (`BATCH_SECONDS` of the rate: one at
Telegram's 30 a second, 10 at 200), each reservation one short transaction on a thread of its own, apart from
the sender's other database work; a reserved slot that passed unused is dropped, never spent late in a burst.

Per-chat and per-group limits stay in each instance's memory (bot/pacing.py): a chat is held by one instance at
a time (the claim's rule), so its pace is counted where it is sent. When a chat passes to another instance (the
first one finished its rows, stopped or died) the new holder starts with the chat's full burst
(`private_chat_burst`, 3 by default): at most that many messages may follow the previous holder's last one
sooner than the chat's own rate allows.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from storage import instances
from storage.db import Database

BATCH_SECONDS = 0.05  # slots reserved at once: this many seconds of the rate (at least one)


@dataclass(frozen=True)
class Leases:
    """This instance's name in `claimed_by`, and the life of a lease (renewed every third of it)."""

    owner: str
    seconds: float = 15.0


def token_key(channel: str, token: str) -> str:
    """The unit of rate limits and polling locks: the channel and a hash of its token (the token never leaves
    the process), so several bots of one deployment each get their own."""
    return f"{channel}:{hashlib.sha256(token.encode()).hexdigest()[:16]}"


class SharedPace:
    """Each send's slot under its token's global rate, reserved in the database (PostgreSQL)."""

    def __init__(self, database: Database, rate: float, burst: float | None = None) -> None:
        self.database = database
        self.rate = rate
        self.burst = max(1.0, rate if burst is None else burst)  # as the in-memory bucket: a second's worth
        self.keys: dict[str, str] = {}  # channel -> its token's key
        self.interval = 1.0 / rate
        self.batch = max(1, int(rate * BATCH_SECONDS))
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="outbox-pace")
        self._made: set[str] = set()
        # channel -> [the next reserved slot (monotonic time), slots left]: the slots are that one and each
        # `interval` after it, kept as two numbers (a block at a high rate holds thousands of them).
        self._blocks: dict[str, list[float]] = {}
        self._lock = asyncio.Lock()

    def add(self, channel: str, key: str) -> None:
        """Pace this channel's sends by the token whose key this is."""
        self.keys[channel] = key

    async def reserve(self, channel: str) -> float:
        """Reserve the channel's next send; the seconds to wait before it (0: now). A channel without a token
        key (none given) is not paced here."""
        key = self.keys.get(channel)
        if key is None:
            return 0.0
        async with self._lock:
            block = self._blocks.get(channel)
            now = time.monotonic()
            if block is not None and block[0] < now - self.interval:
                # The slots that passed unused (the sender was slower) are dropped: spending them now would be
                # a burst.
                passed = min(block[1], math.floor((now - self.interval - block[0]) / self.interval) + 1)
                block[0] += passed * self.interval
                block[1] -= passed
            if block is None or block[1] < 1:
                wait = await asyncio.get_running_loop().run_in_executor(self._executor, self._reserve, key)
                block = self._blocks[channel] = [time.monotonic() + wait, float(self.batch)]
            slot = block[0]
            block[0] += self.interval
            block[1] -= 1
        return max(0.0, slot - time.monotonic())

    async def pause(self, channel: str, seconds: float) -> None:
        """The platform asked to slow down: every instance sending with this token waits `seconds`."""
        key = self.keys.get(channel)
        self._blocks.pop(channel, None)  # what was reserved before the 429 is not used
        if key is not None and seconds > 0:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._pause, key, seconds)

    def close(self) -> None:
        """End the pacing thread."""
        self._executor.shutdown(wait=False)

    def _reserve(self, key: str) -> float:
        """One reservation (on the pacing thread): one statement in autocommit, no BEGIN and COMMIT round trips."""
        if key not in self._made:
            with self.database.session() as session:
                instances.ensure_pace(session, key)
            self._made.add(key)
        with self.database.autocommit() as connection:
            return instances.reserve_send(connection, key, self.rate, self.burst, self.batch)

    def _pause(self, key: str, seconds: float) -> None:
        """One pause (on the pacing thread)."""
        with self.database.session() as session:
            instances.pause_sends(session, key, seconds)
