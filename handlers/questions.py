"""Questions in plain words, with or without diacritics: answered within the asker's scope, or the list of
what can be asked.

«thôn nào chưa có buổi học tuần này?», «xã mình đạt bao nhiêu phần trăm vneid?», «tháng 10 có bao nhiêu
buổi?», «xuất báo cáo tháng 11», «xã nào chưa nộp báo cáo?», «tiến độ quý này thế nào?». The words are
matched on the folded text (no diacritics, lower case); the period is read from the question (this week,
last week, a month, a quarter), this month when none is named.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from handlers import monthly_report, programme_questions, supervision
from handlers import province as province_view
from handlers.asked_area import AskedArea, asked_area
from handlers.base import Turn
from handlers.common import main_menu
from handlers.progress import current, indicator_block, only_village, send_chart
from handlers.progress import render as render_progress
from handlers.reporting import indicator_line, month_from_text, month_label, period_from_text, period_label
from storage.areas import get_commune
from storage.errors import DomainError
from storage.indicators import ALIASES, find_indicator
from storage.models import Member
from storage.progress import (
    PERIOD_MONTH,
    PERIOD_WEEK,
    CommuneProgress,
    Period,
    Scope,
    commune_progress,
    province_rollup,
)
from storage.reports import deadline_day, due_date, previous_month, report_for, working_month
from storage.text import fold
from storage.vocab import COMMUNE_ROLES, HELP_KINDS, ROLE_PROVINCE_VIEWER, VILLAGE_ROLES

_CHECK = ("can kiem tra", "kiem tra gi", "nen xem lai", "bat thuong", "giam sat")
_HONOUR = ("bieu duong", "khen thuong", "deu dan nhat")
_EXPORT = ("xuat", "file excel", "excel", "tai file", "gui file", "tai bao cao", "file bao cao")
_DEADLINE = ("han nop", "han bao cao", "han chot", "khi nao nop", "bao gio nop", "ngay nao nop", "truoc ngay")
_SUBMITTED = (
    "chua nop",
    "da nop",
    "nop chua",
    "nop bao cao",
    "nop bc",
    "ty le nop",
    "dung han",
    "nop muon",
    "bao nhieu xa nop",
    "da gui",
    "gui chua",
    "gui bao cao",
    "chua gui",
)
_NO_SESSION = (
    "chua co buoi",
    "chua hoc",
    "chua sinh hoat",
    "chua to chuc",
    "khong co buoi",
    "chua mo lop",
    "chua co lop",
    "thon nao chua",
    "xa nao chua co",
    "chua hop",
    "co buoi chua",
    "da co buoi",
    "hoc chua",
    "sinh hoat chua",
    "to chuc chua",
)
_PERCENT = ("phan tram", "ty le", "ti le", "%", "dat bao nhieu", "dat duoc", "chi tieu", "chi so", "duoc bao nhieu")
_SESSIONS = (
    "bao nhieu buoi",
    "may buoi",
    "so buoi",
    "bn buoi",
    "bnh buoi",
    "nhieu buoi",
    "tong buoi",
    "bao nhieu lop",
    "may lop",
)
_PEOPLE = (
    "bao nhieu nguoi",
    "may nguoi",
    "so nguoi",
    "bao nhieu luot",
    "bn nguoi",
    "tong nguoi",
    "nhieu nguoi",
    "bao nhieu ba con",
    "bao nhieu dan",
)
_HELPED = ("ho tro", "giup", "kich hoat", "nop ho so", "huong dan")
_CHART = ("bieu do", "do thi", "chart")
_PROGRESS = ("tien do", "the nao", "ra sao", "tinh hinh", "ket qua", "thong ke", "tong hop", "tong ket", "sao roi")


def _has(text: str, words: tuple[str, ...]) -> bool:
    padded = f" {text} "
    return any(f" {w} " in padded or (not w[0].isalnum() and w in text) for w in words)


def answer(turn: Turn, parsed: Any) -> None:
    """Answer a question within the asker's scope; otherwise say what can be asked."""
    member = turn.member
    if member is None:
        return what_can_be_asked(turn)
    q = fold(turn.text).replace("?", " ").replace(",", " ").replace(".", " ")
    q = " ".join(q.split())
    reply = _answer_for(q)
    programmes = [] if reply in _NOT_PROGRAMMES else programme_questions.asked_programmes(turn, q)
    if reply is None and not programmes:
        return what_can_be_asked(turn)
    asked = asked_area(turn, turn.text, getattr(parsed, "village", None))
    asked.say_notice(turn)  # an area the person may not see: say so before answering about their own
    if programmes:  # «xã mình bao nhiêu hộ gia đình số?»: a programme the province runs
        return programme_questions.answer(turn, q, asked, programmes)
    if reply is not None:
        reply(turn, q, asked)


def _answer_for(q: str) -> Callable[[Turn, str, AskedArea], None] | None:
    """Which answer a question asks for (None: not one the bot answers)."""
    if _has(q, _CHECK):  # «có gì cần kiểm tra không?»: the month's entries worth a second look
        return lambda turn, _q, _asked: supervision.command(turn)
    if _has(q, _HONOUR):  # «thôn nào được biểu dương?»
        return lambda turn, _q, _asked: supervision.honour(turn)
    if _has(q, _CHART):
        return _chart
    if _has(q, _EXPORT) or (_has(q, ("bao cao", "bc")) and _has(q, ("file", "tai"))):
        return _export
    if _has(q, _DEADLINE) or (
        _has(q, ("han", "bao gio", "khi nao", "ngay nao", "hom nao")) and _has(q, ("nop", "bao cao", "bc"))
    ):
        return _deadline
    if _has(q, _NO_SESSION):
        return _no_session
    if _has(q, _SUBMITTED):
        return _submitted
    if _has(q, _PERCENT) and (_indicator_named(q) or _has(q, ("chi tieu", "chi so", "vneid"))):
        return _indicators
    if _has(q, _SESSIONS):
        return partial(_count, what="sessions")
    if _has(q, _PEOPLE):
        return partial(_count, what="helped" if _has(q, _HELPED) else "attendees")
    if _has(q, _PROGRESS):
        return _progress
    return None


def _indicator_named(q: str) -> str | None:
    """An indicator named by one of its words in the question (longest name first)."""
    for alias, indicator in sorted(((a, i) for i, names in ALIASES.items() for a in names), key=lambda p: -len(p[0])):
        if len(alias) > 3 and f" {alias} " in f" {q} ":
            return indicator
    if " vneid " in f" {q} " or " muc 2 " in f" {q} ":
        return "vneid_level2_activated" if " muc 2 " in f" {q} " else "adults_vneid_confirmed"
    return find_indicator(q) if len(q.split()) <= 3 else None


def what_can_be_asked(turn: Turn) -> None:
    """The questions the bot answers, for this person's role."""
    _ = turn._
    member = turn.member
    lines = [_("Tôi chưa trả lời được câu này. Bạn có thể hỏi, có dấu hay không dấu đều được:")]
    if member is not None and member.role == ROLE_PROVINCE_VIEWER:
        lines += [
            _("• «xã nào chưa nộp báo cáo?»"),
            _("• «tỉnh đạt bao nhiêu phần trăm vneid?»"),
            _("• «tháng 10 có bao nhiêu buổi?»"),
            _("• «xuất báo cáo tháng 10»"),
            _("• «hạn nộp báo cáo là ngày nào?»"),
            _("• «cho xem biểu đồ tháng này»"),
            "",
            _("Hoặc gõ /tinh."),
        ]
    else:
        lines += [
            _("• «thôn nào chưa có buổi học tuần này?»"),
            _("• «xã mình đạt bao nhiêu phần trăm vneid?»"),
            _("• «tháng 10 có bao nhiêu buổi?»"),
            _("• «tháng này bao nhiêu người được hỗ trợ?»"),
            _("• «tiến độ quý này thế nào?»"),
            _("• «cho xem biểu đồ tháng này»"),
        ]
        if member is not None and member.role in COMMUNE_ROLES:
            lines += [_("• «xuất báo cáo tháng 11»"), _("• «hạn nộp báo cáo là ngày nào?»")]
        lines += ["", _("Hoặc gõ /tiendo để xem tiến độ.")]
    turn.say("\n".join(lines), main_menu(turn))


# Answers ------------------------------------------------------------------------------------------


def _period(turn: Turn, q: str, default: str = PERIOD_MONTH) -> Period:
    return period_from_text(q, turn.today) or Period.holding(default, turn.today)


def _progress_of(turn: Turn, member: Member, period: Period, asked: AskedArea) -> CommuneProgress:
    """The progress of the asker's commune (or village), or of the commune or village they asked about."""
    code = asked.commune_code or member.commune_code
    if code is None:  # the callers answer a province viewer's own province before asking for this
        raise DomainError("out_of_scope")
    progress = commune_progress(turn.session, Scope.of(member), code, period, turn.today)
    return only_village(progress, asked.village_id) if asked.village_id is not None else progress


def _one_commune(member: Member, asked: AskedArea) -> int | None:
    """The commune an answer is about (None: a province viewer's whole province)."""
    return asked.commune_code or member.commune_code


def _unit(turn: Turn, progress: CommuneProgress) -> str:
    if progress.village_only is not None and progress.villages:
        return progress.villages[0].name
    return progress.commune_name


def _export(turn: Turn, q: str, asked: AskedArea) -> None:
    """The month's XLSX: the commune's; for a province viewer the commune they named, else the province roll-up
    (which holds every commune)."""
    _ = turn._
    member = turn.require_member()
    month = month_from_text(q, turn.today)
    if member.role == ROLE_PROVINCE_VIEWER and asked.commune_code is not None:
        commune = asked.commune_code
        return monthly_report.export(turn, month or working_month(turn.session, commune, turn.today), commune)
    if member.role == ROLE_PROVINCE_VIEWER:
        return province_view.send_xlsx(turn, month or province_view.default_month(turn.today))
    if member.role in COMMUNE_ROLES and member.commune_code is not None:
        return monthly_report.export(turn, month or working_month(turn.session, member.commune_code, turn.today))
    turn.say(_("Báo cáo tháng do cán bộ xã lập và nộp. Bạn xem tiến độ của thôn bằng /tiendo."), main_menu(turn))


def _deadline(turn: Turn, q: str, asked: AskedArea) -> None:
    _ = turn._
    member = turn.require_member()
    commune_code = _one_commune(member, asked)
    if commune_code is not None:
        month = month_from_text(q, turn.today) or working_month(turn.session, commune_code, turn.today)
    else:
        month = month_from_text(q, turn.today) or previous_month(turn.today)
    due = due_date(month, deadline_day(turn.session, member.province_code))
    text = _("Hạn nộp báo cáo tháng {month} là ngày {due}.").format(
        month=month_label(turn, month), due=turn.tr.date(due)
    )
    if commune_code is not None:
        if commune_code != member.commune_code:
            text = get_commune(turn.session, commune_code).name + ": " + text
        report = report_for(turn.session, commune_code, month)
        if report is not None and report.status == "submitted":
            text += " " + _("Xã đã nộp ({verdict}).").format(verdict=_("đúng hạn") if report.on_time else _("muộn"))
        else:
            days = (due - turn.today).days
            text += " " + (
                _("Xã chưa nộp, còn {n} ngày.").format(n=turn.tr.number(days))
                if days >= 0
                else _("Xã chưa nộp, đã quá hạn {n} ngày.").format(n=turn.tr.number(-days))
            )
    turn.say(text, main_menu(turn))


def _submitted(turn: Turn, q: str, asked: AskedArea) -> None:
    _ = turn._
    member = turn.require_member()
    commune_code = _one_commune(member, asked)
    if member.role == ROLE_PROVINCE_VIEWER and commune_code is None:
        return province_view.render(turn, month_from_text(q, turn.today) or province_view.default_month(turn.today))
    if commune_code is None:
        return what_can_be_asked(turn)
    # «đã nộp báo cáo chưa?» is about last month until it is submitted, then this month
    month = month_from_text(q, turn.today) or working_month(turn.session, commune_code, turn.today)
    report = report_for(turn.session, commune_code, month)
    due = due_date(month, deadline_day(turn.session, member.province_code))
    if report is not None and report.status == "submitted" and report.submitted_at is not None:
        local = report.submitted_at.astimezone(turn.config.tz)
        text = _("✅ Báo cáo tháng {month} đã nộp ngày {day} ({verdict}).").format(
            month=month_label(turn, month),
            day=turn.tr.date(local.date()),
            verdict=_("đúng hạn") if report.on_time else _("muộn"),
        )
    elif commune_code != member.commune_code:
        text = _("📝 Báo cáo tháng {month} chưa nộp; hạn nộp {due}.").format(
            month=month_label(turn, month), due=turn.tr.date(due)
        )
    else:
        text = _("📝 Báo cáo tháng {month} chưa nộp; hạn nộp {due}. Gõ /baocao để xem và nộp.").format(
            month=month_label(turn, month), due=turn.tr.date(due)
        )
    if commune_code != member.commune_code:
        text = get_commune(turn.session, commune_code).name + ": " + text
    turn.say(text, main_menu(turn))


def _no_session(turn: Turn, q: str, asked: AskedArea) -> None:
    _ = turn._
    tr = turn.tr
    member = turn.require_member()
    if _one_commune(member, asked) is None:
        month = month_from_text(q, turn.today) or turn.today.replace(day=1)
        rollup = province_rollup(turn.session, Scope.of(member), member.province_code, month)
        idle = [c.name for c in rollup.communes if not c.sessions]
        head = _("Tháng {month}, {n}/{all} xã chưa ghi buổi sinh hoạt nào").format(
            month=month_label(turn, month), n=tr.number(len(idle)), all=tr.number(rollup.expected)
        )
        shown = ", ".join(idle[:20]) + (
            _(" và {n} xã khác").format(n=tr.number(len(idle) - 20)) if len(idle) > 20 else ""
        )
        turn.say(head + (": " + shown + "." if idle else "."), main_menu(turn))
        return
    period = _period(turn, q, PERIOD_WEEK)
    progress = _progress_of(turn, member, period, asked)
    missing = [v.name for v in progress.villages if not v.sessions]
    label = period_label(turn, period)
    if progress.village_only is not None:
        village = progress.villages[0] if progress.villages else None
        if village is None:
            return what_can_be_asked(turn)
        text = (
            _("✅ {village} đã có {n} buổi sinh hoạt {period}.").format(
                village=village.name, n=tr.number(village.sessions), period=label
            )
            if village.sessions
            else _("⚠️ {village} chưa có buổi sinh hoạt nào {period}. Mỗi thôn cần ít nhất một buổi mỗi tuần.").format(
                village=village.name, period=label
            )
        )
    elif not progress.villages:
        text = _("Xã chưa có thôn nào. Cán bộ xã thêm thôn bằng /thon.")
    elif progress.commune_code != member.commune_code:
        text = (
            progress.commune_name
            + ": "
            + (
                _("⚠️ Chưa có buổi sinh hoạt {period} ({n}/{all} thôn): {villages}.").format(
                    period=label,
                    n=tr.number(len(missing)),
                    all=tr.number(len(progress.villages)),
                    villages=", ".join(missing),
                )
                if missing
                else _("✅ {period}, thôn nào cũng đã có buổi sinh hoạt.").format(period=label[:1].upper() + label[1:])
            )
        )
    elif missing:
        text = _("⚠️ Chưa có buổi sinh hoạt {period} ({n}/{all} thôn): {villages}.").format(
            period=label, n=tr.number(len(missing)), all=tr.number(len(progress.villages)), villages=", ".join(missing)
        )
    else:
        text = _("✅ {period}, thôn nào cũng đã có buổi sinh hoạt.").format(period=label[:1].upper() + label[1:])
    turn.say(text, main_menu(turn))


def _indicators(turn: Turn, q: str, asked: AskedArea) -> None:
    _ = turn._
    member = turn.require_member()
    named = _indicator_named(q)
    month = month_from_text(q, turn.today)
    if _one_commune(member, asked) is None:
        month = month or province_view.default_month(turn.today)
        rollup = province_rollup(turn.session, Scope.of(member), member.province_code, month)
        items = [i for i in rollup.indicator_sums() if named is None or i.id == named]
        lines = [
            _("🎯 {province}, tháng {month} (cộng các xã đã nhập):").format(
                province=rollup.province_name, month=month_label(turn, month)
            )
        ]
        lines += [indicator_line(turn, i, with_change=False, full=named is not None) for i in items]
        turn.say("\n".join(lines), main_menu(turn))
        return
    period = Period.month(month) if month else Period.holding(PERIOD_MONTH, turn.today)
    progress = _progress_of(turn, member, period, asked)
    if named is not None:
        progress.indicators = [i for i in progress.indicators if i.id == named]
    lines = [progress.commune_name, *indicator_block(turn, progress, full=named is not None)]
    turn.say("\n".join(lines), main_menu(turn))


def _count(turn: Turn, q: str, asked: AskedArea, what: str) -> None:
    """How many sessions, people attending or people helped in a period (a village if one is named)."""
    _ = turn._
    tr = turn.tr
    member = turn.require_member()
    period = _period(turn, q)
    label = period_label(turn, period)
    if _one_commune(member, asked) is None:
        month = period.start.replace(day=1)
        rollup = province_rollup(turn.session, Scope.of(member), member.province_code, month)
        unit, label = rollup.province_name, _("tháng {month}").format(month=month_label(turn, month))
        totals = {"sessions": rollup.sessions, "attendees": rollup.attendees, "helped": sum(rollup.help.values())}
        help_by_kind = rollup.help
        villages: list[tuple[str, int]] = []
    else:
        progress = _progress_of(turn, member, period, asked)
        rows = progress.villages
        unit = _unit(turn, progress)
        totals = {
            "sessions": sum(v.sessions for v in rows),
            "attendees": sum(v.attendees for v in rows),
            "helped": sum(v.helped for v in rows),
        }
        help_by_kind = {}
        for v in rows:
            for kind, n in v.help.items():
                help_by_kind[kind] = help_by_kind.get(kind, 0) + n
        villages = (
            [
                (v.name, v.sessions if what == "sessions" else v.attendees if what == "attendees" else v.helped)
                for v in rows
            ]
            if len(rows) > 1
            else []
        )
    label = label[:1].upper() + label[1:]
    if what == "sessions":
        text = _("{period}, {unit} có {n} buổi sinh hoạt.").format(
            period=label, unit=unit, n=tr.number(totals["sessions"])
        )
    elif what == "attendees":
        text = _("{period}, {unit} có {n} lượt người tham dự các buổi sinh hoạt.").format(
            period=label, unit=unit, n=tr.number(totals["attendees"])
        )
    else:
        text = _("{period}, {unit} đã hỗ trợ {n} lượt người.").format(
            period=label, unit=unit, n=tr.number(totals["helped"])
        )
        if help_by_kind:
            text += "\n" + "\n".join(
                _("• {kind}: {n}").format(kind=_(HELP_KINDS[k]), n=tr.number(n))
                for k, n in sorted(help_by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
            )
    if villages and what != "helped":
        text += "\n" + "\n".join(_("• {village}: {n}").format(village=name, n=tr.number(n)) for name, n in villages)
    turn.say(text, main_menu(turn))


def _may_see_progress(member: Member, asked: AskedArea) -> bool:
    """Team members, commune admins and leaders see their progress; a province viewer, a commune's."""
    if member.role == ROLE_PROVINCE_VIEWER:
        return asked.commune_code is not None
    return member.commune_code is not None and member.role in (*VILLAGE_ROLES, *COMMUNE_ROLES)


def _progress(turn: Turn, q: str, asked: AskedArea) -> None:
    member = turn.require_member()
    if member.role == ROLE_PROVINCE_VIEWER and asked.commune_code is None:
        return province_view.render(turn, month_from_text(q, turn.today) or province_view.default_month(turn.today))
    if not _may_see_progress(member, asked):
        return what_can_be_asked(turn)
    period = period_from_text(q, turn.today)
    render_progress(
        turn,
        period.kind if period else PERIOD_MONTH,
        day=period.start if period else None,
        commune_code=asked.commune_code,
        village_id=asked.village_id,
    )


def _chart(turn: Turn, q: str, asked: AskedArea) -> None:
    """«cho xem biểu đồ tháng này»: the chart the «📈 Biểu đồ» button sends, for the period asked (a month
    by default, as the button's view); a province viewer's is the province's month unless a commune is named."""
    member = turn.member
    if member is None:
        return what_can_be_asked(turn)
    if member.role == ROLE_PROVINCE_VIEWER and asked.commune_code is None:
        return province_view.send_chart(turn, month_from_text(q, turn.today) or province_view.default_month(turn.today))
    if not _may_see_progress(member, asked):
        return what_can_be_asked(turn)
    period = period_from_text(q, turn.today)
    send_chart(
        turn,
        current(
            turn,
            period.kind if period else PERIOD_MONTH,
            period.start if period else None,
            asked.commune_code,
            asked.village_id,
        ),
    )


# answers whose words win over a programme's name («biểu đồ», «xuất file», «hạn nộp», «thôn nào chưa có buổi»)
_NOT_PROGRAMMES = (_chart, _export, _deadline, _no_session, _submitted)
