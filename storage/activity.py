"""Training sessions and help records: saving them (with the audit trail) and reading them back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from storage import audit
from storage.errors import DomainError
from storage.models import HelpRecord, Member, TrainingSession, Village, saved_id
from storage.reports import ensure_open
from storage.vocab import HELP_KINDS, ROLE_TEAM_LEAD, TOPICS, VILLAGE_ROLES

SESSION_FIELDS = ("village_id", "session_date", "topics", "attendees", "member_id", "author_id", "source")
HELP_FIELDS = ("village_id", "record_date", "kind", "count", "member_id", "author_id", "source")


@dataclass(frozen=True)
class Bounds:
    """What is accepted as a count or a date (from the config's limits)."""

    max_attendees: int
    max_help_count: int
    max_days_back: int


def check_date(day: dt.date, today: dt.date, bounds: Bounds) -> None:
    if day > today:
        raise DomainError("date_in_future", date=day)
    if day < today - dt.timedelta(days=bounds.max_days_back):
        raise DomainError("date_too_old", date=day, days=bounds.max_days_back)


def check_count(count: int, maximum: int) -> None:
    if count < 1:
        raise DomainError("count_too_small", count=count)
    if count > maximum:
        raise DomainError("count_too_large", count=count, maximum=maximum)


def record_session(
    session: Session,
    *,
    village: Village,
    day: dt.date,
    topics: list[str],
    attendees: int,
    member: Member,
    author: Member,
    source: str,
    now: dt.datetime,
    today: dt.date,
    bounds: Bounds,
) -> TrainingSession:
    """Save a session held in a village, after checking the date, topics and count."""
    check_date(day, today, bounds)
    ensure_open(session, village.commune_code, day)
    check_count(attendees, bounds.max_attendees)
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise DomainError("unknown_topic", topic=unknown[0])
    if not topics:
        raise DomainError("no_topic")
    row = TrainingSession(
        commune_code=village.commune_code,
        village_id=saved_id(village),
        session_date=day,
        topics=list(dict.fromkeys(topics)),
        attendees=attendees,
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
        entity="training_session",
        now=now,
        before=None,
        after=audit.snapshot(row, SESSION_FIELDS),
    )
    return row


def record_help(
    session: Session,
    *,
    village: Village,
    day: dt.date,
    items: list[tuple[str, int]],
    member: Member,
    author: Member,
    source: str,
    now: dt.datetime,
    today: dt.date,
    bounds: Bounds,
) -> list[HelpRecord]:
    """Save counts of people helped, one record per kind."""
    check_date(day, today, bounds)
    ensure_open(session, village.commune_code, day)
    if not items:
        raise DomainError("no_help_items")
    rows = []
    for kind, count in items:
        if kind not in HELP_KINDS:
            raise DomainError("unknown_help_kind", kind=kind)
        check_count(count, bounds.max_help_count)
        row = HelpRecord(
            commune_code=village.commune_code,
            village_id=saved_id(village),
            record_date=day,
            kind=kind,
            count=count,
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
            entity="help_record",
            now=now,
            before=None,
            after=audit.snapshot(row, HELP_FIELDS),
        )
        rows.append(row)
    return rows


@dataclass
class VillageWeek:
    """One village's activity over a period."""

    village: Village
    sessions: int = 0
    attendees: int = 0
    help: dict[str, int] = field(default_factory=dict)

    @property
    def helped(self) -> int:
        return sum(self.help.values())


def activity_by_village(
    session: Session, commune_code: int, start: dt.date, end: dt.date, village_id: int | None = None
) -> list[VillageWeek]:
    """Sessions, attendees and people helped per village between two dates (inclusive)."""
    villages = session.exec(select(Village).where(Village.commune_code == commune_code).order_by(col(Village.id))).all()
    if village_id is not None:
        villages = [v for v in villages if v.id == village_id]
    rows = {v.id: VillageWeek(village=v) for v in villages}
    sessions = session.exec(
        select(TrainingSession.village_id, func.count(), func.coalesce(func.sum(TrainingSession.attendees), 0))
        .where(
            TrainingSession.commune_code == commune_code,
            TrainingSession.session_date >= start,
            TrainingSession.session_date <= end,
            col(TrainingSession.deleted_at).is_(None),
        )
        .group_by(col(TrainingSession.village_id))
    ).all()
    for vid, count, attendees in sessions:
        if vid in rows:
            rows[vid].sessions, rows[vid].attendees = int(count), int(attendees)
    helps = session.exec(
        select(HelpRecord.village_id, HelpRecord.kind, func.sum(HelpRecord.count))
        .where(
            HelpRecord.commune_code == commune_code,
            HelpRecord.record_date >= start,
            HelpRecord.record_date <= end,
            col(HelpRecord.deleted_at).is_(None),
        )
        .group_by(col(HelpRecord.village_id), col(HelpRecord.kind))
    ).all()
    for vid, kind, total in helps:
        if vid in rows:
            rows[vid].help[kind] = int(total)
    return list(rows.values())


def export_commune(session: Session, commune_code: int) -> dict[str, list[dict[str, Any]]]:
    """Every live session and help record of a commune, oldest first (for checking and exports)."""
    names = {v.id: v.name for v in session.exec(select(Village).where(Village.commune_code == commune_code))}
    sessions = session.exec(
        select(TrainingSession)
        .where(TrainingSession.commune_code == commune_code, col(TrainingSession.deleted_at).is_(None))
        .order_by(col(TrainingSession.session_date), col(TrainingSession.id))
    ).all()
    helps = session.exec(
        select(HelpRecord)
        .where(HelpRecord.commune_code == commune_code, col(HelpRecord.deleted_at).is_(None))
        .order_by(col(HelpRecord.record_date), col(HelpRecord.id))
    ).all()
    return {
        "sessions": [
            {
                "id": s.id,
                "date": s.session_date.isoformat(),
                "village": names.get(s.village_id),
                "topics": list(s.topics),
                "attendees": s.attendees,
                "member_id": s.member_id,
                "author_id": s.author_id,
                "source": s.source,
                "evidence": len(s.evidence or []),
                "created_at": s.created_at.isoformat(),
            }
            for s in sessions
        ],
        "help_records": [
            {
                "id": h.id,
                "date": h.record_date.isoformat(),
                "village": names.get(h.village_id),
                "kind": h.kind,
                "count": h.count,
                "member_id": h.member_id,
                "author_id": h.author_id,
                "source": h.source,
                "created_at": h.created_at.isoformat(),
            }
            for h in helps
        ],
    }


def recent_sessions(session: Session, member: Member, since: dt.date, limit: int = 5) -> list[TrainingSession]:
    """A member's sessions (logged by them or for them) held since a day, the latest logged first: where a
    photo sent on its own may belong."""
    mine = or_(col(TrainingSession.author_id) == member.id, col(TrainingSession.member_id) == member.id)
    query = (
        select(TrainingSession)
        .where(mine, col(TrainingSession.deleted_at).is_(None), col(TrainingSession.session_date) >= since)
        .order_by(col(TrainingSession.created_at).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def loggable_for(session: Session, lead: Member, limit: int = 30) -> list[Member]:
    """The members a team lead (their village) or a commune admin (their commune) may log for, by name; never
    a removed one, nor the lead themself."""
    query = select(Member).where(
        col(Member.role).in_(VILLAGE_ROLES), col(Member.id) != lead.id, col(Member.removed_at).is_(None)
    )
    if lead.role == ROLE_TEAM_LEAD:
        query = query.where(Member.village_id == lead.village_id)
    else:
        query = query.where(Member.commune_code == lead.commune_code)
    return list(session.exec(query.order_by(col(Member.display_name)).limit(limit)))
