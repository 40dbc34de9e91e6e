"""Fixing and removing entries: scope and lock checks, soft deletes, and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from sqlalchemy import bindparam
from sqlmodel import Session, col, or_, select

from storage import audit
from storage.activity import HELP_FIELDS, SESSION_FIELDS, Bounds, check_count, check_date
from storage.errors import DomainError
from storage.models import HelpRecord, Member, TrainingSession, Village, saved_id
from storage.reports import ensure_open
from storage.vocab import HELP_KINDS, ROLE_COMMUNE_ADMIN, ROLE_TEAM_LEAD, TOPICS

Entry = TrainingSession | HelpRecord
EntryT = TypeVar("EntryT", TrainingSession, HelpRecord)
KIND_SESSION, KIND_HELP = "s", "h"


def entry_date(entry: Entry) -> dt.date:
    return entry.session_date if isinstance(entry, TrainingSession) else entry.record_date


def can_manage(session: Session, actor: Member, entry: Entry) -> bool:
    """Its author, its member, the team lead of its village, or an admin of its commune."""
    if actor.id in (entry.author_id, entry.member_id):
        return True
    if actor.role == ROLE_TEAM_LEAD and actor.village_id == entry.village_id:
        return True
    return actor.role == ROLE_COMMUNE_ADMIN and actor.commune_code == entry.commune_code


def recent_entries(session: Session, actor: Member, limit: int = 6) -> list[Entry]:
    """The person's latest live entries (authored by them or logged for them), newest first."""
    mine = or_(TrainingSession.author_id == actor.id, TrainingSession.member_id == actor.id)
    sessions = session.exec(
        select(TrainingSession)
        .where(mine, col(TrainingSession.deleted_at).is_(None))
        .order_by(col(TrainingSession.created_at).desc(), col(TrainingSession.id).desc())
        .limit(limit)
    ).all()
    mine_help = or_(HelpRecord.author_id == actor.id, HelpRecord.member_id == actor.id)
    helps = session.exec(
        select(HelpRecord)
        .where(mine_help, col(HelpRecord.deleted_at).is_(None))
        .order_by(col(HelpRecord.created_at).desc(), col(HelpRecord.id).desc())
        .limit(limit)
    ).all()
    entries: list[Entry] = [*sessions, *helps]
    entries.sort(key=lambda e: (e.created_at, e.id or 0), reverse=True)
    return entries[:limit]


def get_entry(session: Session, actor: Member, kind: str, entry_id: int) -> Entry:
    """A live entry the actor may change; refused if out of scope or in a submitted month."""
    if kind == KIND_SESSION:
        return _manageable(session, actor, session.get(TrainingSession, entry_id))
    return _manageable(session, actor, session.get(HelpRecord, entry_id))


def _manageable(session: Session, actor: Member, entry: EntryT | None) -> EntryT:
    """The entry, if it is live and the actor may change it; refused if out of scope or in a submitted month."""
    if entry is None or entry.deleted_at is not None or not can_manage(session, actor, entry):
        raise DomainError("entry_not_found")
    ensure_open(session, entry.commune_code, entry_date(entry))
    return entry


def _fields(entry: Entry) -> tuple[str, ...]:
    return SESSION_FIELDS if isinstance(entry, TrainingSession) else HELP_FIELDS


def delete_entry(session: Session, actor: Member, kind: str, entry_id: int, now: dt.datetime) -> Entry:
    """Remove an entry (kept, marked deleted, so the audit trail and totals stay explainable)."""
    entry = get_entry(session, actor, kind, entry_id)
    before = audit.snapshot(entry, _fields(entry))
    entry.deleted_at = now
    entry.updated_at = now
    session.add(entry)
    audit.record(
        session, actor_id=actor.id, action="delete", entity=_entity(entry), entity_id=entry.id, now=now, before=before
    )
    return entry


def update_entry(
    session: Session,
    actor: Member,
    kind: str,
    entry_id: int,
    changes: dict[str, Any],
    *,
    now: dt.datetime,
    today: dt.date,
    bounds: Bounds,
) -> Entry:
    """Change some fields of an entry after checking them like a new one."""
    entry = get_entry(session, actor, kind, entry_id)
    before = audit.snapshot(entry, _fields(entry))
    for name, value in changes.items():
        if name == "date":
            check_date(value, today, bounds)
            ensure_open(session, entry.commune_code, value)
            if isinstance(entry, TrainingSession):
                entry.session_date = value
            else:
                entry.record_date = value
        elif name == "attendees" and isinstance(entry, TrainingSession):
            check_count(int(value), bounds.max_attendees)
            entry.attendees = int(value)
        elif name == "count" and isinstance(entry, HelpRecord):
            check_count(int(value), bounds.max_help_count)
            entry.count = int(value)
        elif name == "topics" and isinstance(entry, TrainingSession):
            topics = [t for t in value if t in TOPICS]
            if not topics:
                raise DomainError("no_topic")
            entry.topics = list(dict.fromkeys(topics))
        elif name == "kind" and isinstance(entry, HelpRecord) and value in HELP_KINDS:
            entry.kind = value
        elif name == "village_id":
            village = session.get(Village, int(value))
            if village is None or village.commune_code != entry.commune_code:
                raise DomainError("unknown_village", village=str(value))
            entry.village_id = saved_id(village)
        else:
            raise ValueError(f"cannot change {name} of {type(entry).__name__}")
    entry.updated_at = now
    session.add(entry)
    audit.record(
        session,
        actor_id=actor.id,
        action="update",
        entity=_entity(entry),
        entity_id=entry.id,
        now=now,
        before=before,
        after=audit.snapshot(entry, _fields(entry)),
    )
    return entry


def attach_evidence(
    session: Session, actor: Member, entry_id: int, file_ref: dict[str, Any], now: dt.datetime
) -> TrainingSession:
    """Attach a photo (the platform's file reference, never the bytes) to a session."""
    entry = _manageable(session, actor, session.get(TrainingSession, entry_id))
    entry.evidence = [*entry.evidence, file_ref]
    entry.updated_at = now
    session.add(entry)
    audit.record(
        session,
        actor_id=actor.id,
        action="attach",
        entity="training_session",
        entity_id=entry.id,
        now=now,
        after={"evidence": file_ref},
    )
    return entry


# Built once (asked on every session saved).
_SESSIONS_OF_DAY = select(TrainingSession).where(
    TrainingSession.village_id == bindparam("village"),
    TrainingSession.session_date == bindparam("day"),
    col(TrainingSession.deleted_at).is_(None),
)


def find_duplicate_session(
    session: Session, village_id: int, day: dt.date, topics: list[str], exclude_id: int | None = None
) -> TrainingSession | None:
    """A live session of the same village and day sharing a topic: logging it again is probably a mistake."""
    rows = session.exec(_SESSIONS_OF_DAY, params={"village": village_id, "day": day}).all()
    for row in rows:
        if row.id != exclude_id and set(row.topics) & set(topics):
            return row
    return None


def _entity(entry: Entry) -> str:
    return "training_session" if isinstance(entry, TrainingSession) else "help_record"
