"""A thin JSON client for the Bot API calls the outbox makes most (send, edit, answer a button press).

python-telegram-bot's `Bot` builds a full `Message` from every answer and checks its whole HTTP pool on every
request; measured, that was more than half of the bot's CPU per update. The outbox needs neither: it posts
JSON and only wants to know whether the call went through. Errors are raised as python-telegram-bot's own
exception classes, so the renderer treats both paths alike.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import telegram.error as tg_error

from bot.channels.http import JsonApiClient


class BotApiClient(JsonApiClient):
    """Posts JSON to `{base_url}/{method}` (base_url already ends with the token) on one aiohttp pool.

    `timeout` bounds each call; a call that runs out of time has its connection closed (bot/channels/http.py).
    """

    def __init__(self, base_url: str, *, timeout: float = 60.0, connections: int = 8) -> None:
        super().__init__(timeout=timeout, connections=connections)
        self.base_url = base_url.rstrip("/")

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """The call's `result`, or the python-telegram-bot error matching Telegram's answer."""
        status, data = await self.post_json(method, f"{self.base_url}/{method}", params)
        if isinstance(data, dict) and data.get("ok"):
            return data.get("result")
        if not isinstance(data, dict):
            raise _error(status, f"HTTP {status}", {})
        code = int(data.get("error_code") or status)
        raise _error(code, str(data.get("description") or ""), data.get("parameters") or {})

    def timed_out_error(self, method: str) -> Exception:
        """No answer in time: python-telegram-bot's `TimedOut`."""
        return tg_error.TimedOut(f"{method} timed out; its connection was closed")

    def network_error(self, method: str, error: aiohttp.ClientError) -> Exception:
        """The Bot API could not be reached: python-telegram-bot's `NetworkError` (may pass)."""
        return tg_error.NetworkError(f"{method}: {error}")


def _error(code: int, description: str, parameters: dict[str, Any]) -> tg_error.TelegramError:
    """The exception python-telegram-bot would raise for this answer."""
    message = description.removeprefix("Bad Request: ").removeprefix("Forbidden: ")
    if code == 429 or "retry_after" in parameters:
        return tg_error.RetryAfter(parameters.get("retry_after") or 1)
    if parameters.get("migrate_to_chat_id"):
        return tg_error.ChatMigrated(int(parameters["migrate_to_chat_id"]))
    if code == 403:
        return tg_error.Forbidden(message)
    if code == 401:
        return tg_error.InvalidToken(message)
    if code == 409:
        return tg_error.Conflict(message)
    if code in (400, 404):
        return tg_error.BadRequest(message)
    return tg_error.NetworkError(f"{code}: {description}")  # 5xx and the unexpected: may pass
