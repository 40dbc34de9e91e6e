"""Leader roles among the instances on one PostgreSQL database, held with advisory locks, and the heartbeat.

A role that must run on one instance at a time (polling a token, the reminder scheduler) is a session-level
PostgreSQL advisory lock, keyed by the role's name (`role_key`), held on a connection of its own that does
nothing else. Every `interval` seconds (2 by default) this instance checks that connection (one `SELECT 1`),
tries to take the roles it wants and does not hold (`pg_try_advisory_lock`: never waits), and writes its
heartbeat row (storage/instances.py) naming the roles it holds.

- When an instance dies, however it dies (SIGKILL, power, network), its connection closes, PostgreSQL releases
  its locks, and another instance takes each role at its next round: within `interval` seconds of PostgreSQL
  noticing (at once for a killed process; for a machine cut off from the network, when the TCP keepalives set
  here give up, about 10 seconds).
- When this instance's connection fails, it gives up every role at once (`on_lost`: polling and the scheduler
  stop) and tries again with a new connection at its next round. For the moment between another instance
  taking a role and this one noticing, both may act: two pollers of a token get a 409 from Telegram on one of
  them and every update is deduplicated by the engine; two schedulers queue each reminder once (its
  idempotency key).
- A clean stop gives the roles up at once (the connection is closed), so another instance takes them at its
  next round.

On SQLite no lock is taken: one instance runs (storage/instance_lock.py) and holds every role.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bot.clock import Clock
from storage import instances
from storage.db import Database

log = logging.getLogger(__name__)

# TCP keepalives on the lock connection: a peer that vanished is noticed in about 10 s (idle 4 s, then 3 probes
# 2 s apart), on our side and on the server's (which then releases the locks).
KEEPALIVES: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 4, "keepalives_interval": 2, "keepalives_count": 3}
ALIVE_WITHIN = dt.timedelta(seconds=30)  # a heartbeat older than this is an instance that died (for listing)

RoleAction = Callable[[], Awaitable[None]]


def role_key(role: str) -> int:
    """The advisory lock key of a role: a signed 64-bit hash of its name, in our own namespace."""
    digest = hashlib.blake2b(f"bdhvs:role:{role}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def new_instance_id() -> str:
    """This process's name among the instances: host, process id and a random part (unique per start)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def libpq_url(database: Database) -> str:
    """The database's URL as libpq reads it (without SQLAlchemy's driver name)."""
    return make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Role:
    """A role this instance wants: what to do on taking it and on losing it."""

    name: str
    on_gained: RoleAction
    on_lost: RoleAction
    held: bool = False
    changes: list[bool] = field(default_factory=list)  # every gain (True) and loss (False), for tests and logs


class Leadership:
    """The roles this instance wants, taken and kept through advisory locks; the heartbeat row."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        instance_id: str | None = None,
        interval: float = 2.0,
        standing: Callable[[], list[str]] = list,
    ) -> None:
        self.database = database
        self.clock = clock
        self.instance_id = instance_id or new_instance_id()
        self.interval = interval
        self.standing = standing  # roles held without a lock (the sender: every instance sends)
        self.roles: dict[str, Role] = {}
        self.shared = not database.is_sqlite
        self._connection: Any = None  # the lock connection (psycopg), only touched on the executor's thread
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="bdhvs-leader")
        self._task: asyncio.Task[None] | None = None
        self._round = asyncio.Lock()
        self._stopping = False

    def want(self, name: str, on_gained: RoleAction, on_lost: RoleAction) -> None:
        """Take this role whenever it is free (before `start()`)."""
        self.roles[name] = Role(name, on_gained, on_lost)

    def held(self) -> list[str]:
        """The roles this instance holds now, the standing ones included, sorted."""
        return sorted([*self.standing(), *(role.name for role in self.roles.values() if role.held)])

    async def start(self) -> None:
        """Take what is free now (its actions run before this returns), then keep trying every `interval`."""
        await self.run_round()
        self._task = asyncio.create_task(self._rounds(), name="leadership")

    async def stop(self) -> None:
        """Give every role up (its `on_lost` runs), close the lock connection, remove the heartbeat row."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._round:
            await self._lose_all()
            if self.shared:
                with contextlib.suppress(Exception):  # the database may be gone: the row ages out
                    await self._db(self._remove)
            await self._db(self._close)
        self._executor.shutdown(wait=False)

    async def run_round(self) -> None:
        """One round: check the connection, take free roles, write the heartbeat (tests call it by hand)."""
        async with self._round:
            if not self.shared:
                for role in self.roles.values():
                    if not role.held:
                        await self._gain(role)
                return
            wanted = [role.name for role in self.roles.values() if not role.held]
            try:
                alive, taken = await self._db(self._try_locks, wanted)
            except Exception as error:  # the database is away: the next round tries again
                log.warning("leader round failed: %s", error)
                alive, taken = False, []
            if not alive:
                await self._lose_all()
            for name in taken:
                await self._gain(self.roles[name])
            try:
                await self._db(self._heartbeat, self.held())
            except Exception as error:  # logged; the heartbeat is for the operator, not for correctness
                log.warning("could not write this instance's heartbeat: %s", error)

    async def _rounds(self) -> None:
        """Rounds every `interval` seconds until stopped."""
        while True:
            await asyncio.sleep(self.interval)
            await self.run_round()

    async def _gain(self, role: Role) -> None:
        """The role is ours: act on it (a failure gives it back; the next round tries again)."""
        role.held = True
        role.changes.append(True)
        log.info("instance %s took the role %s", self.instance_id, role.name)
        try:
            await role.on_gained()
        except Exception:
            log.exception("could not take up the role %s; giving it back", role.name)
            await self._lose(role)
            if self.shared:
                with contextlib.suppress(Exception):
                    await self._db(self._unlock, role.name)

    async def _lose(self, role: Role) -> None:
        """The role is no longer ours: stop acting on it."""
        if not role.held:
            return
        role.held = False
        role.changes.append(False)
        log.log(
            logging.INFO if self._stopping else logging.WARNING,
            "instance %s gave up the role %s",
            self.instance_id,
            role.name,
        )
        try:
            await role.on_lost()
        except Exception:
            log.exception("stopping the role %s failed", role.name)

    async def _lose_all(self) -> None:
        """Every role is lost (the connection failed, or stopping)."""
        for role in self.roles.values():
            await self._lose(role)

    async def _db(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run blocking database work on the leadership's own thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    # -- on the leadership's thread -----------------------------------------------------------------

    def _try_locks(self, wanted: list[str]) -> tuple[bool, list[str]]:
        """(whether the locks held so far are still held, the wanted roles just taken)."""
        alive = True
        if self._connection is not None:
            try:
                self._connection.execute("SELECT 1")
            except Exception as error:
                log.warning("the leader lock connection failed (%s); every role is given up", error)
                self._close()
                alive = False
        if self._connection is None:
            self._connection = psycopg.connect(
                libpq_url(self.database),
                autocommit=True,
                connect_timeout=5,
                application_name="bdhvs-leader",
                **KEEPALIVES,
            )
            if not alive:
                return False, []
        taken = []
        for name in wanted:
            row = self._connection.execute("SELECT pg_try_advisory_lock(%s)", (role_key(name),)).fetchone()
            if row and row[0]:
                taken.append(name)
        return alive, taken

    def _unlock(self, name: str) -> None:
        """Give one role's lock back."""
        if self._connection is not None:
            self._connection.execute("SELECT pg_advisory_unlock(%s)", (role_key(name),))

    def _close(self) -> None:
        """Close the lock connection: every lock on it is released."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def _heartbeat(self, roles: list[str]) -> None:
        """Write this instance's row; now and then drop the rows of instances long dead."""
        host, pid, _ = self.instance_id.rsplit(":", 2)
        with self.database.session() as session:
            instances.heartbeat(session, self.instance_id, host, int(pid), roles, self.clock.now())
            instances.forget_dead(session)

    def _remove(self) -> None:
        """This instance stops: its row goes."""
        with self.database.session() as session:
            instances.remove(session, self.instance_id)

    def backend_pid(self) -> int | None:
        """The lock connection's server process id (tests end it to play a lost connection)."""
        connection = self._connection
        return None if connection is None else int(connection.info.backend_pid)
