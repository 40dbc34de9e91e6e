"""An in-process fake of the Telegram Bot API, for the sandbox web chat, tests and benchmarks.

The fake itself lives in bot/sandbox/fakes/ (telegram.py and the parts it shares with the fake Zalo);
this module names it for its users: ``from bot.sandbox.fake_telegram import FakeTelegram``.
"""

from __future__ import annotations

from .fakes.files import StoredFile
from .fakes.telegram import FakeTelegram
from .fakes.telegram_params import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, BotApiError, UpdateId

__all__ = ["MAX_CAPTION_LENGTH", "MAX_TEXT_LENGTH", "BotApiError", "FakeTelegram", "StoredFile", "UpdateId"]
