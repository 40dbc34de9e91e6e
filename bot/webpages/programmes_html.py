"""The province's programmes and own indicators on the leaders' pages: a section under the indicators of a
commune's (or village's) page and of the province's page, read from the roll-ups the monthly report reads
(`storage/progress/programmes.py`, `own_indicators.py`). Nothing at all where the province runs none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html import escape

from sqlmodel import Session

from bot.i18n import Translator
from storage.programmes.catalog import RULE_COUNT, RULE_PER_MENTOR, RULE_PERCENT, UNITS
from storage.progress.own_indicators import (
    OwnIndicatorProgress,
    commune_own_indicators,
    province_own_indicators,
)
from storage.progress.programmes import ProgrammeProgress, commune_programmes, province_programmes
from storage.province_indicators import name_of, unit_label
from storage.scope import Scope


@dataclass(frozen=True)
class ProgrammesView:
    """An area's programmes and own indicators of a month (both empty: the province runs none)."""

    month: dt.date
    programmes: list[ProgrammeProgress] = field(default_factory=list)
    own: list[OwnIndicatorProgress] = field(default_factory=list)


def commune_view(
    session: Session, scope: Scope, commune_code: int, month: dt.date, village_id: int | None = None
) -> ProgrammesView:
    """A commune's (or one village's) programmes of the month; own indicators for a whole commune only."""
    programmes = commune_programmes(session, scope, commune_code, month, village_id)
    own = [] if village_id is not None else commune_own_indicators(session, scope, commune_code, month)
    return ProgrammesView(month, programmes, own)


def province_view(session: Session, scope: Scope, province_code: int, month: dt.date) -> ProgrammesView:
    """A province's programmes and own indicators of the month, summed over its communes."""
    programmes = province_programmes(session, scope, province_code, month).total
    own = province_own_indicators(session, scope, province_code, month).total
    return ProgrammesView(month, programmes, own)


def _count(tr: Translator, value: float | None, unit: str) -> str:
    if value is None:
        return ""
    return f"{tr.number(int(value))} {tr.gettext(UNITS.get(unit, unit))}"


def _state(tr: Translator, item: ProgrammeProgress) -> tuple[str, str]:
    """The CSS class and the words of where a programme stands."""
    _ = tr.gettext
    value = item.percent if item.rule == RULE_PERCENT else item.figure
    if value is None:
        return "wait", _("chưa có số liệu")
    if item.target is None:
        return "wait", _("chưa đặt chỉ tiêu")
    if value >= item.target:
        return "ok", _("đã đạt")
    return ("ok", _("đúng tiến độ")) if item.on_track else ("late", _("chậm tiến độ"))


def _programme_row(tr: Translator, item: ProgrammeProgress) -> str:
    unit = "mentors" if item.rule == RULE_PER_MENTOR else item.programme.unit
    figure = _count(tr, item.figure, unit)
    if item.rule != RULE_COUNT and item.denominator:
        figure += f" / {_count(tr, item.denominator, unit)}"
    percent = "" if item.percent is None else tr.percent(item.percent / 100)
    if item.target is None:
        target = ""
    elif item.rule == RULE_PERCENT:
        target = tr.percent(item.target / 100)
    else:
        target = _count(tr, item.target, unit)
    kind, words = _state(tr, item)
    return (
        f'<tr data-programme="{escape(item.id)}" data-figure="{"" if item.figure is None else item.figure}" '
        f'data-percent="{"" if item.percent is None else item.percent}">'
        f"<td>{escape(item.programme.name(tr.locale))}</td><td>{escape(figure)}</td>"
        f"<td>{'' if item.month_figure is None else tr.number(item.month_figure)}</td><td>{percent}</td>"
        f'<td>{escape(target)}</td><td><span class="{kind}">{escape(words)}</span></td></tr>'
    )


def _own_row(tr: Translator, item: OwnIndicatorProgress) -> str:
    _ = tr.gettext
    unit = _(unit_label(item.indicator.unit))
    if item.target is None:
        kind, words = "wait", _("chưa đặt chỉ tiêu")
    elif item.year_to_date >= item.target:
        kind, words = "ok", _("đã đạt")
    else:
        kind, words = ("ok", _("đúng tiến độ")) if item.on_track else ("late", _("chậm tiến độ"))
    value = "" if item.value is None else f"{tr.number(item.value)} {unit}"
    return (
        f'<tr data-own="{escape(item.id)}" data-value="{"" if item.value is None else item.value}">'
        f"<td>{escape(name_of(item.indicator, tr.locale))}</td><td>{escape(value)}</td>"
        f"<td>{tr.number(item.year_to_date)} {escape(unit)}</td>"
        f"<td>{'' if item.target is None else tr.number(item.target)}</td>"
        f'<td><span class="{kind}">{escape(words)}</span></td></tr>'
    )


def section(tr: Translator, view: ProgrammesView) -> str:
    """The section of a page: a table of programmes, a table of own indicators; "" when there are neither."""
    _ = tr.gettext
    if not view.programmes and not view.own:
        return ""
    month = _("Tháng {month}/{year}").format(month=view.month.month, year=view.month.year)
    title = _("Chương trình của tỉnh – {month}").format(month=month)
    parts = [f"<h2>{escape(title)}</h2>"]
    if view.programmes:
        heads = (_("Chương trình"), _("Lũy kế năm"), _("Trong tháng"), _("Tỉ lệ"), _("Mục tiêu"), _("Đánh giá"))
        head = "".join(f"<th>{escape(h)}</th>" for h in heads)
        rows = "".join(_programme_row(tr, item) for item in view.programmes)
        parts.append(
            f'<div class="scroll"><table data-testid="programmes"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
        )
    if view.own:
        own_heads = (_("Chỉ số riêng của tỉnh"), _("Trong tháng"), _("Lũy kế năm"), _("Mục tiêu"), _("Đánh giá"))
        head = "".join(f"<th>{escape(h)}</th>" for h in own_heads)
        rows = "".join(_own_row(tr, item) for item in view.own)
        parts.append(
            f'<div class="scroll"><table data-testid="own-indicators"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
        )
    return f'<section data-testid="programmes-section">{"".join(parts)}</section>'
