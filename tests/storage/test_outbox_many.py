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
