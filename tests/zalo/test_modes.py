"""Receiving updates: polling (getUpdates without offset, one update per call) and webhook (`POST /zalo/webhook`
with the secret header), the webhook's security, redelivery, and the adapter's reading of Zalo updates."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from sqlmodel import select

from bot.app import BotApplication
from bot.channels.update_shape import MalformedUpdate
from bot.channels.zalo import api_url, strip_mention, to_incoming
from bot.config import Config, ConfigError, load_config
from bot.messages import Button
from handlers.base import Turn
from storage.models import ProcessedUpdate
from tests.app.conftest import outbox_rows, wait_until
from tests.zalo.conftest import SECRET, ZaloApi

USER = "e4ea2cd5189df1c3a88c"
ZaloAppFactory = Callable[..., Awaitable[BotApplication]]


def echo(turn: Turn) -> None:
    """A tiny router: echo text, with two choices; say which choice was answered."""
    if turn.incoming.payload:
        turn.say(f"chose {turn.incoming.payload} ({turn.incoming.button_label})")
    elif turn.incoming.photo_file_id:
        turn.say(f"photo {turn.incoming.photo_file_id} {turn.text}".strip())
    else:
        turn.say(f"echo: {turn.text}", [[Button("Hôm nay (25/11)", "d:today"), Button("Hôm qua (24/11)", "d:yday")]])


def update(text: str, message_id: str = "16f6366b3f02645a3d15", user: str = USER, **chat: str) -> dict:
    return {
        "event_name": "message.text.received",
        "message": {
            "from": {"id": user, "display_name": "Nguyen Van A", "is_bot": False},
            "chat": {"id": chat.get("id", user), "chat_type": chat.get("chat_type", "PRIVATE")},
            "text": text,
            "message_id": message_id,
            "date": 1766619597466,
        },
    }


async def test_polling_one_update_per_call_and_answers_by_number(
    make_zalo_app: ZaloAppFactory, zalo_api: ZaloApi
) -> None:
    fake = zalo_api.fake
    app = await make_zalo_app(router=echo)
    assert app.zalo is not None and app.zalo.mode == "polling"
    assert fake.calls_to("deleteWebhook") and fake.webhook_url is None
    fake.user_says(USER, "xin chào")
    [reply] = await fake.wait_for_bot_messages(USER, 1)
    assert reply["text"] == "echo: xin chào\n\n1. Hôm nay (25/11)\n2. Hôm qua (24/11)\nBạn trả lời bằng số, ví dụ 1."
    for answer, chosen in (("2", "d:yday"), ("Số 1", "d:today"), ("so 2", "d:yday"), ("hom qua", "d:yday")):
        fake.user_says(USER, answer)
        messages = await fake.wait_for_bot_messages(USER, len(fake.bot_messages(USER)) + 1)
        assert messages[-1]["text"].startswith(f"chose {chosen}")
    # every getUpdates call carries no offset, and the fake hands out one update per call
    assert all("offset" not in params for params in fake.calls_to("getUpdates"))


async def test_polling_survives_408_and_server_errors(make_zalo_app: ZaloAppFactory, zalo_api: ZaloApi) -> None:
    fake, faults = zalo_api.fake, zalo_api.faults
    faults.add("getUpdates", 408, "Request timeout", times=2)
    faults.add("getUpdates", 502, "Bad Gateway", times=1)
    app = await make_zalo_app(router=echo)
    fake.user_says(USER, "vẫn tới")
    [reply] = await fake.wait_for_bot_messages(USER, 1, timeout=10)
    assert reply["text"].startswith("echo: vẫn tới")
    assert app.zalo is not None


async def test_webhook_mode_end_to_end_with_redelivery(make_zalo_app: ZaloAppFactory, zalo_api: ZaloApi) -> None:
    fake = zalo_api.fake
    app = await make_zalo_app(mode="webhook", router=echo)
    assert fake.webhook_url == f"{app.config.public_url}/zalo/webhook"
    [call] = fake.calls_to("setWebhook")
    assert call == {"url": f"{app.config.public_url}/zalo/webhook", "secret_token": SECRET}
    assert not fake.calls_to("getUpdates")
    message_id = fake.user_says(USER, "qua webhook")
    [reply] = await fake.wait_for_bot_messages(USER, 1)
    assert reply["text"].startswith("echo: qua webhook")
    fake.user_says(USER, "1")
    await fake.wait_for_bot_messages(USER, 2)
    fake.redeliver(message_id)  # Zalo calls again: the engine knows the message_id
    await wait_until(lambda: fake.delivered.count(message_id) == 2, what="the second delivery")
    assert await app.sender.drain()
    assert len(fake.bot_messages(USER)) == 2
    assert all(attempt.get("status") == 200 for attempt in fake.webhook_attempts)


async def test_webhook_refuses_a_wrong_or_missing_secret(make_zalo_app: ZaloAppFactory, zalo_api: ZaloApi) -> None:
    app = await make_zalo_app(mode="webhook", router=echo)
    zalo_api.fake.add_user(USER)
    url = f"{app.web_url}/zalo/webhook"
    body = update("trực tiếp")
    async with aiohttp.ClientSession() as client:
        for headers in (
            {},
            {"X-Bot-Api-Secret-Token": "wrong-secret-123"},
            {"X-Bot-Api-Secret-Token": SECRET[:-1]},
            {"X-Bot-Api-Secret-Token": SECRET + "x"},
            {"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ):
            async with client.post(url, json=body, headers=headers) as response:
                assert response.status == 403, headers
        good = {"X-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        for garbage in (b"not json", b"[1, 2]", json.dumps({"event_name": "x"}).encode()):
            async with client.post(url, data=garbage, headers=good) as response:
                assert response.status == 400, garbage
        with app.database.session() as session:
            assert session.exec(select(ProcessedUpdate)).all() == []  # nothing refused reached the engine
        assert outbox_rows(app.database) == []
        wrapped = {"ok": True, "result": update("gói trong result", message_id="m-wrapped")}
        async with client.post(url, json=wrapped, headers=good) as response:
            assert response.status == 200 and (await response.json())["ok"] is True
    [reply] = await zalo_api.fake.wait_for_bot_messages(USER, 1)
    assert reply["text"].startswith("echo: gói trong result")


def _malformed() -> list[dict]:
    """Updates that pass the secret but carry fields of the wrong type."""

    def with_message(**fields: object) -> dict:
        body = update("chào", message_id="m-bad")
        body["message"].update(fields)
        return body

    def with_sender(**fields: object) -> dict:
        body = update("chào", message_id="m-bad")
        body["message"]["from"].update(fields)
        return body

    return [
        with_message(text=5),
        with_message(chat="x"),
        with_message(**{"from": []}),
        with_message(message_id={"a": 1}),
        with_message(message_id=True),
        with_sender(id=[USER]),
        with_sender(display_name=7),
        with_sender(is_bot="no"),
        with_message(caption=3, photo="https://p/x.jpg"),
        {**update("x"), "event_name": 12},
        {"event_name": "message.image.received", "message": {**update("")["message"], "photo": [{"url": 5}]}},
    ]


@pytest.mark.parametrize("body", _malformed(), ids=lambda body: json.dumps(body)[:60])
def test_reading_a_malformed_update_names_the_field(body: dict) -> None:
    with pytest.raises(MalformedUpdate):
        to_incoming(body)


async def test_webhook_answers_400_to_wrong_types_and_no_handler_runs(
    make_zalo_app: ZaloAppFactory, zalo_api: ZaloApi, caplog: pytest.LogCaptureFixture
) -> None:
    app = await make_zalo_app(mode="webhook", router=echo)
    zalo_api.fake.add_user(USER)
    url = f"{app.web_url}/zalo/webhook"
    good = {"X-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as client:
        for body in [*_malformed(), {"message": None}, {"message": "x"}, {"ok": True, "result": {"message": 3}}]:
            async with client.post(url, json=body, headers=good) as response:
                assert response.status == 400, body
        with app.database.session() as session:
            assert session.exec(select(ProcessedUpdate)).all() == []  # nothing malformed reached the engine
        async with client.post(url, json=update("đúng dạng", message_id="m-good"), headers=good) as response:
            assert response.status == 200
    [reply] = await zalo_api.fake.wait_for_bot_messages(USER, 1)
    assert reply["text"].startswith("echo: đúng dạng")
    assert "handler failed" not in caplog.text


async def test_polling_skips_a_malformed_update_with_one_line(
    make_zalo_app: ZaloAppFactory, zalo_api: ZaloApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake = zalo_api.fake
    await make_zalo_app(router=echo)
    bad = update("x", message_id="m-polled-bad")["message"]
    bad["text"] = {"not": "text"}
    fake._enqueue("message.text.received", bad)  # what no real client sends
    fake.user_says(USER, "vẫn trả lời")
    [reply] = await fake.wait_for_bot_messages(USER, 1)
    assert reply["text"].startswith("echo: vẫn trả lời")
    skipped = [r for r in caplog.records if "malformed Zalo update" in r.getMessage()]
    assert len(skipped) == 1 and skipped[0].exc_info is None
    assert "handler failed" not in caplog.text


def test_to_incoming_reads_every_kind_of_update() -> None:
    text = to_incoming(update("Xin chào"))
    assert text is not None and (text.channel, text.update_id, text.user_id, text.chat_id, text.text) == (
        "zalo",
        "16f6366b3f02645a3d15",
        USER,
        USER,
        "Xin chào",
    )
    assert text.display_name == "Nguyen Van A" and text.chat_type == "private"
    # the getUpdates form, with no event_name and first_name instead of display_name (Zalo's own sample)
    sample = {
        "ok": True,
        "result": {
            "message": {
                "chat": {"id": "e4ea", "chat_type": "PRIVATE"},
                "text": "Hi",
                "message_id": "m1",
                "date": 1,
                "from": {"id": "e4ea", "first_name": "Nguyen Van A"},
            }
        },
    }
    incoming = to_incoming(sample)
    assert incoming is not None and incoming.text == "Hi" and incoming.display_name == "Nguyen Van A"
    photo = to_incoming(
        {
            "event_name": "message.image.received",
            "message": {
                **update("")["message"],
                "text": None,
                "photo": "https://f.zalo/p.jpg",
                "caption": "tối qua 20 người",
            },
        }
    )
    assert photo is not None and photo.photo_file_id == "https://f.zalo/p.jpg" and photo.text == "tối qua 20 người"
    for event in ("message.sticker.received", "message.voice.received", "message.unsupported.received"):
        other = to_incoming({"event_name": event, "message": {**update("")["message"], "text": None}})
        assert other is not None and other.text is None and other.photo_file_id is None
    group = to_incoming(update("@Trợ lý BDHVS 2", id="g1", chat_type="GROUP"), ("Trợ lý BDHVS",))
    assert group is not None and group.chat_type == "group" and group.chat_id == "g1" and group.text == "2"
    bot = update("echo")
    bot["message"]["from"]["is_bot"] = True
    assert to_incoming(bot) is None
    assert to_incoming({"event_name": "message.text.received"}) is None
    no_id = update("x")
    del no_id["message"]["message_id"]
    assert to_incoming(no_id).update_id == to_incoming(no_id).update_id  # type: ignore[union-attr]


def test_mentions_and_api_urls() -> None:
    assert strip_mention("@Bot BDHVS  /tuannay", ("Bot BDHVS",)) == "/tuannay"
    assert strip_mention("@bot bdhvs, 2", ("Bot BDHVS",)) == "2"
    assert strip_mention("@Chị Lan ơi", ("Bot BDHVS",)) == "@Chị Lan ơi"
    assert strip_mention("@Trợ lý số /tuannay", ()) == "/tuannay"  # the bot's name unknown: the command counts
    assert (
        api_url("https://bot-api.zaloplatforms.com/bot", "1:abc", "getMe")
        == "https://bot-api.zaloplatforms.com/bot1:abc/getMe"
    )
    assert api_url("http://127.0.0.1:9000", "1:abc", "sendMessage") == "http://127.0.0.1:9000/bot1:abc/sendMessage"
    assert api_url("http://127.0.0.1:9000/", "1:abc", "getMe") == "http://127.0.0.1:9000/bot1:abc/getMe"


def test_config_keys() -> None:
    config = load_config(
        env={
            "BDHVS_ZALO_TOKEN": "1:t",
            "BDHVS_ZALO_MODE": "webhook",
            "BDHVS_ZALO_SECRET_TOKEN": "12345678",
            "BDHVS_PUBLIC_URL": "https://x.vn",
        }
    )
    assert (config.zalo_token, config.zalo_mode, config.zalo_secret_token) == ("1:t", "webhook", "12345678")
    assert not config.sandbox
    with pytest.raises(ConfigError, match="BDHVS_ZALO_SECRET_TOKEN"):
        load_config(
            env={
                "BDHVS_ZALO_TOKEN": "1:t",
                "BDHVS_ZALO_MODE": "webhook",
                "BDHVS_PUBLIC_URL": "https://x.vn",
                "BDHVS_ZALO_SECRET_TOKEN": "short",
            }
        )
    assert Config().zalo_api_base_url.startswith("https://bot-api.zaloplatforms.com")


async def test_a_rejected_token_stops_start_up_with_the_key_named(
    make_zalo_app: ZaloAppFactory, zalo_api: ZaloApi
) -> None:
    with pytest.raises(ConfigError, match="BDHVS_ZALO_TOKEN"):
        await make_zalo_app(zalo_token="1:wrong-token")
