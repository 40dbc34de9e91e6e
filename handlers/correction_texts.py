"""What /sua and /xoa show of an entry: one line naming it, the whole of it, and the parts that may be fixed.

An entry is a session (with the programme figures logged with it and its attendees' priority groups), a help
record or a programme figure; each is read back before it changes, so that the person sees what will change.
"""

from __future__ import annotations

from handlers import log_steps as steps
from handlers import programme_log
from handlers.base import Turn
from storage import corrections
from storage.corrections import Entry
from storage.models import HelpRecord, Member, ProgrammeRecord, TrainingSession, Village, saved_id
from storage.programmes import records
from storage.programmes.catalog import UNITS, shipped
from storage.vocab import HELP_KINDS, N_, PRIORITY_GROUPS, TOPICS

#: the part of an entry -> its button's label
FIELD_LABELS: dict[str, str] = {
    "date": N_("Ngày"),
    "topics": N_("Nội dung"),
    "attendees": N_("Số người"),
    "count": N_("Số người"),
    "figure": N_("Con số"),
    "mentor": N_("Người hướng dẫn"),
    "groups": N_("Nhóm ưu tiên"),
    "village": N_("Thôn"),
}


def programme_name(turn: Turn, programme_id: str) -> str:
    programme = shipped().get(programme_id)
    return programme.name(turn.tr.locale) if programme is not None else programme_id


def figure_text(turn: Turn, count: int, unit: str) -> str:
    return turn._("{n} {unit}").format(n=turn.tr.number(count), unit=turn._(UNITS[unit]) if unit in UNITS else unit)


def groups_text(turn: Turn, groups: dict[str, int]) -> str:
    """«15 người cao tuổi; 2 người khuyết tật», or «không có» for none."""
    _ = turn._
    if not groups:
        return _("không có")
    return "; ".join(
        _("{n} {group}").format(n=turn.tr.number(n), group=_(PRIORITY_GROUPS[g]))
        for g, n in groups.items()
        if g in PRIORITY_GROUPS
    )


def describe(turn: Turn, entry: Entry) -> str:
    """One line naming an entry: what, when, where, how many."""
    _ = turn._
    village = turn.session.get(Village, entry.village_id)
    where = village.name if village else "?"
    if isinstance(entry, TrainingSession):
        return _("Buổi sinh hoạt {day} · {village} · {n} người").format(
            day=turn.tr.short_date(entry.session_date), village=where, n=turn.tr.number(entry.attendees)
        )
    if isinstance(entry, ProgrammeRecord):
        return _("{programme} {day} · {village}: {figure}").format(
            programme=programme_name(turn, entry.programme),
            day=turn.tr.short_date(entry.record_date),
            village=where,
            figure=figure_text(turn, entry.count, entry.unit),
        )
    return _("Hỗ trợ {day} · {village} · {kind}: {n}").format(
        day=turn.tr.short_date(entry.record_date),
        village=where,
        kind=_(HELP_KINDS[entry.kind]),
        n=turn.tr.number(entry.count),
    )


def details(turn: Turn, entry: Entry) -> str:
    """The whole entry, including who logged it for whom; a session with its groups and programme figures."""
    _ = turn._
    lines = [describe(turn, entry)]
    if isinstance(entry, TrainingSession):
        lines.append(_("📚 Nội dung: {topics}").format(topics="; ".join(_(TOPICS[t]) for t in entry.topics)))
        groups = records.priority_groups_of(turn.session, saved_id(entry))
        if groups:
            lines.append(_("👥 Trong đó: {groups}").format(groups=groups_text(turn, groups)))
        for figure in corrections.linked_figures(turn.session, entry):
            lines.append(
                _("🏅 {programme}: {figure}").format(
                    programme=programme_name(turn, figure.programme),
                    figure=figure_text(turn, figure.count, figure.unit),
                )
            )
    if isinstance(entry, ProgrammeRecord) and entry.mentor:
        lines.append(_("🧑‍🏫 Người hướng dẫn: {mentor}").format(mentor=entry.mentor))
    owner = turn.session.get(Member, entry.member_id)
    if entry.author_id != entry.member_id:
        author = turn.session.get(Member, entry.author_id)
        lines.append(
            _("👤 Của {member}, do {author} ghi thay").format(
                member=owner.display_name if owner else "?", author=author.display_name if author else "?"
            )
        )
    elif turn.member is not None and entry.member_id != turn.member.id:  # a lead or an admin fixing another's
        lines.append(_("👤 Của {member}").format(member=owner.display_name if owner else "?"))
    return "\n".join(lines)


def fields(turn: Turn, entry: Entry) -> list[str]:
    """The parts of this entry that may be fixed: a session's priority groups where the province runs
    programmes (or it has some), a figure's mentor where the programme names mentors, the village only when
    the person has more than one."""
    if isinstance(entry, TrainingSession):
        out = ["date", "topics", "attendees"]
        if programme_log.enabled_ids(turn) or records.priority_groups_of(turn.session, saved_id(entry)):
            out.append("groups")
    elif isinstance(entry, HelpRecord):
        out = ["date", "count"]
    else:
        programme = shipped().get(entry.programme)
        out = ["date", "figure"] + (
            ["mentor"] if programme is not None and programme_log.has_mentors(programme) else []
        )
    return out + (["village"] if len(steps.choosable_villages(turn)) > 1 else [])
