"""The leaders' pages on the bot's aiohttp server: signing in from the chat, the area pages and their downloads.

Addresses (a contract): `/web` (to one's own area), `/web/province/{code}`, `/web/commune/{code}`,
`/web/village/{id}`, each with `?month=YYYY-MM` or `?quarter=YYYY-Q` (the province page also `?filter=` and
`?sort=`/`?order=`); `report.xlsx` and `report.csv` below a commune or a province (`?month=`).
`/web/signin/{token}` is the one-time link `/web` gives in chat, `/web/miniapp` the Telegram Mini App's entry,
`/web/signout` ends the session.

Every page and download checks on the server who is asking (`may_see_*`): a commune's people their commune,
a team their village, a province viewer their province. Not signed in is 401, another area 403, an unknown
area 404: each a page that says so in words and shows no figure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from sqlmodel import Session

from bot.clock import Clock, local_today
from bot.i18n import Translator
from bot.reports.data import commune_report, file_name, province_report, to_csv
from bot.settings import Config
from bot.webpages import area_html, html, programmes_html, province_html
from bot.webpages.flags_html import ProvinceSupervision, province_supervision
from bot.webpages.guard import same_origin, set_session_cookie
from bot.webpages.initdata import telegram_user_id
from bot.webpages.programmes_html import ProgrammesView
from bot.webpages.spot_check import PhotoFetcher, SpotChecks
from bot.webpages.views import AreaView, area_view, province_rates, province_view, read_period
from handlers.report_files import commune_workbook, province_workbook
from storage.areas import get_commune
from storage.db import Database
from storage.errors import DomainError
from storage.files import MIME_CSV, MIME_XLSX
from storage.models import Member, Village
from storage.periods import PERIOD_MONTH
from storage.progress import ProvinceRollup, ReportingMonth
from storage.scope import Scope
from storage.vocab import COMMUNE_ROLES, ROLE_PROVINCE_VIEWER, VILLAGE_ROLES
from storage.web_access import (
    LINK_EXPIRED,
    LINK_USED,
    check_link,
    end_session,
    open_session,
    session_member,
    telegram_member,
    use_link,
)

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


class LeadersPages:
    """The routes, with what they read: the database, the config (public URL, time zone) and the clock."""

    def __init__(
        self,
        database: Database,
        config: Config,
        clock: Clock,
        telegram_token: Callable[[], str | None],
        fetch_photo: PhotoFetcher | None = None,
    ) -> None:
        self.fetch_photo = fetch_photo  # a session's evidence photo from its messenger (the spot checks show it)
        self.database = database
        self.config = config
        self.clock = clock
        self.telegram_token = telegram_token  # the bot token a Mini App's initData is signed with (None: no Telegram)
        self.secure = (config.public_url or "").startswith("https://")

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

    # -- helpers ------------------------------------------------------------------------------------

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

    # -- signing in and out -------------------------------------------------------------------------

    async def style(self, request: web.Request) -> web.Response:
        """The one stylesheet, served by the bot (no CDN: the pages work on a LAN with no internet)."""
        return web.Response(text=html.STYLE, content_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    def _link_refused(self, tr: Translator, problem: str) -> web.Response:
        _ = tr.gettext
        if problem == LINK_USED:
            why = _("Liên kết này đã được dùng. Mỗi liên kết chỉ mở được một lần.")
        elif problem == LINK_EXPIRED:
            why = _("Liên kết này đã hết hạn (chỉ dùng được trong 10 phút).")
        else:
            why = _("Liên kết này không đúng.")
        return self._message(
            tr,
            410 if problem in (LINK_USED, LINK_EXPIRED) else 404,
            _("Không mở được bảng theo dõi"),
            why,
            _("Bạn gõ /web trong chat với bot để nhận liên kết mới."),
        )

    async def sign_in_form(self, request: web.Request) -> web.Response:
        """GET /web/signin/{token}: a refused link is said at once; a good one asks for a press (a POST)."""
        token = request.match_info["token"]
        now = self.clock.now()
        check = await self._read(lambda session: check_link(session, token, now))
        tr = Translator(check.member.locale if check.member else "vi")
        if check.problem is not None:
            return self._link_refused(tr, check.problem)
        return self._posting_page(html.sign_in_page(tr, request.path))

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        """POST /web/signin/{token}: use the link (once) and open a 12-hour session, then go to /web."""
        if not self.same_origin(request):
            return self._cross_site()
        token = request.match_info["token"]
        now = self.clock.now()

        def work(session: Session) -> tuple[str | None, str | None, str]:
            check = use_link(session, token, now)
            locale = check.member.locale if check.member else "vi"
            if check.problem is not None or check.member is None:
                return None, check.problem, locale
            return open_session(session, check.member, now), None, locale

        cookie, problem, locale = await self._read(work, readonly=False)
        if cookie is None:
            return self._link_refused(Translator(locale), problem or "unknown")
        return self._with_cookie(self._to_home(), cookie)

    async def sign_out(self, request: web.Request) -> web.Response:
        """POST /web/signout: end the session and forget the cookie."""
        token = request.cookies.get(COOKIE)
        member = await self._member(request)
        if token:
            now = self.clock.now()
            await self._read(lambda session: end_session(session, token, now), readonly=False)
        tr = Translator(member.locale if member else "vi")
        _ = tr.gettext
        response = self._message(
            tr, 200, _("Bạn đã đăng xuất"), _("Muốn xem lại, bạn gõ /web trong chat với bot để nhận liên kết mới.")
        )
        response.del_cookie(COOKIE, path="/")
        return response

    async def mini_app_form(self, request: web.Request) -> web.Response:
        """GET /web/miniapp: the page Telegram opens as a Mini App; it posts the signed initData back."""
        return self._posting_page(html.mini_app_page(Translator()))

    async def mini_app(self, request: web.Request) -> web.StreamResponse:
        """POST /web/miniapp: initData checked with the bot token (and not older than 12 hours) opens a session."""
        if not self.same_origin(request):
            return self._cross_site()
        form = await request.post()
        init_data = form.get("init_data")
        bot_token = self.telegram_token()
        now = self.clock.now()
        user_id = telegram_user_id(init_data, bot_token, now) if isinstance(init_data, str) and bot_token else None

        def work(session: Session) -> str | None:
            member = telegram_member(session, user_id) if user_id else None
            return open_session(session, member, now) if member is not None else None

        cookie = await self._read(work, readonly=False) if user_id else None
        if cookie is None:
            tr = Translator()
            _ = tr.gettext
            return self._message(
                tr,
                403,
                _("Không mở được bảng theo dõi"),
                _("Telegram không xác nhận được bạn, hoặc tài khoản chưa tham gia. Bạn gõ /web trong chat với bot."),
            )
        return self._with_cookie(self._to_home(), cookie, mini_app=True)

    # -- pages --------------------------------------------------------------------------------------

    async def home(self, request: web.Request) -> web.StreamResponse:
        """GET /web: to the person's own area's page."""
        member = await self._member(request)
        if member is None:
            return self._not_signed_in()
        raise web.HTTPSeeOther(home_of(member), headers=HEADERS)

    async def _signed_in(self, request: web.Request) -> tuple[Member, Translator] | web.Response:
        member = await self._member(request)
        if member is None:
            return self._not_signed_in()
        return member, Translator(member.locale)

    async def commune(self, request: web.Request) -> web.Response:
        """GET /web/commune/{code}: the commune's villages × weeks, indicators, report and downloads."""
        signed = await self._signed_in(request)
        if isinstance(signed, web.Response):
            return signed
        member, tr = signed
        code = int(request.match_info["code"])
        today = self.today
        period = read_period(request.query.get("month"), request.query.get("quarter"), today)
        if period is None:
            return self._bad_period(tr)

        def work(session: Session) -> tuple[AreaView, ProgrammesView] | int:
            try:
                commune = get_commune(session, code)
            except DomainError:
                return 404
            if not may_see_commune(member, code, commune.province_code):
                return 403
            view = area_view(session, Scope.of(member), code, period, today, tz=self.config.tz)
            return view, programmes_html.commune_view(session, Scope.of(member), code, view.indicator_month)

        read = await self._read(work)
        if isinstance(read, int):
            return self._forbidden(tr) if read == 403 else self._not_found(tr)
        view, programmes = read
        return self._page(area_html.area_page(tr, member, view, today, programmes_html.section(tr, programmes)))

    async def village(self, request: web.Request) -> web.Response:
        """GET /web/village/{id}: the village's weeks and totals."""
        signed = await self._signed_in(request)
        if isinstance(signed, web.Response):
            return signed
        member, tr = signed
        village_id = int(request.match_info["id"])
        today = self.today
        period = read_period(request.query.get("month"), request.query.get("quarter"), today)
        if period is None:
            return self._bad_period(tr)

        def work(session: Session) -> tuple[AreaView, ProgrammesView] | int:
            village = session.get(Village, village_id)
            if village is None:
                return 404
            commune = get_commune(session, village.commune_code)
            if not may_see_village(member, village, commune.province_code):
                return 403
            session.expunge(village)
            scope, code = Scope.of(member), village.commune_code
            view = area_view(session, scope, code, period, today, village=village)
            return view, programmes_html.commune_view(session, scope, code, view.indicator_month, village_id)

        read = await self._read(work)
        if isinstance(read, int):
            return self._forbidden(tr) if read == 403 else self._not_found(tr)
        view, programmes = read
        return self._page(area_html.area_page(tr, member, view, today, programmes_html.section(tr, programmes)))

    async def province(self, request: web.Request) -> web.Response:
        """GET /web/province/{code}: every commune of the province in a table sorted by the column asked for."""
        signed = await self._signed_in(request)
        if isinstance(signed, web.Response):
            return signed
        member, tr = signed
        code = int(request.match_info["code"])
        if not may_see_province(member, code):
            return self._forbidden(tr)
        today = self.today
        period = read_period(request.query.get("month"), request.query.get("quarter"), today)
        if period is None:
            return self._bad_period(tr)

        def work(session: Session) -> tuple[ProvinceRollup, list[ReportingMonth], ProgrammesView, ProvinceSupervision]:
            scope = Scope.of(member)
            rollup = province_view(session, scope, code, period)
            programmes = programmes_html.province_view(session, scope, code, rollup.period.start)
            watch = province_supervision(session, code, period, today, self.config.tz)
            return rollup, province_rates(session, scope, code, period, today), programmes, watch

        rollup, rates, programmes, watch = await self._read(work)
        sort = request.query.get("sort", "name")
        descending = request.query.get("order", "asc" if sort == "name" else "desc") == "desc"
        chosen = request.query.get("filter", "all")
        return self._page(
            province_html.province_page(
                tr,
                member,
                rollup,
                period,
                today,
                sort,
                descending,
                chosen,
                rates,
                programmes_html.section(tr, programmes),
                watch.html(tr, rollup, period),
            )
        )

    # -- downloads ----------------------------------------------------------------------------------

    def _file(self, data: dict[str, Any], ext: str, tr: Translator) -> web.Response:
        """The report as XLSX (the form `/baocao` sends) or CSV (as `bdhvs report --format csv`)."""
        if ext == "csv":
            body, mime = to_csv(data).encode("utf-8"), MIME_CSV
        elif data["kind"] == "commune":
            body, mime = commune_workbook(data, tr, self.today), MIME_XLSX
        else:
            body, mime = province_workbook(data, tr, self.today), MIME_XLSX
        headers = {**HEADERS, "Content-Disposition": f"attachment; filename={file_name(data, ext)}"}
        return web.Response(body=body, content_type=mime, headers=headers)

    def _month(self, request: web.Request) -> dt.date | None:
        """The month a download asks for (this month when none is named); a report is monthly, so a quarter is
        refused."""
        if "quarter" in request.query:
            return None
        period = read_period(request.query.get("month"), None, self.today)
        return period.start if period is not None and period.kind == PERIOD_MONTH else None

    async def commune_download(self, request: web.Request) -> web.Response:
        """GET /web/commune/{code}/report.xlsx|csv?month=: the commune's monthly report, as in chat and CLI."""
        signed = await self._signed_in(request)
        if isinstance(signed, web.Response):
            return signed
        member, tr = signed
        code = int(request.match_info["code"])
        month = self._month(request)
        if month is None:
            return self._bad_period(tr)
        today, now, tz = self.today, self.clock.now(), self.config.tz

        def work(session: Session) -> dict[str, Any] | int:
            try:
                commune = get_commune(session, code)
            except DomainError:
                return 404
            if not may_see_commune(member, code, commune.province_code):
                return 403
            return commune_report(session, Scope.of(member), code, month, today=today, tz=tz, now=now)

        data = await self._read(work)
        if isinstance(data, int):
            return self._forbidden(tr) if data == 403 else self._not_found(tr)
        return await asyncio.to_thread(self._file, data, request.match_info["ext"], tr)

    async def province_download(self, request: web.Request) -> web.Response:
        """GET /web/province/{code}/report.xlsx|csv?month=: the province's consolidated monthly report."""
        signed = await self._signed_in(request)
        if isinstance(signed, web.Response):
            return signed
        member, tr = signed
        code = int(request.match_info["code"])
        if not may_see_province(member, code):
            return self._forbidden(tr)
        month = self._month(request)
        if month is None:
            return self._bad_period(tr)
        now, tz = self.clock.now(), self.config.tz
        data = await self._read(lambda session: province_report(session, Scope.of(member), code, month, tz=tz, now=now))
        return await asyncio.to_thread(self._file, data, request.match_info["ext"], tr)


def add_leaders_routes(
    app: web.Application,
    database: Database,
    config: Config,
    clock: Clock,
    telegram_token: Callable[[], str | None],
    fetch_photo: PhotoFetcher | None = None,
) -> None:
    """Serve the leaders' pages on `app`."""
    LeadersPages(database, config, clock, telegram_token, fetch_photo).register(app)
