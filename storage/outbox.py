"""The outbox: what the bot has to send, written in the same transaction as what caused it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import update
from sqlmodel import Session, select

from storage.models import OutboxMessage

KIND_MESSAGE = "message"
KIND_EDIT = "edit"
KIND_ANSWER_CALLBACK = "answer_callback"
KIND_SET_COMMANDS = "set_commands"

# session.info keys: what a unit of work put in the outbox, for the sender after commit.
NEW_ITEMS = "bdhvs.outbox.new_items"  # the OutboxMessage objects added (their ids are set at commit)
OTHER_ITEMS = "bdhvs.outbox.other_items"  # True when rows were inserted without an object (enqueue_once)


def enqueue(
    session: Session,
    *,
    channel: str,
    chat_id: str,
    kind: str,
    payload: dict[str, Any],
    now: dt.datetime,
    idempotency_key: Optional[str] = None,
) -> Optional[OutboxMessage]:
    """Add one item; with an idempotency key already used, add nothing and return None."""
    if idempotency_key is not None:
        existing = session.exec(
            select(OutboxMessage.id).where(OutboxMessage.idempotency_key == idempotency_key)
        ).first()
        if existing is not None:
            return None
    item = OutboxMessage(
        channel=channel,
        chat_id=chat_id,
        kind=kind,
        payload=payload,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    session.add(item)
    session.info.setdefault(NEW_ITEMS, []).append(item)
    return item


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
    """Add one item unless its idempotency key was used; True when added.

    Race-safe across processes: INSERT ... ON CONFLICT DO NOTHING on the key's unique index (SQLite and
    PostgreSQL), so two schedulers firing the same reminder at once put it in the outbox once.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    else:  # pragma: no cover - only the two databases we ship for
        return enqueue(session, channel=channel, chat_id=chat_id, kind=kind, payload=payload, now=now,
                       idempotency_key=idempotency_key) is not None
    statement = (
        insert(OutboxMessage.__table__)  # type: ignore[attr-defined]
        .values(channel=channel, chat_id=chat_id, kind=kind, payload=payload, idempotency_key=idempotency_key,
                status="pending", attempts=0, created_at=now)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxMessage.__table__.c.id)  # type: ignore[attr-defined]
    )
    # A row comes back only when it was inserted (rowcount is not reliable with RETURNING on psycopg).
    inserted = session.connection().execute(statement).first() is not None
    if inserted:
        session.info[OTHER_ITEMS] = True
    return inserted
