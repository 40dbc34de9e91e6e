"""Places and people: provinces, communes, villages, members, their chat accounts, group chats and invites."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.rows import empty_list


class Province(SQLModel, table=True):
    """A province (tỉnh/thành phố) by its official code, loaded from `vietnam-provinces`."""

    code: int = Field(primary_key=True)
    name: str
    codename: str


class Commune(SQLModel, table=True):
    """A commune-level unit (xã, phường, đặc khu) by its official code."""

    code: int = Field(primary_key=True)
    name: str
    codename: str
    province_code: int = Field(foreign_key="province.code", index=True)


class Village(SQLModel, table=True):
    """A village (thôn, tổ dân phố, bản, ấp), set up by its commune: below the official list."""

    __table_args__ = (UniqueConstraint("commune_code", "name_key", name="uq_village_commune_name"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_code: int = Field(foreign_key="commune.code", index=True)
    name: str
    name_key: str  # folded name (no diacritics, lower case) for matching and uniqueness
    created_at: dt.datetime
    households: int | None = None  # how many households the village has (set in /thon): Gia đình số's denominator


class Member(SQLModel, table=True):
    """A person using the bot, with one role and the area that role covers."""

    id: int | None = Field(default=None, primary_key=True)
    display_name: str
    role: str  # member | team_lead | commune_admin | commune_leader | province_viewer
    province_code: int = Field(foreign_key="province.code", index=True)
    commune_code: int | None = Field(default=None, foreign_key="commune.code", index=True)
    village_id: int | None = Field(default=None, foreign_key="village.id", index=True)
    locale: str = "vi"
    reminders_paused: bool = False
    unreachable: bool = False
    joined_with: str | None = None  # invite code
    created_at: dt.datetime
    removed_at: dt.datetime | None = None  # removed from the area: their entries stay, their accounts go


class GroupChat(SQLModel, table=True):
    """A group chat the bot is a member of, and the area it is bound to (`/nhom`).

    One group is bound to one area at most: the commune (`village_id` empty) or one of its villages; an area
    may have several groups. A group the bot was removed from keeps its row with `left_at` set (and no area),
    so the audit trail and a later return make sense."""

    channel: str = Field(primary_key=True)
    chat_id: str = Field(primary_key=True)
    title: str = ""
    commune_code: int | None = Field(default=None, foreign_key="commune.code", index=True)
    village_id: int | None = Field(default=None, foreign_key="village.id", index=True)
    bound_by: int | None = Field(default=None, foreign_key="member.id")
    bound_at: dt.datetime | None = None
    joined_at: dt.datetime  # when the bot was added (or first heard of the group)
    greeted: bool = False  # the hello was said once
    left_at: dt.datetime | None = None  # the bot was removed from the group
    bot: str | None = None  # the bot (its key) that is in the group; None: the channel's default bot


class CommuneSetting(SQLModel, table=True):
    """A commune's own choices: where the weekly session reminder goes (`group`, `direct`, `both`).

    No row, or no choice, means the default: to the village's group when one is bound, else to each member."""

    commune_code: int = Field(primary_key=True, foreign_key="commune.code")
    reminder_delivery: str | None = None  # group | direct | both
    updated_by: int | None = Field(default=None, foreign_key="member.id")
    updated_at: dt.datetime


class ChannelAccount(SQLModel, table=True):
    """One messenger account (Telegram or Zalo user) linked to a member."""

    __table_args__ = (UniqueConstraint("channel", "user_id", name="uq_account_channel_user"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    channel: str
    user_id: str
    chat_id: str  # the private chat the bot answers in
    created_at: dt.datetime
    # The bot (its key) the account talks to: the one serving the member's province; None: the default bot.
    # What the bot starts (reminders, notices) reaches the person through it.
    bot: str | None = None


class Invite(SQLModel, table=True):
    """A random, expiring, use-limited code that lets a person join with a role and area.

    A `personal` invite is given to a person (or a few, by hand); a `village` invite is a village's join link,
    posted in its group for anyone to join that village as a member (the one shown to strangers there). An
    imported personal invite carries the name the commune wrote for the person (`invitee_name`): a team
    member's name, never a citizen's."""

    __table_args__ = (Index("ix_invite_village_kind", "village_id", "kind"),)

    code: str = Field(primary_key=True)
    role: str
    kind: str = "personal"  # personal | village
    invitee_name: str | None = None
    province_code: int = Field(foreign_key="province.code")
    commune_code: int | None = Field(default=None, foreign_key="commune.code", index=True)
    village_id: int | None = Field(default=None, foreign_key="village.id")
    created_by: int | None = Field(default=None, foreign_key="member.id")
    max_uses: int
    uses: int = 0
    expires_at: dt.datetime
    revoked: bool = False
    created_at: dt.datetime


class RemovedAccount(SQLModel, table=True):
    """A messenger account of a member who was removed: it may join again, but not with the same invite."""

    channel: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    member_id: int = Field(primary_key=True, foreign_key="member.id")
    removed_at: dt.datetime


class LinkCode(SQLModel, table=True):
    """A one-time, short-lived code (/lienket) that links another messenger account to the same member."""

    code: str = Field(primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    channel: str  # where it was asked for
    user_id: str
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


class CodeAttempt(SQLModel, table=True):
    """Wrong invite codes tried lately by one messenger account, and the wait they earned (storage.invites)."""

    channel: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    failures: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))  # ISO times, UTC
    locked_until: dt.datetime | None = None
    updated_at: dt.datetime
