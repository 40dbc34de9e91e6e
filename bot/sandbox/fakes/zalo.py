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
* Groups: the bot receives only the group messages that mention it (the text starts with "@<bot name>") or
  reply to one of its messages; everything else, photos and stickers included unless they reply to the bot,
  stays in the transcript only. A group's update says ``chat_type`` "GROUP" and, when it has one, its name
  (``display_name``). Zalo describes no event for the bot being added or removed: ``bot_added_to_group`` and
  ``bot_removed_from_group`` change who is in the group without an update; a removed bot's sends answer 403.

Everything runs on the caller's event loop; state is plain Python, touched only from that loop.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, ClassVar, Unpack

from aiohttp import web

from .chats import Chat, Pending, Record
from .server import FakeApiError, FakeBotApi, FakeOptions, token_shaped

__all__ = ["FakeZalo", "ZaloApiFault", "ZaloGroup"]

MAX_TEXT_LENGTH = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TYPING_SECONDS = 5.0
SENDING_METHODS = frozenset({"sendMessage", "sendPhoto", "sendSticker"})
WEBHOOK_CONFLICT = "Conflict: webhook is active, getUpdates is not available"
_URL_RE = re.compile(r"^https?://[^\s/]+")


class ZaloApiFault(FakeApiError):
    """An error answer of the fake Zalo: HTTP status = error_code (unless errors come as HTTP 200)."""


@dataclass
class ZaloGroup:
    """A Zalo group: its name, who is in it, whether the bot is."""

    group_id: str
    name: str | None
    members: list[str] = field(default_factory=list)
    bot_in: bool = False
    open: bool = False  # made by add_group (or first seen in a message): anyone may write, the bot is in it


def _utf16_len(text: str) -> int:
    """The length Zalo counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class FakeZalo(FakeBotApi):
    """A fake Zalo Bot API server plus the user side of every chat."""

    fake_name = "FakeZalo"
    attempt_key: ClassVar[str] = "message_id"
    notify_on_call: ClassVar[bool] = True
    handler_cancellation: ClassVar[bool] = True
    sending_methods: ClassVar[frozenset[str]] = SENDING_METHODS

    def __init__(
        self,
        token: str = "1459232241454765289:SANDBOX-ZALO-TOKEN",
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
        self._groups: dict[str, ZaloGroup] = {}
        self._group_ids = itertools.count(6_000_000_000_000_000_001)

    @staticmethod
    def _chat_key(chat_id: Any) -> Any:
        """Zalo's ids are strings."""
        return str(chat_id)

    # ------------------------------------------------------------------ the user side

    def add_user(self, user_id: str, display_name: str = "Người dùng") -> dict[str, Any]:
        """A person who has opened the chat with the bot (so the bot may write to them)."""
        user = {"id": str(user_id), "display_name": display_name, "is_bot": False}
        self._users[str(user_id)] = user
        self._chat(str(user_id), "PRIVATE")
        return dict(user)

    def add_group(self, group_id: str, name: str | None = None) -> None:
        """A group the bot is a member of, where anyone may write (no member list kept)."""
        self._chat(str(group_id), "GROUP", name)
        self._groups.setdefault(str(group_id), ZaloGroup(str(group_id), name, bot_in=True, open=True))

    def create_group(
        self, name: str, members: list[str] | tuple[str, ...] = (), *, group_id: str | None = None, bot_in: bool = False
    ) -> str:
        """A new group of these people, without the bot (or with it: ``bot_in``); returns its id (a given one,
        or a new one)."""
        group_id = str(group_id) if group_id is not None else str(next(self._group_ids))
        if group_id in self._chats:
            raise ValueError(f"chat {group_id} exists already")
        self._chat(group_id, "GROUP", name)
        self._groups[group_id] = ZaloGroup(group_id, name, members=[str(m) for m in members], bot_in=bot_in)
        for user_id in members:
            self._known_user(str(user_id))
        return group_id

    def group(self, group_id: str) -> dict[str, Any]:
        """What the fake knows of a group: id, name, members (user ids), whether the bot is in it."""
        group = self._group(group_id)
        return {"id": group.group_id, "name": group.name, "members": list(group.members), "bot_in": group.bot_in}

    def groups(self) -> list[dict[str, Any]]:
        """Every group the fake knows, in the order they were made."""
        return [self.group(group_id) for group_id in self._groups]

    def group_transcript(self, group_id: str) -> list[dict[str, Any]]:
        """The group's messages, oldest first; a person's message says whether the bot received it."""
        self._group(group_id)
        return self.messages(group_id)

    def bot_added_to_group(self, group_id: str, by_user_id: str) -> None:
        """A member adds the bot to the group (Zalo sends the bot no update for it)."""
        group = self._group(group_id)
        self._member(group, by_user_id)
        if group.bot_in:
            raise ValueError(f"the bot is already in group {group_id}")
        group.bot_in = True

    def bot_removed_from_group(self, group_id: str, by_user_id: str) -> None:
        """A member removes the bot: no update; its sends to the group answer 403 from then on."""
        group = self._group(group_id)
        self._member(group, by_user_id)
        if not group.bot_in:
            raise ValueError(f"the bot is not in group {group_id}")
        group.bot_in = False

    def user_joins_group(self, group_id: str, user_id: str, display_name: str | None = None) -> None:
        """A person joins the group (no update: Zalo tells the bot nothing of it)."""
        group = self._group(group_id)
        self._known_user(str(user_id), display_name)
        if str(user_id) not in group.members:
            group.members.append(str(user_id))

    def user_leaves_group(self, group_id: str, user_id: str) -> None:
        """A person leaves the group."""
        group = self._group(group_id)
        self._member(group, user_id)
        group.members.remove(str(user_id))

    def user_says(
        self,
        user_id: str,
        text: str,
        *,
        display_name: str | None = None,
        chat_id: str | None = None,
        mention: bool = True,
        reply_to: str | None = None,
    ) -> str | None:
        """A person writes ``text`` (in a group when chat_id is given); returns the message_id, or None when the
        bot does not receive it.

        In a group the bot gets the message only when it mentions the bot (``mention``, the text then starts
        with "@<bot name> ") or replies to one of the bot's messages (``reply_to`` = that message_id).
        """
        if not text:
            raise ValueError("a Zalo client does not send an empty message")
        group = chat_id is not None and str(chat_id) != str(user_id)
        if group and mention and reply_to is None and not text.startswith(f"@{self.bot_name}"):
            text = f"@{self.bot_name} {text}"
        message = self._user_message(user_id, display_name, chat_id)
        message["text"] = text
        if reply_to is not None:
            message["quote_message_id"] = reply_to
        addressed = (mention and reply_to is None) or self._replies_to_bot(message)
        return self._handed(message, "message.text.received", addressed)

    def user_sends_photo(
        self,
        user_id: str,
        data: bytes | None = None,
        caption: str | None = None,
        *,
        url: str | None = None,
        mime_type: str = "image/jpeg",
        display_name: str | None = None,
        chat_id: str | None = None,
        reply_to: str | None = None,
    ) -> str | None:
        """A person sends a picture: by ``url``, or ``data`` served by this fake at ``{url}/files/<id>``. In a
        group the bot gets it only as a reply to one of its messages (None otherwise)."""
        if url is None:
            file_id = secrets.token_hex(8)
            self._files[file_id] = (data or b"", mime_type)
            url = f"{self.url or ''}/files/{file_id}"
        message = self._user_message(user_id, display_name, chat_id)
        message["photo"] = url
        if caption:
            message["caption"] = caption
        if reply_to is not None:
            message["quote_message_id"] = reply_to
        return self._handed(message, "message.image.received", self._replies_to_bot(message))

    def user_sends_sticker(self, user_id: str, sticker: str = "0e078a2fb66a5f34067b", **kwargs: Any) -> str | None:
        """A person sends a sticker."""
        return self._user_sends(user_id, "message.sticker.received", {"sticker": sticker}, **kwargs)

    def user_sends_voice(self, user_id: str, **kwargs: Any) -> str | None:
        """A person sends a voice message."""
        voice = {"voice": {"url": "https://example.invalid/voice.aac", "duration": 3}}
        return self._user_sends(user_id, "message.voice.received", voice, **kwargs)

    def user_sends_unsupported(self, user_id: str, **kwargs: Any) -> str | None:
        """A person sends something the platform does not describe."""
        return self._user_sends(user_id, "message.unsupported.received", {}, **kwargs)

    def _user_sends(self, user_id: str, event_name: str, content: dict[str, Any], **kwargs: Any) -> str | None:
        """A person sends a message with `content` (display_name, chat_id and reply_to may be given)."""
        message = self._user_message(user_id, kwargs.get("display_name"), kwargs.get("chat_id"))
        message.update(content)
        if kwargs.get("reply_to") is not None:
            message["quote_message_id"] = kwargs["reply_to"]
        return self._handed(message, event_name, self._replies_to_bot(message))

    def redeliver(self, message_id: str) -> str:
        """Send the very same update again (Zalo retrying a webhook call it thinks failed)."""
        if message_id not in self._updates:
            raise KeyError(f"no update {message_id}")
        self._pending.append(Pending(copy.deepcopy(self._updates[message_id]), redelivered=True))
        self._after_enqueue()
        return message_id

    # ------------------------------------------------------------------ the test API: reading

    def bot_texts(self, chat_id: str) -> list[str]:
        """What the bot wrote in the chat: texts, and photo captions."""
        return [m.get("text") or m.get("caption") or "" for m in self.bot_messages(chat_id)]

    def typing(self, chat_id: str) -> bool:
        """Whether the chat shows "typing…" now."""
        chat = self._chats.get(str(chat_id))
        if chat is None or chat.last_action is None:
            return False
        return self._monotonic() - chat.last_action[1] < TYPING_SECONDS

    def file(self, file_id: str) -> tuple[bytes, str] | None:
        """A photo a person sent: (bytes, MIME type)."""
        return self._files.get(file_id)

    async def wait_until_delivered(self, message_id: str, timeout: float = 5.0) -> None:
        """Wait until the update was handed to the bot (getUpdates) or accepted by its webhook."""
        await self.wait_for(lambda: message_id in self.delivered, timeout, what=f"update {message_id} delivered")

    def _report_chats(self) -> list[str]:
        """The last three bot messages of every chat."""
        lines = []
        for chat_id, record in self._latest_bot_records(3):
            message = record.message
            text = message.get("text") or message.get("caption") or f"<photo {message.get('photo')}>"
            lines.append(f"  chat {chat_id}: {text[:300]!r}")
        return lines

    # ------------------------------------------------------------------ internals: chats and updates

    def _chat(self, chat_id: str, chat_type: str, name: str | None = None) -> Chat:
        """The chat, made on first use (a group's with its name, when it has one)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            info = {"id": chat_id, "chat_type": chat_type}
            if name:
                info["display_name"] = name
            chat = self._chats[chat_id] = Chat(info=info)
        return chat

    def _group(self, group_id: str) -> ZaloGroup:
        """A group the fake knows, or KeyError."""
        group = self._groups.get(str(group_id))
        if group is None:
            raise KeyError(f"no group {group_id}")
        return group

    def _member(self, group: ZaloGroup, user_id: str) -> None:
        """ValueError unless the person is in the group."""
        if not group.open and str(user_id) not in group.members:
            raise ValueError(f"user {user_id} is not a member of group {group.group_id}: call user_joins_group first")

    def _known_user(self, user_id: str, display_name: str | None = None) -> dict[str, Any]:
        """A person the fake knows, registered on first sight without a private chat with the bot."""
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = {"id": user_id, "display_name": display_name or "Người dùng", "is_bot": False}
        elif display_name:
            user["display_name"] = display_name
        return user

    def _user_message(self, user_id: str, display_name: str | None, chat_id: str | None) -> dict[str, Any]:
        """A new message from the person (registered on first sight) in their chat or a group."""
        user_id = str(user_id)
        group = chat_id is not None and str(chat_id) != user_id
        if group:
            known_group = self._groups.get(str(chat_id))
            if known_group is None:
                self.add_group(str(chat_id))
            else:
                self._member(known_group, user_id)
            user = self._known_user(user_id, display_name)
        elif user_id not in self._chats:  # first words in the private chat: the person opens it
            known = self._users.get(user_id) or {}
            user = self.add_user(user_id, display_name or known.get("display_name") or "Người dùng")
        else:
            user = self._known_user(user_id, display_name)
        chat = self._chat(str(chat_id) if group else user_id, "GROUP" if group else "PRIVATE")
        return {
            "from": dict(user),
            "chat": dict(chat.info),
            "message_id": secrets.token_hex(10),
            "date": int(self._clock() * 1000),
        }

    def _record(self, message: dict[str, Any], sender: str) -> Record:
        """Keep a copy of the message in its chat's log."""
        record = self._add_record(self._chats[message["chat"]["id"]], copy.deepcopy(message), sender)
        self._changed()
        return record

    def _replies_to_bot(self, message: dict[str, Any]) -> bool:
        """Whether the message quotes one of the bot's messages in its chat."""
        quoted = message.get("quote_message_id")
        if quoted is None:
            return False
        chat = self._chats[message["chat"]["id"]]
        record = self._find_record(chat, quoted)
        return record is not None and record.sender == "bot"

    def _handed(self, message: dict[str, Any], event_name: str, addressed: bool) -> str | None:
        """Log a person's message and hand it to the bot: always in a private chat; in a group only when it is
        addressed to the bot (a mention or a reply to it) and the bot is in the group. Returns the message_id,
        or None when the bot does not receive it."""
        record = self._record(message, "user")
        group = self._groups.get(message["chat"]["id"]) if message["chat"]["chat_type"] == "GROUP" else None
        if group is not None and not (addressed and group.bot_in):
            record.delivered = False
            return None
        return self._enqueue(event_name, message)

    def _shown(self, record: Record) -> dict[str, Any]:
        """A message of the log with its ``sender`` and, for a person's group message, ``delivered``."""
        shown = super()._shown(record)
        if record.sender == "user" and record.message["chat"]["chat_type"] == "GROUP":
            shown["delivered"] = record.delivered
        return shown

    def _enqueue(self, event_name: str, message: dict[str, Any]) -> str:
        """Make an update of the message for the bot; returns its message_id."""
        update = {"event_name": event_name, "message": copy.deepcopy(message)}
        self._updates[message["message_id"]] = update
        self._pending.append(Pending(update))
        self._after_enqueue()
        return str(message["message_id"])

    def _update_key(self, update: dict[str, Any]) -> Any:
        """Zalo's updates are known by their message's id."""
        return update["message"]["message_id"]

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
        group = self._groups.get(str(chat_id))
        if group is not None and not group.bot_in:
            raise ZaloApiFault(403, "Forbidden: the bot is not a member of this group")
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

    def _webhook_headers(self, webhook: dict[str, Any]) -> dict[str, str]:
        """JSON, and the secret token's header."""
        return {"Content-Type": "application/json", SECRET_HEADER: webhook["secret_token"]}

    async def _webhook_accepted(self, key: Any, body: bytes) -> None:
        """The update counts as delivered."""
        self.delivered.append(key)
