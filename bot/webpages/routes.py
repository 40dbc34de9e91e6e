"""The leaders' pages on the bot's aiohttp server: signing in from the chat, the area pages and their downloads.

Addresses (a contract): `/web` (to one's own area), `/web/province/{code}`, `/web/commune/{code}`,
`/web/village/{id}`, each with `?month=YYYY-MM` or `?quarter=YYYY-Q` (the province page also `?filter=` and
`?sort=`/`?order=`); `report.xlsx` and `report.csv` below a commune or a province (`?month=`).
`/web/signin/{token}` is the one-time link `/web` gives in chat, `/web/miniapp` the Telegram Mini App's entry,
`/web/signout` ends the session.

Every page and download checks on the server who is asking (`may_see_*`): a commune's people their commune,
a team their village, a province viewer their province. Not signed in is 401, another area 403, an unknown
area 404: each a page that says so in words and shows no figure. The routes are by concern: `sign_in.py`,
`area_pages.py`, `downloads.py` and the spot checks' `spot_check.py`, on the helpers of `base.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiohttp import web

from bot.clock import Clock
from bot.settings import Config
from bot.webpages import html
from bot.webpages.area_pages import AreaPages
from bot.webpages.base import COOKIE, HEADERS, home_of, may_see_commune, may_see_province, may_see_village
from bot.webpages.downloads import Downloads
from bot.webpages.sign_in import SignInRoutes
from bot.webpages.spot_check import PhotoFetcher, SpotChecks
from storage.db import Database

__all__ = [
    "COOKIE",
    "HEADERS",
    "LeadersPages",
    "add_leaders_routes",
    "home_of",
    "may_see_commune",
    "may_see_province",
    "may_see_village",
]


class LeadersPages(SignInRoutes, AreaPages, Downloads):
    """The routes, with what they read: the database, the config (public URL, time zone) and the clock."""

    def register(self, app: web.Application) -> None:
        """Add the routes to the server's application."""
        r = app.router
        r.add_get(html.STYLE_PATH, self.style)
        r.add_get("/web", self.home)
        r.add_get("/web/signin/{token}", self.sign_in_form)
        r.add_post("/web/signin/{token}", self.sign_in)
        r.add_post("/web/signout", self.sign_out)
        r.add_get("/web/miniapp", self.mini_app_form)
        r.add_post("/web/miniapp", self.mini_app)
        r.add_get("/web/province/{code:\\d+}", self.province)
        r.add_get("/web/province/{code:\\d+}/report.{ext:xlsx|csv}", self.province_download)
        r.add_get("/web/commune/{code:\\d+}", self.commune)
        r.add_get("/web/commune/{code:\\d+}/report.{ext:xlsx|csv}", self.commune_download)
        r.add_get("/web/village/{id:\\d+}", self.village)
        SpotChecks(self, may_see_commune, COOKIE, self.fetch_photo).register(app)


def add_leaders_routes(
    app: web.Application,
    database: Database,
    config: Config,
    clock: Clock,
    telegram_tokens: Callable[[], Sequence[str]],
    fetch_photo: PhotoFetcher | None = None,
) -> None:
    """Serve the leaders' pages on `app`."""
    LeadersPages(database, config, clock, telegram_tokens, fetch_photo).register(app)
