"""A thin JSON client for the Bot API calls the outbox makes most (send, edit, answer a button press).

python-telegram-bot's `Bot` builds a full `Message` from every answer and checks its whole HTTP pool on every
request; measured, that was more than half of the bot's CPU per update. The outbox needs neither: it posts
JSON and only wants to know whether the call went through. Errors are raised as python-telegram-bot's own
exception classes, so the renderer treats both paths alike.
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import aiohttp
import telegram.error as tg_error


class BotApiClient:
    """Posts JSON to `{base_url}/{method}` (base_url already ends with the token) on one aiohttp pool.

    `timeout` bounds each call (connecting, waiting in the pool, sending and reading the answer). A call that
    runs out of time may still be carried out by the platform, so its connection is closed, never handed back
    to the pool: the request cannot be answered on a connection reused later, and a server that stops work on
    a closed connection drops it (Telegram documents neither way; see bot/outbox_sender.py for the bound).
    """

    def __init__(self, base_url: str, *, timeout: float = 60.0, connections: int = 8) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.connections = connections
        self.timed_out = 0  # calls given up for lack of an answer (their connections closed)
        self._session: Optional[aiohttp.ClientSession] = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self.timeout, connector=aiohttp.TCPConnector(limit=self.connections))
        return self._session

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """The call's `result`, or the python-telegram-bot error matching Telegram's answer.

        On a time-out (or a cancellation) the connection is closed: aiohttp closes it while the answer's
        head is awaited, and `_read` closes it while the body is read.
        """
        try:
            async with self._client().post(f"{self.base_url}/{method}", json=params) as response:
                status, data = await _read(response)
        except asyncio.TimeoutError:
            self.timed_out += 1
            raise tg_error.TimedOut(f"{method} timed out; its connection was closed") from None
        except aiohttp.ClientError as error:
            raise tg_error.NetworkError(f"{method}: {error}") from None
        if isinstance(data, dict) and data.get("ok"):
            return data.get("result")
        code = int(data.get("error_code") or status) if isinstance(data, dict) else status
        description = str(data.get("description") or "") if isinstance(data, dict) else f"HTTP {status}"
        parameters = (data.get("parameters") or {}) if isinstance(data, dict) else {}
        raise _error(code, description, parameters)

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


async def _read(response: aiohttp.ClientResponse) -> tuple[int, Any]:
    """The answer's status and JSON (None when it is not JSON); the connection is closed if reading fails,
    so a half-read answer never goes back to the pool."""
    try:
        try:
            return response.status, await response.json(content_type=None)
        except ValueError:
            return response.status, None
    except BaseException:
        response.close()
        raise


def _error(code: int, description: str, parameters: dict[str, Any]) -> tg_error.TelegramError:
    """The exception python-telegram-bot would raise for this answer."""
    message = description.removeprefix("Bad Request: ").removeprefix("Forbidden: ")
    if code == 429 or "retry_after" in parameters:
        return tg_error.RetryAfter(parameters.get("retry_after") or 1)  # type: ignore[arg-type]
    if code == 403:
        return tg_error.Forbidden(message)
    if code == 401:
        return tg_error.InvalidToken(message)
    if code == 409:
        return tg_error.Conflict(message)
    if code in (400, 404):
        return tg_error.BadRequest(message)
    return tg_error.NetworkError(f"{code}: {description}")  # 5xx and the unexpected: may pass
