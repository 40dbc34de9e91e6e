"""The Telegram Mini App sign-in: initData checked with the bot token as Telegram documents."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient

from bot.clock import FixedClock
from bot.webpages.initdata import telegram_user_id
from bot.webpages.routes import COOKIE
from storage.db import Database
from tests.reports.conftest import ADMIN, Month
from tests.web.conftest import BOT_TOKEN

NOW = dt.datetime(2026, 11, 19, 2, 30, tzinfo=dt.UTC)


def init_data(user_id: int, signed_at: dt.datetime, token: str = BOT_TOKEN, **extra: str) -> str:
    """initData as Telegram builds it, signed independently of the code under test (the documented recipe)."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Lan", "language_code": "vi"}, separators=(",", ":")),
        "auth_date": str(int(signed_at.timestamp())),
        **extra,
    }
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def test_a_correctly_signed_init_data_names_its_user() -> None:
    assert telegram_user_id(init_data(5001, NOW - dt.timedelta(minutes=1)), BOT_TOKEN, NOW) == "5001"


def test_a_wrongly_signed_or_altered_init_data_is_refused() -> None:
    assert telegram_user_id(init_data(5001, NOW, token="999:OTHER-BOT"), BOT_TOKEN, NOW) is None
    good = init_data(5001, NOW)
    assert telegram_user_id(good.replace("5001", "5002"), BOT_TOKEN, NOW) is None  # another user, same hash
    assert telegram_user_id(good + "&hash=00", BOT_TOKEN, NOW) is None  # a key twice
    without_hash = "&".join(p for p in good.split("&") if not p.startswith("hash="))
    assert telegram_user_id(without_hash, BOT_TOKEN, NOW) is None
    assert telegram_user_id("not data at all", BOT_TOKEN, NOW) is None


def test_an_init_data_older_than_12_hours_is_refused() -> None:
    assert telegram_user_id(init_data(5001, NOW - dt.timedelta(hours=11, minutes=59)), BOT_TOKEN, NOW) == "5001"
    assert telegram_user_id(init_data(5001, NOW - dt.timedelta(hours=12, seconds=1)), BOT_TOKEN, NOW) is None
    assert telegram_user_id(init_data(5001, NOW + dt.timedelta(hours=1)), BOT_TOKEN, NOW) is None


async def test_the_mini_app_signs_a_member_in(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    page = await client.get("/web/miniapp")
    assert page.status == 200 and "tgWebAppData" in await page.text()
    signed = init_data(ADMIN, web_clock.now() - dt.timedelta(minutes=2))
    response = await client.post("/web/miniapp", data={"init_data": signed}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/web"
    assert response.cookies[COOKIE]["httponly"]
    home = await client.get("/web", allow_redirects=False)
    assert home.headers["Location"] == "/web/commune/18196"


async def test_the_mini_app_refuses_a_wrong_signature_a_stale_one_and_a_stranger(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    now = web_clock.now()
    for data in (
        init_data(ADMIN, now, token="999:OTHER-BOT"),
        init_data(ADMIN, now - dt.timedelta(hours=13)),
        init_data(424242, now),  # Telegram's, but nobody who joined
    ):
        response = await client.post("/web/miniapp", data={"init_data": data}, allow_redirects=False)
        assert response.status == 403 and COOKIE not in response.cookies
    assert (await client.get("/web", allow_redirects=False)).status == 401
