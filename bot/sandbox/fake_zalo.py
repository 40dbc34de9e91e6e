"""An in-process fake of the Zalo Bot Platform API, for the sandbox web chat and the tests.

It answers like the Zalo Bot API (`POST {prefix}/bot<TOKEN>/<method>` with JSON; `{"ok": true, "result": ...}`
or `{"ok": false, "error_code": N, "description": ...}`), keeps every chat's transcript, and lets a test play
the user side: ``user_says``, ``user_sends_photo``, ``user_sends_sticker``, ``user_sends_voice``, ``redeliver``,
then ``wait_for`` what the bot answers.

What it models of Zalo:
* getUpdates is a long poll without offset that hands out ONE update, wrapped as ``{"ok": true, "result":
  {...update...}}``, and forgets it; with nothing to hand out it answers 408 "Request timeout" after `timeout`.
* setWebhook (url, secret_token of 8–256 characters) / deleteWebhook / getWebhookInfo; with a webhook set,
  getUpdates is refused and every update is POSTed to the URL with the header ``X-Bot-Api-Secret-Token``,
  retried a few times on a non-2xx answer.
* sendMessage: text of 1–2,000 characters; sendPhoto: a photo *URL*, recorded, never fetched; sendSticker,
  sendChatAction (typing). Sending to a chat nobody opened: 400; to a person who blocked the bot: 403.
* An optional flood limit answers 429 (no retry time, as Zalo documents none).
* In a group the bot only receives messages that mention it or reply to it (others stay in the transcript).

Everything runs on the caller's event loop; state is plain Python, touched only from that loop.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional

import aiohttp
from aiohttp import web

from .faults import PlatformFaults

log = logging.getLogger(__name__)

__all__ = ["FakeZalo", "ZaloApiFault"]

MAX_TEXT_LENGTH = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TYPING_SECONDS = 5.0
SENDING_METHODS = frozenset({"sendMessage", "sendPhoto", "sendSticker"})
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_URL_RE = re.compile(r"^https?://[^\s/]+")


class ZaloApiFault(Exception):
    """An error answer of the fake: HTTP status = error_code."""

    def __init__(self, error_code: int, description: str) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description

    def payload(self) -> dict[str, Any]:
        return {"ok": False, "error_code": self.error_code, "description": self.description}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Chat:
    info: dict[str, Any]  # {"id", "chat_type"}
    records: list[dict[str, Any]] = field(default_factory=list)
    version: int = 0
    last_action: Optional[tuple[str, float]] = None


class _Bucket:
    def __init__(self, rate: float, burst: Optional[float], clock: Callable[[], float]) -> None:
        self.rate, self.capacity, self.clock = rate, burst or max(1.0, rate), clock
        self.tokens, self.last = self.capacity, clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class FakeZalo:
    """A fake Zalo Bot API server plus the user side of every chat."""

    def __init__(
        self,
        token: str = "1459232241454765289:SANDBOX-ZALO-TOKEN",
        *,
        bot_name: str = "Bình dân học vụ số",
        account_name: str = "bot.bdhvs",
        rate_limit_per_second: Optional[float] = None,
        rate_limit_burst: Optional[float] = None,
        strict_chats: bool = True,
        webhook_max_attempts: int = 4,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 10.0,
        http_errors: bool = True,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not _TOKEN_RE.match(token):
            raise ValueError(f"not a Zalo-shaped token ({{bot_id}}:{{secret}}): {token!r}")
        self.token = token
        self.bot_id = token.split(":", 1)[0]
        self.bot_name = bot_name
        self.account_name = account_name
        self.strict_chats = strict_chats
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self.http_errors = http_errors  # False: errors come as HTTP 200 with ok=false (both exist in the wild)
        self._clock = clock
        self._monotonic = monotonic

        # what tests read
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[tuple[str, dict[str, Any], int, str]] = []
        self.rate_limited_count = 0
        self.webhook_attempts: list[dict[str, Any]] = []  # {message_id, attempt, status | error}
        self.faults = PlatformFaults()  # errors and held calls a test asks for (bot/sandbox/faults.py)
        self.url: Optional[str] = None  # where this fake is reachable (photo URLs of users point here)
        self.chat_waiters = 0

        self._users: dict[str, dict[str, Any]] = {}
        self._chats: dict[str, _Chat] = {}
        self._blocked: set[str] = set()
        self._files: dict[str, tuple[bytes, str]] = {}  # photos users sent: id -> (bytes, mime)
        self._ids = itertools.count(1)
        self._updates: dict[str, dict[str, Any]] = {}  # every update made, by message_id
        self._pending: list[dict[str, Any]] = []
        self.delivered: list[str] = []  # message ids handed out (getUpdates) or accepted (webhook 2xx)
        self._webhook: Optional[dict[str, Any]] = None
        self._webhook_task: Optional[asyncio.Task[None]] = None
        self._webhook_session: Optional[aiohttp.ClientSession] = None
        self._bucket = _Bucket(rate_limit_per_second, rate_limit_burst, monotonic) if rate_limit_per_second else None
        self._cond: Optional[asyncio.Condition] = None
        self._cond_loop: Optional[asyncio.AbstractEventLoop] = None
        self._background: set[asyncio.Task[Any]] = set()
        self._wake_generation = 0
        self._runner: Optional[web.AppRunner] = None

    # ------------------------------------------------------------------ server wiring

    def add_route(self, app: web.Application, prefix: str = "") -> None:
        """Mount the API at ``{prefix}/bot{token}/{method}`` and user photos at ``{prefix}/files/{id}``."""
        prefix = prefix.rstrip("/")
        app.router.add_route("*", prefix + "/bot{token}/{method}", self._handle_api)
        app.router.add_get(prefix + "/files/{file_id}", self._handle_file)
        app.on_shutdown.append(self._on_shutdown)
        app.on_cleanup.append(self._on_cleanup)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the API alone on host:port (0 = any free port); returns the base URL."""
        app = web.Application()
        self.add_route(app)
        runner = web.AppRunner(app, shutdown_timeout=1.0, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"
        return self.url

    @property
    def base_url(self) -> str:
        """The API base the bot is configured with (``BDHVS_ZALO_API_BASE_URL``)."""
        if not self.url:
            raise RuntimeError("FakeZalo.url is not known: call start() or set .url")
        return self.url + "/bot"

    async def close(self) -> None:
        """Wake every long poll, stop webhook delivery, stop the server started by start()."""
        await self.wake_waiters()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        await self._stop_background()

    async def wake_waiters(self) -> None:
        self._wake_generation += 1
        await self._notify()

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.wake_waiters()

    async def _on_cleanup(self, app: web.Application) -> None:
        await self._stop_background()

    async def _stop_background(self) -> None:
        tasks = [t for t in list(self._background) if not t.done()]
        if self._webhook_task is not None:
            tasks.append(self._webhook_task)
            self._webhook_task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
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
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._notify())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _wait(self, predicate: Callable[[], Any], timeout: Optional[float]) -> Any:
        cond = self._condition()
        async with asyncio.timeout(timeout):
            async with cond:
                return await cond.wait_for(predicate)

    # ------------------------------------------------------------------ the test API: the user side

    def add_user(self, user_id: str, display_name: str = "Người dùng") -> dict[str, Any]:
        """A person who has opened the chat with the bot (so the bot may write to them)."""
        user = {"id": str(user_id), "display_name": display_name, "is_bot": False}
        self._users[str(user_id)] = user
        self._chat(str(user_id), "PRIVATE")
        return dict(user)

    def add_group(self, group_id: str) -> None:
        """A group the bot is a member of."""
        self._chat(str(group_id), "GROUP")

    def block(self, user_id: str, blocked: bool = True) -> None:
        """The person blocks (or unblocks) the bot: sending to them answers 403."""
        (self._blocked.add if blocked else self._blocked.discard)(str(user_id))

    def user_says(self, user_id: str, text: str, *, display_name: Optional[str] = None,
                  chat_id: Optional[str] = None, mention: bool = True,
                  reply_to: Optional[str] = None) -> str:
        """A person writes ``text`` (in a group when chat_id is given); returns the message_id.

        In a group the bot gets the message only when it mentions the bot (``mention``, the text then starts
        with "@<bot name> ") or replies to one of the bot's messages (``reply_to`` = that message_id).
        """
        if not text:
            raise ValueError("a Zalo client does not send an empty message")
        group = chat_id is not None and str(chat_id) != str(user_id)
        if group and mention and reply_to is None:
            text = f"@{self.bot_name} {text}"
        message = self._user_message(user_id, display_name, chat_id)
        message["text"] = text
        if reply_to is not None:
            message["quote_message_id"] = reply_to
        self._record(message, "user")
        if group and not mention and reply_to is None:
            return message["message_id"]  # the bot does not see it
        return self._enqueue("message.text.received", message)

    def user_sends_photo(self, user_id: str, data: bytes | None = None, caption: Optional[str] = None, *,
                         url: Optional[str] = None, mime_type: str = "image/jpeg",
                         display_name: Optional[str] = None, chat_id: Optional[str] = None) -> str:
        """A person sends a picture: by ``url``, or ``data`` served by this fake at ``{url}/files/<id>``."""
        if url is None:
            file_id = secrets.token_hex(8)
            self._files[file_id] = (data or b"", mime_type)
            url = f"{self.url or ''}/files/{file_id}"
        message = self._user_message(user_id, display_name, chat_id)
        message["photo"] = url
        if caption:
            message["caption"] = caption
        self._record(message, "user")
        return self._enqueue("message.image.received", message)

    def user_sends_sticker(self, user_id: str, sticker: str = "0e078a2fb66a5f34067b", **kwargs: Any) -> str:
        message = self._user_message(user_id, kwargs.get("display_name"), kwargs.get("chat_id"))
        message["sticker"] = sticker
        self._record(message, "user")
        return self._enqueue("message.sticker.received", message)

    def user_sends_voice(self, user_id: str, **kwargs: Any) -> str:
        message = self._user_message(user_id, kwargs.get("display_name"), kwargs.get("chat_id"))
        message["voice"] = {"url": "https://example.invalid/voice.aac", "duration": 3}
        self._record(message, "user")
        return self._enqueue("message.voice.received", message)

    def user_sends_unsupported(self, user_id: str, **kwargs: Any) -> str:
        message = self._user_message(user_id, kwargs.get("display_name"), kwargs.get("chat_id"))
        self._record(message, "user")
        return self._enqueue("message.unsupported.received", message)

    def redeliver(self, message_id: str) -> str:
        """Send the very same update again (Zalo retrying a webhook call it thinks failed)."""
        if message_id not in self._updates:
            raise KeyError(f"no update {message_id}")
        self._pending.append(copy.deepcopy(self._updates[message_id]))
        self._after_enqueue()
        return message_id

    # ------------------------------------------------------------------ the test API: reading

    def messages(self, chat_id: str) -> list[dict[str, Any]]:
        """The chat's transcript, oldest first: message dicts plus ``sender`` (bot | user)."""
        chat = self._chats.get(str(chat_id))
        return copy.deepcopy(chat.records) if chat else []

    def bot_messages(self, chat_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(chat_id) if m["sender"] == "bot"]

    def bot_texts(self, chat_id: str) -> list[str]:
        """What the bot wrote in the chat: texts, and photo captions."""
        return [m.get("text") or m.get("caption") or "" for m in self.bot_messages(chat_id)]

    def last_bot_message(self, chat_id: str) -> Optional[dict[str, Any]]:
        messages = self.bot_messages(chat_id)
        return messages[-1] if messages else None

    def bot_message_count(self, chat_id: str) -> int:
        chat = self._chats.get(str(chat_id))
        return sum(1 for r in chat.records if r["sender"] == "bot") if chat else 0

    def chat_version(self, chat_id: str) -> int:
        chat = self._chats.get(str(chat_id))
        return chat.version if chat else 0

    def typing(self, chat_id: str) -> bool:
        chat = self._chats.get(str(chat_id))
        if chat is None or chat.last_action is None:
            return False
        return self._monotonic() - chat.last_action[1] < TYPING_SECONDS

    def file(self, file_id: str) -> Optional[tuple[bytes, str]]:
        return self._files.get(file_id)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    @property
    def webhook_url(self) -> Optional[str]:
        return self._webhook["url"] if self._webhook else None

    @property
    def pending_update_count(self) -> int:
        return len(self._pending)

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, *,
                       what: Optional[str] = None) -> Any:
        """Wait until predicate() is truthy, re-checked on every API call and user action."""
        try:
            return await self._wait(predicate, timeout)
        except TimeoutError:
            raise TimeoutError(self._timeout_report(what or getattr(predicate, "__name__", "predicate"),
                                                    timeout)) from None

    async def wait_for_bot_messages(self, chat_id: str, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until the chat holds at least ``count`` bot messages in total; return them all."""
        await self.wait_for(lambda: self.bot_message_count(chat_id) >= count, timeout,
                            what=f"{count} bot message(s) in chat {chat_id}")
        return self.bot_messages(chat_id)

    async def wait_until_delivered(self, message_id: str, timeout: float = 5.0) -> None:
        await self.wait_for(lambda: message_id in self.delivered, timeout, what=f"update {message_id} delivered")

    async def wait_for_chat_change(self, chat_id: str, version: int, timeout: float) -> int:
        """Long-poll helper for the sandbox page: the chat's version once it differs from ``version``."""
        wake = self._wake_generation
        self.chat_waiters += 1
        await self._notify()
        try:
            await self._wait(lambda: self.chat_version(chat_id) != version or self._wake_generation != wake, timeout)
        except TimeoutError:
            pass
        finally:
            self.chat_waiters -= 1
        return self.chat_version(chat_id)

    def _timeout_report(self, what: str, timeout: float) -> str:
        lines = [f"FakeZalo: timed out after {timeout:g}s waiting for {what}."]
        for chat_id, chat in self._chats.items():
            for record in [r for r in chat.records if r["sender"] == "bot"][-3:]:
                text = record.get("text") or record.get("caption") or f"<photo {record.get('photo')}>"
                lines.append(f"  chat {chat_id}: {text[:300]!r}")
        lines.append(f"  pending updates: {len(self._pending)}; last calls: {[n for n, _ in self.calls[-8:]]}")
        if self.errors:
            method, _params, code, description = self.errors[-1]
            lines.append(f"  last error answered: {method} -> {code} {description}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ internals: chats and updates

    def _chat(self, chat_id: str, chat_type: str) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat(info={"id": chat_id, "chat_type": chat_type})
        return chat

    def _user_message(self, user_id: str, display_name: Optional[str], chat_id: Optional[str]) -> dict[str, Any]:
        user_id = str(user_id)
        user = self._users.get(user_id)
        if user is None:
            user = self.add_user(user_id, display_name or "Người dùng")
        elif display_name:
            user["display_name"] = display_name
        group = chat_id is not None and str(chat_id) != user_id
        chat = self._chat(str(chat_id) if group else user_id, "GROUP" if group else "PRIVATE")
        return {
            "from": dict(user),
            "chat": dict(chat.info),
            "message_id": secrets.token_hex(10),
            "date": int(self._clock() * 1000),
        }

    def _record(self, message: dict[str, Any], sender: str) -> None:
        chat = self._chats[message["chat"]["id"]]
        chat.records.append({**copy.deepcopy(message), "sender": sender})
        chat.version += 1
        if sender == "bot":
            chat.last_action = None
        self._changed()

    def _enqueue(self, event_name: str, message: dict[str, Any]) -> str:
        update = {"event_name": event_name, "message": copy.deepcopy(message)}
        self._updates[message["message_id"]] = update
        self._pending.append(update)
        self._after_enqueue()
        return str(message["message_id"])

    def _after_enqueue(self) -> None:
        self._changed()
        if self._webhook is not None:
            self._ensure_webhook_worker()

    # ------------------------------------------------------------------ internals: HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        name = request.match_info["method"]
        if token != self.token:
            return self._error_response(ZaloApiFault(401, "Unauthorized"))
        handler = _API_METHODS.get(name.lower())
        method = handler[4:] if handler else name
        try:
            params = await self._read_params(request)
        except ZaloApiFault as fault:
            return self._error_response(fault)
        self.calls.append((method, params))
        await self._notify()  # a waiter may be watching the calls (a long poll holds the answer back)
        try:
            if handler is None:
                raise ZaloApiFault(404, "Not Found")
            if method in SENDING_METHODS and self._bucket is not None and not self._bucket.take():
                self.rate_limited_count += 1
                raise ZaloApiFault(429, "Too Many Requests: quota exceeded")
            planned = self.faults.take(method)
            if planned is not None and planned.status is not None:
                raise ZaloApiFault(planned.status, planned.description)  # Zalo's 429 carries no retry time
            if planned is not None:
                return await self.faults.hold(request, planned, method, params,
                                              lambda: self._carry_out(handler, method, params), self._spawn,
                                              self._notify)
        except ZaloApiFault as fault:
            self.errors.append((method, params, fault.error_code, fault.description))
            await self._notify()
            return self._error_response(fault)
        return await self._carry_out(handler, method, params)  # type: ignore[arg-type]

    async def _carry_out(self, handler: str, method: str, params: dict[str, Any]) -> web.Response:
        """Run the method and answer as the Zalo Bot API does."""
        try:
            result = await getattr(self, handler)(params)
            self.faults.carried_out(method, params)
            return web.json_response({"ok": True, "result": result})
        except ZaloApiFault as fault:
            self.errors.append((method, params, fault.error_code, fault.description))
            return self._error_response(fault)
        finally:
            await self._notify()

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """A task of the fake's own, cancelled by close()."""
        task = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _error_response(self, fault: ZaloApiFault) -> web.Response:
        return web.json_response(fault.payload(), status=fault.error_code if self.http_errors else 200)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise ZaloApiFault(400, "Bad Request: invalid JSON") from None
                if not isinstance(body, dict):
                    raise ZaloApiFault(400, "Bad Request: invalid JSON")
                params.update(body)
            else:
                params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        return params

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        stored = self._files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        return web.Response(body=stored[0], content_type=stored[1])

    def _sending_chat(self, params: dict[str, Any]) -> _Chat:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, (str, int)) or str(chat_id) == "":
            raise ZaloApiFault(400, "Bad Request: chat_id is required")
        chat = self._chats.get(str(chat_id))
        if chat is None:
            if self.strict_chats:
                raise ZaloApiFault(400, "Bad Request: chat not found")
            chat = self._chat(str(chat_id), "PRIVATE")
        if str(chat_id) in self._blocked:
            raise ZaloApiFault(403, "Forbidden: the user has blocked the bot")
        return chat

    def _bot_message(self, chat: _Chat) -> dict[str, Any]:
        return {
            "message_id": secrets.token_hex(10),
            "date": int(self._clock() * 1000),
            "from": {"id": self.bot_id, "display_name": self.bot_name, "is_bot": True},
            "chat": dict(chat.info),
        }

    @staticmethod
    def _check_text(value: Any, what: str, required: bool) -> Optional[str]:
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise ZaloApiFault(400, f"Bad Request: {what} must be a non-empty string")
        if _utf16_len(value) > MAX_TEXT_LENGTH:
            raise ZaloApiFault(400, f"Bad Request: {what} is longer than {MAX_TEXT_LENGTH} characters")
        return value

    # ------------------------------------------------------------------ API methods

    async def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.bot_id, "account_name": self.account_name, "display_name": self.bot_name,
                "account_type": "BASIC", "can_join_groups": True}

    async def api_getUpdates(self, params: dict[str, Any]) -> dict[str, Any]:
        if self._webhook is not None:
            raise ZaloApiFault(409, "Conflict: webhook is active, getUpdates is not available")
        try:
            timeout = max(0.0, float(params.get("timeout", 30)))
        except (TypeError, ValueError):
            raise ZaloApiFault(400, "Bad Request: timeout must be a number") from None
        wake = self._wake_generation
        if not self._pending and timeout > 0:
            try:
                await self._wait(lambda: bool(self._pending) or self._webhook is not None
                                 or self._wake_generation != wake, timeout)
            except TimeoutError:
                pass
        if self._webhook is not None:
            raise ZaloApiFault(409, "Conflict: webhook is active, getUpdates is not available")
        if not self._pending:
            raise ZaloApiFault(408, "Request timeout")
        update = self._pending.pop(0)
        self.delivered.append(update["message"]["message_id"])
        return copy.deepcopy(update)

    async def api_setWebhook(self, params: dict[str, Any]) -> dict[str, Any]:
        url = params.get("url")
        secret = params.get("secret_token")
        if not isinstance(url, str) or not _URL_RE.match(url):
            raise ZaloApiFault(400, "Bad Request: invalid webhook url")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise ZaloApiFault(400, "Bad Request: secret_token must be 8 to 256 characters")
        updated = int(self._clock() * 1000)
        self._webhook = {"url": url, "secret_token": secret, "updated_at": updated}
        self._ensure_webhook_worker()
        return {"url": url, "updated_at": updated}

    async def api_deleteWebhook(self, params: dict[str, Any]) -> dict[str, Any]:
        self._webhook = None
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        return {"url": "", "updated_at": int(self._clock() * 1000)}

    async def api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        webhook = self._webhook or {"url": "", "updated_at": 0}
        return {"url": webhook["url"], "updated_at": webhook["updated_at"]}

    async def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._sending_chat(params)
        text = self._check_text(params.get("text"), "text", required=True)
        message = self._bot_message(chat)
        message["text"] = text
        self._record(message, "bot")
        return {"message_id": message["message_id"], "date": message["date"]}

    async def api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._sending_chat(params)
        photo = params.get("photo")
        if not isinstance(photo, str) or not _URL_RE.match(photo):
            raise ZaloApiFault(400, "Bad Request: photo must be a public http(s) URL")
        caption = self._check_text(params.get("caption"), "caption", required=False)
        message = self._bot_message(chat)
        message["photo"] = photo  # by URL: the fake fetches nothing
        if caption:
            message["caption"] = caption
        self._record(message, "bot")
        return {"message_id": message["message_id"], "date": message["date"]}

    async def api_sendSticker(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._sending_chat(params)
        if not isinstance(params.get("sticker"), str) or not params["sticker"]:
            raise ZaloApiFault(400, "Bad Request: sticker is required")
        message = self._bot_message(chat)
        message["sticker"] = params["sticker"]
        self._record(message, "bot")
        return {"message_id": message["message_id"], "date": message["date"]}

    async def api_sendChatAction(self, params: dict[str, Any]) -> bool:
        chat = self._sending_chat(params)
        if params.get("action") not in ("typing", "upload_photo"):
            raise ZaloApiFault(400, "Bad Request: unknown action")
        chat.last_action = (str(params["action"]), self._monotonic())
        chat.version += 1
        return True

    # ------------------------------------------------------------------ webhook delivery

    def _ensure_webhook_worker(self) -> None:
        if self._webhook is None or (self._webhook_task is not None and not self._webhook_task.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("a webhook is set: call the user-side methods from the event loop") from None
        self._webhook_task = loop.create_task(self._webhook_worker())

    async def _webhook_worker(self) -> None:
        """Deliver pending updates one at a time, in order, retrying each a bounded number of times."""
        while self._webhook is not None:
            if not self._pending:
                await self._wait(lambda: bool(self._pending) or self._webhook is None, None)
                continue
            update = self._pending[0]
            await self._deliver(update)
            if self._pending and self._pending[0] is update:
                self._pending.pop(0)
            await self._notify()

    async def _deliver(self, update: dict[str, Any]) -> bool:
        if self._webhook_session is None or self._webhook_session.closed:
            self._webhook_session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.webhook_timeout))
        message_id = update["message"]["message_id"]
        for attempt in range(1, self.webhook_max_attempts + 1):
            webhook = self._webhook
            if webhook is None:
                return False
            headers = {"Content-Type": "application/json", SECRET_HEADER: webhook["secret_token"]}
            try:
                async with self._webhook_session.post(webhook["url"], data=json.dumps(update),
                                                      headers=headers) as response:
                    await response.read()
                    status = response.status
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                self.webhook_attempts.append({"message_id": message_id, "attempt": attempt,
                                              "error": f"{type(exc).__name__}: {exc}"})
            else:
                self.webhook_attempts.append({"message_id": message_id, "attempt": attempt, "status": status})
                if 200 <= status < 300:
                    self.delivered.append(message_id)
                    return True
            await self._notify()
            if attempt < self.webhook_max_attempts:
                await asyncio.sleep(self.webhook_retry_delay * 2 ** (attempt - 1))
        log.warning("FakeZalo: gave up delivering update %s to the webhook", message_id)
        return False


_API_METHODS = {name[4:].lower(): name for name in dir(FakeZalo) if name.startswith("api_")}
