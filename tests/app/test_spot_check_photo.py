"""A spot check's photo in the whole application: the demo team lead sends a photo on the sandbox's fake
Telegram or fake Zalo (attached to the session just saved), the demo commune admin signs in, draws the commune's
recent sessions until that one comes up, and the page shows the photo, fetched from the messenger for them (a
Zalo photo by its URL: only a picture, under the cap; anything else is the page saying to look in the chat)."""

from __future__ import annotations

import io
import re

import aiohttp
from PIL import Image

from bot.app import BotApplication, build_application
from bot.channels.photos import MAX_PHOTO_BYTES
from bot.config import Config
from bot.sandbox.demo import demo_zalo_id
from tests.app.conftest import FAST_LIMITS
from tests.helpers import free_port

DEMO_LEAD, DEMO_ADMIN = 900002, 900003
PICTURE = b"\x89PNG\r\n\x1a\n" + b"spot-check" * 20
SEE_IN_CHAT = "bạn xem trong nhóm chat của thôn"


def jpeg() -> bytes:
    """A real picture: a small JPEG."""
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 40, 40)).save(out, format="JPEG")
    return out.getvalue()


def demo_app(db_url: str) -> BotApplication:
    config = Config(
        database_url=db_url, web_port=free_port(), demo_data=True, rate_limits=FAST_LIMITS, engine_mode="thread"
    )
    return build_application(config)


async def drawn_photos(app: BotApplication, client: aiohttp.ClientSession) -> list[str]:
    """Sign the demo commune admin in, draw until a session with photos comes up; its photos' addresses."""
    app.fake_telegram.user_says(DEMO_ADMIN, "/web")
    [reply] = await app.fake_telegram.wait_for_bot_messages(DEMO_ADMIN, 1)
    link = re.search(r"(/web/signin/\S+)", reply["text"])
    assert link, reply["text"]
    async with client.post(f"{app.web_url}{link.group(1)}") as response:
        commune_page = str(response.url)
        assert 'data-testid="spot-check"' in await response.text()
    base = commune_page.split("?")[0] + "/spot-check"
    for _ in range(10):  # each draw takes sessions never drawn before: the photo's comes up in a few
        async with client.get(base) as response:
            page = await response.text()
        photos = re.findall(r'<img src="(/web/commune/\d+/spot-check/\d+/photo/\d+)"', page)
        if photos:
            return [f"{app.web_url}{photo}" for photo in photos]
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        assert token
        async with client.post(base, data={"csrf": token.group(1)}) as response:
            assert response.status == 200
    raise AssertionError("the session with the photo was never drawn")


async def test_the_supervisor_sees_the_photo_sent_on_telegram(db_url: str) -> None:
    app = demo_app(db_url)
    await app.start()
    try:
        app.fake_telegram.user_sends_photo(DEMO_LEAD, PICTURE)
        [attached] = await app.fake_telegram.wait_for_bot_messages(DEMO_LEAD, 1)
        assert attached["text"].startswith("📎 Đã đính kèm ảnh"), attached["text"]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            [photo] = await drawn_photos(app, client)
            async with client.get(photo) as response:
                assert response.status == 200 and response.content_type == "image/png"
                assert await response.read() == PICTURE
    finally:
        await app.stop()


async def test_a_zalo_photo_is_served_from_the_bots_address_only_when_it_is_a_picture(db_url: str) -> None:
    picture = jpeg()
    app = demo_app(db_url)
    await app.start()
    try:
        lead = demo_zalo_id(DEMO_LEAD)
        sent = [
            app.fake_zalo.user_sends_photo(lead, picture),  # a real picture, served by the fake at its own URL
            app.fake_zalo.user_sends_photo(lead, b"<html><body>not a photo</body></html>", mime_type="text/html"),
            app.fake_zalo.user_sends_photo(lead, picture + b"\0" * MAX_PHOTO_BYTES),  # over the cap
            app.fake_zalo.user_sends_photo(lead, url=f"http://127.0.0.1:{free_port()}/photo.jpg"),  # nobody there
            app.fake_zalo.user_sends_photo(lead, b"<svg/>", mime_type="image/jpeg"),  # says image, is not one
            app.fake_zalo.user_sends_photo(lead, url="file:///etc/passwd"),  # not http
        ]
        replies = await app.fake_zalo.wait_for_bot_messages(lead, len(sent))
        assert all(r["text"].startswith("📎 Đã đính kèm ảnh") for r in replies), [r["text"] for r in replies]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            photos = await drawn_photos(app, client)
            assert len(photos) == len(sent)
            async with client.get(photos[0]) as response:
                assert response.status == 200 and response.content_type == "image/jpeg"
                assert response.headers["X-Content-Type-Options"] == "nosniff"
                assert await response.read() == picture
            for refused in photos[1:]:
                async with client.get(refused) as response:
                    assert response.status == 404, refused
                    assert response.content_type == "text/html"
                    assert SEE_IN_CHAT in await response.text(), refused
    finally:
        await app.stop()
