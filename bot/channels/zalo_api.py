"""The Zalo Bot Platform HTTP API: a thin JSON client, its error, and the error turned into the sender's.

The API looks like Telegram's (`{base}/bot<TOKEN>/<method>`, POST JSON, answers
`{ok, result, description, error_code}`). 429 (quota) carries no retry time: the sender pauses the channel
for RETRY_AFTER_429 seconds.
"""

from __future__ import annotations

import contextlib
from typing import Any

import aiohttp

from bot.channels.base import DeliveryError, PermanentError, RetryAfter, SendTimedOut, TransientError, Unreachable
from bot.channels.http import JsonApiClient

RETRY_AFTER_429 = 5.0  # Zalo documents no retry time for its quota errors


class ZaloApiError(Exception):
    """An error answer (or no answer) of the Zalo Bot API; `code` is None when the network failed."""

    def __init__(self, code: int | None, description: str, *, timed_out: bool = False) -> None:
        super().__init__(f"{code or 'network'}: {description}")
        self.code = code
        self.description = description
        self.timed_out = timed_out  # no answer in time: the call may still land


def map_error(error: ZaloApiError, quota_pause: float = RETRY_AFTER_429) -> DeliveryError:
    """The outbox sender's view of a Zalo error."""
    code = error.code
    if error.timed_out:
        return SendTimedOut(str(error))
    if code == 429:
        return RetryAfter(quota_pause, f"Zalo quota exceeded: {error.description}")
    if code == 403:
        return Unreachable(error.description or "forbidden")
    if code is None or code >= 500 or code in (401, 408, 409):
        # network, time-outs, server errors; 401 is our token (a config fault an operator fixes): keep the item
        return TransientError(str(error))
    if 400 <= code < 500:
        return PermanentError(str(error))
    return TransientError(str(error))


def api_url(base_url: str, token: str, method: str) -> str:
    """`{base}/bot<TOKEN>/<method>`; the base may end with `/bot` (like Telegram's) or not."""
    base = base_url.rstrip("/")
    if not base.endswith("/bot"):
        base += "/bot"
    return f"{base}{token}/{method}"


class ZaloClient(JsonApiClient):
    """A thin async client of the Zalo Bot API over one aiohttp pool."""

    def __init__(self, token: str, base_url: str, *, request_timeout: float = 10.0, connection_limit: int = 16) -> None:
        super().__init__(timeout=request_timeout, connections=connection_limit, headers={"User-Agent": "bdhvs-bot"})
        self.token = token
        self.base_url = base_url
        self.request_timeout = request_timeout

    async def call(self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        """POST one method; the `result` on success, a ZaloApiError otherwise."""
        url = api_url(self.base_url, self.token, method)
        status, body = await self.post_json(method, url, params or {}, timeout or self.request_timeout)
        if isinstance(body, dict) and body.get("ok") is True and status < 400:
            return body.get("result")
        code: int | None = status if status >= 400 else None
        description = f"HTTP {status}"
        if isinstance(body, dict):
            with contextlib.suppress(TypeError, ValueError):
                code = int(body.get("error_code") or code or 0) or code
            description = str(body.get("description") or description)
        raise ZaloApiError(500 if code is None else code, description)  # neither ok nor an error: a server fault

    def timed_out_error(self, method: str) -> Exception:
        """No answer in time: the call may still land."""
        return ZaloApiError(None, f"{method} timed out; its connection was closed", timed_out=True)

    def network_error(self, method: str, error: aiohttp.ClientError) -> Exception:
        """The API could not be reached."""
        return ZaloApiError(None, f"{method}: {type(error).__name__}: {error}")
