"""CSRF tokens for the leaders' pages' forms, bound to the web session.

The token is an HMAC of a fixed label keyed by the session's cookie (random, HttpOnly, SameSite=Lax): a page
of the session can put it in its forms, another site cannot learn it, and it dies with the session. Every
POST that changes something checks it (`form_ok`); a form adds it with `hidden_field`.
"""

from __future__ import annotations

import hashlib
import hmac
from html import escape

FIELD = "csrf"
_LABEL = b"bdhvs-web-form"


def token_for(cookie: str) -> str:
    """The form token of the web session whose cookie this is."""
    return hmac.new(cookie.encode("utf-8"), _LABEL, hashlib.sha256).hexdigest()


def hidden_field(token: str) -> str:
    """The hidden input a POST form carries."""
    return f'<input type="hidden" name="{FIELD}" value="{escape(token)}">'


def form_ok(cookie: str | None, sent: object) -> bool:
    """Whether a posted form's token belongs to this session (none sent, or no session, is refused)."""
    if not cookie or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(token_for(cookie), sent)
