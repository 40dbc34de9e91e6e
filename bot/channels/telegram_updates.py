"""Reading Telegram updates (the Bot API's JSON) into the channel-neutral `Incoming`.

Read straight from the JSON: building python-telegram-bot's `Update` objects for every update cost more than
the rest of receiving it. Every field read is checked (bot/channels/update_shape.py).

In a group (privacy mode on, as deployers leave it) Telegram sends the bot only commands, mentions of it and
replies to its messages; with privacy mode off it sends everything. Either way a group message is `addressed`
only when it is one of those three, and the command's `@bot` suffix or the leading mention is dropped from the
text so that handlers read «/ghibuoi» and «thôn 2 học VNeID 12 người» as in a private chat. `my_chat_member`
(the bot added or removed) and a group's migration to a supergroup come as group events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.channels import update_shape as shape
from bot.channels.update_shape import MalformedUpdate
from bot.messages import Incoming, IncomingFile

CHANNEL = "telegram"


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is on Telegram (getMe): to tell a mention of it or a reply to it in a group."""

    user_id: int | None = None
    username: str | None = None

    def is_me(self, user: dict[str, Any] | None) -> bool:
        """Whether a `from` of a message is this bot."""
        if user is None or user.get("is_bot") is not True:
            return False
        if self.user_id is not None:
            return user.get("id") == self.user_id
        return self.username is not None and str(user.get("username") or "").lower() == self.username.lower()


NOBODY = BotIdentity()
_JOINED = ("member", "administrator", "creator", "restricted")


def to_incoming(update: dict[str, Any], bot: BotIdentity = NOBODY) -> Incoming | None:
    """The channel-neutral form of a Telegram update (the Bot API's JSON); None for kinds the bot does not
    handle; `MalformedUpdate` when a field it reads has the wrong type (so no handler ever sees `"text": 5`)."""
    update_id = str(shape.integer(update, "update_id", required=True))
    query = shape.mapping(update, "callback_query")
    if query is not None:
        return _pressed(update_id, query)
    member_update = shape.mapping(update, "my_chat_member")
    if member_update is not None:
        return _membership(update_id, member_update)
    message = shape.mapping(update, "message")
    if message is None:
        return None  # edited messages, channel posts, ...: not requested, ignored if they come
    return _written(update_id, message, bot)


def _membership(update_id: str, change: dict[str, Any]) -> Incoming | None:
    """The bot added to a group or removed from it (my_chat_member); None for private chats (blocked, unblocked)."""
    chat = shape.mapping(change, "chat", required=True)
    if (shape.text(chat, "type") or "private") == "private":
        return None
    user = shape.mapping(change, "from", required=True)
    new = shape.mapping(change, "new_chat_member", required=True)
    status = shape.text(new, "status") or ""
    event = "bot_added" if status in _JOINED else "bot_removed"
    return Incoming(**_sender_fields(update_id, user, chat), group_event=event)


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


def _written(update_id: str, message: dict[str, Any], bot: BotIdentity) -> Incoming | None:
    """A message a person wrote: text, a photo (with its caption), a file sent as a document (a spreadsheet to
    import), a group's migration, or nothing the bot reads."""
    chat = shape.mapping(message, "chat", required=True)
    said_id = shape.integer(message, "message_id", required=True)
    user = shape.mapping(message, "from")
    if user is None:
        return None  # channel posts have no sender
    migration = _migration(message, chat)
    if migration is not None:
        old, new = migration
        fields = _sender_fields(update_id, user, chat)
        return Incoming(**{**fields, "chat_id": old}, group_event="migrated", migrated_to=new)
    photo_file_id = _photo_file_id(message)
    document = None if photo_file_id is not None else document_of(message)
    text = shape.text(message, "text")
    entities_key = "entities"
    if text is None:
        text, entities_key = shape.text(message, "caption"), "caption_entities"
    if text is None and photo_file_id is None and document is None:
        return None  # stickers, voice, locations, members joining, ...
    fields = _sender_fields(update_id, user, chat)
    if fields["chat_type"] != "group":
        return Incoming(**fields, text=text, photo_file_id=photo_file_id, document=document)
    text, addressed = _addressed(message, text, shape.objects(message, entities_key), bot)
    return Incoming(
        **fields, text=text, photo_file_id=photo_file_id, document=document, addressed=addressed, said_id=str(said_id)
    )


def document_of(message: dict[str, Any]) -> IncomingFile | None:
    """A file sent as a document that is not a picture (pictures are photos): its reference, name and size."""
    document = shape.mapping(message, "document")
    if document is None or (shape.text(document, "mime_type") or "").startswith("image/"):
        return None
    return IncomingFile(
        file_id=shape.text(document, "file_id", required=True) or "",
        file_name=(shape.text(document, "file_name") or "").replace("\x00", ""),
        size=shape.integer(document, "file_size"),
        mime_type=shape.text(document, "mime_type"),
    )


def _migration(message: dict[str, Any], chat: dict[str, Any]) -> tuple[str, str] | None:
    """(old chat id, new chat id) when this service message tells of a group becoming a supergroup."""
    to = shape.integer(message, "migrate_to_chat_id")
    if to is not None:
        return str(shape.integer(chat, "id", required=True)), str(to)
    came_from = shape.integer(message, "migrate_from_chat_id")
    if came_from is not None:
        return str(came_from), str(shape.integer(chat, "id", required=True))
    return None


def _addressed(
    message: dict[str, Any], text: str | None, entities: list[dict[str, Any]], bot: BotIdentity
) -> tuple[str | None, bool]:
    """A group message's text for the handlers and whether it is for the bot: a command (not another bot's), a
    mention of the bot (dropped from the text), or a reply to one of the bot's messages."""
    replied = shape.mapping(message, "reply_to_message")
    to_me = replied is not None and bot.is_me(shape.mapping(replied, "from"))
    if not text:
        return text, to_me
    stripped = text.lstrip()
    if stripped.startswith("/"):
        word, space, rest = stripped.partition(" ")
        command, at, addressee = word.partition("@")
        if at and (bot.username is None or addressee.lower() != bot.username.lower()):
            return text, False  # «/start@other_bot»: another bot's command
        return command + space + rest, True
    mention = _mention_of_me(text, entities, bot)
    if mention is not None:
        start, end = mention
        return (text[:start] + text[end:]).strip(" ,:"), True
    return text, to_me


def _mention_of_me(text: str, entities: list[dict[str, Any]], bot: BotIdentity) -> tuple[int, int] | None:
    """Where «@bot_username» is in the text (Python indices), from the message's mention entities or, when a client
    sent none, from the text itself."""
    if bot.username is None:
        return None
    wanted = "@" + bot.username.lower()
    utf16 = text.encode("utf-16-le")
    for entity in entities:
        if entity.get("type") != "mention":
            continue
        offset, length = shape.integer(entity, "offset") or 0, shape.integer(entity, "length") or 0
        found = utf16[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")
        if found.lower() == wanted:
            start = len(utf16[: offset * 2].decode("utf-16-le", errors="replace"))
            return start, start + len(found)
    index = text.lower().find(wanted)
    if index >= 0 and not text[index + len(wanted) : index + len(wanted) + 1].isalnum():
        return index, index + len(wanted)
    return None


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
        "chat_title": shape.text(chat, "title") or "",
    }


def _chat_type(kind: str) -> str:
    """Incoming's chat type: a private chat, or any kind of group (group, supergroup, channel)."""
    return "private" if kind == "private" else "group"
