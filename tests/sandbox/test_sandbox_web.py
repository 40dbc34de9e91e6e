"""The sandbox page's JSON API, with aiohttp's test client; the bot side is a PTB Bot on the same fake."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import telegram
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox import FakeTelegram
from bot.sandbox.web import (
    EXAMPLE_PERSONAS,
    SANDBOX_KEY,
    STATIC_DIR,
    add_sandbox_routes,
)

from .echo_bot import tiny_png

LAN = EXAMPLE_PERSONAS[0]["user_id"]


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[FakeTelegram, TestClient, telegram.Bot]]:
    """One app serving the Bot API and the page, as ``bdhvs run`` does without a token."""
    fake = FakeTelegram()
    app = web.Application()
    fake.add_route(app)
    add_sandbox_routes(app, fake, EXAMPLE_PERSONAS, long_poll_seconds=0.3)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        base_url = str(client.make_url("/bot"))
        async with telegram.Bot(fake.token, base_url=base_url) as bot:
            yield fake, client, bot


async def chat(client: TestClient, user_id: int, version: int = -1) -> dict:
    response = await client.get("/sandbox/api/chat", params={"user_id": user_id, "version": version})
    assert response.status == 200
    return await response.json()


async def test_page_and_assets_are_served_without_external_urls(sandbox) -> None:
    _, client, _ = sandbox
    page = await client.get("/")
    assert page.status == 200
    html = await page.text()
    assert "<title>bdhvs-bot — Thử trò chuyện với bot</title>" in html
    for testid in ("chat-input", "chat-send"):
        assert f'data-testid="{testid}"' in html
    for name, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        response = await client.get(f"/sandbox/static/{name}")
        assert response.status == 200 and kind in response.headers["Content-Type"]
    assert (await client.get("/sandbox/static/secret.py")).status == 404
    # no CDN, no web font: the machine may have no internet
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']https?://""", text), path.name
        assert "@import" not in text and "fonts.googleapis" not in text


async def test_personas_and_newcomers(sandbox) -> None:
    _, client, bot = sandbox
    personas = await (await client.get("/sandbox/api/personas")).json()
    assert [p["user_id"] for p in personas] == [p["user_id"] for p in EXAMPLE_PERSONAS]
    assert {"user_id", "name", "role", "area"} <= set(personas[0])
    # the demo people have opened the chat: the bot may write first (a reminder)
    await bot.send_message(LAN, "Nhắc: tuần này thôn chưa ghi buổi nào")

    newcomer = await (await client.post("/sandbox/api/personas/new")).json()
    assert newcomer["is_new"] is True
    assert newcomer["user_id"] not in {p["user_id"] for p in personas}
    second = await (await client.post("/sandbox/api/personas/new")).json()
    assert second["user_id"] != newcomer["user_id"]
    listed = await (await client.get("/sandbox/api/personas")).json()
    assert [p["user_id"] for p in listed[-2:]] == [newcomer["user_id"], second["user_id"]]

    sent = await client.post("/sandbox/api/send", json={"user_id": newcomer["user_id"], "text": "/start MOI123"})
    assert sent.status == 200
    (update,) = await bot.get_updates()
    assert update.message.text == "/start MOI123"
    assert update.message.from_user.id == newcomer["user_id"]


async def test_send_makes_a_user_update_with_the_persona_name(sandbox) -> None:
    _, client, bot = sandbox
    response = await client.post("/sandbox/api/send", json={"user_id": LAN, "text": "Tuần này có 2 buổi"})
    assert response.status == 200
    body = await response.json()
    (update,) = await bot.get_updates()
    assert update.update_id == body["update_id"]
    assert update.message.text == "Tuần này có 2 buổi"
    assert update.message.from_user.first_name == EXAMPLE_PERSONAS[0]["name"]
    assert update.message.from_user.language_code == "vi"

    for bad in ({"user_id": LAN, "text": "  "}, {"user_id": "x", "text": "a"}, {"user_id": LAN, "text": "a" * 4097}):
        assert (await client.post("/sandbox/api/send", json=bad)).status == 400


async def test_chat_long_poll_returns_when_the_bot_answers(sandbox) -> None:
    fake, client, bot = sandbox
    await client.post("/sandbox/api/send", json={"user_id": LAN, "text": "xin chào"})
    first = await chat(client, LAN)
    assert [m["sender"] for m in first["messages"]] == ["user"]

    client.server.app[SANDBOX_KEY].long_poll_seconds = 20
    started = time.monotonic()
    poll = asyncio.create_task(chat(client, LAN, first["version"]))
    await fake.wait_for(lambda: fake.chat_waiters == 1, what="the page's long poll to park")
    await bot.send_message(
        LAN,
        "<b>Chào</b> chị Lan",
        parse_mode="HTML",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Ghi buổi", callback_data="log")]]),
    )
    second = await asyncio.wait_for(poll, 5)  # woken by the answer, long before 20 s
    assert second["version"] > first["version"]
    bot_message = second["messages"][-1]
    assert bot_message["sender"] == "bot"
    assert bot_message["text"] == "Chào chị Lan"
    assert bot_message["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert bot_message["buttons"] == [[{"text": "Ghi buổi", "callback_data": "log"}]]
    assert time.monotonic() - started < 5
    client.server.app[SANDBOX_KEY].long_poll_seconds = 0.3

    # an unchanged chat waits for the long-poll timeout (0.3 s here), then answers the same version
    unchanged = await chat(client, LAN, second["version"])
    assert unchanged["version"] == second["version"]
    # a stale version answers at once
    stale = await asyncio.wait_for(chat(client, LAN, first["version"]), 5)
    assert stale["version"] == second["version"]


async def test_press_edit_and_notice(sandbox) -> None:
    fake, client, bot = sandbox
    fake.user_says(LAN, "/ghi")
    sent = await bot.send_message(
        LAN, "Bao nhiêu người?", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("12", callback_data="n:12")]])
    )
    response = await client.post(
        "/sandbox/api/press", json={"user_id": LAN, "message_id": sent.message_id, "callback_data": "n:12"}
    )
    assert response.status == 200
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query.data == "n:12" and query.message.message_id == sent.message_id
    await query.answer("Đã lưu 12 người")
    await bot.edit_message_text("Đã lưu: 12 người", chat_id=LAN, message_id=sent.message_id)

    view = await chat(client, LAN)
    edited = view["messages"][-1]
    assert edited["edited"] is True and edited["buttons"] == []
    assert view["notices"][-1]["text"] == "Đã lưu 12 người"

    missing = await client.post("/sandbox/api/press", json={"user_id": LAN, "message_id": 999, "callback_data": "x"})
    assert missing.status == 404


async def test_photo_upload_and_files(sandbox) -> None:
    fake, client, bot = sandbox
    png = tiny_png(6, 4)
    form = aiohttp.FormData()
    form.add_field("user_id", str(LAN))
    form.add_field("caption", "Ảnh buổi học")
    form.add_field("photo", png, filename="buoi-hoc.png", content_type="image/png")
    response = await client.post("/sandbox/api/photo", data=form)
    assert response.status == 200
    (update,) = await bot.get_updates()
    assert update.message.caption == "Ảnh buổi học"
    assert fake.file(update.message.photo[-1].file_id).data == png

    await bot.send_document(LAN, b"a,b\n1,2\n", filename="bao-cao.csv")
    view = await chat(client, LAN)
    photo, document = view["messages"][-2:]
    assert photo["photo"]["width"] == 6
    served = await client.get(photo["photo"]["url"])
    assert served.status == 200 and await served.read() == png
    assert document["document"]["file_name"] == "bao-cao.csv"
    download = await client.get(document["document"]["url"])
    assert await download.read() == b"a,b\n1,2\n"
    assert "attachment" in download.headers["Content-Disposition"]
    assert (await client.get("/sandbox/api/file/nope")).status == 404


async def test_commands_and_typing_reach_the_page(sandbox) -> None:
    _, client, bot = sandbox
    await bot.set_my_commands([telegram.BotCommand("ghi", "Ghi buổi sinh hoạt")], language_code="vi")
    await bot.send_chat_action(LAN, "typing")
    view = await chat(client, LAN)
    assert view["commands"] == [{"command": "ghi", "description": "Ghi buổi sinh hoạt"}]
    assert view["typing"] is True
    await bot.send_message(LAN, "Xong")
    assert (await chat(client, LAN))["typing"] is False


async def test_a_file_that_is_not_a_picture_is_sent_as_a_document(sandbox) -> None:
    fake, client, bot = sandbox
    form = aiohttp.FormData()
    form.add_field("user_id", str(LAN))
    form.add_field("photo", b"Thon\nThon 1\n", filename="thon.csv", content_type="text/csv")
    response = await client.post("/sandbox/api/photo", data=form)
    assert response.status == 200
    (update,) = await bot.get_updates()
    assert update.message.photo == () and update.message.document.file_name == "thon.csv"
    assert update.message.document.file_size == len(b"Thon\nThon 1\n")
    file = await bot.get_file(update.message.document.file_id)
    assert file.file_path.endswith(".csv") and fake.file(file.file_id).data == b"Thon\nThon 1\n"
