"""The Bot API methods of the fake Telegram (``api_<method>``): each takes the call's params and returns its
result, or raises BotApiError with Telegram's code and wording."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import aiohttp

from .chats import Chat, Pending, Record
from .server import FakeApiError
from .telegram_chats import TelegramChats, jsonable
from .telegram_params import (
    CHAT_ACTIONS,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    NOT_MODIFIED,
    POLL_CONFLICT,
    QUERY_TOO_OLD,
    SECRET_RE,
    WEBHOOK_CONFLICT,
    BotApiError,
    bad_request,
    check_markup,
    clean_commands,
    format_param,
    scope_key,
)

_WEBHOOK_URL_RE = re.compile(r"^https?://[^\s/]+")

DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the largest file the Bot API lets a bot fetch with getFile


class TelegramMethods(TelegramChats):
    """The Bot API methods the fake Telegram models."""

    async def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        """The bot, as getMe describes it."""
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Confirm up to `offset`, then hand out the pending updates (a long poll with `timeout`)."""
        if self._webhook is not None:
            raise BotApiError(409, WEBHOOK_CONFLICT)
        self._note_allowed_updates(params.get("allowed_updates"))
        offset = params.get("offset")
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0, int(params.get("timeout") or 0))
        self._poll_generation += 1
        generation = self._poll_generation
        await self._notify()  # terminates an older long poll, as Telegram does
        if offset is not None:
            self._confirm(int(offset))
        wake = self.notifier.wake_generation

        def ready() -> bool:
            """Something to hand out, or this poll must end."""
            return (
                bool(self._pending)
                or generation != self._poll_generation
                or self._webhook is not None
                or wake != self.notifier.wake_generation
            )

        if not self._pending and timeout > 0:
            with contextlib.suppress(TimeoutError):
                await self.notifier.wait(ready, timeout)
        if generation != self._poll_generation:
            raise BotApiError(409, POLL_CONFLICT)
        if self._webhook is not None:
            raise BotApiError(409, WEBHOOK_CONFLICT)
        batch = self._pending[:limit]
        for pending in batch:
            pending.returned = True
        return [jsonable(p.update) for p in batch]

    def _confirm(self, offset: int) -> None:
        """Forget what getUpdates' offset confirms (a negative offset keeps only the last updates)."""
        if offset < 0:
            cut = max(0, len(self._pending) + offset)
            dropped, self._pending = self._pending[:cut], self._pending[cut:]
        else:
            kept: list[Pending] = []
            dropped = []
            for p in self._pending:
                confirmed = p.returned if p.redelivered else p.update["update_id"] < offset
                (dropped if confirmed else kept).append(p)
            self._pending = kept
        for p in dropped:
            self._acknowledged.add(p.update["update_id"])

    def _drop_pending(self) -> None:
        """drop_pending_updates: every pending update is forgotten, as acknowledged."""
        for p in self._pending:
            self._acknowledged.add(p.update["update_id"])
        self._pending.clear()

    async def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        """A text message from the bot."""
        chat = self._chat_param(params)
        text = params.get("text")
        if text is None or str(text).strip() == "":
            raise bad_request("message text is empty")
        plain, entities = format_param(text, params, "entities")
        if not plain:
            raise bad_request("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        markup = check_markup(params.get("reply_markup"))
        message = self._new_bot_message(chat, params)
        message["text"] = plain
        if entities:
            message["entities"] = entities
        if params.get("link_preview_options"):
            message["link_preview_options"] = params["link_preview_options"]
        self._apply_markup(chat, message, markup)
        self._add_record(chat, message, "bot").sent_with = self._how_sent(params, markup)
        return jsonable(message)

    async def _send_file(self, params: dict[str, Any], key: str, kind: str) -> dict[str, Any]:
        """A photo or document from the bot, optionally captioned."""
        chat = self._chat_param(params)
        stored = self._input_file(params, key, kind)
        markup = check_markup(params.get("reply_markup"))
        message = self._new_bot_message(chat, params)
        if kind == "photo":
            message["photo"] = stored.photo_sizes()
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
            plain, entities = format_param(caption, params, "caption_entities")
            if len(plain) > MAX_CAPTION_LENGTH:
                raise bad_request("message caption is too long")
            if plain:
                message["caption"] = plain
            if entities:
                message["caption_entities"] = entities
        self._apply_markup(chat, message, markup)
        self._add_record(chat, message, "bot").sent_with = self._how_sent(params, markup)
        return jsonable(message)

    async def api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        """A picture from the bot."""
        return await self._send_file(params, "photo", "photo")

    async def api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        """A file from the bot."""
        return await self._send_file(params, "document", "document")

    async def api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        """Where a stored file can be downloaded."""
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")  # Telegram's words: a bot downloads 20 MB at most
        result: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.data is not None:
            result["file_size"] = stored.file_size
            result["file_path"] = stored.file_path
        return result

    async def api_sendChatAction(self, params: dict[str, Any]) -> bool:
        """ "typing…" (or another action) shown in the chat for a few seconds."""
        chat = self._chat_param(params)
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.last_action = (str(action), self._monotonic())
        chat.version += 1
        return True

    async def api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        """A new text (and inline keyboard) for a bot message; without reply_markup the keyboard goes."""
        chat, record = self._editable(params)
        message = record.message
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text = params.get("text")
        if text is None or str(text).strip() == "":
            raise bad_request("message text is empty")
        plain, entities = format_param(text, params, "entities")
        if len(plain) > MAX_TEXT_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        markup = check_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        if (
            plain == message.get("text")
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise BotApiError(400, NOT_MODIFIED)
        message["text"] = plain
        return self._edited(chat, record, {"entities": entities, "reply_markup": markup})

    async def api_editMessageCaption(self, params: dict[str, Any]) -> dict[str, Any]:
        """A new caption (and inline keyboard) for a bot photo or document."""
        chat, record = self._editable(params)
        message = record.message
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        plain, entities = format_param(params.get("caption") or "", params, "caption_entities")
        if len(plain) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        markup = check_markup(params.get("reply_markup"))
        if plain == message.get("caption", "") and markup == message.get("reply_markup"):
            raise BotApiError(400, NOT_MODIFIED)
        return self._edited(chat, record, {"caption": plain, "caption_entities": entities, "reply_markup": markup})

    def _edited(self, chat: Chat, record: Record, fields: dict[str, Any]) -> dict[str, Any]:
        """Set the fields that have a value, remove the others; the message is edited now. Returns a copy."""
        for key, value in fields.items():
            if value:
                record.message[key] = value
            else:
                record.message.pop(key, None)
        self._mark_edited(chat, record)
        return jsonable(record.message)

    async def api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        """A new inline keyboard for a bot message (none removes it)."""
        chat, record = self._editable(params)
        markup = check_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        current = record.message.get("reply_markup")
        empty: dict[str, Any] = {"inline_keyboard": []}
        if (markup or empty) == (current or empty) or (not (markup or {}).get("inline_keyboard") and not current):
            raise BotApiError(400, NOT_MODIFIED)
        if markup is None or not markup.get("inline_keyboard"):
            record.message.pop("reply_markup", None)
        else:
            record.message["reply_markup"] = markup
        self._mark_edited(chat, record)
        return jsonable(record.message)

    async def api_deleteMessage(self, params: dict[str, Any]) -> bool:
        """The message disappears from the chat."""
        chat = self._chat_param(params, for_sending=False)
        record = self._find_record(chat, int(params.get("message_id") or 0))
        if record is None or record.deleted:
            raise bad_request("message to delete not found")
        record.deleted = True
        chat.version += 1
        return True

    async def api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        """Answer a button press once; a text shows as a notice in the chat."""
        query_id = str(params.get("callback_query_id") or "")
        query = self._callback_queries.get(query_id)
        if query is None or query["answered"]:
            raise bad_request(QUERY_TOO_OLD[len("Bad Request: ") :])
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query["answered"] = True
        self.callback_answers[query_id] = dict(params)
        chat = self._chats.get(query["chat_id"]) if text else None
        if chat is not None:
            # a notice shows to the person who pressed, never to the rest of a group
            notice = {"callback_query_id": query_id, "text": str(text), "show_alert": bool(params.get("show_alert"))}
            self.callback_notices.append({**notice, "user_id": query["user_id"], "chat_id": query["chat_id"]})
            if chat.info["type"] == "private":
                chat.notices.append(notice)
            chat.version += 1
        return True

    def _commands_changed(self) -> None:
        """The menu every chat shows may have changed."""
        for chat in self._chats.values():
            chat.version += 1

    async def api_setMyCommands(self, params: dict[str, Any]) -> bool:
        """Store the command list of one scope and language (an empty list removes it)."""
        cleaned = clean_commands(params.get("commands"))
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        self._commands_changed()
        return True

    async def api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        """The command list of exactly one scope and language."""
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return jsonable(self._commands.get(key, []))

    async def api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        """Remove the command list of one scope and language."""
        key = (scope_key(params.get("scope")), str(params.get("language_code") or ""))
        if self._commands.pop(key, None) is not None:
            self._commands_changed()
        return True

    async def api_setWebhook(self, params: dict[str, Any]) -> tuple[bool, str]:
        """Deliver updates to a URL from now on (an empty URL deletes the webhook)."""
        url = str(params.get("url") or "")
        if not url:
            return await self.api_deleteWebhook(params)
        if not _WEBHOOK_URL_RE.match(url):
            raise bad_request("bad webhook: invalid webhook URL specified")
        secret = params.get("secret_token")
        if secret is not None and secret != "" and not SECRET_RE.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        self._note_allowed_updates(params.get("allowed_updates"))
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
        self._webhooks.ensure()
        return True, "Webhook is already set" if already else "Webhook was set"

    async def api_deleteWebhook(self, params: dict[str, Any]) -> tuple[bool, str]:
        """Back to getUpdates."""
        if params.get("drop_pending_updates"):
            self._drop_pending()
        if self._webhook is None:
            return True, "Webhook is already deleted"
        self._webhook = None
        self._webhooks.cancel()
        return True, "Webhook was deleted"

    async def api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        """The webhook set, the updates waiting and the last delivery error."""
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

    # ------------------------------------------------------------------ webhook delivery (see webhook.py)

    def _webhook_headers(self, webhook: dict[str, Any]) -> dict[str, str]:
        """JSON, and the secret token's header when one was set."""
        headers = {"Content-Type": "application/json"}
        if webhook["secret_token"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
        return headers

    def _webhook_error_text(self, exc: BaseException) -> str:
        """Telegram's wording of a delivery that found no answer."""
        if isinstance(exc, aiohttp.ClientConnectorError):
            return "Connection refused"
        return f"{type(exc).__name__}: {exc}"

    def _webhook_failed(self, error: str) -> None:
        """getWebhookInfo reports the last error."""
        self._webhook_last_error = (int(self._clock()), error)

    def _webhook_gave_up(self, key: Any) -> None:
        """Dropped, as Telegram eventually does."""
        self._acknowledged.add(key)

    async def _webhook_accepted(self, key: Any, body: bytes) -> None:
        """Acknowledged; the answer may carry one Bot API call, as Telegram allows."""
        self._acknowledged.add(key)
        await self._webhook_reply_method(body)

    async def _webhook_reply_method(self, body: bytes) -> None:
        """Carry out the Bot API call a webhook answered with, if any (its errors are not reported back)."""
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
        except FakeApiError as exc:  # Telegram does not report these back either
            self.errors.append((method, params, exc.error_code, exc.description))
