"""Charts as PNG pictures, readable on a phone: 1080 px wide, large type, Vietnamese text in DejaVu Sans.

matplotlib's object API on the Agg backend (no pyplot global state, safe in a worker thread). DejaVu Sans
ships with matplotlib and carries the Vietnamese letters (ạ ầ ẩ ễ ự ...).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.i18n import Translator
from storage.indicators import FIVE, INDICATORS, short_label
from storage.progress import CommuneProgress, IndicatorProgress, ProvinceRollup

WIDTH_PX = 1080
DPI = 150
WIDTH_IN = WIDTH_PX / DPI
FONT = "DejaVu Sans"
GREEN, AMBER, RED, GREY, BLUE = "#2e7d32", "#f9a825", "#c62828", "#bdbdbd", "#1565c0"
MAX_ROWS = 30  # bars in one panel; a phone screen cannot show more legibly


def _figure(height_in: float) -> Figure:
    figure = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _style(axes: Axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=9)


def _indicator_panel(axes: Axes, items: list[IndicatorProgress], tr: Translator, title: str) -> None:
    """Horizontal bars of percent, a black tick at the target, the value written beside the bar."""
    _ = tr.gettext
    labels = [_(short_label(i.id)) for i in items]
    values = [i.percent or 0.0 for i in items]
    colours = []
    for item in items:
        if item.percent is None:
            colours.append(GREY)
        elif item.target is not None and item.percent >= item.target:
            colours.append(GREEN)
        elif item.on_track or item.target is None:
            colours.append(BLUE)
        else:
            colours.append(RED)
    positions = list(range(len(items)))[::-1]
    axes.barh(positions, values, color=colours, height=0.6)
    for position, item in zip(positions, items, strict=True):
        if item.target is not None:
            axes.plot(
                [item.target, item.target],
                [position - 0.4, position + 0.4],
                color="black",
                linewidth=2,
            )
        text = _("chưa có số liệu") if item.percent is None else tr.percent(item.percent / 100)
        if item.target is not None and item.percent is not None:
            text += " / " + tr.percent(item.target / 100)
        axes.text(min(item.percent or 0, 100) + 1.5, position, text, va="center", fontsize=9)
    axes.set_yticks(positions, labels, fontsize=10)
    axes.set_xlim(0, 125)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.set_title(title, fontsize=12, loc="left", fontweight="bold")
    _style(axes)


def commune_chart(progress: CommuneProgress, tr: Translator, title: str) -> bytes:
    """Sessions per village (red: none this week) and the indicators against target."""
    _ = tr.gettext
    villages = progress.villages[:MAX_ROWS]
    village_rows = max(1, len(villages))
    height = 1.2 + 0.32 * village_rows + 0.5 * len(INDICATORS) + 1.4
    figure = _figure(height)
    grid = figure.add_gridspec(
        2, 1, height_ratios=[0.32 * village_rows + 0.6, 0.5 * len(INDICATORS) + 0.4], hspace=0.45
    )
    figure.suptitle(title, fontsize=14, fontweight="bold", x=0.02, ha="left")
    top = figure.add_subplot(grid[0])
    positions = list(range(len(villages)))[::-1]
    values = [v.sessions for v in villages]
    colours = [BLUE if v.session_this_week else RED for v in villages]
    top.barh(positions, values, color=colours, height=0.65)
    peak = max([*values, 1])
    for position, village in zip(positions, villages, strict=True):
        top.text(
            village.sessions + peak * 0.02,
            position,
            _("{sessions} buổi · {people} người").format(
                sessions=tr.number(village.sessions), people=tr.number(village.attendees)
            ),
            va="center",
            fontsize=8,
        )
    top.set_yticks(positions, [v.name for v in villages], fontsize=9)
    top.set_xlim(0, peak * 1.45)
    top.xaxis.set_major_locator(MaxNLocator(integer=True))
    legend = (
        _("Số buổi sinh hoạt theo thôn (đỏ: tuần này chưa có buổi)")
        if progress.current
        else _("Số buổi sinh hoạt theo thôn (đỏ: tuần cuối kỳ chưa có buổi)")
    )
    top.set_title(legend, fontsize=11, loc="left", fontweight="bold")
    _style(top)
    if not villages:
        top.text(0.5, 0.5, _("Chưa có thôn nào"), transform=top.transAxes, ha="center", fontsize=11)
    bottom = figure.add_subplot(grid[1])
    _indicator_panel(bottom, progress.indicators, tr, _("Chỉ tiêu (vạch đen: chỉ tiêu năm)"))
    figure.subplots_adjust(left=0.30, right=0.97, top=1 - 0.75 / height, bottom=0.45 / height)
    return _png(figure)


def province_chart(rollup: ProvinceRollup, tr: Translator, title: str) -> bytes:
    """Reporting (on time, late, not yet), the indicators' roll-up, and the communes furthest behind."""
    _ = tr.gettext
    behind = rollup.furthest_behind(8)
    height = 1.4 + 1.3 + 0.5 * len(INDICATORS) + 0.4 + (0.4 * len(behind) + 0.8 if behind else 0) + 0.8
    figure = _figure(height)
    ratios = [1.3, 0.5 * len(INDICATORS) + 0.4] + ([0.4 * len(behind) + 0.6] if behind else [])
    grid = figure.add_gridspec(len(ratios), 1, height_ratios=ratios, hspace=0.55)
    figure.suptitle(title, fontsize=14, fontweight="bold", x=0.02, ha="left")
    top = figure.add_subplot(grid[0])
    late = rollup.submitted - rollup.on_time_count
    missing = rollup.expected - rollup.submitted
    left = 0
    for count, colour, name in (
        (rollup.on_time_count, GREEN, _("Đúng hạn")),
        (late, AMBER, _("Muộn")),
        (missing, GREY, _("Chưa nộp")),
    ):
        if count:
            top.barh([0], [count], left=left, color=colour, height=0.6)
            top.text(left + count / 2, 0, f"{name}\n{tr.number(count)}", ha="center", va="center", fontsize=9)
            left += count
    top.set_xlim(0, max(1, rollup.expected))
    top.xaxis.set_major_locator(MaxNLocator(integer=True))
    top.set_yticks([])
    rate = "—" if rollup.reporting_rate is None else tr.percent(rollup.reporting_rate / 100)
    top.set_title(
        _("Báo cáo của {n} xã: đã nộp {rate}").format(n=tr.number(rollup.expected), rate=rate),
        fontsize=11,
        loc="left",
        fontweight="bold",
    )
    _style(top)
    middle = figure.add_subplot(grid[1])
    _indicator_panel(middle, rollup.indicator_sums(), tr, _("Chỉ tiêu toàn tỉnh (cộng các xã đã nhập)"))
    if behind:
        low = figure.add_subplot(grid[2])
        positions = list(range(len(behind)))[::-1]
        shares = [100 * (c.achievement() or 0) for c in behind]
        low.barh(positions, shares, color=RED, height=0.6)
        for position, share in zip(positions, shares, strict=True):
            low.text(share + 1.5, position, tr.percent(share / 100), va="center", fontsize=9)
        low.set_yticks(positions, [c.name for c in behind], fontsize=9)
        low.set_xlim(0, 115)
        low.set_title(
            _("Xã chậm nhất (bình quân phần trăm chỉ tiêu đã đạt)"), fontsize=11, loc="left", fontweight="bold"
        )
        _style(low)
    figure.subplots_adjust(left=0.30, right=0.97, top=1 - 0.75 / height, bottom=0.4 / height)
    return _png(figure)


def village_chart(progress: CommuneProgress, tr: Translator, title: str) -> bytes:
    """A team's own village: sessions, attendees and people helped, then the commune's indicators."""
    _ = tr.gettext
    village = progress.villages[0] if progress.villages else None
    height = 2.6 + 0.5 * len(INDICATORS) + 1.2
    figure = _figure(height)
    grid = figure.add_gridspec(2, 1, height_ratios=[2.0, 0.5 * len(INDICATORS) + 0.4], hspace=0.5)
    figure.suptitle(title, fontsize=14, fontweight="bold", x=0.02, ha="left")
    top = figure.add_subplot(grid[0])
    labels = [_("Buổi sinh hoạt"), _("Người tham dự"), _("Lượt hỗ trợ")]
    values = [village.sessions, village.attendees, village.helped] if village else [0, 0, 0]
    positions = [2, 1, 0]
    top.barh(positions, values, color=[BLUE, GREEN, AMBER], height=0.6)
    peak = max([*values, 1])
    for position, value in zip(positions, values, strict=True):
        top.text(value + peak * 0.02, position, tr.number(value), va="center", fontsize=10)
    top.set_yticks(positions, labels, fontsize=10)
    top.set_xlim(0, peak * 1.25)
    top.xaxis.set_major_locator(MaxNLocator(integer=True))
    top.set_title(village.name if village else "", fontsize=11, loc="left", fontweight="bold")
    _style(top)
    bottom = figure.add_subplot(grid[1])
    _indicator_panel(bottom, progress.indicators, tr, _("Chỉ tiêu của xã (vạch đen: chỉ tiêu năm)"))
    figure.subplots_adjust(left=0.30, right=0.97, top=1 - 0.75 / height, bottom=0.45 / height)
    return _png(figure)


def progress_chart(progress: CommuneProgress, tr: Translator, title: str | None = None) -> bytes:
    """The right chart for a commune or a single village."""
    heading = title or progress.commune_name
    if progress.village_only is not None:
        return village_chart(progress, tr, heading)
    return commune_chart(progress, tr, heading)


__all__ = ["FIVE", "commune_chart", "progress_chart", "province_chart", "village_chart"]
