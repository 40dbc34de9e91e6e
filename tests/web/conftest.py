"""The leaders' pages on an aiohttp test server, over the scripted October of tests/reports (two communes of
Hà Tĩnh, seven people of every role), with the clock on Thursday 19/11/2026."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.clock import FixedClock
from bot.settings import Config
from bot.webpages.routes import add_leaders_routes
from storage.db import Database
from storage.models import Member
from storage.web_access import issue_link
from tests.reports.conftest import Month, after_october, month  # noqa: F401  # `month`: the scripted October, a fixture

BOT_TOKEN = "123456:TEST-TOKEN"
PUBLIC_URL = "http://bdhvs.test"


@pytest.fixture
def web_clock() -> FixedClock:
    """The clock of the scripted October's reports: October is over, its report is due tomorrow."""
    return after_october()


def web_config(database: Database, public_url: str = PUBLIC_URL) -> Config:
    return Config(database_url=database.url, demo_data=False, public_url=public_url)


@pytest.fixture
async def client(database: Database, web_clock: FixedClock) -> AsyncIterator[TestClient]:
    app = web.Application()
    add_leaders_routes(app, database, web_config(database), web_clock, lambda: (BOT_TOKEN,))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


def link_for(database: Database, member_id: int, clock: FixedClock) -> str:
    """A fresh one-time sign-in token for the member, as /web gives it."""
    with database.session() as session:
        member = session.get(Member, member_id)
        assert member is not None
        return issue_link(session, member, clock.now())


async def sign_in(client: TestClient, database: Database, member_id: int, clock: FixedClock) -> None:
    """Sign the client's browser in as the member (open a fresh link and press its button)."""
    token = link_for(database, member_id, clock)
    response = await client.post(f"/web/signin/{token}", allow_redirects=False)
    assert response.status == 303, await response.text()
    assert response.headers["Location"] == "/web"
