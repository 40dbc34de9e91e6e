"""A commune's or a village's page: the heat-map, the totals, the indicators and their trend, the monthly report
and its downloads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from bot.i18n import Translator
from bot.webpages.flags_html import flags_section, honour_section
from bot.webpages.html import WORDS, layout, period_nav, period_title
from bot.webpages.spot_check_html import spot_check_link
from bot.webpages.svg import heat_map, indicator_chart, trend_charts
from bot.webpages.views import (
    AreaView,
    MonthStatus,
    period_query,
)
from storage.indicators import label as indicator_label
from storage.indicators import short_label
from storage.models import Member
from storage.progress import IndicatorProgress


def _totals(tr: Translator, view: AreaView) -> str:
    """The period's totals in big numbers."""
    _ = tr.gettext
    with_session = sum(1 for r in view.rows if r.sessions)
    boxes = [
        (_("Buổi sinh hoạt"), tr.number(view.sessions), "sessions"),
        (_("Người tham dự"), tr.number(view.attendees), "attendees"),
        (_("Lượt hỗ trợ"), tr.number(view.helped), "helped"),
    ]
    if view.village is None:
        boxes.append(
            (
                _("Thôn có buổi sinh hoạt"),
                _("{n}/{total}").format(n=tr.number(with_session), total=tr.number(len(view.rows))),
                "villages",
            )
        )
    inner = "".join(f'<div data-total="{key}"><b>{value}</b>{escape(name)}</div>' for name, value, key in boxes)
    return f'<section class="totals">{inner}</section>'


def _village_table(tr: Translator, view: AreaView, link_villages: bool) -> str:
    """One line per village: its totals over the period."""
    _ = tr.gettext
    weeks = len(view.weeks)
    head = "".join(
        f"<th>{escape(h)}</th>" for h in (_("Thôn"), _("Buổi"), _("Người dự"), _("Lượt hỗ trợ"), _("Tuần có buổi"))
    )
    lines = []
    for row in view.rows:
        name = escape(row.name)
        if link_villages:
            name = f'<a href="/web/village/{row.id}?{period_query(view.period)}">{name}</a>'
        lines.append(
            f'<tr data-village="{row.id}" data-sessions="{row.sessions}" data-attendees="{row.attendees}" '
            f'data-helped="{row.helped}" data-weeks="{row.weeks_with_session}"><td>{name}</td>'
            f"<td>{tr.number(row.sessions)}</td><td>{tr.number(row.attendees)}</td><td>{tr.number(row.helped)}</td>"
            f"<td>{tr.number(row.weeks_with_session)}/{tr.number(weeks)}</td></tr>"
        )
    if not lines:
        lines.append(f'<tr><td colspan="5">{escape(_(WORDS["no_villages"]))}</td></tr>')
    return (
        f'<div class="scroll" tabindex="0" role="region" aria-label="{escape(_(WORDS["villages"]))}">'
        f'<table data-testid="villages"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table></div>"
    )


def _indicator_table(tr: Translator, items: Sequence[IndicatorProgress]) -> str:
    """The indicators' figures: numerator, denominator, percent, target."""
    _ = tr.gettext
    head = "".join(f"<th>{escape(h)}</th>" for h in (_("Chỉ tiêu"), _("Đạt"), _("Tổng"), _("Tỉ lệ"), _("Mục tiêu")))
    lines = []
    for item in items:
        percent = item.percent
        lines.append(
            f'<tr data-indicator="{escape(item.id)}" data-percent="{"" if percent is None else percent}" '
            f'data-target="{"" if item.target is None else item.target}">'
            f'<td><abbr title="{escape(tr.gettext(indicator_label(item.id)))}">'
            f"{escape(tr.gettext(short_label(item.id)))}</abbr></td>"
            f"<td>{'' if item.numerator is None else tr.number(item.numerator)}</td>"
            f"<td>{'' if item.denominator is None else tr.number(item.denominator)}</td>"
            f"<td>{'' if percent is None else tr.percent(percent / 100)}</td>"
            f"<td>{'' if item.target is None else tr.percent(item.target / 100)}</td></tr>"
        )
    region = f'<div class="scroll" tabindex="0" role="region" aria-label="{escape(_("Chỉ tiêu"))}">'
    return f"{region}<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table></div>"


def _month_status(tr: Translator, status: MonthStatus, today: dt.date) -> str:
    """A month's report: submitted on time or late, or not yet and how long until (or since) the deadline."""
    _ = tr.gettext
    month = _("Tháng {month}/{year}").format(month=status.month.month, year=status.month.year)
    deadline = _("hạn nộp {day}").format(day=tr.date(status.deadline))
    if status.submitted:
        kind, text = ("ok", _("đã nộp đúng hạn")) if status.on_time else ("late", _("đã nộp, trễ hạn"))
    elif today > status.deadline:
        kind, text = "late", _("chưa nộp, đã quá hạn")
    else:
        days = (status.deadline - today).days
        kind, text = "wait", _("chưa nộp, còn {days} ngày").format(days=tr.number(days))
    state = "submitted" if status.submitted else "draft"
    return (
        f'<li data-month="{status.month:%Y-%m}" data-status="{state}"><b>{escape(month)}</b>: '
        f'<span class="{kind}">{escape(text)}</span> ({escape(deadline)})</li>'
    )


def _downloads(tr: Translator, base: str, months: Sequence[MonthStatus]) -> str:
    """XLSX and CSV of each month's report, as `/baocao` and `bdhvs report` make them."""
    _ = tr.gettext
    links = []
    for status in months:
        query = f"month={status.month:%Y-%m}"
        month = _("Tháng {month}/{year}").format(month=status.month.month, year=status.month.year)
        links.append(
            f'<a href="{base}/report.xlsx?{query}" download>{escape(_(WORDS["excel_of"]).format(month=month))}</a>'
            f'<a href="{base}/report.csv?{query}" download>{escape(_(WORDS["csv_of"]).format(month=month))}</a>'
        )
    return f'<p class="downloads">{"".join(links)}</p>'


def _up_link(href: str, name: str) -> str:
    """A link up to the area above."""
    return f'<p><a href="{href}">‹ {escape(name)}</a></p>'


def area_page(
    tr: Translator, member: Member, view: AreaView, today: dt.date, programmes: str = "", form_token: str = ""
) -> str:
    """A commune's page (or a village's): the heat-map, totals, indicators, the province's programmes (the
    section `programmes_html.section` made, if any), the report and its downloads; `form_token` the session's
    CSRF token its forms (the sign-out) carry."""
    _ = tr.gettext
    if view.village is not None:
        base = f"/web/village/{view.village.id}"
        title = _("{village}, {commune}").format(village=view.village.name, commune=view.commune_name)
    else:
        base = f"/web/commune/{view.commune_code}"
        title = view.commune_name
    heading = f"{escape(title)} – {escape(period_title(tr, view.period))}"
    up = ""
    if view.village is not None and member.role not in ("member", "team_lead"):
        up = _up_link(f"/web/commune/{view.commune_code}?{period_query(view.period)}", view.commune_name)
    elif view.village is None and member.role == "province_viewer":
        up = _up_link(f"/web/province/{view.province_code}?{period_query(view.period)}", view.province_name)
    body = [
        up,
        f"<h1>{heading}</h1>",
        period_nav(tr, base, view.period, today),
        _totals(tr, view),
        f"<section><h2>{escape(_(WORDS['weeks']))}</h2>{heat_map(tr, view.weeks, view.rows)}</section>",
        f"<section><h2>{escape(_(WORDS['villages']))}</h2>{_village_table(tr, view, view.village is None)}</section>",
    ]
    if view.village is None:
        body.append(flags_section(tr, view.flags, spot_check_link(tr, member, view.commune_code)))
        body.append(honour_section(tr, view.honour, communes=False))
        month = _("Tháng {month}/{year}").format(month=view.indicator_month.month, year=view.indicator_month.year)
        body.append(
            f"<section><h2>{escape(_(WORDS['indicators_of']).format(month=month))}</h2>"
            f"{indicator_chart(tr, view.indicators)}{_indicator_table(tr, view.indicators)}</section>"
        )
        body.append(programmes)
        if view.trend:
            charts = trend_charts(tr, view.trend)
            body.append(f'<section data-testid="trend"><h2>{escape(_(WORDS["trend"]))}</h2>{charts}</section>')
        statuses = "".join(_month_status(tr, s, today) for s in view.months)
        body.append(
            f'<section data-testid="report"><h2>{escape(_(WORDS["monthly_report"]))}</h2><ul>{statuses}</ul>'
            f"{_downloads(tr, base, view.months)}</section>"
        )
    else:
        body.append(programmes)
    return layout(tr, f"{title} – {period_title(tr, view.period)}", "".join(body), member, form_token)
