"""Outbox rows claimed with leases, for several instances sending from one PostgreSQL database.

On SQLite one instance runs, and the sender keeps its claims in memory (bot/delivery/claims.py). On PostgreSQL
every instance's sender claims rows in the database as well: a claim stamps `claimed_by` (the instance) and
`lease_until` (database time, `now() + lease`) on the rows it takes, and the holder renews the lease of the rows
it still has every few seconds. A row whose lease ran out (its holder died, or lost the database) is free for
any instance; nothing is lost.

The rules of one claim, which keep each chat's order across instances:
- rows are taken oldest first, due now, on the channels this instance sends, not already in its hands;
- a chat is held by one instance at a time: no row of a chat is taken while another instance holds a live
  lease on any row of that chat still to send (until its last one is sent, failed or its lease runs out);
- no row is taken behind an earlier row of its chat that waits for a later attempt (a 429, a 5xx);
- claims are taken one at a time across instances (a transaction-level advisory lock around the statement, a
  few milliseconds): two claims running side by side could otherwise each see a chat free and take different
  rows of it. `FOR UPDATE SKIP LOCKED` passes over rows another transaction is writing (a mark, a retry).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from typing import Any, cast

from sqlalchemy import CursorResult, Insert, Interval, and_, bindparam, case, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import array
from sqlmodel import Session

from storage import outbox
from storage.outbox import STATUS_HELD, TABLE, DueScan, OutboxItem, item_columns, waiting_chats

# The key of the advisory lock one claim holds for its transaction (any 64-bit number of our own).
CLAIM_LOCK = 0x6264_6876_7302  # "bdhvs" 2
KEY_SEPARATOR = "\x1f"  # between a chat's channel and id in the list of chats that are not free


def chat_key(channel: str, chat_id: str) -> str:
    """A chat as one string, for the list of chats that are not free."""
    return f"{channel}{KEY_SEPARATOR}{chat_id}"


def claim_due(
    session: Session,
    *,
    owner: str,
    lease: dt.timedelta,
    now: dt.datetime,
    channels: list[str],
    in_hand: frozenset[int],
    room: int,
    after_id: int = 0,
) -> list[OutboxItem]:
    """Lease up to `room` due rows to `owner` by the rules above, oldest first; `in_hand` are the rows the
    owner already holds (left out). `now` decides what is due (the application's clock); leases run on the
    database's clock, the same for every instance wherever it runs."""
    if room <= 0 or not channels:
        return []
    connection = session.connection()
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
    db_now = func.now()
    # Two statements rather than one with a correlated NOT EXISTS: a fan-out puts thousands of rows in the table
    # before its statistics are refreshed, and the planner then joined every row to every other (minutes).
    # First the chats that are not free: a row under another's live lease, or a row waiting for a later attempt.
    busy = connection.execute(
        select(TABLE.c.channel, TABLE.c.chat_id)
        .where(
            TABLE.c.status == "pending",
            or_(
                and_(TABLE.c.claimed_by != owner, TABLE.c.lease_until >= db_now),
                TABLE.c.next_attempt_at > now,
            ),
        )
        .group_by(TABLE.c.channel, TABLE.c.chat_id)
    ).all()
    row = TABLE.alias("candidate")
    conditions: list[Any] = [
        row.c.status == "pending",
        or_(row.c.next_attempt_at.is_(None), row.c.next_attempt_at <= now),
        row.c.channel.in_(channels),
        row.c.id > after_id,
        or_(row.c.claimed_by.is_(None), row.c.claimed_by == owner, row.c.lease_until < db_now),
    ]
    if busy:
        keys = sorted({chat_key(channel, chat_id) for channel, chat_id in busy})
        conditions.append(row.c.channel.concat(KEY_SEPARATOR).concat(row.c.chat_id) != func.all(array(keys)))
    if in_hand:
        conditions.append(row.c.id.not_in(sorted(in_hand)))
    candidates = select(row.c.id).where(*conditions).order_by(row.c.id).limit(room).with_for_update(skip_locked=True)
    claimed = connection.execute(
        update(TABLE)
        .where(TABLE.c.id.in_(candidates.scalar_subquery()))
        .values(claimed_by=owner, lease_until=db_now + lease)
        .returning(*item_columns())
    ).all()
    return sorted((OutboxItem(*found) for found in claimed), key=lambda item: item.id)


def claim_scan(
    session: Session,
    *,
    owner: str,
    lease: dt.timedelta,
    now: dt.datetime,
    channels: list[str],
    in_hand: frozenset[int],
    room: int,
    after_id: int | None,
) -> DueScan:
    """What `outbox.scan_due` reads, claimed: the due rows leased to `owner`; a full scan (`after_id` None)
    also finds the chats waiting behind a later attempt and when the next attempt and end of a hold are."""
    full = after_id is None
    scan = waiting_chats(session, now, channels) if full else DueScan(due=[], blockers={}, next_due=None)
    scan.due.extend(
        claim_due(
            session,
            owner=owner,
            lease=lease,
            now=now,
            channels=channels,
            in_hand=in_hand,
            room=room,
            after_id=after_id or 0,
        )
    )
    return scan


def hold_claims_shared(session: Session) -> None:
    """Take the claims' lock shared for the transaction: no claim runs until it ends, and the statements after
    this one see every claim committed before (`enqueue_leased` needs it). The engine takes it inside its
    update's claim instead (storage/turn_writes.py:claim_update), saving a round trip."""
    session.connection().execute(_SHARED_CLAIM_LOCK, {"key": CLAIM_LOCK})


def enqueue_leased(
    session: Session, items: list[dict[str, Any]], *, owner: str, lease: dt.timedelta, now: dt.datetime
) -> list[OutboxItem]:
    """`outbox.enqueue_many` for an update's replies, each row leased to `owner` by the same INSERT when its
    chat is free for it; the items, `leased` saying which. Their instance then sends them as it got them,
    without a claim of its own. The claims' lock must be held shared already (`hold_claims_shared`, or the
    engine's claim: `turn_writes.claim_update`), taken by an earlier statement of the transaction.

    A chat is free when every other row of it still to send is under the owner's own live lease and due (in
    its hands already): not under another's lease, not left unclaimed (it goes first, by a claim), not waiting
    for a later attempt; the rows of a chat that is not free are left to the claims as any row. The check runs
    in a statement that began after the lock was taken (a statement sees what committed before it began): no
    claim runs between this check and the commit, and the claims after it see the chat held, while the
    transactions leasing their replies (each its own chat, under the chat's lock) do not wait for one another.
    The rows one INSERT writes do not see one another, so an update's replies never stand in each other's way."""
    if not items:
        return []
    rows = outbox.many_values(items, now)
    for row in rows:
        row.update(lease_channel=row["channel"], lease_chat=row["chat_id"], lease_now=now, owner=owner, lease=lease)
    written = session.connection().execute(_enqueue_leased_statement(), rows).all()
    added = [leased_item(found, owner) for found in written]
    session.info.setdefault(outbox.NEW_ITEMS, []).extend(added)
    return added


def leased_item(found: Any, owner: str) -> OutboxItem:
    """An item from a row a leasing INSERT returned (its columns, then `claimed_by`): `_enqueue_leased_statement`
    here, `turn_writes.save_turn`."""
    item = OutboxItem(*found[:-1])
    return dataclasses.replace(item, leased=True) if found[-1] == owner else item


_SHARED_CLAIM_LOCK = text("SELECT pg_advisory_xact_lock_shared(:key)")


@functools.cache
def _enqueue_leased_statement() -> Insert:
    """`enqueue_leased`'s INSERT, built once: each row's `claimed_by` and `lease_until` are set when no other row
    of its chat is in the way (its chat and time are named again in `lease_channel`, `lease_chat` and
    `lease_now`: a column's own name cannot be a parameter of its INSERT)."""
    owner = bindparam("owner", type_=TABLE.c.claimed_by.type)
    db_now = func.now()
    other = TABLE.alias("other")
    in_the_way = (
        select(other.c.id)
        .where(
            other.c.channel == bindparam("lease_channel", type_=TABLE.c.channel.type),
            other.c.chat_id == bindparam("lease_chat", type_=TABLE.c.chat_id.type),
            other.c.status == "pending",
            or_(
                other.c.claimed_by.is_distinct_from(owner),
                other.c.lease_until.is_(None),
                other.c.lease_until < db_now,
                other.c.next_attempt_at > bindparam("lease_now", type_=TABLE.c.next_attempt_at.type),
            ),
        )
        .exists()
    )
    return (
        insert(TABLE)
        .values(
            claimed_by=case((~in_the_way, owner)),
            lease_until=case((~in_the_way, db_now + bindparam("lease", type_=Interval))),
        )
        .returning(*item_columns(), TABLE.c.claimed_by, sort_by_parameter_order=True)
    )


def renew(session: Session, owner: str, ids: list[int], lease: dt.timedelta) -> set[int]:
    """Extend the owner's live leases on these rows (those it still has in hand); the ids renewed.

    A lease that already ran out is not renewed (another instance may have taken the row since), nor a row
    sent, failed or held meanwhile: the owner lets go of the rows missing from the answer that are still to send."""
    if not ids:
        return set()
    renewed = session.execute(
        update(TABLE)
        .where(
            TABLE.c.id.in_(ids),
            TABLE.c.claimed_by == owner,
            TABLE.c.status == "pending",
            TABLE.c.lease_until >= func.now(),
        )
        .values(lease_until=func.now() + lease)
        .returning(TABLE.c.id)
    ).all()
    return {int(row[0]) for row in renewed}


def release_owner(session: Session, owner: str) -> int:
    """The owner stops: its rows still to send are free at once for the other instances; how many."""
    result = session.execute(
        update(TABLE)
        .where(TABLE.c.claimed_by == owner, TABLE.c.status.in_(["pending", STATUS_HELD]))
        .values(claimed_by=None, lease_until=None)
    )
    return int(cast("CursorResult[Any]", result).rowcount or 0)  # an UPDATE's result is a cursor result


def holders(session: Session) -> dict[str, int]:
    """Rows still to send by the instance holding a live lease on them (for the operator and the tests)."""
    rows = session.execute(
        select(TABLE.c.claimed_by, func.count())
        .where(TABLE.c.status == "pending", TABLE.c.claimed_by.is_not(None), TABLE.c.lease_until >= func.now())
        .group_by(TABLE.c.claimed_by)
    ).all()
    return {str(owner): int(count) for owner, count in rows}
