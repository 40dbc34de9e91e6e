"""Delivering outbox items to Telegram: texts split to the limit, inline keyboards, files, edits, button answers,
command menus, and Telegram's errors turned into the sender's.

Texts, edits and button answers go through the thin JSON client (bot/channels/telegram_api.py), the path every
update's answer takes; files and menus through python-telegram-bot's `Bot`.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any

import telegram.error as tg_error
from sqlmodel import select
from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.channels.base import (
    UNSEEN_WHEN_REPEATED,
    ChatMoved,
    DeliveryError,
    PermanentError,
    RetryAfter,
    SendTimedOut,
    TransientError,
    Unreachable,
)
from bot.channels.sending import SplitSends, in_executor
from bot.channels.telegram_api import BotApiClient
from bot.channels.telegram_updates import CHANNEL
from bot.channels.text import split_text as split_lines
from bot.channels.text import utf16_len
from storage import outbox
from storage.db import Database
from storage.models import StoredFile
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut a long text into Telegram messages of at most `limit`, at line breaks where possible."""
    return split_lines(text, limit)


def keyboard(rows: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    """Inline keyboard from the outbox form of a Reply's buttons."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(button["label"], web_app=WebAppInfo(button["web_app"]))
                if button.get("web_app")
                else InlineKeyboardButton(button["label"], callback_data=button["payload"])
                for button in row
            ]
            for row in rows
            if row
        ]
    )


def keyboard_json(rows: list[list[dict[str, str]]] | None) -> dict[str, Any] | None:
    """The same inline keyboard as the Bot API's JSON, for the thin client (no objects built)."""
    if not rows:
        return None
    return {
        "inline_keyboard": [
            [
                {"text": button["label"], "web_app": {"url": button["web_app"]}}
                if button.get("web_app")
                else {"text": button["label"], "callback_data": button["payload"]}
                for button in row
            ]
            for row in rows
            if row
        ]
    }


def file_url_for(base_url: str) -> str:
    """The file download base that goes with a Bot API base: `.../bot` -> `.../file/bot`."""
    head, sep, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if sep else base_url


def _chat(chat_id: str) -> int | str:
    """A chat id as the Bot API takes it: a number, or an @channelusername."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id  # @channelusername


def retry_seconds(error: tg_error.RetryAfter) -> float:
    """How long Telegram asked us to wait, read without python-telegram-bot's deprecation warning."""
    value: Any = getattr(error, "_retry_after", None)
    if value is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def map_error(error: tg_error.TelegramError) -> DeliveryError:
    """The sender's view of a Telegram error."""
    if isinstance(error, tg_error.RetryAfter):
        return RetryAfter(retry_seconds(error), str(error))
    if isinstance(error, tg_error.Forbidden):
        return Unreachable(str(error))
    if isinstance(error, tg_error.ChatMigrated):
        return ChatMoved(str(error.new_chat_id), str(error))
    if isinstance(error, tg_error.BadRequest):
        return PermanentError(str(error))
    if isinstance(error, tg_error.TimedOut):
        return SendTimedOut(f"TimedOut: {error}")  # no answer in time: it may still land
    # NetworkError (5xx, connection), InvalidToken, Conflict, invalid responses: may pass.
    return TransientError(f"{type(error).__name__}: {error}")


def _is_gone(reason: str) -> bool:
    """Whether an edit failed because the message is too old or gone (then it is said anew)."""
    return any(
        phrase in reason
        for phrase in (
            "message to edit not found",
            "can't be edited",
            "message_id_invalid",
            "no text in the message",
            "message can't be found",
        )
    )


class TelegramRenderer:
    """Delivers outbox items through the Bot API."""

    channel = CHANNEL
    # An edit made again leaves the message as it was; on Zalo an edit is a new message, so it is not here.
    unseen_when_repeated = UNSEEN_WHEN_REPEATED | {outbox.KIND_EDIT}

    def __init__(
        self, bot: Bot, database: Database, db_executor: Executor | None = None, api: BotApiClient | None = None
    ) -> None:
        self.bot = bot
        self.database = database
        self.db_executor = db_executor
        self.api = api or BotApiClient(bot.base_url)
        self.split_sends = SplitSends()

    def is_group_chat(self, chat_id: str) -> bool:
        """Telegram group and supergroup ids are negative."""
        return chat_id.startswith("-")

    async def deliver(self, item: OutboxItem) -> None:
        """Send one item; a Telegram error is raised as the sender's DeliveryError."""
        try:
            if item.kind == outbox.KIND_MESSAGE:
                await self._send_message(item.chat_id, item.payload, item.id)
            elif item.kind == outbox.KIND_EDIT:
                await self._edit(item.chat_id, item.payload, item.id)
            elif item.kind == outbox.KIND_ANSWER_CALLBACK:
                await self._answer_callback(item.payload)
            elif item.kind == outbox.KIND_SET_COMMANDS:
                await self._set_commands(item.chat_id, item.payload)
            else:
                raise PermanentError(f"unknown outbox kind {item.kind!r}")
        except tg_error.TelegramError as error:
            raise self.split_sends.failed(item.id, map_error(error)) from error

    async def _send_message(self, chat_id: str, payload: dict[str, Any], item_id: int | None = None) -> None:
        """A new message: the file (with the text as caption when it fits), then the text if still unsaid."""
        text = (payload.get("text") or "").strip("\n")
        token = payload.get("file_token")
        if token:
            stored = await in_executor(self.db_executor, self._load_file, token)
            if stored is not None:
                await self._send_file(chat_id, payload, stored, text)
                if utf16_len(text) <= CAPTION_LIMIT or not text:
                    return
            else:
                log.warning("stored file %s is gone; sending the text alone to chat %s", token, chat_id)
        if not text.strip():
            raise PermanentError("empty message")
        markup = keyboard_json(payload.get("buttons"))
        if markup is None and payload.get("answer_here"):
            # In a group the bot sees only replies, mentions and commands: the person's app opens a reply to this
            # message (selective: only the person whose message it answers).
            markup = {"force_reply": True, "selective": True}
        await self._send_text(chat_id, text, markup, item_id, payload.get("reply_to"))

    async def _send_file(self, chat_id: str, payload: dict[str, Any], stored: StoredFile, text: str) -> None:
        """A photo or document, with the text as caption and the buttons when the text fits in a caption."""
        fits = utf16_len(text) <= CAPTION_LIMIT
        send: Callable[..., Awaitable[Any]] = (
            self.bot.send_photo if payload.get("file_kind") == "photo" else self.bot.send_document
        )
        await send(
            _chat(chat_id),
            stored.content,
            caption=text if (fits and text) else None,
            filename=stored.filename,
            reply_markup=keyboard(payload.get("buttons")) if (fits or not text) else None,
        )

    async def _send_text(
        self,
        chat_id: str,
        text: str,
        markup: dict[str, Any] | None,
        item_id: int | None = None,
        reply_to: str | None = None,
    ) -> None:
        """Send a text in parts of at most TEXT_LIMIT; a retry of the same item skips the parts accepted."""
        calls: list[tuple[str, dict[str, Any]]] = [
            ("sendMessage", {"chat_id": _chat(chat_id), "text": part}) for part in split_text(text)
        ]
        if markup is not None:
            calls[-1][1]["reply_markup"] = markup
        if reply_to is not None and reply_to.isdigit():
            # The person's message this answers (in a group); sent anyway if it was deleted meanwhile.
            calls[0][1]["reply_parameters"] = {"message_id": int(reply_to), "allow_sending_without_reply": True}
        await self.split_sends.send(item_id, calls, self.api.call)

    async def _edit(self, chat_id: str, payload: dict[str, Any], item_id: int | None = None) -> None:
        """Replace a message's text (and buttons); what does not fit, or a message gone, is sent anew."""
        text = (payload.get("text") or "").strip("\n") or "✔"
        markup = keyboard_json(payload.get("buttons"))
        if payload.get("file_token"):
            await self._send_message(chat_id, payload, item_id)  # a file cannot replace a text message
            return
        parts = split_text(text)
        try:
            params: dict[str, Any] = {
                "chat_id": _chat(chat_id),
                "message_id": int(payload["message_id"]),
                "text": parts[0],
            }
            if markup is not None and len(parts) == 1:
                params["reply_markup"] = markup
            await self.api.call("editMessageText", params)
        except tg_error.BadRequest as error:
            reason = str(error).lower()
            if "not modified" not in reason:  # not modified: the message already says this, nothing to do
                if not _is_gone(reason):
                    raise
                await self._send_text(chat_id, text, markup, item_id)  # too old or gone: say it anew
                return
        if len(parts) > 1:
            await self._send_text(chat_id, "\n".join(parts[1:]), markup, item_id)

    async def _answer_callback(self, payload: dict[str, Any]) -> None:
        """Stop the button's spinner (with a short notice when there is one)."""
        try:
            params = {"callback_query_id": payload["callback_id"]}
            if payload.get("text"):
                params["text"] = payload["text"]
            await self.api.call("answerCallbackQuery", params)
        except tg_error.BadRequest as error:
            reason = str(error).lower()
            if "query is too old" in reason or "query id is invalid" in reason:
                return  # the spinner is long gone; nothing to answer
            raise

    async def _set_commands(self, chat_id: str, payload: dict[str, Any]) -> None:
        """One chat's command menu."""
        commands = [BotCommand(command, description) for command, description in payload.get("commands", [])]
        await self.bot.set_my_commands(commands, scope=BotCommandScopeChat(_chat(chat_id)))

    def _load_file(self, token: str) -> StoredFile | None:
        """The stored file a message attaches (run on the database executor)."""
        with self.database.session() as session:
            return session.exec(select(StoredFile).where(StoredFile.token == token)).first()
