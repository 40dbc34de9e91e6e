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
from bot.webpages.csrf import hidden_field
from bot.webpages.views import (
    period_query,
)
from storage.models import Member
from storage.periods import PERIOD_QUARTER, Period
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
th:first-child,td:first-child{text-align:left;white-space:normal;min-width:7rem}
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
    "mini_app_hint": N_("Trang này mở từ Telegram. Nếu không tự mở, bạn gõ /web trong chat với bot."),
}


def layout(tr: Translator, title: str, body: str, member: Member | None = None, form_token: str = "") -> str:
    """A whole page: the header (who is signed in, the sign-out: a POST carrying the session's form token, so
    another site cannot sign a person out), the body, in the person's language."""
    _ = tr.gettext
    who = ""
    if member is not None:
        who = (
            f"<span>{escape(member.display_name)} · {escape(tr.gettext(ROLES.get(member.role, member.role)))}</span>"
            f'<form method="post" action="/web/signout">{hidden_field(form_token)}'
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


def period_nav(tr: Translator, base: str, period: Period, today: dt.date) -> str:
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
