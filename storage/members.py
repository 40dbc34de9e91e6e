"""The people of an area, and removing one: their entries stay, their messenger accounts stop working.

A removed member keeps their row (sessions and help records point at it) with `removed_at` set; their
Telegram and Zalo accounts are unlinked, so the engine finds no member behind them and treats them as
strangers who must join again with a new invite (the one they used is refused to those accounts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from storage import audit
from storage.errors import DomainError
from storage.models import (
    ChannelAccount,
    ConversationState,
    LinkCode,
    Member,
    OfferedChoices,
    RemovedAccount,
    Village,
)
from storage.vocab import (
    ROLE_COMMUNE_ADMIN,
    ROLE_COMMUNE_LEADER,
    ROLE_MEMBER,
    ROLE_TEAM_LEAD,
    VILLAGE_ROLES,
)

# Within a group: who leads first.
ROLE_ORDER = {ROLE_COMMUNE_ADMIN: 0, ROLE_COMMUNE_LEADER: 1, ROLE_TEAM_LEAD: 2, ROLE_MEMBER: 3}
MANAGER_ROLES = (ROLE_COMMUNE_ADMIN, ROLE_TEAM_LEAD)


@dataclass(frozen=True)
class AreaMember:
    """One person of the list: the member and their village (None for commune-level roles)."""

    member: Member
    village: Village | None


@dataclass(frozen=True)
class FormerAccount:
    """A messenger account that belonged to a removed member: where to tell them."""

    channel: str
    user_id: str
    chat_id: str


def area_members(session: Session, actor: Member) -> list[AreaMember]:
    """The members a commune admin (their commune) or a team lead (their village) looks after, not removed,
    commune-level roles first, then by village, role and name."""
    query = (
        select(Member, Village)
        .outerjoin(Village, col(Village.id) == Member.village_id)
        .where(col(Member.removed_at).is_(None))
    )
    if actor.role == ROLE_COMMUNE_ADMIN and actor.commune_code is not None:
        query = query.where(Member.commune_code == actor.commune_code)
    elif actor.role == ROLE_TEAM_LEAD and actor.village_id is not None:
        query = query.where(Member.village_id == actor.village_id, col(Member.role).in_(VILLAGE_ROLES))
    else:
        return []
    rows = [AreaMember(member, village) for member, village in session.exec(query)]
    rows.sort(
        key=lambda row: (
            row.village is not None,
            row.village.name_key if row.village else "",
            ROLE_ORDER.get(row.member.role, 9),
            row.member.display_name.casefold(),
            row.member.id or 0,
        )
    )
    return rows


def removal_refusal(actor: Member, target: Member) -> str | None:
    """Why this actor may not remove this member (an error code), or None when they may."""
    if target.removed_at is not None or actor.removed_at is not None:
        return "member_not_found"
    if actor.role == ROLE_COMMUNE_ADMIN:
        in_area = actor.commune_code is not None and target.commune_code == actor.commune_code
    elif actor.role == ROLE_TEAM_LEAD:
        in_area = actor.village_id is not None and target.village_id == actor.village_id
    else:
        in_area = False
    if not in_area:
        return "member_not_found"
    if target.id == actor.id:
        return "member_remove_self"
    if actor.role == ROLE_TEAM_LEAD and target.role != ROLE_MEMBER:
        return "member_remove_not_allowed"
    return None


def removable_member(session: Session, actor: Member, target_id: int) -> Member:
    """The member this actor may remove, or a DomainError saying why not (also for another area's id)."""
    target = session.get(Member, target_id)
    if target is None:
        raise DomainError("member_not_found")
    refusal = removal_refusal(actor, target)
    if refusal is not None:
        raise DomainError(refusal, name=target.display_name)
    return target


def remove_member(
    session: Session, actor: Member, target_id: int, now: dt.datetime
) -> tuple[Member, list[FormerAccount]]:
    """Remove a member from their area: entries kept, every account unlinked (audited with before/after).

    Returns the member and the accounts they had, to tell them."""
    target = removable_member(session, actor, target_id)
    accounts = list(
        session.exec(
            select(ChannelAccount).where(ChannelAccount.member_id == target.id).order_by(col(ChannelAccount.id))
        )
    )
    former = [FormerAccount(a.channel, a.user_id, a.chat_id) for a in accounts]
    before = {
        **audit.snapshot(
            target, ("display_name", "role", "province_code", "commune_code", "village_id", "joined_with")
        ),
        "removed_at": None,
        "accounts": [{"channel": a.channel, "user_id": a.user_id} for a in former],
    }
    for account in accounts:
        session.add(
            RemovedAccount(
                channel=account.channel, user_id=account.user_id, member_id=account.member_id, removed_at=now
            )
        )
        session.delete(account)
    _forget_conversations(session, target, former, now)
    target.removed_at = now
    session.add(target)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="remove",
        entity="member",
        entity_id=target.id,
        now=now,
        before=before,
        after={
            **{k: before[k] for k in ("role", "commune_code", "village_id")},
            "removed_at": now.isoformat(),
            "accounts": [],
        },
    )
    return target, former


def _forget_conversations(session: Session, target: Member, former: list[FormerAccount], now: dt.datetime) -> None:
    """Drop what the removed accounts were in the middle of, and the link codes they could still use."""
    session.execute(
        update(LinkCode)
        .where(col(LinkCode.member_id) == target.id, col(LinkCode.used_at).is_(None), col(LinkCode.expires_at) > now)
        .values(expires_at=now)
    )
    for account in former:
        session.execute(
            update(ConversationState)
            .where(col(ConversationState.channel) == account.channel, col(ConversationState.user_id) == account.user_id)
            .values(name="idle", data={}, updated_at=now)
        )
        session.execute(
            delete(OfferedChoices).where(
                col(OfferedChoices.channel) == account.channel, col(OfferedChoices.user_id) == account.user_id
            )
        )
