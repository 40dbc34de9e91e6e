"""/molai [xã] [tháng M]: a province viewer reopens a commune's submitted monthly report, with a reason that the
commune admins are told through the outbox.

Part of the report flow (its buttons carry the report flow's key): handlers/monthly_report.py routes them.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.i18n import Translator
from handlers.base import Turn
from handlers.common import main_menu, not_allowed
from handlers.errors import explain
from handlers.reporting import month_from_text, month_label, tell_about_report
from storage.areas import get_commune
from storage.errors import DomainError
from storage.models import Commune
from storage.reports import MIN_REASON_LENGTH, communes_of_province, previous_month, reopen, report_for
from storage.text import fold
from storage.vocab import ROLE_COMMUNE_ADMIN, ROLE_PROVINCE_VIEWER

REPORT_FLOW = "r"  # the flow /molai shares with /baocao: handlers.monthly_report routes its buttons (as its FLOW)
REOPEN_COMMUNE, REOPEN_REASON, REOPEN_CONFIRM = "r.reopen_commune", "r.reopen_reason", "r.reopen_confirm"
MAX_CHOICES = 8  # communes offered as buttons when a name matches several


def reopen_command(turn: Turn, argument: str = "") -> None:
    """/molai [xã] [tháng M]: choose a submitted commune report of the month, give the reason, confirm."""
    _ = turn._
    member = turn.member
    if member is None or member.role != ROLE_PROVINCE_VIEWER:
        return not_allowed(turn)
    month = (month_from_text(argument, turn.today) if argument else None) or previous_month(turn.today)
    turn.start_flow(REOPEN_COMMUNE, month=month.isoformat())
    words = _strip_month_words(argument)
    if words:
        return pick_commune(turn, words)
    turn.say(
        _("Mở lại báo cáo tháng {month}: bạn gõ tên hoặc mã xã (ví dụ: Sơn Kim 1 hoặc 18196).").format(
            month=month_label(turn, month)
        ),
        [[turn.button(_("❌ Huỷ"), REPORT_FLOW, "cancel")]],
    )


def _strip_month_words(text: str) -> str:
    return re.sub(r"(?i)\b(tháng|thang)\s*\d{1,2}(\s*/\s*\d{4})?\b|\b\d{1,2}/\d{4}\b", " ", text).strip()


def pick_commune(turn: Turn, words: str) -> None:
    """Communes of the viewer's province matching a name or a code; a single match goes straight on."""
    _ = turn._
    member = turn.require_member()
    communes = communes_of_province(turn.session, member.province_code)
    key = fold(words)
    if key.isdigit():
        matches = [c for c in communes if c.code == int(key)]
    else:
        exact = [c for c in communes if fold(c.name) == key or fold(c.name).split(" ", 1)[-1] == key]
        matches = exact or [c for c in communes if key in fold(c.name)]
    if not matches:
        turn.say(_("Không tìm thấy xã «{words}» trong tỉnh. Bạn gõ lại tên hoặc mã xã.").format(words=words))
        return
    if len(matches) > 1:
        rows = [[turn.button(c.name, REPORT_FLOW, "commune", str(c.code))] for c in matches[:MAX_CHOICES]]
        rows.append([turn.button(_("❌ Huỷ"), REPORT_FLOW, "cancel")])
        more = (
            ""
            if len(matches) <= MAX_CHOICES
            else _(" (và {n} xã khác, bạn gõ rõ hơn)").format(n=turn.tr.number(len(matches) - MAX_CHOICES))
        )
        turn.say(_("Bạn chọn xã:") + more, rows)
        return
    chosen(turn, matches[0])


def chosen(turn: Turn, commune: Commune) -> None:
    """The commune picked: its month's report must be submitted; then ask the reason."""
    _ = turn._
    month = dt.date.fromisoformat(turn.data["month"])
    report = report_for(turn.session, commune.code, month)
    if report is None or report.status != "submitted":
        turn.end_flow()
        turn.say(
            explain(DomainError("report_not_submitted", month=month_label(turn, month), commune=commune.name), turn.tr),
            main_menu(turn),
        )
        return
    turn.goto(REOPEN_REASON, commune=commune.code)
    turn.say(
        _("{commune} đã nộp báo cáo tháng {month}. Bạn gõ lý do mở lại (xã sẽ nhận được lý do này):").format(
            commune=commune.name, month=month_label(turn, month)
        ),
        [[turn.button(_("❌ Huỷ"), REPORT_FLOW, "cancel")]],
    )


def reason_typed(turn: Turn) -> None:
    """The reason typed (long enough to tell the commune why): read it back and ask to confirm."""
    _ = turn._
    reason = " ".join(turn.text.split())
    if len(reason) < MIN_REASON_LENGTH:
        turn.say(explain(DomainError("reopen_reason_required", minimum=MIN_REASON_LENGTH), turn.tr))
        return
    commune = get_commune(turn.session, int(turn.data["commune"]))
    month = dt.date.fromisoformat(turn.data["month"])
    turn.goto(REOPEN_CONFIRM, reason=reason)
    turn.say(
        _("Mở lại báo cáo tháng {month} của {commune}?\nLý do: {reason}").format(
            month=month_label(turn, month), commune=commune.name, reason=reason
        ),
        [[turn.button(_("🔓 Mở lại"), REPORT_FLOW, "reopen_yes"), turn.button(_("❌ Huỷ"), REPORT_FLOW, "cancel")]],
    )


def reopen_confirmed(turn: Turn) -> None:
    """«Mở lại»: reopen the month and tell the commune admins, with the reason."""
    _ = turn._
    member = turn.require_member()
    commune = get_commune(turn.session, int(turn.data["commune"]))
    month = dt.date.fromisoformat(turn.data["month"])
    try:
        report = reopen(
            turn.session,
            actor=member,
            commune_code=commune.code,
            month=month,
            reason=str(turn.data.get("reason", "")),
            now=turn.now,
        )
    except DomainError as error:
        turn.end_flow()
        turn.say(explain(error, turn.tr), main_menu(turn))
        return

    def told(tr: Translator) -> str:
        return tr.gettext(
            "🔓 Sở KH&CN đã mở lại báo cáo tháng {month} của {commune}.\nLý do: {reason}\n"
            "Bạn sửa số liệu rồi nộp lại bằng /baocao."
        ).format(month=f"{month.month:02d}/{month.year}", commune=commune.name, reason=report.reopen_reason)

    count = tell_about_report(turn, report, "reopened", told, role=ROLE_COMMUNE_ADMIN, commune_code=commune.code)
    turn.end_flow()
    lines = [
        _("🔓 Đã mở lại báo cáo tháng {month} của {commune}. Lý do đã được ghi lại.").format(
            month=month_label(turn, month), commune=commune.name
        )
    ]
    lines.append(
        _("Đã báo cho {n} cán bộ xã.").format(n=turn.tr.number(count))
        if count
        else _("Xã chưa có cán bộ phụ trách dùng bot để nhận thông báo.")
    )
    turn.say("\n".join(lines), main_menu(turn))
