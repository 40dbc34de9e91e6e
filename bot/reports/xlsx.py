"""The monthly report as an XLSX form, the way a commune or the Sở KH&CN files it.

National heading (CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc), the unit and the
month, the indicator table, activity by village (commune) or by commune (province), the list of sessions,
the province's programmes and own indicators where it has them (`programme_sheet.py`), signatures. Numbers
are stored as numbers (percent as 0–100 with two decimals, like the JSON), so the file can be read back; it
is laid out for A4 landscape and opens cleanly in LibreOffice and Excel.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.i18n import Translator
from bot.reports.data import activity_figures
from bot.reports.programme_sheet import verdict, write_parts
from storage.indicators import INDICATORS, short_label
from storage.vocab import HELP_KINDS, N_, TOPICS

FONT = "Times New Roman"  # the administrative documents' font; LibreOffice substitutes a metric twin
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")


class Form:
    """A sheet written top to bottom, row by row."""

    def __init__(self, sheet: Worksheet, widths: Sequence[float]) -> None:
        """Start at the first row, with the columns set to `widths`."""
        self.sheet = sheet
        self.row = 1
        self.columns = len(widths)
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width

    def cell(
        self,
        column: int,
        value: Any,
        *,
        bold: bool = False,
        italic: bool = False,
        size: int = 12,
        align: Alignment = LEFT,
        span: int = 1,
        box: bool = False,
        fill: PatternFill | None = None,
        fmt: str | None = None,
        underline: bool = False,
    ) -> None:
        """Write one cell on the current row, styled, optionally spanning, boxed and filled."""
        sheet = self.sheet
        target = sheet.cell(row=self.row, column=column, value=value)
        target.font = Font(name=FONT, size=size, bold=bold, italic=italic, underline="single" if underline else None)
        target.alignment = align
        if fmt:
            target.number_format = fmt
        if span > 1:
            sheet.merge_cells(start_row=self.row, start_column=column, end_row=self.row, end_column=column + span - 1)
        for c in range(column, column + span):
            if box:
                sheet.cell(row=self.row, column=c).border = BOX
            if fill:
                sheet.cell(row=self.row, column=c).fill = fill

    def line(self, text: str, **style: Any) -> None:
        """A line across the whole width."""
        self.cell(1, text, span=self.columns, **style)
        self.row += 1

    def skip(self, rows: int = 1) -> None:
        """Leave `rows` empty rows."""
        self.row += rows

    def height(self, points: float) -> None:
        """Set the current row's height in points."""
        self.sheet.row_dimensions[self.row].height = points

    def table(
        self,
        headers: list[tuple[str, int]],
        rows: list[list[Any]],
        *,
        formats: list[str] | None = None,
        total: list[Any] | None = None,
    ) -> tuple[int, int]:
        """A boxed table; headers are (title, columns spanned). Returns the first and last data rows."""
        self.height(max(30, 15 * max(1 + len(t) // 14 for t, _ in headers)))
        column = 1
        for title, span in headers:
            self.cell(column, title, bold=True, size=11, align=CENTER, span=span, box=True, fill=HEAD_FILL)
            column += span
        self.row += 1
        first = self.row
        for values in [*rows, *([total] if total else [])]:
            column = 1
            is_total = total is not None and values is total
            for index, ((_, span), value) in enumerate(zip(headers, values, strict=False)):
                fmt = formats[index] if formats else None
                numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
                self.cell(
                    column,
                    value,
                    size=11,
                    span=span,
                    box=True,
                    bold=is_total,
                    align=CENTER if index == 0 else (RIGHT if numeric else LEFT),
                    fmt=fmt if numeric else None,
                    fill=TOTAL_FILL if is_total else None,
                )
                column += span
            self.row += 1
        return first, self.row - 1


def _heading(form: Form, left_top: str, left_bottom: str, place_date: str, tr: Translator) -> None:
    """Issuing body on the left, the national heading on the right, place and date below."""
    _ = tr.gettext
    half = form.columns // 2 - 1
    right = form.columns - half
    form.cell(1, left_top, size=12, align=CENTER, span=half)
    form.cell(half + 1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12, align=CENTER, span=right)
    form.row += 1
    form.cell(1, left_bottom, bold=True, size=12, align=CENTER, span=half)
    form.cell(half + 1, "Độc lập - Tự do - Hạnh phúc", bold=True, size=12, align=CENTER, span=right, underline=True)
    form.row += 2
    form.cell(half + 1, place_date, italic=True, size=12, align=CENTER, span=right)
    form.row += 2


def _place(name: str) -> str:
    """ "Xã Sơn Kim 1" -> "Sơn Kim 1" (the place in "…, ngày … tháng … năm …")."""
    for prefix in ("Xã ", "Phường ", "Đặc khu ", "Tỉnh ", "Thành phố "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _date_line(place: str, day: dt.date, tr: Translator) -> str:
    """The place and date line, e.g. “Sơn Kim 1, ngày 25 tháng 11 năm 2026”."""
    return tr.gettext("{place}, ngày {d} tháng {m} năm {y}").format(
        place=place, d=f"{day.day:02d}", m=f"{day.month:02d}", y=day.year
    )


def _month_label(month: str, tr: Translator) -> str:
    """“2026-10” as the form's month line, e.g. “Tháng 10 năm 2026”."""
    year, number = month.split("-")
    return tr.gettext("Tháng {month} năm {year}").format(month=int(number), year=year)


def _status_line(data: dict[str, Any], tr: Translator) -> str:
    """Whether the report was submitted, when and whether on time, or that it is still a draft."""
    _ = tr.gettext
    deadline = tr.date(dt.date.fromisoformat(data["deadline"]))
    if data.get("status") == "submitted" and data.get("submitted_at"):
        day = tr.date(dt.datetime.fromisoformat(data["submitted_at"]).date())
        verdict = _("đúng hạn") if data.get("on_time") else _("muộn")
        return _("Tình trạng: đã nộp ngày {day} ({verdict}; hạn nộp {deadline}).").format(
            day=day, verdict=verdict, deadline=deadline
        )
    return _("Tình trạng: bản nháp, chưa nộp (hạn nộp {deadline}).").format(deadline=deadline)


def _indicator_rows(data: dict[str, Any], tr: Translator) -> list[list[Any]]:
    """The indicator table's rows: number, translated label, figures, target and assessment."""
    _ = tr.gettext
    rows = []
    for number, item in enumerate(data["indicators"], start=1):
        label = INDICATORS[item["id"]][0]  # marked with N_ where it is defined
        rows.append(
            [
                number,
                _(label),
                item["numerator"],
                item["denominator"],
                item["percent"],
                item["target"],
                verdict(item, tr),
            ]
        )
    return rows


INDICATOR_HEADERS = [
    (N_("STT"), 1),
    (N_("Chỉ tiêu"), 3),
    (N_("Số đạt (tử số)"), 1),
    (N_("Tổng số (mẫu số)"), 1),
    (N_("Tỷ lệ (%)"), 1),
    (N_("Chỉ tiêu năm (%)"), 1),
    (N_("Đánh giá"), 2),
]
INDICATOR_FORMATS = ["0", "@", "#,##0", "#,##0", "0.00", "0.##", "@"]


def _translated(headers: list[tuple[str, int]], tr: Translator) -> list[tuple[str, int]]:
    """Table headers with their titles translated."""
    return [(tr.gettext(title), span) for title, span in headers]


# Commune form: STT, village, sessions, attendees, weeks with a session, one column per help kind, helped.
COMMUNE_WIDTHS = [6, 22, 10, 10, 10] + [11] * len(HELP_KINDS) + [11]
# Province form: the eleven columns of a commune's submission and activity, then one per indicator percent.
PROVINCE_WIDTHS = [6, 10, 24, 11, 12, 10, 9, 9, 10, 11, 11] + [10] * len(INDICATORS)


def _new_form(title: str, widths: Sequence[float]) -> tuple[Workbook, Form]:
    """A workbook with one sheet named `title` (Excel allows 31 characters), columns set to `widths`."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    return book, Form(sheet, widths)


def _title(form: Form, title: str, month: str, tr: Translator) -> None:
    """The report's title and its month, centred, then a blank row."""
    form.height(36)
    form.line(title, bold=True, size=14, align=CENTER)
    form.line(_month_label(month, tr), bold=True, size=13, align=CENTER)
    form.skip()


def _finish(book: Workbook, form: Form, signers: tuple[str, str], tr: Translator) -> bytes:
    """Signatures under the last table, the A4 page setup, and the file's bytes."""
    form.skip()
    _signatures(form, *signers, tr)
    _page_setup(form.sheet, form)
    return _save(book)


def commune_workbook(data: dict[str, Any], tr: Translator | None = None, today: dt.date | None = None) -> bytes:
    """The commune's monthly report form."""
    tr = tr or Translator("vi")
    _ = tr.gettext
    book, form = _new_form(_("Báo cáo tháng"), COMMUNE_WIDTHS)
    commune = data["commune"]["name"]
    _heading(
        form,
        _("UBND {unit}").format(unit=commune.upper()),
        _("TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"),
        _date_line(_place(commune), today or dt.date.today(), tr),
        tr,
    )
    _title(form, _("BÁO CÁO KẾT QUẢ TRIỂN KHAI PHONG TRÀO “BÌNH DÂN HỌC VỤ SỐ”"), data["month"], tr)
    form.line(
        _("Đơn vị: {commune}, {province} (mã {code}).").format(
            commune=commune, province=data["province"]["name"], code=data["commune"]["code"]
        ),
        size=12,
    )
    form.line(_status_line(data, tr), size=12)
    form.skip()
    _commune_indicators(form, data, tr)
    _village_activity(form, data, tr)
    _session_list(form, data, tr)
    write_parts(form, data, tr, "IV")
    return _finish(book, form, (_("NGƯỜI LẬP BIỂU"), _("TM. ỦY BAN NHÂN DÂN")), tr)


def _commune_indicators(form: Form, data: dict[str, Any], tr: Translator) -> None:
    """Part I of the commune form: the indicator table and how to read it."""
    _ = tr.gettext
    form.line(_("I. CÁC CHỈ TIÊU"), bold=True, size=12)
    form.table(_translated(INDICATOR_HEADERS, tr), _indicator_rows(data, tr), formats=INDICATOR_FORMATS)
    form.line(
        _(
            "Tỷ lệ = số đạt / tổng số. Đánh giá theo lộ trình đều từ đầu năm đến chỉ tiêu cuối năm; "
            "kích hoạt định danh điện tử mức 2 báo cáo riêng với xác nhận phổ cập trên VNeID."
        ),
        italic=True,
        size=10,
    )
    form.skip()


def _village_activity(form: Form, data: dict[str, Any], tr: Translator) -> None:
    """Part II of the commune form: sessions, attendees, weeks and help by village, with the commune's total."""
    _ = tr.gettext
    form.line(_("II. HOẠT ĐỘNG CỦA CÁC TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG THEO THÔN"), bold=True, size=12)
    headers = [
        (_("STT"), 1),
        (_("Thôn, tổ dân phố"), 1),
        (_("Số buổi sinh hoạt"), 1),
        (_("Người tham dự"), 1),
        (_("Số tuần có buổi / {weeks}").format(weeks=data["weeks_in_month"]), 1),
    ]
    headers += [(_(title), 1) for title in HELP_KINDS.values()] + [(_("Tổng lượt hỗ trợ"), 1)]
    rows = [[n, v["name"], *activity_figures(v)] for n, v in enumerate(data["villages"], start=1)]
    total = ["", _("Tổng cộng"), *activity_figures(data["totals"])]
    form.table(headers, rows, formats=["0", "@"] + ["#,##0"] * (len(headers) - 2), total=total)
    form.line(
        _(
            "Dòng tổng: số tuần trong tháng có ít nhất một buổi ở bất kỳ thôn nào. "
            "Mỗi thôn cần ít nhất một buổi sinh hoạt mỗi tuần."
        ),
        italic=True,
        size=10,
    )
    form.skip()


def _session_list(form: Form, data: dict[str, Any], tr: Translator) -> None:
    """Part III of the commune form: every session of the month, or a line saying there was none."""
    _ = tr.gettext
    form.line(_("III. DANH SÁCH BUỔI SINH HOẠT"), bold=True, size=12)
    headers = [
        (_("STT"), 1),
        (_("Ngày"), 1),
        (_("Thôn, tổ dân phố"), 2),
        (_("Nội dung"), form.columns - 5),
        (_("Số người"), 1),
    ]
    rows = [
        [
            n,
            tr.date(dt.date.fromisoformat(s["date"])),
            s["village"],
            "; ".join(_(TOPICS[t]) if t in TOPICS else t for t in s["topics"]),
            s["attendees"],
        ]
        for n, s in enumerate(data["sessions"], start=1)
    ]
    if rows:
        form.table(headers, rows, formats=["0", "@", "@", "@", "#,##0"])
    else:
        form.line(_("Chưa có buổi sinh hoạt nào trong tháng."), italic=True, size=11)


def province_workbook(data: dict[str, Any], tr: Translator | None = None, today: dt.date | None = None) -> bytes:
    """The province's consolidated monthly report form."""
    tr = tr or Translator("vi")
    _ = tr.gettext
    book, form = _new_form(_("Tổng hợp tháng"), PROVINCE_WIDTHS)
    province = data["province"]["name"]
    _heading(
        form,
        _("UBND {unit}").format(unit=province.upper()),
        _("SỞ KHOA HỌC VÀ CÔNG NGHỆ"),
        _date_line(_place(province), today or dt.date.today(), tr),
        tr,
    )
    _title(form, _("BÁO CÁO TỔNG HỢP KẾT QUẢ PHONG TRÀO “BÌNH DÂN HỌC VỤ SỐ” CỦA CÁC XÃ, PHƯỜNG"), data["month"], tr)
    _province_summary(form, data, tr)
    form.skip()
    form.line(_("I. CÁC CHỈ TIÊU TOÀN TỈNH (cộng số liệu các xã đã nhập)"), bold=True, size=12)
    form.table(_translated(INDICATOR_HEADERS, tr), _indicator_rows(data, tr), formats=INDICATOR_FORMATS)
    form.skip()
    _commune_status(form, data, tr)
    write_parts(form, data, tr, "III")
    return _finish(book, form, (_("NGƯỜI TỔNG HỢP"), _("GIÁM ĐỐC SỞ")), tr)


def _province_summary(form: Form, data: dict[str, Any], tr: Translator) -> None:
    """The province, the communes' deadline, and how many communes reported, on time or late."""
    _ = tr.gettext
    form.line(
        _("Đơn vị: {province} (mã {code}). Hạn nộp của các xã: {deadline}.").format(
            province=data["province"]["name"],
            code=data["province"]["code"],
            deadline=tr.date(dt.date.fromisoformat(data["deadline"])),
        ),
        size=12,
    )
    form.line(
        _(
            "Số xã phải báo cáo: {expected}; đã nộp: {submitted} ({rate}); đúng hạn: {on_time} ({on_time_rate}); "
            "nộp muộn: {late}."
        ).format(
            expected=tr.number(data["communes_expected"]),
            submitted=tr.number(data["communes_submitted"]),
            rate=_rate(data["reporting_rate"], tr),
            on_time=tr.number(data["communes_on_time"]),
            on_time_rate=_rate(data["on_time_rate"], tr),
            late=tr.number(data["communes_late"]),
        ),
        size=12,
    )


def _commune_status(form: Form, data: dict[str, Any], tr: Translator) -> None:
    """Part II of the province form: each commune's submission, activity and indicator percents, with totals."""
    _ = tr.gettext
    form.line(_("II. TÌNH HÌNH BÁO CÁO VÀ HOẠT ĐỘNG CỦA CÁC XÃ, PHƯỜNG"), bold=True, size=12)
    titles = [
        _("STT"),
        _("Mã xã"),
        _("Xã, phường"),
        _("Tình trạng"),
        _("Ngày nộp"),
        _("Đúng hạn"),
        _("Số thôn"),
        _("Thôn có buổi"),
        _("Số buổi"),
        _("Người tham dự"),
        _("Lượt hỗ trợ"),
    ]
    titles += [_("{indicator} (%)").format(indicator=_(short_label(i))) for i in INDICATORS]
    rows = [_commune_row(n, c, tr) for n, c in enumerate(data["communes"], start=1)]
    t = data["totals"]
    total = [
        "",
        "",
        _("Tổng cộng"),
        data["communes_submitted"],
        "",
        data["communes_on_time"],
        t["villages"],
        t["villages_with_session"],
        t["sessions"],
        t["attendees"],
        t["helped"],
        *[next((i["percent"] for i in data["indicators"] if i["id"] == k), None) for k in INDICATORS],
    ]
    formats = ["0", "0", "@", "@", "@", "@"] + ["#,##0"] * 5 + ["0.00"] * len(INDICATORS)
    form.table([(title, 1) for title in titles], rows, formats=formats, total=total)


def _commune_row(number: int, c: dict[str, Any], tr: Translator) -> list[Any]:
    """A commune's row in the province form: submitted or not, when, on time, activity, indicator percents."""
    _ = tr.gettext
    percents = {i["id"]: i["percent"] for i in c["indicators"]}
    submitted_day = tr.date(dt.datetime.fromisoformat(c["submitted_at"]).date()) if c["submitted_at"] else ""
    on_time = "" if c["on_time"] is None else (_("Đúng hạn") if c["on_time"] else _("Muộn"))
    return [
        number,
        c["code"],
        c["name"],
        _("Đã nộp") if c["submitted"] else _("Chưa nộp"),
        submitted_day,
        on_time,
        c["villages"],
        c["villages_with_session"],
        c["sessions"],
        c["attendees"],
        c["helped"],
        *[percents.get(i) for i in INDICATORS],
    ]


def _rate(value: float | None, tr: Translator) -> str:
    """A 0–100 rate as a localised percent, or a dash when there is none."""
    return "—" if value is None else tr.percent(value / 100)


def _signatures(form: Form, left: str, right: str, tr: Translator) -> None:
    """The two signature blocks at the foot of the form."""
    _ = tr.gettext
    half = form.columns // 2 - 1
    form.cell(1, left, bold=True, align=CENTER, span=half)
    form.cell(half + 1, right, bold=True, align=CENTER, span=form.columns - half)
    form.row += 1
    form.cell(1, _("(Ký, ghi rõ họ tên)"), italic=True, size=11, align=CENTER, span=half)
    form.cell(
        half + 1, _("(Ký, ghi rõ họ tên, đóng dấu)"), italic=True, size=11, align=CENTER, span=form.columns - half
    )
    form.row += 1


def _page_setup(sheet: Worksheet, form: Form) -> None:
    """A4 landscape, fit to one page wide, narrow margins, print area over the form."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.print_options.horizontalCentered = True
    sheet.print_area = f"A1:{get_column_letter(form.columns)}{form.row}"


def _save(book: Workbook) -> bytes:
    """The workbook as XLSX bytes."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
