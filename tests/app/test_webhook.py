"""Webhook mode: the fake Bot API posts updates to our server; the route checks the secret and the body."""

from __future__ import annotations

import json

import aiohttp

from storage.models import ProcessedUpdate
from tests.app.conftest import AppFactory, FakeApi, free_port

SECRET = "s3cret-Token_for-tests"


async def test_webhook_end_to_end(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    port = free_port()
    app = await make_app(telegram_mode="webhook", telegram_secret_token=SECRET, web_port=port,
                         public_url=f"http://127.0.0.1:{port}")
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
    app = await make_app(telegram_mode="webhook", telegram_secret_token=SECRET, web_port=port,
                         public_url=f"http://127.0.0.1:{port}")
    url = f"{app.web_url}/telegram/webhook"
    update = {
        "update_id": 777001,
        "message": {
            "message_id": 5, "date": 1764039600, "text": "trực tiếp",
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
        for body in (b"not json", b"[1, 2]", json.dumps({"message": {}}).encode(), b"{\"update_id\": \"x\"}"):
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
