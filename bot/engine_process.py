"""The conversation engine in a process of its own, so that it has a core to itself.

The engine is plain Python that holds the interpreter lock while it works (the ORM, the handlers, the
database driver), and so is the event loop that polls, sends and serves the web. In one process they take
turns on one core; in two they run side by side. `EngineProcess` keeps the engine's contract: `process`
handles one update in one transaction and returns after the commit, `process_each` a batch in order,
yielding as each commits, and the outbox items each commit wrote are handed to `on_outbox` in this process.
It is called from the single update thread, so per-chat order and the single SQLite writer stay as they
were; a whole polled batch goes down the pipe at once and the answers stream back, so the child never waits
for the parent between updates.

The child opens the database from the config's URL (an in-memory SQLite database cannot be shared, see
`can_run`) and uses the real router and the system clock; a test's frozen clock or custom router keeps the
engine in the parent's thread. If the child dies, the update it was on raises `EngineProcessDied` (the
channel fetches it again, and the dedupe on (channel, update id) keeps that safe) and the next update starts
a new child.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

from bot.clock import Clock, SystemClock
from bot.engine import ConversationEngine, Outcome
from bot.logs import root_log_format, setup_logging
from bot.messages import Incoming
from bot.settings import Config
from handlers.router import route
from storage.db import Database, in_memory_database
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

START_TIMEOUT = 120.0  # seconds for the child to import everything and open the database
WARM_AFTER = 500  # updates after which the child's caches (compiled SQL, first-use tables) are warm
_STOP = None  # what the parent sends to ask the child to finish


class EngineProcessDied(RuntimeError):
    """The engine's process ended while it had an update: that update is not known to be committed."""


class EngineProcessError(RuntimeError):
    """The engine's process could not handle an update (an error outside the handlers); it may be retried."""


def can_run(config: Config, clock: Clock, custom_router: bool) -> bool:
    """Whether the engine can move to a child: a database both processes reach, the system clock and the
    real router (a test's frozen clock or fake router lives only in this process)."""
    return not in_memory_database(config.database_url) and isinstance(clock, SystemClock) and not custom_router


class EngineProcess:
    """A child process running `ConversationEngine`; used from one thread at a time (the update thread)."""

    def __init__(self, config: Config, on_outbox: Callable[[list[OutboxItem]], None]) -> None:
        self.config = config
        self.on_outbox = on_outbox
        self._context = multiprocessing.get_context("spawn")  # no fork: the parent runs threads
        self._process: Any | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
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
        """Handle updates in order in the child, yielding each outcome as its transaction commits.

        Closed early (the caller stops), it still waits for the rest of the batch, which the child handles
        anyway, and hands over their outbox items: nothing committed is left unsent."""
        if not incomings:
            return
        with self._lock:
            conn = self._connection()
            try:
                conn.send(list(incomings))
            except (OSError, ValueError) as error:
                self._forget()
                raise EngineProcessDied("the engine process could not be reached") from error
            remaining = len(incomings)
            try:
                while remaining:
                    outcome = self._answer(conn, incomings[len(incomings) - remaining])
                    remaining -= 1
                    yield outcome
            finally:
                while remaining and self._conn is conn:
                    with contextlib.suppress(EngineProcessDied, EngineProcessError):
                        self._answer(conn, incomings[len(incomings) - remaining])
                    remaining -= 1

    def _answer(self, conn: Connection, incoming: Incoming) -> Outcome:
        """Read the child's answer for `incoming` and hand over the outbox items it wrote."""
        try:
            outcome, items = conn.recv()
        except (EOFError, OSError) as error:
            self._forget()
            raise EngineProcessDied(
                f"the engine process ended while handling {incoming.channel} update {incoming.update_id}"
            ) from error
        if outcome is None:  # the child could not commit; `items` says why
            raise EngineProcessError(f"{incoming.channel} update {incoming.update_id}: {items}")
        if items:
            self.on_outbox(items)
        return outcome

    def _connection(self) -> Connection:
        """The pipe to a running child, starting one if there is none (the lock is held)."""
        if self._conn is not None:
            return self._conn
        parent, child = self._context.Pipe()
        log_setup = (logging.getLogger().getEffectiveLevel(), root_log_format())
        process = self._context.Process(
            target=serve, args=(child, self.config, log_setup), name="bdhvs-engine", daemon=True
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
        self.starts += 1
        log.info("conversation engine running in process %s", process.pid)
        return parent

    def _forget(self) -> None:
        """After the child died: reap it; the next update starts a new one (the lock is held)."""
        process, conn = self._process, self._conn
        self._process, self._conn = None, None
        if conn is not None:
            conn.close()
        if process is not None:
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)
            log.error("the engine process ended (exit code %s); the next update starts a new one", process.exitcode)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the child to finish (after the batch it is on) and wait for it; kill it if it does not."""
        with self._lock:
            process, conn = self._process, self._conn
            self._process, self._conn = None, None
        if process is None or conn is None:
            return
        with contextlib.suppress(OSError, ValueError):
            conn.send(_STOP)
        process.join(timeout)
        if process.is_alive():
            log.warning("the engine process did not stop in %.0f s; killing it", timeout)
            process.kill()
            process.join(5)
        conn.close()


def serve(conn: Connection, config: Config, log_setup: tuple[int, str | None] = (logging.WARNING, None)) -> None:
    """The child: build the engine, then answer each update of each batch with (outcome, outbox items)."""
    # Ctrl+C and a service manager's SIGTERM reach the whole process group; the parent decides when the
    # engine stops (after its batch), and a parent that is gone closes the pipe, which ends this loop too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    level, fmt = log_setup
    if fmt == "json":  # the parent logs JSON lines: so does the child
        setup_logging("json", level)
    else:
        logging.basicConfig(level=level, format=fmt or logging.BASIC_FORMAT)

    database = Database(config.database_url)
    written: list[OutboxItem] = []
    engine = ConversationEngine(database, config, SystemClock(), route, on_outbox=written.extend)
    # What start-up built lives as long as the process: frozen, it is left out of the full collections,
    # which otherwise walk it all and stop an update for tens of milliseconds. Again once the caches are warm.
    gc.freeze()
    handled = 0
    conn.send("ready")
    try:
        while True:
            try:
                batch = conn.recv()
            except EOFError:  # the parent is gone
                return
            if batch is _STOP:
                return
            for incoming in batch:
                written.clear()
                try:
                    outcome: Outcome | None = engine.process(incoming)  # catches the handlers' errors
                    answer: tuple[Any, Any] = (outcome, list(written))
                except Exception as error:  # not the handlers: the transaction itself; the parent may retry
                    log.exception("the engine failed on %s update %s", incoming.channel, incoming.update_id)
                    answer = (None, repr(error))
                try:
                    conn.send(answer)
                except OSError:  # the parent is gone; what was committed is in the outbox for the next sender
                    return
                handled += 1
                if handled == WARM_AFTER:
                    gc.freeze()
    finally:
        database.dispose()
