"""A tiny bot for the sandbox's own tests: polls the fake with python-telegram-bot's Bot and answers.

It stands in for the real application so the fake server and the page can be tested alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import zlib
from collections.abc import AsyncIterator

import telegram
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox import FakeTelegram


def tiny_png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (11, 110, 79)) -> bytes:
    """A valid solid-colour PNG, made without Pillow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


async def echo_bot(bot: telegram.Bot) -> None:
    """Answer every text with an echo and two buttons; a press edits the message and answers the query."""
    await bot.set_my_commands(
        [BotCommand("start", "Bắt đầu"), BotCommand("tuan", "Xem tuần này"), BotCommand("baocao", "Tải báo cáo")],
        language_code="vi",
    )
    offset = None
    while True:
        updates = await bot.get_updates(offset=offset, timeout=10)
        for update in updates:
            offset = update.update_id + 1
            if update.message and update.message.photo:
                await bot.send_chat_action(update.message.chat_id, "upload_photo")
                caption = "Đã nhận ảnh của bạn, đây là ảnh trả lời."
                await bot.send_photo(update.message.chat_id, tiny_png(), caption=caption)
            elif update.message and update.message.text == "/baocao":
                await bot.send_document(
                    update.message.chat_id,
                    b"thang,so_buoi\n11/2026,4\n",
                    filename="bao-cao-thang-11.csv",
                    caption="Báo cáo tháng 11/2026",
                )
            elif update.message and update.message.text:
                await bot.send_chat_action(update.message.chat_id, "typing")
                await bot.send_message(
                    update.message.chat_id,
                    f"Bạn nói: <b>{_html(update.message.text)}</b>",
                    parse_mode="HTML",
                    reply_markup=InlineKeyboardMarkup(
                        [
                            [
                                InlineKeyboardButton("Đồng ý", callback_data="yes"),
                                InlineKeyboardButton("Không", callback_data="no"),
                            ]
                        ]
                    ),
                )
            elif update.callback_query:
                query = update.callback_query
                await bot.answer_callback_query(query.id, text="Đã ghi nhận")
                label = "Đồng ý" if query.data == "yes" else "Không"
                await bot.edit_message_text(
                    f"{query.message.text}\n→ Bạn đã chọn: {label}",
                    chat_id=query.message.chat.id,
                    message_id=query.message.message_id,
                )


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@contextlib.asynccontextmanager
async def running_echo_bot(fake: FakeTelegram, base_url: str) -> AsyncIterator[asyncio.Task[None]]:
    """Run echo_bot against the fake at base_url (``.../bot``) for the duration of the block."""
    async with telegram.Bot(fake.token, base_url=base_url) as bot:
        task = asyncio.create_task(echo_bot(bot))
        try:
            yield task
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await fake.wake_waiters()
