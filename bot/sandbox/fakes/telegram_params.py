"""What the fake Telegram Bot API knows of Telegram's parameters and errors: limits, wording, how form fields
are read, and the checks of reply markup, parse modes and command scopes."""

from __future__ import annotations

import json
import re
from typing import Any

from ..formatting import EntityParseError, format_text
from .server import FakeApiError

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # Telegram: 10 MB photos, 50 MB other files
TYPING_SECONDS = 5.0  # a chat action shows for 5 s or until the next message

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
TEXT_BUTTONS_UNALLOWED = "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"

# Methods that count against the flood limit (rate_limit_per_second).
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)
# Methods that make a new message: what Telegram's limit of 20 messages a minute in one group counts.
NEW_MESSAGE_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "forwardMessage"}
)
# Update types Telegram sends only to a bot that names them in allowed_updates.
NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Parameters PTB sends JSON-encoded in form fields.
JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "scope",
        "commands",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "media",
    }
)
INT_PARAMS = frozenset(
    {
        "offset",
        "limit",
        "timeout",
        "message_id",
        "reply_to_message_id",
        "cache_time",
        "max_connections",
        "message_thread_id",
        "from_chat_id",
        "chat_id",
        "user_id",
    }
)
BOOL_PARAMS = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Real Bot API methods the fake accepts and records without modelling them.
ACCEPTED_NOOP_METHODS = frozenset(
    {
        "setMyDescription",
        "setMyShortDescription",
        "setMyName",
        "setChatMenuButton",
        "setMyDefaultAdministratorRights",
        "pinChatMessage",
        "unpinChatMessage",
        "unpinAllChatMessages",
        "logOut",
        "close",
    }
)
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BUTTON_URL_RE = re.compile(r"^(https?|tg)://\S+$")
_BROAD_SCOPES = ("default", "all_private_chats", "all_group_chats", "all_chat_administrators")


class BotApiError(FakeApiError):
    """An error answer of the Bot API: HTTP status = error_code, Telegram's description."""

    def __init__(self, error_code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        """Telegram's code and wording, and its ``parameters`` (``retry_after``) if any."""
        super().__init__(error_code, description)
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        body = super().payload()
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> BotApiError:
    """Telegram's 400 with its "Bad Request: " prefix."""
    return BotApiError(400, f"Bad Request: {detail}")


class UpdateId(int):
    """An update id that can also be awaited (``await fake.user_says(...)`` works, and is the same)."""

    def __await__(self):  # type: ignore[no-untyped-def]  # a generator returning int: no simple annotation
        """Return the id at once."""
        if False:  # pragma: no cover - makes this a generator
            yield None
        return int(self)


def coerce(key: str, value: str) -> Any:
    """A form field as the Bot API reads it: JSON, integer or boolean by the parameter's name."""
    if key in JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            if key == "reply_markup":
                raise bad_request("can't parse reply keyboard markup JSON object") from None
            raise bad_request(f"can't parse {key} JSON object") from None
    if key in INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            if key == "chat_id":
                return value  # @channelusername
            raise bad_request(f"invalid {key} specified") from None
    if key in BOOL_PARAMS:
        return value.lower() in ("true", "1")
    return value


def format_param(text: Any, params: dict[str, Any], entities_key: str) -> tuple[str, list[dict[str, Any]]]:
    """A text or caption with its parse_mode (or explicit entities) applied: plain text and entities."""
    parse_mode = params.get("parse_mode")
    if parse_mode and str(parse_mode).lower() not in ("html", "markdown", "markdownv2"):
        raise bad_request("unsupported parse_mode")
    try:
        return format_text(str(text), parse_mode, params.get(entities_key))
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None


def check_markup(markup: Any) -> dict[str, Any] | None:
    """The reply_markup of a call, checked as Telegram does; None when there is none."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return markup
    if "keyboard" in markup or "remove_keyboard" in markup or "force_reply" in markup:
        return markup
    raise bad_request('can\'t find field "inline_keyboard"')


def _check_inline_button(button: Any) -> None:
    """One inline button: a text and one action, callback data of 1–64 bytes, a URL that is one."""
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request(TEXT_BUTTONS_UNALLOWED)
    if not [k for k in button if k != "text"]:
        raise bad_request(TEXT_BUTTONS_UNALLOWED)
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not _BUTTON_URL_RE.match(str(button["url"])):
        raise bad_request("BUTTON_URL_INVALID")


def scope_key(scope: Any) -> tuple[Any, ...]:
    """The key a BotCommandScope's command list is stored under."""
    if scope is None or scope == "":
        return ("default",)
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = scope["type"]
    if kind in _BROAD_SCOPES:
        return (kind,)
    if kind in ("chat", "chat_administrators"):
        if scope.get("chat_id") is None:
            raise bad_request("chat_id is empty")
        return (kind, int(scope["chat_id"]))
    if kind == "chat_member":
        return (kind, int(scope["chat_id"]), int(scope["user_id"]))
    raise bad_request("wrong BotCommandScope type specified")


def clean_commands(commands: Any) -> list[dict[str, str]]:
    """The command list of setMyCommands, checked as Telegram does."""
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    cleaned = []
    for command in commands:
        name = str(command.get("command", "")) if isinstance(command, dict) else ""
        description = str(command.get("description", "")) if isinstance(command, dict) else ""
        if not COMMAND_RE.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned.append({"command": name, "description": description})
    return cleaned
