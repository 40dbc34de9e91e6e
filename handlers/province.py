"""/tinh [tháng M]: the province viewer's month — who reported, on time or late, who has not, the indicators
summed over the communes, the province's programmes and own indicators (where it has them), and the communes
furthest behind; as text, chart and XLSX."""

from __future__ import annotations

import datetime as dt

from bot.messages import Button
from bot.nlu.parser import parse_report
from bot.reports.data import file_name, province_report
from handlers.asked_area import AskedArea, asked_area
from handlers.base import ROUTE_AGAIN, Routing, Turn
from handlers.common import main_menu, not_allowed
from handlers.programme_lines import programme_block, send_province_chart
from handlers.progress import render as render_progress
from handlers.report_files import province_chart, province_workbook
from handlers.reporting import indicator_line, month_from_text, month_label, percent_text, send_file
from handlers.web_link import dashboard_buttons
from storage.progress import PERIOD_MONTH, ProvinceRollup, Scope, province_rollup
from storage.progress.own_indicators import province_own_indicators
from storage.progress.programmes import province_programmes
from storage.reports import deadline_day, due_date, month_end, month_start, previous_month
from storage.vocab import ROLE_PROVINCE_VIEWER

FLOW = "pv"
VIEW = "pv.view"
MAX_NAMES = 15
BEHIND = 5


def default_month(today: dt.date) -> dt.date:
    """The month the province is collecting now: last month (communes report it before the 20th)."""
    return previous_month(today)


def show(turn: Turn, argument: str = "") -> None:
    """/tinh [tháng M] [xã …]: the province's month, or one of its communes'; another area is not swapped in."""
    member = turn.member
    if member is None or member.role != ROLE_PROVINCE_VIEWER:
        return not_allowed(turn)
    month = month_from_text(argument, turn.today) if argument else None
    asked = asked_area(turn, argument, parse_report(argument, turn.today).village) if argument else AskedArea()
    if argument and month is None and not asked.named:
        turn.say(turn._("Bạn gõ /tinh hoặc /tinh tháng 10."), main_menu(turn))
        return
    asked.say_notice(turn)
    if asked.commune_code is not None:  # «/tinh xã Sơn Kim 2»: that commune's month, as its leader sees it
        return render_progress(
            turn,
            PERIOD_MONTH,
            day=month_end(month or default_month(turn.today)),
            commune_code=asked.commune_code,
            village_id=asked.village_id,
        )
    render(turn, month or default_month(turn.today))


def rollup_for(turn: Turn, month: dt.date) -> ProvinceRollup:
    member = turn.require_member()
    return province_rollup(turn.session, Scope.of(member), member.province_code, month)


def render(turn: Turn, month: dt.date, edit: bool = False) -> None:
    _ = turn._
    rollup = rollup_for(turn, month)
    turn.start_flow(VIEW, month=month.isoformat())
    rows: list[list[Button]] = [
        [turn.button(_("📈 Biểu đồ"), FLOW, "chart"), turn.button(_("📄 File Excel"), FLOW, "xlsx")],
        [
            turn.button(
                _("◀️ Tháng {month}").format(month=month_label(turn, previous_month(month))),
                FLOW,
                "month",
                previous_month(month).isoformat(),
            )
        ],
    ]
    following = month_end(month) + dt.timedelta(days=1)
    if following <= turn.today:
        rows[-1].append(
            turn.button(
                _("Tháng {month} ▶️").format(month=month_label(turn, following)), FLOW, "month", following.isoformat()
            )
        )
    rows += dashboard_buttons(turn)
    turn.say(summary_text(turn, rollup), rows, edit=edit)


def summary_text(turn: Turn, rollup: ProvinceRollup) -> str:
    """Reporting and on-time rates, communes not submitted, the indicators' roll-up, the furthest behind."""
    _ = turn._
    tr = turn.tr
    month = month_start(rollup.period.start)
    due = due_date(month, deadline_day(turn.session, rollup.province_code))
    late = rollup.submitted - rollup.on_time_count
    lines = [
        _("🏛️ {province} — báo cáo tháng {month} (hạn {due})").format(
            province=rollup.province_name, month=month_label(turn, month), due=tr.date(due)
        ),
        _("📥 Đã nộp {submitted}/{expected} xã ({rate}); đúng hạn {on_time} ({on_time_rate}); muộn {late}.").format(
            submitted=tr.number(rollup.submitted),
            expected=tr.number(rollup.expected),
            rate=percent_text(turn, rollup.reporting_rate),
            on_time=tr.number(rollup.on_time_count),
            on_time_rate=percent_text(turn, rollup.on_time_rate),
            late=tr.number(late),
        ),
    ]
    waiting = rollup.not_submitted
    if waiting:
        names = ", ".join(c.name for c in waiting[:MAX_NAMES])
        more = _(" và {n} xã khác").format(n=tr.number(len(waiting) - MAX_NAMES)) if len(waiting) > MAX_NAMES else ""
        lines.append(_("⏳ Chưa nộp ({n}): {names}{more}.").format(n=tr.number(len(waiting)), names=names, more=more))
    else:
        lines.append(_("✅ Tất cả các xã đã nộp."))
    lines += ["", _("🎯 Chỉ tiêu toàn tỉnh (cộng số liệu các xã đã nhập):")]
    for item in rollup.indicator_sums():
        line = indicator_line(turn, item, with_change=False)
        if item.denominator:
            line += " · " + _("{n} xã").format(n=tr.number(rollup.reporting_figures(item.id)))
        lines.append(line)
    scope = Scope.of(turn.require_member())
    programmes = province_programmes(turn.session, scope, rollup.province_code, month)
    own = province_own_indicators(turn.session, scope, rollup.province_code, month)
    lines += programme_block(turn, programmes.total, own.total)
    behind = rollup.furthest_behind(BEHIND)
    if behind:
        lines += ["", _("🐢 Xã chậm nhất so với chỉ tiêu:")]
        for commune in behind:
            lines.append(
                _("• {commune}: bình quân đạt {share} chỉ tiêu").format(
                    commune=commune.name, share=percent_text(turn, 100 * (commune.achievement() or 0))
                )
            )
    active = sum(1 for c in rollup.communes if c.sessions)
    lines += [
        "",
        _(
            "🏘️ Hoạt động: {active}/{expected} xã có buổi sinh hoạt; {sessions} buổi, {people} người dự, "
            "{helped} lượt hỗ trợ."
        ).format(
            active=tr.number(active),
            expected=tr.number(rollup.expected),
            sessions=tr.number(rollup.sessions),
            people=tr.number(rollup.attendees),
            helped=tr.number(sum(rollup.help.values())),
        ),
    ]
    lines.append(_("Mở lại báo cáo đã nộp của một xã: /molai."))
    return "\n".join(lines)


def send_chart(turn: Turn, month: dt.date) -> None:
    _ = turn._
    rollup = rollup_for(turn, month)
    title = _("{province} — tháng {month}").format(province=rollup.province_name, month=month_label(turn, month))
    send_file(
        turn,
        content=province_chart(rollup, turn.tr, title),
        filename=f"tinh-{rollup.province_code}-{month:%Y-%m}.png",
        kind="photo",
        caption=title,
    )
    send_province_chart(turn, rollup.province_code, month, title)


def send_xlsx(turn: Turn, month: dt.date) -> None:
    _ = turn._
    member = turn.require_member()
    data = province_report(turn.session, Scope.of(member), member.province_code, month, tz=turn.config.tz, now=turn.now)
    send_file(
        turn,
        content=province_workbook(data, turn.tr, today=turn.today),
        filename=file_name(data, "xlsx"),
        kind="document",
        caption=_("📄 Tổng hợp báo cáo tháng {month} — {province}.").format(
            month=month_label(turn, month), province=data["province"]["name"]
        ),
    )


def on_button(turn: Turn, action: str, arg: str) -> None:
    """Chart, XLSX, another month."""
    _ = turn._
    month = dt.date.fromisoformat(turn.data.get("month") or default_month(turn.today).isoformat())
    if action == "chart":
        turn.toast = _("Đang vẽ biểu đồ…")
        send_chart(turn, month)
    elif action == "xlsx":
        turn.toast = _("Đang tạo file…")
        send_xlsx(turn, month)
    elif action == "month":
        try:
            render(turn, month_start(dt.date.fromisoformat(arg)), edit=True)
        except ValueError:
            return


def on_text(turn: Turn) -> Routing:
    """The view takes no typing: route the message as if no view were open."""
    return ROUTE_AGAIN
