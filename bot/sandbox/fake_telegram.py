"""An in-process fake of the Telegram Bot API, for the sandbox web chat, tests and benchmarks.

python-telegram-bot talks to it unmodified: ``telegram.Bot(fake.token, base_url=f"{url}/bot",
base_file_url=f"{url}/file/bot")``. It answers like Telegram does (``{"ok": true, "result": ...}``
or ``{"ok": false, "error_code": N, "description": ...}``, same HTTP status codes, same wording for
the errors a bot meets in practice), keeps every chat's transcript, and lets a test play the user
side: ``user_says``, ``user_presses``, ``user_sends_photo``, ``redeliver``, then ``wait_for`` what
the bot answers.

Everything runs on the caller's event loop; state is plain Python, touched only from that loop.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import math
import mimetypes
import re
import secrets
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional

import aiohttp
from aiohttp import web

from .faults import PlatformFaults
from .formatting import EntityParseError, format_text

log = logging.getLogger(__name__)

__all__ = ["FakeTelegram", "BotApiError", "StoredFile", "UpdateId"]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # Telegram: 10 MB photos, 50 MB other files
TYPING_SECONDS = 5.0  # a chat action shows for 5 s or until the next message

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"

# Methods that count against the flood limit (rate_limit_per_second).
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)
# Parameters PTB sends JSON-encoded in form fields.
JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "scope",
        "commands",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "media",
    }
)
INT_PARAMS = frozenset(
    {
        "offset",
        "limit",
        "timeout",
        "message_id",
        "reply_to_message_id",
        "cache_time",
        "max_connections",
        "message_thread_id",
        "from_chat_id",
    }
)
BOOL_PARAMS = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Real Bot API methods the fake accepts and records without modelling them.
ACCEPTED_NOOP_METHODS = frozenset(
    {
        "setMyDescription",
        "setMyShortDescription",
        "setMyName",
        "setChatMenuButton",
        "setMyDefaultAdministratorRights",
        "pinChatMessage",
        "unpinChatMessage",
        "unpinAllChatMessages",
        "logOut",
        "close",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class BotApiError(Exception):
    """An error answer of the Bot API: HTTP status = error_code, Telegram's description."""

    def __init__(self, error_code: int, description: str, parameters: Optional[dict[str, Any]] = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(detail: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {detail}")


class UpdateId(int):
    """An update id that can also be awaited (``await fake.user_says(...)`` works, and is the same)."""

    def __await__(self):  # type: ignore[no-untyped-def]
        if False:  # pragma: no cover - makes this a generator
            yield None
        return int(self)


@dataclass
class StoredFile:
    """A file the fake holds: uploaded by the bot, sent by a user, or only referenced by URL."""

    file_id: str
    file_unique_id: str
    kind: str  # photo | document
    data: Optional[bytes]
    file_name: Optional[str] = None
    mime_type: Optional[str] = None
    url: Optional[str] = None  # sent "by URL": the fake does not fetch it
    width: int = 0
    height: int = 0

    @property
    def file_size(self) -> int:
        return len(self.data) if self.data is not None else 0

    @property
    def file_path(self) -> str:
        if self.kind == "photo":
            return f"photos/{self.file_unique_id}.jpg"  # Telegram re-encodes photos as JPEG
        folder = "documents"
        suffix = ""
        if self.file_name and "." in self.file_name:
            suffix = "." + self.file_name.rsplit(".", 1)[1]
        elif self.mime_type:
            suffix = mimetypes.guess_extension(self.mime_type) or ""
        return f"{folder}/{self.file_unique_id}{suffix}"


@dataclass(eq=False)
class _Record:
    message: dict[str, Any]
    sender: str  # bot | user
    edited: bool = False
    deleted: bool = False


@dataclass
class _Chat:
    info: dict[str, Any]
    records: list[_Record] = field(default_factory=list)
    next_message_id: int = 1
    version: int = 0
    reply_keyboard: Optional[dict[str, Any]] = None  # the custom keyboard currently shown, if any
    last_action: Optional[tuple[str, float]] = None  # (action, monotonic time)
    notices: list[dict[str, Any]] = field(default_factory=list)  # callback answers with text


@dataclass(eq=False)
class _Pending:
    update: dict[str, Any]
    redelivered: bool = False
    returned: bool = False  # handed out by getUpdates at least once


class _TokenBucket:
    def __init__(self, rate: float, burst: Optional[float], clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self.tokens = self.capacity
        self.clock = clock
        self.last = clock()

    def take(self) -> float:
        """Take a token; 0 when allowed, else the seconds until one is available."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG (enough for PhotoSize), else (0, 0)."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
            return struct.unpack(">II", data[16:24])
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", data[6:10])
        if data[:2] == b"\xff\xd8":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                length = struct.unpack(">H", data[i + 2 : i + 4])[0]
                if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                    height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                    return width, height
                i += 2 + length
    except struct.error:
        pass
    return 0, 0


def _image_mime(data: bytes) -> Optional[str]:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:2] == b"\xff\xd8":
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _jsonable(value: Any) -> Any:
    return copy.deepcopy(value)


class FakeTelegram:
    """A fake Telegram Bot API server plus the user side of every chat, for tests and the sandbox."""

    def __init__(
        self,
        token: str = "123456:SANDBOX-TOKEN",
        bot_username: str = "bdhvs_sandbox_bot",
        *,
        bot_first_name: str = "Bình dân học vụ số",
        rate_limit_per_second: Optional[float] = None,
        rate_limit_burst: Optional[float] = None,
        per_chat_rate_limit_per_second: Optional[float] = None,
        strict_chats: bool = True,
        webhook_max_attempts: int = 5,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 10.0,
        first_update_id: int = 1,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not _TOKEN_RE.match(token):
            raise ValueError(f"not a Telegram-shaped token: {token!r}")
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_first_name = bot_first_name
        self.rate_limit_per_second = rate_limit_per_second
        self.per_chat_rate_limit_per_second = per_chat_rate_limit_per_second
        self.strict_chats = strict_chats  # sending to a chat nobody opened: 400 "chat not found"
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self._clock = clock
        self._monotonic = monotonic

        # what tests read
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every call with a valid token, in order
        self.errors: list[tuple[str, dict[str, Any], int, str]] = []  # (method, params, code, description)
        self.rate_limited_count = 0
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.webhook_attempts: list[dict[str, Any]] = []  # {update_id, attempt, status | error}
        self.faults = PlatformFaults()  # errors and held calls a test asks for (bot/sandbox/faults.py)
        self.url: Optional[str] = None  # set by start()
        self.chat_waiters = 0  # long polls parked in wait_for_chat_change (the web page's)

        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, _Chat] = {}
        self._blocked: set[int] = set()
        self._files: dict[str, StoredFile] = {}
        self._file_seq = itertools.count(1)
        self._next_update_id = first_update_id
        self._updates: dict[int, dict[str, Any]] = {}  # every update ever made, by id
        self._pending: list[_Pending] = []
        self._acknowledged: set[int] = set()
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._callback_seq = itertools.count(1)
        self._commands: dict[tuple[tuple[Any, ...], str], list[dict[str, str]]] = {}
        self._webhook: Optional[dict[str, Any]] = None
        self._webhook_last_error: Optional[tuple[int, str]] = None
        self._webhook_task: Optional[asyncio.Task[None]] = None
        self._webhook_session: Optional[aiohttp.ClientSession] = None
        self._poll_generation = 0
        self._wake_generation = 0  # bumped on shutdown: every long poll returns
        self._bucket = _TokenBucket(rate_limit_per_second, rate_limit_burst, monotonic) if rate_limit_per_second else None
        self._chat_buckets: dict[int, _TokenBucket] = {}
        self._cond: Optional[asyncio.Condition] = None
        self._cond_loop: Optional[asyncio.AbstractEventLoop] = None
        self._background: set[asyncio.Task[Any]] = set()
        self._runner: Optional[web.AppRunner] = None

    # ------------------------------------------------------------------ server wiring

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as a User object (what getMe answers, and every bot message's ``from``)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def add_route(self, app: web.Application, prefix: str = "") -> None:
        """Mount the Bot API at ``{prefix}/bot{token}/{method}`` and files at ``{prefix}/file/bot{token}/{path}``."""
        prefix = prefix.rstrip("/")
        app.router.add_route("*", prefix + "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", prefix + "/file/bot{token}/{file_path:.+}", self._handle_file_download)
        app.on_shutdown.append(self._on_shutdown)
        app.on_cleanup.append(self._on_cleanup)

    def create_app(self) -> web.Application:
        """A standalone aiohttp application serving only the Bot API."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        self.add_route(app)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve ``create_app()`` on host:port (0 = any free port); return the base URL."""
        runner = web.AppRunner(self.create_app(), shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"
        return self.url

    @property
    def base_url(self) -> str:
        """PTB's ``base_url`` for a server started with start()."""
        if not self.url:
            raise RuntimeError("FakeTelegram.start() was not called")
        return self.url + "/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's ``base_file_url`` for a server started with start()."""
        if not self.url:
            raise RuntimeError("FakeTelegram.start() was not called")
        return self.url + "/file/bot"

    async def close(self) -> None:
        """Wake every long poll, stop webhook delivery, stop the server started by start().

        The fake stays usable (its state is kept): a restarted app can mount it again.
        """
        await self.wake_waiters()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        await self._stop_background()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def wake_waiters(self) -> None:
        """Make every pending long poll (getUpdates, the page's chat poll) answer now."""
        self._wake_generation += 1
        await self._notify()

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.wake_waiters()

    async def _on_cleanup(self, app: web.Application) -> None:
        await self._stop_background()

    async def _stop_background(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        tasks = [t for t in list(self._background) if not t.done()]
        if task is not None:
            tasks.append(task)
        for t in tasks:
            t.cancel()
        for t in tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass
        if self._webhook_session is not None:
            session, self._webhook_session = self._webhook_session, None
            await session.close()

    # ------------------------------------------------------------------ notification

    def _condition(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if self._cond is None or self._cond_loop is not loop:
            self._cond = asyncio.Condition()
            self._cond_loop = loop
        return self._cond

    async def _notify(self) -> None:
        cond = self._condition()
        async with cond:
            cond.notify_all()

    def _changed(self) -> None:
        """Wake the waiters from synchronous code (the user-side methods)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop, so nobody can be waiting
        self._spawn(self._notify(), loop)

    def _spawn(self, coro: Awaitable[Any], loop: Optional[asyncio.AbstractEventLoop] = None) -> asyncio.Task[Any]:
        loop = loop or asyncio.get_running_loop()
        task = loop.create_task(coro)  # type: ignore[arg-type]
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _wait(self, predicate: Callable[[], Any], timeout: Optional[float]) -> Any:
        """Wait until predicate() is truthy; return its value, or raise TimeoutError."""
        cond = self._condition()
        async with asyncio.timeout(timeout):
            async with cond:
                return await cond.wait_for(predicate)

    # ------------------------------------------------------------------ the test API: the user side

    def add_user(
        self,
        user_id: int,
        first_name: str = "Người dùng",
        *,
        last_name: Optional[str] = None,
        username: Optional[str] = None,
        language_code: Optional[str] = "vi",
    ) -> dict[str, Any]:
        """Register a person who has opened the chat with the bot (so the bot may write to them first)."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        self._private_chat(user)
        return dict(user)

    def block(self, user_id: int, blocked: bool = True) -> None:
        """The person blocks (or unblocks) the bot: sending to them answers 403."""
        if blocked:
            self._blocked.add(user_id)
        else:
            self._blocked.discard(user_id)

    def user_says(
        self,
        user_id: int,
        text: str,
        *,
        first_name: Optional[str] = None,
        language_code: Optional[str] = "vi",
        chat_id: Optional[int] = None,
        chat_title: Optional[str] = None,
        reply_to_message_id: Optional[int] = None,
    ) -> UpdateId:
        """A person writes ``text`` (in their private chat unless chat_id is a group's); returns the update_id."""
        plain, entities = format_text(text)
        if not plain:
            raise ValueError("a Telegram client does not send an empty message")
        user = self._touch_user(user_id, first_name, language_code)
        chat = self._chat_for(user, chat_id, chat_title)
        message: dict[str, Any] = self._new_user_message(chat, user)
        message["text"] = plain
        if entities:
            message["entities"] = entities
        if reply_to_message_id is not None:
            replied = self._find_record(chat, reply_to_message_id)
            if replied is not None:
                message["reply_to_message"] = _jsonable(replied.message)
        self._add_record(chat, message, "user")
        return self._enqueue({"message": message})

    def user_sends_photo(
        self,
        user_id: int,
        file_bytes: bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00",
        caption: Optional[str] = None,
        *,
        first_name: Optional[str] = None,
        language_code: Optional[str] = "vi",
        chat_id: Optional[int] = None,
        mime_type: str = "image/jpeg",
    ) -> UpdateId:
        """A person sends a picture (optionally captioned); the bot can getFile and download it."""
        user = self._touch_user(user_id, first_name, language_code)
        chat = self._chat_for(user, chat_id, None)
        stored = self._store_file("photo", file_bytes, mime_type=_image_mime(file_bytes) or mime_type)
        message = self._new_user_message(chat, user)
        message["photo"] = self._photo_sizes(stored)
        if caption:
            plain, entities = format_text(caption)
            message["caption"] = plain
            if entities:
                message["caption_entities"] = entities
        self._add_record(chat, message, "user")
        return self._enqueue({"message": message})

    def user_presses(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: Optional[int] = None,
        first_name: Optional[str] = None,
        language_code: Optional[str] = "vi",
        strict: bool = True,
    ) -> UpdateId:
        """A person presses the inline button with ``callback_data`` under bot message ``message_id``.

        strict (default): the message must exist and still carry that button, as in a Telegram client.
        strict=False sends the press anyway (a press racing with the bot's edit).
        """
        user = self._touch_user(user_id, first_name, language_code)
        chat = self._chat_for(user, chat_id, None)
        record = self._find_record(chat, message_id)
        if record is None or record.deleted:
            raise ValueError(f"chat {chat.info['id']} has no message {message_id}")
        if record.sender != "bot":
            raise ValueError(f"message {message_id} in chat {chat.info['id']} is not the bot's")
        datas = [
            button.get("callback_data")
            for row in (record.message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        ]
        if strict and callback_data not in datas:
            raise ValueError(
                f"message {message_id} in chat {chat.info['id']} has no button with callback_data "
                f"{callback_data!r}; its buttons: {datas}"
            )
        query_id = f"{self.bot_id}{next(self._callback_seq):010d}"
        query = {
            "id": query_id,
            "from": dict(user),
            "message": _jsonable(record.message),
            "chat_instance": str(-abs(hash((self.bot_id, chat.info["id"]))) % 10**18),
            "data": callback_data,
        }
        self._callback_queries[query_id] = {"chat_id": chat.info["id"], "answered": False}
        return self._enqueue({"callback_query": query})

    def redeliver(self, update_id: int) -> UpdateId:
        """Deliver the very same update again, as Telegram does when it was not acknowledged in time."""
        if update_id not in self._updates:
            raise KeyError(f"no update {update_id}")
        self._pending.append(_Pending(self._updates[update_id], redelivered=True))
        self._acknowledged.discard(update_id)
        self._after_enqueue()
        return UpdateId(update_id)

    # ------------------------------------------------------------------ the test API: reading

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The chat's transcript: Message dicts as they are now, plus ``sender`` (bot | user) and ``edited``."""
        chat = self._chats.get(int(chat_id))
        if chat is None:
            return []
        return [
            {**_jsonable(r.message), "sender": r.sender, "edited": r.edited} for r in chat.records if not r.deleted
        ]

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in the chat, oldest first."""
        return [m for m in self.messages(chat_id) if m["sender"] == "bot"]

    def last_bot_message(self, chat_id: int) -> Optional[dict[str, Any]]:
        """The bot's latest message in the chat, or None."""
        chat = self._chats.get(int(chat_id))
        for record in reversed(chat.records if chat else []):
            if record.sender == "bot" and not record.deleted:
                return {**_jsonable(record.message), "sender": "bot", "edited": record.edited}
        return None

    def bot_message_count(self, chat_id: int) -> int:
        """How many bot messages the chat holds (cheap: for predicates in benchmarks)."""
        chat = self._chats.get(int(chat_id))
        return sum(1 for r in chat.records if r.sender == "bot" and not r.deleted) if chat else 0

    def chat_version(self, chat_id: int) -> int:
        """A counter bumped on every new, edited or deleted message in the chat (0 for an unknown chat)."""
        chat = self._chats.get(int(chat_id))
        return chat.version if chat else 0

    def chat_state(self, chat_id: int) -> dict[str, Any]:
        """What a chat client shows besides messages: custom keyboard, typing, callback notices."""
        chat = self._chats.get(int(chat_id))
        if chat is None:
            return {"reply_keyboard": None, "chat_action": None, "notices": []}
        action = None
        if chat.last_action is not None:
            name, at = chat.last_action
            if self._monotonic() - at < TYPING_SECONDS:
                action = name
        return {
            "reply_keyboard": _jsonable(chat.reply_keyboard),
            "chat_action": action,
            "notices": _jsonable(chat.notices[-5:]),
        }

    def file(self, file_id: str) -> Optional[StoredFile]:
        """A stored file by file_id (bytes in ``.data``)."""
        return self._files.get(file_id)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The params of every call to one method, in order."""
        return [params for name, params in self.calls if name == method]

    def commands(
        self,
        scope_chat_id: Optional[int] = None,
        language_code: Optional[str] = None,
        *,
        scope: Optional[dict[str, Any]] = None,
    ) -> list[dict[str, str]]:
        """The command list stored for exactly one scope (what getMyCommands answers).

        scope_chat_id -> BotCommandScopeChat; else ``scope`` (a BotCommandScope dict); else default.
        """
        if scope is None:
            scope = {"type": "chat", "chat_id": scope_chat_id} if scope_chat_id is not None else {"type": "default"}
        return _jsonable(self._commands.get((self._scope_key(scope), language_code or ""), []))

    def menu(self, chat_id: int, language_code: Optional[str] = None) -> list[dict[str, str]]:
        """The command menu a person sees in the chat, resolved the way Telegram does.

        Private chat: chat+lang, chat, all_private_chats+lang, all_private_chats, default+lang, default.
        """
        chat_id = int(chat_id)
        group = chat_id < 0
        broad = ("all_group_chats",) if group else ("all_private_chats",)
        for key in (("chat", chat_id), broad, ("default",)):
            for lang in ([language_code] if language_code else []) + [""]:
                found = self._commands.get((key, lang))
                if found:
                    return _jsonable(found)
        return []

    @property
    def pending_update_count(self) -> int:
        """Updates made but not acknowledged yet (getUpdates offset or webhook 2xx)."""
        return len(self._pending)

    def is_acknowledged(self, update_id: int) -> bool:
        """The bot confirmed the update (polling: a later offset; webhook: answered 2xx)."""
        return update_id in self._acknowledged and not any(
            p.update["update_id"] == update_id for p in self._pending
        )

    @property
    def webhook_url(self) -> Optional[str]:
        return self._webhook["url"] if self._webhook else None

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, *, what: Optional[str] = None
    ) -> Any:
        """Wait until predicate() is truthy, re-checked on every Bot API call and user action.

        Returns the predicate's value. On timeout raises TimeoutError listing the latest bot messages.
        """
        try:
            return await self._wait(predicate, timeout)
        except TimeoutError:
            raise TimeoutError(self._timeout_report(what or getattr(predicate, "__name__", "predicate"), timeout)) from None

    async def wait_for_bot_messages(self, chat_id: int, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until the chat holds at least ``count`` bot messages in total; return them all."""

        await self.wait_for(
            lambda: self.bot_message_count(chat_id) >= count, timeout, what=f"{count} bot message(s) in chat {chat_id}"
        )
        return self.bot_messages(chat_id)

    async def wait_until_acknowledged(self, update_id: Optional[int] = None, timeout: float = 5.0) -> None:
        """Wait until the bot acknowledged one update (or, with None, every pending update)."""
        if update_id is None:
            await self.wait_for(lambda: not self._pending, timeout, what="all updates acknowledged")
        else:
            await self.wait_for(
                lambda: self.is_acknowledged(update_id), timeout, what=f"update {update_id} acknowledged"
            )

    async def wait_for_chat_change(self, chat_id: int, version: int, timeout: float) -> int:
        """Long-poll helper: return the chat's version as soon as it differs from ``version`` (or at timeout)."""
        wake = self._wake_generation
        self.chat_waiters += 1
        await self._notify()  # lets a test wait until the page's poll is parked
        try:
            await self._wait(
                lambda: self.chat_version(chat_id) != version or self._wake_generation != wake, timeout
            )
        except TimeoutError:
            pass
        finally:
            self.chat_waiters -= 1
        return self.chat_version(chat_id)

    def _timeout_report(self, what: str, timeout: float) -> str:
        lines = [f"FakeTelegram: timed out after {timeout:g}s waiting for {what}."]
        shown = 0
        for chat_id, chat in self._chats.items():
            bot = [r for r in chat.records if r.sender == "bot" and not r.deleted][-3:]
            for record in bot:
                message = record.message
                text = message.get("text") or message.get("caption") or ("<photo>" if "photo" in message else "<document>")
                buttons = [
                    b.get("text") for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row
                ]
                lines.append(
                    f"  chat {chat_id} #{message['message_id']}{' (edited)' if record.edited else ''}: "
                    f"{text[:200]!r}" + (f" buttons={buttons}" if buttons else "")
                )
                shown += 1
        if not shown:
            lines.append("  the bot has sent no message at all.")
        lines.append(f"  pending updates: {[p.update['update_id'] for p in self._pending]}")
        lines.append(f"  last calls: {[name for name, _ in self.calls[-8:]]}")
        if self.errors:
            method, _, code, description = self.errors[-1]
            lines.append(f"  last error answered: {method} -> {code} {description}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ internals: users, chats, updates

    def _touch_user(self, user_id: int, first_name: Optional[str], language_code: Optional[str]) -> dict[str, Any]:
        user = self._users.get(user_id)
        if user is None:
            user = self.add_user(user_id, first_name or "Người dùng", language_code=language_code)
        else:
            if first_name:
                user["first_name"] = first_name
            if language_code:
                user["language_code"] = language_code
        return user

    def _private_chat(self, user: dict[str, Any]) -> _Chat:
        chat = self._chats.get(user["id"])
        info = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                info[key] = user[key]
        if chat is None:
            chat = self._chats[user["id"]] = _Chat(info=info)
        else:
            chat.info.update(info)
        return chat

    def _chat_for(self, user: dict[str, Any], chat_id: Optional[int], title: Optional[str]) -> _Chat:
        if chat_id is None or chat_id == user["id"]:
            return self._private_chat(user)
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat(
                info={"id": chat_id, "type": "group" if chat_id < 0 else "private", "title": title or f"Nhóm {chat_id}"}
            )
        return chat

    def _new_user_message(self, chat: _Chat, user: dict[str, Any]) -> dict[str, Any]:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        return {
            "message_id": message_id,
            "from": dict(user),
            "chat": dict(chat.info),
            "date": int(self._clock()),
        }

    def _add_record(self, chat: _Chat, message: dict[str, Any], sender: str) -> _Record:
        record = _Record(message=message, sender=sender)
        chat.records.append(record)
        chat.version += 1
        if sender == "bot":
            chat.last_action = None  # a message ends "typing…"
        return record

    def _find_record(self, chat: _Chat, message_id: int) -> Optional[_Record]:
        for record in reversed(chat.records):
            if record.message["message_id"] == message_id:
                return record
        return None

    def _enqueue(self, body: dict[str, Any]) -> UpdateId:
        update_id = self._next_update_id
        self._next_update_id += 1
        update = {"update_id": update_id, **body}
        self._updates[update_id] = update
        self._pending.append(_Pending(update))
        self._after_enqueue()
        return UpdateId(update_id)

    def _after_enqueue(self) -> None:
        self._changed()
        if self._webhook is not None:
            self._ensure_webhook_worker()

    # ------------------------------------------------------------------ internals: HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method_name = request.match_info["method"]
        if not _TOKEN_RE.match(token):
            return self._error_response(BotApiError(404, "Not Found"))
        if token != self.token:
            return self._error_response(BotApiError(401, "Unauthorized"))
        handler = self._method_handler(method_name)
        method = handler.__name__[len("api_") :] if handler else method_name
        try:
            params = await self._read_params(request)
        except BotApiError as exc:
            return self._error_response(exc)
        self.calls.append(
            (method, {k: (f"<file {v.filename}>" if isinstance(v, web.FileField) else v) for k, v in params.items()})
        )
        logged = self.calls[-1][1]
        try:
            if handler is None:
                raise self._unknown_method(method_name)
            self._check_rate_limit(method, params)
            fault = self.faults.take(method)
            if fault is not None and fault.status is not None:
                retry = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
                raise BotApiError(fault.status, fault.description, retry)
            if fault is not None:
                return await self.faults.hold(request, fault, method, params,
                                              lambda: self._carry_out(handler, method, params, logged), self._spawn,
                                              self._notify)
        except BotApiError as exc:
            self.errors.append((method, logged, exc.error_code, exc.description))
            await self._notify()
            return self._error_response(exc)
        return await self._carry_out(handler, method, params, logged)

    async def _carry_out(self, handler: Callable[[dict[str, Any]], Awaitable[Any]], method: str,
                         params: dict[str, Any], logged: dict[str, Any]) -> web.Response:
        """Run the method and answer as the Bot API does."""
        try:
            result = await handler(params)
            self.faults.carried_out(method, params)
            if isinstance(result, tuple):
                result, description = result
                body = {"ok": True, "result": result, "description": description}
            else:
                body = {"ok": True, "result": result}
            return web.json_response(body)
        except BotApiError as exc:
            self.errors.append((method, logged, exc.error_code, exc.description))
            return self._error_response(exc)
        finally:
            await self._notify()

    def _error_response(self, exc: BotApiError) -> web.Response:
        return web.json_response(exc.payload(), status=exc.error_code)

    def _method_handler(self, name: str) -> Optional[Callable[[dict[str, Any]], Awaitable[Any]]]:
        # method names are case-insensitive in the Bot API
        attr = _API_METHODS.get(name.lower())
        if attr is not None:
            return getattr(self, attr)
        canonical = _NOOP_METHODS.get(name.lower())
        if canonical is not None:

            async def accepted(params: dict[str, Any]) -> bool:
                return True

            accepted.__name__ = "api_" + canonical
            return accepted
        return None

    def _unknown_method(self, name: str) -> BotApiError:
        try:
            import telegram  # only to tell "real but not faked" from "no such method"

            real = callable(getattr(telegram.Bot, name, None)) and name[:1].islower() and "_" not in name
        except ImportError:  # pragma: no cover
            real = False
        if real:
            return _bad_request(f"method {name} is not supported by the sandbox fake Bot API")
        return BotApiError(404, "Not Found")

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _bad_request("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise _bad_request("can't parse JSON object")
                raw.update(body)
            else:
                big = request.clone(client_max_size=MAX_UPLOAD_BYTES)
                try:
                    form = await big.post()
                except web.HTTPRequestEntityTooLarge:
                    raise BotApiError(413, "Request Entity Too Large") from None
                for key, value in form.items():
                    raw[key] = value
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, str):
                value = self._coerce(key, value)
            params[key] = value
        return params

    @staticmethod
    def _coerce(key: str, value: str) -> Any:
        if key in JSON_PARAMS:
            try:
                return json.loads(value)
            except ValueError:
                if key == "reply_markup":
                    raise _bad_request("can't parse reply keyboard markup JSON object") from None
                raise _bad_request(f"can't parse {key} JSON object") from None
        if key in INT_PARAMS or key == "chat_id" or key == "user_id":
            try:
                return int(value)
            except ValueError:
                if key in ("chat_id",):
                    return value  # @channelusername
                raise _bad_request(f"invalid {key} specified") from None
        if key in BOOL_PARAMS:
            return value.lower() in ("true", "1")
        return value

    def _check_rate_limit(self, method: str, params: dict[str, Any]) -> None:
        if method not in SENDING_METHODS:
            return
        waits = []
        if self._bucket is not None:
            waits.append(self._bucket.take())
        if self.per_chat_rate_limit_per_second and isinstance(params.get("chat_id"), int):
            bucket = self._chat_buckets.get(params["chat_id"])
            if bucket is None:
                bucket = self._chat_buckets[params["chat_id"]] = _TokenBucket(
                    self.per_chat_rate_limit_per_second, None, self._monotonic
                )
            waits.append(bucket.take())
        wait = max(waits, default=0.0)
        if wait > 0:
            self.rate_limited_count += 1
            retry_after = max(1, math.ceil(wait))
            raise BotApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    async def _handle_file_download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        path = request.match_info["file_path"]
        for stored in self._files.values():
            if stored.file_path == path and stored.data is not None:
                return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    # ------------------------------------------------------------------ internals: param helpers

    def _chat_param(self, params: dict[str, Any], *, for_sending: bool = True) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        if not isinstance(chat_id, int):
            raise _bad_request("chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.strict_chats:
                raise _bad_request("chat not found")
            user = self.add_user(chat_id) if chat_id > 0 else None
            chat = self._chats[chat_id] if user else self._chat_for({"id": 0}, chat_id, None)
        if for_sending and chat_id in self._blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _format(self, text: Any, params: dict[str, Any], entities_key: str, *, caption: bool) -> tuple[str, list[dict[str, Any]]]:
        parse_mode = params.get("parse_mode")
        if parse_mode and str(parse_mode).lower() not in ("html", "markdown", "markdownv2"):
            raise _bad_request("unsupported parse_mode")
        try:
            return format_text(str(text), parse_mode, params.get(entities_key))
        except EntityParseError as exc:
            raise _bad_request(f"can't parse entities: {exc}") from None

    def _check_markup(self, markup: Any) -> Optional[dict[str, Any]]:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad_request("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise _bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
                    actions = [k for k in button if k != "text"]
                    if not actions:
                        raise _bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
                    if "callback_data" in button:
                        data = button["callback_data"]
                        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                            raise _bad_request("BUTTON_DATA_INVALID")
                    if "url" in button and not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
                        raise _bad_request("BUTTON_URL_INVALID")
            return markup
        if "keyboard" in markup or "remove_keyboard" in markup or "force_reply" in markup:
            return markup
        raise _bad_request("can't find field \"inline_keyboard\"")

    def _apply_markup(self, chat: _Chat, message: dict[str, Any], markup: Optional[dict[str, Any]]) -> None:
        """Inline keyboards belong to the message; custom keyboards to the chat (Telegram does not echo them)."""
        if markup is None:
            return
        if "inline_keyboard" in markup:
            message["reply_markup"] = markup
        elif "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None

    def _new_bot_message(self, chat: _Chat, params: dict[str, Any]) -> dict[str, Any]:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": dict(chat.info),
            "date": int(self._clock()),
        }
        reply_to = params.get("reply_to_message_id")
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = reply_parameters.get("message_id", reply_to)
        if reply_to is not None:
            replied = self._find_record(chat, int(reply_to))
            if replied is not None and not replied.deleted:
                message["reply_to_message"] = _jsonable(replied.message)
            elif not params.get("allow_sending_without_reply") and not (
                isinstance(reply_parameters, dict) and reply_parameters.get("allow_sending_without_reply")
            ):
                raise _bad_request("message to be replied not found")
        return message

    def _store_file(
        self,
        kind: str,
        data: Optional[bytes],
        *,
        file_name: Optional[str] = None,
        mime_type: Optional[str] = None,
        url: Optional[str] = None,
    ) -> StoredFile:
        n = next(self._file_seq)
        unique = f"AQAD{n:06d}{secrets.token_hex(3)}"
        prefix = "AgAC" if kind == "photo" else "BQAC"
        width, height = _image_size(data) if (kind == "photo" and data) else (0, 0)
        stored = StoredFile(
            file_id=f"{prefix}{unique}{secrets.token_hex(8)}",
            file_unique_id=unique,
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            url=url,
            width=width or 1,
            height=height or 1,
        )
        self._files[stored.file_id] = stored
        return stored

    def _photo_sizes(self, stored: StoredFile) -> list[dict[str, Any]]:
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": stored.width,
                "height": stored.height,
                "file_size": stored.file_size,
            }
        ]

    def _input_file(self, params: dict[str, Any], key: str, kind: str) -> StoredFile:
        value = params.get(key)
        if value is None or value == "":
            raise _bad_request(f"there is no {key} in the request")
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
            if value is None:
                raise _bad_request(f"there is no {key} in the request")
        if isinstance(value, web.FileField):
            data = value.file.read()
            if not data:
                raise _bad_request("file must be non-empty")
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.filename or "")[0] or mime
            if kind == "photo":
                sniffed = _image_mime(data)
                if sniffed is None and not (mime or "").startswith("image/"):
                    raise _bad_request("IMAGE_PROCESS_FAILED")
                return self._store_file(kind, data, mime_type=sniffed or mime)
            return self._store_file(kind, data, file_name=value.filename, mime_type=mime)
        if isinstance(value, str):
            if value in self._files:
                return self._files[value]
            if re.match(r"^https?://", value):
                name = value.rsplit("/", 1)[-1].split("?", 1)[0] or None
                return self._store_file(kind, None, file_name=name, mime_type=mimetypes.guess_type(name or "")[0], url=value)
        raise _bad_request("wrong file identifier/HTTP URL specified")

    def _editable(self, params: dict[str, Any]) -> tuple[_Chat, _Record]:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the sandbox fake Bot API")
        chat = self._chat_param(params, for_sending=False)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        record = self._find_record(chat, int(message_id))
        if record is None or record.deleted:
            raise _bad_request("message to edit not found")
        if record.sender != "bot":
            raise _bad_request("message can't be edited")
        return chat, record

    def _mark_edited(self, chat: _Chat, record: _Record) -> None:
        record.edited = True
        record.message["edit_date"] = int(self._clock())
        chat.version += 1

    # ------------------------------------------------------------------ Bot API methods

    async def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise BotApiError(409, WEBHOOK_CONFLICT)
        offset = params.get("offset")
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0, int(params.get("timeout") or 0))
        self._poll_generation += 1
        generation = self._poll_generation
        await self._notify()  # terminates an older long poll, as Telegram does
        if offset is not None:
            self._confirm(int(offset))
        wake = self._wake_generation

        def ready() -> bool:
            return bool(self._pending) or generation != self._poll_generation or self._webhook is not None or wake != self._wake_generation

        if not self._pending and timeout > 0:
            try:
                await self._wait(ready, timeout)
            except TimeoutError:
                pass
        if generation != self._poll_generation:
            raise BotApiError(409, POLL_CONFLICT)
        if self._webhook is not None:
            raise BotApiError(409, WEBHOOK_CONFLICT)
        batch = self._pending[:limit]
        for pending in batch:
            pending.returned = True
        return [_jsonable(p.update) for p in batch]

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            cut = max(0, len(self._pending) + offset)
            dropped, self._pending = self._pending[:cut], self._pending[cut:]
        else:
            kept: list[_Pending] = []
            dropped = []
            for p in self._pending:
                confirmed = (p.returned if p.redelivered else p.update["update_id"] < offset)
                (dropped if confirmed else kept).append(p)
            self._pending = kept
        for p in dropped:
            self._acknowledged.add(p.update["update_id"])

    async def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_param(params)
        text = params.get("text")
        if text is None or str(text).strip() == "":
            raise _bad_request("message text is empty")
        plain, entities = self._format(text, params, "entities", caption=False)
        if not plain:
            raise _bad_request("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        markup = self._check_markup(params.get("reply_markup"))
        message = self._new_bot_message(chat, params)
        message["text"] = plain
        if entities:
            message["entities"] = entities
        if params.get("link_preview_options"):
            message["link_preview_options"] = params["link_preview_options"]
        self._apply_markup(chat, message, markup)
        self._add_record(chat, message, "bot")
        return _jsonable(message)

    async def _send_file(self, params: dict[str, Any], key: str, kind: str) -> dict[str, Any]:
        chat = self._chat_param(params)
        stored = self._input_file(params, key, kind)
        markup = self._check_markup(params.get("reply_markup"))
        message = self._new_bot_message(chat, params)
        if kind == "photo":
            message["photo"] = self._photo_sizes(stored)
        else:
            document: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
            if stored.file_name:
                document["file_name"] = stored.file_name
            if stored.mime_type:
                document["mime_type"] = stored.mime_type
            document["file_size"] = stored.file_size
            message["document"] = document
        caption = params.get("caption")
        if caption:
            plain, entities = self._format(caption, params, "caption_entities", caption=True)
            if len(plain) > MAX_CAPTION_LENGTH:
                raise _bad_request("message caption is too long")
            if plain:
                message["caption"] = plain
            if entities:
                message["caption_entities"] = entities
        self._apply_markup(chat, message, markup)
        self._add_record(chat, message, "bot")
        return _jsonable(message)

    async def api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "photo", "photo")

    async def api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "document", "document")

    async def api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad_request("invalid file_id")
        result: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.data is not None:
            result["file_size"] = stored.file_size
            result["file_path"] = stored.file_path
        return result

    async def api_sendChatAction(self, params: dict[str, Any]) -> bool:
        chat = self._chat_param(params)
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        chat.last_action = (str(action), self._monotonic())
        chat.version += 1
        return True

    async def api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, record = self._editable(params)
        message = record.message
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        text = params.get("text")
        if text is None or str(text).strip() == "":
            raise _bad_request("message text is empty")
        plain, entities = self._format(text, params, "entities", caption=False)
        if len(plain) > MAX_TEXT_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        markup = self._check_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad_request("inline keyboard expected")
        if (
            plain == message.get("text")
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise BotApiError(400, NOT_MODIFIED)
        message["text"] = plain
        if entities:
            message["entities"] = entities
        else:
            message.pop("entities", None)
        # editing without reply_markup removes the inline keyboard, as on Telegram
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        self._mark_edited(chat, record)
        return _jsonable(message)

    async def api_editMessageCaption(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, record = self._editable(params)
        message = record.message
        if "text" in message:
            raise _bad_request("there is no caption in the message to edit")
        plain, entities = self._format(params.get("caption") or "", params, "caption_entities", caption=True)
        if len(plain) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        markup = self._check_markup(params.get("reply_markup"))
        if plain == message.get("caption", "") and markup == message.get("reply_markup"):
            raise BotApiError(400, NOT_MODIFIED)
        for key, value in (("caption", plain), ("caption_entities", entities), ("reply_markup", markup)):
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        self._mark_edited(chat, record)
        return _jsonable(message)

    async def api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, record = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad_request("inline keyboard expected")
        current = record.message.get("reply_markup")
        empty = {"inline_keyboard": []}
        if (markup or empty) == (current or empty) or (not (markup or {}).get("inline_keyboard") and not current):
            raise BotApiError(400, NOT_MODIFIED)
        if markup is None or not markup.get("inline_keyboard"):
            record.message.pop("reply_markup", None)
        else:
            record.message["reply_markup"] = markup
        self._mark_edited(chat, record)
        return _jsonable(record.message)

    async def api_deleteMessage(self, params: dict[str, Any]) -> bool:
        chat = self._chat_param(params, for_sending=False)
        record = self._find_record(chat, int(params.get("message_id") or 0))
        if record is None or record.deleted:
            raise _bad_request("message to delete not found")
        record.deleted = True
        chat.version += 1
        return True

    async def api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        query = self._callback_queries.get(query_id)
        if query is None or query["answered"]:
            raise _bad_request(QUERY_TOO_OLD[len("Bad Request: ") :])
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        query["answered"] = True
        self.callback_answers[query_id] = dict(params)
        if text:
            chat = self._chats.get(query["chat_id"])
            if chat is not None:
                chat.notices.append(
                    {"callback_query_id": query_id, "text": str(text), "show_alert": bool(params.get("show_alert"))}
                )
                chat.version += 1
        return True

    def _scope_key(self, scope: Any) -> tuple[Any, ...]:
        if scope is None or scope == "":
            return ("default",)
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad_request("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (kind,)
        if kind in ("chat", "chat_administrators"):
            if scope.get("chat_id") is None:
                raise _bad_request("chat_id is empty")
            return (kind, int(scope["chat_id"]))
        if kind == "chat_member":
            return (kind, int(scope["chat_id"]), int(scope["user_id"]))
        raise _bad_request("wrong BotCommandScope type specified")

    async def api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            description = str(command.get("description", "")) if isinstance(command, dict) else ""
            if not _COMMAND_RE.match(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        for chat in self._chats.values():
            chat.version += 1  # the menu a chat shows may have changed
        return True

    async def api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return _jsonable(self._commands.get(key, []))

    async def api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        if self._commands.pop(key, None) is not None:
            for chat in self._chats.values():
                chat.version += 1
        return True

    async def api_setWebhook(self, params: dict[str, Any]) -> tuple[bool, str]:
        url = str(params.get("url") or "")
        if not url:
            return await self.api_deleteWebhook(params)
        if not re.match(r"^https?://[^\s/]+", url):
            raise _bad_request("bad webhook: invalid webhook URL specified")
        secret = params.get("secret_token")
        if secret is not None and secret != "" and not _SECRET_RE.match(str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._drop_pending()
        new = {
            "url": url,
            "secret_token": str(secret) if secret else None,
            "max_connections": int(params.get("max_connections") or 40),
            "allowed_updates": params.get("allowed_updates"),
        }
        already = self._webhook is not None and self._webhook == new
        self._webhook = new
        self._webhook_last_error = None
        self._ensure_webhook_worker()
        return True, "Webhook is already set" if already else "Webhook was set"

    async def api_deleteWebhook(self, params: dict[str, Any]) -> tuple[bool, str]:
        if params.get("drop_pending_updates"):
            self._drop_pending()
        if self._webhook is None:
            return True, "Webhook is already deleted"
        self._webhook = None
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        return True, "Webhook was deleted"

    async def api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
            info["ip_address"] = "127.0.0.1"
            if self._webhook["allowed_updates"]:
                info["allowed_updates"] = self._webhook["allowed_updates"]
        if self._webhook_last_error:
            info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info

    def _drop_pending(self) -> None:
        for p in self._pending:
            self._acknowledged.add(p.update["update_id"])
        self._pending.clear()

    # ------------------------------------------------------------------ webhook delivery

    def _ensure_webhook_worker(self) -> None:
        if self._webhook is None or (self._webhook_task is not None and not self._webhook_task.done()):
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("a webhook is set: call the user-side methods from the event loop") from None
        self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_worker())

    async def _webhook_worker(self) -> None:
        """Deliver pending updates one at a time, in order, retrying each a bounded number of times."""
        while self._webhook is not None:
            if not self._pending:
                await self._wait(lambda: bool(self._pending) or self._webhook is None, None)
                continue
            pending = self._pending[0]
            await self._deliver(pending.update)
            if self._pending and self._pending[0] is pending:
                self._pending.pop(0)
            await self._notify()

    async def _deliver(self, update: dict[str, Any]) -> bool:
        if self._webhook_session is None or self._webhook_session.closed:
            self._webhook_session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.webhook_timeout))
        update_id = update["update_id"]
        for attempt in range(1, self.webhook_max_attempts + 1):
            webhook = self._webhook
            if webhook is None:
                return False
            headers = {"Content-Type": "application/json"}
            if webhook["secret_token"]:
                headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
            try:
                async with self._webhook_session.post(webhook["url"], data=json.dumps(update), headers=headers) as response:
                    body = await response.read()
                    status = response.status
                    reason = response.reason or ""
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                error = "Connection refused" if isinstance(exc, aiohttp.ClientConnectorError) else f"{type(exc).__name__}: {exc}"
                self.webhook_attempts.append({"update_id": update_id, "attempt": attempt, "error": error})
                self._webhook_last_error = (int(self._clock()), error)
            else:
                self.webhook_attempts.append({"update_id": update_id, "attempt": attempt, "status": status})
                if 200 <= status < 300:
                    self._acknowledged.add(update_id)
                    await self._webhook_reply_method(body)
                    return True
                self._webhook_last_error = (int(self._clock()), f"Wrong response from the webhook: {status} {reason}".strip())
            await self._notify()
            if attempt < self.webhook_max_attempts:
                await asyncio.sleep(self.webhook_retry_delay * 2 ** (attempt - 1))
        log.warning("FakeTelegram: gave up delivering update %s to the webhook", update_id)
        self._acknowledged.add(update_id)  # dropped, as Telegram eventually does
        return False

    async def _webhook_reply_method(self, body: bytes) -> None:
        """Telegram lets a webhook answer with one Bot API call in the response body."""
        if not body.strip():
            return
        try:
            payload = json.loads(body)
        except ValueError:
            return
        if not isinstance(payload, dict) or not payload.get("method"):
            return
        params = {k: v for k, v in payload.items() if k != "method"}
        handler = self._method_handler(str(payload["method"]))
        method = handler.__name__[len("api_") :] if handler else str(payload["method"])
        self.calls.append((method, params))
        if handler is None:
            return
        try:
            self._check_rate_limit(method, params)
            await handler(params)
        except BotApiError as exc:  # Telegram does not report these back either
            self.errors.append((method, params, exc.error_code, exc.description))


_API_METHODS = {name[4:].lower(): name for name in dir(FakeTelegram) if name.startswith("api_")}
_NOOP_METHODS = {name.lower(): name for name in ACCEPTED_NOOP_METHODS}
