"""The outbox sender's database work: each call one short transaction, all on one executor thread.

The queries themselves live in storage/outbox.py; this only opens the sessions and keeps them off the event
loop. What happens to the people behind a chat that can no longer be reached (the reminders domain marks them
and tells their commune admin) is not known here: the wiring passes it in as `on_unreachable`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from sqlmodel import Session

from bot.delivery.shared import Leases
from storage import groups, outbox, outbox_leases
from storage.db import Database
from storage.outbox import DueScan, OutboxItem

T = TypeVar("T")


class UnreachableHook(Protocol):
    """Told, inside the transaction that fails a chat's items, that the chat can no longer be reached."""

    def __call__(self, session: Session, channel: str, chat_id: str, *, cause_item_id: int, now: dt.datetime) -> None:
        """Act on the lost chat in `session` (the caller commits); `cause_item_id` is the item that failed."""


class OutboxStore:
    """Claims and marks outbox rows for the sender, one transaction per call, on its database thread."""

    def __init__(
        self,
        database: Database,
        executor: Executor | None = None,
        on_unreachable: UnreachableHook | None = None,
        leases: Leases | None = None,
    ) -> None:
        self.database = database
        self.on_unreachable = on_unreachable
        # Several instances on PostgreSQL: every read of due rows claims them in the database too.
        self.leases = leases
        # Who writes the marks when not this process (SQLite with the engine in a process of its own: that one,
        # the database's only writer; see bot/engine_process.py). Set by `write_marks_with`.
        self._mark_writer: Callable[[list[int], dt.datetime], None] | None = None
        self._own_executor = executor is None
        self._executor: Executor = executor or self._new_executor()
        self._closed = False

    @staticmethod
    def _new_executor() -> Executor:
        """The one thread the sender's database work runs on."""
        return ThreadPoolExecutor(1, thread_name_prefix="outbox-db")

    def open(self) -> None:
        """Ready for work again after `close()` (a sender started a second time)."""
        if self._own_executor and self._closed:
            self._executor = self._new_executor()
            self._closed = False

    def close(self) -> None:
        """Finish what was asked and end the thread, if it is this store's own (blocking)."""
        if self._own_executor and not self._closed:
            self._closed = True
            self._executor.shutdown(wait=True)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run one of this store's calls on the database thread, from the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def scan(
        self, now: dt.datetime, channels: list[str], claimed: frozenset[int], room: int, after_id: int | None
    ) -> DueScan:
        """Due items to claim (see `outbox.scan_due`; `after_id` None is a full scan); with leases, claimed in
        the database for this instance (`outbox_leases.claim_scan`)."""
        leases = self.leases
        if leases is not None:
            with self.database.session() as session:
                return outbox_leases.claim_scan(
                    session,
                    owner=leases.owner,
                    lease=dt.timedelta(seconds=leases.seconds),
                    now=now,
                    channels=channels,
                    in_hand=claimed,
                    room=room,
                    after_id=after_id,
                )
        with self.database.session(readonly=True) as session:
            return outbox.scan_due(session, now=now, channels=channels, claimed=claimed, room=room, after_id=after_id)

    def renew(self, ids: list[int]) -> set[int]:
        """Extend this instance's leases on the rows it has in hand; the ids renewed."""
        if self.leases is None:
            return set()
        with self.database.session() as session:
            return outbox_leases.renew(session, self.leases.owner, ids, dt.timedelta(seconds=self.leases.seconds))

    def release_leases(self) -> int:
        """This instance stops: its rows still to send are free for the others at once; how many."""
        if self.leases is None:
            return 0
        with self.database.session() as session:
            return outbox_leases.release_owner(session, self.leases.owner)

    def count(self, now: dt.datetime, channels: list[str]) -> tuple[int, int]:
        """(items that could be sent now, items waiting for a later attempt or behind one that waits)."""
        with self.database.session(readonly=True) as session:
            return outbox.count_due(session, now=now, channels=channels)

    def write_marks_with(self, writer: Callable[[list[int], dt.datetime], None] | None) -> None:
        """Have `writer` mark sent items from now on (None: this process again)."""
        self._mark_writer = writer

    def mark_sent(self, ids: list[int], now: dt.datetime) -> None:
        """The platform accepted these items (one statement, committed as it runs: a chat's next item waits for
        this mark)."""
        if self._mark_writer is not None:
            self._mark_writer(ids, now)
            return
        with self.database.autocommit() as connection:
            outbox.mark_sent(connection, ids, now)

    def hold(self, item_id: int, until: dt.datetime) -> None:
        """Keep an item back until `until` without blocking its chat."""
        with self.database.session() as session:
            outbox.hold(session, item_id, until)

    def release_held(self, now: dt.datetime) -> int:
        """Held items whose time has come are pending again; how many."""
        with self.database.session() as session:
            return outbox.release_held(session, now)

    def fail(self, item_id: int, error: str, now: dt.datetime) -> None:
        """The item will not be sent."""
        with self.database.session() as session:
            outbox.mark_failed(session, item_id, error, now)

    def reschedule(self, item_id: int, error: str, at: dt.datetime, count_attempt: bool) -> None:
        """Try the item again at `at`."""
        with self.database.session() as session:
            outbox.reschedule(session, item_id, error, at, count_attempt=count_attempt)

    def moved(self, item: OutboxItem, new_chat_id: str, now: dt.datetime) -> int:
        """The item's group chat moved to a new id: its items still to send go there, and the group's binding
        follows (audited), in one transaction; how many items moved."""
        with self.database.session() as session:
            moved = outbox.move_chat(session, item.channel, item.chat_id, new_chat_id)
            groups.migrated(session, item.channel, item.chat_id, new_chat_id, now)
            return moved

    def unreachable(self, item: OutboxItem, error: str, now: dt.datetime) -> None:
        """The chat cannot be reached: fail the item and the rest of its chat, and tell `on_unreachable`, in one
        transaction (so the notice to the commune admin is written exactly when the items fail)."""
        with self.database.session() as session:
            outbox.fail_chat(session, item.id, item.channel, item.chat_id, f"unreachable: {error}", now)
            if self.on_unreachable is not None:
                self.on_unreachable(session, item.channel, item.chat_id, cause_item_id=item.id, now=now)
