"""Fixtures for the Zalo tests: the fake Zalo Bot API on its own aiohttp server (behind the fault injector of
tests/app), the real application built against it (real router, real database), and a person who chats."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from sqlmodel import select

from bot.app import BotApplication, build_application
from bot.sandbox.fake_zalo import FakeZalo
from storage import invites
from storage.db import Database
from storage.models import ProcessedUpdate
from tests.app.conftest import app_config, db_url, fake_api, fake_options, started_apps, wait_until  # noqa: F401  # fixtures of tests/app used here too
from tests.helpers import ServedApi, ShiftedClock, free_port, served

SON_KIM_1 = 18196
SECRET = "zalo-webhook-secret-123"


MovableClock = ShiftedClock  # the real time, moved forward on demand (a link that expires, without sleeping)
ZaloApi = ServedApi[FakeZalo]


@pytest.fixture
def zalo_options() -> dict[str, Any]:
    """FakeZalo keyword arguments; override with `@pytest.mark.parametrize("zalo_options", ...)`."""
    return {}


@pytest.fixture
async def zalo_api(zalo_options: dict[str, Any]) -> AsyncIterator[ZaloApi]:
    """The fake Zalo API served on 127.0.0.1 behind a fault injector."""
    async with served(FakeZalo(**zalo_options)) as api:
        yield api


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def make_zalo_app(
    db_url: str,  # noqa: F811  # the fixture of tests/app, imported above
    zalo_api: ZaloApi,
    clock: MovableClock,
) -> AsyncIterator[Any]:
    """Build and start the real application (real router) against the fake Zalo API."""
    async with started_apps() as start:

        async def factory(*, mode: str = "polling", router: Any = None, **overrides: Any) -> BotApplication:
            platform = {"zalo_token": zalo_api.fake.token, "zalo_api_base_url": zalo_api.base_url, "zalo_mode": mode}
            config = app_config(db_url, **platform)
            if mode == "webhook":
                port = free_port()
                public = f"http://127.0.0.1:{port}"
                config = replace(config, web_port=port, public_url=public, zalo_secret_token=SECRET)
            app = build_application(
                replace(config, **overrides),
                clock,
                router,
                sender_options={"base_backoff": 0.02},
                zalo_options={"quota_pause": 0.2, "poll_timeout": 5},
                drain_on_stop=2.0,
            )
            return await start(app)

        yield factory


def processed(database: Database, channel: str, update_id: str) -> bool:
    with database.session() as session:
        return (
            session.exec(
                select(ProcessedUpdate).where(
                    ProcessedUpdate.channel == channel, ProcessedUpdate.update_id == update_id
                )
            ).first()
            is not None
        )


class ZaloPerson:
    """One person chatting with the bot through the fake Zalo: says something, reads what came back."""

    def __init__(
        self, app: BotApplication, fake: FakeZalo, user_id: str, name: str, chat_id: str | None = None
    ) -> None:
        self.app, self.fake, self.user_id, self.name = app, fake, user_id, name
        self.chat_id = chat_id or user_id

    async def _settle(self, message_id: str, before: int) -> list[str]:
        await wait_until(lambda: processed(self.app.database, "zalo", message_id), what=f"update {message_id}")
        assert await self.app.sender.drain(10)
        await asyncio.sleep(0)
        return [m.get("text") or m.get("caption") or "" for m in self.fake.bot_messages(self.chat_id)[before:]]

    async def says(self, text: str, **kwargs: Any) -> list[str]:
        """Send a text; return the bot's new messages once everything it had to say was sent."""
        before = self.fake.bot_message_count(self.chat_id)
        chat = {"chat_id": self.chat_id} if self.chat_id != self.user_id else {}
        message_id = self.fake.user_says(self.user_id, text, display_name=self.name, **chat, **kwargs)
        return await self._settle(message_id, before)

    async def sends_photo(self, url: str, caption: str | None = None) -> list[str]:
        before = self.fake.bot_message_count(self.chat_id)
        message_id = self.fake.user_sends_photo(self.user_id, caption=caption, url=url, display_name=self.name)
        return await self._settle(message_id, before)

    async def sends(self, kind: str) -> list[str]:
        before = self.fake.bot_message_count(self.chat_id)
        message_id = getattr(self.fake, f"user_sends_{kind}")(self.user_id)
        return await self._settle(message_id, before)


def admin_code(database: Database, clock: Any, role: str = "commune_admin") -> str:
    with database.session() as session:
        return invites.create_invite(
            session, role=role, commune_code=SON_KIM_1, now=clock.now(), days=7, max_uses=5
        ).code


def choice_lines(text: str) -> list[str]:
    """The numbered choice lines of a rendered message ("1. Hôm nay (25/11)" -> "Hôm nay (25/11)")."""
    lines = []
    for line in text.split("\n"):
        head, dot, rest = line.partition(". ")
        if dot and head.isdigit():
            lines.append(rest)
    return lines
