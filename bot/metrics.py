"""The bot's metrics, in one place, and `GET /metrics` in Prometheus text format (the `prometheus-client` library).

- `bdhvs_updates_total{channel, result}`: updates handled; result processed, duplicate, failed (a handler
  crashed, the person was told), dropped (the flood gate), error (not committed: the platform sends it again).
- `bdhvs_update_seconds{channel}`: histogram of the time from an update's receipt (read from the platform) to
  its commit, for processed updates.
- `bdhvs_outbox_messages{status}`: outbox rows pending, held or failed, counted at scrape time (sent rows are
  left out: most of the table at scale; the sends counter tells their pace).
- `bdhvs_sends_total{channel, result}`: sends; result ok, 429, 5xx (or the network), 403, timeout, moved,
  refused, error.
- `bdhvs_reminders_fired_total{rule}`: reminders queued, by rule kind (weekly_session, ...), once committed.
- `bdhvs_leader_roles{role}`: 1 for each role this instance holds (scheduler, sender, polling:<channel>), 0 once
  given up or lost. On SQLite one instance holds every role it runs; on PostgreSQL every instance sends and one
  at a time holds the scheduler and each token's polling (bot/leadership.py).

Each application has its own registry (tests build many). The points that count are few and know nothing of
Prometheus: the engine's outcomes through `MeteredUpdates` (an `UpdateProcessor` in front of the flood gate),
the sender's and the reminder service's `on_result` / `on_fired` callbacks, set by the wiring. An increment is
all the hot path pays; the outbox is counted only when scraped, off the event loop.

`/metrics` is served only when `metrics.token` (BDHVS_METRICS_TOKEN) is set, to requests that carry it as
`Authorization: Bearer <token>`: queue depths and failure counts are not for strangers (`/healthz` and
`/readyz` say nothing more than up or down).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.engine import Outcome, UpdateProcessor
from bot.messages import Incoming

log = logging.getLogger(__name__)

RESULTS = {
    Outcome.HANDLED: "processed",
    Outcome.DUPLICATE: "duplicate",
    Outcome.FAILED: "failed",
    Outcome.DROPPED: "dropped",
}
NOT_COMMITTED = "error"
# Seconds from receipt to commit: a few milliseconds when idle, seconds behind a burst or a slow disk.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
DEPTH_TIMEOUT = 2.0  # seconds a scrape waits for the outbox count; past it the last count is shown

DepthReader = Callable[[], dict[str, int]]  # outbox rows by status (blocking: one small query)


class Metrics:
    """The registry and every metric the bot exports; methods are what the counting points call."""

    def __init__(self, read_depth: DepthReader | None = None) -> None:
        self.registry = CollectorRegistry()
        self.read_depth = read_depth
        self.updates = Counter(
            "bdhvs_updates", "Updates handled, by channel and result", ["channel", "result"], registry=self.registry
        )
        self.update_seconds = Histogram(
            "bdhvs_update_seconds",
            "Seconds from an update's receipt to its commit (processed updates)",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.outbox = Gauge(
            "bdhvs_outbox_messages", "Outbox rows by status, read at scrape time", ["status"], registry=self.registry
        )
        self.sends = Counter(
            "bdhvs_sends",
            "Sends to the platforms, by channel and result",
            ["channel", "result"],
            registry=self.registry,
        )
        self.reminders = Counter(
            "bdhvs_reminders_fired", "Reminders queued, by rule kind", ["rule"], registry=self.registry
        )
        self.leader_roles = Gauge(
            "bdhvs_leader_roles", "Leader roles this instance holds (1) or not (0)", ["role"], registry=self.registry
        )
        self._children: dict[tuple[str, str], Any] = {}  # (channel, result) -> its counter, looked up once
        self._timings: dict[str, Any] = {}  # channel -> its histogram, likewise
        self._depth_executor = ThreadPoolExecutor(1, thread_name_prefix="bdhvs-metrics")
        self._depth_reading: asyncio.Future[dict[str, int]] | None = None

    # -- what the counting points call ------------------------------------------------------------

    def update_done(self, incoming: Incoming, outcome: Outcome | None) -> None:
        """An update's outcome (None: it raised, nothing committed); a processed one's time since receipt."""
        result = RESULTS[outcome] if outcome is not None else NOT_COMMITTED
        key = (incoming.channel, result)
        counter = self._children.get(key)
        if counter is None:
            counter = self._children[key] = self.updates.labels(*key)
        counter.inc()
        if outcome is Outcome.HANDLED:
            histogram = self._timings.get(incoming.channel)
            if histogram is None:
                histogram = self._timings[incoming.channel] = self.update_seconds.labels(incoming.channel)
            histogram.observe(time.monotonic() - incoming.received)

    def sent(self, channel: str, result: str) -> None:
        """One send's result (the sender's `on_result`)."""
        self.sends.labels(channel, result).inc()

    def reminders_fired(self, rule: str, count: int) -> None:
        """Reminders of one rule kind queued in a committed tick (the reminder service's `on_fired`)."""
        self.reminders.labels(rule).inc(count)

    def hold_role(self, role: str, held: bool = True) -> None:
        """This instance took (or gave up) a leader role."""
        self.leader_roles.labels(role).set(1 if held else 0)

    # -- scraping ---------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Count the outbox now (off the loop, bounded in time; a count still running from a scrape before is
        awaited, not doubled: a stuck database holds one thread, not one per scrape)."""
        if self.read_depth is None:
            return
        if self._depth_reading is None or self._depth_reading.done():
            loop = asyncio.get_running_loop()
            self._depth_reading = asyncio.ensure_future(loop.run_in_executor(self._depth_executor, self.read_depth))
            self._depth_reading.add_done_callback(_retrieved)
        try:
            counts = await asyncio.wait_for(asyncio.shield(self._depth_reading), DEPTH_TIMEOUT)
        except Exception as error:  # the database is slow or down: the last count stays, the scrape answers
            log.warning("could not count the outbox for /metrics: %s", type(error).__name__)
            return
        for status, count in counts.items():
            self.outbox.labels(status).set(count)

    def exposition(self) -> bytes:
        """Every metric in Prometheus text format."""
        return generate_latest(self.registry)

    def close(self) -> None:
        """Let go of the counting thread (a count in progress finishes on its own)."""
        self._depth_executor.shutdown(wait=False)


def add_metrics_route(app: web.Application, metrics: Metrics, token: str) -> None:
    """`GET /metrics` for requests carrying `Authorization: Bearer <token>` (401 otherwise)."""
    expected = f"Bearer {token}".encode()

    async def serve(request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=401, text="unauthorized", headers={"WWW-Authenticate": "Bearer"})
        await metrics.refresh()
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/metrics", serve)


class MeteredUpdates:
    """An `UpdateProcessor` that counts what the one behind it did with each update (the flood gate and the
    engine: thread or process alike, since outcomes come back here either way)."""

    def __init__(self, inner: UpdateProcessor, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    def process(self, incoming: Incoming) -> Outcome:
        try:
            outcome = self.inner.process(incoming)
        except Exception:
            self.metrics.update_done(incoming, None)
            raise
        self.metrics.update_done(incoming, outcome)
        return outcome

    def process_each(self, incomings: Sequence[Incoming]) -> Iterator[Outcome]:
        outcomes = self.inner.process_each(incomings)
        try:
            for incoming in incomings:
                try:
                    outcome = next(outcomes)
                except StopIteration:
                    return
                except Exception:
                    self.metrics.update_done(incoming, None)
                    raise
                self.metrics.update_done(incoming, outcome)
                yield outcome
        finally:
            if isinstance(outcomes, Generator):  # stopped early: the inner one finishes what it took
                outcomes.close()


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Take a check's error even when no request waited for it any more (it was logged by the one that did)."""
    if not future.cancelled():
        future.exception()
