"""Group chats the bot is in, and the area each is bound to (`/nhom`).

A group is bound to one area at most: its commune (village empty) or one village of that commune; an area may
have several groups. A commune admin may bind a group to their commune or any of its villages, a team lead to
their own village; nobody else may. When the bot is removed from a group the binding ends; when a Telegram group
becomes a supergroup the binding follows it to the new chat id, and so does each person's conversation there (a
read-back started before the move is answered after it). Every change is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from storage import areas, audit
from storage.errors import DomainError
from storage.models import CommuneSetting, ConversationState, GroupChat, Member
from storage.vocab import ROLE_COMMUNE_ADMIN, ROLE_TEAM_LEAD

ENTITY = "groupchat"
FIELDS = ("channel", "chat_id", "title", "commune_code", "village_id", "left_at")

DELIVERY_GROUP = "group"  # the weekly session reminder goes to the village's group only
DELIVERY_DIRECT = "direct"  # to each member privately, as without a group
DELIVERY_BOTH = "both"
DELIVERY_CHOICES = (DELIVERY_GROUP, DELIVERY_DIRECT, DELIVERY_BOTH)


@dataclass(frozen=True)
class BoundGroup:
    """A group chat bound to an area, as the reminders and the CLI list it."""

    channel: str
    chat_id: str
    title: str
    commune_code: int
    village_id: int | None  # None: the commune's group
    bot: str | None = None  # the bot (its key) that is in the group; None: the channel's default bot


def find(session: Session, channel: str, chat_id: str) -> GroupChat | None:
    """The group's row, whether bound or not; None for a chat the bot has never seen as a group."""
    return session.get(GroupChat, (channel, chat_id))


def seen(
    session: Session, channel: str, chat_id: str, title: str, now: dt.datetime, bot: str | None = None
) -> tuple[GroupChat, bool]:
    """The bot is in this group (added, or spoken to there): its row, made or brought back, and whether it is new
    to the bot (never seen, or back after being removed). `bot`: which bot (its key) was added, the one that
    sends the group's reminders."""
    group = find(session, channel, chat_id)
    fresh = group is None or group.left_at is not None
    if group is None:
        group = GroupChat(channel=channel, chat_id=chat_id, title=title, joined_at=now, bot=bot)
    elif group.left_at is not None:
        group.left_at, group.joined_at, group.greeted, group.bot = None, now, False, bot
    if title and group.title != title:
        group.title = title
    session.add(group)
    session.flush()
    return group, fresh


def may_bind(member: Member | None) -> bool:
    """Whether this member may bind groups at all: a commune admin or a team lead of a village."""
    if member is None or member.removed_at is not None:
        return False
    if member.role == ROLE_COMMUNE_ADMIN:
        return member.commune_code is not None
    return member.role == ROLE_TEAM_LEAD and member.village_id is not None


def may_bind_area(member: Member, commune_code: int, village_id: int | None) -> bool:
    """A commune admin: their commune or any of its villages; a team lead: their own village."""
    if not may_bind(member):
        return False
    if member.role == ROLE_COMMUNE_ADMIN:
        return member.commune_code == commune_code
    return village_id is not None and member.village_id == village_id and member.commune_code == commune_code


def may_change(member: Member, group: GroupChat) -> bool:
    """Whether this member may change or end the group's binding (who could have made it)."""
    if group.commune_code is None:
        return may_bind(member)
    return may_bind_area(member, group.commune_code, group.village_id)


def bind(
    session: Session, group: GroupChat, actor: Member, commune_code: int, village_id: int | None, now: dt.datetime
) -> GroupChat:
    """Bind the group to the commune (village None) or one of its villages; audited."""
    if group.left_at is not None:
        raise DomainError("group_left")
    if group.commune_code is not None and not may_change(actor, group):
        raise DomainError("group_not_yours")
    if not may_bind_area(actor, commune_code, village_id):
        raise DomainError("group_not_yours")
    if village_id is not None:
        areas.village_in_commune(session, commune_code, village_id)
    before = audit.snapshot(group, FIELDS)
    group.commune_code, group.village_id = commune_code, village_id
    group.bound_by, group.bound_at = actor.id, now
    session.add(group)
    _audit(session, group, "bind", actor.id, before, now)
    return group


def unbind(session: Session, group: GroupChat, actor: Member, now: dt.datetime) -> None:
    """End the group's binding (the bot stays in the group); audited."""
    if group.commune_code is None:
        return
    if not may_change(actor, group):
        raise DomainError("group_not_yours")
    before = audit.snapshot(group, FIELDS)
    group.commune_code, group.village_id, group.bound_by, group.bound_at = None, None, None, None
    session.add(group)
    _audit(session, group, "unbind", actor.id, before, now)


def bot_removed(session: Session, channel: str, chat_id: str, now: dt.datetime) -> GroupChat | None:
    """The bot was removed from the group: the binding ends (audited, the row stays for the record)."""
    group = find(session, channel, chat_id)
    if group is None or group.left_at is not None:
        return group
    before = audit.snapshot(group, FIELDS)
    group.commune_code, group.village_id, group.left_at = None, None, now
    session.add(group)
    _audit(session, group, "bot_removed", None, before, now)
    return group


def migrated(session: Session, channel: str, old_chat_id: str, new_chat_id: str, now: dt.datetime) -> GroupChat | None:
    """A group became a supergroup with a new chat id: the binding follows it (audited). Idempotent: Telegram
    tells both the old and the new chat, and an update may come twice."""
    old = find(session, channel, old_chat_id)
    if old is None:
        return find(session, channel, new_chat_id)
    new = find(session, channel, new_chat_id)
    if new is None:
        new = GroupChat(channel=channel, chat_id=new_chat_id, title=old.title, joined_at=old.joined_at, bot=old.bot)
    before = audit.snapshot(old, FIELDS)
    new.title = new.title or old.title
    if old.commune_code is not None and new.commune_code is None:
        new.commune_code, new.village_id = old.commune_code, old.village_id
        new.bound_by, new.bound_at = old.bound_by, old.bound_at
    new.greeted = new.greeted or old.greeted
    new.left_at = None
    session.add(new)
    session.delete(old)
    session.flush()
    _move_conversations(session, channel, old_chat_id, new_chat_id)
    _audit(session, new, "migrate", None, before, now)
    return new


def _move_conversations(session: Session, channel: str, old_chat_id: str, new_chat_id: str) -> None:
    """Each person's conversation in the old chat goes to the new one: the buttons of a read-back shown before
    the move are pressed in the supergroup. A person who already talks in the new chat keeps the later of the two.
    """
    moving = session.exec(
        select(ConversationState).where(
            col(ConversationState.channel) == channel, col(ConversationState.group_id) == old_chat_id
        )
    ).all()
    for state in moving:
        there = session.get(ConversationState, (channel, state.user_id, new_chat_id))
        if there is None or there.updated_at < state.updated_at:
            if there is not None:
                session.delete(there)
                session.flush()
            session.add(
                ConversationState(
                    channel=channel,
                    user_id=state.user_id,
                    group_id=new_chat_id,
                    name=state.name,
                    data=dict(state.data),
                    locale=state.locale,
                    updated_at=state.updated_at,
                )
            )
        session.delete(state)
    session.flush()


def bound_groups(
    session: Session, *, commune_codes: Iterable[int] | None = None, channel: str | None = None
) -> list[BoundGroup]:
    """Bound groups (the bot still in them), of some communes or all, ordered by commune, village, chat."""
    query = select(GroupChat).where(col(GroupChat.commune_code).is_not(None), col(GroupChat.left_at).is_(None))
    if commune_codes is not None:
        query = query.where(col(GroupChat.commune_code).in_(list(commune_codes)))
    if channel is not None:
        query = query.where(GroupChat.channel == channel)
    rows = session.exec(query).all()
    found = [
        BoundGroup(row.channel, row.chat_id, row.title, row.commune_code, row.village_id, row.bot)
        for row in rows
        if row.commune_code is not None
    ]
    return sorted(found, key=lambda g: (g.commune_code, g.village_id or 0, g.channel, g.chat_id))


def delivery_choice(session: Session, commune_code: int) -> str | None:
    """The commune's choice of where the weekly session reminder goes, or None (the default)."""
    setting = session.get(CommuneSetting, commune_code)
    return setting.reminder_delivery if setting is not None else None


def set_delivery_choice(
    session: Session, commune_code: int, choice: str | None, actor: Member | None, now: dt.datetime
) -> None:
    """Set (or clear, None) where the commune's weekly session reminders go; audited (actor None: the CLI)."""
    if choice is not None and choice not in DELIVERY_CHOICES:
        raise DomainError("delivery_choice_unknown", choice=choice)
    setting = session.get(CommuneSetting, commune_code)
    before = {"reminder_delivery": setting.reminder_delivery} if setting is not None else None
    if setting is None:
        setting = CommuneSetting(commune_code=commune_code, updated_at=now)
    actor_id = actor.id if actor is not None else None
    setting.reminder_delivery, setting.updated_by, setting.updated_at = choice, actor_id, now
    session.add(setting)
    audit.record(
        session,
        actor_id=actor_id,
        action="update",
        entity="communesetting",
        entity_id=commune_code,
        now=now,
        before=before,
        after={"reminder_delivery": choice},
    )


def effective_delivery(choice: str | None, has_group: bool) -> str:
    """Where a village's session reminder goes: the commune's choice, else to the group when one is bound,
    else to each member. A choice of `group` for a village with no group still reaches its members."""
    if not has_group:
        return DELIVERY_DIRECT
    return choice or DELIVERY_GROUP


def _audit(
    session: Session, group: GroupChat, action: str, actor_id: int | None, before: dict[str, Any], now: dt.datetime
) -> None:
    """The audit entry of a change to the group's row: its fields before and after."""
    audit.record(
        session,
        actor_id=actor_id,
        action=action,
        entity=ENTITY,
        entity_id=_entity_id(group),
        now=now,
        before=before,
        after=audit.snapshot(group, FIELDS),
    )


def _entity_id(group: GroupChat) -> str:
    return f"{group.channel}:{group.chat_id}"
