"""The sandbox: a fake Telegram Bot API (``FakeTelegram``) and a web chat page to talk to the bot.

With no token configured, the app serves both in-process so a newcomer can chat with the real bot
in a browser; tests and benchmarks drive the real Telegram adapter through the same fake.
"""

from .fake_telegram import BotApiError, FakeTelegram, StoredFile, UpdateId

__all__ = ["BotApiError", "FakeTelegram", "StoredFile", "UpdateId"]
