"""GET /healthz: 200 "ok" while the process runs and its database answers, 503 when it does not; nothing more."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from sqlalchemy import text

from bot.web import HealthCheck, WebServer
from storage.db import Database


def _health_of(database: Database) -> HealthCheck:
    """The app's kind of health check: one trivial query, off the event loop."""

    def query() -> None:
        with database.session(readonly=True) as session:
            session.connection().execute(text("SELECT 1"))

    async def check() -> None:
        await asyncio.to_thread(query)

    return check


async def test_healthz_says_ok_or_unavailable_and_nothing_else(tmp_path: Path) -> None:
    working = Database(f"sqlite:///{tmp_path / 'ok.db'}")
    (tmp_path / "a-directory.db").mkdir()
    missing = Database(f"sqlite:///{tmp_path / 'a-directory.db'}")  # cannot be opened as a database
    servers = [
        WebServer("127.0.0.1", 0, health=_health_of(working)),
        WebServer("127.0.0.1", 0, health=_health_of(missing)),
    ]
    try:
        for server in servers:
            await server.start()
        async with aiohttp.ClientSession() as client:
            async with client.get(f"{servers[0].url}/healthz") as response:
                assert (response.status, await response.text()) == (200, "ok")
            async with client.get(f"{servers[1].url}/healthz") as response:
                assert (response.status, await response.text()) == (503, "unavailable")
    finally:
        for server in servers:
            await server.stop()
        working.dispose()
        missing.dispose()
