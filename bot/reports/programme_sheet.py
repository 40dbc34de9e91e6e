"""The programmes' and own indicators' parts of the XLSX forms (`bot/reports/xlsx.py`), written only where the
report carries them (a province running programmes, or with indicators of its own).

The commune form gets a table of the province's programmes (the month's count, the figure set against the
year's target, its denominator, percent, target, assessment) with a line per programme saying what its figure
counts, then a table of the own indicators. The province form gets the same tables for the province as a
whole, then one row per commune with each programme's percent (its figure for a count rule).
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.i18n import Translator
from storage.programmes.catalog import RULE_COUNT, RULE_PER_MENTOR, RULE_PERCENT, UNITS, shipped
from storage.vocab import N_


class TableForm(Protocol):
    """What these parts need of the form being written (`xlsx.Form`)."""

    columns: int

    def line(self, text: str, **style: Any) -> None: ...

    def skip(self, rows: int = 1) -> None: ...

    def table(
        self,
        headers: list[tuple[str, int]],
        rows: list[list[Any]],
        *,
        formats: list[str] | None = None,
        total: list[Any] | None = None,
    ) -> tuple[int, int]: ...


PROGRAMME_HEADERS = [
    (N_("STT"), 1),
    (N_("Chương trình"), 3),
    (N_("Đơn vị tính"), 1),
    (N_("Trong tháng"), 1),
    (N_("Số đạt (lũy kế năm)"), 1),
    (N_("Tổng số (mẫu số)"), 1),
    (N_("Tỷ lệ (%)"), 1),
    (N_("Chỉ tiêu năm"), 1),
    (N_("Đánh giá"), 2),
]
PROGRAMME_FORMATS = ["0", "@", "@", "#,##0", "#,##0", "#,##0", "0.00", "#,##0.##", "@"]
OWN_HEADERS = [
    (N_("STT"), 1),
    (N_("Chỉ số riêng của tỉnh"), 3),
    (N_("Đơn vị tính"), 1),
    (N_("Trong tháng"), 1),
    (N_("Lũy kế năm"), 1),
    (N_("Chỉ tiêu năm"), 1),
    (N_("Đánh giá"), 2),
]
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII")
OWN_FORMATS = ["0", "@", "@", "#,##0", "#,##0", "#,##0", "@"]


def programme_name(item: dict[str, Any], tr: Translator) -> str:
    """A programme's name in the reader's language (names are data of the catalog, not msgids)."""
    programme = shipped().get(item["id"])
    return programme.name(tr.locale) if programme else str(item.get("name", item["id"]))


def programme_unit(item: dict[str, Any], tr: Translator) -> str:
    """The unit of a programme's figure: mentors reaching the rule for a mentor programme."""
    unit = "mentors" if item.get("rule") == RULE_PER_MENTOR else item["unit"]
    return tr.gettext(UNITS[unit]) if unit in UNITS else str(unit)


def verdict(item: dict[str, Any], tr: Translator) -> str:
    """An assessment against the year's target (a national indicator, a programme, an own indicator given as a
    count rule): no figure, no target, target met, on track or behind."""
    _ = tr.gettext
    rule = item.get("rule", RULE_PERCENT)  # the national indicators are percents
    value = item.get("percent") if rule == RULE_PERCENT else item.get("figure")
    if value is None:
        return _("Chưa có số liệu")
    if item.get("target") is None:
        return _("Chưa đặt chỉ tiêu")
    if value >= item["target"]:
        return _("Đạt chỉ tiêu")
    return _("Đúng tiến độ") if item.get("on_track") else _("Chậm tiến độ")


def _programme_rows(items: list[dict[str, Any]], tr: Translator) -> list[list[Any]]:
    return [
        [
            number,
            programme_name(p, tr),
            programme_unit(p, tr),
            p["month_figure"],
            p["figure"],
            p["denominator"],
            p["percent"],
            p["target"],
            verdict(p, tr),
        ]
        for number, p in enumerate(items, start=1)
    ]


def _note(item: dict[str, Any], tr: Translator) -> str:
    """What a programme's figure counts, in one line under the table."""
    _ = tr.gettext
    name = programme_name(item, tr)
    if item["figure"] is None:
        return _("{name}: chưa có số liệu (xã nhập hằng tháng).").format(name=name)
    if item.get("rule") == RULE_PER_MENTOR:
        return _("{name}: số đại sứ số có từ {n} người được hướng dẫn trở lên từ đầu năm, trên số đại sứ số.").format(
            name=name, n=item.get("mentees_per_mentor")
        )
    if "villages_without_households" in item:
        return _("{name}: lũy kế từ đầu năm; tỷ lệ tính trên các thôn đã có số hộ ({n} thôn chưa có số hộ).").format(
            name=name, n=tr.number(item["villages_without_households"])
        )
    if item["denominator"] is not None:
        return _("{name}: số liệu xã nhập tháng này.").format(name=name)
    if "logged_figure" in item:
        return _(
            "{name}: lũy kế từ đầu năm; tháng nào xã nhập số (/chiso) thì tính số của xã, tháng khác tính số các "
            "thôn ghi. Tháng này xã nhập: {commune}; các thôn ghi: tháng này {month}, từ đầu năm {year}."
        ).format(
            name=name,
            commune=_("chưa nhập") if item["commune_month_figure"] is None else tr.number(item["commune_month_figure"]),
            month=tr.number(item["logged_month_figure"]),
            year=tr.number(item["logged_figure"]),
        )
    return _("{name}: lũy kế từ đầu năm, so với chỉ tiêu năm của tỉnh.").format(name=name)


def _own_rows(items: list[dict[str, Any]], tr: Translator) -> list[list[Any]]:
    return [
        [
            number,
            o["name"],
            tr.gettext(UNITS[o["unit"]]) if o["unit"] in UNITS else o["unit"],
            o["value"],
            o["year_to_date"],
            o["target"],
            verdict({**o, "rule": RULE_COUNT, "figure": o["year_to_date"]}, tr),
        ]
        for number, o in enumerate(items, start=1)
    ]


def _translated(headers: list[tuple[str, int]], tr: Translator) -> list[tuple[str, int]]:
    return [(tr.gettext(title), span) for title, span in headers]


def write_parts(form: TableForm, data: dict[str, Any], tr: Translator, first: str) -> None:
    """The programmes' part and the own indicators' part, numbered from `first` («IV»), if the report has them."""
    _ = tr.gettext
    numbers = iter(ROMAN[ROMAN.index(first) :])
    if data.get("programmes"):
        form.line(_("{n}. CÁC CHƯƠNG TRÌNH CỦA TỈNH").format(n=next(numbers)), bold=True, size=12)
        form.table(
            _translated(PROGRAMME_HEADERS, tr), _programme_rows(data["programmes"], tr), formats=PROGRAMME_FORMATS
        )
        for item in data["programmes"]:
            form.line(_note(item, tr), italic=True, size=10)
        form.skip()
        if data["kind"] == "province":
            _communes_programmes(form, data, tr)
    if data.get("own_indicators"):
        form.line(_("{n}. CHỈ SỐ RIÊNG CỦA TỈNH").format(n=next(numbers)), bold=True, size=12)
        form.table(_translated(OWN_HEADERS, tr), _own_rows(data["own_indicators"], tr), formats=OWN_FORMATS)
        form.skip()


def _communes_programmes(form: TableForm, data: dict[str, Any], tr: Translator) -> None:
    """One row per commune: each programme's percent (its figure for a count rule)."""
    _ = tr.gettext
    programmes = data["programmes"][: form.columns - 3]
    titles = [(_("STT"), 1), (_("Mã xã"), 1), (_("Xã, phường"), 1)]
    for p in programmes:
        shown = _("%") if p["rule"] != RULE_COUNT else programme_unit(p, tr)
        titles.append((_("{name} ({unit})").format(name=programme_name(p, tr), unit=shown), 1))
    rows = []
    for number, commune in enumerate(data["communes"], start=1):
        own = {p["id"]: p for p in commune.get("programmes", [])}
        cells = [_shown(own.get(p["id"]), p) for p in programmes]
        rows.append([number, commune["code"], commune["name"], *cells])
    formats = ["0", "0", "@"] + ["#,##0.##"] * len(programmes)
    form.table(titles, rows, formats=formats, total=["", "", _("Toàn tỉnh"), *[_shown(p, p) for p in programmes]])
    form.skip()


def _shown(item: dict[str, Any] | None, heading: dict[str, Any]) -> Any:
    if item is None:
        return None
    return item["percent"] if heading["rule"] != RULE_COUNT else item["figure"]
