"""The application end to end in polling mode: the real adapter, engine, outbox and sender against the fake."""

from __future__ import annotations

import aiohttp
import pytest

from bot.app import BotApplication
from bot.channels.channel import Backoff
from bot.config import ConfigError
from bot.i18n import Translator
from handlers.menu import default_menu
from storage.models import BotSetting, ProcessedUpdate
from tests.app.conftest import AppFactory, FakeApi, outbox_rows


async def test_polling_echo_and_button_press(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    app = await make_app()
    fake.user_says(1001, "xin chào")
    [reply] = await fake.wait_for_bot_messages(1001, 1)
    assert reply["text"] == "echo: xin chào"
    assert reply["reply_markup"]["inline_keyboard"][0][0] == {"text": "Again", "callback_data": "again"}

    fake.user_presses(1001, reply["message_id"], "again")
    messages = await fake.wait_for_bot_messages(1001, 2)
    assert messages[1]["text"] == "pressed: again"
    closed = messages[0]
    assert closed["edited"] and closed["text"] == "echo: xin chào\n\n➡️ Again"
    assert "reply_markup" not in closed or not closed["reply_markup"].get("inline_keyboard")
    await fake.wait_for(lambda: fake.callback_answers, what="the press answered")
    [answer] = fake.callback_answers.values()
    assert answer["text"] == "ok again"
    assert await app.sender.drain()
    assert {row.status for row in outbox_rows(app.database)} == {"sent"}


async def test_start_registers_username_and_menus(make_app: AppFactory, fake_api: FakeApi) -> None:
    app = await make_app()
    with app.database.session() as session:
        setting = session.get(BotSetting, "telegram.username")
    assert setting is not None and setting.value == fake_api.fake.bot_username
    vi = [{"command": c, "description": d} for c, d in default_menu(Translator("vi"))]
    en = [{"command": c, "description": d} for c, d in default_menu(Translator("en"))]
    assert fake_api.fake.commands() == vi
    assert fake_api.fake.commands(language_code="en") == en
    assert fake_api.fake.calls_to("deleteWebhook")
    async with aiohttp.ClientSession() as client, client.get(f"{app.web_url}/healthz") as response:
        assert response.status == 200
        body = await response.text()
    assert body == "ok"  # alive, and nothing more for a stranger to read (no modes, no outbox depth)


async def test_redelivered_update_is_answered_once(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    app = await make_app()
    update_id = fake.user_says(1002, "một lần thôi")
    await fake.wait_for_bot_messages(1002, 1)
    await fake.wait_until_acknowledged(update_id)
    fake.redeliver(update_id)
    await fake.wait_until_acknowledged(update_id)
    fake.user_says(1002, "tiếp")
    messages = await fake.wait_for_bot_messages(1002, 2)
    assert [m["text"] for m in messages] == ["echo: một lần thôi", "echo: tiếp"]
    assert await app.sender.drain()
    assert len(fake.bot_messages(1002)) == 2


async def test_router_crash_apologises_and_is_not_retried(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    app = await make_app()
    update_id = fake.user_says(1003, "boom")
    [apology] = await fake.wait_for_bot_messages(1003, 1)
    assert apology["text"].startswith("Xin lỗi")
    await fake.wait_until_acknowledged(update_id)
    with app.database.session() as session:
        assert session.get(ProcessedUpdate, ("telegram", str(update_id))) is not None
    fake.redeliver(update_id)  # Telegram would not, but even so: no second apology
    fake.user_says(1003, "còn đó không")
    messages = await fake.wait_for_bot_messages(1003, 2)
    assert messages[1]["text"] == "echo: còn đó không"
    assert await app.sender.drain()
    assert len(fake.bot_messages(1003)) == 2


async def test_order_per_chat_under_load(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    app = await make_app()
    chats = [2001, 2002, 2003, 2004, 2005]
    for n in range(30):
        for chat in chats:
            fake.user_says(chat, f"m{n:02d}")
    for chat in chats:
        messages = await fake.wait_for_bot_messages(chat, 30, timeout=20)
        assert [m["text"] for m in messages] == [f"echo: m{n:02d}" for n in range(30)]
    assert await app.sender.drain()
    assert app.sender.stats["sent"] == 150


async def test_photo_and_group_chat(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    app = await make_app()
    fake.user_sends_photo(1004, caption="buổi tối")
    [reply] = await fake.wait_for_bot_messages(1004, 1)
    assert reply["text"].startswith("photo: ") and reply["text"].endswith("buổi tối")
    file_id = reply["text"].split()[1]
    assert app.telegram is not None  # the adapter's bot can fetch the picture (base_file_url wired)
    data = await (await app.telegram.bot.get_file(file_id)).download_as_bytearray()
    stored = fake.file(file_id)
    assert stored is not None and bytes(data) == stored.data
    fake.user_says(1005, "chào nhóm", chat_id=-100500, chat_title="Tổ CNS thôn 1")
    [group_reply] = await fake.wait_for_bot_messages(-100500, 1)
    assert group_reply["text"] == "echo: chào nhóm"


async def test_stop_is_clean_and_restart_continues(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    first: BotApplication = await make_app()
    fake.user_says(1006, "một")
    await fake.wait_for_bot_messages(1006, 1)
    await first.stop()
    fake.user_says(1006, "hai")  # arrives while the bot is down
    await make_app()
    messages = await fake.wait_for_bot_messages(1006, 2)
    assert [m["text"] for m in messages] == ["echo: một", "echo: hai"]


async def test_a_rejected_token_stops_start_up_with_one_clear_line(make_app: AppFactory) -> None:
    with pytest.raises(ConfigError, match="BDHVS_TELEGRAM_TOKEN") as raised:
        await make_app(telegram_token="999:WRONG-TOKEN")
    assert "WRONG" not in str(raised.value)


def test_the_polling_backoff_doubles_up_to_a_minute_and_starts_again_after_a_success() -> None:
    backoff = Backoff()
    assert [backoff.next() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    backoff.reset()
    assert backoff.next() == 1
