"""What teams log: community sessions, people helped by kind, programme figures and priority groups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel, col

from storage.models.rows import empty_list


class TrainingSession(SQLModel, table=True):
    """A community digital-skills session held in a village on a day."""

    __table_args__ = (
        # A commune's (or a province's communes') sessions by day, carrying what the roll-ups, the pages' heat-map
        # and trend and supervision read of them: those reads never visit the table's rows.
        Index("ix_session_commune_day_cover", "commune_code", "session_date", "village_id", "attendees", "deleted_at"),
        # supervision reads what was entered in a period, whatever the session's day (storage/supervision): who
        # entered which village's session of which day, from the index alone
        Index(
            "ix_session_commune_entered_cover",
            "commune_code",
            "created_at",
            "deleted_at",
            "village_id",
            "session_date",
            "author_id",
        ),
        # a village's sessions of the weeks before one (supervision's crowds), read from the index alone
        Index("ix_session_village_day_cover", "village_id", "session_date", "attendees", "deleted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    commune_code: int = Field(foreign_key="commune.code")
    village_id: int = Field(foreign_key="village.id", index=True)
    session_date: dt.date
    topics: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
    attendees: int
    member_id: int = Field(foreign_key="member.id", index=True)  # whose session it is
    author_id: int = Field(foreign_key="member.id")  # who entered it (a lead may log on behalf)
    source: str = "guided"  # guided | text | import
    evidence: list[dict[str, Any]] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
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


# Province and national roll-ups read a month of sessions and help records across many communes.
Index("ix_session_date_commune", col(TrainingSession.session_date), col(TrainingSession.commune_code))
Index("ix_help_date_commune", col(HelpRecord.record_date), col(HelpRecord.commune_code))
