"""FakeTelegram driven by python-telegram-bot's real Bot (and raw HTTP where Telegram's exact answer matters)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
import telegram
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.sandbox import FakeTelegram

from .echo_bot import tiny_png

USER = 4242


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in pairs]])


# ---------------------------------------------------------------------------------- basics


async def test_get_me_answers_the_bot_user(bot: telegram.Bot, fake: FakeTelegram) -> None:
    me = await bot.get_me()
    assert me.is_bot is True
    assert me.username == fake.bot_username == "bdhvs_sandbox_bot"
    assert me.id == 123456
    assert me.can_join_groups is True
    assert me.first_name
    assert bot.username == "bdhvs_sandbox_bot"  # Bot.initialize() called getMe


async def test_raw_answers_have_telegrams_shape(fake: FakeTelegram, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{fake.base_url}{fake.token}/getMe") as response:
        assert response.status == 200
        body = await response.json()
    assert body["ok"] is True and body["result"]["username"] == fake.bot_username

    async with http.post(f"{fake.base_url}{fake.token}/noSuchMethod") as response:
        assert response.status == 404
        assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

    async with http.post(f"{fake.base_url}999:WRONG/getMe") as response:
        assert response.status == 401
        assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}

    async with http.post(f"{fake.base_url}not-a-token/getMe") as response:
        assert response.status == 404


async def test_wrong_token_raises_invalid_token(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with telegram.Bot("999:WRONG-TOKEN", base_url=fake.base_url):
            pass


async def test_real_but_unfaked_method_is_a_clear_bad_request(bot: telegram.Bot) -> None:
    fake_user = await bot.get_me()
    with pytest.raises(BadRequest, match=r"(?i)not supported by the sandbox"):
        await bot.send_poll(fake_user.id, "Câu hỏi?", ["A", "B"])


async def test_json_bodies_are_accepted(fake: FakeTelegram, http: aiohttp.ClientSession) -> None:
    fake.add_user(USER, "Lan")
    payload = {
        "chat_id": USER,
        "text": "Chọn một",
        "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    }
    async with http.post(f"{fake.base_url}{fake.token}/sendMessage", json=payload) as response:
        body = await response.json()
    assert body["ok"] is True
    assert body["result"]["reply_markup"] == payload["reply_markup"]
    assert fake.last_bot_message(USER)["text"] == "Chọn một"


# ---------------------------------------------------------------------------------- messages


async def test_send_edit_and_transcript(bot: telegram.Bot, fake: FakeTelegram) -> None:
    await fake.user_says(USER, "xin chào", first_name="Lan")
    menu = keyboard(("Ghi buổi", "log"), ("Xem tuần", "week"))
    sent = await bot.send_message(USER, "Bạn muốn làm gì?", reply_markup=menu)
    assert sent.chat.id == USER
    assert sent.from_user.username == fake.bot_username
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "week"

    edited = await bot.edit_message_text("Đã chọn: Ghi buổi", chat_id=USER, message_id=sent.message_id)
    assert edited.text == "Đã chọn: Ghi buổi"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # editing without reply_markup drops the keyboard, as on Telegram

    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Đã chọn: Ghi buổi", chat_id=USER, message_id=sent.message_id)

    transcript = fake.messages(USER)
    assert [(m["sender"], m.get("text"), m["edited"]) for m in transcript] == [
        ("user", "xin chào", False),
        ("bot", "Đã chọn: Ghi buổi", True),
    ]
    assert transcript[0]["from"]["first_name"] == "Lan"
    assert fake.bot_messages(USER) == transcript[1:]
    assert fake.last_bot_message(USER)["message_id"] == sent.message_id
    assert [name for name, _ in fake.calls] == ["getMe", "sendMessage", "editMessageText", "editMessageText"]


async def test_edit_reply_markup(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.add_user(USER)
    sent = await bot.send_message(USER, "Chọn", reply_markup=keyboard(("A", "a")))
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard(("B", "b")))
    assert fake.last_bot_message(USER)["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard(("B", "b")))
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=None)
    assert "reply_markup" not in fake.last_bot_message(USER)
    assert fake.last_bot_message(USER)["edited"] is True
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)


async def test_text_limits(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.add_user(USER)
    await bot.send_message(USER, "ệ" * 4096)  # the limit counts characters, not bytes
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "a" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)text is empty"):
        await bot.send_message(USER, "   ")
    assert fake.errors[-1][2:] == (400, "Bad Request: message text is empty")


async def test_callback_data_is_limited_to_64_bytes(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.add_user(USER)
    await bot.send_message(USER, "ok", reply_markup=keyboard(("A", "x" * 64)))
    # 22 Vietnamese letters are 66 bytes in UTF-8: Telegram counts bytes
    with pytest.raises(BadRequest, match=r"(?i)Button_data_invalid|BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "quá dài", reply_markup=keyboard(("A", "ệ" * 22)))


async def test_formatting_is_parsed_like_telegram(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.add_user(USER)
    sent = await bot.send_message(USER, "<b>Thôn Đông</b> &amp; /tuan", parse_mode="HTML")
    assert sent.text == "Thôn Đông & /tuan"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 9), ("bot_command", 12, 5)]
    with pytest.raises(BadRequest, match=r"(?i)parse entities"):
        await bot.send_message(USER, "Thôn <Đông>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)reserved"):
        await bot.send_message(USER, "Đã lưu 3 buổi.", parse_mode="MarkdownV2")
    ok = await bot.send_message(USER, r"*Đã lưu* 3 buổi\.", parse_mode="MarkdownV2")
    assert ok.text == "Đã lưu 3 buổi." and ok.entities[0].type == "bold"


async def test_user_commands_carry_a_bot_command_entity(bot: telegram.Bot, fake: FakeTelegram) -> None:
    await fake.user_says(USER, "/start ABC123")
    (update,) = await bot.get_updates()
    assert update.message.text == "/start ABC123"
    assert update.message.entities[0].type == "bot_command" and update.message.entities[0].offset == 0
    assert update.message.from_user.language_code == "vi"
    assert update.message.chat.type == "private"


async def test_unknown_and_blocked_chats(bot: telegram.Bot, fake: FakeTelegram) -> None:
    with pytest.raises(BadRequest, match=r"(?i)[Cc]hat not found"):
        await bot.send_message(777, "ai đó")
    fake.add_user(USER)
    fake.block(USER)
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await bot.send_message(USER, "nhắc nhở")
    fake.block(USER, False)
    await bot.send_message(USER, "nhắc nhở")


async def test_chat_action_and_reply_keyboard(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.add_user(USER)
    assert await bot.send_chat_action(USER, "typing") is True
    assert fake.chat_state(USER)["chat_action"] == "typing"
    with pytest.raises(BadRequest):
        await bot.send_chat_action(USER, "dancing")
    await bot.send_message(USER, "Chọn", reply_markup=ReplyKeyboardMarkup([["Có", "Không"]]))
    assert fake.chat_state(USER)["chat_action"] is None  # a message ends "typing…"
    assert fake.chat_state(USER)["reply_keyboard"]["keyboard"] == [[{"text": "Có"}, {"text": "Không"}]]
    await bot.send_message(USER, "Xong", reply_markup=ReplyKeyboardRemove())
    assert fake.chat_state(USER)["reply_keyboard"] is None


# ---------------------------------------------------------------------------------- callbacks


async def test_button_press_and_answer(bot: telegram.Bot, fake: FakeTelegram) -> None:
    await fake.user_says(USER, "/ghi")
    sent = await bot.send_message(USER, "Bao nhiêu người?", reply_markup=keyboard(("10", "n:10"), ("20", "n:20")))
    update_id = fake.user_presses(USER, sent.message_id, "n:20")
    updates = await bot.get_updates(offset=2)
    assert [u.update_id for u in updates] == [update_id]
    query = updates[0].callback_query
    assert query.data == "n:20"
    assert query.from_user.id == USER
    assert query.message.message_id == sent.message_id
    assert query.message.reply_markup.inline_keyboard[0][1].callback_data == "n:20"

    assert await bot.answer_callback_query(query.id, text="Đã lưu") is True
    assert fake.callback_answers[query.id]["text"] == "Đã lưu"
    assert fake.chat_state(USER)["notices"][-1]["text"] == "Đã lưu"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)

    with pytest.raises(ValueError, match=r"(?i)no button"):
        fake.user_presses(USER, sent.message_id, "n:30")


# ---------------------------------------------------------------------------------- getUpdates


async def test_get_updates_offset_and_limit(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ids = [fake.user_says(USER, f"tin {n}") for n in range(3)]
    assert [u.update_id for u in await bot.get_updates()] == ids
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[:1]
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]  # confirms ids[0]
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert fake.pending_update_count == 0
    assert all(fake.is_acknowledged(i) for i in ids)


async def test_negative_offset_keeps_the_last_updates(bot: telegram.Bot, fake: FakeTelegram) -> None:
    ids = [fake.user_says(USER, f"tin {n}") for n in range(4)]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[-1:]
    assert [u.update_id for u in await bot.get_updates()] == ids[-1:]


async def test_long_poll_returns_as_soon_as_an_update_arrives(bot: telegram.Bot, fake: FakeTelegram) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=20, read_timeout=25))
    await fake.wait_for(lambda: fake.calls_to("getUpdates"), what="the long poll to start")
    update_id = fake.user_says(USER, "có ai không?")
    updates = await asyncio.wait_for(poll, timeout=5)
    assert [u.update_id for u in updates] == [update_id]
    assert time.monotonic() - started < 5


async def test_long_poll_times_out_empty(bot: telegram.Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 5


async def test_a_second_poller_terminates_the_first(fake: FakeTelegram, http: aiohttp.ClientSession) -> None:
    url = f"{fake.base_url}{fake.token}/getUpdates"
    first = asyncio.create_task(http.post(url, data={"timeout": "20"}))
    await fake.wait_for(lambda: len(fake.calls_to("getUpdates")) == 1)
    async with http.post(url, data={"timeout": "0"}) as response:
        assert response.status == 200
    response = await asyncio.wait_for(first, 5)
    assert response.status == 409
    assert (await response.json())["description"].startswith("Conflict: terminated by other getUpdates request")
    response.release()


async def test_redelivered_update_comes_again(bot: telegram.Bot, fake: FakeTelegram) -> None:
    first = fake.user_says(USER, "ghi 12 người")
    second = fake.user_says(USER, "xong")
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert await bot.get_updates(offset=second + 1) == ()
    assert fake.redeliver(first) == first
    (again,) = await bot.get_updates(offset=second + 1)  # redelivered regardless of the offset
    assert again.update_id == first and again.message.text == "ghi 12 người"
    assert await bot.get_updates(offset=first + 1) == ()  # and gone once confirmed
    await fake.wait_until_acknowledged(first)


async def test_user_side_methods_can_be_awaited(fake: FakeTelegram) -> None:
    update_id = await fake.user_says(USER, "chào")
    assert isinstance(update_id, int)
    assert update_id == fake.user_says(USER, "lần nữa") - 1


# ---------------------------------------------------------------------------------- commands


async def test_commands_are_kept_per_scope_and_language(bot: telegram.Bot, fake: FakeTelegram) -> None:
    member = [BotCommand("start", "Bắt đầu"), BotCommand("ghi", "Ghi buổi sinh hoạt")]
    admin = [*member, BotCommand("baocao", "Báo cáo tháng")]
    await bot.set_my_commands(member, language_code="vi")
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands(admin, scope=BotCommandScopeChat(USER), language_code="vi")

    assert [c.command for c in await bot.get_my_commands(language_code="vi")] == ["start", "ghi"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(USER), language_code="vi")] == [
        "start",
        "ghi",
        "baocao",
    ]
    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == ()
    assert [c["command"] for c in fake.commands(scope_chat_id=USER, language_code="vi")] == ["start", "ghi", "baocao"]
    assert fake.commands(scope_chat_id=USER) == []
    assert fake.commands()[0] == {"command": "start", "description": "Start"}

    # the menu a person sees falls back the way Telegram resolves scopes
    assert [c["command"] for c in fake.menu(USER, "vi")] == ["start", "ghi", "baocao"]
    assert [c["command"] for c in fake.menu(555, "vi")] == ["start", "ghi"]
    assert fake.menu(555, "en") == [{"command": "start", "description": "Start"}]

    await bot.delete_my_commands(scope=BotCommandScopeChat(USER), language_code="vi")
    assert [c["command"] for c in fake.menu(USER, "vi")] == ["start", "ghi"]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Ghi-Buoi", "sai")])


# ---------------------------------------------------------------------------------- files


async def test_photo_and_document_upload(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.add_user(USER)
    png = tiny_png(16, 32)
    photo_message = await bot.send_photo(USER, png, caption="Biểu đồ tuần")
    size = photo_message.photo[-1]
    assert (size.width, size.height) == (16, 32)
    assert photo_message.caption == "Biểu đồ tuần"
    assert fake.file(size.file_id).data == png
    again = await bot.send_photo(USER, size.file_id)  # by file_id, as bots resend charts
    assert again.photo[-1].file_unique_id == size.file_unique_id

    report = "Tháng,Buổi\n11/2026,4\n".encode()
    document_message = await bot.send_document(USER, report, filename="bao-cao-11-2026.csv")
    document = document_message.document
    assert document.file_name == "bao-cao-11-2026.csv"
    assert document.file_size == len(report)
    assert fake.file(document.file_id).data == report

    downloaded = await (await bot.get_file(document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == report
    assert [m.get("document", {}).get("file_name") for m in fake.bot_messages(USER)][-1] == "bao-cao-11-2026.csv"

    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(USER, "no-such-file-id")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(USER, size.file_id, caption="x" * 1025)


async def test_user_photo_can_be_downloaded_by_the_bot(bot: telegram.Bot, fake: FakeTelegram) -> None:
    png = tiny_png(4, 4)
    await fake.user_sends_photo(USER, png, caption="Ảnh buổi sinh hoạt")
    (update,) = await bot.get_updates()
    assert update.message.caption == "Ảnh buổi sinh hoạt"
    file = await bot.get_file(update.message.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == png


# ---------------------------------------------------------------------------------- webhook


class Receiver:
    """A small webhook endpoint that records what it gets and answers a scripted status."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.statuses = list(statuses or [])
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        self.arrived.set()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


async def serve_receiver(receiver: Receiver) -> TestServer:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_webhook_delivery_with_secret(bot: telegram.Bot, fake: FakeTelegram) -> None:
    receiver = Receiver()
    server = await serve_receiver(receiver)
    try:
        url = str(server.make_url("/hook"))
        assert await bot.set_webhook(url, secret_token="bi-mat_123") is True
        info = await bot.get_webhook_info()
        assert info.url == url

        update_id = fake.user_says(USER, "qua webhook")
        await fake.wait_until_acknowledged(update_id)
        ((body, secret),) = receiver.received
        assert secret == "bi-mat_123"
        assert body["update_id"] == update_id and body["message"]["text"] == "qua webhook"
        assert telegram.Update.de_json(body, bot).message.text == "qua webhook"

        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates()

        fake.redeliver(update_id)
        await fake.wait_for(lambda: len(receiver.received) == 2, what="the redelivery")
        assert receiver.received[1][0] == body

        assert await bot.delete_webhook() is True
        fake.user_says(USER, "lại polling")
        assert [u.message.text for u in await bot.get_updates()] == ["lại polling"]
    finally:
        await server.close()


async def test_webhook_is_retried_until_answered(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.webhook_retry_delay = 0.01
    receiver = Receiver(statuses=[500, 502])
    server = await serve_receiver(receiver)
    try:
        await bot.set_webhook(str(server.make_url("/hook")))
        update_id = fake.user_says(USER, "thử lại")
        await fake.wait_until_acknowledged(update_id)
        assert [r[0]["update_id"] for r in receiver.received] == [update_id] * 3
        assert [a.get("status") for a in fake.webhook_attempts] == [500, 502, 200]
        assert "502" in (await bot.get_webhook_info()).last_error_message
    finally:
        await server.close()


async def test_pending_updates_go_to_a_new_webhook(bot: telegram.Bot, fake: FakeTelegram) -> None:
    waiting = fake.user_says(USER, "trước khi đặt webhook")
    receiver = Receiver()
    server = await serve_receiver(receiver)
    try:
        await bot.set_webhook(str(server.make_url("/hook")))
        await fake.wait_until_acknowledged(waiting)
        assert receiver.received[0][0]["update_id"] == waiting
        assert receiver.received[0][1] is None  # no secret set: no header
    finally:
        await server.close()


# ---------------------------------------------------------------------------------- rate limit


async def test_rate_limit_answers_429_with_retry_after() -> None:
    now = [1000.0]
    async with FakeTelegram(rate_limit_per_second=2, monotonic=lambda: now[0]) as fake:
        fake.add_user(USER)
        async with telegram.Bot(fake.token, base_url=fake.base_url) as bot:
            await bot.send_message(USER, "1")
            await bot.send_message(USER, "2")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(USER, "3")
            assert "Retry in 1 second" in str(caught.value)  # PTB read parameters.retry_after
            assert fake.rate_limited_count == 1
            await bot.get_me()  # not a sending method: never limited
            now[0] += 0.5  # one token back at 2/s
            await bot.send_message(USER, "3")
            assert [m["text"] for m in fake.bot_messages(USER)] == ["1", "2", "3"]
        url = f"{fake.base_url}{fake.token}/sendMessage"
        async with aiohttp.ClientSession() as http, http.post(url, data={"chat_id": USER, "text": "4"}) as r:
            assert r.status == 429
            assert await r.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }


async def test_per_chat_rate_limit() -> None:
    now = [50.0]
    async with FakeTelegram(per_chat_rate_limit_per_second=1, monotonic=lambda: now[0]) as fake:
        fake.add_user(USER)
        fake.add_user(USER + 1)
        async with telegram.Bot(fake.token, base_url=fake.base_url) as bot:
            await bot.send_message(USER, "1")
            with pytest.raises(RetryAfter):
                await bot.send_message(USER, "2")
            await bot.send_message(USER + 1, "another chat is not limited")
            now[0] += 1
            await bot.send_message(USER, "2")
        assert fake.rate_limited_count == 1
        assert [e[2] for e in fake.errors] == [429]


# ---------------------------------------------------------------------------------- waiting


async def test_wait_for_reports_the_last_bot_messages(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.add_user(USER)
    await bot.send_message(USER, "Chào mừng bạn!", reply_markup=keyboard(("Tham gia", "join")))
    with pytest.raises(TimeoutError) as caught:
        await fake.wait_for(lambda: False, timeout=0.05, what="a reply that never comes")
    report = str(caught.value)
    assert "a reply that never comes" in report
    assert "Chào mừng bạn!" in report and "Tham gia" in report


async def test_wait_for_bot_messages_wakes_on_the_api_call(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.add_user(USER)

    async def answer_later() -> None:
        await fake.wait_for(lambda: fake.calls_to("getMe"), timeout=5)
        await bot.send_message(USER, "một")
        await bot.send_message(USER, "hai")

    task = asyncio.create_task(answer_later())
    await bot.get_me()
    messages = await fake.wait_for_bot_messages(USER, 2)
    assert [m["text"] for m in messages] == ["một", "hai"]
    await task


# ---------------------------------------------------------------------------------- a real Application


async def test_a_ptb_application_polls_the_fake(fake: FakeTelegram) -> None:
    """The full python-telegram-bot stack (Updater, handlers, CallbackQuery) against the fake."""

    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(
            f"Chào {update.effective_user.first_name}, mã {' '.join(context.args)}", reply_markup=keyboard(("OK", "ok"))
        )

    async def pressed(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Đã nhận")
        await update.callback_query.edit_message_text("Đã xác nhận")

    async def echo(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    app = Application.builder().token(fake.token).base_url(fake.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=5)
        try:
            fake.user_says(USER, "/start ABC123", first_name="Lan")
            (welcome,) = await fake.wait_for_bot_messages(USER, 1)
            assert welcome["text"] == "Chào Lan, mã ABC123"
            fake.user_presses(USER, welcome["message_id"], "ok")
            await fake.wait_for(lambda: fake.last_bot_message(USER)["edited"], what="the edit after the press")
            assert fake.last_bot_message(USER)["text"] == "Đã xác nhận"
            assert next(iter(fake.callback_answers.values()))["text"] == "Đã nhận"
            fake.user_says(USER, "tiếng Việt có dấu")
            await fake.wait_for_bot_messages(USER, 2)
            assert fake.last_bot_message(USER)["text"] == "tiếng Việt có dấu"
        finally:
            await app.updater.stop()
            await app.stop()
