"""An update's replies written in one statement, in their order (`storage.outbox.enqueue_many`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, text

from storage import outbox
from storage.db import Database

NOW = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)


def _inserts(database: Database) -> tuple[list[str], Any]:
    """The INSERT statements sent to the database, and the listener to remove afterwards."""
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", listen)
    return seen, listen


def test_replies_in_one_statement_in_order(database: Database) -> None:
    items = [
        outbox.callback_answer_item("telegram", "7", "cb-1", bot="north"),
        *(outbox.message_item("telegram", "7", {"text": f"phần {n}"}) for n in range(5)),
        outbox.message_item("zalo", "8", {"text": "khác"}),
    ]
    with database.session() as session:
        outbox.enqueue(session, channel="telegram", chat_id="7", kind="message", payload={"text": "trước"}, now=NOW)
    seen, listen = _inserts(database)
    try:
        with database.session() as session:
            added = outbox.enqueue_many(session, items, now=NOW)
            assert session.info[outbox.NEW_ITEMS] == added
    finally:
        event.remove(database.engine, "before_cursor_execute", listen)
    assert len(seen) == 1  # one round trip for the whole reply
    assert [item.payload for item in added] == [item["payload"] for item in items]
    assert [(item.channel, item.chat_id, item.kind, item.bot) for item in added] == [
        (item["channel"], item["chat_id"], item["kind"], item.get("bot")) for item in items
    ]
    ids = [item.id for item in added]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    with database.session(readonly=True) as session:
        stored = session.execute(text("SELECT id, payload FROM outboxmessage ORDER BY id")).all()
    assert [row[0] for row in stored[1:]] == ids  # the rows' ids follow the items' order: the sender's order
    assert all(item.attempts == 0 and item.idempotency_key is None for item in added)


def test_one_item_and_none(database: Database) -> None:
    with database.session() as session:
        assert outbox.enqueue_many(session, [], now=NOW) == []
        (one,) = outbox.enqueue_many(session, [outbox.message_item("telegram", "9", {"text": "một"})], now=NOW)
    assert one.payload == {"text": "một"} and one.chat_id == "9"


def test_marks_set_exactly_the_given_items_sent_in_a_session_or_on_their_own(database: Database) -> None:
    """`mark_sent` marks the items the platform accepted and no other, in a unit of work or in autocommit (as the
    sender does); on PostgreSQL its one statement text keeps one generic plan, whatever the number of items."""
    items = [outbox.message_item("telegram", str(n % 3), {"text": f"tin {n}"}) for n in range(12)]
    with database.session() as session:
        ids = [item.id for item in outbox.enqueue_many(session, items, now=NOW)]
    later = NOW + dt.timedelta(seconds=5)
    with database.session() as session:
        outbox.mark_sent(session, ids[:2], later)
        outbox.mark_sent(session, [], later)  # nothing to mark: nothing sent
    for n in range(2, 9):
        with database.autocommit() as connection:
            outbox.mark_sent(connection, ids[n : n + 1] if n % 2 else ids[n : n + 2], later)
    with database.session(readonly=True) as session:
        rows = session.execute(text("SELECT id, status, sent_at FROM outboxmessage ORDER BY id")).all()
    assert [row[1] for row in rows] == ["sent"] * 10 + ["pending"] * 2
    assert [row[2] is not None for row in rows] == [True] * 10 + [False] * 2
    if database.is_sqlite:
        return
    with database.engine.connect() as connection:  # one connection: its prepared statements are its own
        for n in range(20):
            outbox.mark_sent(connection, ids[: 1 + n % 4], later)
            connection.commit()
        plans = connection.execute(
            text("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'UPDATE outbox%'")
        ).all()
    assert len(plans) == 1 and plans[0][0] >= 10 and plans[0][1] <= 5, plans
