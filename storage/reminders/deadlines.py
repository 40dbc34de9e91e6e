"""One-off deadlines: created and cancelled by commune admins and province viewers, reminded to chosen roles."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from storage import audit
from storage.errors import DomainError
from storage.models import Member, ReminderDeadline
from storage.reminders.kinds import SCOPE_COMMUNE, SCOPE_PROVINCE
from storage.reminders.marks import bump_version
from storage.vocab import (
    ROLE_COMMUNE_ADMIN,
    ROLE_COMMUNE_LEADER,
    ROLE_MEMBER,
    ROLE_PROVINCE_VIEWER,
    ROLE_TEAM_LEAD,
)

MAX_TITLE = 120
DEADLINE_ROLES: dict[str, tuple[str, ...]] = {
    SCOPE_COMMUNE: (ROLE_MEMBER, ROLE_TEAM_LEAD, ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER),
    SCOPE_PROVINCE: (ROLE_MEMBER, ROLE_TEAM_LEAD, ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER, ROLE_PROVINCE_VIEWER),
}


def deadline_scope(member: Member) -> tuple[str, int]:
    """Where a member's deadlines apply: their commune (commune admin) or province (province viewer)."""
    if member.role == ROLE_COMMUNE_ADMIN and member.commune_code is not None:
        return SCOPE_COMMUNE, member.commune_code
    if member.role == ROLE_PROVINCE_VIEWER:
        return SCOPE_PROVINCE, member.province_code
    raise DomainError("reminder_not_allowed")


def create_deadline(
    session: Session,
    *,
    actor: Member,
    title: str,
    due_date: dt.date,
    roles: list[str],
    now: dt.datetime,
    today: dt.date,
) -> ReminderDeadline:
    """A one-off deadline for the actor's commune or province, reminded to the chosen roles."""
    scope, area = deadline_scope(actor)
    title = " ".join(title.split())
    if not title:
        raise DomainError("deadline_title_missing")
    if len(title) > MAX_TITLE:
        raise DomainError("deadline_title_too_long", limit=MAX_TITLE)
    if due_date <= today:
        raise DomainError("deadline_not_in_future", date=due_date)
    if due_date > today + dt.timedelta(days=366):
        raise DomainError("deadline_too_far", date=due_date)
    allowed = DEADLINE_ROLES[scope]
    chosen = [role for role in allowed if role in roles]
    if not chosen:
        raise DomainError("deadline_roles_missing")
    row = ReminderDeadline(
        title=title, due_date=due_date, scope=scope, area_code=area, roles=chosen, created_by=actor.id, created_at=now
    )
    audit.save(
        session,
        row,
        actor_id=actor.id,
        entity="reminder_deadline",
        now=now,
        before=None,
        after={"title": title, "due_date": due_date.isoformat(), "scope": scope, "area_code": area, "roles": chosen},
    )
    bump_version(session, now)
    return row


def cancel_deadline(session: Session, *, actor: Member, deadline_id: int, now: dt.datetime) -> ReminderDeadline:
    """Cancel a deadline of the actor's own area: no more reminders for it."""
    scope, area = deadline_scope(actor)
    row = session.get(ReminderDeadline, deadline_id)
    if row is None or row.scope != scope or row.area_code != area or row.cancelled_at is not None:
        raise DomainError("deadline_not_found")
    row.cancelled_at = now
    session.add(row)
    audit.record(
        session,
        actor_id=actor.id,
        action="delete",
        entity="reminder_deadline",
        entity_id=row.id,
        now=now,
        before={"title": row.title, "due_date": row.due_date.isoformat()},
    )
    bump_version(session, now)
    return row


def upcoming_deadlines(session: Session, *, scope: str, area_code: int, today: dt.date) -> list[ReminderDeadline]:
    """Deadlines of one area from today on, soonest first."""
    return list(
        session.exec(
            select(ReminderDeadline)
            .where(
                ReminderDeadline.scope == scope,
                ReminderDeadline.area_code == area_code,
                ReminderDeadline.due_date >= today,
                col(ReminderDeadline.cancelled_at).is_(None),
            )
            .order_by(col(ReminderDeadline.due_date), col(ReminderDeadline.id))
        ).all()
    )


def deadlines_concerning(session: Session, member: Member, today: dt.date) -> list[ReminderDeadline]:
    """Upcoming deadlines that remind this member (their commune's or province's, for their role)."""
    areas = [(SCOPE_PROVINCE, member.province_code)]
    if member.commune_code is not None:
        areas.append((SCOPE_COMMUNE, member.commune_code))
    rows: list[ReminderDeadline] = []
    for scope, code in areas:
        rows += [
            d for d in upcoming_deadlines(session, scope=scope, area_code=code, today=today) if member.role in d.roles
        ]
    return sorted(rows, key=lambda d: (d.due_date, d.id or 0))


def live_deadlines(session: Session, first: dt.date, last: dt.date) -> list[ReminderDeadline]:
    """Deadlines not cancelled, due between two dates (inclusive)."""
    return list(
        session.exec(
            select(ReminderDeadline)
            .where(
                ReminderDeadline.due_date >= first,
                ReminderDeadline.due_date <= last,
                col(ReminderDeadline.cancelled_at).is_(None),
            )
            .order_by(col(ReminderDeadline.id))
        ).all()
    )
