"""The area pages: `/web/province/{code}`, `/web/commune/{code}`, `/web/village/{id}`, each with
`?month=YYYY-MM` or `?quarter=YYYY-Q` (the province page also `?filter=` and `?sort=`/`?order=`), each checking
the member's scope on the server before reading a figure."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session

from bot.webpages import area_html, programmes_html, province_html
from bot.webpages.base import PageBase, may_see_commune, may_see_province, may_see_village
from bot.webpages.flags_html import ProvinceSupervision, province_supervision
from bot.webpages.programmes_html import ProgrammesView
from bot.webpages.views import AreaView, area_view, province_rates, province_view, read_period
from storage.areas import get_commune
from storage.errors import DomainError
from storage.models import Village
from storage.progress import ProvinceRollup, ReportingMonth
from storage.scope import Scope


class AreaPages(PageBase):
    """The province's, a commune's and a village's pages."""

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
        section = programmes_html.section(tr, programmes)
        return self._page(area_html.area_page(tr, member, view, today, section, self.form_token(request)))

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
        section = programmes_html.section(tr, programmes)
        return self._page(area_html.area_page(tr, member, view, today, section, self.form_token(request)))

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
            watch = province_supervision(session, code, rollup, today, self.config.tz)
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
                self.form_token(request),
            )
        )
