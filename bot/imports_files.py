"""Writing the invite lists sent out as a simple XLSX (a bold header row, then the rows).

openpyxl is loaded only when a file is written (it costs a second at the start of every engine process
otherwise).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from bot.i18n import Translator


class ListedInvite(NamedTuple):
    """One row of an invite list sent out: where, who (a team member's name, or none), the code and its link."""

    commune_code: int
    commune: str
    village: str
    name: str
    role: str  # the role's label, translated
    code: str
    link: str
    expires: dt.date | None  # the last day, local
    note: str


def write_sheet(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A one-sheet workbook: a bold header row, then the rows, columns wide enough to read."""
    from openpyxl import Workbook  # loaded only when a list is written
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(h) for h in headers]
    for row in rows:
        sheet.append(list(row))
        widths = [max(w, len(str(v or ""))) for w, v in zip(widths, row, strict=False)] + widths[len(row) :]
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def invite_list_xlsx(rows: Sequence[ListedInvite], tr: Translator, *, people: bool) -> bytes:
    """The invites to send out as a workbook: per person (village, name, role, link) or per commune."""
    _ = tr.gettext
    body: list[list[Any]]
    if people:
        headers = [_("Xã"), _("Thôn"), _("Họ tên"), _("Vai trò"), _("Mã mời"), _("Link"), _("Hạn dùng"), _("Ghi chú")]
        body = [
            [r.commune, r.village, r.name, r.role, r.code, r.link, tr.date(r.expires) if r.expires else "", r.note]
            for r in rows
        ]
        return write_sheet(_("Mã mời thành viên"), headers, body)
    headers = [_("Mã xã"), _("Tên xã"), _("Vai trò"), _("Mã mời"), _("Link"), _("Hạn dùng"), _("Ghi chú")]
    body = [
        [r.commune_code, r.commune, r.role, r.code, r.link, tr.date(r.expires) if r.expires else "", r.note]
        for r in rows
    ]
    return write_sheet(_("Mã mời các xã"), headers, body)
