"""The outbox claimed with leases (storage/outbox_leases.py): a chat held by one instance at a time, oldest rows
first, never behind a row that waits; a dead instance's rows taken once its lease ran out; each token's send
slots reserved in the database."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from bot.engine import CHAT_LOCK_SPACE
from storage import instances, outbox, outbox_leases, turn_writes
from storage.db import Database
from storage.models import ConversationState, OutboxMessage
from tests.multi_instance.conftest import NOW, enqueue_chats

LEASE = dt.timedelta(seconds=30)


def claim(database: Database, owner: str, room: int = 100, in_hand: frozenset[int] = frozenset()) -> list[int]:
    with database.session() as session:
        items = outbox_leases.claim_due(
            session, owner=owner, lease=LEASE, now=NOW, channels=["telegram"], in_hand=in_hand, room=room
        )
    return [item.id for item in items]


def chats_of(database: Database, ids: list[int]) -> set[str]:
    with database.session() as session:
        rows = session.exec(text("SELECT chat_id FROM outboxmessage WHERE id = ANY(:ids)").bindparams(ids=ids))
        return {row[0] for row in rows}


def test_a_chat_is_held_by_one_instance_at_a_time_oldest_rows_first(pg: Database) -> None:
    ids = enqueue_chats(pg, ["a", "b", "c", "d"], per_chat=3)
    first = claim(pg, "one", room=5)  # the 5 oldest: a, b, c, d and a's second
    assert first == ids[:5]
    second = claim(pg, "two")
    assert second == []  # every chat has a row in the first instance's hands
    with pg.session() as session:  # the first sends and marks all of chats c and d
        held = [i for i in first if chats_of(pg, [i]) <= {"c", "d"}]
        outbox.mark_sent(session, held, NOW)
    taken = claim(pg, "two")
    assert chats_of(pg, taken) == {"c", "d"}  # their later rows, now free; a and b stay with the first
    assert taken == sorted(taken)
    assert claim(pg, "one", in_hand=frozenset(first)) == [i for i in ids[5:] if chats_of(pg, [i]) <= {"a", "b"}]


def test_no_row_is_taken_behind_one_that_waits_and_a_dead_instances_rows_are_taken_after_its_lease(
    pg: Database,
) -> None:
    ids = enqueue_chats(pg, ["a", "b"], per_chat=2)  # a0, b0, a1, b1
    assert claim(pg, "one") == ids
    with pg.session() as session:  # a0 got a 429: it waits; the first instance dies holding the rest
        outbox.reschedule(session, ids[0], "429", NOW + dt.timedelta(minutes=1), count_attempt=False)
        session.execute(update(OutboxMessage).values(lease_until=text("now() - interval '1 second'")))
    assert claim(pg, "two") == [ids[1], ids[3]]  # chat b's rows; a1 waits behind a0
    with pg.session() as session:
        assert outbox_leases.holders(session) == {"two": 2}


def test_a_clean_stop_frees_the_rows_at_once(pg: Database) -> None:
    ids = enqueue_chats(pg, ["a"], per_chat=3)
    assert claim(pg, "one") == ids
    with pg.session() as session:
        assert outbox_leases.renew(session, "one", ids, LEASE) == set(ids)
        assert outbox_leases.release_owner(session, "one") == 3
    assert claim(pg, "two") == ids


def test_send_slots_follow_the_rate_across_reservations(pg: Database) -> None:
    """A burst of `burst` sends at once, then one every 1/rate seconds, whoever reserves; a 429 pushes them all."""
    with pg.session() as session:
        instances.ensure_pace(session, "telegram:abc")
    waits = []
    for _ in range(8):
        with pg.session() as session:
            waits.append(instances.reserve_send(session, "telegram:abc", rate=1.0, burst=3.0))
    assert waits[:3] == [0.0, 0.0, 0.0]
    # Each next slot is a second after the one before (less the few milliseconds a reservation takes).
    assert all(0.5 < later - earlier <= 1.0 + 1e-6 for earlier, later in itertools.pairwise(waits[2:]))
    with pg.session() as session:
        instances.pause_sends(session, "telegram:abc", 60.0)
        assert instances.reserve_send(session, "telegram:abc", rate=1.0, burst=3.0) > 50.0


def _write_leased(writer: str, session: Any, items: list[dict[str, Any]]) -> list[outbox.OutboxItem]:
    """The replies written and leased to "one" by `enqueue_leased`, or by the engine's own statement, which writes
    the conversation state with them (storage/turn_writes.py:save_turn)."""
    if writer == "enqueue_leased":
        return outbox_leases.enqueue_leased(session, items, owner="one", lease=LEASE, now=NOW)
    state = {"channel": "telegram", "user_id": "7", "group_id": "", "name": "log", "data": {"n": 1}, "locale": "en"}
    written = turn_writes.save_turn(session, state, items, owner="one", lease=LEASE, now=NOW)
    stored = session.get(ConversationState, ("telegram", "7", ""))
    assert (stored.name, stored.data, stored.locale, stored.updated_at) == ("log", {"n": 1}, "en", NOW)
    return written


@pytest.mark.parametrize("writer", ["enqueue_leased", "save_turn"])
def test_an_updates_replies_are_leased_as_written_only_where_the_chat_is_free(pg: Database, writer: str) -> None:
    """The engine leases its replies to its instance in the transaction that writes them (`enqueue_leased`, or
    with the conversation state in one statement: `turn_writes.save_turn`) when the chat is free for it; else
    they are left to the claims, which keep the chat's order."""
    before = enqueue_chats(pg, ["ours", "theirs", "unclaimed", "waits", "done"], per_chat=1)
    ours, theirs, _unclaimed, waits, done = before
    assert claim(pg, "one", room=1) == [ours]
    with pg.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == theirs)
            .values(claimed_by="two", lease_until=text("now() + interval '30 seconds'"))  # type: ignore[arg-type]
        )
        outbox.reschedule(session, waits, "429", NOW + dt.timedelta(minutes=1), count_attempt=False)
        outbox.mark_sent(session, [done], NOW)
    with pg.session() as session:
        outbox_leases.hold_claims_shared(session)
        written = _write_leased(
            writer,
            session,
            [
                outbox.message_item("telegram", chat, {"text": f"{chat} reply {n}"}, bot="north" if n else None)
                for chat in ("ours", "theirs", "unclaimed", "waits", "done", "new")
                for n in range(2)
            ],
        )
        assert [item.payload["text"] for item in session.info[outbox.NEW_ITEMS]] == [
            f"{chat} reply {n}" for chat in ("ours", "theirs", "unclaimed", "waits", "done", "new") for n in range(2)
        ]  # in the order written, each once
    assert [item.id for item in written] == sorted(item.id for item in written)
    assert [item.bot for item in written] == [None, "north"] * 6
    assert all(item.kind == outbox.KIND_MESSAGE and item.attempts == 0 for item in written)
    leased = {item.id for item in written if item.leased}
    chats = {item.id: item.chat_id for item in written}
    # Its own chat in hand, a chat whose rows were all sent, a new chat: leased. Another's chat, a row left
    # unclaimed (it goes first) and a row waiting for its next attempt: not.
    assert sorted(chats[i] for i in leased) == ["done", "done", "new", "new", "ours", "ours"]
    with pg.session() as session:
        assert outbox_leases.holders(session) == {"one": 7, "two": 1}
    # The claims see the leased chats held: the other instance takes none of them (its own chat, and the one
    # left unclaimed, it takes).
    assert chats_of(pg, claim(pg, "two")) == {"theirs", "unclaimed"}


def test_the_engines_claim_holds_the_chats_lock_and_the_claims_lock_shared_until_the_commit(pg: Database) -> None:
    """The engine's replies are leased by their INSERT under the claims' lock, which the update's claim takes
    shared after the chat's lock (storage/turn_writes.py:claim_update): until the update commits, a claim (which
    takes the lock exclusively) waits. A redelivered update takes them too and is told it was seen."""

    def advisory_locks(session: Any) -> list[tuple[int, int, int, str]]:
        rows = session.execute(
            text(
                "SELECT classid::bigint, objid::bigint, objsubid, mode FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid = pg_backend_pid() ORDER BY objsubid"
            )
        ).all()
        return [tuple(row) for row in rows]

    claims = (outbox_leases.CLAIM_LOCK >> 32, outbox_leases.CLAIM_LOCK & 0xFFFF_FFFF, 1, "ShareLock")
    chat = (CHAT_LOCK_SPACE, 77, 2, "ExclusiveLock")
    for update_id, fresh in (("u1", True), ("u1", False)):
        with pg.session() as session:
            arguments = {"channel": "telegram", "update_id": update_id, "processed_at": NOW}
            connection = session.connection()
            claimed = turn_writes.claim_update(
                connection, **arguments, space=CHAT_LOCK_SPACE, key=77, claims=outbox_leases.CLAIM_LOCK
            )
            assert claimed is fresh
            assert advisory_locks(session) == [claims, chat]
        with pg.session() as session:
            assert advisory_locks(session) == []  # let go at the commit


def test_the_engines_statements_raise_driver_errors_as_sqlalchemys_and_drop_a_broken_connection(pg: Database) -> None:
    """The engine's own statements go to the driver as they are (storage/turn_writes.py); what fails there is
    raised as from any statement (callers catch SQLAlchemy's errors), the transaction rolls back with nothing
    written, and a connection its server ended is not handed out again."""
    arguments = {"channel": "telegram", "processed_at": NOW, "space": CHAT_LOCK_SPACE, "claims": 1}
    with pytest.raises(DBAPIError), pg.session() as session:  # a key beyond 32 bits: the server refuses it
        turn_writes.claim_update(session.connection(), update_id="u1", key=1 << 40, **arguments)
    with pytest.raises(DBAPIError), pg.session() as session:
        connection = session.connection()
        turn_writes.claim_update(connection, update_id="u2", key=5, **arguments)
        with pg.engine.connect() as other:  # the server ends this connection's session
            other.execute(
                text("SELECT pg_terminate_backend(:pid)"),
                {"pid": connection.connection.driver_connection.info.backend_pid},
            )
        turn_writes.claim_update(connection, update_id="u3", key=5, **arguments)
    for _ in range(3):  # every pooled connection works: the ended one was dropped
        with pg.session() as session:
            assert turn_writes.claim_update(session.connection(), update_id="u4", key=5, **arguments) in (True, False)
    with pg.session() as session:
        seen = session.execute(text("SELECT update_id FROM processedupdate ORDER BY update_id")).scalars().all()
    assert seen == ["u4"]


def test_the_engines_state_and_replies_statement_keeps_one_generic_plan(pg: Database) -> None:
    """The server plans the engine's state-and-replies statement once per connection and reuses the plan,
    whatever the number of replies: given as arrays, the replies made the planner cost each call's own length,
    the custom plans always looked cheaper and every call was planned anew (a fifth of the server's CPU)."""
    state = {"channel": "telegram", "user_id": "7", "group_id": "", "name": "idle", "data": {}, "locale": None}
    with Session(pg.engine) as session:  # one connection throughout: its prepared statements are its own
        for n in range(20):
            replies = [outbox.message_item("telegram", "7", {"text": f"reply {n}.{k}"}) for k in range(1 + n % 3)]
            turn_writes.save_turn(session, state, replies, owner="one", lease=LEASE, now=NOW)
            session.commit()
        plans = session.execute(
            text(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE '%INSERT INTO conversationstate%'"
            )
        ).all()
    assert len(plans) == 1
    generic, custom = plans[0]
    assert custom <= 5 and generic >= 10, plans  # PostgreSQL tries five custom plans, then keeps the generic one
