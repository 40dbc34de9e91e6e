"""Webhook mode: the fake Bot API posts updates to our server; the route checks the secret and the body."""

from __future__ import annotations

import json

import aiohttp
import pytest
from sqlmodel import select

from bot.channels.channel import secret_matches
from bot.channels.telegram import SECRET_HEADER, to_incoming
from bot.channels.update_shape import MalformedUpdate
from storage.models import ProcessedUpdate
from tests.app.conftest import AppFactory, FakeApi, free_port

SECRET = "s3cret-Token_for-tests"


async def test_webhook_end_to_end(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    port = free_port()
    app = await make_app(
        telegram_mode="webhook", telegram_secret_token=SECRET, web_port=port, public_url=f"http://127.0.0.1:{port}"
    )
    assert fake.webhook_url == f"http://127.0.0.1:{port}/telegram/webhook"
    assert app.web_url == f"http://127.0.0.1:{port}"
    assert not fake.calls_to("getUpdates")

    update_id = fake.user_says(1201, "qua webhook")
    [reply] = await fake.wait_for_bot_messages(1201, 1)
    assert reply["text"] == "echo: qua webhook"
    fake.user_presses(1201, reply["message_id"], "again")
    messages = await fake.wait_for_bot_messages(1201, 2)
    assert messages[1]["text"] == "pressed: again"

    fake.redeliver(update_id)  # Telegram resends what it thinks was not acknowledged
    await fake.wait_until_acknowledged(update_id)
    assert await app.sender.drain()
    assert len(fake.bot_messages(1201)) == 2
    assert all(attempt.get("status") == 200 for attempt in fake.webhook_attempts)


async def test_webhook_rejects_wrong_secret_and_garbage(make_app: AppFactory, fake_api: FakeApi) -> None:
    port = free_port()
    app = await make_app(
        telegram_mode="webhook", telegram_secret_token=SECRET, web_port=port, public_url=f"http://127.0.0.1:{port}"
    )
    url = f"{app.web_url}/telegram/webhook"
    update = {
        "update_id": 777001,
        "message": {
            "message_id": 5,
            "date": 1764039600,
            "text": "trực tiếp",
            "chat": {"id": 1202, "type": "private", "first_name": "Minh"},
            "from": {"id": 1202, "is_bot": False, "first_name": "Minh", "language_code": "vi"},
        },
    }
    fake_api.fake.add_user(1202, "Minh")
    good = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as client:
        async with client.post(url, json=update) as response:
            assert response.status == 403
        async with client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as response:
            assert response.status == 403
        for body in (b"not json", b"[1, 2]", json.dumps({"message": {}}).encode(), b'{"update_id": "x"}'):
            async with client.post(url, data=body, headers={**good, "Content-Type": "application/json"}) as response:
                assert response.status == 400, body
        with app.database.session() as session:
            assert session.get(ProcessedUpdate, ("telegram", "777001")) is None
        async with client.post(url, json=update, headers=good) as response:
            assert response.status == 200
        # 200 means committed: the update is recorded before the answer
        with app.database.session() as session:
            assert session.get(ProcessedUpdate, ("telegram", "777001")) is not None
        async with client.post(url, json=update, headers=good) as response:
            assert response.status == 200  # a duplicate is fine, and does nothing
    assert await app.sender.drain()
    assert [m["text"] for m in fake_api.fake.bot_messages(1202)] == ["echo: trực tiếp"]


MINH = {"id": 1203, "is_bot": False, "first_name": "Minh", "language_code": "vi"}
CHAT = {"id": 1203, "type": "private", "first_name": "Minh"}


def _message(**fields: object) -> dict:
    """A private text message from Minh, with some fields replaced."""
    return {"message_id": 9, "date": 1764039600, "text": "chào", "chat": CHAT, "from": MINH, **fields}


MALFORMED = [
    {"update_id": 778001, "message": _message(text=5)},
    {"update_id": 778002, "message": _message(chat="x")},
    {"update_id": 778003, "message": _message(**{"from": []})},
    {"update_id": 778004, "message": _message(message_id="abc")},
    {"update_id": 778005, "message": _message(chat=None)},
    {"update_id": 778006, "message": _message(chat={"id": None, "type": "private"})},
    {"update_id": 778007, "message": _message(**{"from": {"id": "1203", "first_name": "Minh"}})},
    {"update_id": 778008, "message": _message(photo=[{"file_id": 7}], text=None)},
    {"update_id": 778009, "message": "hello"},
    {
        "update_id": 778010,
        "callback_query": {"id": "q1", "from": MINH, "data": 42, "message": {"message_id": 1, "date": 0, "chat": CHAT}},
    },
    {
        "update_id": 778011,
        "callback_query": {
            "id": "q2",
            "from": None,
            "data": "again",
            "message": {"message_id": 1, "date": 0, "chat": CHAT},
        },
    },
    {
        "update_id": 778012,
        "callback_query": {
            "id": "q3",
            "from": MINH,
            "data": "again",
            "message": {"message_id": 1, "date": 0, "chat": CHAT, "reply_markup": {"inline_keyboard": [["x"]]}},
        },
    },
    {"update_id": 778013, "callback_query": []},
    {"update_id": True, "message": _message()},
    {"update_id": 1.5, "message": _message()},
]


@pytest.mark.parametrize("update", MALFORMED, ids=lambda update: json.dumps(update)[:60])
def test_reading_a_malformed_update_names_the_field(update: dict) -> None:
    with pytest.raises(MalformedUpdate):
        to_incoming(update)


def test_updates_not_for_the_bot_are_not_malformed() -> None:
    assert to_incoming({"update_id": 1, "edited_message": {"oops": 1}}) is None
    assert to_incoming({"update_id": 2, "message": _message(**{"from": None})}) is None  # a channel post
    assert to_incoming({"update_id": 3, "message": _message(text=None)}) is None  # a sticker, a voice note
    game = {"id": "q", "from": MINH, "game_short_name": "g", "message": {"message_id": 1, "date": 0, "chat": CHAT}}
    assert to_incoming({"update_id": 4, "callback_query": game}) is None


async def test_webhook_answers_400_to_wrong_types_and_no_handler_runs(
    make_app: AppFactory, fake_api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    app = await make_app(
        telegram_mode="webhook", telegram_secret_token=SECRET, web_port=port, public_url=f"http://127.0.0.1:{port}"
    )
    url = f"{app.web_url}/telegram/webhook"
    good = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    fake_api.fake.add_user(1203, "Minh")
    async with aiohttp.ClientSession() as client:
        for update in MALFORMED:
            async with client.post(url, json=update, headers=good) as response:
                assert response.status == 400, update
            async with client.post(url, json=update, headers={**good, SECRET_HEADER: "wrong"}) as response:
                assert response.status == 403, update
        async with client.post(url, json={"update_id": 778100, "message": _message()}, headers=good) as response:
            assert response.status == 200
    assert await app.sender.drain()
    assert [m["text"] for m in fake_api.fake.bot_messages(1203)] == ["echo: chào"]
    with app.database.session() as session:
        assert len(session.exec(select(ProcessedUpdate)).all()) == 1  # nothing malformed reached the engine
    assert "handler failed" not in caplog.text


async def test_polling_skips_a_malformed_update_with_one_line(
    make_app: AppFactory, fake_api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake = fake_api.fake
    app = await make_app()
    bad = fake._enqueue({"message": _message(text=["not", "text"])})  # what no real client sends
    fake.user_says(1204, "vẫn trả lời")
    [reply] = await fake.wait_for_bot_messages(1204, 1)
    assert reply["text"] == "echo: vẫn trả lời"
    await fake.wait_until_acknowledged(bad)  # moved past, not fetched again and again
    skipped = [r for r in caplog.records if "malformed Telegram update" in r.getMessage()]
    assert len(skipped) == 1 and skipped[0].exc_info is None and "text must be a string" in skipped[0].getMessage()
    assert "handler failed" not in caplog.text
    assert await app.sender.drain()


def test_the_secret_check_refuses_all_without_a_secret_and_any_other_value() -> None:
    assert secret_matches(SECRET, SECRET)
    for given in ("", "wrong", SECRET[:-1], SECRET + "x", SECRET.upper()):
        assert not secret_matches(SECRET, given), given
    assert not secret_matches(None, "") and not secret_matches("", "")
