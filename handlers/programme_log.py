"""The provinces' programme figures and a session's priority groups in a logging draft: what is kept of a line
read, the questions for a count that is missing, the read-back lines, and the saving.

Only the programmes the member's province runs are kept (`provinces.enabled_programmes`); one read but not
run is named politely as not counted in this province, and nothing is saved for it. The draft keeps
`programmes` ([id, count or None, unit, mentor or None]), `groups` ({group: count or None}) and
`not_counted` ([id]); a count that is missing, refused or over the attendees is asked for by its slot
(`p<index>` or `g-<group>`), never guessed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.nlu.parser import read_attendance
from bot.nlu.report import ParsedReport
from handlers import log_steps as steps
from handlers.base import Turn
from handlers.errors import explain
from storage import activity
from storage.errors import DomainError
from storage.models import Member, TrainingSession, Village
from storage.programmes import provinces, records
from storage.programmes.catalog import UNITS, Programme, shipped
from storage.vocab import PRIORITY_GROUPS


def enabled_ids(turn: Turn) -> set[str]:
    """The ids of the programmes the member's province runs."""
    member = turn.member
    if member is None or member.province_code is None:
        return set()
    return {p.id for p in provinces.enabled_programmes(turn.session, member.province_code)}


def draft_part(turn: Turn, parsed: ParsedReport) -> dict[str, Any]:
    """What a line read adds to a draft: the figures of the programmes the province runs, the others named, and
    the session's priority groups (only with a session)."""
    running = enabled_ids(turn)
    part: dict[str, Any] = {}
    kept = [[p.id, p.count, p.unit, p.mentor] for p in parsed.programmes if p.id in running]
    skipped = list(dict.fromkeys(p.id for p in parsed.programmes if p.id not in running))
    if kept:
        part["programmes"] = kept
    if skipped:
        part["not_counted"] = skipped
    if parsed.session is not None and parsed.priority_groups:
        part["groups"] = dict(parsed.priority_groups)
    return part


def has_mentors(programme: Programme) -> bool:
    """Whether a programme counts mentors by name (Đại sứ số), so a figure may name its mentor."""
    return any(m.unit == "mentors" for m in (programme.counted, *programme.also_counted))


def has_figures(data: dict[str, Any]) -> bool:
    return bool(data.get("programmes"))


def missing_slot(data: dict[str, Any]) -> str | None:
    """The first count still to ask: a programme's refused count, a group's refused count or one over the
    attendees (the attendees themselves are asked before)."""
    for index, (_pid, count, _unit, _mentor) in enumerate(data.get("programmes", [])):
        if count is None:
            return f"p{index}"
    attendees = data.get("attendees")
    for group, count in data.get("groups", {}).items():
        if count is None or (attendees is not None and count > attendees):
            return f"g-{group}"
    return None


def _programme_name(turn: Turn, programme_id: str) -> str:
    programme = shipped().get(programme_id)
    return programme.name(turn.tr.locale) if programme is not None else programme_id


def _unit(turn: Turn, unit: str) -> str:
    return turn._(UNITS[unit]) if unit in UNITS else unit


def ask_slot(turn: Turn, step: str, slot: str) -> None:
    """Ask the count of one slot: a programme's figure or a priority group's attendees."""
    _ = turn._
    turn.goto(step, slot=slot)
    if slot.startswith("g-"):
        group = slot[2:]
        turn.say(
            _("Trong {n} người dự buổi, có bao nhiêu {group}? Bạn gõ một con số.").format(
                n=turn.tr.number(int(turn.data.get("attendees") or 0)), group=_(PRIORITY_GROUPS.get(group, group))
            )
        )
        return
    pid, _count, unit, _mentor = turn.data["programmes"][int(slot[1:])]
    turn.say(
        _("«{programme}»: bao nhiêu {unit}? Bạn gõ một con số.").format(
            programme=_programme_name(turn, pid), unit=_unit(turn, unit)
        )
    )


def take_slot(turn: Turn, step: str) -> bool:
    """A typed count for the slot asked; True when it is kept (the draft updated), False when asked again."""
    _ = turn._
    slot = str(turn.data.get("slot", ""))
    data = {k: v for k, v in turn.data.items() if k != "slot"}
    limits = turn.config.limits
    if slot.startswith("g-"):
        maximum = min(int(data.get("attendees") or limits.max_attendees), limits.max_attendees)
        count = steps.count_from_text(turn, maximum, _("Bạn gõ lại số người trong nhóm này nhé."))
        if count is None:
            turn.goto(step, slot=slot)
            return False
        data["groups"] = {**data.get("groups", {}), slot[2:]: count}
    elif slot.startswith("p") and slot[1:].isdigit() and int(slot[1:]) < len(data.get("programmes", [])):
        count = steps.count_from_text(turn, limits.max_help_count, _("Bạn gõ lại con số nhé."))
        if count is None:
            turn.goto(step, slot=slot)
            return False
        figures = [list(f) for f in data["programmes"]]
        figures[int(slot[1:])][1] = count
        data["programmes"] = figures
    turn.state.data = data
    return True


def fix_slots(turn: Turn) -> list[tuple[str, str]]:
    """(label, slot) of each programme figure and group the «Sửa» question offers."""
    _ = turn._
    out = [
        (_("Số liệu: {programme}").format(programme=_programme_name(turn, pid)), f"p{index}")
        for index, (pid, _count, _unit, _mentor) in enumerate(turn.data.get("programmes", []))
    ]
    out += [
        (_("Số {group}").format(group=_(PRIORITY_GROUPS.get(group, group))), f"g-{group}")
        for group in turn.data.get("groups", {})
    ]
    return out


def is_slot(data: dict[str, Any], arg: str) -> bool:
    """Whether a «Sửa» choice names a figure or a group of this draft (a forged one names none)."""
    if arg.startswith("p") and arg[1:].isdigit():
        return int(arg[1:]) < len(data.get("programmes", []))
    return arg.startswith("g-") and arg[2:] in data.get("groups", {})


def summary_lines(turn: Turn, data: dict[str, Any]) -> list[str]:
    """The read-back lines of the groups and the programme figures."""
    _ = turn._
    lines: list[str] = []
    groups = data.get("groups", {})
    if groups:
        parts = [
            _("{n} {group}").format(n=turn.tr.number(count), group=_(PRIORITY_GROUPS[g]))
            for g, count in groups.items()
            if g in PRIORITY_GROUPS and count is not None
        ]
        lines.append(_("👥 Trong đó: {groups}").format(groups="; ".join(parts)))
    figures = data.get("programmes", [])
    if figures:
        lines.append(_("🏅 Chương trình của tỉnh:"))
        for pid, count, unit, mentor in figures:
            figure = _("{n} {unit}").format(n=turn.tr.number(count), unit=_unit(turn, unit))
            if mentor:
                lines.append(
                    _("• {programme} (người hướng dẫn: {mentor}): {figure}").format(
                        programme=_programme_name(turn, pid), mentor=mentor, figure=figure
                    )
                )
            else:
                lines.append(_("• {programme}: {figure}").format(programme=_programme_name(turn, pid), figure=figure))
    return lines


def not_counted_line(turn: Turn, data: dict[str, Any]) -> str | None:
    """A polite line naming the programmes read that the province does not run (nothing saved for them)."""
    skipped = data.get("not_counted", [])
    if not skipped:
        return None
    names = ", ".join("«" + _programme_name(turn, pid) + "»" for pid in skipped)
    return turn._(
        "ℹ️ Tỉnh mình chưa triển khai {names} trên hệ thống, nên số liệu này không được tính và tôi không lưu."
    ).format(names=names)


def save_part(
    turn: Turn,
    data: dict[str, Any],
    *,
    village: Village,
    day: dt.date,
    owner: Member,
    source: str,
    training_session: TrainingSession | None,
) -> None:
    """Save the figures of the programmes the province still runs, and the session's groups (the caller's
    transaction: all or nothing with the session and help)."""
    member = turn.require_member()
    running = enabled_ids(turn)
    figures = [
        records.ProgrammeFigure(pid, int(count), unit, mentor)
        for pid, count, unit, mentor in data.get("programmes", [])
        if pid in running
    ]
    if figures:
        records.record_programmes(
            turn.session,
            village=village,
            day=day,
            figures=figures,
            member=owner,
            author=member,
            source=source,
            now=turn.now,
            today=turn.today,
            bounds=steps.bounds(turn),
            training_session=training_session,
        )
    groups = {g: int(n) for g, n in data.get("groups", {}).items() if n is not None}
    if groups and training_session is not None:
        records.record_priority_groups(
            turn.session, training_session=training_session, groups=groups, author=member, now=turn.now
        )


def attendance_from_text(turn: Turn, retry: str) -> tuple[bool, tuple[int, dict[str, int]] | None]:
    """An answer to "how many attended?" that names priority groups ("23 người, 15 người cao tuổi"), where the
    province runs programmes: (taken, (attendees, groups)); (True, None) when refused and asked again;
    (False, None) when it names no group (the caller reads a plain count)."""
    _ = turn._
    if not enabled_ids(turn):
        return False, None
    reading = read_attendance(turn.text or "")
    if reading is None:
        return False, None
    if reading.unreadable or reading.total is None or any(n is None for n in reading.groups.values()):
        notes = [steps.number_refusal(turn, u.problem, u.text) for u in reading.unreadable]
        turn.say("\n".join([*notes, retry]))
        return True, None
    total = reading.total
    groups = {g: int(n) for g, n in reading.groups.items() if n is not None}
    try:
        activity.check_count(total, turn.config.limits.max_attendees)
        records.check_priority_groups(groups, total)
    except DomainError as error:
        turn.say(explain(error, turn.tr) + "\n" + retry)
        return True, None
    return True, (total, groups)
