"""The fake Zalo Bot API on its own: what it answers, and how it plays the user side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.sandbox.fake_zalo import FakeZalo

USER = "e4ea2cd5189df1c3a88c"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake


async def call(fake: FakeZalo, method: str, **params: object) -> tuple[int, dict]:
    url = f"{fake.base_url}{fake.token}/{method}"
    async with aiohttp.ClientSession() as client, client.post(url, json=params) as response:
        return response.status, await response.json()


async def test_get_me_and_a_wrong_token(fake: FakeZalo) -> None:
    status, body = await call(fake, "getMe")
    assert status == 200 and body["ok"] and body["result"]["account_name"] == "bot.bdhvs"
    async with aiohttp.ClientSession() as client, client.post(f"{fake.base_url}1:nope/getMe", json={}) as response:
        assert response.status == 401 and (await response.json())["error_code"] == 401


async def test_get_updates_one_at_a_time_wrapped_and_408_when_empty(fake: FakeZalo) -> None:
    status, body = await call(fake, "getUpdates", timeout=0)
    assert status == 408 and body == {"ok": False, "error_code": 408, "description": "Request timeout"}
    first = fake.user_says(USER, "một", display_name="Anh A")
    fake.user_says(USER, "hai")
    status, body = await call(fake, "getUpdates", timeout=30)
    assert status == 200 and body["ok"] is True
    update = body["result"]
    assert update["event_name"] == "message.text.received"
    message = update["message"]
    assert message["message_id"] == first and message["text"] == "một"
    assert message["from"] == {"id": USER, "display_name": "Anh A", "is_bot": False}
    assert message["chat"] == {"id": USER, "chat_type": "PRIVATE"} and message["date"] > 10**12
    assert (await call(fake, "getUpdates", timeout="5"))[1]["result"]["message"]["text"] == "hai"
    waiting = asyncio.create_task(call(fake, "getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    fake.user_sends_sticker(USER)
    status, body = await waiting  # the long poll answers as soon as something comes
    assert body["result"]["event_name"] == "message.sticker.received"


async def test_send_message_limits_and_chats(fake: FakeZalo) -> None:
    fake.add_user(USER, "Chị Mai")
    status, body = await call(fake, "sendMessage", chat_id=USER, text="x" * 2000)
    assert status == 200 and body["result"]["message_id"]
    assert (await call(fake, "sendMessage", chat_id=USER, text="x" * 2001))[0] == 400
    assert (await call(fake, "sendMessage", chat_id=USER, text="😀" * 1001))[0] == 400  # 2,002 UTF-16 units
    assert (await call(fake, "sendMessage", chat_id=USER, text=""))[0] == 400
    assert (await call(fake, "sendMessage", chat_id="nobody", text="hi"))[0] == 400
    fake.block(USER)
    assert (await call(fake, "sendMessage", chat_id=USER, text="hi"))[0] == 403
    assert fake.bot_texts(USER) == ["x" * 2000]


async def test_send_photo_by_url_and_chat_action(fake: FakeZalo) -> None:
    fake.add_user(USER)
    status, _ = await call(fake, "sendPhoto", chat_id=USER, photo="https://example.vn/a.png", caption="Biểu đồ")
    assert status == 200
    assert (await call(fake, "sendPhoto", chat_id=USER, photo="not a url"))[0] == 400
    assert fake.last_bot_message(USER)["photo"] == "https://example.vn/a.png"  # type: ignore[index]
    assert (await call(fake, "sendChatAction", chat_id=USER, action="typing"))[0] == 200
    assert fake.typing(USER)


async def test_rate_limit_answers_429() -> None:
    async with FakeZalo(rate_limit_per_second=2.0, rate_limit_burst=2.0) as fake:
        fake.add_user(USER)
        statuses = [(await call(fake, "sendMessage", chat_id=USER, text=str(n)))[0] for n in range(4)]
        assert statuses[:2] == [200, 200] and 429 in statuses[2:] and fake.rate_limited_count >= 1


async def test_webhook_delivery_with_the_secret_and_retries() -> None:
    seen: list[tuple[str, dict]] = []
    fail_first = [True]

    async def hook(request: web.Request) -> web.Response:
        seen.append((request.headers.get("X-Bot-Api-Secret-Token", ""), await request.json()))
        if fail_first[0]:
            fail_first[0] = False
            return web.Response(status=500)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/zalo/webhook", hook)
    async with TestServer(app, host="127.0.0.1") as server, FakeZalo(webhook_retry_delay=0.01) as fake:
        hook_url = str(server.make_url("/zalo/webhook"))
        assert (await call(fake, "setWebhook", url=hook_url, secret_token="short"))[0] == 400
        status, body = await call(fake, "setWebhook", url=hook_url, secret_token="s3cret-token")
        assert status == 200 and body["result"]["url"].endswith("/zalo/webhook")
        assert (await call(fake, "getUpdates", timeout=0))[0] == 409  # webhook and polling exclude each other
        message_id = fake.user_says(USER, "qua webhook")
        await fake.wait_until_delivered(message_id)
        assert [secret for secret, _ in seen] == ["s3cret-token", "s3cret-token"]  # retried after the 500
        assert seen[-1][1]["message"]["text"] == "qua webhook"
        assert (await call(fake, "getWebhookInfo"))[1]["result"]["url"].endswith("/zalo/webhook")
        await call(fake, "deleteWebhook")
        assert fake.webhook_url is None


async def test_group_messages_reach_the_bot_only_when_they_mention_it(fake: FakeZalo) -> None:
    fake.add_group("g1")
    fake.user_says(USER, "chuyện phiếm", chat_id="g1", mention=False)
    fake.user_says(USER, "/tuannay", chat_id="g1")
    _status, body = await call(fake, "getUpdates", timeout=0)
    message = body["result"]["message"]
    assert message["chat"] == {"id": "g1", "chat_type": "GROUP"} and message["text"] == "@Bình dân học vụ số /tuannay"
    assert (await call(fake, "getUpdates", timeout=0))[0] == 408
    assert [m["text"] for m in fake.messages("g1")] == ["chuyện phiếm", "@Bình dân học vụ số /tuannay"]


# ---------------------------------------------------------------------------------- groups

LAN, HUNG = "zalo-lan-0001", "zalo-hung-0002"


async def next_update(fake: FakeZalo) -> dict | None:
    status, body = await call(fake, "getUpdates", timeout=0)
    return body["result"] if status == 200 else None


async def test_a_group_made_with_members_and_the_bot_added_later(fake: FakeZalo) -> None:
    group = fake.create_group("Tổ CNSCĐ Thôn 2", members=[LAN, HUNG])
    assert fake.group(group) == {"id": group, "name": "Tổ CNSCĐ Thôn 2", "members": [LAN, HUNG], "bot_in": False}
    assert fake.user_says(LAN, "/nhom", chat_id=group) is None  # the bot is not there yet
    assert (await call(fake, "sendMessage", chat_id=group, text="chào"))[0] == 403
    fake.bot_added_to_group(group, by_user_id=LAN)  # Zalo tells the bot nothing of it
    assert await next_update(fake) is None
    said = fake.user_says(LAN, "/nhom", chat_id=group)
    update = await next_update(fake)
    assert update is not None and update["message"]["message_id"] == said
    assert update["event_name"] == "message.text.received"
    assert update["message"]["chat"] == {"id": group, "chat_type": "GROUP", "display_name": "Tổ CNSCĐ Thôn 2"}
    assert update["message"]["text"] == "@Bình dân học vụ số /nhom"
    assert (await call(fake, "sendMessage", chat_id=group, text="Chào cả tổ"))[0] == 200
    with pytest.raises(ValueError, match="user_joins_group"):
        fake.user_says("zalo-stranger", "chào", chat_id=group)
    fake.user_joins_group(group, "zalo-stranger", display_name="Bác Tư")
    assert fake.user_says("zalo-stranger", "chào", chat_id=group) is not None
    assert (await call(fake, "sendMessage", chat_id="zalo-stranger", text="riêng"))[0] == 400  # no private chat


async def test_only_mentions_and_replies_to_the_bot_reach_it_in_a_group(fake: FakeZalo) -> None:
    group = fake.create_group("Tổ CNSCĐ Thôn 2", members=[LAN, HUNG])
    fake.bot_added_to_group(group, by_user_id=LAN)
    assert fake.user_says(HUNG, "chiều nay họp nhé", chat_id=group, mention=False) is None
    lan_said = fake.user_says(LAN, "@Bình dân học vụ số thôn 2 học VNeID 12 người", chat_id=group, mention=False)
    assert lan_said is None  # typed, not picked as a mention: the flag says what the app sent
    asked = fake.user_says(LAN, "thôn 2 học VNeID 12 người", chat_id=group)
    assert asked is not None and await next_update(fake)
    _status, body = await call(fake, "sendMessage", chat_id=group, text="1. Đúng\n2. Sửa")
    bot_message = body["result"]["message_id"]
    assert fake.user_says(HUNG, "ok", chat_id=group, mention=False, reply_to=asked) is None  # a reply to Lan
    answer = fake.user_says(LAN, "1", chat_id=group, mention=False, reply_to=bot_message)
    update = await next_update(fake)
    assert update is not None and update["message"]["message_id"] == answer
    assert update["message"]["text"] == "1" and update["message"]["quote_message_id"] == bot_message
    transcript = fake.group_transcript(group)
    assert [(m.get("text"), m.get("delivered")) for m in transcript if m["sender"] == "user"][:2] == [
        ("chiều nay họp nhé", False),
        ("@Bình dân học vụ số thôn 2 học VNeID 12 người", False),
    ]


async def test_photos_and_stickers_in_a_group_reach_the_bot_only_as_replies_to_it(fake: FakeZalo) -> None:
    group = fake.create_group("Tổ", members=[LAN])
    fake.bot_added_to_group(group, by_user_id=LAN)
    assert fake.user_sends_photo(LAN, url="https://zalo.example/a.jpg", chat_id=group) is None
    assert fake.user_sends_sticker(LAN, chat_id=group) is None
    _status, body = await call(fake, "sendMessage", chat_id=group, text="Gửi ảnh buổi học vào đây nhé")
    bot_message = body["result"]["message_id"]
    photo = fake.user_sends_photo(LAN, url="https://zalo.example/b.jpg", chat_id=group, reply_to=bot_message)
    update = await next_update(fake)
    assert update is not None and update["message"]["message_id"] == photo
    assert update["event_name"] == "message.image.received"
    assert fake.user_sends_sticker(LAN, chat_id=group, reply_to=bot_message) is not None


async def test_a_removed_bot_hears_nothing_and_cannot_send(fake: FakeZalo) -> None:
    group = fake.create_group("Xã Sơn Kim 1", members=[LAN])
    fake.bot_added_to_group(group, by_user_id=LAN)
    fake.bot_removed_from_group(group, by_user_id=LAN)
    assert fake.group(group)["bot_in"] is False
    status, body = await call(fake, "sendMessage", chat_id=group, text="còn ai không")
    assert status == 403 and body["ok"] is False
    assert fake.user_says(LAN, "/nhom", chat_id=group) is None
    fake.user_leaves_group(group, LAN)
    assert fake.group(group)["members"] == []
