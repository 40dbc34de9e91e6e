"""One running bot per SQLite database: a second `bdhvs run` on the same file is refused at start.

SQLite has one writer and our sender and scheduler assume they are alone on it, so two instances on one file
would send every outbox item twice. The running instance holds an exclusive `flock` on a file beside the
database (`<database>.instance-lock`) for as long as it runs; the operating system releases it when the process
ends, however it ends (a SIGKILL included), so a crash never leaves a stale lock. PostgreSQL needs no lock
here (several instances share it; see the advisory locks of the migrations).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from storage.db import in_memory_database, normalize_url

try:
    import fcntl
except ImportError:  # not a POSIX system: the refusal is not available there
    fcntl = None  # type: ignore[assignment]  # the module or nothing


class AnotherInstance(RuntimeError):
    """Another process runs the bot on this SQLite database."""


def lock_path(database_url: str) -> Path | None:
    """The lock file of an SQLite database file (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(normalize_url(database_url))
    if parsed.get_backend_name() != "sqlite" or in_memory_database(database_url):
        return None
    return Path(parsed.database or "").resolve().with_name(Path(parsed.database or "").name + ".instance-lock")


class InstanceLock:
    """Held by the running bot on an SQLite database file; `acquire` refuses when another process holds it."""

    def __init__(self, database_url: str) -> None:
        self.path = lock_path(database_url)
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise `AnotherInstance` with one line saying what to do."""
        if self.path is None or fcntl is None or self._file is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115  # held open while the bot runs
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise AnotherInstance(
                f"another bdhvs instance (process {holder}) already runs on this SQLite database; stop it first, "
                "or use PostgreSQL to run several"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Let another instance start (the process's end does it too)."""
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
