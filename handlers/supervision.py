"""/kiemtra (also /giamsat, or «có gì cần kiểm tra không?»): this month's entries worth a second look in the
leader's area, each saying why, and the honour roll; /bieuduong: the honour roll alone.

A commune's admin or leader reads each flag of their commune; a province viewer the flags counted per commune of
their province. The logic is `storage/supervision/overview.py`; the words are shared with the leaders' pages
(`bot/reports/supervision.py`).
"""

from __future__ import annotations

from bot.reports.supervision import NO_FLAGS, RULE_NAMES, flag_text, honour_line
from handlers.base import Turn
from handlers.common import main_menu, not_allowed
from handlers.web_link import dashboard_buttons
from storage.errors import DomainError
from storage.supervision import RULES
from storage.supervision.overview import Overview, overview

MAX_FLAGS = 8  # a chat answer fits a phone screen (and Zalo's 2.000 characters); the rest is on the page
MAX_COMMUNES = 10


def _flag_lines(turn: Turn, view: Overview) -> list[str]:
    _ = turn._
    if not view.province:
        if not view.flags:
            return [_(NO_FLAGS)]
        lines = [f"• {flag_text(turn.tr, flag)}" for flag in view.flags[:MAX_FLAGS]]
        if len(view.flags) > MAX_FLAGS:
            lines.append(
                _("… và {n} mục khác: xem đủ trên bảng theo dõi (/web).").format(
                    n=turn.tr.number(len(view.flags) - MAX_FLAGS)
                )
            )
        return lines
    if not view.counts:
        return [_("Không xã nào có mục cần xem lại trong tháng này.")]
    order = sorted(view.counts, key=lambda code: (-sum(view.counts[code].values()), view.names.get(code, "")))
    lines = []
    for code in order[:MAX_COMMUNES]:
        counts = view.counts[code]
        kinds = ", ".join(
            _("{name} ({n})").format(name=_(RULE_NAMES[rule]), n=turn.tr.number(counts[rule]))
            for rule in RULES
            if counts.get(rule)
        )
        lines.append(f"• {view.names.get(code, str(code))}: {kinds}")
    if len(order) > MAX_COMMUNES:
        lines.append(
            _("… và {n} xã khác: xem đủ trên bảng theo dõi (/web).").format(n=turn.tr.number(len(order) - MAX_COMMUNES))
        )
    return lines


def _honour_lines(turn: Turn, view: Overview) -> list[str]:
    _ = turn._
    title = (
        _("🏅 Biểu dương – các xã sinh hoạt đều đặn nhất:")
        if view.province
        else _("🏅 Biểu dương – các thôn sinh hoạt đều đặn nhất:")
    )
    if not view.honour:
        return [title, _("Chưa có buổi sinh hoạt nào trong tháng này.")]
    return [title] + [
        f"{n}. {honour_line(turn.tr, standing, commune=view.province)}" for n, standing in enumerate(view.honour, 1)
    ]


def _read(turn: Turn, with_flags: bool) -> Overview | None:
    member = turn.member
    if member is None:
        return None
    try:
        return overview(turn.session, member, turn.today, turn.config.tz, with_flags=with_flags)
    except DomainError:
        return None


def command(turn: Turn, _argument: str = "") -> None:
    """/kiemtra: this month's flags of the leader's area (never an accusation), then the honour roll."""
    _ = turn._
    view = _read(turn, with_flags=True)
    if view is None:
        return not_allowed(turn)
    month = _("tháng {month}/{year}").format(month=view.period.start.month, year=view.period.start.year)
    lines = [
        _("🔎 Mục nên xem lại – {area}, {month}").format(area=view.area, month=month),
        _("Để kiểm tra lại cho chắc, không phải kết luận sai phạm."),
        *_flag_lines(turn, view),
        "",
        *_honour_lines(turn, view),
    ]
    turn.say("\n".join(lines), dashboard_buttons(turn) or main_menu(turn))


def honour(turn: Turn, _argument: str = "") -> None:
    """/bieuduong: the villages (a province: the communes) with the most regular weekly sessions this month."""
    view = _read(turn, with_flags=False)
    if view is None:
        return not_allowed(turn)
    lines = [*_honour_lines(turn, view), "", turn._("Tỉ lệ: số tuần có buổi sinh hoạt trên số tuần đã qua của tháng.")]
    turn.say("\n".join(lines), dashboard_buttons(turn) or main_menu(turn))
