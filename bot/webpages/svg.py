"""The leaders' pages' charts as inline SVG: the heat-map of weeks, the indicators' bars and the monthly trend
lines. No script: the server draws them, so they show on a LAN with no internet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from bot.i18n import Translator
from bot.webpages.html import WORDS
from bot.webpages.views import (
    Cell,
    TrendMonth,
    VillageRow,
)
from storage.indicators import label as indicator_label
from storage.periods import Period
from storage.progress import IndicatorProgress

# Heat-map colours: no session, sessions with few to many attendees, a week not begun.
NONE_COLOUR, FUTURE_COLOUR = "#f4c7c3", "#e8ebef"
SESSION_COLOURS = ("#b7e1c1", "#7cc791", "#3c9f5c", "#17703a")


def _cell_colour(cell: Cell) -> str:
    """A week's colour: no session, or green deeper with more attendees."""
    if cell.sessions is None:
        return FUTURE_COLOUR
    if not cell.sessions:
        return NONE_COLOUR
    steps = (20, 50, 100)
    return SESSION_COLOURS[sum(1 for step in steps if cell.attendees >= step)]


def heat_map(tr: Translator, weeks: Sequence[Period], rows: Sequence[VillageRow]) -> str:
    """Villages × weeks as an SVG: each cell a week of a village, its attendees written in it."""
    _ = tr.gettext
    name_w, cell_w, cell_h, head_h = 118, 46, 34, 26
    width = name_w + cell_w * len(weeks)
    height = head_h + cell_h * max(len(rows), 1)
    parts = [
        f'<svg data-testid="heatmap" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'style="min-width:{int(width * 0.8)}px;max-width:{int(width * 1.5)}px" '
        f'aria-label="{escape(_(WORDS["heat_map"]))}">'
    ]
    for index, week in enumerate(weeks):
        x = name_w + index * cell_w + cell_w / 2
        parts.append(f'<text x="{x}" y="17" font-size="12" text-anchor="middle">{tr.short_date(week.start)}</text>')
    # What every row repeats, written once and escaped once: each week's dates and the cells' words (escaping
    # is character by character, so the escaped words filled with escaped values are the escaped sentence).
    spans = _("{start} – {end}")
    week_dates = [escape(spans.format(start=tr.short_date(w.start), end=tr.short_date(w.end))) for w in weeks]
    week_keys = [w.start.isoformat() for w in weeks]
    not_yet = escape(_("{village}, {dates}: tuần chưa tới"))
    none_held = escape(_("{village}, {dates}: chưa có buổi sinh hoạt"))
    held_text = escape(_("{village}, {dates}: {sessions} buổi, {attendees} người dự, {helped} lượt hỗ trợ"))
    for r, row in enumerate(rows):
        y = head_h + r * cell_h
        name = row.name if len(row.name) <= 16 else row.name[:15] + "…"
        village = escape(row.name)
        parts.append(
            f'<text x="4" y="{y + cell_h / 2 + 4}" font-size="13"><title>{village}</title>{escape(name)}</text>'
        )
        for c, cell in enumerate(row.cells):
            x = name_w + c * cell_w
            dates = week_dates[c]
            if cell.sessions is None:
                tip, text = not_yet.format(village=village, dates=dates), ""
            elif not cell.sessions:
                tip, text = none_held.format(village=village, dates=dates), "0"
            else:
                text = tr.number(cell.attendees)  # digits and separators: nothing to escape
                tip = held_text.format(
                    village=village,
                    dates=dates,
                    sessions=tr.number(cell.sessions),
                    attendees=text,
                    helped=tr.number(cell.helped),
                )
            colour = _cell_colour(cell)
            ink = "#fff" if colour in SESSION_COLOURS[2:] else "#1c2430"
            parts.append(
                f'<g data-village="{row.id}" data-week="{week_keys[c]}" '
                f'data-sessions="{"" if cell.sessions is None else cell.sessions}" data-attendees="{cell.attendees}" '
                f'data-helped="{cell.helped}"><title>{tip}</title>'
                f'<rect x="{x + 2}" y="{y + 2}" width="{cell_w - 4}" height="{cell_h - 4}" rx="4" fill="{colour}"/>'
                f'<text x="{x + cell_w / 2}" y="{y + cell_h / 2 + 4}" font-size="12" text-anchor="middle" '
                f'fill="{ink}">{text}</text></g>'
            )
    parts.append("</svg>")
    legend = (
        f'<p class="legend"><span style="background:{NONE_COLOUR}"></span>{escape(_(WORDS["no_session"]))}'
        f'<span style="background:{SESSION_COLOURS[1]}"></span>{escape(_(WORDS["with_session"]))}'
        f'<span style="background:{FUTURE_COLOUR}"></span>{escape(_(WORDS["future_week"]))}</p>'
    )
    region = f'<div class="scroll" tabindex="0" role="region" aria-label="{escape(_(WORDS["heat_map"]))}">'
    return f"{region}{''.join(parts)}</div>{legend}"


def indicator_chart(tr: Translator, items: Sequence[IndicatorProgress]) -> str:
    """Each indicator's percent as a bar, its target as a mark: a horizontal bar chart in SVG."""
    _ = tr.gettext
    width, bar_h, gap, left = 320, 16, 40, 4
    height = gap * len(items) + 8
    parts = [
        f'<svg data-testid="indicators" role="img" viewBox="0 0 {width + 70} {height}" width="100%" '
        f'aria-label="{escape(_(WORDS["indicator_chart"]))}">'
    ]
    for index, item in enumerate(items):
        y = index * gap + 18
        percent = item.percent
        label = tr.gettext(indicator_label(item.id))
        parts.append(f'<text x="{left}" y="{y - 4}" font-size="12">{escape(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{width}" height="{bar_h}" fill="#e8ebef" rx="3"/>')
        if percent is not None:
            colour = "#17703a" if item.on_track else ("#a4161a" if item.on_track is False else "#0b5cab")
            bar = width * min(percent, 100) / 100
            parts.append(f'<rect x="{left}" y="{y}" width="{bar:.1f}" height="{bar_h}" fill="{colour}" rx="3"/>')
        if item.target is not None:
            x = left + width * min(item.target, 100) / 100
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y - 3}" y2="{y + bar_h + 3}" stroke="#1c2430" stroke-width="2">'
                f"<title>{escape(_(WORDS['target_mark']).format(target=tr.percent(item.target / 100)))}</title></line>"
            )
        shown = tr.percent(percent / 100) if percent is not None else _("chưa có")
        parts.append(f'<text x="{left + width + 6}" y="{y + 12}" font-size="12">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# A line chart's series: (key, name, colour, dashed, one value per month: None where there is none).
Series = tuple[str, str, str, bool, Sequence[float | None]]


def _round_up(value: float) -> float:
    """The smallest of 2, 4, 6, 8, 10, 20, 40, ... (a scale whose half is a whole number) at or above the value."""
    step = 1.0
    while True:
        for multiple in (2, 4, 6, 8, 10):
            if step * multiple >= value:
                return step * multiple
        step *= 10


def line_chart(
    tr: Translator,
    key: str,
    title: str,
    months: Sequence[dt.date],
    series: Sequence[Series],
    percent: bool,
    labels: Sequence[str] | None = None,
) -> str:
    """Months along the bottom, one line per series (a dashed one for a target), as inline SVG. Each point
    carries its raw value in `data-value`, so a test reads what is drawn. `labels`: the months' short names,
    escaped (the charts of a page share them)."""
    width, height, left, right, top, bottom = 340, 170, 40, 12, 12, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s[4] if v is not None]
    # Percents on 0–100 % (higher when a figure is above it); counts up to a round number above the highest.
    ceiling = max([100.0, *values]) if percent else _round_up(max([1.0, *values]))
    # Each month's x, written once (every point of the month and its label share it).
    xs = [
        f"{left + (plot_w * i / (len(months) - 1) if len(months) > 1 else plot_w / 2):.1f}" for i in range(len(months))
    ]

    def y(value: float) -> float:
        return top + plot_h * (1 - value / ceiling)

    def shown(value: float) -> str:
        return tr.percent(value / 100) if percent else tr.number(round(value, 1))

    parts = [
        f'<svg data-trend="{escape(key)}" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:30rem" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for fraction in (0, 0.5, 1):
        gy = y(ceiling * fraction)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{gy:.1f}" y2="{gy:.1f}" stroke="#e3e7ed"/>')
        tick = escape(shown(ceiling * fraction))
        parts.append(f'<text x="{left - 4}" y="{gy + 4:.1f}" font-size="10" text-anchor="end">{tick}</text>')
    if labels is None:
        labels = [escape(tr.month_short(month)) for month in months]
    for i, label in enumerate(labels):
        parts.append(f'<text x="{xs[i]}" y="{height - 6}" font-size="10" text-anchor="middle">{label}</text>')
    keys = [f"{month:%Y-%m}" for month in months]
    for series_key, name, colour, dashed, points in series:
        drawn = [(i, v, f"{y(v):.1f}") for i, v in enumerate(points) if v is not None]
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        if len(drawn) > 1:
            path = " ".join(f"{xs[i]},{cy}" for i, _v, cy in drawn)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        tag, radius, label = escape(series_key), 2 if dashed else 3.5, escape(name)
        for i, v, cy in drawn:
            parts.append(
                f'<circle data-series="{tag}" data-month="{keys[i]}" data-value="{v}" '
                f'cx="{xs[i]}" cy="{cy}" r="{radius}" fill="{colour}">'
                f"<title>{label}: {shown(v)}</title></circle>"  # a number: nothing to escape
            )
    parts.append("</svg>")
    return "".join(parts)


def trend_charts(tr: Translator, trend: Sequence[TrendMonth]) -> str:
    """The commune's months since January: sessions, villages with a session, then each indicator, each against
    its target (the rule of a session a week in every village; every village; the year's target)."""
    _ = tr.gettext
    months = [m.month for m in trend]
    figure, target = _(WORDS["figure"]), _(WORDS["target"])
    charts: list[tuple[str, str, list[Series], bool]] = [
        (
            "sessions",
            _(WORDS["trend_sessions"]),
            [
                ("value", figure, "#0b5cab", False, [float(m.sessions) for m in trend]),
                ("target", target, "#1c2430", True, [float(m.villages * m.weeks) for m in trend]),
            ],
            False,
        ),
        (
            "villages_with_session",
            _(WORDS["trend_villages"]),
            [
                ("value", figure, "#0b5cab", False, [float(m.villages_with_session) for m in trend]),
                ("target", target, "#1c2430", True, [float(m.villages) for m in trend]),
            ],
            False,
        ),
    ]
    for index, item in enumerate(trend[-1].indicators if trend else []):
        by_month = [m.indicators[index] for m in trend]
        charts.append(
            (
                item.id,
                tr.gettext(indicator_label(item.id)),
                [
                    ("value", figure, "#0b5cab", False, [i.percent for i in by_month]),
                    ("target", target, "#1c2430", True, [i.target for i in by_month]),
                ],
                True,
            )
        )
    labels = [escape(tr.month_short(month)) for month in months]
    blocks = "".join(
        f'<figure class="trend"><figcaption>{escape(title)}</figcaption>'
        f"{line_chart(tr, key, title, months, series, percent, labels)}</figure>"
        for key, title, series, percent in charts
    )
    return f'<p class="legend">{escape(_(WORDS["trend_hint"]))}</p><div class="trends">{blocks}</div>'
