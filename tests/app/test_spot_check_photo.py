"""A spot check's photo in the whole application: the demo team lead sends a photo on the sandbox's fake
Telegram (attached to the session just saved), the demo commune admin signs in, draws the commune's recent
sessions until that one comes up, and the page shows the photo, fetched from Telegram for them."""

from __future__ import annotations

import re

import aiohttp

from bot.app import build_application
from bot.config import Config
from tests.app.conftest import FAST_LIMITS
from tests.helpers import free_port

DEMO_LEAD, DEMO_ADMIN = 900002, 900003
PICTURE = b"\x89PNG\r\n\x1a\n" + b"spot-check" * 20


async def test_the_supervisor_sees_the_photo_sent_on_telegram(db_url: str) -> None:
    config = Config(
        database_url=db_url, web_port=free_port(), demo_data=True, rate_limits=FAST_LIMITS, engine_mode="thread"
    )
    app = build_application(config)
    await app.start()
    try:
        app.fake_telegram.user_sends_photo(DEMO_LEAD, PICTURE)
        [attached] = await app.fake_telegram.wait_for_bot_messages(DEMO_LEAD, 1)
        assert attached["text"].startswith("📎 Đã đính kèm ảnh"), attached["text"]
        app.fake_telegram.user_says(DEMO_ADMIN, "/web")
        [reply] = await app.fake_telegram.wait_for_bot_messages(DEMO_ADMIN, 1)
        link = re.search(r"(/web/signin/\S+)", reply["text"])
        assert link, reply["text"]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            async with client.post(f"{app.web_url}{link.group(1)}") as response:
                commune_page = str(response.url)
                assert 'data-testid="spot-check"' in await response.text()
            base = commune_page.split("?")[0] + "/spot-check"
            photo = None
            for _ in range(10):  # each draw takes sessions never drawn before: the photo's comes up in a few
                async with client.get(base) as response:
                    page = await response.text()
                photo = re.search(r'<img src="(/web/commune/\d+/spot-check/\d+/photo/0)"', page)
                if photo:
                    break
                token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
                assert token
                async with client.post(base, data={"csrf": token.group(1)}) as response:
                    assert response.status == 200
            assert photo, "the session with the photo was never drawn"
            async with client.get(f"{app.web_url}{photo.group(1)}") as response:
                assert response.status == 200 and response.content_type == "image/png"
                assert await response.read() == PICTURE
    finally:
        await app.stop()
