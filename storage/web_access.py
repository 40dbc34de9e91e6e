"""Signing in to the leaders' page: one-time links given in chat, and the browser sessions they open.

A link's token and a session's cookie are random (`secrets.token_urlsafe`); only their SHA-256 is stored, so a
copy of the database opens nothing. A link works once, for `LINK_MINUTES`; a session lasts `SESSION_HOURS`
or until its person signs out. A member removed from their area is signed out everywhere at once: both
lookups refuse a removed member.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.models import ChannelAccount, Member, WebSession, WebSignIn, saved_id, table_of

LINK_MINUTES = 10
SESSION_HOURS = 12

# Why a link opened nothing: the page says which, in words (never with data).
LINK_UNKNOWN, LINK_USED, LINK_EXPIRED = "unknown", "used", "expired"


def token_hash(token: str) -> str:
    """The stored form of a token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(session: Session, member: Member, now: dt.datetime) -> str:
    """A new one-time sign-in token for the member (the only copy is returned, to put in the link)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSignIn(
            token_hash=token_hash(token),
            member_id=saved_id(member),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=LINK_MINUTES),
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class LinkCheck:
    """What a link token is: its member when it still opens a session, else why not (`problem`)."""

    member: Member | None
    problem: str | None


def check_link(session: Session, token: str, now: dt.datetime) -> LinkCheck:
    """Whether the token still opens a session, without using it (the person's locale is known even when not)."""
    row = session.exec(select(WebSignIn).where(WebSignIn.token_hash == token_hash(token))).first()
    if row is None:
        return LinkCheck(None, LINK_UNKNOWN)
    member = session.get(Member, row.member_id)
    if member is None or member.removed_at is not None:
        return LinkCheck(None, LINK_UNKNOWN)
    if row.used_at is not None:
        return LinkCheck(member, LINK_USED)
    if row.expires_at <= now:
        return LinkCheck(member, LINK_EXPIRED)
    return LinkCheck(member, None)


def use_link(session: Session, token: str, now: dt.datetime) -> LinkCheck:
    """Use the token once: a guarded UPDATE, so two browsers racing on one link cannot both get a session."""
    check = check_link(session, token, now)
    if check.problem is not None:
        return check
    claimed = session.connection().execute(
        update(table_of(WebSignIn))
        .where(col(WebSignIn.token_hash) == token_hash(token), col(WebSignIn.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        return LinkCheck(check.member, LINK_USED)
    return check


def open_session(session: Session, member: Member, now: dt.datetime) -> str:
    """A new browser session for the member; returns the cookie's token (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=token_hash(token),
            member_id=saved_id(member),
            created_at=now,
            expires_at=now + dt.timedelta(hours=SESSION_HOURS),
        )
    )
    session.flush()
    return token


def session_member(session: Session, token: str, now: dt.datetime) -> Member | None:
    """The member a cookie's token belongs to, while the session lives and the member is still in their area."""
    found = session.exec(
        select(Member, WebSession.ended_at, WebSession.expires_at)
        .join(WebSession, col(WebSession.member_id) == col(Member.id))
        .where(WebSession.token_hash == token_hash(token))
    ).first()  # one statement: every page asks it first
    if found is None:
        return None
    member, ended_at, expires_at = found
    if ended_at is not None or expires_at <= now or member.removed_at is not None:
        return None
    return member


def end_session(session: Session, token: str, now: dt.datetime) -> None:
    """Sign out: the session's token opens nothing any more."""
    row = session.exec(select(WebSession).where(WebSession.token_hash == token_hash(token))).first()
    if row is not None and row.ended_at is None:
        row.ended_at = now
        session.add(row)


def telegram_member(session: Session, user_id: str) -> Member | None:
    """The member behind a Telegram account (a Mini App's signed user), if they are still in their area."""
    member = session.exec(
        select(Member)
        .join(ChannelAccount, col(ChannelAccount.member_id) == col(Member.id))
        .where(ChannelAccount.channel == "telegram", ChannelAccount.user_id == user_id)
    ).first()
    return member if member is not None and member.removed_at is None else None
