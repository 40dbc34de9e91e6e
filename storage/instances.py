"""The instances running on one PostgreSQL database, and each bot token's send rate shared between them.

Each `bdhvs run` on PostgreSQL has a row in `botinstance` (written at start, its heartbeat every few seconds,
removed at a clean stop) naming the leader roles it holds, so an operator sees who polls, who schedules and
who sends. A row whose heartbeat stopped is an instance that died; it is dropped after `FORGET_AFTER`.

A token's rate limit is one for the whole bot, however many instances send with it: `sendpace` keeps one row
per token with the earliest moment its next send may go (the theoretical arrival time of a GCRA, the token
bucket's exact equivalent in one number), in database seconds. Each send reserves its slot with one atomic
UPDATE; a 429 pushes the row's time past the pause the platform asked for, so every instance waits it out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, text
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from storage.db import conflict_insert
from storage.models import BotInstance, SendPace

FORGET_AFTER = dt.timedelta(hours=1)  # a dead instance's row is kept this long for the operator to see


@dataclass(frozen=True)
class InstanceRow:
    """One instance as the operator sees it: alive when its heartbeat is recent."""

    id: str
    host: str
    pid: int
    started_at: dt.datetime
    seen_at: dt.datetime
    roles: tuple[str, ...]
    alive: bool


def heartbeat(session: Session, instance_id: str, host: str, pid: int, roles: list[str], now: dt.datetime) -> None:
    """Write the instance's row: new, or its heartbeat (database time) and the roles it holds now."""
    table = BotInstance.__table__  # type: ignore[attr-defined]  # set by SQLModel, not in its stubs
    upsert = conflict_insert(session.connection().dialect.name, table).values(
        id=instance_id, host=host, pid=pid, started_at=now, seen_at=func.now(), roles=",".join(sorted(roles))
    )
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=["id"], set_={"seen_at": func.now(), "roles": upsert.excluded.roles}
        )
    )


def remove(session: Session, instance_id: str) -> None:
    """The instance stopped cleanly."""
    session.execute(delete(BotInstance).where(col(BotInstance.id) == instance_id))


def forget_dead(session: Session) -> int:
    """Drop rows whose heartbeat stopped more than `FORGET_AFTER` ago; how many."""
    result: Any = session.execute(delete(BotInstance).where(col(BotInstance.seen_at) < func.now() - FORGET_AFTER))
    return int(result.rowcount or 0)


def listed(session: Session, alive_within: dt.timedelta) -> list[InstanceRow]:
    """Every instance row, oldest start first; alive when its heartbeat is within `alive_within` (database time)."""
    rows = session.exec(
        select(BotInstance, col(BotInstance.seen_at) >= func.now() - alive_within).order_by(col(BotInstance.started_at))
    ).all()
    return [
        InstanceRow(
            row.id,
            row.host,
            row.pid,
            row.started_at,
            row.seen_at,
            tuple(role for role in row.roles.split(",") if role),
            bool(alive),
        )
        for row, alive in rows
    ]


# One reservation of `count` slots in a row: the first is the later of now and the row's time less the burst's
# tolerance; the row then moves `count` intervals past the later of its own time and that slot. Returns the
# seconds until the first slot (0: at once).
_RESERVE = text(
    """
    WITH clock AS (SELECT extract(epoch FROM clock_timestamp()) AS t),
    current AS (SELECT next_at FROM sendpace WHERE key = :key FOR UPDATE),
    slot AS (SELECT greatest(clock.t, current.next_at - :tolerance) AS s, current.next_at AS tat, clock.t AS t
             FROM clock, current)
    UPDATE sendpace SET next_at = greatest(slot.tat, slot.s) + :interval * :count
    FROM slot WHERE sendpace.key = :key
    RETURNING slot.s - slot.t
    """
)
_PAUSE = text(
    """
    UPDATE sendpace SET next_at = greatest(next_at, extract(epoch FROM clock_timestamp()) + :seconds)
    WHERE key = :key
    """
)


def ensure_pace(session: Session | Connection, key: str) -> None:
    """The token's pace row, made if missing (race-safe)."""
    table = SendPace.__table__  # type: ignore[attr-defined]  # set by SQLModel, not in its stubs
    session.execute(conflict_insert("postgresql", table).values(key=key, next_at=0.0).on_conflict_do_nothing())


def reserve_send(session: Session | Connection, key: str, rate: float, burst: float, count: int = 1) -> float:
    """Reserve the token's next `count` send slots at `rate` a second (one every 1/rate seconds from the first),
    with up to `burst` at once after a quiet spell; the seconds until the first (0: now). PostgreSQL only.

    One statement, a unit of work by itself: it may run in autocommit (`Database.autocommit`)."""
    interval = 1.0 / rate
    values = {"key": key, "interval": interval, "tolerance": max(0.0, burst - 1.0) * interval, "count": count}
    wait = session.execute(_RESERVE, values).scalar_one_or_none()
    if wait is None:  # the row is missing (a restored database): make it and reserve again
        ensure_pace(session, key)
        wait = session.execute(_RESERVE, values).scalar_one()
    return max(0.0, float(wait))


def pause_sends(session: Session, key: str, seconds: float) -> None:
    """The platform answered 429: no instance sends with this token for `seconds`. PostgreSQL only."""
    session.execute(_PAUSE, {"key": key, "seconds": seconds})
