"""The aiohttp web server the bot runs: health and readiness, webhooks, metrics, sandbox pages and its fake Bot API.

`GET /healthz` and `GET /readyz` are public, so they say only up or down: no queue depths, modes or versions for
a stranger to read. `/healthz` answers 200 "ok" while the process serves (liveness: restart it when this fails);
`/readyz` answers 200 "ready" when the database answers a trivial query within `READY_TIMEOUT`, 503
"unavailable" otherwise (readiness: send it no traffic meanwhile); with several instances on one database, a
second line names the leader roles this instance holds (`roles: polling:telegram:…, scheduler, sender`: no
more than which instance does what). The check runs on a thread of its own, one
at a time: a database that hangs holds that one thread, never one per probe.

Each part adds its routes (`add_routes(web_app)`) before the server starts; the server then binds
`web_host:web_port` (port 0 lets the system choose one, for tests) and tells its actual address.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

ReadyCheck = Callable[[], None]  # blocking: returns when the database answers, raises otherwise
Roles = Callable[[], list[str]]  # the leader roles this instance holds (bot/leadership.py)
READY_TIMEOUT = 2.0  # seconds: a database that does not answer by then is as good as down


class WebServer:
    """One aiohttp application and its runner."""

    def __init__(
        self,
        host: str,
        port: int,
        ready: ReadyCheck | None = None,
        shutdown_timeout: float = 5.0,
        roles: Roles | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.ready = ready
        self.roles = roles
        self.shutdown_timeout = shutdown_timeout
        self.app = web.Application(client_max_size=20 * 1024**2)
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/readyz", self._readyz)
        self._ready_executor = ThreadPoolExecutor(1, thread_name_prefix="bdhvs-ready")
        self._ready_check: asyncio.Future[None] | None = None
        self._runner: web.AppRunner | None = None
        self._bound: tuple[str, int] | None = None

    def add_routes(self, register: Callable[[web.Application], object]) -> None:
        """Let a part add its routes; only before `start()` (aiohttp freezes the router then)."""
        if self._runner is not None:
            raise RuntimeError("routes must be added before the web server starts")
        register(self.app)

    async def start(self) -> str:
        """Bind and serve; returns the URL the server is reachable at."""
        # handler_cancellation: a long poll whose client went away (our own stopped poller, in the
        # sandbox) ends at once instead of holding up shutdown.
        self._runner = web.AppRunner(
            self.app, access_log=None, shutdown_timeout=self.shutdown_timeout, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        address = self._runner.addresses[0]
        self._bound = (address[0], address[1])
        log.info("web server listening on %s", self.url)
        return self.url

    async def stop(self) -> None:
        """Stop serving and release the port."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._ready_executor.shutdown(wait=False)

    @property
    def url(self) -> str:
        """The base URL this process can reach the server at (a wildcard bind is reached via loopback)."""
        if self._bound is None:
            raise RuntimeError("the web server has not started")
        host, port = self._bound
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    async def _healthz(self, request: web.Request) -> web.Response:
        """GET /healthz: 200 "ok" while the process serves; nothing more."""
        return web.Response(text="ok")

    async def _readyz(self, request: web.Request) -> web.Response:
        """GET /readyz: 200 "ready" when the database answers in time (and the roles held), 503 "unavailable"."""
        if self.ready is not None:
            if self._ready_check is None or self._ready_check.done():
                loop = asyncio.get_running_loop()
                self._ready_check = asyncio.ensure_future(loop.run_in_executor(self._ready_executor, self.ready))
                self._ready_check.add_done_callback(_retrieved)
            try:
                await asyncio.wait_for(asyncio.shield(self._ready_check), READY_TIMEOUT)
            except Exception as error:  # the database is down or stuck: say so, do not crash the server
                log.warning("readiness check failed: %s", type(error).__name__)
                return web.Response(status=503, text="unavailable")
        if self.roles is not None:
            return web.Response(text=f"ready\nroles: {', '.join(self.roles()) or '-'}")
        return web.Response(text="ready")


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Take a check's error even when no request waited for it any more (it was logged by the one that did)."""
    if not future.cancelled():
        future.exception()
