"""Marking sent outbox items on a thread of their own, as soon as the platform accepted them.

Successful sends are marked `sent` at once, in small transactions (what succeeds while one is being written
goes in the next); neither the event loop nor a scan of the outbox is on the way, so a crash between the
platform's answer and the mark has only this thread's wake-up and one short commit to fall into.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from queue import Empty, SimpleQueue

log = logging.getLogger(__name__)


class SentMarker:
    """Marks sent items on a thread of its own as soon as they are handed over; whatever waits meanwhile goes in
    the same small transaction."""

    def __init__(
        self,
        mark: Callable[[list[int]], None],
        marked: Callable[[list[int], list[float]], None],
        *,
        batch_size: int = 50,
        gather: float = 0.0,
    ) -> None:
        self._mark = mark  # writes the marks (one transaction)
        self._marked = marked  # told, on this thread, which ids were marked and how long each waited
        self.batch_size = max(1, batch_size)
        self.gather = gather  # > 0: wait this long for a batch to fill (throughput over the window)
        self._queue: SimpleQueue[tuple[int, float] | None] = SimpleQueue()
        self._stop_requested = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-mark", daemon=True)

    def start(self) -> None:
        """Start the marking thread."""
        self._thread.start()

    def put(self, item_id: int, answered_at: float) -> None:
        """An item the platform accepted at `answered_at` (time.monotonic()): mark it now."""
        self._queue.put((item_id, answered_at))

    def stop(self) -> None:
        """Mark what was handed over, then end the thread (blocking: run it off the event loop)."""
        self._stop_requested.set()
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        """Take what waits (up to a batch) and mark it, until stopped."""
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            if self.gather > 0:
                time.sleep(self.gather)
            batch = [first]
            while len(batch) < self.batch_size:
                try:
                    following = self._queue.get_nowait()
                except Empty:
                    break
                if following is None:
                    stopping = True
                    break
                batch.append(following)
            self._write(batch)

    def _write(self, batch: list[tuple[int, float]]) -> None:
        """One transaction; on a database error try again each second (when stopping, three times at most:
        the items stay pending and are sent again after restart)."""
        ids = [item_id for item_id, _ in batch]
        for attempt in itertools.count(1):
            try:
                self._mark(ids)
                break
            except Exception:  # the thread must not die: any database failure is logged and tried again
                log.exception("could not mark %d outbox items sent (attempt %d)", len(ids), attempt)
                if self._stop_requested.is_set() and attempt >= 3:
                    return
                time.sleep(1.0)
        done = time.monotonic()
        self._marked(ids, [done - answered for _, answered in batch])


def lag_summary(lags: Iterable[float]) -> dict[str, float]:
    """Count, mean, p99 and max of the seconds items waited for their mark (what `OutboxSender.mark_lag` tells)."""
    ordered = sorted(lags)
    if not ordered:
        return {"count": 0, "mean": 0.0, "p99": 0.0, "max": 0.0}
    return {
        "count": len(ordered),
        "mean": sum(ordered) / len(ordered),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max": ordered[-1],
    }
