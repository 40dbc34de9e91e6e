"""Lanes: updates of different chats handled side by side, each chat's in the order they came.

On PostgreSQL an update's transaction spends most of its time waiting for the database (a dozen round trips,
a few milliseconds of Python), so one update thread leaves both the database and the interpreter idle most of
the time. Each chat is given a lane by a hash of (channel, chat id): a lane is one thread that handles its
updates one at a time, in the order they were handed to it, and different lanes run at once. A chat's order
therefore holds within the instance; across instances its advisory lock (bot/engine.py) already serializes it.
On SQLite there is one writer, and one lane: the update thread as it was.

`UpdateLanes` is the executor the channels hand updates to (in place of one update thread); the engine in its
own process (bot/engine_process.py) runs the same lanes on its side, so a polled batch's chats go side by side
there too.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from bot.messages import Incoming, chat_hash

P = ParamSpec("P")
T = TypeVar("T")


def lanes_for(is_sqlite: bool, lanes: int) -> int:
    """How many lanes a database takes: one on SQLite (one writer), `lanes` (the `engine.lanes` setting) on
    PostgreSQL."""
    return 1 if is_sqlite else max(1, lanes)


def lane_of(incoming: Incoming, lanes: int) -> int:
    """The lane of an update's chat: the same for every update of the chat."""
    if lanes <= 1:
        return 0
    return chat_hash(incoming.channel, incoming.chat_id) % lanes


class UpdateLanes(Executor):
    """An executor of one thread per lane: a call whose arguments hold an `Incoming` runs on its chat's lane, in
    the order submitted; any other call (a polled batch, which the engine spreads itself) on the first lane."""

    def __init__(self, lanes: int = 1, thread_name_prefix: str = "bdhvs-process") -> None:
        self.lanes = max(1, lanes)
        self._threads = [
            ThreadPoolExecutor(1, thread_name_prefix=f"{thread_name_prefix}-{lane}") for lane in range(self.lanes)
        ]

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run `fn(*args, **kwargs)` on the lane of the first `Incoming` among `args` (else the first lane)."""
        incoming = next((arg for arg in args if isinstance(arg, Incoming)), None)
        lane = lane_of(incoming, self.lanes) if incoming is not None else 0
        return self._threads[lane].submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Finish (or cancel) what was submitted and end the lanes' threads."""
        for thread in self._threads:
            thread.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __repr__(self) -> str:
        return f"UpdateLanes({self.lanes})"
