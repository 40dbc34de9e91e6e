"""The leaders' pages as HTML: server-rendered, mobile first, charts as inline SVG, no script and no CDN.

Every word goes through the person's translator (Vietnamese first); numbers, percents and dates through Babel.
Figures a test or a script may want to read are also written raw in `data-*` attributes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from urllib.parse import quote

from bot.i18n import Translator
from bot.webpages.views import (
    FILTERS,
    AreaView,
    Cell,
    MonthStatus,
    TrendMonth,
    VillageRow,
    filter_communes,
    furthest_behind,
    period_query,
    village_share,
)
from storage.indicators import label as indicator_label
from storage.indicators import short_label
from storage.models import Member
from storage.periods import PERIOD_QUARTER, Period
from storage.progress import CommuneTotals, IndicatorProgress, ProvinceRollup, ReportingMonth
from storage.supervision import CROWD_FACTOR, CROWD_WEEKS, LATE_DAYS, RULE_BURST, RULE_CROWD, Flag
from storage.text import fold
from storage.vocab import N_, ROLES

STYLE_PATH = "/web/static/leaders.css"

STYLE = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1c2430;
background:#f5f7fa;line-height:1.45;font-size:16px}
header{background:#0b5cab;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;
justify-content:space-between}
header a{color:#fff}
header form{margin:0}
header button{background:transparent;color:#fff;border:1px solid #fff;border-radius:.4rem;padding:.3rem .7rem;
font-size:.9rem}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.2rem 0 .8rem}
h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
section{background:#fff;border-radius:.6rem;padding:.8rem 1rem;margin:0 0 1rem;box-shadow:0 1px 2px #0001}
nav.period{display:flex;flex-wrap:wrap;gap:.5rem;margin:0 0 1rem}
nav.period a{padding:.35rem .7rem;border:1px solid #0b5cab;border-radius:1rem;text-decoration:none;color:#0b5cab}
nav.period a[aria-current]{background:#0b5cab;color:#fff}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{padding:.35rem .4rem;border-bottom:1px solid #e3e7ed;text-align:right}
td{white-space:nowrap}
th:first-child,td:first-child{text-align:left;white-space:normal}
th a{color:inherit}
.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(8rem,1fr));gap:.6rem}
.totals div{background:#eef4fb;border-radius:.5rem;padding:.5rem}
.totals b{display:block;font-size:1.3rem}
.ok{color:#17703a}.late{color:#a4161a}.wait{color:#8a5a00}
.downloads a{display:inline-block;margin:.2rem .5rem .2rem 0;padding:.4rem .8rem;background:#0b5cab;color:#fff;
border-radius:.4rem;text-decoration:none}
.legend{font-size:.85rem;color:#445}
.legend span{display:inline-block;width:.9rem;height:.9rem;vertical-align:middle;margin:0 .2rem 0 .6rem;
border-radius:.15rem}
svg text{font-family:inherit}
.trends{display:grid;grid-template-columns:repeat(auto-fit,minmax(17rem,1fr));gap:.6rem 1rem}
figure.trend{margin:0}
figure.trend figcaption{font-size:.9rem;margin:.2rem 0}
.message{max-width:30rem;margin:3rem auto;text-align:center}
"""

# Heat-map colours: no session, sessions with few to many attendees, a week not begun.
NONE_COLOUR, FUTURE_COLOUR = "#f4c7c3", "#e8ebef"
SESSION_COLOURS = ("#b7e1c1", "#7cc791", "#3c9f5c", "#17703a")


# The words of the pages, marked here because a message id inside an f-string is not extracted.
WORDS: dict[str, str] = {
    "sign_out": N_("Đăng xuất"),
    "site": N_("Bình dân học vụ số – Bảng theo dõi"),
    "by_month": N_("Theo tháng"),
    "whole_quarter": N_("Cả quý"),
    "choose_period": N_("Chọn kỳ"),
    "heat_map": N_("Bản đồ nhiệt: buổi sinh hoạt của từng thôn theo tuần"),
    "no_session": N_("chưa có buổi"),
    "with_session": N_("có buổi (số trong ô: người dự)"),
    "future_week": N_("tuần chưa tới"),
    "no_villages": N_("Xã chưa có thôn nào."),
    "indicator_chart": N_("Chỉ tiêu: tỉ lệ đạt so với mục tiêu"),
    "target_mark": N_("Mục tiêu {target}"),
    "excel_of": N_("Excel {month}"),
    "csv_of": N_("CSV {month}"),
    "weeks": N_("Sinh hoạt theo tuần"),
    "villages": N_("Các thôn"),
    "indicators_of": N_("Chỉ tiêu – {month}"),
    "monthly_report": N_("Báo cáo tháng"),
    "on_time": N_("đúng hạn"),
    "late": N_("trễ hạn"),
    "not_submitted": N_("chưa nộp"),
    "get_excel": N_("Tải Excel"),
    "get_csv": N_("Tải CSV"),
    "communes": N_("Các xã"),
    "province_downloads": N_("Tải báo cáo của tỉnh"),
    "open_page": N_("Mở bảng theo dõi"),
    "sign_in": N_("Đăng nhập"),
    "trend": N_("Diễn biến theo tháng từ tháng 1"),
    "trend_hint": N_("Đường liền: số của báo cáo từng tháng; đường đứt: mục tiêu."),
    "trend_sessions": N_("Buổi sinh hoạt (mục tiêu: mỗi thôn mỗi tuần một buổi)"),
    "trend_villages": N_("Thôn có buổi sinh hoạt trong tháng (mục tiêu: mọi thôn)"),
    "target": N_("Mục tiêu"),
    "figure": N_("Số liệu"),
    "month_short": N_("T{month}"),
    "filter_all": N_("Tất cả"),
    "filter_submitted": N_("Đã nộp"),
    "filter_not_submitted": N_("Chưa nộp"),
    "filter_on_time": N_("Nộp đúng hạn"),
    "filter_late": N_("Nộp trễ hạn"),
    "filter_below_target": N_("Chậm so với mục tiêu"),
    "filter_label": N_("Lọc các xã"),
    "filter_count": N_("{name} ({n})"),
    "no_commune": N_("Không có xã nào."),
    "behind": N_("Các xã chậm nhất"),
    "behind_hint": N_(
        "Xếp theo tỉ lệ thôn có buổi sinh hoạt trong tháng (thấp nhất trước), rồi theo mức đạt chỉ tiêu "
        "(trung bình tỉ lệ đạt so với mục tiêu năm của 5 chỉ tiêu; chưa nhập số liệu xếp trước)."
    ),
    "behind_line": N_("thôn có buổi {share} · đạt chỉ tiêu {achievement}"),
    "rates": N_("Tỉ lệ nộp báo cáo theo tháng từ tháng 1"),
    "reporting_rate": N_("Tỉ lệ xã đã nộp"),
    "on_time_rate": N_("Tỉ lệ xã nộp đúng hạn"),
    "rates_hint": N_("Xanh: đã nộp; cam: nộp đúng hạn; trên tổng số xã của tỉnh."),
    "flags": N_("Mục nên xem lại"),
    "flags_hint": N_(
        "Để kiểm tra lại cho chắc, không phải kết luận sai phạm: số người dự vượt xa mức thường của thôn, "
        "nhiều buổi của nhiều thôn do một người ghi trong một ngày, buổi ghi muộn quá {days} ngày."
    ),
    "no_flags": N_("Không có mục nào cần xem lại trong kỳ này."),
    "flag_crowd": N_(
        "{village}, ngày {date}: {attendees} người dự, hơn {factor} lần mức thường của thôn "
        "(trung vị {median} người các buổi {weeks} tuần trước). Người ghi: {who}."
    ),
    "flag_burst": N_("{who} ghi {n} buổi của {villages} thôn trong ngày {day}: {entries}."),
    "flag_burst_entry": N_("{village} ngày {date}"),
    "flag_late": N_("{village}, ngày {date}: ghi sau {days} ngày (ngày ghi {day}). Người ghi: {who}."),
    "mini_app_hint": N_("Trang này mở từ Telegram. Nếu không tự mở, bạn gõ /web trong chat với bot."),
}


def layout(tr: Translator, title: str, body: str, member: Member | None = None) -> str:
    """A whole page: the header (who is signed in, the sign-out), the body, in the person's language."""
    _ = tr.gettext
    who = ""
    if member is not None:
        who = (
            f"<span>{escape(member.display_name)} · {escape(tr.gettext(ROLES.get(member.role, member.role)))}</span>"
            f'<form method="post" action="/web/signout">'
            f'<button type="submit">{escape(_(WORDS["sign_out"]))}</button></form>'
        )
    return (
        f'<!doctype html><html lang="{tr.locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="{STYLE_PATH}"></head><body>'
        f'<header><a href="/web"><b>{escape(_(WORDS["site"]))}</b></a>{who}</header>'
        f"<main>{body}</main></body></html>"
    )


def message_page(tr: Translator, title: str, lines: Sequence[str]) -> str:
    """A page that only says something (a refused link, a missing sign-in, a forbidden area): never any data."""
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return layout(
        tr, title, f'<section class="message" data-testid="message"><h1>{escape(title)}</h1>{paragraphs}</section>'
    )


def period_title(tr: Translator, period: Period) -> str:
    """Tháng 11/2026, or Quý 4/2026."""
    _ = tr.gettext
    if period.kind == PERIOD_QUARTER:
        return _("Quý {quarter}/{year}").format(quarter=period.quarter, year=period.start.year)
    return _("Tháng {month}/{year}").format(month=period.start.month, year=period.start.year)


def _period_nav(tr: Translator, base: str, period: Period, today: dt.date) -> str:
    """Links to the previous and next period, the month and its quarter."""
    _ = tr.gettext
    before = period.previous()
    after = Period.holding(period.kind, period.end + dt.timedelta(days=1))
    links = [f'<a href="{base}?{period_query(before)}">‹ {escape(period_title(tr, before))}</a>']
    links.append(f'<a aria-current="page" href="{base}?{period_query(period)}">{escape(period_title(tr, period))}</a>')
    if after.start <= today:
        links.append(f'<a href="{base}?{period_query(after)}">{escape(period_title(tr, after))} ›</a>')
    if period.kind == PERIOD_QUARTER:
        this_month = Period.month(min(period.end, today))
        links.append(f'<a href="{base}?{period_query(this_month)}">{escape(_(WORDS["by_month"]))}</a>')
    else:
        quarter = Period.holding(PERIOD_QUARTER, period.start)
        links.append(f'<a href="{base}?{period_query(quarter)}">{escape(_(WORDS["whole_quarter"]))}</a>')
    return f'<nav class="period" aria-label="{escape(_(WORDS["choose_period"]))}">{"".join(links)}</nav>'


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
    for r, row in enumerate(rows):
        y = head_h + r * cell_h
        name = row.name if len(row.name) <= 16 else row.name[:15] + "…"
        parts.append(
            f'<text x="4" y="{y + cell_h / 2 + 4}" font-size="13">'
            f"<title>{escape(row.name)}</title>{escape(name)}</text>"
        )
        for c, (week, cell) in enumerate(zip(weeks, row.cells, strict=True)):
            x = name_w + c * cell_w
            dates = _("{start} – {end}").format(start=tr.short_date(week.start), end=tr.short_date(week.end))
            if cell.sessions is None:
                tip, text = _("{village}, {dates}: tuần chưa tới").format(village=row.name, dates=dates), ""
            elif not cell.sessions:
                tip, text = _("{village}, {dates}: chưa có buổi sinh hoạt").format(village=row.name, dates=dates), "0"
            else:
                tip = _("{village}, {dates}: {sessions} buổi, {attendees} người dự, {helped} lượt hỗ trợ").format(
                    village=row.name,
                    dates=dates,
                    sessions=tr.number(cell.sessions),
                    attendees=tr.number(cell.attendees),
                    helped=tr.number(cell.helped),
                )
                text = tr.number(cell.attendees)
            colour = _cell_colour(cell)
            ink = "#fff" if colour in SESSION_COLOURS[2:] else "#1c2430"
            parts.append(
                f'<g data-village="{row.id}" data-week="{week.start.isoformat()}" '
                f'data-sessions="{"" if cell.sessions is None else cell.sessions}" data-attendees="{cell.attendees}" '
                f'data-helped="{cell.helped}"><title>{escape(tip)}</title>'
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
    return f'<div class="scroll">{"".join(parts)}</div>{legend}'


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
        f'<div class="scroll"><table data-testid="villages"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table></div>"
    )


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
    tr: Translator, key: str, title: str, months: Sequence[dt.date], series: Sequence[Series], percent: bool
) -> str:
    """Months along the bottom, one line per series (a dashed one for a target), as inline SVG. Each point
    carries its raw value in `data-value`, so a test reads what is drawn."""
    _ = tr.gettext
    width, height, left, right, top, bottom = 340, 170, 40, 12, 12, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s[4] if v is not None]
    # Percents on 0–100 % (higher when a figure is above it); counts up to a round number above the highest.
    ceiling = max([100.0, *values]) if percent else _round_up(max([1.0, *values]))

    def x(i: int) -> float:
        return left + (plot_w * i / (len(months) - 1) if len(months) > 1 else plot_w / 2)

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
    for i, month in enumerate(months):
        label = _(WORDS["month_short"]).format(month=month.month)
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 6}" font-size="10" text-anchor="middle">{escape(label)}</text>'
        )
    for series_key, name, colour, dashed, points in series:
        drawn = [(i, v) for i, v in enumerate(points) if v is not None]
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        if len(drawn) > 1:
            path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in drawn)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for i, v in drawn:
            parts.append(
                f'<circle data-series="{escape(series_key)}" data-month="{months[i]:%Y-%m}" data-value="{v}" '
                f'cx="{x(i):.1f}" cy="{y(v):.1f}" r="{2 if dashed else 3.5}" fill="{colour}">'
                f"<title>{escape(name)}: {escape(shown(v))}</title></circle>"
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
    blocks = "".join(
        f'<figure class="trend"><figcaption>{escape(title)}</figcaption>'
        f"{line_chart(tr, key, title, months, series, percent)}</figure>"
        for key, title, series, percent in charts
    )
    return f'<p class="legend">{escape(_(WORDS["trend_hint"]))}</p><div class="trends">{blocks}</div>'


def _flag_text(tr: Translator, flag: Flag) -> str:
    """A flag in words: the entry (village, day, who entered it) and why it stands out."""
    _ = tr.gettext
    first = flag.first
    if flag.rule == RULE_CROWD:
        return _(WORDS["flag_crowd"]).format(
            village=first.village,
            date=tr.date(first.day),
            attendees=tr.number(first.attendees),
            factor=tr.number(CROWD_FACTOR),
            median=tr.number(flag.median or 0),
            weeks=tr.number(CROWD_WEEKS),
            who=first.logged_by,
        )
    if flag.rule == RULE_BURST:
        entries = ", ".join(
            _(WORDS["flag_burst_entry"]).format(village=e.village, date=tr.date(e.day)) for e in flag.entries
        )
        return _(WORDS["flag_burst"]).format(
            who=first.logged_by,
            n=tr.number(len(flag.entries)),
            villages=tr.number(len({e.village_id for e in flag.entries})),
            day=tr.date(first.logged_on),
            entries=entries,
        )
    return _(WORDS["flag_late"]).format(
        village=first.village,
        date=tr.date(first.day),
        days=tr.number(flag.days_late or 0),
        day=tr.date(first.logged_on),
        who=first.logged_by,
    )


def flags_section(tr: Translator, flags: Sequence[Flag]) -> str:
    """The commune's entries worth a second look, each saying why; never an accusation."""
    _ = tr.gettext
    lines = "".join(
        f'<li data-rule="{flag.rule}" data-sessions="{" ".join(str(e.id) for e in flag.entries)}">'
        f"{escape(_flag_text(tr, flag))}</li>"
        for flag in flags
    )
    body = f"<ul>{lines}</ul>" if flags else f"<p>{escape(_(WORDS['no_flags']))}</p>"
    hint = _(WORDS["flags_hint"]).format(days=tr.number(LATE_DAYS))
    return (
        f'<section data-testid="flags"><h2>{escape(_(WORDS["flags"]))}</h2>'
        f'<p class="legend">{escape(hint)}</p>{body}</section>'
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
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(lines)}</tbody></table></div>'


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


def area_page(tr: Translator, member: Member, view: AreaView, today: dt.date) -> str:
    """A commune's page (or a village's): the heat-map, totals, indicators, the report and its downloads."""
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
        _period_nav(tr, base, view.period, today),
        _totals(tr, view),
        f"<section><h2>{escape(_(WORDS['weeks']))}</h2>{heat_map(tr, view.weeks, view.rows)}</section>",
        f"<section><h2>{escape(_(WORDS['villages']))}</h2>{_village_table(tr, view, view.village is None)}</section>",
    ]
    if view.village is None:
        body.append(flags_section(tr, view.flags))
        month = _("Tháng {month}/{year}").format(month=view.indicator_month.month, year=view.indicator_month.year)
        body.append(
            f"<section><h2>{escape(_(WORDS['indicators_of']).format(month=month))}</h2>"
            f"{indicator_chart(tr, view.indicators)}{_indicator_table(tr, view.indicators)}</section>"
        )
        if view.trend:
            charts = trend_charts(tr, view.trend)
            body.append(f'<section data-testid="trend"><h2>{escape(_(WORDS["trend"]))}</h2>{charts}</section>')
        statuses = "".join(_month_status(tr, s, today) for s in view.months)
        body.append(
            f'<section data-testid="report"><h2>{escape(_(WORDS["monthly_report"]))}</h2><ul>{statuses}</ul>'
            f"{_downloads(tr, base, view.months)}</section>"
        )
    return layout(tr, f"{title} – {period_title(tr, view.period)}", "".join(body), member)


NUMERIC_COLUMNS = ("submitted", "villages", "sessions", "attendees", "helped", "achievement")


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
    ]


def _column_value(c: CommuneTotals, key: str) -> float | None:
    """A commune's value in a numeric column of the province table (None: not known, e.g. no figure yet)."""
    if key == "submitted":
        return (2.0 if c.on_time else 1.0) if c.submitted else 0.0
    if key == "villages":
        return c.villages_with_session / c.villages if c.villages else 0.0
    if key == "achievement":
        return c.achievement()
    return float({"sessions": c.sessions, "attendees": c.attendees, "helped": c.helped}.get(key, 0))


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
) -> str:
    """A province's month: who reported, the communes furthest behind, the rates by month, and every commune in
    a table filtered and sorted as asked."""
    _ = tr.gettext
    base = f"/web/province/{rollup.province_code}"
    month = Period.month(rollup.period.start)
    rate = rollup.reporting_rate
    on_time = rollup.on_time_rate
    boxes = [
        (_("Xã đã nộp"), _("{n}/{total}").format(n=tr.number(rollup.submitted), total=tr.number(rollup.expected))),
        (_("Tỉ lệ nộp"), tr.percent(rate / 100) if rate is not None else "–"),
        (_("Nộp đúng hạn"), tr.percent(on_time / 100) if on_time is not None else "–"),
        (_("Buổi sinh hoạt"), tr.number(rollup.sessions)),
    ]
    totals = "".join(f"<div><b>{value}</b>{escape(name)}</div>" for name, value in boxes)
    heads = []
    chosen = chosen if chosen in FILTERS else "all"
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
            f"<td>{tr.percent(achievement) if achievement is not None else '–'}</td></tr>"
        )
    if not rows:
        rows.append(f'<tr><td colspan="7">{escape(_(WORDS["no_commune"]))}</td></tr>')
    sort_query = f"&amp;sort={sort}&amp;order={'desc' if descending else 'asc'}"
    query = f"month={month.start:%Y-%m}"
    downloads = (
        f'<p class="downloads"><a href="{base}/report.xlsx?{query}" download>{escape(_(WORDS["get_excel"]))}</a>'
        f'<a href="{base}/report.csv?{query}" download>{escape(_(WORDS["get_csv"]))}</a></p>'
    )
    body = (
        f"<h1>{escape(rollup.province_name)} – {escape(period_title(tr, month))}</h1>"
        f"{_period_nav(tr, base, month, today)}"
        f'<section class="totals">{totals}</section>'
        f"{_behind(tr, rollup)}{_rates(tr, rates)}"
        f"<section><h2>{escape(_(WORDS['communes']))}</h2>{_filter_nav(tr, base, rollup, chosen, sort_query)}"
        f'<div class="scroll"><table data-testid="communes"><thead><tr>'
        f"{''.join(heads)}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"
        f"<section><h2>{escape(_(WORDS['province_downloads']))}</h2>{downloads}</section>"
    )
    return layout(tr, f"{rollup.province_name} – {period_title(tr, month)}", body, member)


def sign_in_page(tr: Translator, action: str) -> str:
    """The page a link opens: one button that signs in (a POST), so a link preview that fetches the address
    does not use the link up. A tiny inline script presses it at once in a real browser."""
    _ = tr.gettext
    body = (
        f'<section class="message"><h1>{escape(_(WORDS["open_page"]))}</h1>'
        f'<form id="signin" method="post" action="{escape(action)}">'
        f'<p><button type="submit">{escape(_(WORDS["sign_in"]))}</button></p></form>'
        "<script>document.getElementById('signin').submit()</script></section>"
    )
    return layout(tr, _("Mở bảng theo dõi"), body)


def mini_app_page(tr: Translator) -> str:
    """The Telegram Mini App's first page: it sends Telegram's signed `initData` (from the address's fragment,
    where Telegram puts it) to the server, which checks it and opens a session."""
    _ = tr.gettext
    body = (
        f'<section class="message"><h1>{escape(_(WORDS["open_page"]))}</h1>'
        f'<form id="miniapp" method="post" action="/web/miniapp"><input type="hidden" name="init_data" id="init_data">'
        f"<p>{escape(_(WORDS['mini_app_hint']))}</p></form>"
        "<script>var p=new URLSearchParams(location.hash.slice(1)).get('tgWebAppData');"
        "if(p){document.getElementById('init_data').value=p;document.getElementById('miniapp').submit()}</script>"
        "</section>"
    )
    return layout(tr, _("Mở bảng theo dõi"), body)


def quoted(value: str) -> str:
    """A path part, quoted."""
    return quote(value, safe="")
