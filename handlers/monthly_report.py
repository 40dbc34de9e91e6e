"""/baocao [tháng M]: the commune's monthly report — the draft, «Nộp báo cáo» with a confirmation, the XLSX
form and the chart; and the routing of the report flow, which /molai (handlers/report_reopen.py) shares.

Submitting locks the month, says whether it is on time (by the province's deadline day of the next month)
and tells the province viewers through the outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.i18n import Translator
from bot.messages import Button
from bot.nlu.parser import parse_report
from bot.reports.data import commune_report, file_name
from handlers import report_reopen
from handlers.asked_area import AskedArea, asked_area
from handlers.base import ROUTE_AGAIN, Routing, Turn
from handlers.common import main_menu, not_allowed
from handlers.errors import explain
from handlers.progress import send_chart as send_progress_chart
from handlers.report_files import commune_workbook
from handlers.report_reopen import REOPEN_COMMUNE, REOPEN_CONFIRM, REOPEN_REASON, REPORT_FLOW
from handlers.reporting import indicator_line, month_from_text, month_label, send_file, tell_about_report
from handlers.web_link import dashboard_buttons
from storage.areas import get_commune
from storage.errors import DomainError
from storage.models import Commune
from storage.programmes.monthly import not_entered
from storage.progress import Period, Scope, commune_progress, province_rollup
from storage.reports import (
    deadline_day,
    due_date,
    month_end,
    previous_month,
    report_for,
    submit,
    working_month,
)
from storage.vocab import COMMUNE_ROLES, ROLE_COMMUNE_ADMIN, ROLE_PROVINCE_VIEWER

FLOW = REPORT_FLOW  # one flow for /baocao and /molai: its buttons and text come here
VIEW, CONFIRM = "r.view", "r.confirm"


def _month_text(turn: Turn, month: dt.date) -> str:
    return month_label(turn, month)


# The commune's report ----------------------------------------------------------------------------


def show(turn: Turn, argument: str = "") -> None:
    """/baocao [tháng M]: the draft (or the submitted report) of a month."""
    member = turn.member
    if member is None or member.commune_code is None or member.role not in COMMUNE_ROLES:
        return not_allowed(turn)
    month = month_from_text(argument, turn.today) if argument else None
    # «/baocao xã Thành Sen»: the commune's own report, saying that another's cannot be shown
    asked = asked_area(turn, argument, parse_report(argument, turn.today).village) if argument else AskedArea()
    if argument and month is None and not asked.named:
        turn.say(turn._("Bạn gõ /baocao hoặc /baocao tháng 10 (hoặc /baocao 10/2026)."), main_menu(turn))
        return
    asked.say_notice(turn)
    month = month or working_month(turn.session, member.commune_code, turn.today)
    if month > turn.today:
        turn.say(turn._("Tháng {month} chưa tới.").format(month=_month_text(turn, month)), main_menu(turn))
        return
    render(turn, month)


def render(turn: Turn, month: dt.date, edit: bool = False) -> None:
    """The report's text: status, activity, indicators; with the buttons that fit the person and the month."""
    _ = turn._
    tr = turn.tr
    member = turn.require_member()
    commune_code = turn.require_commune()
    commune = get_commune(turn.session, commune_code)
    progress = commune_progress(
        turn.session, Scope.of(member), commune.code, Period.month(month), max(turn.today, month_end(month))
    )
    report = report_for(turn.session, commune.code, month)
    due = due_date(month, deadline_day(turn.session, commune.province_code))
    submitted = report is not None and report.status == "submitted"
    lines = [_("📋 Báo cáo tháng {month} — {commune}").format(month=_month_text(turn, month), commune=commune.name)]
    if submitted and report is not None and report.submitted_at is not None:
        local = report.submitted_at.astimezone(turn.config.tz)
        lines.append(
            _("✅ Đã nộp lúc {time} ngày {day} — {verdict}.").format(
                time=local.strftime("%H:%M"),
                day=tr.date(local.date()),
                verdict=_("đúng hạn") if report.on_time else _("muộn"),
            )
        )
    else:
        lines.append(_("📝 Bản nháp, chưa nộp. Hạn nộp: {due}.").format(due=tr.date(due)))
        if report is not None and report.reopen_reason:
            lines.append(
                _("🔓 Sở KH&CN đã mở lại ngày {day}. Lý do: {reason}").format(
                    day=tr.date(report.reopened_at.astimezone(turn.config.tz).date()) if report.reopened_at else "",
                    reason=report.reopen_reason,
                )
            )
    active = sum(1 for v in progress.villages if v.sessions)
    lines += [
        "",
        _(
            "🏘️ {active}/{villages} thôn có buổi sinh hoạt; cả xã {sessions} buổi, {people} người dự, "
            "{helped} lượt hỗ trợ."
        ).format(
            active=tr.number(active),
            villages=tr.number(len(progress.villages)),
            sessions=tr.number(progress.sessions),
            people=tr.number(progress.attendees),
            helped=tr.number(progress.helped),
        ),
    ]
    idle = [v.name for v in progress.villages if not v.sessions]
    if idle:
        lines.append(_("⚠️ Cả tháng chưa có buổi nào: {villages}.").format(villages=", ".join(idle)))
    lines += ["", _("🎯 Chỉ tiêu:")] + [indicator_line(turn, item, with_change=False) for item in progress.indicators]
    missing = [i for i in progress.indicators if i.denominator is None]
    if missing and not submitted:
        lines.append(_("Còn {n} chỉ số chưa nhập (/chiso).").format(n=tr.number(len(missing))))
    if not submitted:
        lines += _not_entered_lines(turn, commune.code, month)
    turn.start_flow(VIEW, month=month.isoformat())
    rows: list[list[Button]] = []
    if member.role == ROLE_COMMUNE_ADMIN and not submitted:
        rows.append([turn.button(_("📤 Nộp báo cáo"), FLOW, "submit")])
    rows.append([turn.button(_("📄 File Excel"), FLOW, "xlsx"), turn.button(_("📈 Biểu đồ"), FLOW, "chart")])
    other = previous_month(month)
    rows.append(
        [turn.button(_("◀️ Tháng {month}").format(month=_month_text(turn, other)), FLOW, "month", other.isoformat())]
    )
    following = month_end(month) + dt.timedelta(days=1)
    if following <= turn.today:
        rows[-1].append(
            turn.button(
                _("Tháng {month} ▶️").format(month=_month_text(turn, following)), FLOW, "month", following.isoformat()
            )
        )
    rows += dashboard_buttons(turn)
    turn.say("\n".join(lines), rows, edit=edit)


def _not_entered_lines(turn: Turn, commune_code: int, month: dt.date) -> list[str]:
    """The province's own indicators and the programmes' monthly figures the commune has not entered for the
    month, by name, as the report reminder names them (none for a province that has neither)."""
    _ = turn._
    own, programmes = not_entered(turn.session, commune_code, month).names(turn.tr.locale)
    lines = []
    if own:
        lines.append(_("• Chỉ số riêng của tỉnh chưa nhập (/chiso): {names}.").format(names=", ".join(own)))
    if programmes:
        lines.append(
            _("• Chương trình của tỉnh chưa nhập số liệu tháng (/chiso): {names}.").format(names=", ".join(programmes))
        )
    return lines


def _ask_submit(turn: Turn) -> None:
    _ = turn._
    member = turn.require_member()
    commune_code = turn.require_commune()
    month = dt.date.fromisoformat(turn.data["month"])
    if turn.today < month_end(month):
        turn.say(
            explain(DomainError("report_month_not_over", month=_month_text(turn, month), day=month_end(month)), turn.tr)
        )
        return
    progress = commune_progress(
        turn.session, Scope.of(member), commune_code, Period.month(month), max(turn.today, month_end(month))
    )
    due = due_date(month, deadline_day(turn.session, progress.province_code))
    missing = [i for i in progress.indicators if i.denominator is None]
    lines = [
        _("Nộp báo cáo tháng {month} của {commune}?").format(
            month=_month_text(turn, month), commune=progress.commune_name
        ),
        _("Sau khi nộp, số liệu tháng này được khoá: không ghi thêm, không sửa được, trừ khi Sở KH&CN mở lại."),
        _("Hôm nay {today}, hạn nộp {due}: báo cáo sẽ được tính {verdict}.").format(
            today=turn.tr.date(turn.today),
            due=turn.tr.date(due),
            verdict=_("đúng hạn") if turn.today <= due else _("muộn"),
        ),
    ]
    if missing:
        lines.append(_("⚠️ Còn {n} chỉ số chưa nhập số liệu.").format(n=turn.tr.number(len(missing))))
    lines += _not_entered_lines(turn, commune_code, month)
    turn.goto(CONFIRM)
    turn.say(
        "\n".join(lines), [[turn.button(_("✅ Nộp"), FLOW, "submit_yes"), turn.button(_("↩️ Chưa nộp"), FLOW, "back")]]
    )


def _submit(turn: Turn) -> None:
    _ = turn._
    member = turn.require_member()
    commune_code = turn.require_commune()
    month = dt.date.fromisoformat(turn.data["month"])
    try:
        report = submit(
            turn.session, actor=member, commune_code=commune_code, month=month, now=turn.now, today=turn.today
        )
    except DomainError as error:
        turn.end_flow()
        turn.say(explain(error, turn.tr), main_menu(turn))
        return
    commune = get_commune(turn.session, commune_code)
    local = turn.now.astimezone(turn.config.tz)

    def told(tr: Translator) -> str:
        rollup = province_rollup(turn.session, Scope.operator(), commune.province_code, month)
        return tr.gettext(
            "📥 {commune} đã nộp báo cáo tháng {month} lúc {time} ngày {day} ({verdict}). "
            "Toàn tỉnh đã nộp {submitted}/{expected} xã. Gõ /tinh để xem."
        ).format(
            commune=commune.name,
            month=f"{month.month:02d}/{month.year}",
            time=local.strftime("%H:%M"),
            day=tr.date(local.date()),
            verdict=tr.gettext("đúng hạn") if report.on_time else tr.gettext("muộn"),
            submitted=tr.number(rollup.submitted),
            expected=tr.number(rollup.expected),
        )

    told_count = tell_about_report(
        turn, report, "submitted", told, role=ROLE_PROVINCE_VIEWER, province_code=commune.province_code
    )
    turn.end_flow()
    turn.toast = _("Đã nộp")
    lines = [
        _("✅ Đã nộp báo cáo tháng {month} — {verdict}.").format(
            month=_month_text(turn, month), verdict=_("đúng hạn") if report.on_time else _("nộp muộn")
        ),
        _("Số liệu tháng này đã được khoá."),
    ]
    if told_count:
        lines.append(_("Đã báo cho {n} cán bộ Sở KH&CN.").format(n=turn.tr.number(told_count)))
    turn.say("\n".join(lines), main_menu(turn))


def _send_xlsx(turn: Turn) -> None:
    _ = turn._
    member = turn.require_member()
    commune_code = int(turn.data["commune"]) if "commune" in turn.data else turn.require_commune()
    month = dt.date.fromisoformat(turn.data["month"])
    data = commune_report(
        turn.session, Scope.of(member), commune_code, month, today=turn.today, tz=turn.config.tz, now=turn.now
    )
    content = commune_workbook(data, turn.tr, today=turn.today)
    send_file(
        turn,
        content=content,
        filename=file_name(data, "xlsx"),
        kind="document",
        caption=_("📄 Báo cáo tháng {month} — {commune} ({status}).").format(
            month=_month_text(turn, month),
            commune=data["commune"]["name"],
            status=_("đã nộp") if data["status"] == "submitted" else _("bản nháp"),
        ),
    )


def _send_chart(turn: Turn) -> None:
    member = turn.require_member()
    commune_code = turn.require_commune()
    month = dt.date.fromisoformat(turn.data["month"])
    send_progress_chart(
        turn,
        commune_progress(
            turn.session, Scope.of(member), commune_code, Period.month(month), max(turn.today, month_end(month))
        ),
    )


def export(turn: Turn, month: dt.date, commune_code: int | None = None) -> None:
    """Send a month's XLSX at once (a plain-words question «xuất báo cáo tháng 11»): of the member's commune,
    or of `commune_code` (a province viewer asking for one commune of their province by name)."""
    data = {"month": month.isoformat()}
    if commune_code is not None:
        data["commune"] = str(commune_code)
    turn.start_flow(VIEW, **data)
    _send_xlsx(turn)
    turn.end_flow()


# Routing of this flow ----------------------------------------------------------------------------


def on_button(turn: Turn, action: str, arg: str) -> None:
    """The buttons of /baocao and /molai, each taken only at the step that offered it."""
    if action == "cancel":
        turn.end_flow()
        turn.say(turn._("Đã huỷ."), main_menu(turn))
        return None
    step, press = _BUTTONS.get(action, ("", None))
    if press is None or turn.step != step:
        return _finished(turn)
    return press(turn, arg)


def _finished(turn: Turn) -> None:
    """A button of a report view or a reopening that is over."""
    turn.say(turn._("Nút này thuộc một thao tác đã xong. Bạn gõ /baocao hoặc /tinh để bắt đầu lại."), main_menu(turn))


def _xlsx_pressed(turn: Turn, _arg: str) -> None:
    turn.toast = turn._("Đang tạo file…")
    _send_xlsx(turn)


def _chart_pressed(turn: Turn, _arg: str) -> None:
    turn.toast = turn._("Đang vẽ biểu đồ…")
    _send_chart(turn)


def _month_pressed(turn: Turn, arg: str) -> None:
    """Another month of the report (a malformed month is ignored)."""
    try:
        month = dt.date.fromisoformat(arg)
    except ValueError:
        return
    render(turn, month, edit=True)


def _commune_pressed(turn: Turn, arg: str) -> None:
    """A commune of the viewer's own province, to reopen its report."""
    if not arg.isdigit():
        return _finished(turn)
    member = turn.member
    commune = turn.session.get(Commune, int(arg))
    if commune is None or member is None or commune.province_code != member.province_code:
        return None
    return report_reopen.chosen(turn, commune)


def on_text(turn: Turn) -> Routing | None:
    """Typed answers: the commune to reopen, the reason; anything typed over a report view is routed anew."""
    if turn.step == REOPEN_COMMUNE:
        report_reopen.pick_commune(turn, turn.text)
    elif turn.step == REOPEN_REASON:
        report_reopen.reason_typed(turn)
    else:
        return ROUTE_AGAIN
    return None


#: button action -> the step that offers it, and what it does
_BUTTONS: dict[str, tuple[str, Callable[[Turn, str], None]]] = {
    "submit": (VIEW, lambda turn, _arg: _ask_submit(turn)),
    "submit_yes": (CONFIRM, lambda turn, _arg: _submit(turn)),
    "back": (CONFIRM, lambda turn, _arg: render(turn, dt.date.fromisoformat(turn.data["month"]))),
    "xlsx": (VIEW, _xlsx_pressed),
    "chart": (VIEW, _chart_pressed),
    "month": (VIEW, _month_pressed),
    "commune": (REOPEN_COMMUNE, _commune_pressed),
    "reopen_yes": (REOPEN_CONFIRM, lambda turn, _arg: report_reopen.reopen_confirmed(turn)),
}
