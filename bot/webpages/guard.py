"""What guards a sign-in: the session cookie's attributes and the origin check of a sign-in POST.

Two decisions, written here because they are easy to undo by accident:
- **Login CSRF.** The one-time token in `/web/signin/{token}` (or the signed initData of a Mini App) already
  binds a sign-in to one person, so a POST forged by another site can only sign the victim in as the attacker,
  to the attacker's own area. It is refused all the same: a browser says where a POST comes from
  (`Sec-Fetch-Site`, and `Origin`), and our sign-in pages post to themselves (their referrer policy is
  same-origin, because under no-referrer a browser sends `Origin: null`). A request carrying neither header (an
  old browser, a script) is let through: no other site can drive it.
- **The Mini App's cookie.** Telegram Web and desktop open a Mini App in an iframe of Telegram's site, where a
  `SameSite=Lax` cookie is neither stored nor sent. A session opened from the Mini App over https is therefore
  `SameSite=None; Secure; Partitioned`: the browser keeps it under the top-level site that framed the page
  (Telegram's), so it is not sent when any other site frames or posts to these pages. A session opened by a
  link stays `SameSite=Lax`. Over plain http (a LAN) Telegram opens no Mini App, and every cookie is Lax.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from storage.web_access import SESSION_HOURS

SAME_SITE_FETCHES = ("same-origin", "none")  # `none`: typed or opened from outside a page (a bookmark)


def set_session_cookie(response: web.StreamResponse, name: str, token: str, *, secure: bool, mini_app: bool) -> None:
    """The session cookie: HttpOnly, 12 hours, Secure over https; Lax, or None and partitioned for a Mini App
    over https (see the module's docstring)."""
    max_age = SESSION_HOURS * 3600
    if mini_app and secure:
        # Written by hand: Python's cookie module before 3.14 knows no `Partitioned` (the token is URL-safe).
        response.headers.add(
            "Set-Cookie", f"{name}={token}; HttpOnly; Max-Age={max_age}; Path=/; SameSite=None; Secure; Partitioned"
        )
        return
    response.set_cookie(name, token, max_age=max_age, path="/", httponly=True, secure=secure, samesite="Lax")


def own_origins(request: web.Request, public_url: str | None) -> set[str]:
    """The origins our own pages have: the address the request reached, and the public URL's (behind a proxy)."""
    origins = {f"{request.scheme}://{request.host}"}
    if public_url:
        parts = urlsplit(public_url)
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins


def same_origin(request: web.Request, public_url: str | None) -> bool:
    """Whether a sign-in POST comes from one of our own pages (or from no page a browser can name)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in SAME_SITE_FETCHES:
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin in own_origins(request, public_url)
