"""Reading Zalo updates into the channel-neutral `Incoming`.

* Updates carry `message.message_id` (a string); the engine dedupes on (zalo, message_id), so a webhook call
  Zalo sends again does nothing twice. An update without one gets a stable id derived from its content.
* In a group the bot only receives messages that mention it or reply to it: the mention is dropped from the
  text, so "@Bot 2" reads as "2".
* Stickers, voice and the like become an `Incoming` with neither text nor photo: the router answers that it
  reads text (and photos), so the person is not left without a word.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.channels import update_shape as shape
from bot.channels.update_shape import MalformedUpdate
from bot.messages import Incoming

CHANNEL = "zalo"

EVENT_TEXT = "message.text.received"
EVENT_IMAGE = "message.image.received"
EVENT_STICKER = "message.sticker.received"
EVENT_VOICE = "message.voice.received"
EVENT_UNSUPPORTED = "message.unsupported.received"


def unwrap(data: Any) -> dict[str, Any] | None:
    """The update object, whether bare or wrapped as `{"ok": true, "result": {...}}`."""
    if isinstance(data, dict) and "message" not in data and isinstance(data.get("result"), dict):
        data = data["result"]
    return data if isinstance(data, dict) and isinstance(data.get("message"), dict) else None


def _photo_url(message: dict[str, Any]) -> str | None:
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
    """The update's event, as Zalo names it, or guessed from the message when it is not named."""
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
            return stripped[len(mention) :].lstrip(" ,:")
    command = stripped.find(" /")
    if command > 0:
        return stripped[command + 1 :]  # "@<a name we do not know> /tuannay": the command is what counts
    return text


def to_incoming(data: Any, bot_names: tuple[str, ...] = ()) -> Incoming | None:
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
    name = (
        shape.text(sender, "display_name") or shape.text(sender, "first_name") or shape.text(sender, "name") or ""
    ).strip()
    message_id = shape.identifier(message, "message_id")
    if message_id is None:
        # No id: derive a stable one, so a redelivered copy is still recognised.
        digest = hashlib.sha256(json.dumps(update, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        message_id = "h" + digest[:32]
    event = _event_name(update, message)
    # Every field that may be read is checked, whatever the event says.
    written, caption, picture = shape.text(message, "text"), shape.text(message, "caption"), _photo_url(message)
    text: str | None = None
    photo: str | None = None
    if event == EVENT_TEXT:
        text = written
        if text is not None and chat_type == "group":
            text = strip_mention(text, bot_names)
        if text is not None and not text.strip():
            text = None
    elif event == EVENT_IMAGE:
        photo = picture
        text = caption if caption and caption.strip() else None
    # stickers, voice, anything else: neither text nor photo (see the module docstring)
    # Zalo delivers to the bot only group messages that mention it or reply to it: all are addressed to it.
    return Incoming(
        channel=CHANNEL,
        update_id=str(message_id),
        user_id=user_id,
        chat_id=chat_id,
        display_name=name,
        chat_type=chat_type,
        chat_title=shape.text(chat, "display_name") or shape.text(chat, "name") or "",
        text=text,
        photo_file_id=photo,
    )
