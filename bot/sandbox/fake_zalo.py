"""An in-process fake of the Zalo Bot Platform API, for the sandbox web chat and the tests.

The fake itself lives in bot/sandbox/fakes/: zalo.py (the user side), zalo_groups.py, zalo_methods.py, and the
parts it shares with the fake Telegram; this module names it for its users:
``from bot.sandbox.fake_zalo import FakeZalo``.
"""

from __future__ import annotations

from .fakes.zalo import FakeZalo
from .fakes.zalo_methods import MAX_TEXT_LENGTH, SECRET_HEADER, ZaloApiFault

__all__ = ["MAX_TEXT_LENGTH", "SECRET_HEADER", "FakeZalo", "ZaloApiFault"]
