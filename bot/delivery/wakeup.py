"""Waking the other instances' senders at once when outbox rows they may have to send were committed.

With several instances on one PostgreSQL database (leases, bot/delivery/shared.py) a row committed by one
instance may only be sendable by another: its chat is held by the instance that still has a row of it in hand
(storage/outbox_leases.py). That holder would otherwise find the new row only at its next full read, up to the
sender's `poll_interval` (a second) later, while a person waits for an answer. So each instance LISTENs on one
channel and, after it hands over rows its engine committed (or frees its rows at a stop), sends a NOTIFY there;
every other instance then reads its due rows in full (`on_wake`).

The notice carries nothing but the sender's name (an instance ignores its own); the database stays the record,
so a notice lost (a connection dropped) costs only the wait for the next full read, and the listener reconnects
and reads in full once it is back. Sending is coalesced: while one NOTIFY is on its way, more requests make one
more at most. Both run on threads of their own, never on the event loop or the sender's database thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from storage.db import Database

log = logging.getLogger("bot.outbox_sender")

CHANNEL = "bdhvs_outbox"  # the LISTEN/NOTIFY channel of the outbox senders
RECONNECT_SECONDS = 1.0  # wait between attempts to listen again after the connection dropped


class Wakeups:
    """LISTEN for the other instances' notices (calling `on_wake`) and NOTIFY them (`tell_others`)."""

    def __init__(self, database: Database, owner: str, on_wake: Callable[[], None]) -> None:
        self.database = database
        self.owner = owner  # this instance's name: its own notices are ignored
        self.on_wake = on_wake  # called on the listening thread; must be safe from any thread
        self.heard = 0  # notices from other instances (tests, the operator's log)
        self.told = 0  # notices sent
        self._stopping = threading.Event()
        self._want_tell = threading.Event()
        self._listening = threading.Event()  # set once LISTEN is in force
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Begin listening and telling, each on a thread of its own."""
        if self._threads:
            return
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._listen, name="outbox-listen", daemon=True),
            threading.Thread(target=self._tell, name="outbox-notify", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def wait_listening(self, timeout: float) -> bool:
        """Whether LISTEN is in force (waiting up to `timeout` seconds): notices sent after that are heard."""
        return self._listening.wait(timeout)

    def tell_others(self) -> None:
        """Rows the others may have to send were committed (or freed): wake them. Safe from any thread."""
        self._want_tell.set()

    def stop(self, tell: bool = False) -> None:
        """Stop both threads (blocking briefly: the listener looks at the flag every few tenths of a second);
        with `tell`, notify the others once more first (this instance freed its rows)."""
        if tell and self._threads:
            self._notify()
        self._stopping.set()
        self._want_tell.set()
        for thread in self._threads:
            thread.join(5.0)
        self._threads = []
        self._listening.clear()

    # -- the threads -------------------------------------------------------------------------------

    def _listen(self) -> None:
        """Hold a connection of its own that LISTENs; every notice of another instance wakes the sender."""
        while not self._stopping.is_set():
            try:
                connection = self._connect()
                try:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    self.on_wake()  # anything committed while not listening is read now
                    while not self._stopping.is_set():
                        for notice in connection.notifies(timeout=0.25):
                            if notice.payload != self.owner:
                                self.heard += 1
                                self.on_wake()
                finally:
                    self._listening.clear()
                    connection.close()
            except Exception:  # the database went away: listen again soon (the sender's full reads go on)
                if self._stopping.is_set():
                    return
                log.warning("outbox wake-ups: not listening; trying again in %.0f s", RECONNECT_SECONDS, exc_info=True)
                self._stopping.wait(RECONNECT_SECONDS)

    def _connect(self) -> Any:
        """A psycopg connection of the listener's own, out of the pool, in autocommit (notices arrive at once)."""
        pooled = self.database.engine.raw_connection()
        connection: Any = pooled.driver_connection
        pooled.detach()  # never handed back to the pool: it stays LISTENing
        connection.rollback()  # the pool's liveness check may have begun a transaction
        connection.autocommit = True
        return connection

    def _tell(self) -> None:
        """Send one NOTIFY per burst of requests."""
        while True:
            self._want_tell.wait()
            if self._stopping.is_set():
                return
            self._want_tell.clear()
            if not self._notify():
                time.sleep(0.1)

    def _notify(self) -> bool:
        """One NOTIFY; False when it could not be sent (the others find the rows at their next full read)."""
        try:
            with self.database.engine.connect() as connection:
                notice = {"channel": CHANNEL, "owner": self.owner}
                connection.execute(text("SELECT pg_notify(:channel, :owner)"), notice)
                connection.commit()
        except Exception:
            log.warning("outbox wake-ups: could not notify the other instances", exc_info=True)
            return False
        self.told += 1
        return True
