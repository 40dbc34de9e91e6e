"""The fake Telegram Bot API with the user side of every chat: what tests, benchmarks and the sandbox drive.

python-telegram-bot talks to it unmodified: ``telegram.Bot(fake.token, base_url=f"{url}/bot",
base_file_url=f"{url}/file/bot")``. It answers like Telegram does (``{"ok": true, "result": ...}``
or ``{"ok": false, "error_code": N, "description": ...}``, same HTTP status codes, same wording for
the errors a bot meets in practice), keeps every chat's transcript, and lets a test play the user
side: ``user_says``, ``user_presses``, ``user_sends_photo``, ``user_sends_document``, ``redeliver``, then
``wait_for`` what the bot answers. Groups (``create_group``, ``bot_added_to_group``, ``user_joins_group``,
``migrate_group``..., privacy mode and the group limit) are in telegram_groups.py.

Everything runs on the caller's event loop; state is plain Python, touched only from that loop.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from bot.channels.photos import image_type

from ..formatting import format_text
from .chats import Chat, Pending
from .files import StoredFile
from .telegram_chats import jsonable
from .telegram_groups import TelegramGroups
from .telegram_params import TYPING_SECONDS, UpdateId, scope_key

_ONE_PIXEL_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


class FakeTelegram(TelegramGroups):
    """A fake Telegram Bot API server plus the user side of every chat, for tests and the sandbox."""

    # ------------------------------------------------------------------ the user side

    def user_says(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        language_code: str | None = "vi",
        chat_id: int | None = None,
        chat_title: str | None = None,
        reply_to: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> UpdateId | None:
        """A person writes ``text`` (in their private chat, or in the group ``chat_id``), as a reply to message
        ``reply_to`` when given. Returns the update_id, or None when the bot does not receive the message
        (a group's talk that privacy mode keeps from it, or a bot not in the group).

        In a group, a person whose app shows a ForceReply meant for them (``force_reply_for``) answers that
        message, as the app opens the reply by itself.
        """
        plain, entities = format_text(text)
        if not plain:
            raise ValueError("a Telegram client does not send an empty message")
        user = self._speaker(user_id, first_name, language_code, chat_id)
        chat = self._chat_for(user, chat_id, chat_title)
        message = self._new_message(chat, dict(user))
        message["text"] = plain
        if entities:
            message["entities"] = entities
        self._reply_to(chat, message, reply_to if reply_to is not None else reply_to_message_id)
        return self._said(chat, message)

    def user_sends_photo(
        self,
        user_id: int,
        file_bytes: bytes = _ONE_PIXEL_PNG,
        caption: str | None = None,
        *,
        first_name: str | None = None,
        language_code: str | None = "vi",
        chat_id: int | None = None,
        mime_type: str = "image/jpeg",
        reply_to: int | None = None,
    ) -> UpdateId | None:
        """A person sends a picture (optionally captioned); the bot can getFile and download it. None when the
        bot does not receive it (in a group, as for ``user_says``)."""
        user = self._speaker(user_id, first_name, language_code, chat_id)
        chat = self._chat_for(user, chat_id, None)
        stored = self._store.store("photo", file_bytes, mime_type=image_type(file_bytes) or mime_type)
        message = self._new_message(chat, dict(user))
        message["photo"] = stored.photo_sizes()
        return self._send_with_caption(chat, message, caption, reply_to)

    def user_sends_document(
        self,
        user_id: int,
        file_bytes: bytes,
        file_name: str,
        caption: str | None = None,
        *,
        mime_type: str | None = None,
        first_name: str | None = None,
        language_code: str | None = "vi",
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> UpdateId | None:
        """A person sends a file "as a file" (a spreadsheet, a PDF...): the message's ``document`` names it and
        its size, and the bot can getFile and download it, as on Telegram. None when the bot does not receive
        it (in a group, as for ``user_says``)."""
        user = self._speaker(user_id, first_name, language_code, chat_id)
        chat = self._chat_for(user, chat_id, None)
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = self._store.store("document", file_bytes, file_name=file_name, mime_type=mime)
        message = self._new_message(chat, dict(user))
        message["document"] = {
            "file_name": file_name,
            "mime_type": mime,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        return self._send_with_caption(chat, message, caption, reply_to)

    def _send_with_caption(
        self, chat: Chat, message: dict[str, Any], caption: str | None, reply_to: int | None
    ) -> UpdateId | None:
        """A picture's or a file's message said in the chat, with its caption's text and formatting."""
        if caption:
            plain, entities = format_text(caption)
            message["caption"] = plain
            if entities:
                message["caption_entities"] = entities
        self._reply_to(chat, message, reply_to)
        return self._said(chat, message)

    def _speaker(self, user_id: int, first_name: str | None, language_code: str | None, chat_id: int | None) -> Any:
        """The person writing: in their private chat, registered with it; in a group, without opening one."""
        if chat_id is None or chat_id == user_id or chat_id > 0:
            return self._touch_user(user_id, first_name, language_code)
        user = self._known_user(user_id, first_name)
        if language_code:
            user["language_code"] = language_code
        return user

    def _reply_to(self, chat: Chat, message: dict[str, Any], reply_to: int | None) -> None:
        """Make the message a reply to ``reply_to``, or, in a group, to the ForceReply the person's app shows."""
        if reply_to is None and chat.info["type"] != "private":
            reply_to = self.force_reply_for(chat.info["id"], message["from"]["id"])
        if reply_to is None:
            return
        replied = self._find_record(chat, reply_to)
        if replied is None or replied.deleted:
            raise ValueError(f"chat {chat.info['id']} has no message {reply_to} to reply to")
        message["reply_to_message"] = jsonable(replied.message)

    def _said(self, chat: Chat, message: dict[str, Any]) -> UpdateId | None:
        """Log a person's message and hand it to the bot, unless Telegram would keep it from it."""
        record = self._add_record(chat, message, "user")
        if chat.info["type"] != "private" and not self._delivered_in_group(chat, message):
            record.delivered = False
            self._changed()
            return None
        return self._enqueue({"message": message})

    def user_presses(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        first_name: str | None = None,
        language_code: str | None = "vi",
        strict: bool = True,
    ) -> UpdateId | None:
        """A person presses the inline button with ``callback_data`` under bot message ``message_id``.

        strict (default): the message must exist and still carry that button, as in a Telegram client.
        strict=False sends the press anyway (a press racing with the bot's edit).
        """
        user = self._speaker(user_id, first_name, language_code, chat_id)
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
            "message": jsonable(record.message),
            "chat_instance": str(-abs(hash((self.bot_id, chat.info["id"]))) % 10**18),
            "data": callback_data,
        }
        self._callback_queries[query_id] = {"chat_id": chat.info["id"], "user_id": user_id, "answered": False}
        return self._enqueue({"callback_query": query})

    def redeliver(self, update_id: int) -> UpdateId:
        """Deliver the very same update again, as Telegram does when it was not acknowledged in time."""
        if update_id not in self._updates:
            raise KeyError(f"no update {update_id}")
        self._pending.append(Pending(self._updates[update_id], redelivered=True))
        self._acknowledged.discard(update_id)
        self._after_enqueue()
        return UpdateId(update_id)

    # ------------------------------------------------------------------ reading

    def chat_state(self, chat_id: int, user_id: int | None = None) -> dict[str, Any]:
        """What a chat client shows besides messages: custom keyboard, typing, callback notices (in a group, those
        shown to ``user_id``: nobody else sees them)."""
        chat = self._chats.get(int(chat_id))
        if chat is None:
            return {"reply_keyboard": None, "chat_action": None, "notices": []}
        notices = chat.notices[-5:]
        if chat.info["type"] != "private":
            shown = self.notices_for(user_id, chat_id) if user_id is not None else []
            notices = [{k: n[k] for k in ("callback_query_id", "text", "show_alert")} for n in shown[-5:]]
        action = None
        if chat.last_action is not None:
            name, at = chat.last_action
            if self._monotonic() - at < TYPING_SECONDS:
                action = name
        return {
            "reply_keyboard": jsonable(chat.reply_keyboard),
            "chat_action": action,
            "notices": jsonable(notices),
        }

    def file(self, file_id: str) -> StoredFile | None:
        """A stored file by file_id (bytes in ``.data``)."""
        return self._store.get(file_id)

    def commands(
        self,
        scope_chat_id: int | None = None,
        language_code: str | None = None,
        *,
        scope: dict[str, Any] | None = None,
    ) -> list[dict[str, str]]:
        """The command list stored for exactly one scope (what getMyCommands answers).

        scope_chat_id -> BotCommandScopeChat; else ``scope`` (a BotCommandScope dict); else default.
        """
        if scope is None:
            scope = {"type": "chat", "chat_id": scope_chat_id} if scope_chat_id is not None else {"type": "default"}
        return jsonable(self._commands.get((scope_key(scope), language_code or ""), []))

    def menu(self, chat_id: int, language_code: str | None = None) -> list[dict[str, str]]:
        """The command menu a person sees in the chat, resolved the way Telegram does.

        Private chat: chat+lang, chat, all_private_chats+lang, all_private_chats, default+lang, default.
        """
        chat_id = int(chat_id)
        broad = ("all_group_chats",) if chat_id < 0 else ("all_private_chats",)
        for key in (("chat", chat_id), broad, ("default",)):
            for lang in ([language_code] if language_code else []) + [""]:
                found = self._commands.get((key, lang))
                if found:
                    return jsonable(found)
        return []

    @property
    def pending_update_count(self) -> int:
        """Updates made but not acknowledged yet (getUpdates offset or webhook 2xx)."""
        return len(self._pending)

    def is_acknowledged(self, update_id: int) -> bool:
        """The bot confirmed the update (polling: a later offset; webhook: answered 2xx)."""
        return update_id in self._acknowledged and not any(p.update["update_id"] == update_id for p in self._pending)

    async def wait_until_acknowledged(self, update_id: int | None = None, timeout: float = 5.0) -> None:
        """Wait until the bot acknowledged one update (or, with None, every pending update)."""
        if update_id is None:
            await self.wait_for(lambda: not self._pending, timeout, what="all updates acknowledged")
        else:
            await self.wait_for(
                lambda: self.is_acknowledged(update_id), timeout, what=f"update {update_id} acknowledged"
            )

    def _report_chats(self) -> list[str]:
        """The last three bot messages of every chat, with their buttons."""
        lines = []
        for chat_id, record in self._latest_bot_records(3):
            message = record.message
            text = message.get("text") or message.get("caption") or ("<photo>" if "photo" in message else "<document>")
            buttons = [
                b.get("text") for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row
            ]
            lines.append(
                f"  chat {chat_id} #{message['message_id']}{' (edited)' if record.edited else ''}: "
                f"{text[:200]!r}" + (f" buttons={buttons}" if buttons else "")
            )
        return lines or ["  the bot has sent no message at all."]

    def _report_pending(self) -> list[str]:
        """The pending update ids and the last calls."""
        return [
            f"  pending updates: {[p.update['update_id'] for p in self._pending]}",
            f"  last calls: {[name for name, _ in self.calls[-8:]]}",
        ]
