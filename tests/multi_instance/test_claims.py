"""The outbox claimed with leases (storage/outbox_leases.py): a chat held by one instance at a time, oldest rows
first, never behind a row that waits; a dead instance's rows taken once its lease ran out; each token's send
slots reserved in the database."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import text, update

from bot.engine import _state_statement
from storage import instances, outbox, outbox_leases
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


def test_an_updates_replies_are_leased_as_written_only_where_the_chat_is_free(pg: Database) -> None:
    """The engine leases its replies to its instance in the transaction that writes them (`enqueue_leased`) when
    the chat is free for it; else they are left to the claims, which keep the chat's order."""
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
        written = outbox_leases.enqueue_leased(
            session,
            [
                outbox.message_item("telegram", chat, {"text": f"{chat} reply {n}"})
                for chat in ("ours", "theirs", "unclaimed", "waits", "done", "new")
                for n in range(2)
            ],
            owner="one",
            lease=LEASE,
            now=NOW,
        )
        assert [item.payload["text"] for item in session.info[outbox.NEW_ITEMS]] == [
            f"{chat} reply {n}" for chat in ("ours", "theirs", "unclaimed", "waits", "done", "new") for n in range(2)
        ]  # in the order written, each once
    assert [item.id for item in written] == sorted(item.id for item in written)
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


def test_the_engines_state_write_holds_the_claims_lock_shared_until_the_commit(pg: Database) -> None:
    """The engine's replies are leased by their INSERT under the claims' lock, which the state statement before
    it takes shared (bot/engine.py:_state_statement): until the update commits, a claim (which takes the lock
    exclusively) waits; without leases the state statement takes no lock."""

    def claims_lock_held(session: Any) -> list[str]:
        return list(
            session.execute(
                text(
                    "SELECT mode FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                    " AND classid = :high AND objid = :low AND objsubid = 1"
                ),
                {"high": outbox_leases.CLAIM_LOCK >> 32, "low": outbox_leases.CLAIM_LOCK & 0xFFFF_FFFF},
            ).scalars()
        )

    state = {"channel": "telegram", "user_id": "7", "group_id": "", "name": "idle", "data": {}, "locale": None}
    for hold_claims, expected in ((True, ["ShareLock"]), (False, [])):
        with pg.session() as session:
            session.execute(_state_statement("postgresql", hold_claims), {**state, "stamped_at": NOW})
            assert claims_lock_held(session) == expected
            assert session.get(ConversationState, ("telegram", "7", "")) is not None
        with pg.session() as session:
            assert claims_lock_held(session) == []  # let go at the commit
