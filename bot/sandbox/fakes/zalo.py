"""An in-process fake of the Zalo Bot Platform API, for the sandbox web chat and the tests.

It keeps every chat's transcript and lets a test play the user side: ``user_says``, ``user_sends_photo``,
``user_sends_sticker``, ``user_sends_voice``, ``redeliver``, then ``wait_for`` what the bot answers. What it
answers and what it models of the Zalo Bot API (getUpdates without offset, the webhook, the sending methods and
their limits, the flood limit) is zalo_methods.py's; groups (``create_group``, ``bot_added_to_group``,
``user_joins_group``..., only mentions and replies reaching the bot) are zalo_groups.py's.

Everything runs on the caller's event loop; state is plain Python, touched only from that loop.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from .chats import Pending
from .zalo_groups import ZaloGroup, ZaloGroups
from .zalo_methods import TYPING_SECONDS, ZaloApiFault

__all__ = ["FakeZalo", "ZaloApiFault", "ZaloGroup"]


class FakeZalo(ZaloGroups):
    """A fake Zalo Bot API server plus the user side of every chat."""

    # ------------------------------------------------------------------ the user side

    def add_user(self, user_id: str, display_name: str = "Người dùng") -> dict[str, Any]:
        """A person who has opened the chat with the bot (so the bot may write to them)."""
        user = {"id": str(user_id), "display_name": display_name, "is_bot": False}
        self._users[str(user_id)] = user
        self._chat(str(user_id), "PRIVATE")
        return dict(user)

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

    # ------------------------------------------------------------------ internals: updates

    def _user_message(self, user_id: str, display_name: str | None, chat_id: str | None) -> dict[str, Any]:
        """A new message from the person (registered on first sight) in their chat or a group."""
        user_id = str(user_id)
        group = chat_id is not None and str(chat_id) != user_id
        if group:
            user = self._group_speaker(str(chat_id), user_id, display_name)
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
        if not self._reaches_bot(message, addressed):
            record.delivered = False
            return None
        return self._enqueue(event_name, message)

    def _enqueue(self, event_name: str, message: dict[str, Any]) -> str:
        """Make an update of the message for the bot; returns its message_id."""
        update = {"event_name": event_name, "message": copy.deepcopy(message)}
        self._updates[message["message_id"]] = update
        self._pending.append(Pending(update))
        self._after_enqueue()
        return str(message["message_id"])
