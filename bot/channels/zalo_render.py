"""Delivering outbox items to Zalo, which has fewer features than Telegram:

* No buttons: a Reply's buttons are rendered as numbered lines (`bot.choices`), and the answer (`2`, `số 2`,
  the choice's words) is turned back into the button's payload by the engine. No editing: `edit` items are
  sent as new messages. No command menu and no callback answers: those items are no-ops.
* Text is at most 2,000 characters: longer texts are split at line breaks. Pictures are sent by public URL:
  our own `GET /files/{token}` (see `bot.files`); documents become a text message with such a link.
* In a group the bot answers in the group.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot import choices
from bot.channels.base import PermanentError
from bot.channels.sending import SplitSends, in_executor
from bot.channels.text import split_text, utf16_len
from bot.channels.zalo_api import RETRY_AFTER_429, ZaloApiError, ZaloClient, map_error
from bot.channels.zalo_updates import CHANNEL
from bot.clock import Clock
from bot.files import file_url
from bot.i18n import Translator
from storage import outbox
from storage.db import Database
from storage.files import live_file
from storage.models import ChannelAccount, ConversationState, Member
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

TEXT_LIMIT = 2000
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

Call = tuple[str, dict[str, Any]]


class ZaloRenderer:
    """Delivers outbox items through the Zalo Bot API (see the module docstring for the rendering)."""

    channel = CHANNEL

    def __init__(
        self,
        client: ZaloClient,
        database: Database,
        clock: Clock,
        file_base: Callable[[], str],
        group_chats: set[str] | None = None,
        db_executor: Executor | None = None,
        tz: dt.tzinfo = VIETNAM,
        quota_pause: float = RETRY_AFTER_429,
        send_timeout: float = 60.0,
    ) -> None:
        self.client = client
        self.send_timeout = send_timeout  # per call, well beyond the platform's slowest usual answer
        self.tz = tz
        self.quota_pause = quota_pause
        self.database = database
        self.clock = clock
        self.file_base = file_base
        self.group_chats = group_chats if group_chats is not None else set()
        self.db_executor = db_executor
        self.split_sends = SplitSends()

    def is_group_chat(self, chat_id: str) -> bool:
        """Whether the bot has received a message from this chat as a group."""
        return chat_id in self.group_chats

    async def deliver(self, item: OutboxItem) -> None:
        """Send one item; a Zalo error is raised as the sender's DeliveryError."""
        if item.kind in (outbox.KIND_ANSWER_CALLBACK, outbox.KIND_SET_COMMANDS):
            return  # no callback queries, no command menu on Zalo
        if item.kind not in (outbox.KIND_MESSAGE, outbox.KIND_EDIT):
            raise PermanentError(f"unknown outbox kind {item.kind!r}")
        try:
            await self._send(item)
        except ZaloApiError as error:
            raise self.split_sends.failed(item.id, map_error(error, self.quota_pause)) from error

    async def _send(self, item: OutboxItem) -> None:
        """The item as Zalo messages: a photo (with the text as caption when it fits), then the text in parts,
        the choices numbered and a document as a link."""
        payload = item.payload or {}
        rows = payload.get("buttons") or []
        token = payload.get("file_token")
        if rows or token:  # only choices and file links need the person's language (and a file its row)
            context = await in_executor(self.db_executor, self._context, item, bool(rows), token)
        else:
            context = {"locale": "vi", "file": None}
        tr = Translator(context["locale"])
        text = choices.numbered_text((payload.get("text") or "").strip("\n"), rows, tr)
        stored = context["file"]
        if token and stored is None:
            log.warning(
                "stored file %s is gone or expired; sending the text alone to Zalo chat %s", token, item.chat_id
            )
        calls: list[Call] = []
        if stored is not None:
            text = self._attach(calls, item.chat_id, payload, stored, text, tr)
        if text.strip():
            calls += [("sendMessage", {"chat_id": item.chat_id, "text": part}) for part in split_text(text, TEXT_LIMIT)]
        if not calls:
            raise PermanentError("empty message")
        await self.split_sends.send(item.id, calls, functools.partial(self.client.call, timeout=self.send_timeout))

    def _attach(
        self,
        calls: list[Call],
        chat_id: str,
        payload: dict[str, Any],
        stored: dict[str, Any],
        text: str,
        tr: Translator,
    ) -> str:
        """Add the photo to `calls` (the text as its caption when it fits), or link a document in the text;
        the text still to send."""
        url = file_url(self.file_base(), payload["file_token"])
        if payload.get("file_kind") == "photo" and stored["mime_type"].startswith("image/"):
            if text and utf16_len(text) <= TEXT_LIMIT:
                calls.append(("sendPhoto", {"chat_id": chat_id, "photo": url, "caption": text}))
                return ""
            calls.append(("sendPhoto", {"chat_id": chat_id, "photo": url}))
            return text
        link = tr.gettext("📎 {name}: {url}\n(Đường dẫn dùng được đến {time} ngày {day}.)").format(
            name=stored["filename"],
            url=url,
            time=stored["expires"].strftime("%H:%M"),
            day=tr.date(stored["expires"].date()),
        )
        return f"{text}\n\n{link}" if text else link

    def _context(self, item: OutboxItem, has_choices: bool, token: str | None) -> dict[str, Any]:
        """The chat's language, the file to link, and (for reminders) the choices offered outside a turn."""
        now = self.clock.now()
        with self.database.session() as session:
            locale = _locale(session, item.chat_id)
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


def _locale(session: Session, chat_id: str) -> str | None:
    """The chat's language: its member's, else the one chosen in the conversation; None when unknown."""
    account = session.exec(
        select(ChannelAccount).where(ChannelAccount.channel == CHANNEL, ChannelAccount.chat_id == chat_id)
    ).first()
    member = session.get(Member, account.member_id) if account is not None else None
    if member is not None and member.locale is not None:
        return member.locale
    state = session.get(ConversationState, (CHANNEL, chat_id, ""))
    return state.locale if state else None
