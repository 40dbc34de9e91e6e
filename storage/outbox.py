"""The outbox: what the bot has to send, written in the same transaction as what caused it."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import insert, update
from sqlmodel import Session, select

from storage.db import conflict_insert
from storage.models import OutboxMessage

KIND_MESSAGE = "message"
KIND_EDIT = "edit"
KIND_ANSWER_CALLBACK = "answer_callback"
KIND_SET_COMMANDS = "set_commands"

# Statuses: pending (to send), held (not before next_attempt_at, and holding back nothing else of its chat),
# sent, failed.
STATUS_HELD = "held"

# session.info keys: what a unit of work put in the outbox, for the sender after commit.
NEW_ITEMS = "bdhvs.outbox.new_items"  # the OutboxItems added, to hand to the sender once committed


@dataclass(frozen=True)
class OutboxItem:
    """One outbox row as the sender needs it: written by `enqueue`, read back by the sender's scans.

    A plain object rather than the ORM model: an outbox row is written once and then only read, and building
    a validated SQLModel object for each one cost more than the insert itself.
    """

    id: int
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]
    attempts: int = 0
    idempotency_key: Optional[str] = None


ITEM_COLUMNS = ("id", "channel", "chat_id", "kind", "payload", "attempts", "idempotency_key")


def item_columns() -> list[Any]:
    """The columns an `OutboxItem` is made of, for a SELECT or a RETURNING."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    return [table.c[name] for name in ITEM_COLUMNS]


# The inserts are built once: the values go in as parameters, so the compiled statement is reused instead of a
# new one being built and keyed for every item.
_INSERT = insert(OutboxMessage.__table__).returning(*item_columns())  # type: ignore[attr-defined]
_INSERT_MANY = insert(OutboxMessage.__table__).returning(  # type: ignore[attr-defined]
    *item_columns(), sort_by_parameter_order=True)


@functools.lru_cache(maxsize=None)
def _insert_once(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: race-safe across processes, the key's unique index decides."""
    return (conflict_insert(dialect, OutboxMessage.__table__)  # type: ignore[attr-defined]
            .on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(*item_columns()))


def enqueue(
    session: Session,
    *,
    channel: str,
    chat_id: str,
    kind: str,
    payload: dict[str, Any],
    now: dt.datetime,
    idempotency_key: Optional[str] = None,
) -> Optional[OutboxItem]:
    """Add one item (inserted at once, in the session's transaction); None when its idempotency key was used.

    The item is also listed in `session.info[NEW_ITEMS]`, so the engine can hand it to the sender after commit.
    """
    connection = session.connection()
    statement = _INSERT if idempotency_key is None else _insert_once(connection.dialect.name)
    row = connection.execute(statement, {
        "channel": channel, "chat_id": chat_id, "kind": kind, "payload": payload,
        "idempotency_key": idempotency_key, "status": "pending", "attempts": 0, "created_at": now,
    }).first()
    if row is None:
        return None
    item = OutboxItem(*row)
    session.info.setdefault(NEW_ITEMS, []).append(item)
    return item


def enqueue_many(session: Session, items: list[dict[str, Any]], *, now: dt.datetime) -> list[OutboxItem]:
    """Add several items (each a dict of channel, chat_id, kind, payload) in one statement, in this order.

    What the engine writes for one update (the callback answer, the closed message, the replies): one
    round trip instead of one per item. Listed in `session.info[NEW_ITEMS]` like `enqueue`'s.
    """
    if not items:
        return []
    rows = session.connection().execute(_INSERT_MANY, [
        {"channel": item["channel"], "chat_id": item["chat_id"], "kind": item["kind"], "payload": item["payload"],
         "idempotency_key": None, "status": "pending", "attempts": 0, "created_at": now}
        for item in items
    ]).all()
    added = [OutboxItem(*row) for row in rows]
    session.info.setdefault(NEW_ITEMS, []).extend(added)
    return added


def pending(session: Session, *, now: dt.datetime, after_id: int = 0, limit: int = 500) -> list[OutboxMessage]:
    """Items due to be sent, oldest first."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.id > after_id)
        .where((OutboxMessage.next_attempt_at == None) | (OutboxMessage.next_attempt_at <= now))  # noqa: E711
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(session.exec(query))


def mark_sent(session: Session, ids: list[int], now: dt.datetime) -> None:
    if ids:
        session.exec(  # type: ignore[call-overload]
            update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(status="sent", sent_at=now)  # type: ignore[union-attr]
        )


def mark_failed(session: Session, item_id: int, error: str, now: dt.datetime) -> None:
    session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(OutboxMessage.id == item_id)
        .values(status="failed", last_error=error[:500], sent_at=now)
    )


def hold(session: Session, item_id: int, until: dt.datetime) -> None:
    """Keep an item back until `until` (a reminder in the quiet hours) without blocking the rest of its chat."""
    session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(OutboxMessage.id == item_id, OutboxMessage.status == "pending")
        .values(status=STATUS_HELD, next_attempt_at=until, last_error="held until the quiet hours end")
    )


def release_held(session: Session, now: dt.datetime) -> int:
    """Items held until now or earlier become pending again; how many."""
    result = session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(OutboxMessage.status == STATUS_HELD, OutboxMessage.next_attempt_at <= now)
        .values(status="pending", next_attempt_at=None, last_error=None)
    )
    return int(result.rowcount or 0)


def reschedule(session: Session, item_id: int, error: str, at: dt.datetime, count_attempt: bool = True) -> None:
    """Try again later (after a 429, a 5xx or a time-out); a 429 does not count as a failed attempt."""
    session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(OutboxMessage.id == item_id)
        .values(
            attempts=OutboxMessage.attempts + (1 if count_attempt else 0),
            last_error=error[:500],
            next_attempt_at=at,
        )
    )


def enqueue_once(
    session: Session,
    *,
    channel: str,
    chat_id: str,
    kind: str,
    payload: dict[str, Any],
    now: dt.datetime,
    idempotency_key: str,
) -> bool:
    """Add one item unless its idempotency key was used; True when added (race-safe, see `enqueue`)."""
    return enqueue(session, channel=channel, chat_id=chat_id, kind=kind, payload=payload, now=now,
                   idempotency_key=idempotency_key) is not None
