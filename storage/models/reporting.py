"""The monthly report, the indicators and their targets, and a province's programmes and own indicators."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


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
