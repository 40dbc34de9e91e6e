"""Pacing of outbox sends: the platforms' rate limits, and a channel's pause after it asked to slow down.

Token buckets (bot/ratelimit.py, real monotonic time): one per bot token for the bot as a whole
(`global_per_second`; `token_key`), one per private chat (`private_chat_per_second`, burst `private_chat_burst`: a
two-message reply goes out at once) and one per group (`group_per_minute`). Kinds that add no message to a chat
(`UNMETERED_KINDS`) count only against the bot's overall rate. A 429 pauses that token's sends for the time the
platform asked. The sender asks here how long to wait; it never keeps buckets of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.messages import ChatKey
from bot.ratelimit import TokenBucket
from bot.settings import RateLimits
from storage import outbox


def token_key(item: outbox.OutboxItem) -> str:
    """Whose rate limits an item spends: its bot's token. The channel's default bot is named by the channel
    alone (as with one bot); another bot by channel and key, so each token has its own buckets and pauses and a
    national fan-out runs on all tokens at once."""
    return item.channel if item.bot is None else f"{item.channel}:{item.bot}"


GroupCheck = Callable[[str, str], bool]  # (channel, chat id) -> True when the chat is a group

# Not counted against a chat's own limit: they add no new message to the chat (an edit closes the message
# whose button was pressed); they still count against the bot's overall rate.
UNMETERED_KINDS = frozenset({outbox.KIND_ANSWER_CALLBACK, outbox.KIND_SET_COMMANDS, outbox.KIND_EDIT})

IDLE_CHATS_KEPT = 10_000  # beyond this many chat buckets, the full (idle) ones are forgotten


class Pacer:
    """How long a send must wait for the platform's limits, per channel and per chat; `take_*` spends a turn."""

    def __init__(self, limits: RateLimits, is_group: GroupCheck) -> None:
        self.limits = limits
        self.is_group = is_group  # asked once per chat, when its bucket is made
        self._channel_buckets: dict[str, TokenBucket] = {}
        self._chat_buckets: dict[ChatKey, TokenBucket] = {}
        self._paused_until: dict[str, float] = {}

    def chat_wait(self, key: ChatKey, kind: str, now: float) -> float:
        """Seconds before the chat may get an item of this kind (0: now)."""
        if kind in UNMETERED_KINDS:
            return 0.0
        return self._chat_bucket(key, now).wait_time(now)

    def take_chat(self, key: ChatKey, kind: str, now: float) -> None:
        """An item of this kind goes to the chat now: spend the chat's turn (unmetered kinds spend nothing)."""
        if kind not in UNMETERED_KINDS:
            self._chat_bucket(key, now).take(now)

    def take_channel(self, channel: str, now: float) -> float:
        """Spend one of the channel's turns and return 0, or return the seconds to wait (a pause or the rate)."""
        bucket = self._channel_buckets.get(channel)
        if bucket is None:
            rate = self.limits.global_per_second
            bucket = self._channel_buckets[channel] = TokenBucket(rate, max(1.0, rate), now)
        wait = max(self._paused_until.get(channel, 0.0) - now, bucket.wait_time(now))
        if wait <= 0:
            bucket.take(now)
            return 0.0
        return wait

    def pause(self, channel: str, seconds: float, now: float) -> None:
        """The platform asked the channel to slow down: nothing goes out on it for `seconds`."""
        self._paused_until[channel] = max(self._paused_until.get(channel, 0.0), now + seconds)

    def _chat_bucket(self, key: ChatKey, now: float) -> TokenBucket:
        """The chat's bucket, made on first use (a group's is slower than a private chat's)."""
        bucket = self._chat_buckets.get(key)
        if bucket is None:
            if len(self._chat_buckets) > IDLE_CHATS_KEPT:  # forget idle chats (a full bucket is the default)
                self._chat_buckets = {k: b for k, b in self._chat_buckets.items() if not b.full(now)}
            limits = self.limits
            if self.is_group(*key):
                bucket = group_bucket(limits, now)
            else:
                bucket = TokenBucket(limits.private_chat_per_second, limits.private_chat_burst, now)
            self._chat_buckets[key] = bucket
        return bucket


def group_bucket(limits: RateLimits, now: float) -> TokenBucket:
    """A group's bucket: Telegram allows 20 messages a minute in a group. A small burst (a reply of two or three
    messages goes out at once), then a rate that leaves room for it, so no 60 seconds hold more than
    `group_per_minute` messages (a burst of 3 at 20 a minute would let 22 through)."""
    per_minute = limits.group_per_minute
    burst = max(1.0, min(limits.private_chat_burst, 3, per_minute / 2))
    rate = (per_minute - burst) if per_minute > burst else per_minute
    return TokenBucket(rate / 60.0, burst, now)
