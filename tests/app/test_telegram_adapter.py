"""The Telegram adapter's pure parts: updates to Incoming, long texts to parts, errors to the sender's errors."""

from __future__ import annotations

import telegram.error as tg_error

from bot.channels.base import PermanentError, RetryAfter, TransientError, Unreachable
from bot.channels.telegram import keyboard, keyboard_json, map_error, split_text, to_incoming, utf16_len

USER = {"id": 42, "is_bot": False, "first_name": "Văn", "last_name": "Hùng", "language_code": "vi"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Văn"}


def update(data: dict) -> dict:
    """An update as the Bot API sends it (JSON), which is what the adapter reads."""
    return data


def test_text_message() -> None:
    incoming = to_incoming(
        update(
            {"update_id": 7, "message": {"message_id": 1, "date": 0, "chat": PRIVATE, "from": USER, "text": "/ghibuoi"}}
        )
    )
    assert incoming is not None
    assert (incoming.channel, incoming.update_id, incoming.user_id, incoming.chat_id) == ("telegram", "7", "42", "42")
    assert incoming.text == "/ghibuoi" and incoming.display_name == "Văn Hùng"
    assert incoming.language_code == "vi" and incoming.chat_type == "private" and incoming.payload is None


def test_photo_takes_the_largest_size_and_the_caption() -> None:
    sizes = [
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 60},
        {"file_id": "big", "file_unique_id": "b", "width": 1280, "height": 853},
        {"file_id": "mid", "file_unique_id": "m", "width": 320, "height": 213},
    ]
    incoming = to_incoming(
        update(
            {
                "update_id": 8,
                "message": {
                    "message_id": 2,
                    "date": 0,
                    "chat": {"id": -1001, "type": "supergroup", "title": "Tổ"},
                    "from": USER,
                    "photo": sizes,
                    "caption": "buổi tối nay",
                },
            }
        )
    )
    assert incoming is not None
    assert incoming.photo_file_id == "big" and incoming.text == "buổi tối nay"
    assert incoming.chat_type == "group" and incoming.chat_id == "-1001"


def test_callback_query_carries_the_pressed_message() -> None:
    incoming = to_incoming(
        update(
            {
                "update_id": 9,
                "callback_query": {
                    "id": "cbq1",
                    "from": USER,
                    "chat_instance": "1",
                    "data": "log:ab12:ok",
                    "message": {
                        "message_id": 55,
                        "date": 0,
                        "chat": PRIVATE,
                        "text": "Lưu buổi này?",
                        "from": {"id": 123456, "is_bot": True, "first_name": "Bot"},
                        "reply_markup": {
                            "inline_keyboard": [
                                [
                                    {"text": "✅ Lưu", "callback_data": "log:ab12:ok"},
                                    {"text": "✖ Huỷ", "callback_data": "log:ab12:cancel"},
                                ]
                            ]
                        },
                    },
                },
            }
        )
    )
    assert incoming is not None
    assert incoming.payload == "log:ab12:ok" and incoming.callback_id == "cbq1"
    assert incoming.message_id == "55" and incoming.message_text == "Lưu buổi này?"
    assert incoming.button_label == "✅ Lưu" and incoming.chat_id == "42" and incoming.text is None


def test_other_updates_are_ignored() -> None:
    sticker = {
        "file_id": "st",
        "file_unique_id": "u",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    assert (
        to_incoming(
            update(
                {
                    "update_id": 10,
                    "message": {"message_id": 3, "date": 0, "chat": PRIVATE, "from": USER, "sticker": sticker},
                }
            )
        )
        is None
    )
    assert (
        to_incoming(
            update(
                {
                    "update_id": 11,
                    "edited_message": {
                        "message_id": 3,
                        "date": 0,
                        "edit_date": 1,
                        "chat": PRIVATE,
                        "from": USER,
                        "text": "sửa",
                    },
                }
            )
        )
        is None
    )
    assert (
        to_incoming(
            update(
                {
                    "update_id": 12,
                    "callback_query": {
                        "id": "x",
                        "from": USER,
                        "chat_instance": "1",
                        "inline_message_id": "abc",
                        "data": "d",
                    },
                }
            )
        )
        is None
    )


def test_split_text() -> None:
    assert split_text("ngắn") == ["ngắn"]
    text = "\n".join(f"dòng {i}: " + "ơ" * 90 for i in range(200))
    parts = split_text(text)
    assert len(parts) > 1 and all(utf16_len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text
    one_line = " ".join(["từ"] * 3000)  # no line break at all: cut at spaces
    parts = split_text(one_line)
    assert all(utf16_len(p) <= 4096 for p in parts) and " ".join(parts) == one_line
    emoji = "😀" * 3000  # two UTF-16 units each
    assert all(utf16_len(p) <= 4096 for p in split_text(emoji)) and "".join(split_text(emoji)) == emoji


def test_error_mapping() -> None:
    retry = map_error(tg_error.RetryAfter(3))
    assert isinstance(retry, RetryAfter) and retry.seconds == 3
    assert isinstance(map_error(tg_error.Forbidden("Forbidden: bot was blocked by the user")), Unreachable)
    assert isinstance(map_error(tg_error.BadRequest("Bad Request: chat not found")), PermanentError)
    assert isinstance(map_error(tg_error.TimedOut()), TransientError)
    assert isinstance(map_error(tg_error.NetworkError("Bad Gateway (502)")), TransientError)


def test_the_json_keyboard_is_what_python_telegram_bot_would_send() -> None:
    rows = [
        [{"label": "Hôm nay", "payload": "log:ab12:date:today"}, {"label": "Hôm qua", "payload": "log:ab12:date:y"}],
        [],
        [{"label": "❌ Huỷ", "payload": "log:ab12:cancel"}],
    ]
    markup = keyboard(rows)
    assert markup is not None and keyboard_json(rows) == markup.to_dict()
    assert keyboard_json([]) is None and keyboard_json(None) is None
