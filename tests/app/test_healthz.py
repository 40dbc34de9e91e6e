"""GET /healthz: 200 "ok" while the process serves, whatever the database; GET /readyz: 200 "ready" when the
database answers, 503 "unavailable" when it does not or not in time; nothing more in either."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from bot import web as web_module
from bot.web import WebServer
from storage.db import Database
from tests.helpers import free_port


def ready_of(database: Database) -> Callable[[], None]:
    """The app's kind of readiness check: one trivial query."""

    def check() -> None:
        with database.session(readonly=True) as session:
            session.connection().execute(text("SELECT 1"))

    return check


async def probe(client: aiohttp.ClientSession, server: WebServer, path: str) -> tuple[int, str]:
    async with client.get(f"{server.url}{path}") as response:
        return response.status, await response.text()


async def test_healthz_is_alive_and_readyz_follows_the_database(tmp_path: Path) -> None:
    working = Database(f"sqlite:///{tmp_path / 'ok.db'}")
    (tmp_path / "a-directory.db").mkdir()
    unopenable = Database(f"sqlite:///{tmp_path / 'a-directory.db'}")  # cannot be opened as a database
    closed_port = Database(f"postgresql://postgres@127.0.0.1:{free_port()}/bdhvs")  # nobody listens there
    databases = [working, unopenable, closed_port]
    servers = [WebServer("127.0.0.1", 0, ready=ready_of(database)) for database in databases]
    try:
        for server in servers:
            await server.start()
        async with aiohttp.ClientSession() as client:
            for server in servers:
                assert await probe(client, server, "/healthz") == (200, "ok")
            assert await probe(client, servers[0], "/readyz") == (200, "ready")
            assert await probe(client, servers[1], "/readyz") == (503, "unavailable")
            assert await probe(client, servers[2], "/readyz") == (503, "unavailable")
    finally:
        for server in servers:
            await server.stop()
        for database in databases:
            database.dispose()


async def test_a_stuck_database_is_not_ready_and_holds_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_module, "READY_TIMEOUT", 0.2)
    release = threading.Event()
    calls: list[int] = []

    def stuck() -> None:
        calls.append(1)
        release.wait(10)

    server = WebServer("127.0.0.1", 0, ready=stuck)
    await server.start()
    try:
        async with aiohttp.ClientSession() as client:
            assert await probe(client, server, "/readyz") == (503, "unavailable")
            assert await probe(client, server, "/readyz") == (503, "unavailable")
            assert await probe(client, server, "/healthz") == (200, "ok")
            assert len(calls) == 1  # the second probe waited on the first check, it did not start another
            release.set()
            assert await probe(client, server, "/readyz") == (200, "ready")
    finally:
        release.set()
        await server.stop()
