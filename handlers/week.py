"""/tuannay: the week so far (Monday–Sunday) for a village team or a whole commune."""

from __future__ import annotations

from handlers.base import Turn
from handlers.common import main_menu, not_allowed
from storage.activity import activity_by_village
from storage.areas import get_commune
from storage.periods import week_of
from storage.vocab import HELP_KINDS, VILLAGE_ROLES


def show_week(turn: Turn) -> None:
    """Sessions, attendees and people helped this week, and the villages with no session yet."""
    _ = turn._
    tr = turn.tr
    member = turn.member
    if member is None or member.commune_code is None:
        return not_allowed(turn)
    monday, sunday = week_of(turn.today)
    only_village = member.village_id if member.role in VILLAGE_ROLES else None
    rows = activity_by_village(turn.session, member.commune_code, monday, sunday, village_id=only_village)
    header = _("📊 Tuần {start} – {end}").format(start=tr.short_date(monday), end=tr.date(sunday))
    if only_village is not None:
        row = rows[0] if rows else None
        if row is None:
            turn.say(header + "\n" + _("Chưa có dữ liệu."), main_menu(turn))
            return
        lines = [
            header,
            row.village.name,
            _("Buổi sinh hoạt: {n}").format(n=tr.number(row.sessions)),
            _("Người tham dự: {n}").format(n=tr.number(row.attendees)),
        ]
        for kind, count in sorted(row.help.items(), key=lambda kv: -kv[1]):
            lines.append(_("• {kind}: {n} người").format(kind=_(HELP_KINDS[kind]), n=tr.number(count)))
        if row.sessions == 0:
            lines += ["", _("⚠️ Tuần này thôn chưa có buổi sinh hoạt nào. Mỗi thôn cần ít nhất một buổi mỗi tuần.")]
        turn.say("\n".join(lines), main_menu(turn))
        return
    commune = get_commune(turn.session, member.commune_code)
    lines = [header, commune.name, ""]
    for row in rows:
        lines.append(
            _("{village}: {sessions} buổi, {attendees} người dự, {helped} lượt hỗ trợ").format(
                village=row.village.name,
                sessions=tr.number(row.sessions),
                attendees=tr.number(row.attendees),
                helped=tr.number(row.helped),
            )
        )
    missing = [row.village.name for row in rows if row.sessions == 0]
    total_sessions = sum(r.sessions for r in rows)
    lines += [
        "",
        _("Cả xã: {sessions} buổi, {attendees} người dự, {helped} lượt hỗ trợ.").format(
            sessions=tr.number(total_sessions),
            attendees=tr.number(sum(r.attendees for r in rows)),
            helped=tr.number(sum(r.helped for r in rows)),
        ),
    ]
    if not rows:
        lines.append(_("Xã chưa có thôn nào."))
    elif missing:
        lines.append(_("⚠️ Chưa có buổi sinh hoạt: {villages}.").format(villages=", ".join(missing)))
    else:
        lines.append(_("✅ Thôn nào cũng đã có buổi sinh hoạt."))
    turn.say("\n".join(lines), main_menu(turn))
