"""The province's programmes against their targets as a PNG: one panel per enabled programme, a bar per month
of the year so far («T1» … «T12»; «Jan» … «Dec» in English: `Translator.month_short`), the straight path to the
year's target (dashed) and the target (solid).

A bar is what the target is set against at the month's end (`storage/progress/programmes.py`): the percent
for a percent rule, else the figure (people, traders, mentors reaching their mentees). Same page size and
type as `charts.py`, on the Agg backend.
"""

from __future__ import annotations

import datetime as dt

from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from bot.i18n import Translator
from bot.reports.charts import BLUE, GREEN, GREY, RED, _figure, _png, _style
from storage.indicators import expected_share
from storage.programmes.catalog import RULE_PER_MENTOR, RULE_PERCENT, UNITS
from storage.progress.programmes import ProgrammeProgress

#: (the month's first day, the programmes at that month's end), January first
Series = list[tuple[dt.date, list[ProgrammeProgress]]]
PANEL_IN = 2.1


def _value(item: ProgrammeProgress) -> float | None:
    if item.rule == RULE_PERCENT:
        return item.percent
    return None if item.figure is None else float(item.figure)


def _colour(item: ProgrammeProgress) -> str:
    value = _value(item)
    if value is None:
        return GREY
    if item.target is not None and value >= item.target:
        return GREEN
    return BLUE if item.on_track in (True, None) else RED


def _unit(item: ProgrammeProgress, tr: Translator) -> str:
    if item.rule == RULE_PERCENT:
        return "%"
    unit = "mentors" if item.rule == RULE_PER_MENTOR else item.programme.unit
    return tr.gettext(UNITS.get(unit, unit))


def _panel(axes: Axes, months: list[dt.date], items: list[ProgrammeProgress], tr: Translator) -> None:
    """One programme over the months: bars, the path to the target and the target."""
    _ = tr.gettext
    last = items[-1]
    positions = list(range(len(months)))
    values = [_value(i) or 0.0 for i in items]
    axes.bar(positions, values, color=[_colour(i) for i in items], width=0.6)
    peak = max([*values, 1.0])
    if last.target is not None:
        path = [last.target * expected_share(m) for m in months]
        axes.plot(positions, path, color="black", linestyle="--", linewidth=1.2)
        axes.axhline(last.target, color="black", linewidth=1.5)
        peak = max(peak, last.target)
    for position, item, value in zip(positions, items, values, strict=True):
        if _value(item) is not None:
            shown = tr.percent(value / 100) if item.rule == RULE_PERCENT else tr.number(int(value))
            axes.text(position, value + peak * 0.03, shown, ha="center", fontsize=8)
    axes.set_xticks(positions, [tr.month_short(m) for m in months], fontsize=9)
    axes.set_ylim(0, peak * 1.25)
    if last.rule != RULE_PERCENT:
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    target = (
        _("chưa đặt chỉ tiêu")
        if last.target is None
        else _("chỉ tiêu năm {target}").format(
            target=tr.percent(last.target / 100) if last.rule == RULE_PERCENT else tr.number(int(last.target))
        )
    )
    axes.set_title(
        _("{name} ({unit}) — {target}").format(
            name=last.programme.name(tr.locale), unit=_unit(last, tr), target=target
        ),
        fontsize=10,
        loc="left",
        fontweight="bold",
    )
    if all(_value(i) is None for i in items):
        axes.text(0.5, 0.5, _("chưa có số liệu"), transform=axes.transAxes, ha="center", fontsize=10)
    _style(axes)


def programmes_chart(series: Series, tr: Translator, title: str) -> bytes:
    """Every programme of the series, a panel each (nothing to draw: a picture saying so)."""
    _ = tr.gettext
    months = [month for month, _items in series]
    programmes = [item.id for item in series[-1][1]] if series else []
    height = 1.2 + PANEL_IN * max(1, len(programmes)) + 0.6
    figure = _figure(height)
    figure.suptitle(title, fontsize=14, fontweight="bold", x=0.02, ha="left")
    grid = figure.add_gridspec(max(1, len(programmes)), 1, hspace=0.75)
    for index, programme_id in enumerate(programmes):
        items = [next(i for i in month_items if i.id == programme_id) for _month, month_items in series]
        _panel(figure.add_subplot(grid[index]), months, items, tr)
    if not programmes:
        figure.text(0.5, 0.5, _("Tỉnh chưa bật chương trình nào."), ha="center", fontsize=12)
    figure.text(
        0.02,
        0.25 / height,
        _("Cột: lũy kế từ đầu năm đến cuối tháng; nét đứt: lộ trình đều đến chỉ tiêu; nét liền: chỉ tiêu năm."),
        fontsize=8,
        color=RED if not programmes else "black",
    )
    figure.subplots_adjust(left=0.1, right=0.97, top=1 - 0.8 / height, bottom=0.7 / height)
    return _png(figure)
