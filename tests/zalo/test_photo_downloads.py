"""Fetching a Zalo photo by its URL (bot/channels/photos.py): a picture comes back with the type its bytes are;
only the hosts allowed are asked (each a host or a name under it), after a redirect too; redirects are followed
only to http(s); an answer over the cap is given up while it is read, with or without a Content-Length; what is
not an image (by its header or by its bytes) is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.photos import ZALO_PHOTO_HOSTS, PhotoDownloads, host_allowed, image_type

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
CAP = 1024
ASKED = web.AppKey("asked", list[str])  # the paths the server was asked for
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def streamed(request: web.Request) -> web.StreamResponse:
    """An image/png answer without Content-Length, longer than the cap."""
    response = web.StreamResponse(headers={"Content-Type": "image/png"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    await response.write(PNG)
    for _ in range(10):
        await response.write(b"\0" * 512)
    await response.write_eof()
    return response


def answer(status: int = 200, body: bytes = b"", content_type: str = "image/png", **headers: str) -> Handler:
    """A handler giving one fixed answer."""

    async def handle(_request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type=content_type, headers=headers)

    return handle


def redirect(to: str) -> Handler:
    return answer(302, Location=to)


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    asked: list[str] = []

    @web.middleware
    async def note(request: web.Request, handler: Handler) -> web.StreamResponse:
        asked.append(request.path)
        return await handler(request)

    app = web.Application(middlewares=[note])
    app[ASKED] = asked
    app.router.add_get("/png", answer(body=PNG))
    app.router.add_get("/claims-gif", answer(body=PNG, content_type="image/gif"))
    app.router.add_get("/html", answer(body=b"<html></html>", content_type="text/html"))
    app.router.add_get("/fake", answer(body=b"<svg/>", content_type="image/svg+xml"))
    app.router.add_get("/big", answer(body=PNG + b"\0" * CAP))
    app.router.add_get("/streamed", streamed)
    app.router.add_get("/gone", answer(404, PNG))
    app.router.add_get("/to-png", redirect("/png"))
    app.router.add_get("/to-file", redirect("file:///etc/passwd"))
    app.router.add_get("/loop", redirect("/loop"))
    app.router.add_get("/to-elsewhere", redirect("http://localhost/png"))  # same server, a host not allowed
    async with TestServer(app, host="127.0.0.1") as served:
        yield served


async def test_a_picture_and_what_is_refused(server: TestServer) -> None:
    downloads = PhotoDownloads(["127.0.0.1"], max_bytes=CAP)
    try:
        url = str(server.make_url(""))
        assert await downloads.fetch(f"{url}/png") == (PNG, "image/png")
        assert server.app[ASKED] == ["/png"]
        assert await downloads.fetch(f"{url}/to-png") == (PNG, "image/png")
        assert await downloads.fetch(f"{url}/claims-gif") == (PNG, "image/png")  # served as what its bytes are
        for refused in ("html", "fake", "big", "streamed", "gone", "to-file", "loop", "to-elsewhere"):
            assert await downloads.fetch(f"{url}/{refused}") is None, refused
        assert await downloads.fetch("ftp://127.0.0.1/photo.png") is None
        assert await downloads.fetch("not a url") is None
    finally:
        await downloads.close()


async def test_a_host_not_allowed_is_never_asked(server: TestServer) -> None:
    """The server answers a picture, but it is not on a host the platform serves files from (here, Zalo's own
    only): nothing is fetched, by its address or by its name."""
    downloads = PhotoDownloads(ZALO_PHOTO_HOSTS, max_bytes=CAP)
    try:
        for host in ("127.0.0.1", "localhost"):
            url = f"http://{host}:{server.port}/png"
            assert await downloads.fetch(url) is None, url
    finally:
        await downloads.close()
    assert server.app[ASKED] == []  # the server was never asked


def test_hosts_allowed_are_the_host_or_a_name_under_it() -> None:
    allowed = frozenset({"zdn.vn", "photo.example.vn"})
    for host in (
        "zdn.vn",
        "f21-zpc.zdn.vn",
        "S120-AVA-TALK.ZDN.VN",
        "zdn.vn.",
        "photo.example.vn",
        "a.photo.example.vn",
    ):
        assert host_allowed(host, allowed), host
    for host in ("evilzdn.vn", "zdn.vn.evil.com", "example.vn", "127.0.0.1", "localhost", "", None):
        assert not host_allowed(host, allowed), host


def test_image_types_by_their_bytes() -> None:
    assert image_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert image_type(PNG) == "image/png"
    assert image_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert image_type(b"GIF89a...") == "image/gif"
    assert image_type(b"<svg xmlns='http://www.w3.org/2000/svg'/>") is None
    assert image_type(b"") is None
