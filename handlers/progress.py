"""/tiendo [tuần|tháng|quý]: how far the commune (or a team's own village) is, on one phone screen.

Per village: sessions, people attending, people helped, weeks with a session; the villages with no session
this week; each indicator against this year's target, with the change since last month; the province's programmes and
own indicators of the month, where it has them (`programme_lines.py`). A button sends the same as a chart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.nlu.parser import parse_report
from handlers.asked_area import asked_area
from handlers.base import ROUTE_AGAIN, Routing, Turn
from handlers.common import main_menu, not_allowed
from handlers.programme_lines import commune_block, send_commune_chart
from handlers.report_files import progress_chart
from handlers.reporting import indicator_line, month_label, period_from_text, period_kind, period_label, send_file
from handlers.web_link import dashboard_buttons
from storage.areas import village_names
from storage.errors import DomainError
from storage.indicators import latest_month_with_figures
from storage.progress import (
    PERIOD_MONTH,
    PERIOD_QUARTER,
    PERIOD_WEEK,
    CommuneProgress,
    IndicatorProgress,
    Period,
    Scope,
    commune_progress,
)
from storage.reports import deadline_day, due_date, previous_month
from storage.vocab import COMMUNE_ROLES, HELP_KINDS, VILLAGE_ROLES

FLOW = "g"
VIEW = "g.view"
MAX_HELP_KINDS = 4


def show(turn: Turn, argument: str = "") -> None:
    """/tiendo [tuần|tháng|quý] [a village, or an area the person may not see]: progress of the period."""
    member = turn.member
    if member is None or member.commune_code is None or member.role not in (*VILLAGE_ROLES, *COMMUNE_ROLES):
        return not_allowed(turn)
    if not argument:
        return render(turn, PERIOD_MONTH)
    names = village_names(turn.session, member.commune_code)
    asked = asked_area(turn, argument, parse_report(argument, turn.today, names).village)
    kind = period_kind(argument)
    if not asked.named:
        if kind is None:
            turn.say(turn._("Bạn gõ /tiendo, /tiendo tuần, /tiendo tháng hoặc /tiendo quý."), main_menu(turn))
            return
        return render(turn, kind)
    asked.say_notice(turn)
    period = period_from_text(argument, turn.today)
    render(turn, kind or (period.kind if period else PERIOD_MONTH), village_id=asked.village_id)


def current(
    turn: Turn, kind: str, day: dt.date | None = None, commune_code: int | None = None, village_id: int | None = None
) -> CommuneProgress:
    """The progress for the period of this kind holding `day` (today by default): the asker's own commune
    (or village), or a commune and village of it the asker may see."""
    member = turn.member
    code = commune_code or (member.commune_code if member is not None else None)
    if member is None or code is None:  # the callers check the role first; nothing to show otherwise
        raise DomainError("out_of_scope")
    period = Period.holding(kind, min(day or turn.today, turn.today))
    progress = commune_progress(turn.session, Scope.of(member), code, period, turn.today)
    return only_village(progress, village_id) if village_id is not None else progress


def only_village(progress: CommuneProgress, village_id: int) -> CommuneProgress:
    """The progress narrowed to one village of the commune, shown as a team sees its own village."""
    rows = [v for v in progress.villages if v.village_id == village_id]
    return dataclasses.replace(progress, villages=rows, village_only=village_id)


def render(
    turn: Turn,
    kind: str,
    edit: bool = False,
    day: dt.date | None = None,
    commune_code: int | None = None,
    village_id: int | None = None,
) -> None:
    """The progress text with its buttons: other periods, the chart (of the same commune and village)."""
    _ = turn._
    progress = current(turn, kind, day, commune_code, village_id)
    turn.start_flow(VIEW, period=kind, day=progress.period.start.isoformat(), commune=commune_code, village=village_id)
    rows = [
        [
            turn.button(("• " if k == kind else "") + label, FLOW, "period", k)
            for k, label in ((PERIOD_WEEK, _("Tuần")), (PERIOD_MONTH, _("Tháng")), (PERIOD_QUARTER, _("Quý")))
        ],
        [turn.button(_("📈 Biểu đồ"), FLOW, "chart")],
        *dashboard_buttons(turn),
    ]
    turn.say(progress_text(turn, progress), rows, edit=edit)


def progress_text(turn: Turn, progress: CommuneProgress) -> str:
    """The whole answer: activity, the villages missing this week, indicators, the monthly report."""
    _ = turn._
    tr = turn.tr
    period = progress.period
    weeks = progress.weeks_in_period
    head = _("📈 Tiến độ {period}").format(period=period_label(turn, period))
    week = _("{start} – {end}").format(
        start=tr.short_date(progress.this_week[0]), end=tr.short_date(progress.this_week[1])
    )
    # «Tuần này (23/11 – 29/11)» for the current period; a past period's last week is named by its dates
    week_label = _("Tuần này ({week})").format(week=week) if progress.current else _("Tuần {week}").format(week=week)
    lines: list[str]
    if progress.village_only is not None:
        village = progress.villages[0] if progress.villages else None
        if village is None:
            return head + "\n" + _("Chưa có dữ liệu.")
        lines = [
            head,
            _("{village}, {commune}").format(village=village.name, commune=progress.commune_name),
            "",
            _("📝 {sessions} buổi · {people} người dự · {weeks}/{all} tuần có buổi").format(
                sessions=tr.number(village.sessions),
                people=tr.number(village.attendees),
                weeks=tr.number(village.weeks_with_session),
                all=tr.number(weeks),
            ),
        ]
        lines += _help_lines(turn, village.help)
        lines.append(
            _("✅ {week} thôn đã có buổi sinh hoạt.").format(week=week_label)
            if village.session_this_week
            else _("⚠️ {week} thôn chưa có buổi sinh hoạt. Mỗi thôn cần ít nhất một buổi mỗi tuần.").format(
                week=week_label
            )
        )
    else:
        lines = [head, progress.commune_name, "", _("🏘️ Theo thôn: buổi · người dự · lượt hỗ trợ · tuần có buổi")]
        for village in progress.villages:
            lines.append(
                _("• {village}: {sessions} · {people} · {helped} · {weeks}/{all}").format(
                    village=village.name,
                    sessions=tr.number(village.sessions),
                    people=tr.number(village.attendees),
                    helped=tr.number(village.helped),
                    weeks=tr.number(village.weeks_with_session),
                    all=tr.number(weeks),
                )
            )
        if not progress.villages:
            lines.append(_("Xã chưa có thôn nào. Cán bộ xã thêm thôn bằng /thon."))
        lines.append(
            _("Cả xã: {sessions} buổi, {people} người dự, {helped} lượt hỗ trợ.").format(
                sessions=tr.number(progress.sessions),
                people=tr.number(progress.attendees),
                helped=tr.number(progress.helped),
            )
        )
        lines += _help_lines(turn, progress.help)
        missing = progress.without_session_this_week
        if progress.villages and missing:
            lines.append(
                _("⚠️ {week} chưa có buổi: {villages}.").format(
                    week=week_label, villages=", ".join(v.name for v in missing)
                )
            )
        elif progress.villages:
            lines.append(_("✅ {week} thôn nào cũng đã có buổi sinh hoạt.").format(week=week_label))
    lines += ["", *indicator_block(turn, progress), *commune_block(turn, progress)]
    if progress.village_only is None:
        lines.append(report_line(turn, progress))
    return "\n".join(lines)


def _help_lines(turn: Turn, help: dict[str, int]) -> list[str]:
    _ = turn._
    if not help:
        return []
    ranked = sorted(help.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [_("{kind} {n}").format(kind=_(HELP_KINDS[k]), n=turn.tr.number(n)) for k, n in ranked[:MAX_HELP_KINDS]]
    if len(ranked) > MAX_HELP_KINDS:
        shown.append(_("khác {n}").format(n=turn.tr.number(sum(n for _k, n in ranked[MAX_HELP_KINDS:]))))
    return [_("🤝 Hỗ trợ: {kinds}.").format(kinds="; ".join(shown))]


def indicator_block(turn: Turn, progress: CommuneProgress, full: bool = False) -> list[str]:
    """The indicators of the period's month; if none were entered yet, the latest month that has them."""
    _ = turn._
    items: list[IndicatorProgress] = progress.indicators
    month = progress.month
    if not progress.has_figures:
        latest = latest_month_with_figures(turn.session, progress.commune_code, previous_month(month))
        if latest is None:
            return [_("🎯 Chỉ tiêu: xã chưa nhập số liệu tháng nào (cán bộ xã nhập bằng /chiso).")]
        member = turn.require_member()
        older = commune_progress(
            turn.session, Scope.of(member), progress.commune_code, Period.month(latest), turn.today
        )
        items = [i for i in older.indicators if i.id in {p.id for p in progress.indicators}]
        header = _("🎯 Chỉ tiêu (tháng {month} chưa nhập, đây là số liệu tháng {latest}):").format(
            month=month_label(turn, month), latest=month_label(turn, latest)
        )
    else:
        header = _("🎯 Chỉ tiêu tháng {month}:").format(month=month_label(turn, month))
    lines = [header]
    lines += [indicator_line(turn, item, full=full) for item in items]
    return lines


def report_line(turn: Turn, progress: CommuneProgress) -> str:
    """Where the month's report stands."""
    _ = turn._
    month = progress.month
    due = due_date(month, deadline_day(turn.session, progress.province_code))
    if progress.report_status == "submitted":
        return _("📋 Báo cáo tháng {month}: đã nộp ({verdict}).").format(
            month=month_label(turn, month), verdict=_("đúng hạn") if progress.on_time else _("muộn")
        )
    return _("📋 Báo cáo tháng {month}: chưa nộp, hạn {due} (/baocao).").format(
        month=month_label(turn, month), due=turn.tr.date(due)
    )


def send_chart(turn: Turn, progress: CommuneProgress) -> None:
    """The progress as a picture."""
    _ = turn._
    title = _("{unit} — {period}").format(
        unit=progress.villages[0].name
        if progress.village_only is not None and progress.villages
        else progress.commune_name,
        period=period_label(turn, progress.period),
    )
    content = progress_chart(progress, turn.tr, title)
    send_file(
        turn,
        content=content,
        filename=f"tien-do-{progress.commune_code}-{progress.period.start}.png",
        kind="photo",
        caption=title,
    )
    send_commune_chart(turn, progress.commune_code, progress.month, progress.village_only, title)


def on_button(turn: Turn, action: str, arg: str) -> None:
    """Switch the period, or send the chart."""
    commune, village = turn.data.get("commune"), turn.data.get("village")
    if action == "period" and arg in (PERIOD_WEEK, PERIOD_MONTH, PERIOD_QUARTER):
        render(turn, arg, edit=True, commune_code=commune, village_id=village)
    elif action == "chart":
        turn.toast = turn._("Đang vẽ biểu đồ…")
        day = turn.data.get("day")
        send_chart(
            turn,
            current(
                turn,
                turn.data.get("period", PERIOD_MONTH),
                dt.date.fromisoformat(day) if day else None,
                commune,
                village,
            ),
        )


def on_text(turn: Turn) -> Routing:
    """The view takes no typing: whatever is typed is routed as if no view were open."""
    return ROUTE_AGAIN
