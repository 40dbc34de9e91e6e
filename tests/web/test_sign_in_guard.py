"""What guards a sign-in: login CSRF refused by origin, the Mini App's session cookie (SameSite=None; Secure;
Partitioned over https, for Telegram's iframe), and the «🌐 Mở bảng theo dõi» button opening the Mini App on
Telegram when the public URL is https."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.telegram_render import keyboard, keyboard_json
from bot.clock import FixedClock
from bot.engine import ConversationEngine
from bot.messages import Button, Reply
from bot.webpages.routes import COOKIE, add_leaders_routes
from handlers.router import route
from storage.db import Database
from tests.chat import ChatDriver
from tests.reports.conftest import ADMIN, LEADER, Month
from tests.web.conftest import BOT_TOKEN, link_for, web_config
from tests.web.test_mini_app import init_data

HTTPS_URL = "https://bdhvs.example.vn"


@pytest.fixture
async def https_client(database: Database, web_clock: FixedClock) -> AsyncIterator[TestClient]:
    """The pages behind an https public URL (a proxy in front; the test server itself speaks http)."""
    app = web.Application()
    add_leaders_routes(app, database, web_config(database, HTTPS_URL), web_clock, lambda: (BOT_TOKEN,))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def test_a_sign_in_posted_from_another_site_is_refused_and_the_link_kept(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    token = link_for(database, month.members[ADMIN], web_clock)
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://other.bdhvs.test"},
    ):
        response = await client.post(f"/web/signin/{token}", headers=headers, allow_redirects=False)
        assert response.status == 403 and COOKIE not in response.cookies, headers
        assert "không đến từ trang của bot" in await response.text()
    signed = init_data(ADMIN, web_clock.now())
    forged = await client.post("/web/miniapp", data={"init_data": signed}, headers={"Sec-Fetch-Site": "cross-site"})
    assert forged.status == 403 and COOKIE not in forged.cookies
    # The link is still unused: from our own page it signs in.
    own = str(client.make_url("")).rstrip("/")
    headers = {"Origin": own, "Sec-Fetch-Site": "same-origin"}
    response = await client.post(f"/web/signin/{token}", headers=headers, allow_redirects=False)
    assert response.status == 303 and COOKIE in response.cookies


async def test_the_sign_in_pages_send_their_origin_with_the_post(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    token = link_for(database, month.members[ADMIN], web_clock)
    for path in (f"/web/signin/{token}", "/web/miniapp"):
        response = await client.get(path)
        assert response.headers["Referrer-Policy"] == "same-origin", path  # no-referrer would post `Origin: null`


async def test_over_https_a_mini_app_session_lives_in_telegrams_iframe_and_a_link_session_is_lax(
    https_client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    headers = {"Origin": HTTPS_URL, "Sec-Fetch-Site": "same-origin"}
    signed = init_data(ADMIN, web_clock.now() - dt.timedelta(minutes=1))
    mini = await https_client.post("/web/miniapp", data={"init_data": signed}, headers=headers, allow_redirects=False)
    assert mini.status == 303
    cookie_header = mini.headers["Set-Cookie"]
    assert "SameSite=None" in cookie_header and "Secure" in cookie_header and "Partitioned" in cookie_header
    assert "HttpOnly" in cookie_header
    token = link_for(database, month.members[ADMIN], web_clock)
    linked = await https_client.post(f"/web/signin/{token}", headers=headers, allow_redirects=False)
    assert linked.status == 303
    cookie_header = linked.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie_header and "Secure" in cookie_header and "Partitioned" not in cookie_header


async def test_over_plain_http_the_mini_app_cookie_stays_lax(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    signed = init_data(ADMIN, web_clock.now())
    mini = await client.post("/web/miniapp", data={"init_data": signed}, allow_redirects=False)
    assert mini.status == 303
    assert "SameSite=Lax" in mini.headers["Set-Cookie"] and "Partitioned" not in mini.headers["Set-Cookie"]


def test_on_telegram_over_https_the_button_opens_the_mini_app(
    database: Database, month: Month, web_clock: FixedClock
) -> None:
    engine = ConversationEngine(database, web_config(database, HTTPS_URL + "/"), web_clock, route)
    answer = ChatDriver(engine, database).say(LEADER, "/tiendo")[-1]
    [button] = [b for b in answer.buttons if b.label == "🌐 Mở bảng theo dõi"]
    assert button.web_app == HTTPS_URL + "/web/miniapp"
    markup = keyboard_json(answer.payload["buttons"])
    assert markup is not None
    assert {"text": "🌐 Mở bảng theo dõi", "web_app": {"url": HTTPS_URL + "/web/miniapp"}} in [
        b for row in markup["inline_keyboard"] for b in row
    ]
    objects = keyboard(answer.payload["buttons"])
    assert objects is not None
    opened = [b for row in objects.inline_keyboard for b in row if b.web_app is not None]
    assert [b.web_app.url for b in opened if b.web_app] == [HTTPS_URL + "/web/miniapp"]


def test_over_plain_http_the_button_asks_for_a_link(database: Database, month: Month, web_clock: FixedClock) -> None:
    answer = ChatDriver(ConversationEngine(database, web_config(database), web_clock, route), database).say(
        LEADER, "/tiendo"
    )[-1]
    [button] = [b for b in answer.buttons if b.label == "🌐 Mở bảng theo dõi"]
    assert button.web_app is None
    assert "web_app" not in str(keyboard_json(answer.payload["buttons"]))


def test_a_buttons_mini_app_address_survives_the_outbox() -> None:
    reply = Reply("x", [[Button("a", "p", HTTPS_URL + "/web/miniapp"), Button("b", "q")]])
    assert Reply.from_payload(reply.to_payload()).buttons == reply.buttons
    assert "web_app" not in reply.to_payload()["buttons"][0][1]
