"""The Zalo adapter: updates in (polling or webhook), outbox items out, over the Zalo Bot Platform HTTP API.

The Zalo Bot API looks like Telegram's (`{base}/bot<TOKEN>/<method>`, POST JSON, answers
`{ok, result, description, error_code}`) with fewer features, which shape this module:

* getUpdates has no offset: each call hands out (and forgets) one update. So the poll loop processes the update
  it got — committed by the engine — before it asks for the next one; if processing fails it is retried from
  memory, not re-fetched. An empty long poll answers 408 "Request timeout" (or `result: null`): not an error.
* Updates carry `message.message_id` (a string); the engine dedupes on (zalo, message_id), so a webhook call
  Zalo sends again does nothing twice.
* No buttons: a Reply's buttons are rendered as numbered lines (`bot.choices`), and the answer (`2`, `số 2`,
  the choice's words) is turned back into the button's payload by the engine. No editing: `edit` items are
  sent as new messages. No command menu and no callback answers: those items are no-ops.
* Text is at most 2,000 characters: longer texts are split at line breaks. Pictures are sent by public URL:
  our own `GET /files/{token}` (see `bot.files`); documents become a text message with such a link.
* In a group the bot only receives messages that mention it or reply to it, and answers in the group.
* 429 (quota) carries no retry time: the sender pauses the channel for RETRY_AFTER_429 seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Optional
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from sqlmodel import select

from bot import choices
from bot.channels import update_shape as shape
from bot.channels.base import DeliveryError, PermanentError, RetryAfter, SendTimedOut, TransientError, Unreachable
from bot.channels.text import split_text, utf16_len
from bot.channels.update_shape import MalformedUpdate
from bot.clock import Clock
from bot.settings import ConfigError
from bot.files import file_url
from bot.i18n import Translator
from bot.messages import Incoming
from storage import outbox
from storage.db import Database
from storage.files import live_file
from storage.models import ChannelAccount, ConversationState, Member
from storage.outbox import OutboxItem

if TYPE_CHECKING:
    from bot.engine import UpdateProcessor

log = logging.getLogger(__name__)

CHANNEL = "zalo"
WEBHOOK_PATH = "/zalo/webhook"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT_LIMIT = 2000
RETRY_AFTER_429 = 5.0  # Zalo documents no retry time for its quota errors
BOT_NAME_SETTING = "zalo.bot_name"

EVENT_TEXT = "message.text.received"
EVENT_IMAGE = "message.image.received"
EVENT_STICKER = "message.sticker.received"
EVENT_VOICE = "message.voice.received"
EVENT_UNSUPPORTED = "message.unsupported.received"


class ZaloApiError(Exception):
    """An error answer (or no answer) of the Zalo Bot API; `code` is None when the network failed."""

    def __init__(self, code: Optional[int], description: str, *, timed_out: bool = False) -> None:
        super().__init__(f"{code or 'network'}: {description}")
        self.code = code
        self.description = description
        self.timed_out = timed_out  # no answer in time: the call may still land


def map_error(error: ZaloApiError, quota_pause: float = RETRY_AFTER_429) -> DeliveryError:
    """The outbox sender's view of a Zalo error."""
    code = error.code
    if error.timed_out:
        return SendTimedOut(str(error))
    if code == 429:
        return RetryAfter(quota_pause, f"Zalo quota exceeded: {error.description}")
    if code == 403:
        return Unreachable(error.description or "forbidden")
    if code is None or code >= 500 or code in (401, 408, 409):
        # network, time-outs, server errors; 401 is our token (a config fault an operator fixes): keep the item
        return TransientError(str(error))
    if 400 <= code < 500:
        return PermanentError(str(error))
    return TransientError(str(error))


def api_url(base_url: str, token: str, method: str) -> str:
    """`{base}/bot<TOKEN>/<method>`; the base may end with `/bot` (like Telegram's) or not."""
    base = base_url.rstrip("/")
    if not base.endswith("/bot"):
        base += "/bot"
    return f"{base}{token}/{method}"


class ZaloClient:
    """A thin async client of the Zalo Bot API over one aiohttp session."""

    def __init__(self, token: str, base_url: str, *, request_timeout: float = 10.0,
                 connection_limit: int = 16) -> None:
        self.token = token
        self.base_url = base_url
        self.request_timeout = request_timeout
        self.connection_limit = connection_limit
        self._session: Optional[aiohttp.ClientSession] = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connection_limit),
                headers={"User-Agent": "bdhvs-bot"},
            )
        return self._session

    async def call(self, method: str, params: Optional[dict[str, Any]] = None, *,
                   timeout: Optional[float] = None) -> Any:
        """POST one method; the `result` on success, a ZaloApiError otherwise."""
        url = api_url(self.base_url, self.token, method)
        try:
            async with self._client().post(
                url, json=params or {}, timeout=aiohttp.ClientTimeout(total=timeout or self.request_timeout)
            ) as response:
                status, raw = await _read(response)
        except asyncio.TimeoutError:
            # aiohttp closed the connection (or `_read` did): a server that stops work on a closed
            # connection drops the call; one that does not may still carry it out.
            raise ZaloApiError(None, f"{method} timed out; its connection was closed", timed_out=True) from None
        except aiohttp.ClientError as error:
            raise ZaloApiError(None, f"{method}: {type(error).__name__}: {error}") from None
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("ok") is True and status < 400:
            return body.get("result")
        code: Optional[int] = status if status >= 400 else None
        description = f"HTTP {status}"
        if isinstance(body, dict):
            with contextlib.suppress(TypeError, ValueError):
                code = int(body.get("error_code") or code or 0) or code
            description = str(body.get("description") or description)
        if code is None:
            code = 500  # an answer that is neither ok nor an error: treat as a server fault
        raise ZaloApiError(code, description)

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


async def _read(response: aiohttp.ClientResponse) -> tuple[int, bytes]:
    """The answer's status and body; the connection is closed if reading fails (a time-out, a cancellation),
    so a half-read answer never goes back to the pool."""
    try:
        return response.status, await response.read()
    except BaseException:
        response.close()
        raise


# -- updates in ------------------------------------------------------------------------------------


def unwrap(data: Any) -> Optional[dict[str, Any]]:
    """The update object, whether bare or wrapped as `{"ok": true, "result": {...}}`."""
    if isinstance(data, dict) and "message" not in data and isinstance(data.get("result"), dict):
        data = data["result"]
    return data if isinstance(data, dict) and isinstance(data.get("message"), dict) else None


def _photo_url(message: dict[str, Any]) -> Optional[str]:
    """The picture's URL, under whichever of the names Zalo has used; None without one."""
    photo = message.get("photo") or message.get("photo_url") or message.get("image") or message.get("url")
    if isinstance(photo, list) and photo:
        photo = photo[-1]
    if isinstance(photo, dict):
        photo = photo.get("url") or photo.get("photo_url") or photo.get("file_id")
    if not photo:
        return None
    if not isinstance(photo, str):
        raise MalformedUpdate(f"the photo must be a URL, got {type(photo).__name__}")
    return photo


def _event_name(update: dict[str, Any], message: dict[str, Any]) -> str:
    name = shape.text(update, "event_name")
    if name:
        return name
    if _photo_url(message):
        return EVENT_IMAGE
    if isinstance(message.get("text"), str):
        return EVENT_TEXT
    if message.get("sticker"):
        return EVENT_STICKER
    return EVENT_UNSUPPORTED


def strip_mention(text: str, bot_names: tuple[str, ...]) -> str:
    """A group message mentions the bot: drop "@Bot name" at the start so "@Bot 2" reads as "2"."""
    stripped = text.lstrip()
    if not stripped.startswith("@"):
        return text
    lowered = stripped.lower()
    for name in sorted((n for n in bot_names if n), key=len, reverse=True):
        mention = "@" + name.lower()
        if lowered.startswith(mention):
            return stripped[len(mention):].lstrip(" ,:")
    command = stripped.find(" /")
    if command > 0:
        return stripped[command + 1:]  # "@<a name we do not know> /tuannay": the command is what counts
    return text


def to_incoming(data: Any, bot_names: tuple[str, ...] = ()) -> Optional[Incoming]:
    """The channel-neutral form of a Zalo update; None for what is not a person's message; `MalformedUpdate`
    when a field it reads has the wrong type (so no handler ever sees `"text": 5`)."""
    update = unwrap(data)
    if update is None:
        return None
    message: dict[str, Any] = update["message"]
    sender = shape.mapping(message, "from") or {}
    chat = shape.mapping(message, "chat") or {}
    if shape.flag(sender, "is_bot"):
        return None  # our own messages echoed back, other bots
    user_id = shape.identifier(sender, "id") or shape.identifier(chat, "id")
    if not user_id:
        return None
    chat_id = shape.identifier(chat, "id") or user_id
    chat_type = "group" if (shape.text(chat, "chat_type") or "").upper() == "GROUP" else "private"
    name = (shape.text(sender, "display_name") or shape.text(sender, "first_name") or shape.text(sender, "name")
            or "").strip()
    message_id = shape.identifier(message, "message_id")
    if message_id is None:
        # No id: derive a stable one, so a redelivered copy is still recognised.
        digest = hashlib.sha256(json.dumps(update, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        message_id = "h" + digest[:32]
    event = _event_name(update, message)
    # Every field that may be read is checked, whatever the event says.
    written, caption, picture = shape.text(message, "text"), shape.text(message, "caption"), _photo_url(message)
    text: Optional[str] = None
    photo: Optional[str] = None
    if event == EVENT_TEXT:
        text = written
        if text is not None and chat_type == "group":
            text = strip_mention(text, bot_names)
        if text is not None and not text.strip():
            text = None
    elif event == EVENT_IMAGE:
        photo = picture
        text = caption if caption and caption.strip() else None
    # stickers, voice, anything else: an Incoming with neither text nor photo; the router answers that it
    # reads text (and photos), so the person is not left without a word.
    return Incoming(
        channel=CHANNEL,
        update_id=str(message_id),
        user_id=user_id,
        chat_id=chat_id,
        display_name=name,
        chat_type=chat_type,
        text=text,
        photo_file_id=photo,
    )


# -- outbox items out ------------------------------------------------------------------------------


class ZaloRenderer:
    """Delivers outbox items through the Zalo Bot API (see the module docstring for the rendering)."""

    channel = CHANNEL

    def __init__(self, client: ZaloClient, database: Database, clock: Clock, file_base: Callable[[], str],
                 group_chats: Optional[set[str]] = None, db_executor: Executor | None = None,
                 tz: dt.tzinfo = ZoneInfo("Asia/Ho_Chi_Minh"), quota_pause: float = RETRY_AFTER_429,
                 send_timeout: float = 60.0) -> None:
        self.client = client
        self.send_timeout = send_timeout  # per call, well beyond the platform's slowest usual answer
        self.tz = tz
        self.quota_pause = quota_pause
        self.database = database
        self.clock = clock
        self.file_base = file_base
        self.group_chats = group_chats if group_chats is not None else set()
        self.db_executor = db_executor
        # Parts of a split message already accepted, by outbox item: a retry does not send them twice.
        self._parts_sent: dict[int, int] = {}

    def is_group_chat(self, chat_id: str) -> bool:
        return chat_id in self.group_chats

    async def deliver(self, item: OutboxItem) -> None:
        if item.kind in (outbox.KIND_ANSWER_CALLBACK, outbox.KIND_SET_COMMANDS):
            return  # no callback queries, no command menu on Zalo
        if item.kind not in (outbox.KIND_MESSAGE, outbox.KIND_EDIT):
            raise PermanentError(f"unknown outbox kind {item.kind!r}")
        try:
            await self._send(item)
        except ZaloApiError as error:
            mapped = map_error(error, self.quota_pause)
            if not isinstance(mapped, (RetryAfter, TransientError)):
                self._parts_sent.pop(item.id if item.id is not None else -1, None)  # not coming back
            raise mapped from error

    async def _send(self, item: OutboxItem) -> None:
        payload = item.payload or {}
        chat_id = item.chat_id
        text = (payload.get("text") or "").strip("\n")
        rows = payload.get("buttons") or []
        token = payload.get("file_token")
        if rows or token:  # only choices and file links need the person's language (and a file its row)
            context = await self._db(self._context, item, bool(rows), token)
        else:
            context = {"locale": "vi", "file": None}
        tr = Translator(context["locale"])
        text = choices.numbered_text(text, rows, tr)
        messages: list[tuple[str, dict[str, Any]]] = []
        stored = context["file"]
        if token and stored is None:
            log.warning("stored file %s is gone or expired; sending the text alone to Zalo chat %s", token, chat_id)
        if stored is not None:
            url = file_url(self.file_base(), token)
            if payload.get("file_kind") == "photo" and stored["mime_type"].startswith("image/"):
                if text and utf16_len(text) <= TEXT_LIMIT:
                    messages.append(("sendPhoto", {"chat_id": chat_id, "photo": url, "caption": text}))
                    text = ""
                else:
                    messages.append(("sendPhoto", {"chat_id": chat_id, "photo": url}))
            else:
                link = tr.gettext("📎 {name}: {url}\n(Đường dẫn dùng được đến {time} ngày {day}.)").format(
                    name=stored["filename"], url=url, time=stored["expires"].strftime("%H:%M"),
                    day=tr.date(stored["expires"].date()))
                text = f"{text}\n\n{link}" if text else link
        if text.strip():
            messages += [("sendMessage", {"chat_id": chat_id, "text": part})
                         for part in split_text(text, TEXT_LIMIT)]
        if not messages:
            raise PermanentError("empty message")
        key = item.id if item.id is not None else -1
        done = self._parts_sent.get(key, 0)
        for index, (method, params) in enumerate(messages):
            if index < done:
                continue
            await self.client.call(method, params, timeout=self.send_timeout)
            self._parts_sent[key] = index + 1
        self._parts_sent.pop(key, None)

    def _context(self, item: OutboxItem, has_choices: bool, token: Optional[str]) -> dict[str, Any]:
        """The chat's language, the file to link, and (for reminders) the choices offered outside a turn."""
        now = self.clock.now()
        with self.database.session() as session:
            locale = None
            account = session.exec(
                select(ChannelAccount).where(ChannelAccount.channel == CHANNEL, ChannelAccount.chat_id == item.chat_id)
            ).first()
            if account is not None:
                member = session.get(Member, account.member_id)
                locale = member.locale if member else None
            if locale is None:
                state = session.get(ConversationState, (CHANNEL, item.chat_id))
                locale = state.locale if state else None
            file_info = None
            if token:
                stored = live_file(session, token, now)
                if stored is not None:
                    expires = stored.expires_at.astimezone(self.tz)
                    file_info = {"filename": stored.filename, "mime_type": stored.mime_type, "expires": expires}
            if has_choices and item.idempotency_key:
                # Sent outside a conversation turn (a reminder): the engine did not record its choices.
                choices.remember_for_chat(session, CHANNEL, item.chat_id, item.payload.get("buttons"), now)
        return {"locale": locale or "vi", "file": file_info}

    async def _db(self, function: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.db_executor, function, *args)


# -- the channel: client, polling loop, webhook route ----------------------------------------------


class ZaloChannel:
    """Owns the Zalo client; receives updates (polling or webhook) and hands them to the engine."""

    channel = CHANNEL

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        mode: str,
        engine: UpdateProcessor,
        process_executor: Executor,
        database: Database,
        clock: Clock,
        public_url: Optional[str] = None,
        secret_token: Optional[str] = None,
        file_base: Optional[Callable[[], str]] = None,
        tz: dt.tzinfo = ZoneInfo("Asia/Ho_Chi_Minh"),
        quota_pause: float = RETRY_AFTER_429,
        poll_timeout: int = 30,
        request_timeout: float = 10.0,
        send_timeout: float = 60.0,
        connection_limit: int = 16,
    ) -> None:
        if mode not in ("polling", "webhook"):
            raise ValueError(f"unknown Zalo mode {mode!r}")
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
        self.request_timeout = request_timeout
        self.client = ZaloClient(token, base_url, request_timeout=request_timeout, connection_limit=connection_limit)
        self.group_chats: set[str] = set()
        base = file_base or (lambda: public_url or "")
        self.renderer = ZaloRenderer(self.client, database, clock, base, self.group_chats, tz=tz,
                                     quota_pause=quota_pause, send_timeout=send_timeout)
        self.quota_pause = quota_pause
        self.bot_info: dict[str, Any] = {}
        self.bot_names: tuple[str, ...] = ()
        self._poller: Optional["asyncio.Task[None]"] = None
        self._fetch: Optional["asyncio.Future[Any]"] = None
        self._stop_event = asyncio.Event()

    # lifecycle

    async def start(self) -> None:
        """Check the token (getMe), then start polling or set the webhook."""
        try:
            info = await self.client.call("getMe")
        except ZaloApiError as error:
            if error.code in (401, 404):
                raise ConfigError("BDHVS_ZALO_TOKEN: the Zalo Bot API rejected the token") from None
            raise
        self.bot_info = info if isinstance(info, dict) else {}
        self.bot_names = tuple(str(self.bot_info[k]) for k in ("display_name", "account_name", "name")
                               if self.bot_info.get(k))
        await asyncio.to_thread(self._store_bot_name)
        self._stop_event = asyncio.Event()
        if self.mode == "polling":
            try:
                await self.client.call("deleteWebhook")  # polling and webhook exclude each other
            except ZaloApiError as error:
                log.warning("deleteWebhook failed (%s); polling anyway", error)
            self._poller = asyncio.create_task(self._poll_loop(), name="zalo-polling")
        else:
            url = f"{self.public_url}{WEBHOOK_PATH}"
            await self.client.call("setWebhook", {"url": url, "secret_token": self.secret_token})
            log.info("Zalo webhook set to %s", url)

    async def stop(self) -> None:
        """Stop polling: the update being processed finishes, the long poll is cancelled."""
        self._stop_event.set()
        if self._fetch is not None and not self._fetch.done():
            self._fetch.cancel()
        if self._poller is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None

    async def close(self) -> None:
        await self.client.close()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(WEBHOOK_PATH, self.handle_webhook)

    def _store_bot_name(self) -> None:
        from storage.settings import set_setting

        name = self.bot_names[0] if self.bot_names else None
        if name:
            with self.database.session() as session:
                set_setting(session, BOT_NAME_SETTING, name, self.clock.now())

    # polling

    async def _poll_loop(self) -> None:
        backoff = 1.0
        while not self._stop_event.is_set():
            try:
                self._fetch = asyncio.ensure_future(self.client.call(
                    "getUpdates", {"timeout": self.poll_timeout},
                    timeout=self.poll_timeout + self.request_timeout,
                ))
                result = await self._fetch
            except asyncio.CancelledError:
                if self._stop_event.is_set():
                    return
                raise
            except ZaloApiError as error:
                if error.code == 408:
                    backoff = 1.0
                    continue  # nothing came during the long poll
                if error.code == 429:
                    await self._pause(self.quota_pause)
                    continue
                log.warning("Zalo getUpdates failed (%s); trying again in %.0f s", error, backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            finally:
                self._fetch = None
            backoff = 1.0
            updates = result if isinstance(result, list) else [result] if result else []
            for update in updates:
                # getUpdates forgets what it handed out: retry from memory until the engine committed it.
                retry = 1.0
                while True:
                    try:
                        await self.handle_update(update)
                        break
                    except Exception:
                        log.exception("processing a Zalo update failed; trying it again in %.0f s", retry)
                        await self._pause(retry)
                        retry = min(retry * 2, 60.0)
                        if self._stop_event.is_set():
                            return

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), seconds)

    async def handle_update(self, data: Any) -> None:
        """Process one update; returns after its transaction committed."""
        try:
            incoming = to_incoming(data, self.bot_names)
        except MalformedUpdate as error:
            log.warning("skipping a malformed Zalo update: %s", error)
            return
        except Exception:
            log.exception("could not read a Zalo update; skipping it")
            return
        await self._process(incoming)

    async def _process(self, incoming: Optional[Incoming]) -> None:
        """Hand one read update to the engine (through the flood gate); returns after its commit."""
        if incoming is None:
            return
        if incoming.chat_type == "group":
            self.group_chats.add(incoming.chat_id)
        loop = asyncio.get_running_loop()
        # Shielded: once handed to the engine the update finishes even if our caller is cancelled.
        await asyncio.shield(loop.run_in_executor(self.process_executor, self.engine.process, incoming))

    # webhook

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """POST /zalo/webhook: 403 without the right secret, 400 on garbage, 200 once committed."""
        given = request.headers.get(SECRET_HEADER, "")
        if not self.secret_token or not hmac.compare_digest(given.encode(), self.secret_token.encode()):
            return web.json_response({"ok": False, "description": "forbidden"}, status=403)
        try:
            data = await request.json(loads=json.loads)
        except Exception:
            return web.json_response({"ok": False, "description": "not JSON"}, status=400)
        if unwrap(data) is None:
            return web.json_response({"ok": False, "description": "not a Zalo update"}, status=400)
        try:
            incoming = to_incoming(data, self.bot_names)
        except Exception as error:  # a field of the wrong type (MalformedUpdate): refused before any handler
            log.warning("refused a malformed Zalo webhook update: %s", error)
            return web.json_response({"ok": False, "description": "not a well-formed Zalo update"}, status=400)
        try:
            await self._process(incoming)
        except Exception:
            log.exception("processing a Zalo webhook update failed")
            return web.json_response({"ok": False, "description": "try again"}, status=500)
        return web.json_response({"ok": True})

