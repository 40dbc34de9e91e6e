"""What every route of the leaders' pages shares: the session cookie, who may see which area, and the helpers
(one database session on a thread, the pages that refuse in words, the signed-in member).

Every page and download checks on the server who is asking (`may_see_*`): a commune's people their commune,
a team their village, a province viewer their province. Not signed in is 401, another area 403, an unknown
area 404: each a page that says so in words and shows no figure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from typing import TypeVar

from aiohttp import web
from sqlmodel import Session

from bot.clock import Clock, local_today
from bot.i18n import Translator
from bot.settings import Config
from bot.webpages import csrf, html
from bot.webpages.guard import same_origin, set_session_cookie
from bot.webpages.spot_check import PhotoFetcher
from storage.db import Database
from storage.models import Member, Village
from storage.vocab import COMMUNE_ROLES, ROLE_PROVINCE_VIEWER, VILLAGE_ROLES
from storage.web_access import session_member

COOKIE = "bdhvs_web"
HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a sign-in address must not travel to another site
}
T = TypeVar("T")


def may_see_province(member: Member, province_code: int) -> bool:
    """Only a province's viewer sees the province as a whole."""
    return member.role == ROLE_PROVINCE_VIEWER and member.province_code == province_code


def may_see_commune(member: Member, commune_code: int, province_code: int) -> bool:
    """A commune's admin and leader their commune; a province viewer any commune of their province."""
    if member.role in COMMUNE_ROLES:
        return member.commune_code == commune_code
    return may_see_province(member, province_code)


def may_see_village(member: Member, village: Village, province_code: int) -> bool:
    """A team their own village; whoever sees the commune, each of its villages."""
    if member.role in VILLAGE_ROLES:
        return member.village_id == village.id
    return may_see_commune(member, village.commune_code, province_code)


def home_of(member: Member) -> str:
    """The page a person's role opens on."""
    if member.role == ROLE_PROVINCE_VIEWER:
        return f"/web/province/{member.province_code}"
    if member.role in VILLAGE_ROLES and member.village_id is not None:
        return f"/web/village/{member.village_id}"
    return f"/web/commune/{member.commune_code}"


class PageBase:
    """What the routes read (the database, the config: public URL, time zone; the clock) and their helpers."""

    def __init__(
        self,
        database: Database,
        config: Config,
        clock: Clock,
        telegram_tokens: Callable[[], Sequence[str]],
        fetch_photo: PhotoFetcher | None = None,
    ) -> None:
        self.fetch_photo = fetch_photo  # a session's evidence photo from its messenger (the spot checks show it)
        self.database = database
        self.config = config
        self.clock = clock
        # The bot tokens a Mini App's initData may be signed with (every Telegram bot's; none: no Telegram).
        self.telegram_tokens = telegram_tokens
        self.secure = (config.public_url or "").startswith("https://")

    async def _read(self, work: Callable[[Session], T], readonly: bool = True) -> T:
        """Run `work` in one database session on a thread (the event loop never waits on the database)."""

        def run() -> T:
            with self.database.session(readonly=readonly) as session:
                return work(session)

        return await asyncio.to_thread(run)

    @property
    def today(self) -> dt.date:
        return local_today(self.clock, self.config.tz)

    def now(self) -> dt.datetime:
        """The clock's time (UTC)."""
        return self.clock.now()

    @staticmethod
    def _page(text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html", charset="utf-8", headers=HEADERS)

    def _posting_page(self, text: str) -> web.Response:
        """A sign-in page that posts to itself: its referrer policy is same-origin, because under no-referrer a
        browser sends `Origin: null` with the POST and `same_origin` could not tell it from a forged one (the
        address still travels to no other site)."""
        response = self._page(text)
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def _message(self, tr: Translator, status: int, title: str, *lines: str) -> web.Response:
        return self._page(html.message_page(tr, title, lines), status)

    def _not_signed_in(self) -> web.Response:
        tr = Translator()
        _ = tr.gettext
        return self._message(
            tr,
            401,
            _("Bạn chưa đăng nhập"),
            _("Để xem bảng theo dõi, bạn gõ /web trong chat với bot: bot gửi một liên kết đăng nhập, dùng một lần."),
        )

    def _forbidden(self, tr: Translator) -> web.Response:
        _ = tr.gettext
        return self._message(
            tr, 403, _("Không xem được trang này"), _("Trang này thuộc địa bàn khác, ngoài phạm vi của bạn.")
        )

    def _not_found(self, tr: Translator) -> web.Response:
        _ = tr.gettext
        return self._message(tr, 404, _("Không có trang này"), _("Địa bàn này không có trong danh sách."))

    def _bad_period(self, tr: Translator) -> web.Response:
        _ = tr.gettext
        return self._message(
            tr, 400, _("Kỳ không hợp lệ"), _("Kỳ viết dạng month=2026-11 (tháng) hoặc quarter=2026-4 (quý).")
        )

    async def _member(self, request: web.Request) -> Member | None:
        """The signed-in member of this request (its cookie), or None."""
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        now = self.clock.now()

        def load(session: Session) -> Member | None:
            member = session_member(session, token, now)
            if member is not None:
                session.expunge(member)
            return member

        return await self._read(load)

    @staticmethod
    def _to_home() -> web.Response:
        """303 to /web (which sends the person on to their area)."""
        return web.Response(status=303, headers={**HEADERS, "Location": "/web"})

    def _with_cookie(self, response: web.StreamResponse, token: str, mini_app: bool = False) -> web.StreamResponse:
        set_session_cookie(response, COOKIE, token, secure=self.secure, mini_app=mini_app)
        return response

    def same_origin(self, request: web.Request) -> bool:
        return same_origin(request, self.config.public_url)

    def _cross_site(self) -> web.Response:
        tr = Translator()
        _ = tr.gettext
        return self._message(
            tr,
            403,
            _("Không mở được bảng theo dõi"),
            _("Yêu cầu đăng nhập này không đến từ trang của bot."),
            _("Bạn gõ /web trong chat với bot để nhận liên kết mới."),
        )

    @staticmethod
    def form_token(request: web.Request) -> str:
        """The CSRF token of the request's web session, for the forms of the page it is shown (csrf.py)."""
        return csrf.token_for(request.cookies.get(COOKIE, ""))

    async def _signed_read(
        self, request: web.Request, work: Callable[[Session, Member], T]
    ) -> tuple[Member, Translator, T] | web.Response:
        """The signed-in member of this request and what `work` reads for them, in one database session on one
        thread (a page's figures, with no second round trip for the cookie); a 401 page when not signed in."""
        token = request.cookies.get(COOKIE)
        if not token:
            return self._not_signed_in()
        now = self.clock.now()

        def run(session: Session) -> tuple[Member, T] | None:
            member = session_member(session, token, now)
            if member is None:
                return None
            result = work(session, member)
            session.expunge(member)
            return member, result

        read = await self._read(run)
        if read is None:
            return self._not_signed_in()
        member, result = read
        return member, Translator(member.locale), result

    async def _signed_in(self, request: web.Request) -> tuple[Member, Translator] | web.Response:
        member = await self._member(request)
        if member is None:
            return self._not_signed_in()
        return member, Translator(member.locale)
