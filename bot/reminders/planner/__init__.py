"""Which reminders are due in a window of time, to whom, saying what; and putting them in the outbox once.

`plan(session, tz, start, end, now)` finds every firing whose send time (after the quiet hours) falls in
[start, end) and is still useful at `now`, then asks each rule's collector who has not done the thing yet
(evaluated at `now`). Nothing here sends; `enqueue` writes the reminders into the outbox with the
idempotency key (rule, period, recipient), so a reminder goes out once whatever fires it twice.

A missed firing stays useful until the next firing of the same rule, and never beyond:
    weekly_session          the end of its week (Sunday 21:00)
    weekly_summary          12 hours
    province_consolidation  the 25th (21:00), the province's own deadline
    other monthly kinds     3 days
    custom                  the deadline day (21:00)
No reminder is planned while `now` is in the quiet hours: what is due then goes out at 07:00.
"""

from __future__ import annotations

import collections
import datetime as dt

from sqlmodel import Session, col, select

from bot.reminders.planner.collectors import COLLECTORS
from bot.reminders.planner.dues import KEY_PREFIX, Due
from bot.reminders.planner.firings import Firing, firings
from storage import outbox
from storage.models import OutboxMessage
from storage.reminders import is_quiet

__all__ = ["KEY_PREFIX", "Due", "Firing", "enqueue", "firings", "plan", "preview", "queued_keys"]


def plan(
    session: Session, tz: dt.tzinfo, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> list[Due]:
    """The reminders of the firings sent in [start, end) and still useful at `now` (default: `end`)."""
    now_local = (now or end).astimezone(tz)
    if is_quiet(now_local):
        return []
    out: list[Due] = []
    for firing in firings(session, tz, start, end):
        if firing.at <= now_local < firing.useful_until:
            out += COLLECTORS[firing.kind](session, firing, now_local)
    return out


def preview(session: Session, tz: dt.tzinfo, at: dt.datetime) -> list[Due]:
    """What fires at the minute holding `at` (what `bdhvs reminders preview --at` prints)."""
    local = at.astimezone(tz)
    minute = local.replace(second=0, microsecond=0)
    return plan(session, tz, minute, minute + dt.timedelta(minutes=1), now=local)


def queued_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of these idempotency keys are already in the outbox."""
    found: set[str] = set()
    for index in range(0, len(keys), 500):
        chunk = keys[index : index + 500]
        found.update(
            k
            for k in session.exec(
                select(OutboxMessage.idempotency_key).where(col(OutboxMessage.idempotency_key).in_(chunk))
            )
            if k
        )
    return found


def enqueue(
    session: Session, dues: list[Due], now: dt.datetime, by_rule: collections.Counter[str] | None = None
) -> int:
    """Put the reminders in the outbox, each once (by its key); returns how many were new (and counts them by
    rule kind into `by_rule`, when given)."""
    added = 0
    for due in dues:
        if outbox.enqueue_once(
            session,
            channel=due.channel,
            chat_id=due.chat_id,
            kind=outbox.KIND_MESSAGE,
            payload=due.payload(),
            now=now,
            idempotency_key=due.key,
        ):
            added += 1
            if by_rule is not None:
                by_rule[due.rule] += 1
    return added
