"""Waking and waiting on a fake platform's state: what ``wait_for`` and the long polls rest on.

Every change (a person writes, the bot calls the API) notifies one condition; a waiter re-checks its predicate
then. Everything runs on the caller's event loop; the condition is made anew when the loop changes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from .chats import ChatLog


class Notifier:
    """One condition that every change of a fake notifies, and the fake's own background tasks."""

    def __init__(self) -> None:
        """No condition yet: it is made on first use, on the loop that uses it."""
        self._cond: asyncio.Condition | None = None
        self._cond_loop: asyncio.AbstractEventLoop | None = None
        self.background: set[asyncio.Task[Any]] = set()
        self.wake_generation = 0  # bumped on shutdown: every long poll returns

    def condition(self) -> asyncio.Condition:
        """The condition of the running loop."""
        loop = asyncio.get_running_loop()
        if self._cond is None or self._cond_loop is not loop:
            self._cond = asyncio.Condition()
            self._cond_loop = loop
        return self._cond

    async def notify(self) -> None:
        """Make every waiter re-check its predicate."""
        cond = self.condition()
        async with cond:
            cond.notify_all()

    def changed(self) -> None:
        """Wake the waiters from synchronous code (the user-side methods)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop, so nobody can be waiting
        self.spawn(self.notify(), loop)

    def spawn(self, coro: Awaitable[Any], loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Task[Any]:
        """A task of the fake's own, cancelled by `stop`."""
        loop = loop or asyncio.get_running_loop()
        task: asyncio.Task[Any] = loop.create_task(coro)  # type: ignore[arg-type]  # callers pass coroutines
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    async def wait(self, predicate: Callable[[], Any], timeout: float | None) -> Any:
        """Wait until predicate() is truthy; return its value, or raise TimeoutError."""
        cond = self.condition()
        async with asyncio.timeout(timeout):
            async with cond:
                return await cond.wait_for(predicate)

    async def wake(self) -> None:
        """Make every pending long poll answer now."""
        self.wake_generation += 1
        await self.notify()

    async def stop(self, *more: asyncio.Task[Any] | None) -> None:
        """Cancel the fake's background tasks (and `more`) and wait until they are gone."""
        tasks = [t for t in list(self.background) if not t.done()]
        tasks += [t for t in more if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            # a cancelled task may end with its own error: the fake is stopping, nothing is left to tell
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class WaitingHelpers(ChatLog):
    """The waits a test (or the sandbox page) uses on a fake's chats, with a report when one times out."""

    fake_name = "Fake"

    def __init__(self) -> None:
        """A fake with no chat and nobody waiting."""
        super().__init__()
        self.notifier = Notifier()
        self.chat_waiters = 0  # long polls parked in wait_for_chat_change (the web page's)

    async def _notify(self) -> None:
        """Make every waiter re-check its predicate."""
        await self.notifier.notify()

    def _changed(self) -> None:
        """Wake the waiters from synchronous code."""
        self.notifier.changed()

    async def wake_waiters(self) -> None:
        """Make every pending long poll (getUpdates, the page's chat poll) answer now."""
        await self.notifier.wake()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, *, what: str | None = None) -> Any:
        """Wait until predicate() is truthy, re-checked on every API call and user action.

        Returns the predicate's value. On timeout raises TimeoutError listing the latest bot messages.
        """
        try:
            return await self.notifier.wait(predicate, timeout)
        except TimeoutError:
            waited_for = what or str(getattr(predicate, "__name__", "predicate"))
            raise TimeoutError(self._timeout_report(waited_for, timeout)) from None

    async def wait_for_bot_messages(self, chat_id: Any, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until the chat holds at least ``count`` bot messages in total; return them all."""
        await self.wait_for(
            lambda: self.bot_message_count(chat_id) >= count, timeout, what=f"{count} bot message(s) in chat {chat_id}"
        )
        return self.bot_messages(chat_id)

    async def wait_for_chat_change(self, chat_id: Any, version: int, timeout: float) -> int:
        """Long-poll helper: return the chat's version as soon as it differs from ``version`` (or at timeout)."""
        wake = self.notifier.wake_generation
        self.chat_waiters += 1
        await self._notify()  # lets a test wait until the page's poll is parked
        try:
            await self.notifier.wait(
                lambda: self.chat_version(chat_id) != version or self.notifier.wake_generation != wake, timeout
            )
        except TimeoutError:
            pass
        finally:
            self.chat_waiters -= 1
        return self.chat_version(chat_id)

    def _timeout_report(self, what: str, timeout: float) -> str:
        """What a timed-out wait tells: the latest bot messages, pending updates, last calls and error."""
        lines = [f"{self.fake_name}: timed out after {timeout:g}s waiting for {what}."]
        lines += self._report_chats()
        lines += self._report_state()
        return "\n".join(lines)

    def _report_chats(self) -> list[str]:
        """One line for each of the latest bot messages of every chat."""
        return []

    def _report_state(self) -> list[str]:
        """Lines on the updates and calls (the server adds them)."""
        return []
