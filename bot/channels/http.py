"""What both platforms' HTTP clients share: one aiohttp pool, JSON posted, the answer read, a time-out closing the
connection of the call it gave up.

A call that runs out of time may still be carried out by the platform, so its connection is closed, never
handed back to the pool: the request cannot be answered on a connection reused later, and a server that stops
work on a closed connection drops it (neither platform documents which way it goes; see bot/outbox_sender.py
for the bound). Each platform's client turns a time-out and a network failure into its own error.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp


class JsonApiClient:
    """Posts JSON on one aiohttp pool of `connections` connections; `timeout` bounds each call unless the call
    names its own (connecting, waiting in the pool, sending and reading the answer)."""

    def __init__(self, *, timeout: float, connections: int, headers: dict[str, str] | None = None) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.connections = connections
        self.headers = headers
        self.timed_out = 0  # calls given up for lack of an answer (their connections closed)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        """The pool, opened on first use (and again after a close)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self.timeout, connector=aiohttp.TCPConnector(limit=self.connections), headers=self.headers
            )
        return self._session

    async def post_json(
        self, method: str, url: str, params: dict[str, Any], timeout: float | None = None
    ) -> tuple[int, Any]:
        """The answer's HTTP status and JSON (None when it is not JSON).

        On a time-out (or a cancellation) the connection is closed: aiohttp closes it while the answer's head
        is awaited, and `_read` closes it while the body is read. Raises what `timed_out_error` and
        `network_error` make of a time-out and of a failed connection.
        """
        options: dict[str, Any] = {} if timeout is None else {"timeout": aiohttp.ClientTimeout(total=timeout)}
        try:
            async with self._client().post(url, json=params, **options) as response:
                status, raw = await _read(response)
        except TimeoutError:
            self.timed_out += 1
            raise self.timed_out_error(method) from None
        except aiohttp.ClientError as error:
            raise self.network_error(method, error) from None
        return status, _decoded(raw)

    def timed_out_error(self, method: str) -> Exception:
        """The platform's error for a call given up for lack of an answer."""
        return TimeoutError(f"{method} timed out; its connection was closed")

    def network_error(self, method: str, error: aiohttp.ClientError) -> Exception:
        """The platform's error for a call that could not reach the platform."""
        return ConnectionError(f"{method}: {error}")

    async def close(self) -> None:
        """Close the pool (a later call opens a new one)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


async def _read(response: aiohttp.ClientResponse) -> tuple[int, bytes]:
    """The answer's status and body; the connection is closed if reading fails (a time-out, a cancellation),
    so a half-read answer never goes back to the pool."""
    try:
        return response.status, await response.read()
    except BaseException:
        response.close()
        raise


def _decoded(raw: bytes) -> Any:
    """The body's JSON, or None when it is empty or not JSON."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
