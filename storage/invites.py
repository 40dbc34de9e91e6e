"""Invites: random, expiring, use-limited codes that give a person a role in an area."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Optional

from sqlmodel import Session, select

from storage import audit
from storage.areas import get_commune, get_province, village_in_commune
from storage.errors import DomainError
from storage.models import ChannelAccount, Invite, Member
from storage.vocab import COMMUNE_ROLES, ROLE_PROVINCE_VIEWER, ROLES, VILLAGE_ROLES

# No 0/O, 1/I/L: codes are read aloud and copied from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
_CODE_SHAPE = re.compile(r"^[A-Za-z0-9]{6,16}$")


def looks_like_code(text: str) -> bool:
    """Whether a message could be an invite code (one word of letters and digits)."""
    return bool(_CODE_SHAPE.match(text.strip()))


def normalize_code(text: str) -> str:
    return text.strip().upper()


def create_invite(
    session: Session,
    *,
    role: str,
    now: dt.datetime,
    days: int,
    max_uses: int,
    province_code: Optional[int] = None,
    commune_code: Optional[int] = None,
    village_id: Optional[int] = None,
    created_by: Optional[int] = None,
) -> Invite:
    """Make an invite for a role; the area must fit the role (village, commune or province)."""
    if role not in ROLES:
        raise DomainError("unknown_role", role=role)
    if role in VILLAGE_ROLES:
        if commune_code is None or village_id is None:
            raise DomainError("invite_needs_village")
        village_in_commune(session, commune_code, village_id)
    elif role in COMMUNE_ROLES:
        if commune_code is None:
            raise DomainError("invite_needs_commune")
        village_id = None
    elif role == ROLE_PROVINCE_VIEWER:
        if province_code is None:
            raise DomainError("invite_needs_province")
        commune_code = village_id = None
    if commune_code is not None:
        province_code = get_commune(session, commune_code).province_code
    assert province_code is not None
    get_province(session, province_code)
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if session.get(Invite, code) is None:
            break
    invite = Invite(
        code=code,
        role=role,
        province_code=province_code,
        commune_code=commune_code,
        village_id=village_id,
        created_by=created_by,
        max_uses=max_uses,
        expires_at=now + dt.timedelta(days=days),
        created_at=now,
    )
    session.add(invite)
    audit.record(session, actor_id=created_by, action="create", entity="invite", entity_id=code, now=now,
                 after={"role": role, "province_code": province_code, "commune_code": commune_code,
                        "village_id": village_id, "max_uses": max_uses, "days": days})
    return invite


def check_invite(session: Session, code: str, now: dt.datetime) -> Invite:
    """The invite for a code, if it can still be used; else a DomainError saying why."""
    invite = session.get(Invite, normalize_code(code))
    if invite is None or invite.revoked:
        raise DomainError("invite_unknown")
    if invite.expires_at <= now:
        raise DomainError("invite_expired")
    if invite.uses >= invite.max_uses:
        raise DomainError("invite_used_up")
    return invite


def redeem(
    session: Session,
    code: str,
    *,
    channel: str,
    user_id: str,
    chat_id: str,
    display_name: str,
    locale: str,
    now: dt.datetime,
) -> Member:
    """Join with an invite: a new member with the invite's role and area, linked to this account."""
    existing = session.exec(
        select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.user_id == user_id)
    ).first()
    if existing is not None:
        raise DomainError("already_member")
    invite = check_invite(session, code, now)
    member = Member(
        display_name=(display_name or "").strip()[:100] or "?",
        role=invite.role,
        province_code=invite.province_code,
        commune_code=invite.commune_code,
        village_id=invite.village_id,
        locale=locale,
        joined_with=invite.code,
        created_at=now,
    )
    session.add(member)
    session.flush()
    session.add(ChannelAccount(member_id=member.id, channel=channel, user_id=user_id, chat_id=chat_id,
                               created_at=now))
    invite.uses += 1
    session.add(invite)
    audit.record(session, actor_id=member.id, action="join", entity="member", entity_id=member.id, now=now,
                 after={"role": member.role, "invite": invite.code, "commune_code": member.commune_code,
                        "village_id": member.village_id, "province_code": member.province_code})
    return member
