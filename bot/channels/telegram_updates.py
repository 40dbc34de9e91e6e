"""Reading Telegram updates (the Bot API's JSON) into the channel-neutral `Incoming`.

Read straight from the JSON: building python-telegram-bot's `Update` objects for every update cost more than
the rest of receiving it. Every field read is checked (bot/channels/update_shape.py).
"""

from __future__ import annotations

from typing import Any

from bot.channels import update_shape as shape
from bot.channels.update_shape import MalformedUpdate
from bot.messages import Incoming

CHANNEL = "telegram"


def to_incoming(update: dict[str, Any]) -> Incoming | None:
    """The channel-neutral form of a Telegram update (the Bot API's JSON); None for kinds the bot does not
    handle; `MalformedUpdate` when a field it reads has the wrong type (so no handler ever sees `"text": 5`)."""
    update_id = str(shape.integer(update, "update_id", required=True))
    query = shape.mapping(update, "callback_query")
    if query is not None:
        return _pressed(update_id, query)
    message = shape.mapping(update, "message")
    if message is None:
        return None  # edited messages, channel posts, ...: not requested, ignored if they come
    return _written(update_id, message)


def _pressed(update_id: str, query: dict[str, Any]) -> Incoming | None:
    """A button press (callback query) on one of our messages."""
    callback_id = shape.identifier(query, "id", required=True)
    user = shape.mapping(query, "from", required=True)
    data = shape.text(query, "data")
    message = shape.mapping(query, "message")
    if data is None or message is None:
        return None  # game buttons, inline-mode messages: not ours
    chat = shape.mapping(message, "chat", required=True)
    message_id = shape.integer(message, "message_id", required=True)
    text = shape.text(message, "text")
    if text is None:
        text = shape.text(message, "caption")
    return Incoming(
        **_sender_fields(update_id, user, chat),
        payload=data,
        callback_id=callback_id,
        message_id=str(message_id),
        message_text=text,
        button_label=_button_label(message, data),
    )


def _button_label(message: dict[str, Any], data: str) -> str | None:
    """The label of the pressed button, read from the message's inline keyboard."""
    markup = shape.mapping(message, "reply_markup")
    rows = markup.get("inline_keyboard") if markup is not None else None
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise MalformedUpdate("inline_keyboard must be an array of arrays")
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise MalformedUpdate("an inline keyboard button must be an object")
            if button.get("callback_data") == data:
                return shape.text(button, "text")
    return None


def _written(update_id: str, message: dict[str, Any]) -> Incoming | None:
    """A message a person wrote: text, a photo (with its caption), or nothing the bot reads."""
    chat = shape.mapping(message, "chat", required=True)
    shape.integer(message, "message_id", required=True)
    user = shape.mapping(message, "from")
    if user is None:
        return None  # channel posts have no sender
    photo_file_id = _photo_file_id(message)
    text = shape.text(message, "text")
    if text is None:
        text = shape.text(message, "caption")
    if text is None and photo_file_id is None:
        return None  # stickers, voice, locations, members joining, ...
    return Incoming(
        **_sender_fields(update_id, user, chat),
        text=text,
        photo_file_id=photo_file_id,
    )


def _photo_file_id(message: dict[str, Any]) -> str | None:
    """The largest size of a photo, or a picture sent "as a file"; None when the message has neither."""
    sizes = shape.objects(message, "photo")
    if sizes:
        largest = max(sizes, key=_photo_area)
        return shape.text(largest, "file_id", required=True)
    document = shape.mapping(message, "document")
    if document is not None and (shape.text(document, "mime_type") or "").startswith("image/"):
        return shape.text(document, "file_id", required=True)
    return None


def _photo_area(size: dict[str, Any]) -> tuple[int, int]:
    """How a photo size ranks: by pixels, then by bytes."""
    width, height = shape.integer(size, "width") or 0, shape.integer(size, "height") or 0
    return width * height, shape.integer(size, "file_size") or 0


def _sender_fields(update_id: str, user: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
    """Who wrote, in which chat: the fields every Incoming from Telegram has (ids are whole numbers)."""
    names = (shape.text(user, "first_name"), shape.text(user, "last_name"))
    return {
        "channel": CHANNEL,
        "update_id": update_id,
        "user_id": str(shape.integer(user, "id", required=True)),
        "chat_id": str(shape.integer(chat, "id", required=True)),
        "display_name": " ".join(part for part in names if part),
        "language_code": shape.text(user, "language_code"),
        "chat_type": _chat_type(shape.text(chat, "type") or ""),
    }


def _chat_type(kind: str) -> str:
    """Incoming's chat type: a private chat, or any kind of group (group, supergroup, channel)."""
    return "private" if kind == "private" else "group"
