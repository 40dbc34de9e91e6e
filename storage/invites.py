"""Invites: random, expiring, use-limited codes that give a person a role in an area.

Two kinds: a personal invite is handed to a person (from /moi, the CLI or an imported list, then with the name
the commune wrote for them); a village join link is one code for a whole village, posted in the village's
group, that makes whoever taps it a member of that village until its uses run out, it expires or is revoked.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlmodel import Session, col, select

from storage import audit
from storage.areas import get_commune, get_province, village_in_commune
from storage.db import conflict_insert
from storage.errors import DomainError
from storage.models import ChannelAccount, CodeAttempt, Commune, Invite, Member, RemovedAccount, saved_id, table_of
from storage.vocab import (
    COMMUNE_ROLES,
    ROLE_COMMUNE_ADMIN,
    ROLE_MEMBER,
    ROLE_PROVINCE_VIEWER,
    ROLE_TEAM_LEAD,
    ROLES,
    VILLAGE_ROLES,
)

KIND_PERSONAL = "personal"
KIND_VILLAGE = "village"
KINDS = (KIND_PERSONAL, KIND_VILLAGE)
MAX_INVITEE_NAME = 100

# No 0/O, 1/I/L: codes are read aloud and copied from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
_CODE_SHAPE = re.compile(r"^[A-Za-z0-9]{6,16}$")

# Wrong codes: after WRONG_CODE_LIMIT failures within WRONG_CODE_WINDOW, an account waits WRONG_CODE_WAIT,
# during which its codes are not checked at all (8 characters of 31 cannot then be guessed by trying).
WRONG_CODE_LIMIT = 5
WRONG_CODE_WINDOW = dt.timedelta(minutes=10)
WRONG_CODE_WAIT = dt.timedelta(minutes=10)


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
    province_code: int | None = None,
    commune_code: int | None = None,
    village_id: int | None = None,
    created_by: int | None = None,
    kind: str = KIND_PERSONAL,
    invitee_name: str | None = None,
) -> Invite:
    """Make an invite for a role; the area must fit the role (village, commune or province). A village join
    link is for members of one village, and names nobody."""
    if role not in ROLES:
        raise DomainError("unknown_role", role=role)
    if kind not in KINDS:
        raise DomainError("invite_kind_unknown", kind=kind)
    if kind == KIND_VILLAGE and (role != ROLE_MEMBER or invitee_name):
        raise DomainError("village_link_members_only")
    if kind == KIND_VILLAGE and village_id is None:
        raise DomainError("invite_needs_village")
    if max_uses < 1 or days < 1:
        raise DomainError("invite_limits_positive")
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
    if province_code is None:
        raise DomainError("invite_needs_province")
    get_province(session, province_code)
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if session.get(Invite, code) is None:
            break
    invite = Invite(
        code=code,
        role=role,
        kind=kind,
        invitee_name=(invitee_name or "").strip()[:MAX_INVITEE_NAME] or None,
        province_code=province_code,
        commune_code=commune_code,
        village_id=village_id,
        created_by=created_by,
        max_uses=max_uses,
        expires_at=now + dt.timedelta(days=days),
        created_at=now,
    )
    session.add(invite)
    audit.record(
        session,
        actor_id=created_by,
        action="create",
        entity="invite",
        entity_id=code,
        now=now,
        after={
            "role": role,
            "kind": kind,
            "province_code": province_code,
            "commune_code": commune_code,
            "village_id": village_id,
            "max_uses": max_uses,
            "days": days,
        },
    )
    return invite


def village_join_link(session: Session, village_id: int, now: dt.datetime) -> Invite | None:
    """The village's join link that can still be used (not revoked, not expired, uses left), the newest if
    several; None when the village has none."""
    return session.exec(
        select(Invite)
        .where(
            Invite.village_id == village_id,
            Invite.kind == KIND_VILLAGE,
            col(Invite.revoked).is_(False),
            Invite.expires_at > now,
            Invite.uses < Invite.max_uses,
        )
        .order_by(col(Invite.created_at).desc(), col(Invite.code))
    ).first()


def commune_invites(
    session: Session, province_code: int, role: str, *, now: dt.datetime, days: int
) -> list[tuple[Commune, Invite, bool]]:
    """One invite for `role` per commune of the province, for the province office to send out: a commune's
    unused, valid one-person invite of that role (made here or by hand) is kept, so running it again makes no new
    codes; else a new one-use code is made. Returns (commune, invite, kept) by commune code."""
    if role not in COMMUNE_ROLES:
        raise DomainError("invite_needs_commune_role", role=role)
    get_province(session, province_code)
    communes = list(
        session.exec(select(Commune).where(Commune.province_code == province_code).order_by(col(Commune.code)))
    )
    live: dict[int, Invite] = {}
    for invite in session.exec(
        select(Invite)
        .where(
            Invite.province_code == province_code,
            Invite.role == role,
            Invite.kind == KIND_PERSONAL,
            col(Invite.village_id).is_(None),
            col(Invite.invitee_name).is_(None),
            col(Invite.revoked).is_(False),
            Invite.uses == 0,
            Invite.max_uses == 1,
            Invite.expires_at > now,
        )
        .order_by(col(Invite.created_at), col(Invite.code))
    ):
        if invite.commune_code is not None:
            live[invite.commune_code] = invite  # the newest wins
    made: list[tuple[Commune, Invite, bool]] = []
    for commune in communes:
        kept = live.get(commune.code)
        if kept is not None:
            made.append((commune, kept, True))
            continue
        invite = create_invite(session, role=role, now=now, days=days, max_uses=1, commune_code=commune.code)
        made.append((commune, invite, False))
    return made


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
    bot: str | None = None,
) -> Member:
    """Join with an invite: a new member with the invite's role and area, linked to this account (which talks
    to `bot`, the key of the bot it joined through; None the default one)."""
    existing = session.exec(
        select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.user_id == user_id)
    ).first()
    if existing is not None:
        raise DomainError("already_member")
    invite = check_invite(session, code, now)
    if _removed_with(session, channel, user_id, invite.code):
        raise DomainError("invite_not_again")
    # An imported invite names the person as their commune wrote it: the team's list keeps that name.
    name = invite.invitee_name or (display_name or "").strip()[:100] or "?"
    member = Member(
        display_name=name,
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
    session.add(
        ChannelAccount(
            member_id=saved_id(member), channel=channel, user_id=user_id, chat_id=chat_id, created_at=now, bot=bot
        )
    )
    invite.uses += 1
    session.add(invite)
    clear_wrong_codes(session, channel, user_id)
    audit.record(
        session,
        actor_id=member.id,
        action="join",
        entity="member",
        entity_id=member.id,
        now=now,
        after={
            "role": member.role,
            "invite": invite.code,
            "invite_kind": invite.kind,
            "commune_code": member.commune_code,
            "village_id": member.village_id,
            "province_code": member.province_code,
        },
    )
    return member


def _removed_with(session: Session, channel: str, user_id: str, code: str) -> bool:
    """Whether this account belonged to a member who joined with this code and was removed."""
    found = session.exec(
        select(RemovedAccount.member_id)
        .join(Member, col(Member.id) == RemovedAccount.member_id)
        .where(RemovedAccount.channel == channel, RemovedAccount.user_id == user_id, Member.joined_with == code)
    ).first()
    return found is not None


# Listing and revoking ----------------------------------------------------------------------------


def active_invites(
    session: Session,
    *,
    now: dt.datetime,
    commune_code: int | None = None,
    province_code: int | None = None,
    village_id: int | None = None,
    kind: str | None = None,
) -> list[Invite]:
    """Invites of an area that can still be used (not revoked, not expired, uses left), newest first."""
    query = select(Invite).where(col(Invite.revoked).is_(False), Invite.expires_at > now, Invite.uses < Invite.max_uses)
    if commune_code is not None:
        query = query.where(Invite.commune_code == commune_code)
    if village_id is not None:
        query = query.where(Invite.village_id == village_id)
    if kind is not None:
        query = query.where(Invite.kind == kind)
    if province_code is not None:
        query = query.where(Invite.province_code == province_code)
    return list(session.exec(query.order_by(col(Invite.created_at).desc(), col(Invite.code))))


def revoke_invite(
    session: Session, code: str, *, now: dt.datetime, actor: Member | None = None, via: str = "chat"
) -> Invite:
    """Stop a code from letting anyone else join; those who joined with it stay. A chat actor may revoke only
    the codes in their care (a commune admin: their commune's; a team lead: their village's join links); None
    is the operator at the shell."""
    invite = session.get(Invite, normalize_code(code))
    if invite is None or (actor is not None and not may_revoke(actor, invite)):
        raise DomainError("invite_not_found", invite=normalize_code(code))
    if invite.revoked:
        raise DomainError("invite_already_revoked", invite=invite.code)
    before = {
        "revoked": False,
        "uses": invite.uses,
        "max_uses": invite.max_uses,
        "expires_at": invite.expires_at.isoformat(),
    }
    invite.revoked = True
    session.add(invite)
    audit.record(
        session,
        actor_id=actor.id if actor else None,
        action="revoke",
        entity="invite",
        entity_id=invite.code,
        now=now,
        before=before,
        after={"revoked": True, "via": via},
    )
    return invite


def may_revoke(actor: Member, invite: Invite) -> bool:
    """A commune admin revokes the codes of their own commune, a team lead their own village's join links."""
    if actor.removed_at is not None:
        return False
    if actor.role == ROLE_TEAM_LEAD:
        return invite.kind == KIND_VILLAGE and actor.village_id is not None and invite.village_id == actor.village_id
    return (
        actor.role == ROLE_COMMUNE_ADMIN
        and actor.commune_code is not None
        and invite.commune_code == actor.commune_code
    )


# Wrong codes -------------------------------------------------------------------------------------


def code_wait_until(session: Session, channel: str, user_id: str, now: dt.datetime) -> dt.datetime | None:
    """When this account may try codes again, if it is waiting now; else None."""
    row = session.get(CodeAttempt, (channel, user_id))
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def record_wrong_code(session: Session, channel: str, user_id: str, now: dt.datetime) -> bool:
    """Count a wrong code; True when it is the one that makes the account wait."""
    row = _attempt_row(session, channel, user_id, now)
    since = now - WRONG_CODE_WINDOW
    recent = [t for t in row.failures if dt.datetime.fromisoformat(t) > since] + [now.isoformat()]
    locked = len(recent) >= WRONG_CODE_LIMIT
    row.failures = [] if locked else recent
    row.locked_until = now + WRONG_CODE_WAIT if locked else None
    row.updated_at = now
    session.add(row)
    return locked


def clear_wrong_codes(session: Session, channel: str, user_id: str) -> None:
    """Forget the wrong codes of an account that has just joined."""
    row = session.get(CodeAttempt, (channel, user_id))
    if row is not None:
        session.delete(row)


def _attempt_row(session: Session, channel: str, user_id: str, now: dt.datetime) -> CodeAttempt:
    """The account's row, created if missing and locked for this transaction (two processes count once each)."""
    connection = session.connection()
    table = table_of(CodeAttempt)
    connection.execute(
        conflict_insert(connection.dialect.name, table).on_conflict_do_nothing(),
        {"channel": channel, "user_id": user_id, "failures": [], "locked_until": None, "updated_at": now},
    )
    row = session.exec(
        select(CodeAttempt)
        .where(CodeAttempt.channel == channel, CodeAttempt.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return row
