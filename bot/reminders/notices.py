"""Telling a commune admin, once, that the bot can no longer reach one of the commune's people; a group chat the
bot can no longer post in loses its binding."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from bot.i18n import Translator
from bot.messages import Reply
from bot.reminders import texts
from storage import audit, groups, outbox
from storage.areas import get_commune
from storage.models import ChannelAccount, Member, Village
from storage.vocab import ROLE_COMMUNE_ADMIN


def mark_unreachable(session: Session, member_id: int, *, cause_item_id: int, now: dt.datetime) -> bool:
    """Mark a member unreachable; the first to do so (True) tells the commune admins.

    The conditional UPDATE makes "first" hold across processes too: a second sender finds the flag set.
    """
    result = session.execute(
        update(Member).where(col(Member.id) == member_id, col(Member.unreachable).is_(False)).values(unreachable=True)
    )
    flipped = cast("CursorResult[Any]", result).rowcount  # an UPDATE's result is a cursor result
    if not flipped:
        return False
    member = session.get(Member, member_id)
    if member is not None:
        session.refresh(member)
        audit.record(
            session,
            actor_id=None,
            action="unreachable",
            entity="member",
            entity_id=member_id,
            now=now,
            before={"unreachable": False},
            after={"unreachable": True},
        )
        tell_admins(session, member, cause_item_id=cause_item_id, now=now)
    return True


def mark_chat_unreachable(
    session: Session, channel: str, chat_id: str, *, cause_item_id: int, now: dt.datetime
) -> None:
    """The bot can no longer reach this chat: mark the members behind it unreachable (telling their commune
    admins, once); a group chat (the bot was removed from it) loses its binding, so nothing more is planned for
    it. The outbox sender is handed this function by the wiring and calls it in the transaction that fails the
    chat's items."""
    groups.bot_removed(session, channel, chat_id, now)  # nothing when the chat is no group the bot knows
    accounts = session.exec(
        select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.chat_id == chat_id)
    ).all()
    for account in accounts:
        mark_unreachable(session, account.member_id, cause_item_id=cause_item_id, now=now)


def tell_admins(session: Session, member: Member, *, cause_item_id: int, now: dt.datetime) -> int:
    """Queue the notice to the reachable commune admins of the member's commune (not the member)."""
    if member.commune_code is None:
        return 0
    admins = session.exec(
        select(Member, ChannelAccount)
        .join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
        .where(
            Member.role == ROLE_COMMUNE_ADMIN,
            Member.commune_code == member.commune_code,
            Member.id != member.id,
            col(Member.unreachable).is_(False),
        )
        .order_by(col(Member.id), col(ChannelAccount.id))
    ).all()
    latest = {admin.id: (admin, account) for admin, account in admins}
    area = get_commune(session, member.commune_code).name
    if member.village_id is not None:
        village = session.get(Village, member.village_id)
        if village is not None:
            area = f"{village.name}, {area}"
    told = 0
    for admin, account in latest.values():
        text = texts.unreachable_notice(Translator(admin.locale), name=member.display_name, role=member.role, area=area)
        # One episode of unreachability is one failed item: the key makes the notice once per admin.
        told += outbox.enqueue_once(
            session,
            channel=account.channel,
            chat_id=account.chat_id,
            kind=outbox.KIND_MESSAGE,
            payload=Reply(text).to_payload(),
            now=now,
            idempotency_key=f"unreachable:m{member.id}:i{cause_item_id}:a{admin.id}",
        )
    return told
