"""The conversation engine in a process of its own, so that it has a core to itself.

The engine is plain Python that holds the interpreter lock while it works (the ORM, the handlers, the
database driver), and so is the event loop that polls, sends and serves the web. In one process they take
turns on one core; in two they run side by side. `EngineProcess` keeps the engine's contract: `process`
handles one update in one transaction and returns after the commit, `process_each` a batch in order,
yielding as each commits, and the outbox items each commit wrote are handed to `on_outbox` in this process.
A whole polled batch goes down the pipe at once and the answers stream back, so the child never waits for
the parent between updates. With lanes (bot/engine_lanes.py, PostgreSQL) several update threads call it at
once: each request is tagged, the child hands each update to its chat's lane (a thread of its own there), and
a reader thread here gives each answer to the call waiting for it; a chat's updates stay in order, in the lane
that sent them and in the child's lane. On SQLite there is one lane, and one update at a time, as before.

On SQLite the child is also where the sender's marks are written (`mark_sent`): the database file takes one
writer at a time, and a second process waiting for it sleeps in steps of milliseconds while the engine goes
on, so the sender's marks (and with them each chat's next message, which waits for its previous one's mark)
lagged behind the engine and the engine waited for them in turn. The child's update lane writes the marks
that came in before each update it takes in that update's own transaction (or on their own when it is
idle): one writer, no waiting on the file's lock, and no commit of their own.

The child opens the database from the config's URL (an in-memory SQLite database cannot be shared, see
`can_run`) and uses the real router and the system clock; a test's frozen clock or custom router keeps the
engine in the parent's thread. If the child dies, the update it was on raises `EngineProcessDied` (the
channel fetches it again, and the dedupe on (channel, update id) keeps that safe) and the next update starts
a new child.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import itertools
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from queue import SimpleQueue
from typing import Any

from bot.clock import Clock, SystemClock
from bot.engine import ConversationEngine, Outcome
from bot.engine_lanes import lane_of
from bot.logs import root_log_format, setup_logging
from bot.messages import Incoming
from bot.settings import Config
from handlers.router import route
from storage import outbox
from storage.db import Database, in_memory_database
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

START_TIMEOUT = 120.0  # seconds for the child to import everything and open the database
WARM_AFTER = 500  # updates after which the child's caches (compiled SQL, first-use tables) are warm
_STOP = None  # what the parent sends to ask the child to finish (and the child's main thread to its lanes)
_DIED = object()  # what the reader thread tells a waiting call when the child ended
_MARKS_WAITING = "marks"  # what the child's main thread puts in the first lane's queue to wake it for marks


class EngineProcessDied(RuntimeError):
    """The engine's process ended while it had an update: that update is not known to be committed."""


class EngineProcessError(RuntimeError):
    """The engine's process could not handle an update (an error outside the handlers); it may be retried."""


def can_run(config: Config, clock: Clock, custom_router: bool) -> bool:
    """Whether the engine can move to a child: a database both processes reach, the system clock and the
    real router (a test's frozen clock or fake router lives only in this process)."""
    return not in_memory_database(config.database_url) and isinstance(clock, SystemClock) and not custom_router


@dataclass(frozen=True)
class _Marks:
    """Outbox items the platform accepted, for the child to mark sent (a request down the pipe)."""

    tag: int
    ids: list[int]
    now: dt.datetime


@dataclass
class _Request:
    """One call's updates sent to the child: the answers as they come (by index), and whether the child died."""

    conn: Connection
    answers: SimpleQueue[Any] = field(default_factory=SimpleQueue)
    got: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    died: bool = False


class EngineProcess:
    """A child process running `ConversationEngine`; called from the update threads (one per lane)."""

    def __init__(
        self,
        config: Config,
        on_outbox: Callable[[list[OutboxItem]], None],
        lanes: int = 1,
        lease: tuple[str, float] | None = None,
    ) -> None:
        self.config = config
        self.on_outbox = on_outbox
        self.lanes = max(1, lanes)
        self.lease = lease  # the engine's `lease`: the replies leased to this instance as they are written
        self._context = multiprocessing.get_context("spawn")  # no fork: the parent runs threads
        self._process: Any | None = None
        self._conn: Connection | None = None
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()  # the child's start and stop, and each send down the pipe
        self._tags = itertools.count()
        self._waiting: dict[int, _Request] = {}
        self.starts = 0  # how many children were started (more than one after a crash)

    @property
    def pid(self) -> int | None:
        """The child's process id while one runs."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the child and wait until it has opened the database (blocking)."""
        with self._lock:
            self._connection()

    def process(self, incoming: Incoming) -> Outcome:
        """Handle one update in the child; blocking, like `ConversationEngine.process`."""
        (outcome,) = self.process_each([incoming])  # one update, one outcome (or the error raised)
        return outcome

    def process_each(self, incomings: Sequence[Incoming]) -> Iterator[Outcome]:
        """Handle updates in the child, yielding each outcome in order as its transaction commits.

        Closed early (the caller stops), it still waits for the rest of the batch, which the child handles
        anyway, and hands over their outbox items: nothing committed is left unsent."""
        if not incomings:
            return
        tag, request = self._send(lambda tag: (tag, list(incomings)))
        done = 0
        try:
            while done < len(incomings):
                outcome = self._answer(request, done, incomings[done])
                done += 1
                yield outcome
        finally:
            while done < len(incomings) and not request.died:
                with contextlib.suppress(EngineProcessDied, EngineProcessError):
                    self._answer(request, done, incomings[done])
                done += 1
            self._waiting.pop(tag, None)

    def mark_sent(self, ids: list[int], now: dt.datetime) -> None:
        """Mark these outbox items sent, in the child (blocking until committed; the sender's marking thread
        calls it on SQLite, see the module's docstring). Raises `EngineProcessDied` when the child ended first
        and `EngineProcessError` when it could not write: the marker tries again."""
        if not ids:
            return
        tag, request = self._send(lambda tag: _Marks(tag, list(ids), now))
        try:
            marked, error = self._wait(request, 0, f"marking {len(ids)} outbox items sent")
        finally:
            self._waiting.pop(tag, None)
        if marked is None:
            raise EngineProcessError(f"marking {len(ids)} outbox items sent: {error}")

    def _send(self, request_for: Callable[[int], Any]) -> tuple[int, _Request]:
        """Send a request (made from its tag) to the child, starting one if none runs; its tag and what
        collects the answers."""
        with self._lock:
            conn = self._connection()
            tag = next(self._tags)
            request = self._waiting[tag] = _Request(conn)
            try:
                conn.send(request_for(tag))
            except (OSError, ValueError) as error:
                del self._waiting[tag]
                self._forget(conn)
                raise EngineProcessDied("the engine process could not be reached") from error
        return tag, request

    def _wait(self, request: _Request, index: int, doing: str) -> tuple[Any, Any]:
        """The child's answer to the request's `index`-th part; `EngineProcessDied` if the child ended first
        (`doing` says what it was doing, for the message)."""
        while index not in request.got:
            if request.died:
                raise EngineProcessDied(f"the engine process ended while {doing}")
            answer = request.answers.get()
            if answer is _DIED:
                request.died = True
            else:
                request.got[answer[0]] = answer[1:]
        return request.got.pop(index)

    def _answer(self, request: _Request, index: int, incoming: Incoming) -> Outcome:
        """Wait for the child's answer for `incoming` (the request's `index`-th) and hand over the outbox items
        it wrote."""
        outcome, items = self._wait(request, index, f"handling {incoming.channel} update {incoming.update_id}")
        if outcome is None:  # the child could not commit; `items` says why
            raise EngineProcessError(f"{incoming.channel} update {incoming.update_id}: {items}")
        if items:
            self.on_outbox(items)
        return outcome

    def _read(self, conn: Connection) -> None:
        """The reader thread: each answer to the call waiting for it, until the child's end of the pipe closes
        (it stopped or died); then every call still waiting on this child is told it died."""
        while True:
            try:
                tag, index, outcome, items = conn.recv()
            except (EOFError, OSError):
                break
            request = self._waiting.get(tag)
            if request is not None:
                request.answers.put((index, outcome, items))
        with self._lock:
            self._forget(conn)
            lost = [request for request in self._waiting.values() if request.conn is conn]
        for request in lost:
            request.answers.put(_DIED)

    def _connection(self) -> Connection:
        """The pipe to a running child, starting one if there is none (the lock is held)."""
        if self._conn is not None:
            return self._conn
        parent, child = self._context.Pipe()
        log_setup = (logging.getLogger().getEffectiveLevel(), root_log_format())
        process = self._context.Process(
            target=serve,
            args=(child, self.config, log_setup, self.lanes, self.lease),
            name="bdhvs-engine",
            daemon=True,
        )
        process.start()
        child.close()
        ready: Any = None
        if parent.poll(START_TIMEOUT):
            try:
                ready = parent.recv()
            except (EOFError, OSError):
                ready = None
        if ready != "ready":
            process.kill()
            process.join(5)
            parent.close()
            raise RuntimeError(f"the engine process could not start (exit code {process.exitcode}); see the log")
        self._process, self._conn = process, parent
        self._reader = threading.Thread(target=self._read, args=(parent,), name="bdhvs-engine-answers", daemon=True)
        self._reader.start()
        self.starts += 1
        log.info("conversation engine running in process %s", process.pid)
        return parent

    def _forget(self, conn: Connection) -> None:
        """After the child behind `conn` died: reap it; the next update starts a new one (the lock is held).
        Nothing when that child was already forgotten or stopped."""
        if self._conn is not conn:
            return
        process = self._process
        self._process, self._conn = None, None
        if process is not None:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)
            log.error("the engine process ended (exit code %s); the next update starts a new one", process.exitcode)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the child to finish (what it took) and wait for it; kill it if it does not."""
        with self._lock:
            process, conn, reader = self._process, self._conn, self._reader
            self._process, self._conn, self._reader = None, None, None
        if process is None or conn is None:
            return
        with contextlib.suppress(OSError, ValueError):
            conn.send(_STOP)
        process.join(timeout)
        if process.is_alive():
            log.warning("the engine process did not stop in %.0f s; killing it", timeout)
            process.kill()
            process.join(5)
        if reader is not None:
            reader.join(5)  # the child's end closed with it: the reader has read its last answer
        conn.close()


def serve(
    conn: Connection,
    config: Config,
    log_setup: tuple[int, str | None] = (logging.WARNING, None),
    lanes: int = 1,
    lease: tuple[str, float] | None = None,
) -> None:
    """The child: build the engine, then hand each update of each request to its chat's lane, which answers
    with (tag, index, outcome, outbox items) once it committed."""
    # Ctrl+C and a service manager's SIGTERM reach the whole process group; the parent decides when the
    # engine stops (after what it took), and a parent that is gone closes the pipe, which ends this loop too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    level, fmt = log_setup
    if fmt == "json":  # the parent logs JSON lines: so does the child
        setup_logging("json", level)
    else:
        logging.basicConfig(level=level, format=fmt or logging.BASIC_FORMAT)

    database = Database(config.database_url)
    lanes = max(1, lanes)
    answering = _Answering(conn)
    queues: list[SimpleQueue[Any]] = [SimpleQueue() for _ in range(lanes)]
    marks: SimpleQueue[_Marks] = SimpleQueue()  # written by the first lane, before its next update
    workers = [
        threading.Thread(
            target=_lane,
            args=(queue, database, config, answering, lease, marks if n == 0 else None),
            name=f"bdhvs-lane-{n}",
        )
        for n, queue in enumerate(queues)
    ]
    # What start-up built lives as long as the process: frozen, it is left out of the full collections,
    # which otherwise walk it all and stop an update for tens of milliseconds. Again once the caches are warm.
    gc.freeze()
    for worker in workers:
        worker.start()
    conn.send("ready")
    try:
        while True:
            try:
                request = conn.recv()
            except EOFError:  # the parent is gone
                return
            if request is _STOP:
                return
            if isinstance(request, _Marks):
                marks.put(request)
                queues[0].put(_MARKS_WAITING)  # wakes the lane when idle; else it finds the marks first anyway
                continue
            tag, batch = request
            for index, incoming in enumerate(batch):
                queues[lane_of(incoming, lanes)].put((tag, index, incoming))
    finally:
        for queue in queues:
            queue.put(_STOP)  # each lane finishes what it took first
        for worker in workers:
            worker.join()
        database.dispose()


class _Answering:
    """The child's end of the pipe, shared by its lanes: one answer at a time; counts the updates handled."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.lock = threading.Lock()
        self.handled = 0

    def send(self, answer: tuple[Any, ...], update: bool = True) -> bool:
        """Send one answer (to an update, or else to marks); False when the parent is gone (what was committed
        is in the outbox for the next sender)."""
        with self.lock:
            try:
                self.conn.send(answer)
            except OSError:
                return False
            if not update:
                return True
            self.handled += 1
            if self.handled == WARM_AFTER:
                gc.freeze()
            return True


def _lane(
    queue: SimpleQueue[Any],
    database: Database,
    config: Config,
    answering: _Answering,
    lease: tuple[str, float] | None,
    marks: SimpleQueue[_Marks] | None = None,
) -> None:
    """One lane of the child: its chats' updates one at a time, in the order they came; the first lane also
    writes the marks that came in meanwhile (`marks`), in the transaction of its next update."""
    written: list[OutboxItem] = []
    engine = ConversationEngine(database, config, SystemClock(), route, on_outbox=written.extend, lease=lease)
    while True:
        work = queue.get()
        taken = _take(marks) if marks is not None else []
        if work is _STOP or work is _MARKS_WAITING:
            if not _write_marks(taken, database, answering) or work is _STOP:
                return
            continue
        tag, index, incoming = work
        written.clear()
        outcome: Outcome | None = None
        try:
            outcome = engine.process(incoming, _marking(taken))  # catches the handlers' errors
            answer: tuple[Any, ...] = (tag, index, outcome, list(written))
        except Exception as error:  # not the handlers: the transaction itself; the parent may retry
            log.exception("the engine failed on %s update %s", incoming.channel, incoming.update_id)
            answer = (tag, index, None, repr(error))
        if not answering.send(answer):
            return
        if outcome in (Outcome.HANDLED, Outcome.DUPLICATE):  # committed with the update
            marked = _answer_marks(taken, answering, None)
        else:  # rolled back with it: on their own
            marked = _write_marks(taken, database, answering)
        if not marked:
            return


def _take(marks: SimpleQueue[_Marks]) -> list[_Marks]:
    """The marks waiting to be written."""
    taken: list[_Marks] = []
    while not marks.empty():
        taken.append(marks.get())
    return taken


def _marking(taken: list[_Marks]) -> Callable[[Any], None] | None:
    """The marks as writes for an update's transaction (None: no marks)."""
    if not taken:
        return None
    ids = [item for request in taken for item in request.ids]
    return lambda connection: outbox.mark_sent(connection, ids, taken[-1].now)


def _answer_marks(taken: list[_Marks], answering: _Answering, error: str | None) -> bool:
    """Tell the parent the marks were written (or, with `error`, were not); False when it is gone."""
    return all(answering.send((request.tag, 0, None if error else True, error), update=False) for request in taken)


def _write_marks(taken: list[_Marks], database: Database, answering: _Answering) -> bool:
    """Write marks on their own (one statement, committed) and answer them; False when the parent is gone."""
    along = _marking(taken)
    if along is None:
        return True
    error: str | None = None
    try:
        with database.autocommit() as connection:
            along(connection)
    except Exception as failure:  # the database: each request is told, and the parent's marker tries again
        log.exception("could not mark %d outbox items sent", sum(len(request.ids) for request in taken))
        error = repr(failure)
    return _answer_marks(taken, answering, error)
