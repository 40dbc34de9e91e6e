"""Helpers the test folders share: a free port, a clock moved by hand, and a fake platform API served on
127.0.0.1 behind a fault injector (answers chosen calls with an error before the fake sees them)."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiohttp import web
from sqlmodel import Session

from bot.clock import SystemClock
from bot.sandbox.fakes.server import FakeBotApi
from storage import activity
from storage.models import Member, TrainingSession, Village


def log_guided(
    session: Session,
    village: Village,
    member: Member,
    day: dt.date,
    *,
    now: dt.datetime,
    bounds: activity.Bounds,
    attendees: int,
    help: list[tuple[str, int]] | None = None,
) -> TrainingSession:
    """A VNeID session of `attendees` people (and the people helped) logged by `member` through the guided flow."""
    logged = {"village": village, "day": day, "member": member, "author": member, "source": "guided"}
    when = {"now": now, "today": day, "bounds": bounds}
    row = activity.record_session(session, topics=["vneid"], attendees=attendees, **logged, **when)
    if help:
        activity.record_help(session, items=help, **logged, **when)
    return row


def free_port() -> int:
    """A TCP port nobody listens on now (for a webhook server the test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ShiftedClock:
    """The real time moved forward by `shift`, which a test may change (a restart "later", a link that expires)."""

    def __init__(self, shift: dt.timedelta = dt.timedelta(0)) -> None:
        """The real time, plus `shift`."""
        self.shift = shift

    def now(self) -> dt.datetime:
        """Now, moved."""
        return SystemClock().now() + self.shift


@dataclass
class Fault:
    """One rule: the next `times` calls of `method` are answered with `status`."""

    method: str
    status: int
    description: str
    retry_after: float | None
    times: int
    parameters: dict[str, Any] | None = None  # the answer's other `parameters` (Telegram's migrate_to_chat_id)


@dataclass
class Faults:
    """Answers chosen Bot API calls with an error before the fake sees them; logs every call's time."""

    rules: list[Fault] = field(default_factory=list)
    log: list[tuple[str, float, int]] = field(default_factory=list)  # (method, monotonic time, status)

    def add(
        self,
        method: str,
        status: int,
        description: str = "",
        *,
        retry_after: float | None = None,
        times: int = 1,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with `status` (and these `parameters`)."""
        self.rules.append(Fault(method, status, description or f"Error {status}", retry_after, times, parameters))

    def clear(self) -> None:
        """No more planned errors."""
        self.rules.clear()

    def times_of(self, method: str, status: int | None = None) -> list[float]:
        """When `method` was called (and answered `status`, if given)."""
        return [at for name, at, code in self.log if name == method and (status is None or code == status)]

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Answer a planned error, or pass the call on; log it either way."""
        method = request.match_info.get("method", "")
        for rule in self.rules:
            if rule.times > 0 and rule.method.lower() == method.lower():
                rule.times -= 1
                body: dict[str, Any] = {"ok": False, "error_code": rule.status, "description": rule.description}
                if rule.retry_after is not None or rule.parameters:
                    body["parameters"] = {**(rule.parameters or {})}
                    if rule.retry_after is not None:
                        body["parameters"]["retry_after"] = rule.retry_after
                self.log.append((method, time.monotonic(), rule.status))
                return web.json_response(body, status=rule.status)
        response = await handler(request)
        self.log.append((method, time.monotonic(), response.status))
        return response


FakeT = TypeVar("FakeT", bound=FakeBotApi)


@dataclass
class ServedApi(Generic[FakeT]):
    """A fake platform API being served, its fault injector, and where it is reachable."""

    fake: FakeT
    faults: Faults
    url: str

    @property
    def base_url(self) -> str:
        """The API base the bot is configured with."""
        return f"{self.url}/bot"


@asynccontextmanager
async def served(fake: FakeT, client_max_size: int = 1024**2) -> AsyncIterator[ServedApi[FakeT]]:
    """Serve `fake` on 127.0.0.1 behind a fault injector (its ``url`` set); stopped and closed at the end."""
    faults = Faults()
    app = web.Application(middlewares=[faults.middleware], client_max_size=client_max_size)
    fake.add_route(app)
    runner = web.AppRunner(app, shutdown_timeout=1.0, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}"
    yield ServedApi(fake, faults, fake.url)
    await runner.cleanup()
    await fake.close()
