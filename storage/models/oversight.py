"""Reminder rules and deadlines, the audit trail, web sign-in and sessions, and spot checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.rows import empty_list


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
    times: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
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
    roles: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: dt.datetime
    cancelled_at: dt.datetime | None = None


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


class CommuneChange(SQLModel, table=True):
    """A number that grows whenever something supervision reads of a commune changes, bumped by the database's
    own triggers in the transaction of the change (migration 0018): its sessions, its people helped, its
    villages. The row of commune 0 stands for every commune: a member's name or a province's deadline day."""

    commune_code: int = Field(primary_key=True)  # 0: every commune
    version: int = 0


class KeptRead(SQLModel, table=True):
    """A read of one commune over some days (a province's flags counted per commune, a commune's flags, its
    days, its months), kept until what it was read from changes (storage/kept.py): used while the commune's and
    every commune's `CommuneChange` numbers and the fingerprint of the code that read it are still the ones it
    was read with."""

    commune_code: int = Field(primary_key=True)
    what: str = Field(primary_key=True)  # which read: flags | days | months
    first: dt.date = Field(primary_key=True)  # the first and last day it covers
    last: dt.date = Field(primary_key=True)
    code: str  # the fingerprint of the code that read it (and the zone its local days were read in)
    version: int  # the commune's CommuneChange number when it was read
    epoch: int  # commune 0's number then
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=False))
