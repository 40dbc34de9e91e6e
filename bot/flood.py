"""Flood control on incoming updates: one account cannot keep the bot (and the database) busy.

Each account — (channel, user id) — has a token bucket: `burst` updates at once, then `per_minute` a minute
(config `[flood]`, 30 a minute and 10 at once by default). An update beyond that is acknowledged like any
other (the webhook answers 200, polling moves past it), so the platform does not send it again, and is dropped
here, before the engine opens a database transaction. The first drop of a flood episode writes one notice to
the person, in their language; the episode ends once the account has sent nothing over the limit for as long
as the bucket takes to fill up again, so a steady flood gets one notice, not one a minute.

What is dropped was never processed: nothing the person had confirmed before is touched, and a read-back
whose «Đúng» press was dropped keeps its buttons, so pressing again later saves it (the notice says so).

The gate sits between the channels and the engine (`UpdateProcessor`), so it works the same whether the
engine runs in a thread or in a process of its own; it is called from the update threads (one per lane,
bot/engine_lanes.py), the buckets under a lock.
The buckets live in this process's memory: with several instances each would count only the updates it
received (acceptable for now; a shared limit would live in PostgreSQL or be keyed by instance).
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.engine import Outcome, UpdateProcessor
from bot.i18n import Translator
from bot.messages import Incoming, Reply
from bot.ratelimit import TokenBucket
from bot.settings import FloodLimits
from storage import outbox
from storage.db import Database
from storage.models import ChannelAccount, ConversationState, Member
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

Monotonic = Callable[[], float]
AccountKey = tuple[str, str]  # (channel, user id)

SWEEP_EVERY = 4096  # admissions between two sweeps of the accounts that have calmed down

_ACCOUNT_CHAT = select(ChannelAccount.chat_id).where(
    ChannelAccount.channel == bindparam("channel"), ChannelAccount.user_id == bindparam("user_id")
)
_ACCOUNT_LOCALE = (
    select(Member.locale)
    .join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
    .where(ChannelAccount.channel == bindparam("channel"), ChannelAccount.user_id == bindparam("user_id"))
)


class Verdict(enum.Enum):
    ACCEPT = "accept"
    DROP = "drop"  # over the limit; the person was already told in this episode
    DROP_AND_NOTIFY = "drop and notify"  # over the limit, the first time in this episode: tell them


@dataclass(slots=True)
class _Account:
    """One account's token bucket and the latest drop of its current flood episode (None when there is none)."""

    bucket: TokenBucket
    last_drop: float | None = None


class FloodLimiter:
    """Token buckets keyed by account; `admit` is a dict lookup and a little arithmetic per update."""

    def __init__(self, per_minute: float, burst: int, now: Monotonic = time.monotonic) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("flood limits must be positive")
        self.rate = per_minute / 60.0  # tokens a second
        self.burst = float(burst)
        self.refill_seconds = self.burst / self.rate  # an empty bucket is full again after this long
        self.now = now
        self._buckets: dict[AccountKey, _Account] = {}
        self._admissions = 0
        self._lock = threading.Lock()

    @classmethod
    def from_limits(cls, limits: FloodLimits, now: Monotonic = time.monotonic) -> FloodLimiter:
        """A limiter for the config's `[flood]` section."""
        return cls(limits.per_minute, limits.burst, now)

    def admit(self, channel: str, user_id: str) -> Verdict:
        """Take one token for this account's update, or say it is over the limit (and whether to tell them)."""
        with self._lock:  # the update threads (one per lane) admit at once
            return self._admit(channel, user_id)

    def _admit(self, channel: str, user_id: str) -> Verdict:
        now = self.now()
        self._admissions += 1
        if self._admissions % SWEEP_EVERY == 0:
            self._sweep(now)
        key = (channel, user_id)
        account = self._buckets.get(key)
        if account is None:
            account = self._buckets[key] = _Account(TokenBucket(self.rate, self.burst, now))
        if account.last_drop is not None and now - account.last_drop >= self.refill_seconds:
            account.last_drop = None  # calm for a whole refill: the episode is over
        if account.bucket.try_take(now) == 0.0:
            return Verdict.ACCEPT
        first = account.last_drop is None
        account.last_drop = now
        return Verdict.DROP_AND_NOTIFY if first else Verdict.DROP

    def _sweep(self, now: float) -> None:
        """Forget accounts whose bucket is full again and whose episode is over: memory stays bounded (a full
        bucket is what a new account starts with)."""
        calm = [
            key
            for key, account in self._buckets.items()
            if account.bucket.full(now)
            and (account.last_drop is None or now - account.last_drop >= self.refill_seconds)
        ]
        for key in calm:
            del self._buckets[key]


class FloodGate:
    """An `UpdateProcessor` in front of the engine: updates over an account's limit are dropped unprocessed."""

    def __init__(
        self,
        inner: UpdateProcessor,
        limiter: FloodLimiter,
        database: Database,
        clock: Clock,
        on_outbox: Callable[[list[OutboxItem]], None],
    ) -> None:
        self.inner = inner
        self.limiter = limiter
        self.database = database
        self.clock = clock
        self.on_outbox = on_outbox  # the notice's outbox items, for the sender, after its commit
        self.dropped = 0
        self.notices = 0

    def process(self, incoming: Incoming) -> Outcome:
        """Handle one update, unless its account is over the limit (blocking, on the update thread)."""
        verdict = self.limiter.admit(incoming.channel, incoming.user_id)
        if verdict is Verdict.ACCEPT:
            return self.inner.process(incoming)
        self._drop(incoming, verdict)
        return Outcome.DROPPED

    def process_each(self, incomings: Sequence[Incoming]) -> Iterator[Outcome]:
        """A batch in order: the accepted updates go to the engine in one batch, the others are dropped.

        Yields one outcome per update, in the batch's order; a notice is written when its update's turn comes,
        after the updates before it committed, so it follows their answers in the chat."""
        verdicts = [self.limiter.admit(incoming.channel, incoming.user_id) for incoming in incomings]
        accepted = [
            incoming for incoming, verdict in zip(incomings, verdicts, strict=True) if verdict is Verdict.ACCEPT
        ]
        outcomes = self.inner.process_each(accepted)
        try:
            for incoming, verdict in zip(incomings, verdicts, strict=True):
                if verdict is Verdict.ACCEPT:
                    yield next(outcomes)
                else:
                    self._drop(incoming, verdict)
                    yield Outcome.DROPPED
        finally:
            if isinstance(outcomes, Generator):  # stopped early: the engine finishes what it took and hands it over
                outcomes.close()

    def _drop(self, incoming: Incoming, verdict: Verdict) -> None:
        """Count the drop; on the episode's first, tell the person (one small transaction)."""
        self.dropped += 1
        if verdict is not Verdict.DROP_AND_NOTIFY:
            return
        log.warning(
            "%s account %s is sending too fast; its updates are set aside for a while",
            incoming.channel,
            incoming.user_id,
        )
        try:
            items = self._write_notice(incoming)
        except Exception:  # the database is down: the drop stands, the person is told next episode
            log.exception("could not write the flood notice for %s account %s", incoming.channel, incoming.user_id)
            return
        self.notices += 1
        self.on_outbox(items)

    def _write_notice(self, incoming: Incoming) -> list[OutboxItem]:
        """Put the notice (and, for a button press, the answer that stops its spinner) in the outbox."""
        now = self.clock.now()
        with self.database.session() as session:
            tr = Translator(_locale(session, incoming))
            _ = tr.gettext
            notice = Reply(
                _(
                    "Bạn gửi nhanh quá nên mình tạm bỏ qua các tin nhắn và nút bấm vừa rồi (chưa làm, "
                    "chưa lưu gì từ đó). Những gì bạn đã lưu trước đó vẫn còn nguyên. Bạn đợi một lát rồi "
                    "gửi lại hoặc bấm lại nút nhé."
                )
            )
            # In a group the notice is the flooder's business alone: their private chat, if the bot knows it.
            chat_id = incoming.chat_id if incoming.chat_type == "private" else _private_chat(session, incoming)
            items = (
                [outbox.message_item(incoming.channel, chat_id, notice.to_payload(), incoming.bot)] if chat_id else []
            )
            if incoming.callback_id:
                items.insert(
                    0,
                    outbox.callback_answer_item(
                        incoming.channel, incoming.chat_id, incoming.callback_id, bot=incoming.bot
                    ),
                )
            return outbox.enqueue_many(session, items, now=now)


def _private_chat(session: Session, incoming: Incoming) -> str | None:
    """The private chat of the person behind a group message, if they joined (else None)."""
    params = {"channel": incoming.channel, "user_id": incoming.user_id}
    return session.exec(_ACCOUNT_CHAT, params=params).first()


def _locale(session: Session, incoming: Incoming) -> str:
    """The person's language as the engine would pick it: the member's, the one chosen before joining, or vi."""
    params = {"channel": incoming.channel, "user_id": incoming.user_id}
    locale = session.exec(_ACCOUNT_LOCALE, params=params).first()
    if locale is None:
        state = session.get(ConversationState, (incoming.channel, incoming.user_id, ""))
        locale = state.locale if state is not None else None
    return locale or "vi"
