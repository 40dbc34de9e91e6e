"""The Telegram adapter: updates in (polling or webhook), outbox items out, with python-telegram-bot's `Bot`.

We use PTB's `Bot` (HTTP client and types) but not its `Application`/`Updater`: the Updater confirms an
update's offset before our handler has committed, so a crash would lose it. Here the offset only moves past
an update after `engine.process` returned (its transaction committed); a crash re-fetches the update, and the
engine's dedupe on (channel, update id) makes the second time harmless. Updates are processed one at a time on
a single-thread executor (a polled batch in one trip there): per-chat order is kept and SQLite sees one writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import logging
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Optional, TypeVar

import telegram.error as tg_error
from aiohttp import web
from sqlmodel import select
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.request import HTTPXRequest

from bot.channels import update_shape as shape
from bot.channels.base import PermanentError, RetryAfter, SendTimedOut, TransientError, Unreachable
from bot.channels.telegram_api import BotApiClient
from bot.channels.text import split_text as split_lines
from bot.channels.text import utf16_len
from bot.channels.update_shape import MalformedUpdate
from bot.clock import Clock
from bot.settings import ConfigError
from bot.messages import Incoming
from storage import outbox
from storage.db import Database
from storage.models import StoredFile
from storage.outbox import OutboxItem

if TYPE_CHECKING:
    from bot.engine import UpdateProcessor

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "callback_query"]
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
USERNAME_SETTING = "telegram.username"

T = TypeVar("T")


# -- updates in ------------------------------------------------------------------------------------


def to_incoming(update: dict[str, Any]) -> Optional[Incoming]:
    """The channel-neutral form of a Telegram update (the Bot API's JSON); None for kinds the bot does not
    handle; `MalformedUpdate` when a field it reads has the wrong type (so no handler ever sees `"text": 5`).

    Read straight from the JSON: building python-telegram-bot's `Update` objects for every update cost more
    than the rest of receiving it.
    """
    update_id = str(shape.integer(update, "update_id", required=True))
    query = shape.mapping(update, "callback_query")
    if query is not None:
        return _pressed(update_id, query)
    message = shape.mapping(update, "message")
    if message is None:
        return None  # edited messages, channel posts, ...: not requested, ignored if they come
    return _written(update_id, message)


def _pressed(update_id: str, query: dict[str, Any]) -> Optional[Incoming]:
    """A button press (callback query) on one of our messages."""
    callback_id = shape.identifier(query, "id", required=True)
    user = shape.mapping(query, "from", required=True)
    data = shape.text(query, "data")
    message = shape.mapping(query, "message")
    if data is None or message is None:
        return None  # game buttons, inline-mode messages: not ours
    chat = shape.mapping(message, "chat", required=True)
    message_id = shape.integer(message, "message_id", required=True)
    text = shape.text(message, "text")
    if text is None:
        text = shape.text(message, "caption")
    return Incoming(
        **_sender_fields(update_id, user, chat),  # type: ignore[arg-type]
        payload=data,
        callback_id=callback_id,
        message_id=str(message_id),
        message_text=text,
        button_label=_button_label(message, data),
    )


def _button_label(message: dict[str, Any], data: str) -> Optional[str]:
    """The label of the pressed button, read from the message's inline keyboard."""
    markup = shape.mapping(message, "reply_markup")
    rows = markup.get("inline_keyboard") if markup is not None else None
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise MalformedUpdate("inline_keyboard must be an array of arrays")
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise MalformedUpdate("an inline keyboard button must be an object")
            if button.get("callback_data") == data:
                return shape.text(button, "text")
    return None


def _written(update_id: str, message: dict[str, Any]) -> Optional[Incoming]:
    """A message a person wrote: text, a photo (with its caption), or nothing the bot reads."""
    chat = shape.mapping(message, "chat", required=True)
    shape.integer(message, "message_id", required=True)
    user = shape.mapping(message, "from")
    if user is None:
        return None  # channel posts have no sender
    photo_file_id = _photo_file_id(message)
    text = shape.text(message, "text")
    if text is None:
        text = shape.text(message, "caption")
    if text is None and photo_file_id is None:
        return None  # stickers, voice, locations, members joining, ...
    return Incoming(
        **_sender_fields(update_id, user, chat),  # type: ignore[arg-type]
        text=text,
        photo_file_id=photo_file_id,
    )


def _photo_file_id(message: dict[str, Any]) -> Optional[str]:
    """The largest size of a photo, or a picture sent "as a file"; None when the message has neither."""
    sizes = shape.objects(message, "photo")
    if sizes:
        largest = max(sizes, key=_photo_area)
        return shape.text(largest, "file_id", required=True)
    document = shape.mapping(message, "document")
    if document is not None and (shape.text(document, "mime_type") or "").startswith("image/"):
        return shape.text(document, "file_id", required=True)
    return None


def _photo_area(size: dict[str, Any]) -> tuple[int, int]:
    """How a photo size ranks: by pixels, then by bytes."""
    width, height = shape.integer(size, "width") or 0, shape.integer(size, "height") or 0
    return width * height, shape.integer(size, "file_size") or 0


def _sender_fields(update_id: str, user: dict[str, Any], chat: dict[str, Any]) -> dict[str, Optional[str]]:
    """Who wrote, in which chat: the fields every Incoming from Telegram has (ids are whole numbers)."""
    names = (shape.text(user, "first_name"), shape.text(user, "last_name"))
    return {
        "channel": CHANNEL,
        "update_id": update_id,
        "user_id": str(shape.integer(user, "id", required=True)),
        "chat_id": str(shape.integer(chat, "id", required=True)),
        "display_name": " ".join(part for part in names if part),
        "language_code": shape.text(user, "language_code"),
        "chat_type": _chat_type(shape.text(chat, "type") or ""),
    }


def _chat_type(kind: str) -> str:
    return "private" if kind == "private" else "group"


# -- outbox items out ------------------------------------------------------------------------------


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut a long text into Telegram messages of at most `limit`, at line breaks where possible."""
    return split_lines(text, limit)


def keyboard(rows: list[list[dict[str, str]]] | None) -> Optional[InlineKeyboardMarkup]:
    """Inline keyboard from the outbox form of a Reply's buttons."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button["label"], callback_data=button["payload"]) for button in row]
         for row in rows if row]
    )


def keyboard_json(rows: list[list[dict[str, str]]] | None) -> Optional[dict[str, Any]]:
    """The same inline keyboard as the Bot API's JSON, for the thin client (no objects built)."""
    if not rows:
        return None
    return {"inline_keyboard": [[{"text": button["label"], "callback_data": button["payload"]} for button in row]
                                for row in rows if row]}


def file_url_for(base_url: str) -> str:
    """The file download base that goes with a Bot API base: `.../bot` -> `.../file/bot`."""
    head, sep, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if sep else base_url


def _chat(chat_id: str) -> int | str:
    try:
        return int(chat_id)
    except ValueError:
        return chat_id  # @channelusername


def _retry_seconds(error: tg_error.RetryAfter) -> float:
    value: Any = getattr(error, "_retry_after", None)
    if value is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def map_error(error: tg_error.TelegramError) -> Exception:
    """The sender's view of a Telegram error."""
    if isinstance(error, tg_error.RetryAfter):
        return RetryAfter(_retry_seconds(error), str(error))
    if isinstance(error, tg_error.Forbidden):
        return Unreachable(str(error))
    if isinstance(error, (tg_error.ChatMigrated, tg_error.BadRequest)):
        return PermanentError(str(error))
    if isinstance(error, tg_error.TimedOut):
        return SendTimedOut(f"TimedOut: {error}")  # no answer in time: it may still land
    # TimedOut, NetworkError (5xx, connection), InvalidToken, Conflict, invalid responses: may pass.
    return TransientError(f"{type(error).__name__}: {error}")


class TelegramRenderer:
    """Delivers outbox items through the Bot API."""

    channel = CHANNEL

    def __init__(self, bot: Bot, database: Database, db_executor: Executor | None = None,
                 api: Optional[BotApiClient] = None) -> None:
        self.bot = bot
        self.database = database
        self.db_executor = db_executor
        self.api = api or BotApiClient(bot.base_url)
        # Parts of a split text already accepted, by outbox item: a retry starts at the first part not accepted,
        # so a long message never shows its first parts again after its later ones.
        self._parts_sent: dict[int, int] = {}

    def is_group_chat(self, chat_id: str) -> bool:
        """Telegram group and supergroup ids are negative."""
        return chat_id.startswith("-")

    async def deliver(self, item: OutboxItem) -> None:
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
            mapped = map_error(error)
            if not isinstance(mapped, (RetryAfter, TransientError)):
                self._parts_sent.pop(item.id, None)  # not coming back
            raise mapped from error

    async def _send_message(self, chat_id: str, payload: dict[str, Any], item_id: Optional[int] = None) -> None:
        text = (payload.get("text") or "").strip("\n")
        token = payload.get("file_token")
        if token:
            markup = keyboard(payload.get("buttons"))
            stored = await self._load_file(token)
            if stored is not None:
                fits = utf16_len(text) <= CAPTION_LIMIT
                caption = text if (fits and text) else None
                send = self.bot.send_photo if payload.get("file_kind") == "photo" else self.bot.send_document
                await send(  # type: ignore[operator]
                    _chat(chat_id),
                    stored.content,
                    caption=caption,
                    filename=stored.filename,
                    reply_markup=markup if (fits or not text) else None,
                )
                if fits or not text:
                    return
            else:
                log.warning("stored file %s is gone; sending the text alone to chat %s", token, chat_id)
        if not text.strip():
            raise PermanentError("empty message")
        await self._send_text(chat_id, text, keyboard_json(payload.get("buttons")), item_id)

    async def _send_text(self, chat_id: str, text: str, markup: Optional[dict[str, Any]],
                         item_id: Optional[int] = None) -> None:
        """Send a text in parts of at most TEXT_LIMIT; a retry of the same item skips the parts accepted."""
        parts = split_text(text)
        done = self._parts_sent.get(item_id, 0) if item_id is not None else 0
        for index, part in enumerate(parts):
            if index < done:
                continue
            last = index == len(parts) - 1
            params: dict[str, Any] = {"chat_id": _chat(chat_id), "text": part}
            if last and markup is not None:
                params["reply_markup"] = markup
            await self.api.call("sendMessage", params)
            if item_id is not None and not last:
                self._parts_sent[item_id] = index + 1
        if item_id is not None:
            self._parts_sent.pop(item_id, None)

    async def _edit(self, chat_id: str, payload: dict[str, Any], item_id: Optional[int] = None) -> None:
        text = (payload.get("text") or "").strip("\n") or "✔"
        markup = keyboard_json(payload.get("buttons"))
        if payload.get("file_token"):
            await self._send_message(chat_id, payload, item_id)  # a file cannot replace a text message
            return
        parts = split_text(text)
        try:
            params: dict[str, Any] = {"chat_id": _chat(chat_id), "message_id": int(payload["message_id"]),
                                      "text": parts[0]}
            if markup is not None and len(parts) == 1:
                params["reply_markup"] = markup
            await self.api.call("editMessageText", params)
        except tg_error.BadRequest as error:
            reason = str(error).lower()
            if "not modified" in reason:
                pass  # the message already says this: nothing to do
            elif any(phrase in reason for phrase in (
                "message to edit not found", "can't be edited", "message_id_invalid",
                "no text in the message", "message can't be found",
            )):
                await self._send_text(chat_id, text, markup, item_id)  # too old or gone: say it anew
                return
            else:
                raise
        if len(parts) > 1:
            await self._send_text(chat_id, "\n".join(parts[1:]), markup, item_id)

    async def _answer_callback(self, payload: dict[str, Any]) -> None:
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
        commands = [BotCommand(command, description) for command, description in payload.get("commands", [])]
        await self.bot.set_my_commands(commands, scope=BotCommandScopeChat(_chat(chat_id)))

    async def _load_file(self, token: str) -> Optional[StoredFile]:
        def load() -> Optional[StoredFile]:
            with self.database.session() as session:
                return session.exec(select(StoredFile).where(StoredFile.token == token)).first()

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.db_executor, load)


# -- the channel: bot, polling loop, webhook route -------------------------------------------------


class TelegramChannel:
    """Owns the PTB `Bot`; receives updates (polling or webhook) and hands them to the engine."""

    channel = CHANNEL

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        mode: str,
        base_file_url: Optional[str] = None,
        engine: UpdateProcessor,
        process_executor: Executor,
        database: Database,
        clock: Clock,
        public_url: Optional[str] = None,
        secret_token: Optional[str] = None,
        poll_timeout: int = 25,
        connection_pool_size: int = 16,
        request_timeout: float = 10.0,
        send_timeout: float = 60.0,
        set_default_commands: bool = True,
    ) -> None:
        if mode not in ("polling", "webhook"):
            raise ValueError(f"unknown Telegram mode {mode!r}")
        if mode == "webhook" and not (public_url and secret_token):
            raise ValueError("webhook mode needs a public URL and a secret token")
        self.mode = mode
        self.engine = engine
        self.process_executor = process_executor
        self.database = database
        self.clock = clock
        self.public_url = public_url
        self.secret_token = secret_token
        self.poll_timeout = poll_timeout
        self.set_default_commands = set_default_commands
        self.bot = Bot(
            token,
            base_url=base_url,
            base_file_url=base_file_url or file_url_for(base_url),
            # Files and menus go through PTB's client: a send waits as long as the thin client's sends do.
            request=HTTPXRequest(
                connection_pool_size=connection_pool_size,
                read_timeout=send_timeout,
                write_timeout=send_timeout,
                connect_timeout=request_timeout,
                pool_timeout=request_timeout,
            ),
            # getUpdates adds its long-poll `timeout` to this read time-out.
            get_updates_request=HTTPXRequest(connection_pool_size=1, read_timeout=request_timeout,
                                             connect_timeout=request_timeout),
        )
        # Sends wait well beyond Telegram's slowest usual answer: a call given up may still land (bot/outbox_sender.py).
        self.api = BotApiClient(f"{base_url}{token}", timeout=send_timeout, connections=connection_pool_size)
        # Long polls on a connection of their own, with room for the poll's own time-out.
        self.poll_api = BotApiClient(f"{base_url}{token}", timeout=poll_timeout + request_timeout, connections=1)
        self.renderer = TelegramRenderer(self.bot, database, api=self.api)
        self.username: Optional[str] = None
        self.offset: Optional[int] = None
        self._poller: Optional["asyncio.Task[None]"] = None
        self._fetch: Optional["asyncio.Future[Any]"] = None
        self._stop_event = asyncio.Event()

    # lifecycle

    async def start(self) -> None:
        """Check the token (getMe), remember the username, set the menu, start receiving updates."""
        try:
            await self.bot.initialize()
        except tg_error.InvalidToken:
            # PTB's message repeats the token; ours names the setting instead.
            raise ConfigError("BDHVS_TELEGRAM_TOKEN: the Bot API rejected the token") from None
        self.username = self.bot.username
        await self._run_db(self._store_username, self.username)
        if self.set_default_commands:
            await self._set_default_commands()
        self._stop_event = asyncio.Event()
        if self.mode == "polling":
            await self.bot.delete_webhook()
            self._poller = asyncio.create_task(self._poll_loop(), name="telegram-polling")
        else:
            url = f"{self.public_url}{WEBHOOK_PATH}"
            await self.bot.set_webhook(url=url, secret_token=self.secret_token, allowed_updates=ALLOWED_UPDATES)
            log.info("Telegram webhook set to %s", url)

    async def stop(self) -> None:
        """Stop polling: the update being processed finishes, the long poll is cancelled."""
        self._stop_event.set()
        if self._fetch is not None and not self._fetch.done():
            self._fetch.cancel()
        if self._poller is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
            if self.offset is not None:
                # Tell Telegram what we processed, so the next start does not fetch it again.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        self.poll_api.call("getUpdates", {"offset": self.offset, "timeout": 0, "limit": 1}), 5)

    async def close(self) -> None:
        """Close the Bot's HTTP clients."""
        await self.api.close()
        await self.poll_api.close()
        await self.bot.shutdown()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(WEBHOOK_PATH, self.handle_webhook)

    # start-up details

    def _store_username(self, username: Optional[str]) -> None:
        from storage.settings import set_setting

        if username:
            with self.database.session() as session:
                set_setting(session, USERNAME_SETTING, username, self.clock.now())

    async def _set_default_commands(self) -> None:
        from bot.i18n import Translator
        from handlers.menu import default_menu

        try:
            await self.bot.set_my_commands([tuple(c) for c in default_menu(Translator("vi"))])  # type: ignore[misc]
            await self.bot.set_my_commands([tuple(c) for c in default_menu(Translator("en"))],  # type: ignore[misc]
                                           language_code="en")
        except tg_error.TelegramError as error:
            log.warning("could not set the default command menu: %s", error)

    async def _run_db(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(function, *args)

    # polling

    async def _poll_loop(self) -> None:
        backoff = 1.0
        while not self._stop_event.is_set():
            try:
                params: dict[str, Any] = {"timeout": self.poll_timeout, "allowed_updates": ALLOWED_UPDATES}
                if self.offset is not None:
                    params["offset"] = self.offset
                self._fetch = asyncio.ensure_future(self.poll_api.call("getUpdates", params))
                updates = await self._fetch
                if not isinstance(updates, list):
                    raise tg_error.NetworkError("getUpdates did not answer with a list")
            except asyncio.CancelledError:
                if self._stop_event.is_set():
                    return
                raise
            except tg_error.RetryAfter as error:
                await self._pause(_retry_seconds(error))
                continue
            except tg_error.TelegramError as error:
                log.warning("getUpdates failed (%s); trying again in %.0f s", error, backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            finally:
                self._fetch = None
            backoff = 1.0
            loop = asyncio.get_running_loop()
            # The whole batch in one trip to the update thread (one hand-over instead of one per update);
            # it stops early on a failed commit or when we are told to stop.
            done, failed = await asyncio.shield(loop.run_in_executor(self.process_executor, self._process_batch,
                                                                     updates))
            if done:
                self.offset = done
            if failed:
                await self._pause(backoff)
                backoff = min(backoff * 2, 60.0)
            if self._stop_event.is_set():
                return

    def _process_batch(self, updates: list[Any]) -> tuple[Optional[int], bool]:
        """Process updates in order on the update thread: (the next offset, whether a commit failed)."""
        readable: list[tuple[int, Optional[Incoming]]] = []  # (update id, what it says; None: nothing for us)
        for update in updates:
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                log.warning("skipping a getUpdates entry that is not an update: %.200r", update)
                continue
            try:
                readable.append((update["update_id"], to_incoming(update)))
            except MalformedUpdate as error:  # moved past, like an update that is not for us
                log.warning("skipping malformed Telegram update %s: %s", update["update_id"], error)
                readable.append((update["update_id"], None))
            except Exception:
                log.exception("could not read Telegram update %s; skipping it", update.get("update_id"))
                readable.append((update["update_id"], None))
        outcomes = self.engine.process_each([incoming for _, incoming in readable if incoming is not None])
        offset: Optional[int] = None
        try:
            for update_id, incoming in readable:
                if self._stop_event.is_set():
                    break
                if incoming is not None:
                    try:
                        next(outcomes)
                    except Exception:
                        # The engine could not commit (database down?): fetch the same update again later.
                        log.exception("processing Telegram update %s failed; it will be fetched again", update_id)
                        return offset, True
                offset = update_id + 1
        finally:
            outcomes.close()  # stopped early: what the engine already took still finishes and is handed over
        return offset, False

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), seconds)

    async def handle_update(self, update: dict[str, Any]) -> None:
        """Process one update (the Bot API's JSON); returns after its transaction committed."""
        try:
            incoming = to_incoming(update)
        except MalformedUpdate as error:
            log.warning("skipping malformed Telegram update %s: %s", update.get("update_id"), error)
            return
        except Exception:
            log.exception("could not read Telegram update %s; skipping it", update.get("update_id"))
            return
        await self._process(incoming)

    async def _process(self, incoming: Optional[Incoming]) -> None:
        """Hand one read update to the engine (through the flood gate); returns after its commit."""
        if incoming is None:
            return
        loop = asyncio.get_running_loop()
        # Shielded: once handed to the engine the update finishes even if our caller is cancelled.
        await asyncio.shield(loop.run_in_executor(self.process_executor, self.engine.process, incoming))

    # webhook

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """POST /telegram/webhook: 403 without the secret, 400 for what is not a well-formed update, 200 once
        committed (or set aside: not for us, or over the sender's flood limit).

        Telegram repeats a call answered with anything but 2xx a few times, then gives up; only a fault on
        our side (the database down) answers 500, so that the update comes again."""
        if not self.secret_token or not hmac.compare_digest(
            request.headers.get(SECRET_HEADER, "").encode(), self.secret_token.encode()
        ):
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json(loads=json.loads)
            if not isinstance(data, dict):
                raise MalformedUpdate("not a JSON object")
            incoming = to_incoming(data)
        except Exception as error:  # not JSON, or a field of the wrong type: refused before any handler
            log.warning("refused a malformed Telegram webhook update: %s", error)
            return web.Response(status=400, text="not a well-formed Telegram update")
        try:
            await self._process(incoming)
        except Exception:
            log.exception("processing Telegram update %s failed; Telegram will send it again", data["update_id"])
            return web.Response(status=500, text="try again")
        return web.Response(status=200, text="ok")

