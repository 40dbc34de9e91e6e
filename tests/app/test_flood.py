"""Flood control (bot/flood.py): the token bucket per account, the episodes, and the gate in front of the real
engine — dropped updates never open a transaction, and the person is told once per episode."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import col, select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine, Outcome
from bot.flood import FloodGate, FloodLimiter, Verdict
from bot.messages import Incoming
from handlers.base import Turn
from storage import outbox
from storage.db import Database
from storage.models import ChannelAccount, ConversationState, Member, OutboxMessage, ProcessedUpdate
from storage.outbox import OutboxItem


class FakeMonotonic:
    """Seconds that move only when told."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def says(user: str, text: str, update_id: str) -> Incoming:
    return Incoming(channel="telegram", update_id=update_id, user_id=user, chat_id=user, text=text)


def presses(user: str, payload: str, update_id: str) -> Incoming:
    return Incoming(
        channel="telegram",
        update_id=update_id,
        user_id=user,
        chat_id=user,
        payload=payload,
        callback_id=f"cb{update_id}",
        message_id="5",
        message_text="Lưu buổi này?",
    )


def echo(turn: Turn) -> None:
    """Say back what came."""
    turn.say(f"echo: {turn.incoming.text or turn.incoming.payload}")


def test_burst_then_the_rate_and_one_notice_per_episode() -> None:
    now = FakeMonotonic()
    limiter = FloodLimiter(per_minute=30, burst=10, now=now)
    verdicts = [limiter.admit("telegram", "1") for _ in range(300)]
    assert verdicts[:10] == [Verdict.ACCEPT] * 10
    assert verdicts[10] is Verdict.DROP_AND_NOTIFY and set(verdicts[11:]) == {Verdict.DROP}
    assert limiter.admit("telegram", "2") is Verdict.ACCEPT  # someone else is not held back
    assert limiter.admit("zalo", "1") is Verdict.ACCEPT  # the same id on another messenger is another account
    now.seconds += 2.0  # 30 a minute: one more every 2 s
    assert limiter.admit("telegram", "1") is Verdict.ACCEPT
    assert limiter.admit("telegram", "1") is Verdict.DROP  # still the same episode: no second notice
    # A steady flood stays one episode; calm for a whole refill (20 s) ends it.
    for _ in range(30):
        now.seconds += 1.0
        limiter.admit("telegram", "1")
    now.seconds += 20.0
    assert [limiter.admit("telegram", "1") for _ in range(10)] == [Verdict.ACCEPT] * 10
    assert limiter.admit("telegram", "1") is Verdict.DROP_AND_NOTIFY  # a new episode, a new notice


def test_calm_accounts_are_forgotten() -> None:
    now = FakeMonotonic()
    limiter = FloodLimiter(per_minute=60, burst=2, now=now)
    for user in range(5000):
        limiter.admit("zalo", str(user))
    now.seconds += 10.0
    for user in range(5000, 9000):
        limiter.admit("zalo", str(user))
    assert len(limiter._buckets) < 9000  # the first ones were swept when full again


def _gate(
    database: Database, config: Config, clock: FixedClock, now: FakeMonotonic, handed: list[OutboxItem]
) -> tuple[FloodGate, list[str]]:
    """The real engine behind a gate of 3 at once, 6 a minute; and a log of the database's commits."""
    engine = ConversationEngine(database, config, clock, echo, on_outbox=handed.extend)
    commits: list[str] = []
    event.listen(database.engine, "commit", lambda connection: commits.append("commit"))
    return FloodGate(engine, FloodLimiter(per_minute=6, burst=3, now=now), database, clock, handed.extend), commits


def test_gate_drops_before_any_transaction_and_tells_once(
    database: Database, config: Config, clock: FixedClock
) -> None:
    now, handed = FakeMonotonic(), list[OutboxItem]()
    gate, commits = _gate(database, config, clock, now, handed)
    batch = [says("7", f"tin {n}", str(n)) for n in range(50)] + [says("8", "người khác", "500")]
    outcomes = list(gate.process_each(batch))
    assert outcomes[:3] == [Outcome.HANDLED] * 3 and set(outcomes[3:50]) == {Outcome.DROPPED}
    assert outcomes[50] is Outcome.HANDLED
    assert len(commits) == 3 + 1 + 1  # three updates, one notice, the other person's update
    assert (gate.dropped, gate.notices) == (47, 1)
    with database.session() as session:
        assert len(session.exec(select(ProcessedUpdate)).all()) == 4  # dropped ones are not even recorded
        texts = [
            row.payload["text"]
            for row in session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
            if row.chat_id == "7"
        ]
    assert texts[:3] == ["echo: tin 0", "echo: tin 1", "echo: tin 2"]
    assert len(texts) == 4 and texts[3].startswith("Bạn gửi nhanh quá")
    assert [item.payload.get("text", "")[:16] for item in handed if item.chat_id == "7"][-1] == "Bạn gửi nhanh qu"
    now.seconds += 10.0  # one a 10 s
    assert gate.process(says("7", "đã đợi", "600")) is Outcome.HANDLED


def test_a_dropped_press_is_answered_and_the_notice_is_in_the_persons_language(
    database: Database, config: Config, clock: FixedClock
) -> None:
    now, handed = FakeMonotonic(), list[OutboxItem]()
    gate, _ = _gate(database, config, clock, now, handed)
    with database.session() as session:
        session.add(
            ConversationState(
                channel="telegram", user_id="9", name="idle", data={}, locale="en", updated_at=clock.now()
            )
        )
    for n in range(3):
        assert gate.process(says("9", f"m{n}", f"9{n}")) is Outcome.HANDLED
    assert gate.process(presses("9", "log:ok", "950")) is Outcome.DROPPED
    assert gate.process(presses("9", "log:ok", "951")) is Outcome.DROPPED
    notice = [item for item in handed if item.chat_id == "9"][-2:]
    assert [item.kind for item in notice] == [outbox.KIND_ANSWER_CALLBACK, outbox.KIND_MESSAGE]
    assert notice[0].payload["callback_id"] == "cb950"
    assert notice[1].payload["text"].startswith("You are sending")


def test_a_flood_in_a_group_is_told_privately_or_not_at_all(
    database: Database, config: Config, clock: FixedClock
) -> None:
    """The group never sees the notice: the person's private chat does when they joined; a stranger is dropped."""
    now, handed = FakeMonotonic(), list[OutboxItem]()
    gate, _ = _gate(database, config, clock, now, handed)
    with database.session() as session:
        session.add(Member(display_name="Mai", role="member", province_code=42, created_at=clock.now()))
        session.flush()
        session.add(ChannelAccount(member_id=1, channel="telegram", user_id="7", chat_id="7", created_at=clock.now()))

    def in_group(user: str, update_id: str) -> Incoming:
        return Incoming(
            channel="telegram", update_id=update_id, user_id=user, chat_id="-100", chat_type="group", text="x"
        )

    for user in ("7", "8"):
        for n in range(5):
            gate.process(in_group(user, f"{user}-{n}"))
    notices = [item for item in handed if item.payload.get("text", "").startswith("Bạn gửi nhanh")]
    assert [item.chat_id for item in notices] == ["7"] and gate.notices == 2
