"""The province's programmes and own indicators as chat lines, shared by /tiendo, /tinh and the questions.

One line per enabled programme («🔴 Gia đình số: 65 hộ từ đầu năm · 20% (60/300 hộ) · chỉ tiêu 100% · chậm
tiến độ»), one per own indicator; nothing at all where the province runs none, so its answers stay as they were.
"""

from __future__ import annotations

import datetime as dt

from handlers.base import Turn
from handlers.report_files import programmes_chart
from handlers.reporting import month_label, percent_text, send_file
from storage.programmes.catalog import RULE_COUNT, RULE_PER_MENTOR, RULE_PERCENT, UNITS
from storage.progress import CommuneProgress, Scope
from storage.progress.own_indicators import OwnIndicatorProgress, commune_own_indicators
from storage.progress.programmes import ProgrammeProgress, commune_programmes, province_programmes
from storage.province_indicators import name_of, unit_label


def _icon(reached: bool | None, on_track: bool | None, has_figure: bool) -> str:
    if not has_figure:
        return "⚪"
    if reached:
        return "✅"
    if on_track is None:
        return "🔵"
    return "🟢" if on_track else "🔴"


def _reached(item: ProgrammeProgress) -> bool | None:
    """Whether the year's target is met (None without a target or a figure)."""
    if item.target is None or item.figure is None:
        return None
    value = item.percent if item.rule == RULE_PERCENT else item.figure
    return value is not None and value >= item.target


def _count(turn: Turn, number: int, unit: str) -> str:
    return turn._("{n} {unit}").format(n=turn.tr.number(number), unit=turn._(UNITS.get(unit, unit)))


def _target_text(turn: Turn, item: ProgrammeProgress) -> str:
    if item.target is None:
        return ""
    if item.rule == RULE_PERCENT:
        return turn._("chỉ tiêu {target}").format(target=percent_text(turn, item.target))
    unit = "mentors" if item.rule == RULE_PER_MENTOR else item.programme.unit
    return turn._("chỉ tiêu {target}").format(target=_count(turn, int(item.target), unit))


def _verdict(turn: Turn, item: ProgrammeProgress) -> str:
    reached = _reached(item)
    if reached is None:
        return ""
    if reached:
        return turn._("đã đạt")
    return turn._("đúng tiến độ") if item.on_track else turn._("chậm tiến độ")


def programme_line(turn: Turn, item: ProgrammeProgress) -> str:
    """One programme: its figure by its rule, the target and where it stands."""
    _ = turn._
    tr = turn.tr
    name = item.programme.name(tr.locale)
    icon = _icon(_reached(item), item.on_track, item.figure is not None)
    if item.figure is None:
        return _("{icon} {name}: chưa có số liệu").format(icon=icon, name=name)
    if item.rule == RULE_PER_MENTOR:
        main = _("{icon} {name}: {reached}/{mentors} đại sứ số đủ {n} người được hướng dẫn").format(
            icon=icon,
            name=name,
            reached=tr.number(item.figure),
            mentors=tr.number(item.denominator or 0),
            n=tr.number(item.programme.target.mentees or 0),
        )
    elif item.programme.indicator:
        main = _("{icon} {name}: {percent} ({n}/{d})").format(
            icon=icon,
            name=name,
            percent=percent_text(turn, item.percent),
            n=tr.number(item.figure),
            d=tr.number(item.denominator or 0),
        )
    else:
        main = _("{icon} {name}: {figure} từ đầu năm (tháng này {month})").format(
            icon=icon,
            name=name,
            figure=_count(turn, item.figure, item.programme.unit),
            month=tr.number(item.month_figure or 0),
        )
        if item.rule != RULE_COUNT:
            main += " · " + (
                _("{percent} ({n}/{d})").format(
                    percent=percent_text(turn, item.percent),
                    n=tr.number(item.covered or 0),
                    d=_count(turn, item.denominator or 0, item.programme.unit),
                )
                if item.denominator
                else _("chưa có số hộ của thôn (/thon)")
            )
    parts = [main, _both_text(turn, item), _target_text(turn, item), _verdict(turn, item)]
    return " · ".join(p for p in parts if p)


def _both_text(turn: Turn, item: ProgrammeProgress) -> str:
    """For a programme entered both ways, once a commune's own figure counts: that figure of the month, and
    beside it what the villages logged (nothing while only the logged figures count, as before)."""
    both = item.both
    if both is None or (both.commune_month_figure is None and both.logged_figure == item.figure):
        return ""
    _ = turn._
    tr = turn.tr
    logged = _("các thôn ghi: tháng này {month}, từ đầu năm {year}").format(
        month=tr.number(both.logged_month_figure), year=tr.number(both.logged_figure)
    )
    if both.commune_month_figure is None:
        return logged
    if both.communes_entered is not None:
        entered = _("{n} xã nhập số tháng này: {figure}").format(
            n=tr.number(both.communes_entered), figure=tr.number(both.commune_month_figure)
        )
    else:
        entered = _("xã nhập tháng này {figure}").format(figure=tr.number(both.commune_month_figure))
    return entered + "; " + logged


def own_line(turn: Turn, item: OwnIndicatorProgress) -> str:
    """One own indicator of the province: the month's figure, the year so far, the target."""
    _ = turn._
    tr = turn.tr
    unit = _(unit_label(item.indicator.unit))
    name = name_of(item.indicator, tr.locale)
    if item.value is None:
        main = _("• {name}: tháng này chưa nhập · từ đầu năm {year} {unit}").format(
            name=name, year=tr.number(item.year_to_date), unit=unit
        )
    else:
        main = _("• {name}: tháng này {value} {unit} · từ đầu năm {year}").format(
            name=name, value=tr.number(item.value), unit=unit, year=tr.number(item.year_to_date)
        )
    if item.target is not None:
        main += " · " + _("chỉ tiêu {target}").format(target=tr.number(item.target))
        if item.year_to_date >= item.target:
            main += " · " + _("đã đạt")
        else:
            main += " · " + (_("đúng tiến độ") if item.on_track else _("chậm tiến độ"))
    return main


def programme_block(
    turn: Turn, programmes: list[ProgrammeProgress], own: list[OwnIndicatorProgress], heading: bool = True
) -> list[str]:
    """The lines of the programmes and own indicators of a month, after an empty line; none if there are none."""
    _ = turn._
    lines: list[str] = []
    if programmes:
        month = month_label(turn, programmes[0].month)
        lines += ["", _("🗂️ Chương trình của tỉnh (tháng {month}):").format(month=month)] if heading else []
        lines += [programme_line(turn, item) for item in programmes]
    if own:
        month = month_label(turn, own[0].month)
        lines += ["", _("📌 Chỉ số riêng của tỉnh (tháng {month}):").format(month=month)] if heading else []
        lines += [own_line(turn, item) for item in own]
    return lines


def commune_block(turn: Turn, progress: CommuneProgress) -> list[str]:
    """The programmes (and, for a whole commune, the own indicators) of the month a progress shows."""
    scope = Scope.of(turn.require_member())
    programmes = commune_programmes(turn.session, scope, progress.commune_code, progress.month, progress.village_only)
    own = (
        []
        if progress.village_only
        else commune_own_indicators(turn.session, scope, progress.commune_code, progress.month)
    )
    return programme_block(turn, programmes, own)


def _months(month: dt.date) -> list[dt.date]:
    return [dt.date(month.year, m, 1) for m in range(1, month.month + 1)]


def send_commune_chart(turn: Turn, commune_code: int, month: dt.date, village_id: int | None, title: str) -> None:
    """The programmes of a commune (or village) month by month since January, as a picture; nothing when the
    province runs none. A roll-up per month of the year (a few statements each), asked for by a button."""
    scope = Scope.of(turn.require_member())
    series = [(m, commune_programmes(turn.session, scope, commune_code, m, village_id)) for m in _months(month)]
    _send(turn, series, title, f"chuong-trinh-{commune_code}-{month:%Y-%m}.png")


def send_province_chart(turn: Turn, province_code: int, month: dt.date, title: str) -> None:
    """The province's programmes month by month since January, as a picture; nothing when it runs none."""
    scope = Scope.of(turn.require_member())
    series = [(m, province_programmes(turn.session, scope, province_code, m).total) for m in _months(month)]
    _send(turn, series, title, f"chuong-trinh-tinh-{province_code}-{month:%Y-%m}.png")


def _send(turn: Turn, series: list[tuple[dt.date, list[ProgrammeProgress]]], title: str, filename: str) -> None:
    if not series or not series[-1][1]:
        return
    heading = turn._("Chương trình của tỉnh — {title}").format(title=title)
    content = programmes_chart(series, turn.tr, heading)
    send_file(turn, content=content, filename=filename, kind="photo", caption="🗂️ " + heading)
