"""Reading the spreadsheets communes send (XLSX or CSV) into rows of text, and writing a simple XLSX list.

Reading never guesses: a file that is neither XLSX nor CSV, a CSV that is not UTF-8 (or UTF-16 with its mark),
or a workbook that cannot be opened is refused with a reason (`UnreadableFile.code`). Cells become text as
shown (a whole number without «.0»); the first row that is not empty is the header, and every row keeps its
number in the file, so a problem is reported where the person sees it. openpyxl is loaded only when a file is
read or written (it costs a second at the start of every engine process otherwise).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from bot.i18n import Translator
from bot.settings import Config
from storage import imports
from storage.imports import MemberRow, RowProblem
from storage.sheets import Sheet
from storage.vocab import N_, ROLES

MAX_FILE_BYTES = 5 * 1024 * 1024  # a commune's list is a few hundred kilobytes at most
XLSX_TYPES = (".xlsx", ".xlsm")
CSV_TYPES = (".csv", ".txt")


# Why a file could not be read, translated where it is shown.
FILE_PROBLEMS: dict[str, str] = {
    "file_kind": N_("Bot chỉ đọc được tệp Excel (.xlsx) hoặc CSV (.csv)."),
    "file_too_big": N_("Tệp lớn quá (tối đa 5 MB). Bạn chia nhỏ tệp giúp nhé."),
    "file_unreadable": N_("Bot không mở được tệp này. Bạn lưu lại thành .xlsx (hoặc .csv) rồi gửi lại nhé."),
    "file_encoding": N_("Tệp CSV này không ở dạng UTF-8. Bạn lưu lại với «CSV UTF-8» rồi gửi lại nhé."),
}


# The note of a person's row in the list sent out.
NOTES = {
    imports.NEW: "",
    imports.RENEWED: N_("mã mới (mã trước đã hết hạn hoặc bị thu hồi)"),
    imports.UNCHANGED: N_("mã đã làm lần trước, vẫn dùng được"),
    imports.JOINED: N_("đã tham gia"),
}


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


class UnreadableFile(ValueError):
    """The file cannot be read as a spreadsheet: `code` says why (file_kind, file_too_big, file_unreadable,
    file_encoding)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def problem_text(problem: RowProblem, tr: Translator) -> str:
    """A row's problem as a sentence in the reader's language; a limit is a number in the reader's format
    («2.000» in Vietnamese)."""
    value = problem.value
    if problem.code == "too_many_rows" and value.isdigit():
        value = tr.number(int(value))
    return tr.gettext(imports.PROBLEMS[problem.code]).format(value=value)


def is_spreadsheet_name(filename: str) -> bool:
    """Whether a file's name says XLSX or CSV."""
    return filename.lower().endswith(XLSX_TYPES + CSV_TYPES)


def read_sheet(data: bytes, filename: str) -> Sheet:
    """The file's first sheet as a header and numbered rows of text."""
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile("file_too_big")
    name = filename.lower()
    rows: Sequence[Sequence[Any]]
    if name.endswith(XLSX_TYPES):
        rows = _xlsx_rows(data)
    elif name.endswith(CSV_TYPES):
        rows = _csv_rows(data)
    else:
        raise UnreadableFile("file_kind")
    numbered = [(number, [_text(cell) for cell in row]) for number, row in enumerate(rows, start=1)]
    numbered = [(number, cells) for number, cells in numbered if any(cells)]
    if not numbered:
        return Sheet(headers=[], rows=[])
    (_, headers), *body = numbered
    width = len(headers)
    return Sheet(
        headers=headers, rows=[(number, (cells + [""] * width)[: max(width, len(cells))]) for number, cells in body]
    )


def _xlsx_rows(data: bytes) -> list[tuple[Any, ...]]:
    import openpyxl  # loaded only when a workbook is read

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # a damaged or disguised file: openpyxl raises many kinds
        raise UnreadableFile("file_unreadable") from error
    try:
        sheet = workbook.worksheets[0]
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> list[list[str]]:
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise UnreadableFile("file_encoding") from error
    # The separator is the one the header line uses most (Excel writes «;» where «,» is the decimal mark).
    header = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=header.count)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _text(cell: Any) -> str:
    """A cell as a person reads it: 18196.0 is «18196», a date is dd/mm/yyyy, nothing is «»."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime | dt.date):
        return f"{cell:%d/%m/%Y}"
    return str(cell).strip()


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


def listed(rows: Sequence[MemberRow], links: dict[str, str], config: Config, tr: Translator) -> list[ListedInvite]:
    """The people's rows as the list sent out (who joined has no code to send), in the reader's language."""
    result = []
    for row in rows:
        invite = row.invite if row.status != imports.JOINED else None
        note = NOTES[row.status]
        result.append(
            ListedInvite(
                row.commune_code,
                row.commune_name,
                row.village_name,
                row.name,
                tr.gettext(ROLES[row.role]),
                invite.code if invite else "",
                links.get(invite.code, "") if invite else "",
                invite.expires_at.astimezone(config.tz).date() if invite else None,
                tr.gettext(note) if note else "",
            )
        )
    return result
