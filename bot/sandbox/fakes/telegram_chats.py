"""The fake Telegram Bot API's state and the helpers its methods share: the bot, people and chats as Telegram
shows them, how a call is read and refused, and the messages and files a call makes."""

from __future__ import annotations

import copy
import itertools
import math
import mimetypes
import re
from typing import Any, ClassVar, Unpack

import telegram
from aiohttp import web

from bot.channels.photos import image_type

from ..faults import Fault
from .chats import Chat, Pending, Record
from .files import FileStore, StoredFile
from .server import ApiHandler, FakeApiError, FakeBotApi, FakeOptions, token_shaped
from .telegram_params import (
    ACCEPTED_NOOP_METHODS,
    MAX_UPLOAD_BYTES,
    NOT_SENT_BY_DEFAULT,
    SENDING_METHODS,
    BotApiError,
    UpdateId,
    bad_request,
    coerce,
)

_HTTP_URL_RE = re.compile(r"^https?://")
_NOOP_METHODS = {name.lower(): name for name in ACCEPTED_NOOP_METHODS}


def jsonable(value: Any) -> Any:
    """A deep copy, so that what the fake answers is never changed behind its back."""
    return copy.deepcopy(value)


SANDBOX_TOKEN = "123456:SANDBOX-TOKEN"
SANDBOX_USERNAME = "bdhvs_sandbox_bot"


class TelegramOptions(FakeOptions, total=False):
    """What a fake Telegram takes besides its token and bot name (see `TelegramChats.__init__`), for its
    subclasses to pass on."""

    bot_first_name: str
    first_update_id: int


class TelegramChats(FakeBotApi):
    """The state of a fake Telegram and what its Bot API methods share."""

    fake_name = "FakeTelegram"
    client_max_size: ClassVar[int] = MAX_UPLOAD_BYTES
    sending_methods: ClassVar[frozenset[str]] = SENDING_METHODS

    def __init__(
        self,
        token: str = SANDBOX_TOKEN,
        bot_username: str = SANDBOX_USERNAME,
        *,
        bot_first_name: str = "Bình dân học vụ số",
        first_update_id: int = 1,
        **options: Unpack[FakeOptions],
    ) -> None:
        """A fake Telegram for the bot with this token; nobody has opened a chat yet (options: FakeBotApi's)."""
        if not token_shaped(token):
            raise ValueError(f"not a Telegram-shaped token: {token!r}")
        super().__init__(token, **options)
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_first_name = bot_first_name
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self._store = FileStore()
        self._files = self._store.files
        self._next_update_id = first_update_id
        self._acknowledged: set[int] = set()
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._callback_seq = itertools.count(1)
        self._commands: dict[tuple[tuple[Any, ...], str], list[dict[str, str]]] = {}
        self._webhook_last_error: tuple[int, str] | None = None
        self._poll_generation = 0
        self._allowed_updates: frozenset[str] | None = None  # None: Telegram's default types
        self.not_made: list[dict[str, Any]] = []  # update bodies of a type the bot did not ask for
        self.callback_notices: list[dict[str, Any]] = []  # callback answers with a text, each shown to one person

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as a User object (what getMe answers, and every bot message's ``from``)."""
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name, "username": self.bot_username}

    @property
    def base_file_url(self) -> str:
        """PTB's ``base_file_url`` for a server started with start()."""
        return self.base_url.removesuffix("/bot") + "/file/bot"

    @staticmethod
    def _chat_key(chat_id: Any) -> Any:
        """Telegram's chat ids are numbers."""
        return int(chat_id)

    def _shown(self, record: Record) -> dict[str, Any]:
        """A message of the log with its ``sender``, whether it was ``edited``, how the bot sent it (``force_reply``,
        ``reply_parameters``: Telegram does not echo them) and, for a person's message in a group, whether the bot
        received it (``delivered``: privacy mode keeps most group talk from it)."""
        shown = {**jsonable(record.message), "sender": record.sender, "edited": record.edited}
        shown.update(jsonable(record.sent_with))
        if record.sender == "user" and record.message["chat"]["type"] != "private":
            shown["delivered"] = record.delivered
        return shown

    # ------------------------------------------------------------------ people, chats, updates

    def add_user(
        self,
        user_id: int,
        first_name: str = "Người dùng",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
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

    def _touch_user(self, user_id: int, first_name: str | None, language_code: str | None) -> dict[str, Any]:
        """The person, registered on first sight, their name and language as given now."""
        user = self._users.get(user_id)
        if user is None:
            self.add_user(user_id, first_name or "Người dùng", language_code=language_code)
            return self._users[user_id]
        if first_name:
            user["first_name"] = first_name
        if language_code:
            user["language_code"] = language_code
        return user

    def _private_chat(self, user: dict[str, Any]) -> Chat:
        """The person's private chat with the bot, its info following their name."""
        chat = self._chats.get(user["id"])
        info = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                info[key] = user[key]
        if chat is None:
            chat = self._chats[user["id"]] = Chat(info=info)
        else:
            chat.info.update(info)
        return chat

    def _chat_for(self, user: dict[str, Any], chat_id: int | None, title: str | None) -> Chat:
        """The chat a person writes in: their private chat, or a group (made on first use)."""
        if chat_id is None or chat_id == user["id"]:
            return self._private_chat(user)
        chat = self._chats.get(chat_id)
        if chat is None:
            kind = "group" if chat_id < 0 else "private"
            chat = self._chats[chat_id] = Chat(info={"id": chat_id, "type": kind, "title": title or f"Nhóm {chat_id}"})
        return chat

    def _new_message(self, chat: Chat, sender: dict[str, Any]) -> dict[str, Any]:
        """A new message of the chat (the next message id), from `sender`, dated now."""
        message_id = chat.next_message_id
        chat.next_message_id += 1
        return {"message_id": message_id, "from": sender, "chat": dict(chat.info), "date": int(self._clock())}

    def allows(self, update_type: str) -> bool:
        """Whether the bot asked for updates of this type (the allowed_updates of its last getUpdates or
        setWebhook that named them; by default every type but chat_member and the message reactions)."""
        if self._allowed_updates is None:
            return update_type not in NOT_SENT_BY_DEFAULT
        return update_type in self._allowed_updates

    def _note_allowed_updates(self, value: Any) -> None:
        """A getUpdates or setWebhook named the types it wants (an empty list: the default ones); not naming any
        keeps the previous choice, as Telegram does."""
        if value is None or value == "":
            return
        if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
            raise bad_request("can't parse allowed_updates JSON object")
        self._allowed_updates = frozenset(value) or None

    def _enqueue(self, body: dict[str, Any]) -> UpdateId | None:
        """Make an update of `body` (``{"message": ...}``, ``{"callback_query": ...}``) for the bot; None when
        the bot did not ask for updates of that type (Telegram never makes it, so it is never delivered)."""
        update_type = next(iter(body))
        if not self.allows(update_type):
            self.not_made.append(jsonable(body))
            return None
        update_id = self._next_update_id
        self._next_update_id += 1
        update = {"update_id": update_id, **body}
        self._updates[update_id] = update
        self._pending.append(Pending(update))
        self._after_enqueue()
        return UpdateId(update_id)

    # ------------------------------------------------------------------ reading and refusing calls

    def _check_token(self, token: str) -> FakeApiError | None:
        """A token of the wrong shape is "Not Found", another bot's is "Unauthorized"."""
        if not token_shaped(token):
            return BotApiError(404, "Not Found")
        return None if token == self.token else BotApiError(401, "Unauthorized")

    def _method_handler(self, name: str) -> ApiHandler | None:
        """The coroutine of a method (case-insensitive); a real method the fake only accepts answers True."""
        handler = super()._method_handler(name)
        canonical = _NOOP_METHODS.get(name.lower())
        if handler is not None or canonical is None:
            return handler

        async def accepted(params: dict[str, Any]) -> bool:
            """Accept the call without modelling it."""
            return True

        accepted.__name__ = "api_" + canonical
        return accepted

    def _unknown_method(self, name: str) -> FakeApiError:
        """A real Bot API method the fake lacks is a 400 that says so; any other name is "Not Found"."""
        real = callable(getattr(telegram.Bot, name, None)) and name[:1].islower() and "_" not in name
        if real:
            return bad_request(f"method {name} is not supported by the sandbox fake Bot API")
        return BotApiError(404, "Not Found")

    def _fault_error(self, fault: Fault) -> FakeApiError:
        """A planned error, with ``retry_after`` when the fault names one."""
        retry = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
        return BotApiError(fault.status or 500, fault.description, retry)

    def _flood_error(self, wait: float) -> FakeApiError:
        """Telegram's 429 with the whole seconds to wait."""
        retry_after = max(1, math.ceil(wait))
        return BotApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """The query, JSON body or form of a call, form fields read as PTB encodes them."""
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                raw.update(await self._read_json_body(request, bad_request("can't parse JSON object")))
            else:
                big = request.clone(client_max_size=MAX_UPLOAD_BYTES)
                try:
                    form = await big.post()
                except web.HTTPRequestEntityTooLarge:
                    raise BotApiError(413, "Request Entity Too Large") from None
                raw.update(form.items())
        return {key: coerce(key, value) if isinstance(value, str) else value for key, value in raw.items()}

    def _add_file_routes(self, app: web.Application, prefix: str) -> None:
        """Files are downloaded from ``{prefix}/file/bot{token}/{path}``."""
        app.router.add_route("GET", prefix + "/file/bot{token}/{file_path:.+}", self._handle_file_download)

    async def _handle_file_download(self, request: web.Request) -> web.StreamResponse:
        """A stored file's bytes, for the bot's token only."""
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        stored = self._store.by_path(request.match_info["file_path"])
        if stored is not None and stored.data is not None:
            return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    # ------------------------------------------------------------------ what a call names

    def _chat_param(self, params: dict[str, Any], *, for_sending: bool = True) -> Chat:
        """The chat a call names: 400 when unknown (unless chats are lenient), 403 when the person blocked the bot."""
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.strict_chats:
                raise bad_request("chat not found")
            user = self.add_user(chat_id) if chat_id > 0 else None
            chat = self._chats[chat_id] if user else self._chat_for({"id": 0}, chat_id, None)
        if for_sending and chat_id in self._blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    @staticmethod
    def _apply_markup(chat: Chat, message: dict[str, Any], markup: dict[str, Any] | None) -> None:
        """Inline keyboards belong to the message; custom keyboards to the chat (Telegram does not echo them)."""
        if markup is None:
            return
        if "inline_keyboard" in markup:
            message["reply_markup"] = markup
        elif "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None

    def _new_bot_message(self, chat: Chat, params: dict[str, Any]) -> dict[str, Any]:
        """A new bot message of the chat, replying where the call asks (400 when that message is gone)."""
        message = self._new_message(chat, self.bot_user)
        reply_to = params.get("reply_to_message_id")
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = reply_parameters.get("message_id", reply_to)
        if reply_to is not None:
            replied = self._find_record(chat, int(reply_to))
            if replied is not None and not replied.deleted:
                message["reply_to_message"] = jsonable(replied.message)
            elif not params.get("allow_sending_without_reply") and not (
                isinstance(reply_parameters, dict) and reply_parameters.get("allow_sending_without_reply")
            ):
                raise bad_request("message to be replied not found")
        return message

    @staticmethod
    def _how_sent(params: dict[str, Any], markup: dict[str, Any] | None) -> dict[str, Any]:
        """What a sending call asked that the message Telegram answers does not show: a ForceReply markup, and
        the reply_parameters (or the older reply_to_message_id)."""
        how: dict[str, Any] = {}
        if markup is not None and markup.get("force_reply"):
            how["force_reply"] = jsonable(markup)
        if isinstance(params.get("reply_parameters"), dict):
            how["reply_parameters"] = jsonable(params["reply_parameters"])
        elif params.get("reply_to_message_id") is not None:
            how["reply_parameters"] = {"message_id": int(params["reply_to_message_id"])}
        return how

    def _input_file(self, params: dict[str, Any], key: str, kind: str) -> StoredFile:
        """The file a call sends: an upload, a known file_id, or an http(s) URL (kept, never fetched)."""
        value = params.get(key)
        if value is None or value == "":
            raise bad_request(f"there is no {key} in the request")
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
            if value is None:
                raise bad_request(f"there is no {key} in the request")
        if isinstance(value, web.FileField):
            return self._uploaded_file(value, kind)
        if isinstance(value, str):
            if value in self._files:
                return self._files[value]
            if _HTTP_URL_RE.match(value):
                name = value.rsplit("/", 1)[-1].split("?", 1)[0] or None
                mime = mimetypes.guess_type(name or "")[0]
                return self._store.store(kind, None, file_name=name, mime_type=mime, url=value)
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _uploaded_file(self, upload: web.FileField, kind: str) -> StoredFile:
        """Keep a file the bot uploaded; a photo must be a picture."""
        data = upload.file.read()
        if not data:
            raise bad_request("file must be non-empty")
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename or "")[0] or mime
        if kind == "photo":
            sniffed = image_type(data)
            if sniffed is None and not (mime or "").startswith("image/"):
                raise bad_request("IMAGE_PROCESS_FAILED")
            return self._store.store(kind, data, mime_type=sniffed or mime)
        return self._store.store(kind, data, file_name=upload.filename, mime_type=mime)

    def _editable(self, params: dict[str, Any]) -> tuple[Chat, Record]:
        """The bot message an edit names (400 when missing, deleted or not the bot's)."""
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the sandbox fake Bot API")
        chat = self._chat_param(params, for_sending=False)
        message_id = params.get("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        record = self._find_record(chat, int(message_id))
        if record is None or record.deleted:
            raise bad_request("message to edit not found")
        if record.sender != "bot":
            raise bad_request("message can't be edited")
        return chat, record

    def _mark_edited(self, chat: Chat, record: Record) -> None:
        """The message was edited now."""
        record.edited = True
        record.message["edit_date"] = int(self._clock())
        chat.version += 1
