"""An in-process fake of the Zalo Bot Platform API, for the sandbox web chat and the tests.

The fake itself lives in bot/sandbox/fakes/zalo.py (with the parts it shares with the fake Telegram);
this module names it for its users: ``from bot.sandbox.fake_zalo import FakeZalo``.
"""

from __future__ import annotations

from .fakes.zalo import MAX_TEXT_LENGTH, SECRET_HEADER, FakeZalo, ZaloApiFault

__all__ = ["MAX_TEXT_LENGTH", "SECRET_HEADER", "FakeZalo", "ZaloApiFault"]
