"""A test driver for the conversation engine: people type and press buttons, the outbox is read back."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from bot.engine import ConversationEngine, Outcome
from bot.messages import Button, Incoming, IncomingFile, Reply
from storage.db import Database
from storage.models import OutboxMessage

_update_ids = itertools.count(1)


@dataclass
class Sent:
    """One outbox item as a person would see it."""

    id: int
    kind: str
    chat_id: str
    payload: dict[str, Any]

    @property
    def text(self) -> str:
        return self.payload.get("text") or ""

    @property
    def reply(self) -> Reply:
        return Reply.from_payload(self.payload)

    @property
    def buttons(self) -> list[Button]:
        return [b for row in self.reply.buttons for b in row]


class ChatDriver:
    """Sends updates through the real engine and reads what it queued."""

    def __init__(self, engine: ConversationEngine, database: Database, channel: str = "telegram") -> None:
        self.engine = engine
        self.database = database
        self.channel = channel
        self.last_outcome: Outcome | None = None
        self._seen = 0

    def _outbox_after(self, after: int) -> list[Sent]:
        with self.database.session() as session:
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.id > after).order_by(OutboxMessage.id))
            return [Sent(r.id, r.kind, r.chat_id, dict(r.payload)) for r in rows]  # type: ignore[arg-type]

    def send(self, incoming: Incoming) -> list[Sent]:
        before = self._max_id()
        self.last_outcome = self.engine.process(incoming)
        out = self._outbox_after(before)
        return [s for s in out if s.kind in ("message", "edit")]

    def _max_id(self) -> int:
        rows = self._outbox_after(0)
        return rows[-1].id if rows else 0

    def _incoming(self, user: int | str, update_id: str | None, **fields: Any) -> Incoming:
        """An update from the person in their private chat (a new update id unless one is given)."""
        uid = str(user)
        update_id = update_id or f"u{next(_update_ids)}"
        return Incoming(channel=self.channel, update_id=update_id, user_id=uid, chat_id=uid, **fields)

    def say(self, user: int | str, text: str, name: str = "Người thử", update_id: str | None = None) -> list[Sent]:
        """The person writes `text`; returns the messages and edits the bot queued."""
        return self.send(self._incoming(user, update_id, display_name=name, text=text))

    def photo(self, user: int | str, file_id: str, caption: str | None = None) -> list[Sent]:
        """The person sends a photo; returns the messages and edits the bot queued."""
        return self.send(self._incoming(user, None, text=caption, photo_file_id=file_id))

    def document(
        self,
        user: int | str,
        file_name: str,
        content: bytes | None,
        *,
        size: int | None = None,
        problem: str | None = None,
        caption: str | None = None,
        update_id: str | None = None,
    ) -> list[Sent]:
        """The person sends a file as a document in their private chat, its bytes already fetched by the channel
        (None: not fetched, `problem` says why)."""
        document = IncomingFile(
            file_id=f"doc-{file_name}",
            file_name=file_name,
            size=len(content) if size is None and content is not None else size,
            content=content,
            problem=problem,
        )
        return self.send(self._incoming(user, update_id, text=caption, document=document))

    def press(self, user: int | str, message: Sent, label_part: str, update_id: str | None = None) -> list[Sent]:
        """Press the button whose label contains `label_part` on a message the bot sent."""
        matches = [b for b in message.buttons if label_part in b.label]
        assert matches, f"no button with {label_part!r} in {[b.label for b in message.buttons]}"
        button = matches[0]
        pressed = {"message_id": str(message.id), "message_text": message.text, "button_label": button.label}
        return self.send(self._incoming(user, update_id, payload=button.payload, callback_id=f"cb{user}", **pressed))

    def all_items(self) -> list[Sent]:
        return self._outbox_after(0)


def last_with_buttons(sent: list[Sent]) -> Sent:
    for item in reversed(sent):
        if item.buttons:
            return item
    raise AssertionError(f"no message with buttons in {[s.text for s in sent]}")
