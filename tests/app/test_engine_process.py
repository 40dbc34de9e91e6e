"""The conversation engine in a child process: the same contract as in a thread, and it survives its death.

Every test here starts real child processes (spawn) on the test database, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from multiprocessing import Pipe
from pathlib import Path
from queue import SimpleQueue

import pytest
from sqlmodel import select

from bot.app import BotApplication
from bot.clock import FixedClock, SystemClock
from bot.config import Config
from bot.engine import Outcome
from bot.engine_process import EngineProcess, EngineProcessDied, can_run
from bot.messages import Incoming
from storage.db import Database
from storage.models import ConversationState, OutboxMessage, ProcessedUpdate
from storage.outbox import OutboxItem, enqueue_many

_ids = count(1)


def stranger_says(text: str, user: str = "4242", update_id: str | None = None) -> Incoming:
    return Incoming(
        channel="telegram",
        update_id=update_id or f"p{next(_ids)}",
        user_id=user,
        chat_id=user,
        display_name="Khách",
        text=text,
    )


@pytest.fixture
def handed() -> list[OutboxItem]:
    """What the engine process handed over after its commits, in order."""
    return []


@pytest.fixture
def engine_process(database: Database, handed: list[OutboxItem]) -> EngineProcess:
    engine = EngineProcess(Config(database_url=database.url, demo_data=False), handed.extend)
    engine.start()
    yield engine  # type: ignore[misc]
    engine.stop()


def test_one_update_in_the_child_commits_once_and_hands_over_what_it_wrote(
    engine_process: EngineProcess, database: Database, handed: list[OutboxItem]
) -> None:
    assert engine_process.pid not in (None, os.getpid())
    update = stranger_says("/start")
    assert engine_process.process(update) is Outcome.HANDLED
    assert [item.chat_id for item in handed] == ["4242"] and "mã mời" in handed[0].payload["text"]
    with database.session() as session:
        rows = session.exec(select(OutboxMessage)).all()
        assert [row.id for row in rows] == [item.id for item in handed]  # the very rows, committed
        assert session.get(ProcessedUpdate, ("telegram", update.update_id)) is not None
    # Telegram sends it again: nothing changes, nothing is handed over twice.
    handed.clear()
    assert engine_process.process(update) is Outcome.DUPLICATE
    assert handed == []


def test_a_batch_streams_back_in_order_and_a_stop_midway_loses_nothing(
    engine_process: EngineProcess, database: Database, handed: list[OutboxItem]
) -> None:
    people = [str(5000 + n) for n in range(5)]
    outcomes = engine_process.process_each([stranger_says("/help", user) for user in people])
    assert next(outcomes) is Outcome.HANDLED
    assert [item.chat_id for item in handed] == people[:1]  # handed over as soon as it committed
    outcomes.close()  # the caller stops: the child finishes the batch it took, and all of it is handed over
    assert [item.chat_id for item in handed] == people
    # The pipe is still in step: the next update gets its own answer.
    handed.clear()
    assert engine_process.process(stranger_says("/help", "6000")) is Outcome.HANDLED
    assert [item.chat_id for item in handed] == ["6000"]
    assert list(engine_process.process_each([])) == []


def test_conversation_state_lives_in_the_database_not_in_the_child(
    engine_process: EngineProcess, database: Database
) -> None:
    engine_process.process(stranger_says("/lang", "7000"))
    with database.session() as session:
        state = session.get(ConversationState, ("telegram", "7000", ""))
        assert state is not None
    engine_process.stop()
    engine_process.start()  # a new child reads what the old one saved
    assert engine_process.process(stranger_says("/help", "7000")) is Outcome.HANDLED


def test_a_killed_child_fails_only_its_update_and_the_next_one_starts_a_new_child(
    engine_process: EngineProcess, database: Database, handed: list[OutboxItem]
) -> None:
    first = engine_process.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    update = stranger_says("/start", "8000")
    with pytest.raises(EngineProcessDied):
        engine_process.process(update)
    with database.session() as session:
        assert session.get(ProcessedUpdate, ("telegram", update.update_id)) is None  # not half done
    # Fetched again (as the channel does): a new child handles it, once.
    assert engine_process.process(update) is Outcome.HANDLED
    assert engine_process.pid not in (None, first) and engine_process.starts == 2
    assert [item.chat_id for item in handed] == ["8000"]


def test_stop_ends_the_child(database: Database) -> None:
    engine = EngineProcess(Config(database_url=database.url, demo_data=False), lambda items: None)
    engine.start()
    pid = engine.pid
    assert pid is not None
    engine.stop()
    assert engine.pid is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no such child any more
    engine.stop()  # twice is harmless


def test_only_a_shared_database_the_system_clock_and_the_real_router_go_to_a_child(tmp_path: Path) -> None:
    file = Config(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    frozen = FixedClock(dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC))
    assert can_run(file, SystemClock(), custom_router=False)
    assert can_run(Config(database_url="postgresql://postgres@127.0.0.1:5432/test"), SystemClock(), False)
    assert not can_run(Config(database_url="sqlite://"), SystemClock(), False)
    assert not can_run(Config(database_url="sqlite:///:memory:"), SystemClock(), False)
    assert not can_run(file, frozen, False)
    assert not can_run(file, SystemClock(), custom_router=True)


@pytest.mark.parametrize(
    ("mode", "clock", "expected"),
    [
        ("process", SystemClock(), "process"),
        ("thread", SystemClock(), "thread"),
        ("process", FixedClock(dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)), "thread"),
    ],
)
async def test_the_application_puts_the_engine_where_the_config_says(
    db_url: str, mode: str, clock: object, expected: str
) -> None:
    app = BotApplication(
        Config(
            database_url=db_url,
            web_port=0,
            demo_data=False,
            telegram_token="1:T",
            telegram_api_base_url="http://127.0.0.1:9/bot",
            engine_mode=mode,
        ),
        clock,
    )  # type: ignore[arg-type]
    try:
        await app._start_engine_process()
        assert app.engine_mode == expected
        assert (app.updates is app.engine) == (expected == "thread")
    finally:
        await app.stop()


async def test_the_application_takes_the_lanes_the_config_says_on_postgresql_and_one_on_sqlite(db_url: str) -> None:
    config = Config(database_url=db_url, web_port=0, demo_data=False, engine_mode="thread", engine_lanes=3)
    app = BotApplication(config, SystemClock())
    try:
        assert app.process_executor.lanes == (1 if db_url.startswith("sqlite") else 3)
    finally:
        await app.stop()


def test_lanes_handle_chats_side_by_side_each_chat_in_order(database: Database, handed: list[OutboxItem]) -> None:
    """With lanes (PostgreSQL's, here three on either database) a batch's chats are spread over the child's
    lanes and calls from several update threads run at once: outcomes come back in the batch's order, and each
    chat's updates are handled in the order they came."""
    engine = EngineProcess(Config(database_url=database.url, demo_data=False), handed.extend, lanes=3)
    engine.start()
    try:
        people = [str(9000 + n) for n in range(6)]
        batch = [stranger_says(text, user) for text in ("/start", "/lang", "/start") for user in people]
        assert list(engine.process_each(batch)) == [Outcome.HANDLED] * len(batch)
        with ThreadPoolExecutor(4) as threads:  # four update threads at once, a chat each
            outcomes = list(threads.map(engine.process, [stranger_says("/lang", user) for user in people[:4]]))
        assert outcomes == [Outcome.HANDLED] * 4
    finally:
        engine.stop()
    with database.session() as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
    assert sorted(item.id for item in handed) == [row.id for row in rows]  # each handed over once
    for user in people:
        texts = [str(row.payload.get("text")) for row in rows if row.chat_id == user]
        kinds = ["start" if "mã mời" in text else "other" for text in texts]
        expected = ["start", "other", "start"] + (["other"] if user in people[:4] else [])
        assert kinds == expected, (user, texts)


def _pending(database: Database, chats: list[str]) -> list[int]:
    """Outbox rows waiting to be sent, one per chat; their ids."""
    now = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
    items = [{"channel": "telegram", "chat_id": chat, "kind": "message", "payload": {"text": "x"}} for chat in chats]
    with database.session() as session:
        return [item.id for item in enqueue_many(session, items, now=now)]


def _statuses(database: Database) -> dict[int, str]:
    with database.session() as session:
        return {row.id: row.status for row in session.exec(select(OutboxMessage))}  # type: ignore[misc]


def test_marks_are_written_by_the_child_alone_and_between_updates(
    engine_process: EngineProcess, database: Database, handed: list[OutboxItem]
) -> None:
    """The sender's marks go down the pipe: written at once when the child is idle, else with its next update;
    each call returns once they are committed."""
    first, second, third = _pending(database, ["7001", "7002", "7003"])
    now = dt.datetime(2026, 12, 7, 2, 1, tzinfo=dt.UTC)
    engine_process.mark_sent([first], now)  # idle: on their own
    assert _statuses(database)[first] == "sent"
    with ThreadPoolExecutor(2) as threads:  # marks while a batch is being handled: they ride along
        batch = threads.submit(lambda: list(engine_process.process_each([stranger_says("/help", "7100")] * 1)))
        marked = threads.submit(engine_process.mark_sent, [second, third], now)
        assert batch.result() == [Outcome.HANDLED]
        marked.result()
    statuses = _statuses(database)
    assert [statuses[first], statuses[second], statuses[third]] == ["sent"] * 3
    assert all(statuses[item.id] == "pending" for item in handed)  # the replies just written wait to be sent
    engine_process.mark_sent([], now)  # nothing to mark: no trip at all


def test_marks_survive_a_failed_handler_and_a_killed_child(database: Database) -> None:
    """Marks that rode along an update whose handler failed are written on their own; a child killed before it
    marked fails the call (the sender's marker tries again), and the next call starts a new child."""
    engine = EngineProcess(Config(database_url=database.url, demo_data=False), lambda items: None)
    engine.start()
    try:
        (item,) = _pending(database, ["7201"])
        pid = engine.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(EngineProcessDied):
            engine.mark_sent([item], dt.datetime(2026, 12, 7, 2, 2, tzinfo=dt.UTC))
        assert _statuses(database)[item] == "pending"
        engine.mark_sent([item], dt.datetime(2026, 12, 7, 2, 3, tzinfo=dt.UTC))
        assert _statuses(database)[item] == "sent" and engine.starts == 2
    finally:
        engine.stop()


def test_a_lane_writes_the_marks_of_a_failed_update_on_their_own(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the child's lane (run here on a thread): a handler that fails rolls back the update's transaction and
    the marks in it; the lane then writes them on their own before telling the parent they are marked."""
    import bot.engine_process as engine_process_module

    def failing_route(turn: object) -> None:
        raise RuntimeError("a handler's bug")

    monkeypatch.setattr(engine_process_module, "route", failing_route)
    (item,) = _pending(database, ["7301"])
    parent, child = Pipe()
    queue: SimpleQueue[object] = SimpleQueue()
    marks: SimpleQueue[object] = SimpleQueue()
    config = Config(database_url=database.url, demo_data=False)
    lane = threading.Thread(
        target=engine_process_module._lane,
        args=(queue, database, config, engine_process_module._Answering(child), None, marks),
    )
    lane.start()
    now = dt.datetime(2026, 12, 7, 2, 4, tzinfo=dt.UTC)
    marks.put(engine_process_module._Marks(41, [item], now))
    queue.put((40, 0, stranger_says("/help", "7302")))
    queue.put(None)
    lane.join(30)
    answers = [parent.recv() for _ in range(2)]
    assert answers[0][:3] == (40, 0, Outcome.FAILED)  # the update: failed, the apology handed over
    assert answers[1] == (41, 0, True, None)  # the marks: written all the same
    assert _statuses(database)[item] == "sent"


async def test_on_sqlite_the_application_has_the_engine_process_write_the_marks(database: Database) -> None:
    """SQLite: the sender's marks are written by the engine's process (the file's one writer); PostgreSQL takes
    many writers, and the sender writes its own."""
    config = Config(
        database_url=database.url,
        web_port=0,
        demo_data=False,
        telegram_token="1:T",
        telegram_api_base_url="http://127.0.0.1:9/bot",
        engine_mode="process",
    )
    app = BotApplication(config, SystemClock())
    try:
        await app._start_engine_process()
        assert app._engine_process is not None
        writer = app._sender.store._mark_writer
        assert writer == (app._engine_process.mark_sent if database.is_sqlite else None)
        (item,) = _pending(database, ["7401"])
        await asyncio.to_thread(app._sender.store.mark_sent, [item], dt.datetime(2026, 12, 7, 2, 5, tzinfo=dt.UTC))
        assert _statuses(database)[item] == "sent"
    finally:
        await app.stop()
