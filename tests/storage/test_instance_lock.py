"""One running bot per SQLite database: a second `bdhvs run` on the same file is refused at start with one
line; the lock goes with the process however it ends (a SIGKILL included); PostgreSQL is never locked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from storage.instance_lock import AnotherInstance, InstanceLock, lock_path
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_lock_on_the_same_file_is_refused_until_the_first_is_released(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bdhvs.db'}"
    first, second = InstanceLock(url), InstanceLock(url)
    first.acquire()
    with pytest.raises(AnotherInstance, match=f"process {os.getpid()}"):
        second.acquire()
    first.release()
    second.acquire()  # free again
    second.release()
    other = InstanceLock(f"sqlite:///{tmp_path / 'other.db'}")
    other.acquire()  # another database file: its own lock
    other.release()


def test_postgresql_and_memory_databases_take_no_lock() -> None:
    assert lock_path("postgresql://postgres@127.0.0.1:5432/test") is None
    assert lock_path("sqlite://") is None
    InstanceLock("postgresql://postgres@127.0.0.1:5432/test").acquire()  # nothing to hold


def _run(database: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BDHVS_DATABASE_URL": f"sqlite:///{database}", "BDHVS_WEB_PORT": str(port)}
    for name in ("BDHVS_CONFIG", "BDHVS_TELEGRAM_TOKEN", "BDHVS_ZALO_TOKEN"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_up(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, (process.stderr.read() if process.stderr else b"").decode()[-800:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the bot did not come up")


def test_a_second_bdhvs_run_on_one_sqlite_file_is_refused_and_a_killed_one_leaves_no_lock(tmp_path: Path) -> None:
    database = tmp_path / "bdhvs.db"
    first_port = free_port()
    first = _run(database, first_port)
    try:
        _wait_up(first_port, first)
        second = _run(database, free_port())
        assert second.wait(timeout=60) == 2
        said = (second.stderr.read() if second.stderr else b"").decode().strip().splitlines()
        assert len(said) == 1 and "another bdhvs instance" in said[0] and f"process {first.pid}" in said[0], said
        os.killpg(first.pid, signal.SIGKILL)  # a power cut: no clean stop, no release
        first.wait()
        third_port = free_port()
        third = _run(database, third_port)
        try:
            _wait_up(third_port, third)
        finally:
            os.killpg(third.pid, signal.SIGTERM)
            third.wait(timeout=30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
