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

Sandbox mode (no messenger token): the bot runs a bot per province as a deployment may (bot/sandbox/bots.py):
Hà Tĩnh's Telegram bot against a `bot.sandbox.fake_telegram.FakeTelegram` on its own web server under `/sandbox`,
the country's default Telegram bot against another under `/sandbox/ca-nuoc`, and a Zalo bot against
`bot.sandbox.fake_zalo.FakeZalo` under `/sandbox/zalo`, each polled by the real adapter, so everything but the
network is the production path.
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
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlmodel import select

from bot.channels.bots import BotRenderers
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.clock import Clock, SystemClock
from bot.delivery.shared import Leases, SharedPace, token_key
from bot.engine import ConversationEngine, Router, UpdateProcessor
from bot.engine_process import EngineProcess, can_run
from bot.files import add_file_routes
from bot.flood import FloodGate, FloodLimiter, Monotonic
from bot.leadership import Leadership
from bot.metrics import MeteredUpdates, Metrics, add_metrics_route
from bot.outbox_sender import OutboxSender
from bot.reminders.notices import mark_chat_unreachable
from bot.reminders.planner import KEY_PREFIX as REMINDER_KEY_PREFIX
from bot.reminders.service import ReminderService
from bot.sandbox.bots import SANDBOX_BOTS, SandboxBot, sandbox_config
from bot.sandbox.demo import demo_groups, seed_demo
from bot.sandbox.fake_telegram import FakeTelegram
from bot.sandbox.fake_zalo import FakeZalo
from bot.sandbox.web import add_sandbox_routes
from bot.sandbox.web_state import PageBot
from bot.settings import BotConfig, Config
from bot.web import WebServer
from bot.webpages.routes import add_leaders_routes
from handlers.router import route
from handlers.web_link import SIGN_IN_PATH
from storage import migrate, outbox
from storage.db import Database
from storage.instance_lock import AnotherInstance, InstanceLock
from storage.outbox import OutboxItem
from storage.programmes.catalog import shipped
from storage.reminders import is_quiet, out_of_quiet
from storage.web_access import issue_link, telegram_member

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
        # One thread processes updates: per-chat order is kept and SQLite sees one writer.
        self.process_executor = ThreadPoolExecutor(1, thread_name_prefix="bdhvs-process")
        # Leader roles (polling a token, the scheduler) and the heartbeat; on PostgreSQL shared with the other
        # instances through advisory locks, the outbox claimed with leases and each token's rate shared.
        self.leadership = Leadership(self._database, self.clock, standing=lambda: ["sender"], **(leader_options or {}))
        shared = self.leadership.shared
        # The sender's own time-out is a backstop above the clients' per call: an item may take a few calls.
        self._sender = OutboxSender(
            self._database,
            self.clock,
            config.rate_limits,
            **{
                "hold": self._quiet_hours_hold,
                # the reminders domain marks the people behind a lost chat
                "on_unreachable": mark_chat_unreachable,
                "deliver_timeout": max(300.0, 5 * config.send_timeout),
                "on_result": self.metrics.sent,
                "leases": Leases(self.leadership.instance_id) if shared else None,
                "shared_pace": SharedPace(self._database, config.rate_limits.global_per_second) if shared else None,
                **(sender_options or {}),
            },
        )
        self._engine = ConversationEngine(
            self._database, config, self.clock, router or route, on_outbox=self._after_commit
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
        self.telegram: TelegramChannel | None = None
        self.fake_telegram: Any = None  # the sandbox's fake Bot API of the demo people's bot (Hà Tĩnh's)
        self.fake_telegrams: dict[str, FakeTelegram] = {}  # the sandbox's fake Bot APIs, by bot key
        self.zalo: ZaloChannel | None = None
        # Every bot's channel by (channel, key); `telegram` and `zalo` above are each channel's default bot's.
        self.channels: dict[tuple[str, str], TelegramChannel | ZaloChannel] = {}
        self._bot_renderers: dict[str, BotRenderers] = {}
        self.fake_zalo: Any = None  # the sandbox's fake Zalo Bot API
        self.personas: list[Any] = []  # the sandbox's demo people
        self.web_hooks: list[WebHook] = []  # more routes, added before the web server starts
        self._engine_process: EngineProcess | None = None  # the engine in a child, when it runs there
        # Per-account flood control in front of the engine (bot/flood.py); `flood_clock` lets tests move time.
        self.flood_limiter = FloodLimiter.from_limits(config.flood, flood_clock or time.monotonic)
        self.flood_gate: FloodGate | None = None  # built once the engine's place (thread or process) is known
        self.metered: MeteredUpdates | None = None  # what the channels hand updates to: counted, then the gate
        self._started = False
        self._stopped = False

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

    def _telegram_tokens(self) -> tuple[str, ...]:
        """The tokens a Telegram Mini App's initData may be signed with: every Telegram bot's (a Mini App opened
        from a province's own bot is signed with that bot's token; in the sandbox the fakes' bots)."""
        return tuple(bot.token for bot in self.config.all_bots if bot.channel == "telegram")

    async def _fetch_photo(self, channel: str, file_id: str) -> tuple[bytes, str] | None:
        """A session's evidence photo from the messenger it was sent on (the spot checks show it): Telegram's by
        getFile; a Zalo photo is not fetched (None: the page says to look in the chat). A file id is valid only for
        the bot that received the photo, which the session does not record: each Telegram bot is asked in turn,
        the default one first."""
        if channel != "telegram" or not file_id:
            return None
        bots = [bot for bot in self.channels.values() if isinstance(bot, TelegramChannel)]
        bots.sort(key=lambda bot: bot is not self.telegram)
        for bot in bots:
            content = await bot.fetch_photo(file_id)
            if content is not None:
                return content, "image/png" if content.startswith(b"\x89PNG") else "image/jpeg"
        return None

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
            await self._prepare_sandbox()
        for bot in self._bots():
            if bot.mode == "webhook":
                self.web.add_routes(self._webhook_route(bot))
        self.web.add_routes(lambda app: add_file_routes(app, self._database, self.clock))
        self.web.add_routes(
            lambda app: add_leaders_routes(
                app, self._database, config, self.clock, self._telegram_tokens, self._fetch_photo
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
            self.fake_zalo.url = f"{self.web_url}{self._sandbox_bot('zalo').prefix}"  # users' photo URLs point here
        for bot in self._bots():
            await self._start_bot(bot)
        for renderers in self._bot_renderers.values():
            self._sender.add_renderer(renderers)
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
        engine_process = EngineProcess(self.config, self._after_commit)
        await asyncio.to_thread(engine_process.start)
        self._engine_process = engine_process

    def _channel_options(self, token: str, mode: str, secret: str | None) -> dict[str, Any]:
        """What every channel is built with: its token and mode, the engine, the database and the clock."""
        return {
            "token": token,
            "mode": mode,
            "engine": self.metered or self.flood_gate or self.updates,
            "process_executor": self.process_executor,
            "database": self._database,
            "clock": self.clock,
            "public_url": self.config.public_url,
            "secret_token": secret,
            "send_timeout": self.config.send_timeout,
        }

    def _bots(self) -> list[BotConfig]:
        """The bots to run: the configured ones (in the sandbox, its own: `sandbox_config`)."""
        return list(self.config.all_bots)

    async def _start_bot(self, bot: BotConfig) -> None:
        """Build one bot's channel, give its renderer to the sender (or, when the channel has several bots, to
        the channel's `BotRenderers`, given to the sender once all are in) and start it."""
        options = self._channel_options(bot.token, bot.mode, bot.secret_token)
        key = self.config.bot_ref(bot)
        options.update(bot_key=key, webhook_path=bot.webhook_path, name_setting=self.config.name_setting(bot))
        channel: TelegramChannel | ZaloChannel
        if bot.channel == "telegram":
            pool = {"connection_pool_size": self._sender.worker_count + 2, **self.telegram_options}
            channel = TelegramChannel(base_url=self.api_base_url(bot), **options, **pool)
            if key is None:
                self.telegram = channel
        else:
            limit = {"connection_limit": self._sender.worker_count + 4, **self.zalo_options}
            channel = ZaloChannel(
                base_url=self.api_base_url(bot),
                **options,
                file_base=lambda: self.files_base_url,
                tz=self.config.tz,
                **limit,
            )
            if key is None:
                self.zalo = channel
        self.channels[(bot.channel, bot.key)] = channel
        if sum(1 for other in self._bots() if other.channel == bot.channel) > 1:
            # given to the sender once every bot of the channel is in it (`_start`): before that, an item of a
            # bot not yet added would fail as naming no configured bot
            self._bot_renderers.setdefault(bot.channel, BotRenderers(bot.channel)).add(key, channel.renderer)
        else:
            self._sender.add_renderer(channel.renderer)
        await self._start_channel(channel, bot)

    def _webhook_route(self, bot: BotConfig) -> Callable[[web.Application], None]:
        """The route a bot's platform posts its updates to (`BotConfig.webhook_path`)."""

        async def receive(request: web.Request) -> web.StreamResponse:
            channel = self.channels.get((bot.channel, bot.key))
            if channel is None:
                return web.Response(status=503, text="starting")
            return await channel.handle_webhook(request)

        def add(app: web.Application) -> None:
            app.router.add_post(bot.webhook_path, receive)

        return add

    async def _start_channel(self, channel: TelegramChannel | ZaloChannel, bot: BotConfig) -> None:
        """Introduce a bot's channel; its token's rate is shared (under the name the sender paces it by: the
        channel for the default bot, `channel:key` for another), and polling it is a leader role (one instance)."""
        key = token_key(bot.channel, bot.token)
        bot_key = self.config.bot_ref(bot)
        pace_name = bot.channel if bot_key is None else f"{bot.channel}:{bot_key}"
        if self._sender.shared_pace is not None:
            self._sender.shared_pace.add(pace_name, key)
        await channel.start(poll=False)
        if bot.mode == "polling":
            role = f"polling:{bot.channel}" + (f":{bot_key}" if bot_key else "")
            self.leadership.want(
                f"polling:{key}", lambda: self._poll(channel, role, True), lambda: self._poll(channel, role, False)
            )

    async def _poll(self, channel: TelegramChannel | ZaloChannel, role: str, held: bool) -> None:
        """This instance took (or lost) the token's polling role: poll here (or stop)."""
        self.metrics.hold_role(role, held)
        await (channel.start_polling() if held else channel.stop())

    async def _schedule(self) -> None:
        """This instance took the scheduler role: the reminder service runs here."""
        await self.reminders.start()
        self.metrics.hold_role("scheduler")

    async def _unschedule(self) -> None:
        """The scheduler role was lost (or given up): the reminder service stops here."""
        self.metrics.hold_role("scheduler", False)
        await self.reminders.stop()

    def _sandbox_bot(self, key: str) -> SandboxBot:
        """One of the sandbox's bots (bot/sandbox/bots.py) by key."""
        return next(bot for bot in SANDBOX_BOTS if bot.key == key)

    async def _prepare_sandbox(self) -> None:
        """A fake Bot API for each of the sandbox's bots on our own server, demo data and the chat page (each if
        it is there)."""
        mounted: list[tuple[str, FakeTelegram | FakeZalo]] = []
        page_bots: list[PageBot] = []
        for bot in self.config.all_bots:
            sandbox_bot = self._sandbox_bot(bot.key)
            if bot.channel == "telegram":
                fake = FakeTelegram(
                    token=bot.token,
                    bot_username=sandbox_bot.username,
                    bot_first_name=sandbox_bot.first_name,
                    rate_limit_per_second=None,
                    # A token's update ids go on rising across restarts, as on Telegram: the demo database keeps
                    # the ids it processed, and a fake counting from 1 again would have its first ones ignored.
                    first_update_id=int(time.time() * 1000),
                )
                self.fake_telegrams[bot.key] = fake
                page_bots.append(PageBot(bot.key, fake, sandbox_bot.label, sandbox_bot.serves))
                mounted.append((sandbox_bot.prefix, fake))
            else:
                self.fake_zalo = FakeZalo(token=bot.token, bot_name=sandbox_bot.username)
                mounted.append((sandbox_bot.prefix, self.fake_zalo))
        for prefix, api in mounted:
            self.web.add_routes(_mounted(api, prefix))
        self.fake_telegram = page_bots[0].fake
        fake_zalo = self.fake_zalo
        groups = demo_groups(self.config) if self.config.demo_data else []
        if self.config.demo_data:
            self.personas = await asyncio.to_thread(seed_demo, self._database, self.clock, self.config)
        self.web.add_routes(
            lambda app: add_sandbox_routes(
                app,
                page_bots[0].fake,
                self.personas,
                zalo=fake_zalo,
                groups=groups,
                dashboard_link=self._dashboard_link,
                bots=page_bots,
            )
        )

    async def _dashboard_link(self, telegram_user_id: int) -> str | None:
        """The sandbox page's «🌐 Bảng theo dõi»: a one-time sign-in link for the member behind that Telegram
        account, as /web gives it in chat (None: nobody who joined). The path only: the page opens it on the
        server that served the page (with `web_port = 0` no public address is known)."""

        def issue() -> str | None:
            with self._database.session() as session:
                member = telegram_member(session, str(telegram_user_id))
                if member is None:
                    return None
                return SIGN_IN_PATH + issue_link(session, member, self.clock.now())

        return await asyncio.to_thread(issue)

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
        for key, fake in self.fake_telegrams.items():
            steps.append((f"sandbox fake Bot API {key}", fake.close))
        if self.fake_zalo is not None:
            steps.append(("sandbox fake Zalo Bot API", self.fake_zalo.close))
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


def _mounted(api: FakeTelegram | FakeZalo, prefix: str) -> Callable[[web.Application], None]:
    """The route registrar that mounts a sandbox fake API at its prefix."""
    return lambda app: api.add_route(app, prefix)


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
