"""Programme figures logged by village teams, and the priority groups of a session's attendees: saving them
(with the audit trail, like sessions and help) and adding them up per village, commune and month.

What a province runs is the handler's question (`provinces.enabled_programmes`); here a figure is refused only
when the catalog does not know its programme or unit, or the programme is not logged by villages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage import audit
from storage.activity import Bounds, check_count, check_date
from storage.errors import DomainError
from storage.models import Member, ProgrammeRecord, SessionPriorityGroup, TrainingSession, Village, saved_id
from storage.periods import month_of
from storage.programmes.catalog import Catalog, shipped
from storage.reports import ensure_open
from storage.vocab import PRIORITY_GROUPS

RECORD_FIELDS = (
    "programme",
    "village_id",
    "record_date",
    "count",
    "unit",
    "mentor",
    "session_id",
    "member_id",
    "author_id",
    "source",
)
MENTOR_MAX = 60
# a name: letters, spaces, dots, hyphens and apostrophes; no digit, so never a phone or an ID number
_NAME = re.compile(r"^[^\W\d_]+(?:[ .'\-][^\W\d_]+)*\.?$")


@dataclass(frozen=True)
class ProgrammeFigure:
    """One figure to save: a programme of the catalog, a count in one of its units, a mentor's name or None."""

    programme: str
    count: int
    unit: str
    mentor: str | None = None


def check_mentor(name: str | None) -> str | None:
    """A mentor's name, tidied; a text that is not a name (digits, symbols, too long) is refused."""
    if name is None:
        return None
    tidy = " ".join(name.split())
    if not tidy:
        return None
    if len(tidy) > MENTOR_MAX or not _NAME.match(tidy):
        raise DomainError("mentor_not_a_name", name=tidy[:MENTOR_MAX])
    return tidy


def check_figure(figure: ProgrammeFigure, bounds: Bounds, catalog: Catalog | None = None) -> None:
    """Refuse a figure of an unknown programme or unit, a count out of bounds, a mentor that is not a name."""
    programme = (catalog or shipped()).get(figure.programme)
    if programme is None or not programme.logged_by_villages:
        raise DomainError("unknown_programme", programme=figure.programme)
    if figure.unit not in {m.unit for m in (programme.counted, *programme.also_counted)}:
        raise DomainError("unknown_programme", programme=figure.programme)
    check_count(figure.count, bounds.max_help_count)
    check_mentor(figure.mentor)


def record_programmes(
    session: Session,
    *,
    village: Village,
    day: dt.date,
    figures: Sequence[ProgrammeFigure],
    member: Member,
    author: Member,
    source: str,
    now: dt.datetime,
    today: dt.date,
    bounds: Bounds,
    training_session: TrainingSession | None = None,
) -> list[ProgrammeRecord]:
    """Save programme figures of a village on a day, each audited; linked to the session they came with."""
    check_date(day, today, bounds)
    ensure_open(session, village.commune_code, day)
    rows: list[ProgrammeRecord] = []
    for figure in figures:
        check_figure(figure, bounds)
        row = ProgrammeRecord(
            programme=figure.programme,
            commune_code=village.commune_code,
            village_id=saved_id(village),
            record_date=day,
            count=figure.count,
            unit=figure.unit,
            mentor=check_mentor(figure.mentor),
            session_id=None if training_session is None else training_session.id,
            member_id=saved_id(member),
            author_id=saved_id(author),
            source=source,
            created_at=now,
            updated_at=now,
        )
        audit.save(
            session,
            row,
            actor_id=author.id,
            entity="programme_record",
            now=now,
            before=None,
            after=audit.snapshot(row, RECORD_FIELDS),
        )
        rows.append(row)
    return rows


def check_priority_groups(groups: dict[str, int], attendees: int) -> None:
    """Each group a known one, from 1 and at most the attendees (groups overlap: not their sum)."""
    for group, count in groups.items():
        if group not in PRIORITY_GROUPS:
            raise DomainError("unknown_priority_group", group=group)
        if count < 1:
            raise DomainError("count_too_small", count=count)
        if count > attendees:
            raise DomainError("priority_group_over_attendees", count=count, attendees=attendees)


def record_priority_groups(
    session: Session, *, training_session: TrainingSession, groups: dict[str, int], author: Member, now: dt.datetime
) -> list[SessionPriorityGroup]:
    """Save a session's attendees by priority group, audited with the session's id."""
    check_priority_groups(groups, training_session.attendees)
    rows = [SessionPriorityGroup(session_id=saved_id(training_session), group=g, count=n) for g, n in groups.items()]
    session.add_all(rows)
    session.flush()
    if rows:
        audit.record(
            session,
            actor_id=author.id,
            action="create",
            entity="session_priority_groups",
            entity_id=training_session.id,
            now=now,
            after=dict(groups),
        )
    return rows


def replace_priority_groups(
    session: Session, *, training_session: TrainingSession, groups: dict[str, int], author: Member, now: dt.datetime
) -> dict[str, int]:
    """A session's priority groups replaced by those given (none: the breakdown removed), audited with the
    before and after; returns the groups kept."""
    check_priority_groups(groups, training_session.attendees)
    session_id = saved_id(training_session)
    before = priority_groups_of(session, session_id)
    if before == groups:
        return before
    for row in session.exec(select(SessionPriorityGroup).where(SessionPriorityGroup.session_id == session_id)):
        session.delete(row)
    session.flush()
    session.add_all(SessionPriorityGroup(session_id=session_id, group=g, count=n) for g, n in groups.items())
    session.flush()
    audit.record(
        session,
        actor_id=author.id,
        action="update",
        entity="session_priority_groups",
        entity_id=session_id,
        now=now,
        before=before,
        after=dict(groups),
    )
    return priority_groups_of(session, session_id)


def priority_groups_of(session: Session, session_id: int) -> dict[str, int]:
    """A session's attendees by priority group, in the order of `PRIORITY_GROUPS`."""
    rows = {
        r.group: r.count
        for r in session.exec(select(SessionPriorityGroup).where(SessionPriorityGroup.session_id == session_id))
    }
    return {g: rows[g] for g in PRIORITY_GROUPS if g in rows}


# Sums -------------------------------------------------------------------------------------------------------
#
# Keys are (programme, unit): a programme may count more than one thing (4T: traders and markets).

Totals = dict[tuple[str, str], int]


def totals_by_village(
    session: Session, commune_code: int, start: dt.date, end: dt.date, village_id: int | None = None
) -> dict[int, Totals]:
    """Live programme figures per village between two days (inclusive): village id -> (programme, unit) -> sum."""
    query = (
        select(
            ProgrammeRecord.village_id, ProgrammeRecord.programme, ProgrammeRecord.unit, func.sum(ProgrammeRecord.count)
        )
        .where(
            ProgrammeRecord.commune_code == commune_code,
            ProgrammeRecord.record_date >= start,
            ProgrammeRecord.record_date <= end,
            col(ProgrammeRecord.deleted_at).is_(None),
        )
        .group_by(col(ProgrammeRecord.village_id), col(ProgrammeRecord.programme), col(ProgrammeRecord.unit))
    )
    if village_id is not None:
        query = query.where(ProgrammeRecord.village_id == village_id)
    out: dict[int, Totals] = {}
    for vid, programme, unit, total in session.exec(query):
        out.setdefault(vid, {})[(programme, unit)] = int(total)
    return out


def totals_of_commune(session: Session, commune_code: int, start: dt.date, end: dt.date) -> Totals:
    """Live programme figures of a commune between two days (inclusive): (programme, unit) -> sum."""
    out: Totals = {}
    for figures in totals_by_village(session, commune_code, start, end).values():
        for key, total in figures.items():
            out[key] = out.get(key, 0) + total
    return out


def totals_of_month(session: Session, commune_code: int, month: dt.date) -> Totals:
    """A commune's programme figures in the month of a day."""
    start, end = month_of(month)
    return totals_of_commune(session, commune_code, start, end)


def mentees_by_mentor(
    session: Session, commune_code: int, programme: str, start: dt.date, end: dt.date
) -> dict[str, int]:
    """People guided per named mentor of a programme between two days: the per-mentor rule's figures."""
    query = (
        select(ProgrammeRecord.mentor, func.sum(ProgrammeRecord.count))
        .where(
            ProgrammeRecord.commune_code == commune_code,
            ProgrammeRecord.programme == programme,
            ProgrammeRecord.unit == "people",
            col(ProgrammeRecord.mentor).is_not(None),
            ProgrammeRecord.record_date >= start,
            ProgrammeRecord.record_date <= end,
            col(ProgrammeRecord.deleted_at).is_(None),
        )
        .group_by(col(ProgrammeRecord.mentor))
        .order_by(col(ProgrammeRecord.mentor))
    )
    return {str(mentor): int(total) for mentor, total in session.exec(query)}


def priority_totals(session: Session, commune_code: int, start: dt.date, end: dt.date) -> dict[str, int]:
    """Attendees by priority group of a commune's live sessions between two days."""
    query = (
        select(SessionPriorityGroup.group, func.sum(SessionPriorityGroup.count))
        .join(TrainingSession, col(TrainingSession.id) == col(SessionPriorityGroup.session_id))
        .where(
            TrainingSession.commune_code == commune_code,
            TrainingSession.session_date >= start,
            TrainingSession.session_date <= end,
            col(TrainingSession.deleted_at).is_(None),
        )
        .group_by(col(SessionPriorityGroup.group))
    )
    totals = {str(g): int(n) for g, n in session.exec(query)}
    return {g: totals[g] for g in PRIORITY_GROUPS if g in totals}
