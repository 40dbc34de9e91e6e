"""The report downloads below an area's page: `report.xlsx` and `report.csv` below a commune or a province
(`?month=`), the very files `/baocao` sends and `bdhvs report --format csv` writes."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from aiohttp import web
from sqlmodel import Session

from bot.i18n import Translator
from bot.reports.data import commune_report, file_name, province_report, to_csv
from bot.webpages.base import HEADERS, PageBase, may_see_commune, may_see_province
from bot.webpages.views import read_period
from handlers.report_files import commune_workbook, province_workbook
from storage.areas import get_commune
from storage.errors import DomainError
from storage.files import MIME_CSV, MIME_XLSX
from storage.periods import PERIOD_MONTH
from storage.scope import Scope


class Downloads(PageBase):
    """The monthly report of a commune or a province, as XLSX or CSV."""

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
