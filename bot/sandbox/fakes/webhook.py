"""Handing a fake platform's updates to the bot's webhook: one at a time, in order, each retried a bounded
number of times with a doubling delay, as Telegram and Zalo do."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Protocol

import aiohttp

from .chats import Pending
from .waiting import Notifier

log = logging.getLogger(__name__)


class WebhookOwner(Protocol):
    """What the worker needs of its fake: the webhook set, the pending updates, and the platform's ways."""

    fake_name: str
    notifier: Notifier
    webhook_max_attempts: int
    webhook_retry_delay: float
    webhook_timeout: float
    _webhook: dict[str, Any] | None
    _pending: list[Pending]

    def _update_key(self, update: dict[str, Any]) -> Any:
        """The id the platform's update is known by."""

    def _webhook_headers(self, webhook: dict[str, Any]) -> dict[str, str]:
        """The HTTP headers of a delivery (the secret token's header)."""

    def _webhook_error_text(self, exc: BaseException) -> str:
        """How the platform words a delivery that found no answer."""

    def _webhook_failed(self, error: str) -> None:
        """One attempt failed with `error`."""

    async def _webhook_accepted(self, key: Any, body: bytes) -> None:
        """The bot answered 2xx with `body`."""

    def _webhook_gave_up(self, key: Any) -> None:
        """Every attempt failed: the update is given up."""


class WebhookWorker:
    """The task that delivers one fake's pending updates to its webhook while one is set."""

    def __init__(self, owner: WebhookOwner, attempt_key: str) -> None:
        """A worker for `owner`; each attempt is recorded as ``{attempt_key: id, attempt, status | error}``."""
        self.owner = owner
        self.attempt_key = attempt_key
        self.attempts: list[dict[str, Any]] = []
        self.task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def ensure(self) -> None:
        """Start the worker if a webhook is set and it is not running."""
        if self.owner._webhook is None or (self.task is not None and not self.task.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("a webhook is set: call the user-side methods from the event loop") from None
        self.task = loop.create_task(self._run())

    def cancel(self) -> None:
        """Stop delivering (the webhook was deleted); the current call may be the worker's own."""
        task, self.task = self.task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def detach(self) -> asyncio.Task[None] | None:
        """The running task, forgotten here, for the fake's shutdown to cancel and await."""
        task, self.task = self.task, None
        return task

    async def close_session(self) -> None:
        """Close the HTTP session the deliveries used."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def _run(self) -> None:
        """Deliver pending updates one at a time, in order, retrying each a bounded number of times."""
        owner = self.owner
        while owner._webhook is not None:
            if not owner._pending:
                await owner.notifier.wait(lambda: bool(owner._pending) or owner._webhook is None, None)
                continue
            pending = owner._pending[0]
            await self._deliver(pending.update)
            if owner._pending and owner._pending[0] is pending:
                owner._pending.pop(0)
            await owner.notifier.notify()

    async def _deliver(self, update: dict[str, Any]) -> bool:
        """POST one update until the bot answers 2xx or the attempts run out."""
        owner = self.owner
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=owner.webhook_timeout))
        key = owner._update_key(update)
        for attempt in range(1, owner.webhook_max_attempts + 1):
            webhook = owner._webhook
            if webhook is None:
                return False
            if await self._attempt(self._session, webhook, update, key, attempt):
                return True
            await owner.notifier.notify()
            if attempt < owner.webhook_max_attempts:
                await asyncio.sleep(owner.webhook_retry_delay * 2 ** (attempt - 1))
        log.warning("%s: gave up delivering update %s to the webhook", owner.fake_name, key)
        owner._webhook_gave_up(key)
        return False

    async def _attempt(
        self, session: aiohttp.ClientSession, webhook: dict[str, Any], update: dict[str, Any], key: Any, attempt: int
    ) -> bool:
        """One POST of the update; True when the bot accepted it."""
        owner = self.owner
        headers = owner._webhook_headers(webhook)
        try:
            async with session.post(webhook["url"], data=json.dumps(update), headers=headers) as response:
                body = await response.read()
                status = response.status
                reason = response.reason or ""
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            error = owner._webhook_error_text(exc)
            self.attempts.append({self.attempt_key: key, "attempt": attempt, "error": error})
            owner._webhook_failed(error)
            return False
        self.attempts.append({self.attempt_key: key, "attempt": attempt, "status": status})
        if 200 <= status < 300:
            await owner._webhook_accepted(key, body)
            return True
        owner._webhook_failed(f"Wrong response from the webhook: {status} {reason}".strip())
        return False
