"""The one place that builds the bot: config in, every part wired, one lifecycle.

    app = build_application(load_config())
    await app.start()        # migrate, web server, outbox sender, messenger channels
    ...
    await app.stop()         # stop receiving, send what is due, close HTTP clients, server, database

or `await app.run_forever()`, which stops on SIGINT/SIGTERM.

Start order: database upgrade -> (sandbox: fake Bot API + demo data + chat page) -> web routes -> web server
(its bound address is known only now; port 0 is allowed) -> outbox sender -> the engine's own process (see
`bot/engine_process.py`; config `engine.mode`) -> Telegram channel (getMe, command menu, setWebhook in webhook
mode) -> Zalo channel (getMe, setWebhook) -> leader roles (bot/leadership.py): the reminder scheduler (catches
up what was missed while down) and polling each token, at once on SQLite and on PostgreSQL when no other
instance holds them (else when it stops or dies). Both channels can run in one process; each starts when its
token is set.
`GET /files/{token}` serves stored files at expiring addresses (Zalo takes pictures by URL only). Stop order is
the reverse, with the sender given a few seconds to send what is due, and only then the HTTP clients, the web
server and the database closed.

Two parts live beside this one: `bot/app_channels.py` (every bot's channel built, started, polled as a leader
role and reached by webhook) and `bot/app_sandbox.py` (sandbox mode, no messenger token: a fake platform API per
sandbox bot on our own web server, the demo data and the chat page), so that the lifecycle reads in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import inspect
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlmodel import select

from bot.app_channels import BotChannels
from bot.app_sandbox import Sandbox, sandbox_bot
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.clock import Clock, SystemClock
from bot.delivery.shared import Leases, SharedPace
from bot.engine import ConversationEngine, Router, UpdateProcessor
from bot.engine_lanes import UpdateLanes, lanes_for
from bot.engine_process import EngineProcess, can_run
from bot.files import add_file_routes
from bot.flood import FloodGate, FloodLimiter, Monotonic
from bot.leadership import Leadership
from bot.metrics import MeteredUpdates, Metrics, add_metrics_route
from bot.outbox_sender import OutboxSender
from bot.reminders.notices import mark_chat_unreachable
from bot.reminders.planner import KEY_PREFIX as REMINDER_KEY_PREFIX
from bot.reminders.service import ReminderService
from bot.sandbox.bots import sandbox_config
from bot.sandbox.fake_telegram import FakeTelegram
from bot.settings import BotConfig, Config
from bot.web import WebServer
from bot.webpages.routes import add_leaders_routes
from handlers.router import route
from storage import migrate, outbox
from storage.db import Database
from storage.instance_lock import AnotherInstance, InstanceLock
from storage.outbox import OutboxItem
from storage.programmes.catalog import shipped
from storage.reminders import is_quiet, out_of_quiet

log = logging.getLogger(__name__)

SWITCH_INTERVAL = 0.0005  # seconds a thread may hold the interpreter lock while another waits (Python: 0.005)

WebHook = Callable[[web.Application, "BotApplication"], None]


class BotApplication:
    """Everything the running bot is made of, with `start()` and `stop()`."""

    def __init__(
        self,
        config: Config,
        clock: Clock | None = None,
        router: Router | None = None,
        *,
        sender_options: dict[str, Any] | None = None,
        telegram_options: dict[str, Any] | None = None,
        zalo_options: dict[str, Any] | None = None,
        reminder_options: dict[str, Any] | None = None,
        leader_options: dict[str, Any] | None = None,
        drain_on_stop: float = 5.0,
        flood_clock: Monotonic | None = None,
    ) -> None:
        # No bot configured: the sandbox's own bots (a bot per province) go into the config everything reads.
        config = sandbox_config(config) if config.sandbox and not config.sandbox_bots else config
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self._custom_router = router is not None
        self.drain_on_stop = drain_on_stop
        self.telegram_options = dict(telegram_options or {})
        self.zalo_options = dict(zalo_options or {})
        self._database = Database(config.database_url)
        self._instance_lock = InstanceLock(config.database_url)  # SQLite: one running bot per database file
        # What /metrics exports (bot/metrics.py); the outbox is counted only when scraped.
        self.metrics = Metrics(read_depth=self._outbox_depth)
        # The update threads: one lane per chat, in order; one lane on SQLite (one writer), several on PostgreSQL.
        self.process_executor = UpdateLanes(lanes_for(self._database.is_sqlite, self.config.engine_lanes))
        # Leader roles (polling a token, the scheduler) and the heartbeat; on PostgreSQL shared with the other
        # instances through advisory locks, the outbox claimed with leases and each token's rate shared.
        self.leadership = Leadership(self._database, self.clock, standing=lambda: ["sender"], **(leader_options or {}))
        shared = self.leadership.shared
        self._sender = self._make_sender(sender_options or {})
        leases = self._sender.leases  # several instances: the replies leased to this one as they are written
        self._lease = (leases.owner, leases.seconds) if leases is not None else None
        self._engine = ConversationEngine(
            self._database, config, self.clock, router or route, on_outbox=self._after_commit, lease=self._lease
        )
        # Reminders: APScheduler wake-ups that put due reminders in the outbox (bot/reminders/service.py).
        self.reminders = ReminderService(
            self._database,
            config.tz,
            self.clock,
            notify=self._sender.notify,
            on_fired=self.metrics.reminders_fired,
            **(reminder_options or {}),
        )
        self.web = WebServer(
            config.web_host, config.web_port, ready=self._ready, roles=self.leadership.held if shared else None
        )
        self.leadership.want("scheduler", self._schedule, self._unschedule)
        # Every bot's channel (bot/app_channels.py), built once the engine's place is known (`_start`).
        self.bot_channels = self._make_channels()
        # The sandbox's fake platform APIs and demo people (bot/app_sandbox.py), made in `_start`.
        self.sandbox = Sandbox(config, self._database, self.clock, self.web)
        self.web_hooks: list[WebHook] = []  # more routes, added before the web server starts
        self._engine_process: EngineProcess | None = None  # the engine in a child, when it runs there
        # Per-account flood control in front of the engine (bot/flood.py); `flood_clock` lets tests move time.
        self.flood_limiter = FloodLimiter.from_limits(config.flood, flood_clock or time.monotonic)
        self.flood_gate: FloodGate | None = None  # built once the engine's place (thread or process) is known
        self.metered: MeteredUpdates | None = None  # what the channels hand updates to: counted, then the gate
        self._started = False
        self._stopped = False

    def _make_sender(self, sender_options: dict[str, Any]) -> OutboxSender:
        """The outbox's sender: quiet hours held, lost chats marked, results counted; on PostgreSQL the outbox
        claimed with leases and each token's rate shared with the other instances."""
        shared = self.leadership.shared
        # The sender's own time-out is a backstop above the clients' per call: an item may take a few calls.
        return OutboxSender(
            self._database,
            self.clock,
            self.config.rate_limits,
            **{
                "hold": self._quiet_hours_hold,
                # the reminders domain marks the people behind a lost chat
                "on_unreachable": mark_chat_unreachable,
                "deliver_timeout": max(300.0, 5 * self.config.send_timeout),
                "workers": self.config.sender_workers,
                "on_result": self.metrics.sent,
                "leases": Leases(self.leadership.instance_id) if shared else None,
                "shared_pace": (
                    SharedPace(self._database, self.config.rate_limits.global_per_second) if shared else None
                ),
                **sender_options,
            },
        )

    def _make_channels(self) -> BotChannels:
        """Every bot's channel, sending through the outbox's sender."""
        return BotChannels(
            self.config,
            self._sender,
            self.leadership,
            self.metrics,
            telegram_options=self.telegram_options,
            zalo_options=self.zalo_options,
            api_base_url=self.api_base_url,
            files_base_url=lambda: self.files_base_url,
        )

    # -- what others use --------------------------------------------------------------------------

    @property
    def database(self) -> Database:
        return self._database

    @property
    def engine(self) -> ConversationEngine:
        return self._engine

    @property
    def updates(self) -> UpdateProcessor:
        """What the channels hand updates to: the engine in its own process, or here on the update thread."""
        return self._engine_process or self._engine

    @property
    def engine_mode(self) -> str:
        """Where updates are handled once started: "process" or "thread"."""
        return "process" if self._engine_process is not None else "thread"

    @property
    def channels(self) -> dict[tuple[str, str], TelegramChannel | ZaloChannel]:
        """Every bot's channel by (channel, key)."""
        return self.bot_channels.channels

    @property
    def telegram(self) -> TelegramChannel | None:
        """The default Telegram bot's channel (None: no Telegram bot, or not started yet)."""
        return self.bot_channels.telegram

    @property
    def zalo(self) -> ZaloChannel | None:
        """The default Zalo bot's channel (None: no Zalo bot, or not started yet)."""
        return self.bot_channels.zalo

    @property
    def fake_telegram(self) -> Any:
        """The sandbox's fake Bot API of the demo people's bot (Hà Tĩnh's); None outside the sandbox."""
        return self.sandbox.fake_telegram

    @property
    def fake_telegrams(self) -> dict[str, FakeTelegram]:
        """The sandbox's fake Bot APIs, by bot key."""
        return self.sandbox.fake_telegrams

    @property
    def fake_zalo(self) -> Any:
        """The sandbox's fake Zalo Bot API; None outside the sandbox."""
        return self.sandbox.fake_zalo

    @property
    def personas(self) -> list[Any]:
        """The sandbox's demo people."""
        return self.sandbox.personas

    @property
    def sender(self) -> OutboxSender:
        return self._sender

    @property
    def web_url(self) -> str:
        """The address the web server is bound to (after `start()`), e.g. http://127.0.0.1:8080."""
        return self.web.url

    @property
    def telegram_base_url(self) -> str:
        """The Bot API base the default Telegram bot talks to (its fake one in sandbox mode)."""
        bot = self.config.default_bot("telegram")
        return self.api_base_url(bot) if bot is not None else self.config.telegram_api_base_url

    @property
    def zalo_base_url(self) -> str:
        """The Zalo Bot API base the default Zalo bot talks to (its fake one in sandbox mode)."""
        bot = self.config.default_bot("zalo")
        return self.api_base_url(bot) if bot is not None else self.config.zalo_api_base_url

    def api_base_url(self, bot: BotConfig) -> str:
        """Where a bot's platform API is: its configured base; in the sandbox its fake's, a path on our own server."""
        return f"{self.web_url}{bot.api_base_url}" if self.config.sandbox_bots else bot.api_base_url

    @property
    def files_base_url(self) -> str:
        """Where people fetch stored files (`/files/{token}`): the public URL, else our own address."""
        return self.config.public_url or self.web_url

    def add_web_hook(self, hook: WebHook) -> None:
        """Register `hook(web_app, app)` to add routes; called during `start()` before the server binds."""
        self.web_hooks.append(hook)

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bring every part up; on failure, what was started is stopped again and the error raised."""
        if self._started:
            raise RuntimeError("the application was already started")
        self._started = True
        try:
            self._instance_lock.acquire()  # before anything is written: a second instance on SQLite stops here
        except AnotherInstance:
            self._stopped = True  # nothing was started, so there is nothing to stop
            raise
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        config = self.config
        # The event loop shares this process with the sent-marker and database threads. A thread waiting for the
        # interpreter lock waits up to the switch interval (5 ms by default) while the loop is busy, and a chat's
        # next message waits for its previous one's mark: a shorter interval shortens that wait.
        sys.setswitchinterval(SWITCH_INTERVAL)
        await asyncio.to_thread(migrate.upgrade, self._database)
        if config.sandbox:
            await self.sandbox.prepare()
        for bot in self.bot_channels.bots():
            if bot.mode == "webhook":
                self.web.add_routes(self.bot_channels.webhook_route(bot))
        self.web.add_routes(lambda app: add_file_routes(app, self._database, self.clock))
        self.web.add_routes(
            lambda app: add_leaders_routes(
                app,
                self._database,
                config,
                self.clock,
                self.bot_channels.telegram_tokens,
                self.bot_channels.fetch_photo,
            )
        )
        metrics_token = config.metrics_token
        if metrics_token:
            self.web.add_routes(lambda app: add_metrics_route(app, self.metrics, metrics_token))
        for hook in self.web_hooks:
            self.web.add_routes(self._bound(hook))
        await self.web.start()
        await self._sender.start()
        self.metrics.hold_role("sender")
        await self._start_engine_process()
        self.flood_gate = FloodGate(self.updates, self.flood_limiter, self._database, self.clock, self._after_commit)
        self.metered = MeteredUpdates(self.flood_gate, self.metrics)
        if config.sandbox and self.fake_zalo is not None:
            self.fake_zalo.url = f"{self.web_url}{sandbox_bot('zalo').prefix}"  # users' photo URLs point here
        for bot in self.bot_channels.bots():
            await self.bot_channels.start_bot(bot, self._channel_options())
        self.bot_channels.give_renderers()
        # The scheduler and each polling token: taken now when free (always on SQLite), else when freed.
        await self.leadership.start()
        log.info("bot started; web server at %s", self.web_url)
        if config.sandbox:
            log.info(
                "sandbox: no messenger token is configured; open %s/ in a browser to chat with the bot "
                "as one of the demo people (Ctrl+C stops it)",
                self.web_url,
            )

    async def _start_engine_process(self) -> None:
        """Move the engine to a process of its own when the config asks for it (or, on "auto", when there are
        two cores or more): the event loop and the engine then stop taking turns on one core."""
        mode = self.config.engine_mode
        if mode == "thread" or (mode == "auto" and (os.cpu_count() or 1) < 2):
            return
        if not can_run(self.config, self.clock, self._custom_router):
            if mode == "process":
                log.warning(
                    "the engine stays in this process: an in-memory database, a test clock or a custom "
                    "router cannot be shared with another one"
                )
            return
        engine_process = EngineProcess(
            self.config, self._after_commit, lanes=self.process_executor.lanes, lease=self._lease
        )
        await asyncio.to_thread(engine_process.start)
        self._engine_process = engine_process
        if self._database.is_sqlite:
            # The database file takes one writer at a time: the sender's marks are written by the engine's
            # process too, between its updates, instead of waiting here for the file's lock.
            self._sender.store.write_marks_with(engine_process.mark_sent)

    def _channel_options(self) -> dict[str, Any]:
        """What every channel is built with besides its bot's own settings: the engine, the database, the clock."""
        return {
            "engine": self.metered or self.flood_gate or self.updates,
            "process_executor": self.process_executor,
            "database": self._database,
            "clock": self.clock,
            "public_url": self.config.public_url,
            "send_timeout": self.config.send_timeout,
        }

    async def _schedule(self) -> None:
        """This instance took the scheduler role: the reminder service runs here."""
        await self.reminders.start()
        self.metrics.hold_role("scheduler")

    async def _unschedule(self) -> None:
        """The scheduler role was lost (or given up): the reminder service stops here."""
        self.metrics.hold_role("scheduler", False)
        await self.reminders.stop()

    async def stop(self) -> None:
        """Stop receiving, send what is due (a few seconds at most), close clients, server and database."""
        if self._stopped:
            return
        self._stopped = True
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("leader roles", self.leadership.stop),  # the scheduler and polling stop; another instance takes them
            ("reminder scheduler", self.reminders.stop),
        ]
        channels = list(self.channels.items())
        steps += [(f"{channel} bot {key or '-'} polling", bot.stop) for (channel, key), bot in channels]
        steps.append(("outbox sender", lambda: self._sender.stop(drain_timeout=self.drain_on_stop)))
        steps += [(f"{channel} bot {key or '-'} HTTP client", bot.close) for (channel, key), bot in channels]
        steps.append(("web server", self.web.stop))
        steps.append(("update executor", lambda: asyncio.to_thread(self.process_executor.shutdown, True)))
        if self._engine_process is not None:
            engine_process = self._engine_process
            steps.append(("engine process", lambda: asyncio.to_thread(engine_process.stop)))
        steps += self.sandbox.closing_steps()
        steps.append(("metrics", self.metrics.close))
        steps.append(("database", lambda: asyncio.to_thread(self._database.dispose)))
        steps.append(("instance lock", self._instance_lock.release))
        for name, step in steps:
            try:
                result = step()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("stopping the %s failed", name)
        log.info("bot stopped")

    async def run_forever(self) -> None:
        """Start, run until SIGINT or SIGTERM, stop."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        installed: list[signal.Signals] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
                installed.append(sig)
        try:
            await self.start()
            # What start-up built lives as long as the process: keep it out of every full collection.
            gc.freeze()
            await stop.wait()
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            await self.stop()

    def _quiet_hours_hold(self, item: OutboxItem, now: dt.datetime) -> dt.datetime | None:
        """A reminder that reaches the quiet hours (21:00–07:00 local) still queued waits for 07:00.

        The planner never fires one then, but a large fan-out at 20:55 sent at 30 a second would spill into
        the night. Replies to people who wrote to the bot are never held."""
        if not (item.idempotency_key or "").startswith(REMINDER_KEY_PREFIX):
            return None
        local = now.astimezone(self.config.tz)
        return out_of_quiet(local) if is_quiet(local) else None

    def _after_commit(self, items: list[OutboxItem]) -> None:
        """After each conversation commit (engine thread): hand the new outbox items to the sender; a
        reminder rule may have changed too."""
        self._sender.handoff(items)
        self.reminders.poke()

    # -- routes -----------------------------------------------------------------------------------

    def _bound(self, hook: WebHook) -> Callable[[web.Application], None]:
        """A web hook with this application bound, as the web server's route registrar takes it."""
        return lambda app: hook(app, self)

    def _ready(self) -> None:
        """The readiness check (blocking, on the web server's own thread): returns when the database answers a
        trivial query, raises otherwise."""
        with self._database.session(readonly=True) as session:
            session.exec(select(text("1"))).one()

    def _outbox_depth(self) -> dict[str, int]:
        """Outbox rows by status, for /metrics (blocking, on the metrics' own thread)."""
        with self._database.session(readonly=True) as session:
            return outbox.depth(session)


def build_application(
    config: Config,
    clock: Clock | None = None,
    router: Router | None = None,
    **options: Any,
) -> BotApplication:
    """Build (not start) the application for a config; `router` replaces handlers.router.route (tests).

    The programmes' catalog is read first: a malformed file stops the start-up (CatalogError, one line)."""
    shipped()
    return BotApplication(config, clock, router, **options)
