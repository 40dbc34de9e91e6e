"""The sandbox's parts of the running bot: a fake platform API for each of the sandbox's bots on our own web server,
the demo data and the chat page (`bot/sandbox/`), made by `Sandbox.prepare` when the config says `sandbox`.

Part of the wiring (`bot/app.py` holds one `Sandbox` and prepares it before the web server binds): kept apart so
that the application's lifecycle does not mix with what only the sandbox needs. Sandbox mode runs a bot per province
as a deployment may (bot/sandbox/bots.py): Hà Tĩnh's Telegram bot against a `FakeTelegram` under `/sandbox`, the
country's default Telegram bot against another under `/sandbox/ca-nuoc`, and a Zalo bot against `FakeZalo` under
`/sandbox/zalo`, each polled by the real adapter.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.sandbox.bots import SANDBOX_BOTS, SandboxBot
from bot.sandbox.demo import demo_groups, seed_demo
from bot.sandbox.fake_telegram import FakeTelegram
from bot.sandbox.fake_zalo import FakeZalo
from bot.sandbox.web import add_sandbox_routes
from bot.sandbox.web_state import PageBot
from bot.settings import Config
from bot.web import WebServer
from handlers.web_link import SIGN_IN_PATH
from storage.db import Database
from storage.web_access import issue_link, telegram_member


def sandbox_bot(key: str) -> SandboxBot:
    """One of the sandbox's bots (bot/sandbox/bots.py) by key."""
    return next(bot for bot in SANDBOX_BOTS if bot.key == key)


class Sandbox:
    """The sandbox's fake platform APIs and demo people (empty until `prepare`)."""

    def __init__(self, config: Config, database: Database, clock: Clock, web: WebServer) -> None:
        self.config = config
        self._database = database
        self.clock = clock
        self.web = web
        self.fake_telegram: Any = None  # the sandbox's fake Bot API of the demo people's bot (Hà Tĩnh's)
        self.fake_telegrams: dict[str, FakeTelegram] = {}  # the sandbox's fake Bot APIs, by bot key
        self.fake_zalo: Any = None  # the sandbox's fake Zalo Bot API
        self.personas: list[Any] = []  # the sandbox's demo people

    async def prepare(self) -> None:
        """A fake Bot API for each of the sandbox's bots on our own server, demo data and the chat page (each if
        it is there)."""
        mounted: list[tuple[str, FakeTelegram | FakeZalo]] = []
        page_bots: list[PageBot] = []
        for bot in self.config.all_bots:
            sandboxed = sandbox_bot(bot.key)
            if bot.channel == "telegram":
                fake = FakeTelegram(
                    token=bot.token,
                    bot_username=sandboxed.username,
                    bot_first_name=sandboxed.first_name,
                    rate_limit_per_second=None,
                    # A token's update ids go on rising across restarts, as on Telegram: the demo database keeps
                    # the ids it processed, and a fake counting from 1 again would have its first ones ignored.
                    first_update_id=int(time.time() * 1000),
                )
                self.fake_telegrams[bot.key] = fake
                page_bots.append(PageBot(bot.key, fake, sandboxed.label, sandboxed.serves))
                mounted.append((sandboxed.prefix, fake))
            else:
                self.fake_zalo = FakeZalo(token=bot.token, bot_name=sandboxed.username)
                mounted.append((sandboxed.prefix, self.fake_zalo))
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
                dashboard_link=self.dashboard_link,
                bots=page_bots,
            )
        )

    async def dashboard_link(self, telegram_user_id: int) -> str | None:
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

    def closing_steps(self) -> list[tuple[str, Callable[[], Any]]]:
        """What `stop()` closes of the sandbox, named for its log: each fake API made."""
        steps: list[tuple[str, Callable[[], Any]]] = [
            (f"sandbox fake Bot API {key}", fake.close) for key, fake in self.fake_telegrams.items()
        ]
        if self.fake_zalo is not None:
            steps.append(("sandbox fake Zalo Bot API", self.fake_zalo.close))
        return steps


def _mounted(api: FakeTelegram | FakeZalo, prefix: str) -> Callable[[web.Application], None]:
    """The route registrar that mounts a sandbox fake API at its prefix."""
    return lambda app: api.add_route(app, prefix)
