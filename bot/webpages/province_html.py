"""A province's page: every commune in one sortable, filterable table, the communes furthest behind, the
reporting rates by month and the province report's downloads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from bot.i18n import Translator
from bot.webpages.html import WORDS, layout, period_nav, period_title
from bot.webpages.svg import Series, line_chart
from bot.webpages.views import (
    FILTERS,
    filter_communes,
    furthest_behind,
    period_query,
    village_share,
)
from storage.indicators import FIVE, INDICATORS
from storage.models import Member
from storage.periods import Period
from storage.progress import CommuneTotals, ProvinceRollup, ReportingMonth
from storage.text import fold

NUMERIC_COLUMNS = ("submitted", "villages", "sessions", "attendees", "helped", "achievement", *FIVE)


# The province table's columns: (key, heading); a heading links to the page sorted by its column.
def _province_columns(tr: Translator) -> list[tuple[str, str]]:
    _ = tr.gettext
    return [
        ("name", _("Xã")),
        ("submitted", _("Báo cáo")),
        ("villages", _("Thôn có buổi")),
        ("sessions", _("Buổi")),
        ("attendees", _("Người dự")),
        ("helped", _("Lượt hỗ trợ")),
        ("achievement", _("Đạt chỉ tiêu")),
        *((indicator, _(INDICATORS[indicator][1])) for indicator in FIVE),
    ]


def _column_value(c: CommuneTotals, key: str) -> float | None:
    """A commune's value in a numeric column of the province table (None: not known, e.g. no figure yet)."""
    if key == "submitted":
        return (2.0 if c.on_time else 1.0) if c.submitted else 0.0
    if key == "villages":
        return c.villages_with_session / c.villages if c.villages else 0.0
    if key == "achievement":
        return c.achievement()
    if key in FIVE:
        return target_share(c, key)
    return float({"sessions": c.sessions, "attendees": c.attendees, "helped": c.helped}.get(key, 0))


def target_share(c: CommuneTotals, indicator: str) -> float | None:
    """How far a commune is toward the year's target of one national indicator (its percent over the target; None
    without a figure or a target), the figure its column shows and sorts by."""
    percent, target = c.percent(indicator), c.targets.get(indicator)
    return percent / target if percent is not None and target else None


def _indicator_cells(tr: Translator, c: CommuneTotals) -> str:
    """One cell per national indicator: the share of the year's target reached, with the figure and the target
    in a tooltip and `data-*` (a dash when the commune entered no figure or has no target)."""
    _ = tr.gettext
    cells = []
    for indicator in FIVE:
        share = target_share(c, indicator)
        if share is None:
            cells.append(f'<td data-indicator="{indicator}">–</td>')
            continue
        percent, target = c.percent(indicator) or 0.0, c.targets[indicator]
        hint = _("{percent} trên mục tiêu {target}").format(
            percent=tr.percent(percent / 100), target=tr.percent(target / 100)
        )
        cells.append(
            f'<td data-indicator="{indicator}" data-share="{share:.4f}" title="{escape(hint)}">{tr.percent(share)}</td>'
        )
    return "".join(cells)


def sort_communes(communes: Sequence[CommuneTotals], key: str, descending: bool) -> list[CommuneTotals]:
    """The communes sorted by one column: names without diacritics' weight, numbers with the unknown last."""
    by_name = sorted(communes, key=lambda c: (fold(c.name), c.code))
    if key not in NUMERIC_COLUMNS:
        return by_name[::-1] if descending else by_name
    values = {c.code: _column_value(c, key) for c in by_name}
    known = [c for c in by_name if values[c.code] is not None]
    unknown = [c for c in by_name if values[c.code] is None]
    return sorted(known, key=lambda c: values[c.code] or 0.0, reverse=descending) + unknown


def _filter_nav(tr: Translator, base: str, rollup: ProvinceRollup, chosen: str, sort_query: str) -> str:
    """Links filtering the communes' table (`?filter=`), each with how many communes it keeps: no script."""
    _ = tr.gettext
    month = rollup.period.start
    links = []
    for kind in FILTERS:
        count = len(filter_communes(rollup.communes, kind, month))
        name = _(WORDS["filter_count"]).format(name=_(WORDS[f"filter_{kind}"]), n=tr.number(count))
        current = ' aria-current="page"' if kind == chosen else ""
        href = f"{base}?{period_query(Period.month(month))}&amp;filter={kind}{sort_query}"
        links.append(f'<a data-filter="{kind}"{current} href="{href}">{escape(name)}</a>')
    return f'<nav class="period" aria-label="{escape(_(WORDS["filter_label"]))}">{"".join(links)}</nav>'


def _behind(tr: Translator, rollup: ProvinceRollup) -> str:
    """The ten communes furthest behind, each linking to its page."""
    _ = tr.gettext
    query = period_query(Period.month(rollup.period.start))
    lines = []
    for c in furthest_behind(rollup.communes):
        achievement = c.achievement()
        detail = _(WORDS["behind_line"]).format(
            share=tr.percent(village_share(c)), achievement=tr.percent(achievement) if achievement is not None else "–"
        )
        lines.append(
            f'<li data-commune="{c.code}"><a href="/web/commune/{c.code}?{query}">{escape(c.name)}</a>: '
            f"{escape(detail)}</li>"
        )
    return (
        f'<section data-testid="behind"><h2>{escape(_(WORDS["behind"]))}</h2>'
        f'<p class="legend">{escape(_(WORDS["behind_hint"]))}</p><ol>{"".join(lines)}</ol></section>'
    )


def _rates(tr: Translator, rates: Sequence[ReportingMonth]) -> str:
    """The reporting and on-time rates of each month since January, as a line chart."""
    _ = tr.gettext
    if not rates:
        return ""
    series: list[Series] = [
        ("reporting", _(WORDS["reporting_rate"]), "#0b5cab", False, [r.reporting_rate for r in rates]),
        ("on_time", _(WORDS["on_time_rate"]), "#c05600", False, [r.on_time_rate for r in rates]),
    ]
    chart = line_chart(tr, "rates", _(WORDS["rates"]), [r.month for r in rates], series, True)
    return (
        f'<section data-testid="rates"><h2>{escape(_(WORDS["rates"]))}</h2>'
        f'<p class="legend">{escape(_(WORDS["rates_hint"]))}</p>{chart}</section>'
    )


def province_page(
    tr: Translator,
    member: Member,
    rollup: ProvinceRollup,
    period: Period,
    today: dt.date,
    sort: str,
    descending: bool,
    chosen: str = "all",
    rates: Sequence[ReportingMonth] = (),
    programmes: str = "",
    supervision: str = "",
    form_token: str = "",
) -> str:
    """A province's month: who reported, the communes furthest behind, the rates by month, and every commune in
    a table filtered and sorted as asked; `supervision` is the flags and honour roll's sections (flags_html)."""
    _ = tr.gettext
    base = f"/web/province/{rollup.province_code}"
    month = Period.month(rollup.period.start)
    chosen = chosen if chosen in FILTERS else "all"
    heads = _column_heads(tr, base, month, chosen, sort, descending)
    rows = _commune_rows(tr, rollup, month, chosen, sort, descending, len(heads))
    sort_query = f"&amp;sort={sort}&amp;order={'desc' if descending else 'asc'}"
    query = f"month={month.start:%Y-%m}"
    downloads = (
        f'<p class="downloads"><a href="{base}/report.xlsx?{query}" download>{escape(_(WORDS["get_excel"]))}</a>'
        f'<a href="{base}/report.csv?{query}" download>{escape(_(WORDS["get_csv"]))}</a></p>'
    )
    columns_hint = _(
        "Cột «Đạt chỉ tiêu»: trung bình 5 chỉ tiêu; mỗi cột chỉ tiêu: tỉ lệ của xã chia cho mục tiêu năm "
        "(100% là đạt). Bấm tên cột để xếp."
    )
    body = (
        f"<h1>{escape(rollup.province_name)} – {escape(period_title(tr, month))}</h1>"
        f"{period_nav(tr, base, month, today)}"
        f'<section class="totals">{_totals(tr, rollup)}</section>'
        f"{_behind(tr, rollup)}{programmes}{supervision}{_rates(tr, rates)}"
        f"<section><h2>{escape(_(WORDS['communes']))}</h2>{_filter_nav(tr, base, rollup, chosen, sort_query)}"
        f'<p class="legend">{escape(columns_hint)}</p>'
        f'<div class="scroll" tabindex="0" role="region" aria-label="{escape(_(WORDS["communes"]))}">'
        f'<table data-testid="communes"><thead><tr>'
        f"{''.join(heads)}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"
        f"<section><h2>{escape(_(WORDS['province_downloads']))}</h2>{downloads}</section>"
    )
    return layout(tr, f"{rollup.province_name} – {period_title(tr, month)}", body, member, form_token)


def _totals(tr: Translator, rollup: ProvinceRollup) -> str:
    """The month's boxes: communes that reported, the reporting and on-time rates, the sessions."""
    _ = tr.gettext
    rate = rollup.reporting_rate
    on_time = rollup.on_time_rate
    boxes = [
        (_("Xã đã nộp"), _("{n}/{total}").format(n=tr.number(rollup.submitted), total=tr.number(rollup.expected))),
        (_("Tỉ lệ nộp"), tr.percent(rate / 100) if rate is not None else "–"),
        (_("Nộp đúng hạn"), tr.percent(on_time / 100) if on_time is not None else "–"),
        (_("Buổi sinh hoạt"), tr.number(rollup.sessions)),
    ]
    return "".join(f"<div><b>{value}</b>{escape(name)}</div>" for name, value in boxes)


def _column_heads(tr: Translator, base: str, month: Period, chosen: str, sort: str, descending: bool) -> list[str]:
    """The communes table's headings, each a link sorting by it (the other way when it is the sort already)."""
    heads = []
    keep = f"&amp;filter={chosen}" if chosen != "all" else ""
    for key, heading in _province_columns(tr):
        flip = "asc" if key == sort and descending else "desc"
        if key == "name" and key != sort:
            flip = "asc"
        mark = (" ▼" if descending else " ▲") if key == sort else ""
        sorted_attr = f' aria-sort="{"descending" if descending else "ascending"}"' if key == sort else ""
        heads.append(
            f'<th{sorted_attr}><a href="{base}?{period_query(month)}{keep}&amp;sort={key}&amp;order={flip}">'
            f"{escape(heading)}{mark}</a></th>"
        )
    return heads


def _commune_rows(
    tr: Translator,
    rollup: ProvinceRollup,
    month: Period,
    chosen: str,
    sort: str,
    descending: bool,
    columns: int,
) -> list[str]:
    """The communes table's rows, filtered and sorted as asked (a line saying none when the filter keeps none)."""
    _ = tr.gettext
    rows = []
    shown = filter_communes(rollup.communes, chosen, month.start)
    for c in sort_communes(shown, sort, descending):
        if c.submitted:
            state = (
                f'<span class="ok">{escape(_(WORDS["on_time"]))}</span>'
                if c.on_time
                else f'<span class="late">{escape(_(WORDS["late"]))}</span>'
            )
        else:
            state = f'<span class="wait">{escape(_(WORDS["not_submitted"]))}</span>'
        achievement = c.achievement()
        rows.append(
            f'<tr data-commune="{c.code}" data-sessions="{c.sessions}" data-submitted="{str(c.submitted).lower()}">'
            f'<td><a href="/web/commune/{c.code}?{period_query(month)}">{escape(c.name)}</a></td><td>{state}</td>'
            f"<td>{tr.number(c.villages_with_session)}/{tr.number(c.villages)}</td><td>{tr.number(c.sessions)}</td>"
            f"<td>{tr.number(c.attendees)}</td><td>{tr.number(c.helped)}</td>"
            f"<td>{tr.percent(achievement) if achievement is not None else '–'}</td>{_indicator_cells(tr, c)}</tr>"
        )
    if not rows:
        rows.append(f'<tr><td colspan="{columns}">{escape(_(WORDS["no_commune"]))}</td></tr>')
    return rows
