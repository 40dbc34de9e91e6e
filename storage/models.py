"""SQLModel tables of the domain.

Timestamps are timezone-aware and stored in UTC (SQLModel's UTCDateTime);
calendar dates of sessions are local dates in the deployment's timezone. People helped are stored
as counts only, never as names, phone or ID numbers (Decree 13/2023/NĐ-CP).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, LargeBinary, Table, UniqueConstraint, text
from sqlmodel import Field, SQLModel, col


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


class TrainingSession(SQLModel, table=True):
    """A community digital-skills session held in a village on a day."""

    __table_args__ = (Index("ix_session_commune_date", "commune_code", "session_date"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_code: int = Field(foreign_key="commune.code")
    village_id: int = Field(foreign_key="village.id", index=True)
    session_date: dt.date
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attendees: int
    member_id: int = Field(foreign_key="member.id", index=True)  # whose session it is
    author_id: int = Field(foreign_key="member.id")  # who entered it (a lead may log on behalf)
    source: str = "guided"  # guided | text | import
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None = None


class HelpRecord(SQLModel, table=True):
    """How many people a team helped with one kind of thing on a day (a count, never names)."""

    __table_args__ = (Index("ix_help_commune_date", "commune_code", "record_date"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_code: int = Field(foreign_key="commune.code")
    village_id: int = Field(foreign_key="village.id", index=True)
    record_date: dt.date
    kind: str
    count: int
    member_id: int = Field(foreign_key="member.id", index=True)
    author_id: int = Field(foreign_key="member.id")
    source: str = "guided"
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None = None


class ProgrammeRecord(SQLModel, table=True):
    """A province programme's figure logged by a village team on a day (`storage/programmes/`): a count in one
    of the programme's units, with the mentor's name for a mentor programme (a team member or a registered
    ambassador, a name only, never a citizen's data), and the session it came with, if any."""

    __table_args__ = (Index("ix_programme_record_commune_date", "commune_code", "record_date"),)

    id: int | None = Field(default=None, primary_key=True)
    programme: str  # an id of the catalog
    commune_code: int = Field(foreign_key="commune.code")
    village_id: int = Field(foreign_key="village.id", index=True)
    record_date: dt.date
    count: int
    unit: str  # a unit of the programme (`catalog.UNITS`)
    mentor: str | None = None
    session_id: int | None = Field(default=None, foreign_key="trainingsession.id")
    member_id: int = Field(foreign_key="member.id", index=True)  # whose figure it is
    author_id: int = Field(foreign_key="member.id")  # who entered it
    source: str = "text"  # guided | text
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None = None


class SessionPriorityGroup(SQLModel, table=True):
    """How many of a session's attendees belong to a priority group (elderly, disabled, ethnic minority): a
    count, never names. Groups overlap, so each is at most the attendees, not their sum."""

    session_id: int = Field(primary_key=True, foreign_key="trainingsession.id")
    group: str = Field(primary_key=True)  # a key of `storage.vocab.PRIORITY_GROUPS`
    count: int


class ConversationState(SQLModel, table=True):
    """Where a person is in a conversation; kept in the database so restarts lose nothing.

    A person has one conversation in their private chat (`group_id` empty) and one in each group chat where
    they talk to the bot: a read-back started in a group belongs to its author, in that group."""

    channel: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    group_id: str = Field(default="", primary_key=True)  # the group chat's id; "" for the private chat
    name: str = "idle"
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    locale: str | None = None  # chosen before joining
    updated_at: dt.datetime


class ProcessedUpdate(SQLModel, table=True):
    """An update already processed: a redelivered one is recognised and does nothing twice."""

    channel: str = Field(primary_key=True)
    update_id: str = Field(primary_key=True)
    processed_at: dt.datetime


class OutboxMessage(SQLModel, table=True):
    """Something to send, written in the same transaction as the change that caused it."""

    __table_args__ = (
        Index("ix_outbox_status_id", "status", "id"),
        # What a claim on PostgreSQL asks of a chat's other rows (leased elsewhere? waiting before this one?):
        # only the rows still to send are indexed, a small part of the table at scale.
        Index(
            "ix_outbox_pending_chat",
            "channel",
            "chat_id",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    # BigInteger at national scale; SQLite only auto-increments an INTEGER primary key.
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    )
    channel: str
    chat_id: str
    kind: str  # message | edit | answer_callback | set_commands
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    idempotency_key: str | None = Field(default=None, unique=True)
    status: str = "pending"  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    last_error: str | None = None
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    # Several instances on PostgreSQL: which instance holds the row and until when (database time). Another
    # takes it once the lease has run out (the holder died); unused on SQLite, where one instance runs.
    claimed_by: str | None = None
    lease_until: dt.datetime | None = None


class StoredFile(SQLModel, table=True):
    """A generated file (chart, report) kept for sending and for expiring download links."""

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(unique=True)
    filename: str
    mime_type: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime
    expires_at: dt.datetime


class AuditEntry(SQLModel, table=True):
    """Who changed what, when, with the values before and after."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="member.id")
    action: str  # create | update | delete | join | ...
    entity: str
    entity_id: str | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class BotSetting(SQLModel, table=True):
    """Small facts the running bot learns and the CLI needs, e.g. the bot's username for deep links."""

    key: str = Field(primary_key=True)
    value: str
    updated_at: dt.datetime


class BotInstance(SQLModel, table=True):
    """A running `bdhvs run` process on a shared (PostgreSQL) database: its heartbeat and the roles it holds."""

    id: str = Field(primary_key=True)  # host, process id and a random part: unique per start
    host: str
    pid: int
    started_at: dt.datetime
    seen_at: dt.datetime  # database time of its latest heartbeat
    roles: str = ""  # the leader roles it holds, comma-separated (scheduler, polling:telegram:..., sender)


class SendPace(SQLModel, table=True):
    """One bot token's shared rate on PostgreSQL: the earliest moment its next send may go (a GCRA's theoretical
    arrival time, in database seconds since the epoch), moved forward atomically by each instance that sends."""

    key: str = Field(primary_key=True)  # channel and a hash of the token, never the token itself
    next_at: float = 0.0


class MonthlyReport(SQLModel, table=True):
    """A commune's report for one month: once submitted, the month's entries are locked."""

    __table_args__ = (UniqueConstraint("commune_code", "month", name="uq_report_commune_month"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_code: int = Field(foreign_key="commune.code", index=True)
    month: dt.date  # the first day of the month
    status: str = "draft"  # draft | submitted
    submitted_at: dt.datetime | None = None
    submitted_by: int | None = Field(default=None, foreign_key="member.id")
    on_time: bool | None = None
    reopened_at: dt.datetime | None = None
    reopened_by: int | None = Field(default=None, foreign_key="member.id")
    reopen_reason: str | None = None


class IndicatorValue(SQLModel, table=True):
    """A commune's figure for one indicator in one month: how many people (numerator) out of how many."""

    __table_args__ = (
        UniqueConstraint("commune_code", "month", "indicator", name="uq_indicator_commune_month"),
        Index("ix_indicator_month", "month", "commune_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    commune_code: int = Field(foreign_key="commune.code")
    month: dt.date  # the first day of the month
    indicator: str  # an id of storage.indicators.INDICATORS
    numerator: int
    denominator: int
    entered_by: int | None = Field(default=None, foreign_key="member.id")
    updated_at: dt.datetime


class IndicatorTarget(SQLModel, table=True):
    """A yearly target (percent) for one indicator: for a whole province, or for one commune."""

    __table_args__ = (UniqueConstraint("year", "indicator", "scope", "area_code", name="uq_target_year_area"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    indicator: str
    scope: str  # province | commune
    area_code: int  # the province code or the commune code, by scope
    percent: float
    set_by: int | None = Field(default=None, foreign_key="member.id")
    updated_at: dt.datetime


class ProvinceSetting(SQLModel, table=True):
    """A province's reporting rules: communes report month M by this day of month M+1 (20 by default)."""

    province_code: int = Field(primary_key=True, foreign_key="province.code")
    report_deadline_day: int = 20
    updated_by: int | None = Field(default=None, foreign_key="member.id")
    updated_at: dt.datetime


class ProvinceProgramme(SQLModel, table=True):
    """A programme of the catalog (`storage/programmes/`) a province runs. Turning it off keeps the row (and
    the targets), so turning it on again finds them."""

    province_code: int = Field(primary_key=True, foreign_key="province.code")
    programme: str = Field(primary_key=True)  # an id of the catalog
    enabled: bool
    updated_by: int | None = Field(default=None, foreign_key="member.id")
    updated_at: dt.datetime


class ProgrammeTarget(SQLModel, table=True):
    """A province's yearly target for a programme: a percent (percent rule) or a whole number (count rule; the
    mentors reaching their mentees, per_mentor rule)."""

    province_code: int = Field(primary_key=True, foreign_key="province.code")
    programme: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    value: float
    set_by: int | None = Field(default=None, foreign_key="member.id")
    updated_at: dt.datetime


class ProvinceIndicator(SQLModel, table=True):
    """A province's own monthly indicator (`bdhvs indicator add`): a count in its unit, entered by the
    communes of that province with /chiso."""

    province_code: int = Field(primary_key=True, foreign_key="province.code")
    indicator: str = Field(primary_key=True)  # lower-case id, never one of the national indicators
    name: str  # Vietnamese
    name_en: str | None = None
    unit: str  # a unit of the catalog (people, markets...) or the province's own word
    target: int | None = None  # the yearly target, in the unit
    created_at: dt.datetime
    updated_at: dt.datetime


class ProvinceIndicatorValue(SQLModel, table=True):
    """A commune's monthly figure for its province's own indicator."""

    __table_args__ = (UniqueConstraint("commune_code", "month", "indicator", name="uq_own_indicator_commune_month"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_code: int = Field(foreign_key="commune.code")
    month: dt.date  # the first day of the month
    indicator: str  # ProvinceIndicator.indicator of the commune's province
    value: int
    entered_by: int | None = Field(default=None, foreign_key="member.id")
    updated_at: dt.datetime


class ProgrammeMonthValue(SQLModel, table=True):
    """A commune's monthly figure of a programme its province runs that the catalog says the commune enters
    (`entered_by` commune or both), typed in /chiso: a count in the programme's unit, and the denominator
    typed with it when the catalog's denominator is `entered`."""

    __table_args__ = (UniqueConstraint("commune_code", "month", "programme", name="uq_programme_month_value"),)

    id: int | None = Field(default=None, primary_key=True)
    commune_code: int = Field(foreign_key="commune.code")
    month: dt.date  # the first day of the month
    programme: str  # an id of the catalog
    value: int
    denominator: int | None = None
    entered_by: int | None = Field(default=None, foreign_key="member.id")
    updated_at: dt.datetime


# Province and national roll-ups read a month of sessions and help records across many communes.
Index("ix_session_date_commune", col(TrainingSession.session_date), col(TrainingSession.commune_code))
Index("ix_help_date_commune", col(HelpRecord.record_date), col(HelpRecord.commune_code))


class ReminderRule(SQLModel, table=True):
    """When one kind of reminder fires: the deployment's default, or a province's or a commune's own times.

    `times` holds the firings in a small text form read by storage.reminders: "thu 19:00" (weekly kinds),
    "15 08:00" (day of the month), "-7 08:00" (days before a custom deadline).
    """

    __table_args__ = (UniqueConstraint("kind", "scope", "area_code", name="uq_reminder_rule_area"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # weekly_session | weekly_summary | monthly_report | monthly_escalation | province_consolidation | custom
    scope: str  # default | province | commune
    area_code: int = 0  # the province or commune code, by scope; 0 for the default
    times: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    updated_by: int | None = Field(default=None, foreign_key="member.id")
    updated_at: dt.datetime


class ReminderDeadline(SQLModel, table=True):
    """A one-off deadline created in chat (e.g. nominations before 30/9), reminded some days before."""

    __table_args__ = (Index("ix_deadline_area", "scope", "area_code", "due_date"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str
    due_date: dt.date  # a local date
    scope: str  # commune | province
    area_code: int  # the commune or province code, by scope
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: dt.datetime
    cancelled_at: dt.datetime | None = None


class OfferedChoices(SQLModel, table=True):
    """The numbered choices last shown to a person on a channel without buttons (Zalo), to read "2" back."""

    channel: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    group_id: str = Field(default="", primary_key=True)  # as in ConversationState: "" for the private chat
    choices: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # [label, payload]
    offered_at: dt.datetime


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
    failures: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # ISO times, UTC
    locked_until: dt.datetime | None = None
    updated_at: dt.datetime


class RemovedAccount(SQLModel, table=True):
    """A messenger account of a member who was removed: it may join again, but not with the same invite."""

    channel: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    member_id: int = Field(primary_key=True, foreign_key="member.id")
    removed_at: dt.datetime


class WebSignIn(SQLModel, table=True):
    """A one-time link to the leaders' page, given in chat (`/web`): only its SHA-256 is kept, so the table
    alone opens nothing. Used once (`used_at`), and only until `expires_at`."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


class WebSession(SQLModel, table=True):
    """A signed-in browser of the leaders' page: the cookie holds a random token, the table its SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: dt.datetime
    expires_at: dt.datetime
    ended_at: dt.datetime | None = None  # signed out


class SpotCheck(SQLModel, table=True):
    """A session drawn at random for a supervisor to look at (kiểm tra đột xuất), and what they found: "confirmed",
    "questioned" (with an optional note), or nothing yet."""

    id: int | None = Field(default=None, primary_key=True)
    commune_code: int = Field(foreign_key="commune.code", index=True)
    session_id: int = Field(foreign_key="trainingsession.id", index=True)
    drawn_by: int = Field(foreign_key="member.id")
    drawn_at: dt.datetime
    verdict: str | None = None  # confirmed | questioned
    note: str | None = None
    decided_by: int | None = Field(default=None, foreign_key="member.id")
    decided_at: dt.datetime | None = None


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for statements built with SQLAlchemy Core.

    SQLModel sets `__table__` only at run time, so a type checker cannot see it on the class.
    """
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


class _Stored(Protocol):
    """A row with an id given by the database."""

    id: int | None


def saved_id(row: _Stored) -> int:
    """The id of a row already in the database (its type says optional because a new row has none yet)."""
    if row.id is None:
        raise ValueError(f"this {type(row).__name__} has no id: it was never saved")
    return row.id
