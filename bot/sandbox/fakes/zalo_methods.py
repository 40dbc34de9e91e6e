"""The Zalo Bot API side of the fake Zalo: its chats, how it reads calls and words errors, and its methods.

It answers like the Zalo Bot API (`POST {prefix}/bot<TOKEN>/<method>` with JSON; `{"ok": true, "result": ...}`
or `{"ok": false, "error_code": N, "description": ...}`). What it models of Zalo:
* getUpdates is a long poll without offset that hands out ONE update, wrapped as ``{"ok": true, "result":
  {...update...}}``, and forgets it; with nothing to hand out it answers 408 "Request timeout" after `timeout`.
* setWebhook (url, secret_token of 8–256 characters) / deleteWebhook / getWebhookInfo; with a webhook set,
  getUpdates is refused and every update is POSTed to the URL with the header ``X-Bot-Api-Secret-Token``,
  retried a few times on a non-2xx answer.
* sendMessage: text of 1–2,000 characters; sendPhoto: a photo *URL*, recorded, never fetched; sendSticker,
  sendChatAction (typing). Sending to a chat nobody opened: 400; to a person who blocked the bot: 403.
* An optional flood limit answers 429 (no retry time, as Zalo documents none).

Groups are zalo_groups.py's; the user side of every chat is zalo.py's (`FakeZalo`).
"""

from __future__ import annotations

import contextlib
import copy
import re
import secrets
from typing import Any, ClassVar, Unpack

from aiohttp import web

from .chats import Chat, Record
from .server import FakeApiError, FakeBotApi, FakeOptions, token_shaped

MAX_TEXT_LENGTH = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TYPING_SECONDS = 5.0
SENDING_METHODS = frozenset({"sendMessage", "sendPhoto", "sendSticker"})
WEBHOOK_CONFLICT = "Conflict: webhook is active, getUpdates is not available"
_URL_RE = re.compile(r"^https?://[^\s/]+")


class ZaloApiFault(FakeApiError):
    """An error answer of the fake Zalo: HTTP status = error_code (unless errors come as HTTP 200)."""


def _utf16_len(text: str) -> int:
    """The length Zalo counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


SANDBOX_ZALO_TOKEN = "1459232241454765289:SANDBOX-ZALO-TOKEN"


class ZaloOptions(FakeOptions, total=False):
    """What a fake Zalo takes besides its token (see `ZaloMethods.__init__`), for its subclasses to pass on."""

    bot_name: str
    account_name: str
    http_errors: bool


class ZaloMethods(FakeBotApi):
    """The fake Zalo's chats and Bot API methods (the user side and groups are added by its subclasses)."""

    fake_name = "FakeZalo"
    attempt_key: ClassVar[str] = "message_id"
    notify_on_call: ClassVar[bool] = True
    handler_cancellation: ClassVar[bool] = True
    sending_methods: ClassVar[frozenset[str]] = SENDING_METHODS

    def __init__(
        self,
        token: str = SANDBOX_ZALO_TOKEN,
        *,
        bot_name: str = "Bình dân học vụ số",
        account_name: str = "bot.bdhvs",
        http_errors: bool = True,
        **options: Unpack[FakeOptions],
    ) -> None:
        """A fake Zalo for the bot with this token (``{bot_id}:{secret}``); nobody has opened a chat yet.

        The options are FakeBotApi's; a webhook delivery is tried 4 times unless `webhook_max_attempts` says.
        """
        if not token_shaped(token):
            raise ValueError(f"not a Zalo-shaped token ({{bot_id}}:{{secret}}): {token!r}")
        options.setdefault("webhook_max_attempts", 4)
        super().__init__(token, **options)
        self.bot_id = token.split(":", 1)[0]
        self.bot_name = bot_name
        self.account_name = account_name
        self.http_errors = http_errors  # False: errors come as HTTP 200 with ok=false (both exist in the wild)
        self.delivered: list[str] = []  # message ids handed out (getUpdates) or accepted (webhook 2xx)
        self._files: dict[str, tuple[bytes, str]] = {}  # photos users sent: id -> (bytes, mime)

    @staticmethod
    def _chat_key(chat_id: Any) -> Any:
        """Zalo's ids are strings."""
        return str(chat_id)

    # ------------------------------------------------------------------ chats

    def _chat(self, chat_id: str, chat_type: str, name: str | None = None) -> Chat:
        """The chat, made on first use (a group's with its name, when it has one)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            info = {"id": chat_id, "chat_type": chat_type}
            if name:
                info["display_name"] = name
            chat = self._chats[chat_id] = Chat(info=info)
        return chat

    def _known_user(self, user_id: str, display_name: str | None = None) -> dict[str, Any]:
        """A person the fake knows, registered on first sight without a private chat with the bot."""
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = {"id": user_id, "display_name": display_name or "Người dùng", "is_bot": False}
        elif display_name:
            user["display_name"] = display_name
        return user

    def _record(self, message: dict[str, Any], sender: str) -> Record:
        """Keep a copy of the message in its chat's log."""
        record = self._add_record(self._chats[message["chat"]["id"]], copy.deepcopy(message), sender)
        self._changed()
        return record

    # ------------------------------------------------------------------ internals: HTTP

    def _flood_error(self, wait: float) -> FakeApiError:
        """Zalo's 429 carries no retry time."""
        return ZaloApiFault(429, "Too Many Requests: quota exceeded")

    def _error_response(self, exc: FakeApiError) -> web.Response:
        """An error answer: with its HTTP status, or as HTTP 200 when the fake is told so."""
        return web.json_response(exc.payload(), status=exc.error_code if self.http_errors else 200)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """The query and the JSON (or form) body of a call."""
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await self._read_json_body(request, ZaloApiFault(400, "Bad Request: invalid JSON")))
            else:
                params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        return params

    def _add_file_routes(self, app: web.Application, prefix: str) -> None:
        """Photos people sent are served at ``{prefix}/files/{id}``."""
        app.router.add_get(prefix + "/files/{file_id}", self._handle_file)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """A photo a person sent."""
        stored = self._files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        return web.Response(body=stored[0], content_type=stored[1])

    def _sending_chat(self, params: dict[str, Any]) -> Chat:
        """The chat a sending call names: 400 when unknown (unless lenient), 403 when the person blocked the bot."""
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

    def _bot_message(self, chat: Chat) -> dict[str, Any]:
        """A new message from the bot in the chat."""
        return {
            "message_id": secrets.token_hex(10),
            "date": int(self._clock() * 1000),
            "from": {"id": self.bot_id, "display_name": self.bot_name, "is_bot": True},
            "chat": dict(chat.info),
        }

    def _sent(self, message: dict[str, Any]) -> dict[str, Any]:
        """Log the bot's message; what a sending method answers."""
        self._record(message, "bot")
        return {"message_id": message["message_id"], "date": message["date"]}

    @staticmethod
    def _check_text(value: Any, what: str, required: bool) -> str | None:
        """A text or caption within Zalo's limit (None when optional and absent)."""
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise ZaloApiFault(400, f"Bad Request: {what} must be a non-empty string")
        if _utf16_len(value) > MAX_TEXT_LENGTH:
            raise ZaloApiFault(400, f"Bad Request: {what} is longer than {MAX_TEXT_LENGTH} characters")
        return value

    # ------------------------------------------------------------------ API methods

    async def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        """The bot, as getMe describes it."""
        return {
            "id": self.bot_id,
            "account_name": self.account_name,
            "display_name": self.bot_name,
            "account_type": "BASIC",
            "can_join_groups": True,
        }

    async def api_getUpdates(self, params: dict[str, Any]) -> dict[str, Any]:
        """Hand out one update, forgotten at once; 408 when none came within `timeout` seconds."""
        if self._webhook is not None:
            raise ZaloApiFault(409, WEBHOOK_CONFLICT)
        try:
            timeout = max(0.0, float(params.get("timeout", 30)))
        except (TypeError, ValueError):
            raise ZaloApiFault(400, "Bad Request: timeout must be a number") from None
        wake = self.notifier.wake_generation
        if not self._pending and timeout > 0:
            with contextlib.suppress(TimeoutError):
                await self.notifier.wait(
                    lambda: bool(self._pending) or self._webhook is not None or self.notifier.wake_generation != wake,
                    timeout,
                )
        if self._webhook is not None:
            raise ZaloApiFault(409, WEBHOOK_CONFLICT)
        if not self._pending:
            raise ZaloApiFault(408, "Request timeout")
        update = self._pending.pop(0).update
        self.delivered.append(update["message"]["message_id"])
        return copy.deepcopy(update)

    async def api_setWebhook(self, params: dict[str, Any]) -> dict[str, Any]:
        """Deliver updates to a URL, with a secret token of 8–256 characters."""
        url = params.get("url")
        secret = params.get("secret_token")
        if not isinstance(url, str) or not _URL_RE.match(url):
            raise ZaloApiFault(400, "Bad Request: invalid webhook url")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise ZaloApiFault(400, "Bad Request: secret_token must be 8 to 256 characters")
        updated = int(self._clock() * 1000)
        self._webhook = {"url": url, "secret_token": secret, "updated_at": updated}
        self._webhooks.ensure()
        return {"url": url, "updated_at": updated}

    async def api_deleteWebhook(self, params: dict[str, Any]) -> dict[str, Any]:
        """Back to getUpdates."""
        self._webhook = None
        self._webhooks.cancel()
        return {"url": "", "updated_at": int(self._clock() * 1000)}

    async def api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        """The webhook set, and when."""
        webhook = self._webhook or {"url": "", "updated_at": 0}
        return {"url": webhook["url"], "updated_at": webhook["updated_at"]}

    async def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        """A text from the bot."""
        chat = self._sending_chat(params)
        text = self._check_text(params.get("text"), "text", required=True)
        message = self._bot_message(chat)
        message["text"] = text
        return self._sent(message)

    async def api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        """A picture from the bot, by public URL (the fake fetches nothing), optionally captioned."""
        chat = self._sending_chat(params)
        photo = params.get("photo")
        if not isinstance(photo, str) or not _URL_RE.match(photo):
            raise ZaloApiFault(400, "Bad Request: photo must be a public http(s) URL")
        caption = self._check_text(params.get("caption"), "caption", required=False)
        message = self._bot_message(chat)
        message["photo"] = photo
        if caption:
            message["caption"] = caption
        return self._sent(message)

    async def api_sendSticker(self, params: dict[str, Any]) -> dict[str, Any]:
        """A sticker from the bot."""
        chat = self._sending_chat(params)
        if not isinstance(params.get("sticker"), str) or not params["sticker"]:
            raise ZaloApiFault(400, "Bad Request: sticker is required")
        message = self._bot_message(chat)
        message["sticker"] = params["sticker"]
        return self._sent(message)

    async def api_sendChatAction(self, params: dict[str, Any]) -> bool:
        """ "typing…" shown in the chat for a few seconds."""
        chat = self._sending_chat(params)
        if params.get("action") not in ("typing", "upload_photo"):
            raise ZaloApiFault(400, "Bad Request: unknown action")
        chat.last_action = (str(params["action"]), self._monotonic())
        chat.version += 1
        return True

    # ------------------------------------------------------------------ webhook delivery (see webhook.py)

    def _update_key(self, update: dict[str, Any]) -> Any:
        """Zalo's updates are known by their message's id."""
        return update["message"]["message_id"]

    def _webhook_headers(self, webhook: dict[str, Any]) -> dict[str, str]:
        """JSON, and the secret token's header."""
        return {"Content-Type": "application/json", SECRET_HEADER: webhook["secret_token"]}

    async def _webhook_accepted(self, key: Any, body: bytes) -> None:
        """The update counts as delivered."""
        self.delivered.append(key)
