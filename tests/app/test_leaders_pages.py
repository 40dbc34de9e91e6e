"""The leaders' pages in the whole application: the demo commune leader types /web on the sandbox's fake
Telegram, gets a link to the bot's own server, and opening it lands on the demo commune's page."""

from __future__ import annotations

import re

import aiohttp

from bot.app import build_application
from bot.config import Config
from tests.app.conftest import FAST_LIMITS
from tests.helpers import free_port

DEMO_LEADER = 900004


async def test_web_in_the_sandbox_signs_the_demo_leader_in(db_url: str) -> None:
    port = free_port()
    config = Config(database_url=db_url, web_port=port, demo_data=True, rate_limits=FAST_LIMITS, engine_mode="thread")
    app = build_application(config)
    await app.start()
    try:
        app.fake_telegram.user_says(DEMO_LEADER, "/web")
        [reply] = await app.fake_telegram.wait_for_bot_messages(DEMO_LEADER, 1)
        match = re.search(r"http://127\.0\.0\.1:(\d+)(/web/signin/\S+)", reply["text"])
        assert match and int(match.group(1)) == port, reply["text"]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            async with client.get(f"{app.web_url}/web") as response:
                assert response.status == 401
            async with client.post(f"{app.web_url}{match.group(2)}") as response:
                assert response.status == 200 and str(response.url).startswith(f"{app.web_url}/web/commune/")
                assert 'data-testid="heatmap"' in await response.text()
            async with client.get(f"{app.web_url}/web/static/leaders.css") as response:
                assert response.status == 200 and response.content_type == "text/css"
    finally:
        await app.stop()


async def test_the_sandbox_page_links_each_demo_person_to_their_dashboard(db_url: str) -> None:
    """«🌐 Bảng theo dõi» on the sandbox page: a one-time link made on click for the person chosen; a newcomer
    who has not joined gets a 404 and no link."""
    port = free_port()
    config = Config(database_url=db_url, web_port=port, demo_data=True, rate_limits=FAST_LIMITS, engine_mode="thread")
    app = build_application(config)
    await app.start()
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            async with client.get(f"{app.web_url}/") as response:
                assert 'data-testid="open-dashboard"' in await response.text()
            async with client.post(f"{app.web_url}/sandbox/api/dashboard", json={"user_id": DEMO_LEADER}) as response:
                assert response.status == 200
                url = app.web_url + (await response.json())["url"]
            assert url.startswith(f"{app.web_url}/web/signin/")
            async with client.get(url) as response:  # the page that posts the link (a browser presses it)
                assert response.status == 200
            async with client.post(url) as response:
                assert response.status == 200 and str(response.url).startswith(f"{app.web_url}/web/commune/")
            async with client.post(f"{app.web_url}/sandbox/api/dashboard", json={"user_id": 123456789}) as response:
                assert response.status == 404 and "chưa tham gia" in (await response.json())["error"]
    finally:
        await app.stop()
