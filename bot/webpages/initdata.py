"""Telegram Mini App sign-in: the `initData` a Web App receives, checked with the bot token as Telegram documents.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app: the data-check-string is every
received field but `hash`, sorted by key, as `key=value` joined by line feeds; the secret key is
HMAC-SHA256 of the bot token keyed with "WebAppData"; the data is Telegram's when HMAC-SHA256 of the
data-check-string under that secret equals `hash`. An `auth_date` older than `MAX_AGE` is refused too, so a
copied initData does not sign anyone in for ever.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl

MAX_AGE = dt.timedelta(hours=12)
CLOCK_SKEW = dt.timedelta(minutes=5)  # an auth_date this far ahead of our clock is still believed


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """The `hash` Telegram puts beside these fields (used by the tests and the sandbox to sign)."""
    check_string = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(secret, check_string.encode("utf-8"), hashlib.sha256).hexdigest()


def telegram_user_id(init_data: str, bot_token: str, now: dt.datetime, max_age: dt.timedelta = MAX_AGE) -> str | None:
    """The Telegram user id a Mini App's initData vouches for, or None when it is not Telegram's or too old."""
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a key given twice: which one was signed is not ours to guess
        return None
    received = fields.pop("hash", "")
    if not received or not hmac.compare_digest(sign_init_data(fields, bot_token), received):
        return None
    try:
        signed_at = dt.datetime.fromtimestamp(int(fields["auth_date"]), dt.UTC)
        user: Any = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, ValueError, TypeError, OverflowError):
        return None
    if not now - max_age <= signed_at <= now + CLOCK_SKEW:
        return None
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        return None
    return str(user_id)
