"""Expiring download links for generated files: `GET /files/{token}` serves a StoredFile until it expires.

Zalo takes pictures only by public URL, and has no documents at all: charts and reports are sent as links
to our own web server (`BDHVS_PUBLIC_URL` is its public address). The token is the only key (random, 32
characters); an unknown or expired token answers 404, the same way, so nothing tells the two apart.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from aiohttp import web

from bot.clock import Clock
from storage.db import Database
from storage.files import live_file
from storage.models import StoredFile

FILES_PATH = "/files/{token}"


def file_url(base_url: str, token: str) -> str:
    """The public address of a stored file."""
    return f"{base_url.rstrip('/')}/files/{quote(token, safe='')}"


def add_file_routes(app: web.Application, database: Database, clock: Clock) -> None:
    """Serve stored files on `app`."""

    async def serve(request: web.Request) -> web.StreamResponse:
        """GET /files/{token}: the stored file while its address lives, else 404."""
        token = request.match_info["token"]

        def load() -> StoredFile | None:
            """The live stored file for the token, detached from its session."""
            with database.session(readonly=True) as session:
                stored = live_file(session, token, clock.now())
                if stored is not None:
                    session.expunge(stored)
                return stored

        stored = await asyncio.to_thread(load)
        if stored is None:
            raise web.HTTPNotFound(text="not found or expired")
        headers = {
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": ("inline" if stored.mime_type.startswith("image/") else "attachment")
            + f"; filename*=UTF-8''{quote(stored.filename)}",
        }
        return web.Response(body=stored.content, content_type=stored.mime_type, headers=headers)

    app.router.add_get(FILES_PATH, serve)
