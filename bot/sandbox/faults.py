"""Platform faults a test can make the fake Bot APIs (Telegram, Zalo) show: error answers and held calls.

* `fail_next(method, status, ...)`: the next calls of a method are answered with an error (429 with
  `retry_after`, 5xx, ...), before the fake carries them out: nothing reaches the chat.
* `hold_next(method, seconds, ...)`: the next calls are read in full and then held, as a slow platform does,
  before they are carried out. What happens when the client gives up and closes its connection meanwhile is the
  question a sender's retry depends on, and the real platforms do not document it, so both answers are modelled:
  - `lands_if_disconnected=False` (the default): after the hold the fake looks whether the client is still
    connected, and drops the call if it is not (a server that stops work on a closed connection; aiohttp with
    handler cancellation, a proxy that aborts the upstream call);
  - `lands_if_disconnected=True`, the worst case: the call is carried out when the hold ends whatever the client
    did, as a server does that has read the whole request and finishes what it started.
  Either way a held call the client still waits for is answered normally.

Every held call is recorded in `held` with its outcome ("landed", "dropped"), so a test can count what a closed
connection prevented and what it could not. `after_carried_out(method, params)`, when set, is called once a call
was carried out and before its answer goes back (a test kills the bot there: sent, not yet marked).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Spawn = Callable[[Awaitable[Any]], "asyncio.Task[Any]"]


@dataclass
class Fault:
    """One rule: the next `times` calls of `method` fail with `status`, or are held `hold` seconds."""

    method: str  # lower case: Bot API method names are case-insensitive
    times: int
    status: int | None = None
    description: str = ""
    retry_after: float | None = None
    hold: float = 0.0
    lands_if_disconnected: bool = False


@dataclass
class HeldCall:
    """A call the fake held: what it was, and whether it reached the chat."""

    method: str
    params: dict[str, Any]
    outcome: str = "held"  # "landed" or "dropped" once the hold ended
    client_connected: bool | None = None  # at the end of the hold
    started: float = 0.0
    ended: float = 0.0


@dataclass
class PlatformFaults:
    """The fault plan of one fake platform; `take(method)` is called for every API call."""

    rules: list[Fault] = field(default_factory=list)
    held: list[HeldCall] = field(default_factory=list)
    injected: list[tuple[str, int]] = field(default_factory=list)  # (method, status) of every error answered
    after_carried_out: Callable[[str, dict[str, Any]], None] | None = None

    def fail_next(
        self, method: str, status: int, *, times: int = 1, description: str = "", retry_after: float | None = None
    ) -> None:
        """Answer the next `times` calls of `method` with `status` (and `retry_after` for a 429)."""
        text = description or (
            f"Too Many Requests: retry after {retry_after:g}" if retry_after is not None else f"Error {status}"
        )
        self.rules.append(Fault(method.lower(), times, status=status, description=text, retry_after=retry_after))

    def hold_next(self, method: str, seconds: float, *, times: int = 1, lands_if_disconnected: bool = False) -> None:
        """Hold the next `times` calls of `method` for `seconds` before carrying them out (see the module doc)."""
        self.rules.append(Fault(method.lower(), times, hold=seconds, lands_if_disconnected=lands_if_disconnected))

    def clear(self) -> None:
        """No more faults (those being held still finish)."""
        self.rules.clear()

    def take(self, method: str) -> Fault | None:
        """The fault for this call of `method`, if one is planned (it is used up)."""
        for rule in self.rules:
            if rule.times > 0 and rule.method == method.lower():
                rule.times -= 1
                if rule.status is not None:
                    self.injected.append((method, rule.status))
                return rule
        return None

    def carried_out(self, method: str, params: dict[str, Any]) -> None:
        """The fake carried a call out (it reached the chat); its answer is about to go back."""
        if self.after_carried_out is not None:
            self.after_carried_out(method, params)

    def outcomes(self, outcome: str) -> list[HeldCall]:
        """The held calls that ended with `outcome` ("landed", "dropped")."""
        return [call for call in self.held if call.outcome == outcome]

    async def hold(
        self,
        request: web.Request,
        fault: Fault,
        method: str,
        params: dict[str, Any],
        carry_out: Callable[[], Awaitable[web.Response]],
        spawn: Spawn,
        notify: Callable[[], Awaitable[None]],
    ) -> web.Response:
        """Hold the call, then carry it out unless the client went away and that stops the work.

        The work runs in a task of the fake's own, so a server that cancels the request's handler when the
        client disconnects (aiohttp's `handler_cancellation`) still gets to decide, as the model says.
        """
        call = HeldCall(method, dict(params), started=time.monotonic())
        self.held.append(call)

        async def finish() -> web.Response:
            """Wait out the hold, then carry the call out or drop it (see the module doc)."""
            await asyncio.sleep(fault.hold)
            transport = request.transport
            call.client_connected = transport is not None and not transport.is_closing()
            call.ended = time.monotonic()
            if not call.client_connected and not fault.lands_if_disconnected:
                call.outcome = "dropped"
                await notify()  # a test may be waiting for the hold to end
                return web.Response(status=499, text="client closed the connection")
            call.outcome = "landed"
            return await carry_out()

        return await asyncio.shield(spawn(finish()))
