"""The outbox: what the bot has to send, written in the same transaction as what caused it."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Table, and_, bindparam, func, insert, or_, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.db import conflict_insert, driver_cursor
from storage.models import ChannelAccount, GroupChat, OutboxMessage, table_of

KIND_MESSAGE = "message"
KIND_EDIT = "edit"
KIND_ANSWER_CALLBACK = "answer_callback"
KIND_SET_COMMANDS = "set_commands"

# Statuses: pending (to send), held (not before next_attempt_at, and holding back nothing else of its chat),
# sent, failed.
STATUS_HELD = "held"

# In a message's payload: it goes to a group chat (a reminder to a bound group), paced by the group limit even when
# the channel has not heard from the group since start-up.
TO_GROUP = "to_group"

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
    idempotency_key: str | None = None
    bot: str | None = None  # the bot (its key) that sends it; None: the channel's default bot
    # Several instances: leased to the instance whose engine wrote it, in the same transaction
    # (storage/outbox_leases.py:enqueue_leased), so its sender sends it as handed over, without a claim.
    leased: bool = False


TABLE: Table = table_of(OutboxMessage)
ITEM_COLUMNS = ("id", "channel", "chat_id", "kind", "payload", "attempts", "idempotency_key", "bot")


class _ChatsBot:
    """`enqueue`'s default for `bot`: the bot of the chat the item goes to (see `_CHATS_BOT`)."""


CHATS_BOT = _ChatsBot()

# What the bot starts (a reminder, a notice) goes through the bot the chat belongs to: a person's private chat
# (its id is the account's user id on both platforms) through the bot their account talks to, a group through
# the bot that is in it; NULL (the default bot) when neither says. Read inside the INSERT: no extra round trip
# in a fan-out of thousands.
_CHATS_BOT_VALUE = func.coalesce(
    select(ChannelAccount.bot)
    .where(
        col(ChannelAccount.channel) == bindparam("route_channel"),
        col(ChannelAccount.user_id) == bindparam("route_chat"),
    )
    .scalar_subquery(),
    select(GroupChat.bot)
    .where(col(GroupChat.channel) == bindparam("route_channel"), col(GroupChat.chat_id) == bindparam("route_chat"))
    .scalar_subquery(),
)


def item_columns() -> list[Any]:
    """The columns an `OutboxItem` is made of, for a SELECT or a RETURNING."""
    return [TABLE.c[name] for name in ITEM_COLUMNS]


# The inserts are built once: the values go in as parameters, so the compiled statement is reused instead of a
# new one being built and keyed for every item.
_INSERT = insert(TABLE).returning(*item_columns())
_INSERT_ROUTED = insert(TABLE).values(bot=_CHATS_BOT_VALUE).returning(*item_columns())
_INSERT_MANY = insert(TABLE).returning(*item_columns(), sort_by_parameter_order=True)
ROWS_AT_ONCE = 50  # SQLite: up to this many rows in one statement (an update writes a few)
_MANY_COLUMNS = ("channel", "chat_id", "kind", "payload", "bot", "idempotency_key", "status", "attempts", "created_at")


@functools.cache
def _insert_rows(count: int) -> Any:
    """INSERT ... VALUES (...), (...) RETURNING for `count` rows in one statement, built once per count (SQLite).

    SQLAlchemy runs `_INSERT_MANY` on SQLite as one INSERT per row (it does not rely on SQLite's RETURNING order);
    SQLite gives the rows of one VALUES list their ids in the list's order, so the rows read back sorted by id
    are the items in order. Parameters are named `<column>_<row>`. Written as text with typed parameters and
    columns: an `insert().values([...])` of several rows is compiled anew at every call (it has no cache key)."""
    rows = ", ".join("(" + ", ".join(f":{name}_{row}" for name in _MANY_COLUMNS) + ")" for row in range(count))
    statement = text(
        f"INSERT INTO {TABLE.name} ({', '.join(_MANY_COLUMNS)}) VALUES {rows} RETURNING {', '.join(ITEM_COLUMNS)}"
    ).bindparams(
        *(bindparam(f"{name}_{row}", type_=TABLE.c[name].type) for row in range(count) for name in _MANY_COLUMNS)
    )
    return statement.columns(*item_columns())


@functools.cache
def _insert_once(dialect: str, routed: bool) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: race-safe across processes, the key's unique index decides;
    `routed`: the bot is the chat's (`_CHATS_BOT_VALUE`)."""
    statement = conflict_insert(dialect, TABLE)
    if routed:
        statement = statement.values(bot=_CHATS_BOT_VALUE)
    return statement.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(*item_columns())


def enqueue(
    session: Session,
    *,
    channel: str,
    chat_id: str,
    kind: str,
    payload: dict[str, Any],
    now: dt.datetime,
    idempotency_key: str | None = None,
    bot: str | _ChatsBot | None = CHATS_BOT,
) -> OutboxItem | None:
    """Add one item (inserted at once, in the session's transaction); None when its idempotency key was used.

    `bot`: the bot that sends it (its key; None the default bot); by default the chat's own (`_CHATS_BOT_VALUE`).
    The item is also listed in `session.info[NEW_ITEMS]`, so the engine can hand it to the sender after commit.
    """
    connection = session.connection()
    routed = isinstance(bot, _ChatsBot)
    if idempotency_key is not None:
        statement = _insert_once(connection.dialect.name, routed)
    else:
        statement = _INSERT_ROUTED if routed else _INSERT
    values: dict[str, Any] = {
        "channel": channel,
        "chat_id": chat_id,
        "kind": kind,
        "payload": payload,
        "idempotency_key": idempotency_key,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
    }
    if isinstance(bot, _ChatsBot):
        values.update(route_channel=channel, route_chat=chat_id)
    else:
        values["bot"] = bot
    row = connection.execute(statement, values).first()
    if row is None:
        return None
    item = OutboxItem(*row)
    session.info.setdefault(NEW_ITEMS, []).append(item)
    return item


def message_item(channel: str, chat_id: str, payload: dict[str, Any], bot: str | None = None) -> dict[str, Any]:
    """An item for `enqueue_many`: a message to the chat (payload from `Reply.to_payload()`)."""
    return {"channel": channel, "chat_id": chat_id, "kind": KIND_MESSAGE, "payload": payload, "bot": bot}


def callback_answer_item(
    channel: str, chat_id: str, callback_id: str, text: str | None = None, bot: str | None = None
) -> dict[str, Any]:
    """An item for `enqueue_many`: the answer to a button press, which stops its spinner (`text`: a toast)."""
    return {
        "channel": channel,
        "chat_id": chat_id,
        "kind": KIND_ANSWER_CALLBACK,
        "payload": {"callback_id": callback_id, "text": text},
        "bot": bot,
    }


def many_values(items: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """The rows `enqueue_many` writes for its items: pending, never tried, created `now`."""
    return [
        {
            "channel": item["channel"],
            "chat_id": item["chat_id"],
            "kind": item["kind"],
            "payload": item["payload"],
            "bot": item.get("bot"),
            "idempotency_key": None,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
        }
        for item in items
    ]


def enqueue_many(session: Session, items: list[dict[str, Any]], *, now: dt.datetime) -> list[OutboxItem]:
    """Add several items (each a dict of channel, chat_id, kind, payload, and the bot that answers: the one the
    update came through, None the default bot) in one statement, in this order.

    What the engine writes for one update (the callback answer, the closed message, the replies): one
    round trip instead of one per item. Listed in `session.info[NEW_ITEMS]` like `enqueue`'s.
    """
    if not items:
        return []
    connection = session.connection()
    values = many_values(items, now)
    if connection.dialect.name == "sqlite" and 1 < len(items) <= ROWS_AT_ONCE:
        flat = {f"{name}_{row}": value for row, one in enumerate(values) for name, value in one.items()}
        rows = sorted(connection.execute(_insert_rows(len(items)), flat).all(), key=lambda row: row[0])
    else:
        rows = list(connection.execute(_INSERT_MANY, values).all())
    added = [OutboxItem(*row) for row in rows]
    session.info.setdefault(NEW_ITEMS, []).extend(added)
    return added


@dataclass(frozen=True)
class DueScan:
    """What one read of the outbox found for the sender: the items it may claim now and, on a full scan, the
    chats that wait behind an item due later (so their later items keep their order)."""

    due: list[OutboxItem]
    blockers: dict[tuple[str, str], int]  # (channel, chat id): its earliest item waiting for a later attempt
    next_due: dt.datetime | None  # the earliest later attempt (full scans only)
    held_next: dt.datetime | None = None  # the earliest end of a hold (full scans only)


def _due_now(now: dt.datetime) -> ColumnElement[bool]:
    """Pending, and either never tried or its next attempt has come."""
    attempt_at = col(OutboxMessage.next_attempt_at)
    return and_(col(OutboxMessage.status) == "pending", or_(attempt_at.is_(None), attempt_at <= now))


def pending(
    session: Session, *, now: dt.datetime, channels: list[str], after_id: int = 0, limit: int = 500
) -> list[OutboxItem]:
    """One page of items due to be sent on these channels, oldest first, after `after_id`."""
    rows = session.execute(
        select(*item_columns())
        .where(_due_now(now), col(OutboxMessage.id) > after_id, col(OutboxMessage.channel).in_(channels))
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    ).all()
    return [OutboxItem(*row) for row in rows]


def scan_due(
    session: Session, *, now: dt.datetime, channels: list[str], claimed: frozenset[int], room: int, after_id: int | None
) -> DueScan:
    """Up to `room` due items not in `claimed`, oldest first; `after_id` None is a full scan, which also finds
    the chats waiting behind a later attempt and when the next attempt and the next end of a hold are."""
    full = after_id is None
    scan = waiting_chats(session, now, channels) if full else DueScan(due=[], blockers={}, next_due=None)
    cursor, page = after_id or 0, 500
    while room > 0:
        items = pending(session, now=now, channels=channels, after_id=cursor, limit=page)
        for item in items:
            if item.id not in claimed and room > 0:
                scan.due.append(item)
                room -= 1
        if len(items) < page:
            break
        cursor = items[-1].id
    return scan


def waiting_chats(session: Session, now: dt.datetime, channels: list[str]) -> DueScan:
    """The chats whose earliest waiting item is due later, and the earliest later attempt and end of a hold."""
    attempt_at = col(OutboxMessage.next_attempt_at)
    waiting = session.execute(
        select(OutboxMessage.channel, OutboxMessage.chat_id, func.min(OutboxMessage.id), func.min(attempt_at))
        .where(col(OutboxMessage.status) == "pending", attempt_at > now, col(OutboxMessage.channel).in_(channels))
        .group_by(col(OutboxMessage.channel), col(OutboxMessage.chat_id))
    ).all()
    held_next = session.execute(
        select(func.min(attempt_at)).where(
            col(OutboxMessage.status) == STATUS_HELD, col(OutboxMessage.channel).in_(channels)
        )
    ).scalar_one()
    return DueScan(
        due=[],
        blockers={(channel, chat_id): first for channel, chat_id, first, _ in waiting},
        next_due=min((at for *_, at in waiting if at is not None), default=None),
        held_next=held_next,
    )


def count_due(session: Session, *, now: dt.datetime, channels: list[str]) -> tuple[int, int]:
    """(items that could be sent now, items waiting for a later attempt or behind one that waits)."""
    earlier = aliased(OutboxMessage)
    behind_waiting = (
        select(col(earlier.id))
        .where(
            col(earlier.status) == "pending",
            col(earlier.channel) == OutboxMessage.channel,
            col(earlier.chat_id) == OutboxMessage.chat_id,
            col(earlier.next_attempt_at) > now,
            col(earlier.id) < OutboxMessage.id,
        )
        .exists()
    )
    base = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(col(OutboxMessage.status) == "pending", col(OutboxMessage.channel).in_(channels))
    )
    due = session.execute(base.where(_due_now(now)).where(~behind_waiting)).scalar_one()
    waiting = session.execute(base).scalar_one()
    return int(due), int(waiting) - int(due)


# Built once: marks are written after nearly every send, and building the statement cost more than running it.
_MARK_SENT = (
    update(TABLE)
    .where(TABLE.c.id.in_(bindparam("sent_ids", expanding=True)))
    .values(status="sent", sent_at=bindparam("sent_now", type_=TABLE.c.sent_at.type))
)


# PostgreSQL: the same, sent to the driver as it is (the sender marks every message it sent, on a thread of the
# process that also polls and sends). The ids go in as one JSON array: one statement text and one generic plan
# for any number of them (an IN list is a statement per length; an array's length would be costed, and every
# call planned anew).
_MARK_SENT_POSTGRES = (
    "UPDATE outboxmessage SET status = 'sent', sent_at = %(now)s "
    "WHERE id IN (SELECT value::bigint FROM json_array_elements_text(%(ids)s::json))"
)


def mark_sent(session: Session | Connection, ids: list[int], now: dt.datetime) -> None:
    """The platform accepted these items: they are done (one statement: a session's, or a connection's in
    autocommit, `Database.autocommit`)."""
    if ids:
        connection = session if isinstance(session, Connection) else session.connection()
        if connection.dialect.name == "postgresql":
            with driver_cursor(connection, _MARK_SENT_POSTGRES) as cursor:
                cursor.execute(_MARK_SENT_POSTGRES, {"now": now, "ids": json.dumps([int(id_) for id_ in ids])})
            return
        connection.execute(_MARK_SENT, {"sent_ids": list(ids), "sent_now": now})


def mark_failed(session: Session, item_id: int, error: str, now: dt.datetime) -> None:
    """The item will not be sent (refused, given up, or its chat unreachable); the error says why."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == item_id)
        .values(status="failed", last_error=error[:500], sent_at=now)
    )


def hold(session: Session, item_id: int, until: dt.datetime) -> None:
    """Keep an item back until `until` (a reminder in the quiet hours) without blocking the rest of its chat."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == item_id, col(OutboxMessage.status) == "pending")
        .values(
            status=STATUS_HELD,
            next_attempt_at=until,
            last_error="held until the quiet hours end",
            claimed_by=None,
            lease_until=None,
        )
    )


def release_held(session: Session, now: dt.datetime) -> int:
    """Items held until now or earlier become pending again; how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == STATUS_HELD, col(OutboxMessage.next_attempt_at) <= now)
        .values(status="pending", next_attempt_at=None, last_error=None)
    )
    return int(cast("CursorResult[Any]", result).rowcount or 0)  # an UPDATE's result is a cursor result


def fail_chat(session: Session, item_id: int, channel: str, chat_id: str, error: str, now: dt.datetime) -> None:
    """Fail an item and everything still pending for its chat (nothing more can reach that chat)."""
    mark_failed(session, item_id, error, now)
    session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status) == "pending",
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.chat_id) == chat_id,
        )
        .values(status="failed", last_error=error[:500], sent_at=now)
    )


def reschedule(session: Session, item_id: int, error: str, at: dt.datetime, count_attempt: bool = True) -> None:
    """Try again later (after a 429, a 5xx or a time-out); a 429 does not count as a failed attempt."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == item_id)
        .values(
            attempts=col(OutboxMessage.attempts) + (1 if count_attempt else 0),
            last_error=error[:500],
            next_attempt_at=at,
            # Several instances: the row waits in the database, not in anyone's hands; the chat's later rows
            # wait behind it wherever they are claimed.
            claimed_by=None,
            lease_until=None,
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
    added = enqueue(
        session, channel=channel, chat_id=chat_id, kind=kind, payload=payload, now=now, idempotency_key=idempotency_key
    )
    return added is not None


def move_chat(session: Session, channel: str, old_chat_id: str, new_chat_id: str) -> int:
    """A group chat moved to a new id (a Telegram group became a supergroup): what is still to send to the old
    id (pending or held) goes to the new one, in the same order; how many items moved."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.chat_id) == old_chat_id,
            col(OutboxMessage.status).in_(["pending", STATUS_HELD]),
        )
        .values(chat_id=new_chat_id)
    )
    return int(cast("CursorResult[Any]", result).rowcount or 0)  # an UPDATE's result is a cursor result


# The statuses `depth` counts: what is still to send, and what failed. Sent rows are left out: they are most
# of the table at scale, and counting them at each scrape would read it all (the sends counter says as much).
DEPTH_STATUSES = ("pending", STATUS_HELD, "failed")


def depth(session: Session) -> dict[str, int]:
    """Outbox rows by status (pending, held, failed; each present, 0 when none), counted on the status index."""
    rows = session.exec(
        select(OutboxMessage.status, func.count())
        .where(col(OutboxMessage.status).in_(DEPTH_STATUSES))
        .group_by(OutboxMessage.status)
    )
    counts = dict.fromkeys(DEPTH_STATUSES, 0)
    counts.update({status: int(count) for status, count in rows})
    return counts
