"""Fixing and removing entries: scope and lock checks, soft deletes, and the audit trail.

An entry is a session, a help record or a programme figure (`ProgrammeRecord`). A session carries the
programme figures logged with it (`ProgrammeRecord.session_id`) and its attendees' priority groups: removing
the session removes those figures too, moving it to another day or village moves them with it, and its
attendees may not fall below a priority group's count. Every row changed is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from sqlalchemy import bindparam
from sqlmodel import Session, col, or_, select

from storage import audit
from storage.activity import HELP_FIELDS, SESSION_FIELDS, Bounds, check_count, check_date
from storage.errors import DomainError
from storage.models import HelpRecord, Member, ProgrammeRecord, TrainingSession, Village, saved_id
from storage.programmes import records
from storage.reports import ensure_open
from storage.vocab import HELP_KINDS, ROLE_COMMUNE_ADMIN, ROLE_TEAM_LEAD, TOPICS

Entry = TrainingSession | HelpRecord | ProgrammeRecord
EntryT = TypeVar("EntryT", TrainingSession, HelpRecord, ProgrammeRecord)
KIND_SESSION, KIND_HELP, KIND_PROGRAMME = "s", "h", "p"
KINDS: dict[str, type[TrainingSession] | type[HelpRecord] | type[ProgrammeRecord]] = {
    KIND_SESSION: TrainingSession,
    KIND_HELP: HelpRecord,
    KIND_PROGRAMME: ProgrammeRecord,
}


def kind_of(entry: Entry) -> str:
    """The one-letter kind of an entry, as a button carries it."""
    if isinstance(entry, TrainingSession):
        return KIND_SESSION
    return KIND_HELP if isinstance(entry, HelpRecord) else KIND_PROGRAMME


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
    """The latest live entries the person may fix, newest first: sessions, help records and programme figures.
    A member's own (authored by them or logged for them); a team lead's and their village's; a commune admin's
    and their commune's (`can_manage` says the same of each one)."""
    entries: list[Entry] = [
        *_latest(session, TrainingSession, actor, limit),
        *_latest(session, HelpRecord, actor, limit),
        *_latest(session, ProgrammeRecord, actor, limit),
    ]
    entries.sort(key=lambda e: (e.created_at, e.id or 0), reverse=True)
    return entries[:limit]


def _latest(session: Session, model: type[EntryT], actor: Member, limit: int) -> list[EntryT]:
    mine = or_(model.author_id == actor.id, model.member_id == actor.id)
    if actor.role == ROLE_TEAM_LEAD and actor.village_id is not None:
        mine = or_(mine, model.village_id == actor.village_id)
    elif actor.role == ROLE_COMMUNE_ADMIN and actor.commune_code is not None:
        mine = or_(mine, model.commune_code == actor.commune_code)
    return list(
        session.exec(
            select(model)
            .where(mine, col(model.deleted_at).is_(None))
            .order_by(col(model.created_at).desc(), col(model.id).desc())
            .limit(limit)
        ).all()
    )


def get_entry(session: Session, actor: Member, kind: str, entry_id: int) -> Entry:
    """A live entry the actor may change; refused if out of scope or in a submitted month."""
    if kind == KIND_SESSION:
        return _manageable(session, actor, session.get(TrainingSession, entry_id))
    if kind == KIND_HELP:
        return _manageable(session, actor, session.get(HelpRecord, entry_id))
    if kind == KIND_PROGRAMME:
        return _manageable(session, actor, session.get(ProgrammeRecord, entry_id))
    raise DomainError("entry_not_found")


def linked_figures(session: Session, training_session: TrainingSession) -> list[ProgrammeRecord]:
    """The live programme figures logged with a session."""
    return list(
        session.exec(
            select(ProgrammeRecord)
            .where(ProgrammeRecord.session_id == training_session.id, col(ProgrammeRecord.deleted_at).is_(None))
            .order_by(col(ProgrammeRecord.id))
        ).all()
    )


def _manageable(session: Session, actor: Member, entry: EntryT | None) -> EntryT:
    """The entry, if it is live and the actor may change it; refused if out of scope or in a submitted month."""
    if entry is None or entry.deleted_at is not None or not can_manage(session, actor, entry):
        raise DomainError("entry_not_found")
    ensure_open(session, entry.commune_code, entry_date(entry))
    return entry


def _fields(entry: Entry) -> tuple[str, ...]:
    if isinstance(entry, TrainingSession):
        return SESSION_FIELDS
    return HELP_FIELDS if isinstance(entry, HelpRecord) else records.RECORD_FIELDS


def _remove(session: Session, actor: Member, entry: Entry, now: dt.datetime) -> None:
    before = audit.snapshot(entry, _fields(entry))
    entry.deleted_at = now
    entry.updated_at = now
    session.add(entry)
    audit.record(
        session, actor_id=actor.id, action="delete", entity=_entity(entry), entity_id=entry.id, now=now, before=before
    )


def delete_entry(session: Session, actor: Member, kind: str, entry_id: int, now: dt.datetime) -> Entry:
    """Remove an entry (kept, marked deleted, so the audit trail and totals stay explainable); a session's
    programme figures go with it (its priority groups are counted only with a live session)."""
    entry = get_entry(session, actor, kind, entry_id)
    if isinstance(entry, TrainingSession):
        for figure in linked_figures(session, entry):
            _remove(session, actor, figure, now)
    _remove(session, actor, entry, now)
    return entry


def _follow_session(session: Session, actor: Member, entry: TrainingSession, now: dt.datetime) -> None:
    """The programme figures of a session moved to its new day or village, each audited."""
    for figure in linked_figures(session, entry):
        if (figure.record_date, figure.village_id) == (entry.session_date, entry.village_id):
            continue
        before = audit.snapshot(figure, records.RECORD_FIELDS)
        figure.record_date, figure.village_id, figure.updated_at = entry.session_date, entry.village_id, now
        session.add(figure)
        audit.record(
            session,
            actor_id=actor.id,
            action="update",
            entity="programme_record",
            entity_id=figure.id,
            now=now,
            before=before,
            after=audit.snapshot(figure, records.RECORD_FIELDS),
        )


def update_priority_groups(
    session: Session, actor: Member, entry_id: int, groups: dict[str, int], now: dt.datetime
) -> TrainingSession:
    """Replace a session's attendees by priority group (none: the breakdown removed), audited."""
    entry = get_entry(session, actor, KIND_SESSION, entry_id)
    assert isinstance(entry, TrainingSession)
    records.replace_priority_groups(session, training_session=entry, groups=groups, author=actor, now=now)
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
            records.check_priority_groups(records.priority_groups_of(session, saved_id(entry)), int(value))
            entry.attendees = int(value)
        elif name == "count" and isinstance(entry, (HelpRecord, ProgrammeRecord)):
            check_count(int(value), bounds.max_help_count)
            entry.count = int(value)
        elif name == "mentor" and isinstance(entry, ProgrammeRecord):
            entry.mentor = records.check_mentor(value)
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
    if isinstance(entry, TrainingSession):
        _follow_session(session, actor, entry, now)
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
    if isinstance(entry, TrainingSession):
        return "training_session"
    return "help_record" if isinstance(entry, HelpRecord) else "programme_record"
