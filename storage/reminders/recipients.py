"""Who there is to remind: pausing, the communes and provinces with people in them, and who can be reached."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from storage import audit
from storage.models import ChannelAccount, Commune, Member, TrainingSession, Village, saved_id
from storage.vocab import ROLE_PROVINCE_VIEWER


def set_paused(session: Session, member: Member, paused: bool, now: dt.datetime) -> bool:
    """Pause or resume a member's reminders; True when it changed."""
    if member.reminders_paused == paused:
        return False
    member.reminders_paused = paused
    session.add(member)
    audit.record(
        session,
        actor_id=member.id,
        action="pause" if paused else "resume",
        entity="member",
        entity_id=member.id,
        now=now,
        before={"reminders_paused": not paused},
        after={"reminders_paused": paused},
    )
    return True


def active_communes(session: Session) -> dict[int, int]:
    """Communes with at least one member, by code, with their province code."""
    rows = session.exec(
        select(Commune.code, Commune.province_code).where(
            col(Commune.code).in_(
                select(Member.commune_code).where(
                    col(Member.commune_code).is_not(None), col(Member.removed_at).is_(None)
                )
            )
        )
    ).all()
    return {int(code): int(province) for code, province in rows}


def active_provinces(session: Session) -> list[int]:
    """Provinces with at least one province viewer."""
    rows = session.exec(
        select(Member.province_code)
        .where(Member.role == ROLE_PROVINCE_VIEWER, col(Member.removed_at).is_(None))
        .distinct()
    ).all()
    return sorted(int(code) for code in rows)


def reachable(session: Session, *conditions: ColumnElement[bool] | bool) -> list[tuple[Member, ChannelAccount]]:
    """Members matching the SQL conditions who take reminders (not paused, not unreachable, not removed), each
    with the messenger account they joined with most recently."""
    rows = session.exec(
        select(Member, ChannelAccount)
        .join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
        .where(
            col(Member.reminders_paused).is_(False),
            col(Member.unreachable).is_(False),
            col(Member.removed_at).is_(None),
            *conditions,
        )
        .order_by(col(Member.id), col(ChannelAccount.id))
    ).all()
    latest: dict[int, tuple[Member, ChannelAccount]] = {}
    for member, account in rows:
        latest[saved_id(member)] = (member, account)
    return list(latest.values())


def villages_without_session(
    session: Session, commune_codes: list[int], first: dt.date, last: dt.date
) -> list[Village]:
    """Villages of these communes with no live session dated between two days (inclusive)."""
    if not commune_codes:
        return []
    held = select(TrainingSession.village_id).where(
        col(TrainingSession.commune_code).in_(commune_codes),
        TrainingSession.session_date >= first,
        TrainingSession.session_date <= last,
        col(TrainingSession.deleted_at).is_(None),
    )
    return list(
        session.exec(
            select(Village)
            .where(col(Village.commune_code).in_(commune_codes), col(Village.id).not_in(held))
            .order_by(col(Village.commune_code), col(Village.id))
        ).all()
    )


def count_villages(session: Session, commune_codes: list[int]) -> dict[int, int]:
    """How many villages each commune has set up."""
    if not commune_codes:
        return {}
    rows = session.exec(
        select(Village.commune_code, func.count())
        .where(col(Village.commune_code).in_(commune_codes))
        .group_by(col(Village.commune_code))
    ).all()
    return {int(code): int(n) for code, n in rows}
