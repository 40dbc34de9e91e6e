"""Signing in from the chat: /web gives a one-time link (10 minutes) that opens a 12-hour session cookie."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from bot.clock import FixedClock
from bot.engine import ConversationEngine
from bot.messages import Incoming
from bot.webpages.csrf import FIELD, token_for
from bot.webpages.routes import COOKIE, add_leaders_routes
from handlers.router import route
from storage.db import Database
from storage.models import Member, WebSession, WebSignIn
from tests.chat import ChatDriver
from tests.reports.conftest import ADMIN, LEADER, MEMBER, VIEWER, Month
from tests.web.conftest import BOT_TOKEN, PUBLIC_URL, link_for, sign_in, web_config


def test_web_command_gives_a_one_time_link_built_from_the_public_url(
    database: Database, month: Month, web_clock: FixedClock
) -> None:
    chat = ChatDriver(ConversationEngine(database, web_config(database), web_clock, route), database)
    (reply,) = chat.say(LEADER, "/web")
    match = re.search(re.escape(PUBLIC_URL) + r"/web/signin/([A-Za-z0-9_-]{40,})", reply.text)
    assert match, reply.text
    assert "10 phút" in reply.text
    with database.session() as session:
        row = session.exec(select(WebSignIn)).one()
    assert row.token_hash != match.group(1) and match.group(1) not in row.token_hash  # kept hashed
    assert row.member_id == month.members[LEADER]
    assert row.expires_at - row.created_at == dt.timedelta(minutes=10)


def test_web_command_in_a_group_sends_the_person_to_the_private_chat(
    database: Database, month: Month, web_clock: FixedClock
) -> None:
    chat = ChatDriver(ConversationEngine(database, web_config(database), web_clock, route), database)
    incoming = Incoming(
        channel="telegram", update_id="g1", user_id=str(LEADER), chat_id="-100500", chat_type="group", text="/web"
    )
    sent = chat.send(incoming)
    assert sent and "/web/signin/" not in sent[0].text
    with database.session() as session:
        assert session.exec(select(WebSignIn)).first() is None


async def test_a_link_signs_in_once_and_sends_the_person_to_their_area(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    token = link_for(database, month.members[ADMIN], web_clock)
    opened = await client.get(f"/web/signin/{token}")  # what a link preview fetches: it uses nothing
    assert opened.status == 200 and 'method="post"' in await opened.text()
    response = await client.post(f"/web/signin/{token}", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/web"
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert int(cookie["max-age"]) == 12 * 3600
    with database.session() as session:
        stored = session.exec(select(WebSession)).one()
    assert stored.token_hash != cookie.value
    home = await client.get("/web", allow_redirects=False)
    assert home.status == 303 and home.headers["Location"] == "/web/commune/18196"
    page = await client.get("/web/commune/18196")
    assert page.status == 200 and "Xã Sơn Kim 1" in await page.text()

    again = await client.post(f"/web/signin/{token}", allow_redirects=False)
    text = await again.text()
    assert again.status == 410 and "đã được dùng" in text and "Thôn" not in text
    assert (await client.get(f"/web/signin/{token}")).status == 410


async def test_an_expired_or_forged_link_opens_nothing(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    token = link_for(database, month.members[ADMIN], web_clock)
    web_clock.advance(dt.timedelta(minutes=10, seconds=1))
    expired = await client.post(f"/web/signin/{token}", allow_redirects=False)
    assert expired.status == 410 and "hết hạn" in await expired.text()
    assert COOKIE not in expired.cookies
    forged = await client.post("/web/signin/" + "A" * 43, allow_redirects=False)
    text = await forged.text()
    assert forged.status == 404 and "không đúng" in text and "/web" in text
    assert COOKIE not in forged.cookies
    assert (await client.get("/web", allow_redirects=False)).status == 401


async def test_the_refusal_speaks_the_members_language(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    with database.session() as session:
        member = session.get(Member, month.members[VIEWER])
        assert member is not None
        member.locale = "en"
        session.add(member)
    token = link_for(database, month.members[VIEWER], web_clock)
    web_clock.advance(dt.timedelta(hours=1))
    response = await client.get(f"/web/signin/{token}")
    assert response.status == 410 and "expired" in (await response.text()).lower()


async def test_the_session_ends_on_sign_out_and_after_12_hours(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[MEMBER], web_clock)
    assert (await client.get("/web", allow_redirects=False)).status == 303
    out = await client.post("/web/signout", data={FIELD: form_token(client)})
    assert out.status == 200
    assert (await client.get("/web", allow_redirects=False)).status == 401

    await sign_in(client, database, month.members[MEMBER], web_clock)
    web_clock.advance(dt.timedelta(hours=12, seconds=1))
    assert (await client.get("/web", allow_redirects=False)).status == 401


def form_token(client: TestClient) -> str:
    """The CSRF token of the client's web session, as its pages' forms carry it."""
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/web")).get(COOKIE)
    assert cookie is not None
    return token_for(cookie.value)


async def test_sign_out_needs_a_post_with_the_sessions_form_token(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[ADMIN], web_clock)
    page = await client.get("/web/commune/18196")
    assert f'name="{FIELD}" value="{form_token(client)}"' in await page.text()  # the sign-out form carries it
    assert (await client.get("/web/signout")).status == 405
    assert (await client.post("/web/signout")).status == 403
    assert (await client.post("/web/signout", data={FIELD: "0" * 64})).status == 403
    assert (await client.post("/web/signout", data={FIELD: token_for("another session")})).status == 403
    assert (await client.get("/web", allow_redirects=False)).status == 303  # still signed in
    with database.session() as session:
        assert all(row.ended_at is None for row in session.exec(select(WebSession)))
    out = await client.post("/web/signout", data={FIELD: form_token(client)})
    assert out.status == 200 and "Bạn đã đăng xuất" in await out.text()
    assert (await client.get("/web", allow_redirects=False)).status == 401


@pytest.mark.parametrize("public_url", ["https://bdhvs.example.vn"])
async def test_the_cookie_is_secure_behind_https(
    database: Database, month: Month, web_clock: FixedClock, public_url: str
) -> None:
    app = web.Application()
    add_leaders_routes(app, database, web_config(database, public_url), web_clock, lambda: (BOT_TOKEN,))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        token = link_for(database, month.members[ADMIN], web_clock)
        response = await client.post(f"/web/signin/{token}", allow_redirects=False)
        assert response.status == 303
        assert response.cookies[COOKIE]["secure"]


@pytest.mark.parametrize(("person", "command"), [(LEADER, "/tiendo"), (ADMIN, "/baocao"), (VIEWER, "/tinh")])
def test_the_dashboard_button_beside_progress_and_reports_gives_the_link(
    database: Database, month: Month, web_clock: FixedClock, person: int, command: str
) -> None:
    chat = ChatDriver(ConversationEngine(database, web_config(database), web_clock, route), database)
    answer = chat.say(person, command)[-1]
    assert "🌐 Mở bảng theo dõi" in [b.label for b in answer.buttons]
    reply = chat.press(person, answer, "Mở bảng theo dõi")[-1]
    assert PUBLIC_URL + "/web/signin/" in reply.text


def test_no_dashboard_button_in_a_group(database: Database, month: Month, web_clock: FixedClock) -> None:
    chat = ChatDriver(ConversationEngine(database, web_config(database), web_clock, route), database)
    incoming = Incoming(
        channel="telegram", update_id="g2", user_id=str(LEADER), chat_id="-100500", chat_type="group", text="/tiendo"
    )
    for sent in chat.send(incoming):
        assert "🌐 Mở bảng theo dõi" not in [b.label for b in sent.buttons]
