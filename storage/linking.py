"""Linking a second messenger account (Telegram <-> Zalo) to the same member with a one-time code."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlmodel import Session, col, select

from storage import audit
from storage.errors import DomainError
from storage.models import ChannelAccount, LinkCode, Member, saved_id

# Digits only: typed on a phone keypad without switching keyboards; 8 of them resist guessing for 10 minutes.
CODE_LENGTH = 8
LIFETIME = dt.timedelta(minutes=10)
_CODE_SHAPE = re.compile(r"^\d{8}$")


def normalize_code(text: str) -> str:
    return re.sub(r"[\s\-.]", "", text or "")


def looks_like_link_code(text: str) -> bool:
    """Whether a message could be a link code (8 digits, spaces or dashes allowed)."""
    return bool(_CODE_SHAPE.match(normalize_code(text)))


def create_link_code(session: Session, member: Member, *, channel: str, user_id: str, now: dt.datetime) -> LinkCode:
    """A fresh one-time code for this member; earlier unused codes of the member stop working."""
    for old in session.exec(select(LinkCode).where(LinkCode.member_id == member.id, col(LinkCode.used_at).is_(None))):
        old.expires_at = min(old.expires_at, now)
        session.add(old)
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))
        if session.get(LinkCode, code) is None:
            break
    link = LinkCode(
        code=code,
        member_id=saved_id(member),
        channel=channel,
        user_id=user_id,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(link)
    return link


def live_link_code(session: Session, code: str, now: dt.datetime) -> LinkCode | None:
    """The code if it exists, is unused and has not expired."""
    link = session.get(LinkCode, normalize_code(code))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    return link


def redeem_link_code(
    session: Session, code: str, *, channel: str, user_id: str, chat_id: str, now: dt.datetime, bot: str | None = None
) -> tuple[Member, LinkCode]:
    """Link this account to the member who asked for the code; the code is used up."""
    link = live_link_code(session, code, now)
    if link is None:
        raise DomainError("link_code_unknown")
    member = session.get(Member, link.member_id)
    if member is None:
        raise DomainError("link_code_unknown")
    existing = session.exec(
        select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.user_id == user_id)
    ).first()
    if existing is not None:
        raise DomainError("link_already_linked" if existing.member_id == member.id else "link_other_member")
    if channel == link.channel:
        raise DomainError("link_same_channel")
    link.used_at = now
    session.add(link)
    account = ChannelAccount(
        member_id=saved_id(member), channel=channel, user_id=user_id, chat_id=chat_id, created_at=now, bot=bot
    )
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor_id=member.id,
        action="link",
        entity="channel_account",
        entity_id=account.id,
        now=now,
        after={"member_id": member.id, "channel": channel, "user_id": user_id, "code_from_channel": link.channel},
    )
    return member, link
