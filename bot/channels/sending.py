"""What both renderers share on the send side: a split message resumed at its first part not accepted, the
platform's error handed to the sender, and database reads off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

from bot.channels.base import DeliveryError, RetryAfter, TransientError

T = TypeVar("T")

ApiCall = Callable[[str, dict[str, Any]], Awaitable[Any]]


class SplitSends:
    """Parts of a split message already accepted, by outbox item: a retry of the item starts at the first part
    not accepted, so a long message never shows its first parts again after its later ones."""

    def __init__(self) -> None:
        self._accepted: dict[int, int] = {}

    async def send(self, item_id: int | None, calls: Sequence[tuple[str, dict[str, Any]]], call: ApiCall) -> None:
        """Make the calls in order, skipping those a failed attempt of the same item already made."""
        done = self._accepted.get(item_id, 0) if item_id is not None else 0
        for index, (method, params) in enumerate(calls):
            if index < done:
                continue
            await call(method, params)
            if item_id is not None:
                self._accepted[item_id] = index + 1
        if item_id is not None:
            self._accepted.pop(item_id, None)

    def failed(self, item_id: int | None, error: DeliveryError) -> DeliveryError:
        """The sender's error for a failed item; an item that will not be retried is forgotten."""
        if item_id is not None and not isinstance(error, (RetryAfter, TransientError)):
            self._accepted.pop(item_id, None)  # not coming back
        return error


async def in_executor(executor: Executor | None, function: Callable[..., T], *args: Any) -> T:
    """Run a blocking function (a database read) on `executor` (the default one when None)."""
    return await asyncio.get_running_loop().run_in_executor(executor, function, *args)
