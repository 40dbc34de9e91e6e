"""The area pages: `/web/province/{code}`, `/web/commune/{code}`, `/web/village/{id}`, each with
`?month=YYYY-MM` or `?quarter=YYYY-Q` (the province page also `?filter=` and `?sort=`/`?order=`), each checking
the member's scope on the server before reading a figure. The signed-in member and the page's figures are read
in one database session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web
from sqlmodel import Session

from bot.i18n import Translator
from bot.webpages import area_html, programmes_html, province_html
from bot.webpages.base import PageBase, may_see_commune, may_see_province, may_see_village
from bot.webpages.flags_html import ProvinceSupervision, province_supervision
from bot.webpages.programmes_html import ProgrammesView
from bot.webpages.views import AreaView, area_view, province_rates, province_view, read_period
from storage.areas import get_commune
from storage.errors import DomainError
from storage.models import Member, Village
from storage.progress import ProvinceRollup, ReportingMonth
from storage.scope import Scope

BAD_PERIOD, FORBIDDEN, NOT_FOUND = 400, 403, 404
T = TypeVar("T")


class AreaPages(PageBase):
    """The province's, a commune's and a village's pages."""

    def _refused(self, tr: Translator, status: int) -> web.Response:
        """The page for a period that cannot be read, another area, or an unknown one."""
        if status == BAD_PERIOD:
            return self._bad_period(tr)
        return self._forbidden(tr) if status == FORBIDDEN else self._not_found(tr)

    async def _allowed_read(
        self, request: web.Request, work: Callable[[Session, Member], T | int]
    ) -> tuple[Member, Translator, T] | web.Response:
        """The signed-in member and what `work` read for them; the page refusing it when `work` answered a
        status (BAD_PERIOD, FORBIDDEN, NOT_FOUND) instead, or the sign-in page when not signed in."""
        signed = await self._signed_read(request, work)
        if isinstance(signed, web.Response):
            return signed
        member, tr, read = signed
        if isinstance(read, int):
            return self._refused(tr, read)
        return member, tr, read

    async def _area_page(
        self,
        request: web.Request,
        today: dt.date,
        work: Callable[[Session, Member], tuple[AreaView, ProgrammesView] | int],
    ) -> web.Response:
        """A commune's or a village's page, from what `work` read."""
        allowed = await self._allowed_read(request, work)
        if isinstance(allowed, web.Response):
            return allowed
        member, tr, (view, programmes) = allowed
        section = programmes_html.section(tr, programmes)
        return self._page(area_html.area_page(tr, member, view, today, section, self.form_token(request)))

    async def commune(self, request: web.Request) -> web.Response:
        """GET /web/commune/{code}: the commune's villages × weeks, indicators, report and downloads."""
        code = int(request.match_info["code"])
        today = self.today
        period = read_period(request.query.get("month"), request.query.get("quarter"), today)

        def work(session: Session, member: Member) -> tuple[AreaView, ProgrammesView] | int:
            if period is None:
                return BAD_PERIOD
            try:
                commune = get_commune(session, code)
            except DomainError:
                return NOT_FOUND
            if not may_see_commune(member, code, commune.province_code):
                return FORBIDDEN
            view = area_view(session, Scope.of(member), code, period, today, tz=self.config.tz)
            return view, programmes_html.commune_view(session, Scope.of(member), code, view.indicator_month)

        return await self._area_page(request, today, work)

    async def village(self, request: web.Request) -> web.Response:
        """GET /web/village/{id}: the village's weeks and totals."""
        village_id = int(request.match_info["id"])
        today = self.today
        period = read_period(request.query.get("month"), request.query.get("quarter"), today)

        def work(session: Session, member: Member) -> tuple[AreaView, ProgrammesView] | int:
            if period is None:
                return BAD_PERIOD
            village = session.get(Village, village_id)
            if village is None:
                return NOT_FOUND
            commune = get_commune(session, village.commune_code)
            if not may_see_village(member, village, commune.province_code):
                return FORBIDDEN
            session.expunge(village)
            scope, code = Scope.of(member), village.commune_code
            view = area_view(session, scope, code, period, today, village=village)
            return view, programmes_html.commune_view(session, scope, code, view.indicator_month, village_id)

        return await self._area_page(request, today, work)

    async def province(self, request: web.Request) -> web.Response:
        """GET /web/province/{code}: every commune of the province in a table sorted by the column asked for."""
        code = int(request.match_info["code"])
        today = self.today
        period = read_period(request.query.get("month"), request.query.get("quarter"), today)

        def work(
            session: Session, member: Member
        ) -> tuple[ProvinceRollup, list[ReportingMonth], ProgrammesView, ProvinceSupervision] | int:
            if not may_see_province(member, code):
                return FORBIDDEN
            if period is None:
                return BAD_PERIOD
            scope = Scope.of(member)
            rollup = province_view(session, scope, code, period)
            programmes = programmes_html.province_view(session, scope, code, rollup.period.start)
            watch = province_supervision(session, code, rollup, today, self.config.tz)
            return rollup, province_rates(session, scope, code, period, today), programmes, watch

        allowed = await self._allowed_read(request, work)
        if isinstance(allowed, web.Response):
            return allowed
        member, tr, read = allowed
        if period is None:  # refused in `work`: this keeps the type checker told
            return self._refused(tr, BAD_PERIOD)
        rollup, rates, programmes, watch = read
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
                self.form_token(request),
            )
        )
