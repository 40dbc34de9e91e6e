"""An update's own writes on PostgreSQL (several instances: leases), sent to the driver as they are.

The engine (bot/engine.py) writes the same few things for every update: the update's claim (the chat's lock,
then the dedupe) and, at the end, the conversation state and the replies. On PostgreSQL each statement is a
round trip and SQLAlchemy's Core adds about as much client CPU to each as the driver's whole call (compiling
parameters, wrapping the result, and for several rows its "insert many values" batching). These statements
are fixed, so they are written here as SQL once and sent on the unit of work's own connection, in its
transaction:

- `claim_update`: the chat's lock, the claims' lock shared (the replies' INSERT leases them under it, see
  storage/outbox_leases.py:enqueue_leased; without leases, none), and the dedupe, in one statement;
- `save_turn`: the conversation state's upsert and the replies' INSERT, each reply leased to this instance
  when its chat is free for it, in one statement.

The rules are those of `outbox_leases.enqueue_leased` and the engine's state statement
(bot/engine.py:_state_statement); tests/multi_instance/test_claims.py runs both leasing writers against the same
cases. A driver error is raised as SQLAlchemy's (`DBAPIError`), as from any statement.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlmodel import Session

from storage import outbox
from storage.db import driver_cursor
from storage.outbox import OutboxItem
from storage.outbox_leases import leased_item

# The chat's lock first, then (with leases) the claims' lock shared (OFFSET 0 keeps the order: the inner query
# runs first), then the dedupe. The statements after this one see every claim committed before it.
_CLAIM_INSERT = (
    "INSERT INTO processedupdate (channel, update_id, processed_at) "
    "SELECT %(channel)s, %(update_id)s, %(processed_at)s FROM "
)
_CHAT_LOCK = "(SELECT pg_advisory_xact_lock(%(space)s::integer, %(key)s::integer) OFFSET 0) AS chat_lock"
_ON_CONFLICT = " ON CONFLICT DO NOTHING RETURNING update_id"
_CLAIM = (
    _CLAIM_INSERT
    + f"(SELECT pg_advisory_xact_lock_shared(%(claims)s::bigint) FROM {_CHAT_LOCK}) AS claims_lock"
    + _ON_CONFLICT
)
_CLAIM_WITHOUT_LEASES = _CLAIM_INSERT + _CHAT_LOCK + _ON_CONFLICT

# The replies come as one JSON array, in order (`position`): a parameter whose contents the planner cannot see,
# so the statement's plan is the same for one reply or five and PostgreSQL keeps one generic plan for it (with
# arrays, each call was planned anew: the planner costs an array's length, so the custom plans always looked
# cheaper). The outbox ids follow `position`, and the rows one statement writes do not see one another (an
# update's replies never stand in each other's way). A reply is leased to `owner` when no other row of its chat
# still to send is in the way: one not under the owner's own live lease, or waiting for a later attempt.
_SAVE_TURN = """
WITH state AS (
    INSERT INTO conversationstate (channel, user_id, group_id, name, data, locale, updated_at)
    VALUES (%(channel)s, %(user_id)s, %(group_id)s, %(name)s, %(data)s::json, %(locale)s, %(now)s)
    ON CONFLICT (channel, user_id, group_id) DO UPDATE SET
        name = excluded.name, data = excluded.data, locale = excluded.locale, updated_at = excluded.updated_at
), reply AS (
    SELECT reply.*, NOT EXISTS (
        SELECT 1 FROM outboxmessage AS other
        WHERE other.channel = reply.channel AND other.chat_id = reply.chat_id AND other.status = 'pending'
          AND (other.claimed_by IS DISTINCT FROM %(owner)s OR other.lease_until IS NULL
               OR other.lease_until < now() OR other.next_attempt_at > %(now)s)
    ) AS free
    FROM json_to_recordset(%(replies)s::json)
        AS reply(position integer, channel varchar, chat_id varchar, kind varchar, payload json, bot varchar)
)
INSERT INTO outboxmessage
    (channel, chat_id, kind, payload, idempotency_key, status, attempts, created_at, claimed_by, lease_until, bot)
SELECT channel, chat_id, kind, payload, NULL, 'pending', 0, %(now)s,
       CASE WHEN free THEN %(owner)s END, CASE WHEN free THEN now() + %(lease)s END, bot
FROM reply ORDER BY position
RETURNING id, channel, chat_id, kind, payload, attempts, idempotency_key, bot, claimed_by
"""


def claim_update(
    connection: Connection,
    *,
    channel: str,
    update_id: str,
    processed_at: dt.datetime,
    space: int,
    key: int,
    claims: int | None,
) -> bool:
    """Take the chat's lock (`space`, `key`), then the claims' lock (`claims`; None: without leases, no claims)
    shared, and record the update as processed; False if it already was. The locks are held until the
    transaction ends."""
    sql = _CLAIM if claims is not None else _CLAIM_WITHOUT_LEASES
    with driver_cursor(connection, sql) as cursor:
        cursor.execute(
            sql,
            {
                "channel": channel,
                "update_id": update_id,
                "processed_at": processed_at,
                "claims": claims,
                "space": space,
                "key": key,
            },
        )
        return cursor.fetchone() is not None


def save_turn(
    session: Session,
    state: dict[str, Any],
    items: Sequence[dict[str, Any]],
    *,
    owner: str,
    lease: dt.timedelta,
    now: dt.datetime,
) -> list[OutboxItem]:
    """Write the conversation state (`state`: channel, user_id, group_id, name, data, locale; stamped `now`) and
    the replies (`items` as `outbox.enqueue_many` takes them), each leased to `owner` for `lease` where its
    chat is free, in one statement; the items written, in order, `leased` saying which. The claims' lock must
    be held shared already (`claim_update`). Listed in `session.info[NEW_ITEMS]` like `enqueue_many`'s."""
    params = {
        **state,
        "data": json.dumps(state["data"]),
        "now": now,
        "owner": owner,
        "lease": lease,
        # Each payload's text in the array is json.dumps(payload), as SQLAlchemy's JSON type writes it.
        "replies": json.dumps(
            [
                {
                    "position": position,
                    "channel": item["channel"],
                    "chat_id": item["chat_id"],
                    "kind": item["kind"],
                    "payload": item["payload"],
                    "bot": item.get("bot"),
                }
                for position, item in enumerate(items)
            ]
        ),
    }
    with driver_cursor(session.connection(), _SAVE_TURN) as cursor:
        cursor.execute(_SAVE_TURN, params)
        written = cursor.fetchall()
    added = [leased_item(row, owner) for row in sorted(written, key=lambda row: row[0])]
    session.info.setdefault(outbox.NEW_ITEMS, []).extend(added)
    return added
