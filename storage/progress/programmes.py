"""The provinces' programmes beside the five indicators: each enabled programme's figure for a month and the
year so far, against its denominator and the year's target, for a commune (or one of its villages) and summed
over a province.

What each rule counts (the catalog's `[target] rule`):
- `percent` with the villages' households as denominator (Gia đình số): `figure` is the year so far (from
  January to the month's end); `denominator` the households of the villages whose count is set in /thon;
  `percent` the year's figure of those villages over their households (a village without a household count
  is left out of the percent, and counted in `villages_without_households`);
- `percent` with an entered denominator whose figure is a national indicator (VNeID mức 2): the indicator's
  numerator and denominator of the month, as entered with /chiso (already a running total);
- `count` (Chợ số 4T, Đảng viên số): `figure` the year so far; no denominator, so no percent; on track when the
  year's figure is on the straight path to the province's count target;
- `per_mentor` (Đại sứ số): `figure` the named mentors whose mentees reach the rule's number (5) in the year
  so far, `denominator` the named mentors with any mentee, `percent` the share of them who reached it; the
  target is the province's count of such mentors (none unless it set one).

A programme only entered monthly by the commune and with no national indicator behind it has no figure yet
(`figure` None): nothing in chat enters it. The month's own count (`month_figure`) is what villages logged in
the month. Targets are the province's own for the year, else the plan's percent from the catalog.

A few statements per commune or province whatever its size: the enabled programmes and targets, the records
summed per commune and unit, the households per commune, the mentors per commune, the indicator figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlmodel import Session

from storage.areas import get_commune
from storage.indicators import on_track, percent_of
from storage.models import Commune, IndicatorValue, ProgrammeRecord, ProgrammeTarget, Village, table_of
from storage.periods import month_of
from storage.programmes.catalog import RULE_COUNT, RULE_PER_MENTOR, RULE_PERCENT, SOURCE_VILLAGE_HOUSEHOLDS, Programme
from storage.programmes.provinces import enabled_programmes
from storage.scope import Scope

RECORDS = table_of(ProgrammeRecord)
VILLAGES = table_of(Village)
COMMUNES = table_of(Commune)
FIGURES = table_of(IndicatorValue)
TARGETS = table_of(ProgrammeTarget)


@dataclass(frozen=True)
class ProgrammeProgress:
    """An enabled programme of an area for a month, against the year's target (see the module's rules)."""

    programme: Programme
    month: dt.date  # the first day of the month
    month_figure: int | None  # counted in the month (None: nothing can enter it yet)
    figure: int | None  # what the target is set against: the year so far, the indicator's numerator, mentors
    denominator: int | None
    target: float | None  # a percent (percent rule) or a whole number (count, per_mentor)
    covered: int | None = None  # the part of `figure` over the denominator (households: villages with a count)
    also: dict[str, int] = field(default_factory=dict)  # the programme's other units, the year so far
    villages_without_households: int = 0

    @property
    def id(self) -> str:
        return self.programme.id

    @property
    def rule(self) -> str:
        return self.programme.target.rule

    @property
    def percent(self) -> float | None:
        """The figure as a percent of its denominator (None without one: a count rule, or nothing entered)."""
        if self.rule == RULE_COUNT:
            return None
        return percent_of(self.covered if self.covered is not None else self.figure, self.denominator)

    @property
    def on_track(self) -> bool | None:
        """On the straight path from January to the year's target (None without a figure or a target)."""
        if self.rule == RULE_PERCENT:
            return on_track(self.percent, self.target, self.month)
        if self.figure is None:
            return None
        return on_track(float(self.figure), self.target, self.month)

    def as_json(self) -> dict[str, Any]:
        """The programme as the monthly report's JSON: the contract's keys, then the rule's details."""
        out: dict[str, Any] = {
            "id": self.id,
            "figure": self.figure,
            "denominator": self.denominator,
            "percent": self.percent,
            "target": self.target,
            "on_track": self.on_track,
            "name": self.programme.name_vi,
            "unit": self.programme.unit,
            "rule": self.rule,
            "month_figure": self.month_figure,
        }
        if self.also:
            out["also"] = dict(sorted(self.also.items()))
        if self.programme.denominator and self.programme.denominator.source == SOURCE_VILLAGE_HOUSEHOLDS:
            out["villages_without_households"] = self.villages_without_households
        if self.rule == RULE_PER_MENTOR:
            out["mentees_per_mentor"] = self.programme.target.mentees
        return out


@dataclass
class _Counts:
    """What the statements read for one commune (or village); the province adds its communes' up."""

    records: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (id, unit) -> month, year, covered
    households: int = 0
    with_households: int = 0
    villages: int = 0
    mentors: dict[str, list[int]] = field(default_factory=dict)  # id -> named mentors, mentors reaching
    figures: dict[str, list[int]] = field(default_factory=dict)  # indicator -> numerator, denominator

    def add(self, other: _Counts) -> None:
        for unit_key, values in other.records.items():
            _add_into(self.records.setdefault(unit_key, [0, 0, 0]), values)
        self.households += other.households
        self.with_households += other.with_households
        self.villages += other.villages
        for programme_id, mentors in other.mentors.items():
            _add_into(self.mentors.setdefault(programme_id, [0, 0]), mentors)
        for indicator, figure in other.figures.items():
            _add_into(self.figures.setdefault(indicator, [0, 0]), figure)


def _add_into(total: list[int], values: list[int]) -> None:
    for index, value in enumerate(values):
        total[index] += value


def _targets(session: Session, province_code: int, year: int) -> dict[str, float]:
    statement = select(TARGETS.c.programme, TARGETS.c.value).where(
        TARGETS.c.province_code == province_code, TARGETS.c.year == year
    )
    return {str(programme): float(value) for programme, value in session.connection().execute(statement)}


def _read(
    session: Session,
    programmes: list[Programme],
    month: dt.date,
    commune_code: int | None,
    province_code: int | None,
    village_id: int | None = None,
) -> dict[int, _Counts]:
    """The records, households, mentors and indicator figures of one commune or every commune of a province,
    for the month and the year up to its end: commune code -> counts."""
    start, end = month_of(month)
    january = dt.date(start.year, 1, 1)
    counts: dict[int, _Counts] = {}

    def area(code_column: Any, village_column: Any | None = None) -> list[ColumnElement[bool]]:
        if commune_code is not None:
            where = [code_column == commune_code]
        else:
            where = [code_column.in_(select(COMMUNES.c.code).where(COMMUNES.c.province_code == province_code))]
        if village_id is not None and village_column is not None:
            where.append(village_column == village_id)
        return where

    logged = [p.id for p in programmes if p.logged_by_villages]
    if logged:
        in_month = case((RECORDS.c.record_date >= start, RECORDS.c.count), else_=0)
        covered = case((VILLAGES.c.households.is_not(None), RECORDS.c.count), else_=0)
        statement = (
            select(
                RECORDS.c.commune_code,
                RECORDS.c.programme,
                RECORDS.c.unit,
                func.sum(in_month),
                func.sum(RECORDS.c.count),
                func.sum(covered),
            )
            .join(VILLAGES, VILLAGES.c.id == RECORDS.c.village_id)
            .where(
                *area(RECORDS.c.commune_code, RECORDS.c.village_id),
                RECORDS.c.programme.in_(logged),
                RECORDS.c.record_date >= january,
                RECORDS.c.record_date <= end,
                RECORDS.c.deleted_at.is_(None),
            )
            .group_by(RECORDS.c.commune_code, RECORDS.c.programme, RECORDS.c.unit)
        )
        for code, programme, unit, month_total, year_total, covered_total in session.connection().execute(statement):
            counts.setdefault(code, _Counts()).records[(programme, unit)] = [
                int(month_total or 0),
                int(year_total or 0),
                int(covered_total or 0),
            ]
    if any(p.denominator and p.denominator.source == SOURCE_VILLAGE_HOUSEHOLDS for p in programmes):
        households = select(
            VILLAGES.c.commune_code,
            func.sum(VILLAGES.c.households),
            func.count(VILLAGES.c.households),
            func.count(),
        ).where(*area(VILLAGES.c.commune_code, VILLAGES.c.id))
        for code, total, known, villages in session.connection().execute(households.group_by(VILLAGES.c.commune_code)):
            line = counts.setdefault(code, _Counts())
            line.households, line.with_households, line.villages = int(total or 0), int(known), int(villages)
    for programme in programmes:
        if programme.target.rule == RULE_PER_MENTOR:
            where = area(RECORDS.c.commune_code, RECORDS.c.village_id)
            _read_mentors(session, programme, [*where, RECORDS.c.record_date >= january], end, counts)
    indicators = [p.indicator for p in programmes if p.indicator]
    if indicators:
        figures = select(FIGURES.c.commune_code, FIGURES.c.indicator, FIGURES.c.numerator, FIGURES.c.denominator).where(
            *area(FIGURES.c.commune_code),
            FIGURES.c.month == start,
            FIGURES.c.indicator.in_(indicators),
        )
        if village_id is None:  # a commune's figure, not a village's
            for code, indicator, numerator, denominator in session.connection().execute(figures):
                counts.setdefault(code, _Counts()).figures[indicator] = [int(numerator), int(denominator)]
    return counts


def _read_mentors(
    session: Session, programme: Programme, where: list[ColumnElement[bool]], end: dt.date, counts: dict[int, _Counts]
) -> None:
    """Per commune: the named mentors with mentees in the year so far, and those whose mentees reach the rule."""
    per_mentor = (
        select(
            RECORDS.c.commune_code.label("commune_code"),
            func.sum(RECORDS.c.count).label("mentees"),
        )
        .where(
            *where,
            RECORDS.c.programme == programme.id,
            RECORDS.c.unit == "people",
            RECORDS.c.mentor.is_not(None),
            RECORDS.c.record_date <= end,
            RECORDS.c.deleted_at.is_(None),
        )
        .group_by(RECORDS.c.commune_code, RECORDS.c.mentor)
        .subquery("per_mentor")
    )
    reaching = case((per_mentor.c.mentees >= (programme.target.mentees or 1), 1), else_=0)
    statement = select(per_mentor.c.commune_code, func.count(), func.sum(reaching)).group_by(per_mentor.c.commune_code)
    for code, mentors, reached in session.connection().execute(statement):
        counts.setdefault(code, _Counts()).mentors[programme.id] = [int(mentors), int(reached or 0)]


def _progress(programme: Programme, month: dt.date, counts: _Counts, targets: dict[str, float]) -> ProgrammeProgress:
    """One programme's progress out of an area's counts."""
    target = targets.get(programme.id, programme.target.percent)
    also = {
        m.unit: counts.records[(programme.id, m.unit)][1]
        for m in programme.also_counted
        if (programme.id, m.unit) in counts.records
    }
    logged = counts.records.get((programme.id, programme.unit), [0, 0, 0])
    month_figure = logged[0] if programme.logged_by_villages else None
    if programme.indicator:
        entered = counts.figures.get(programme.indicator)
        return ProgrammeProgress(
            programme,
            month,
            entered[0] if entered else None,
            entered[0] if entered else None,
            entered[1] if entered else None,
            target,
        )
    if not programme.logged_by_villages:
        return ProgrammeProgress(programme, month, None, None, None, target)
    if programme.target.rule == RULE_PER_MENTOR:
        mentors, reached = counts.mentors.get(programme.id, [0, 0])
        return ProgrammeProgress(
            programme, month, month_figure, reached, mentors or None, target, also={"people": logged[1], **also}
        )
    if programme.denominator and programme.denominator.source == SOURCE_VILLAGE_HOUSEHOLDS:
        return ProgrammeProgress(
            programme,
            month,
            month_figure,
            logged[1],
            counts.households if counts.with_households else None,
            target,
            covered=logged[2],
            also=also,
            villages_without_households=counts.villages - counts.with_households,
        )
    return ProgrammeProgress(programme, month, month_figure, logged[1], None, target, also=also)


def commune_programmes(
    session: Session, scope: Scope, commune_code: int, month: dt.date, village_id: int | None = None
) -> list[ProgrammeProgress]:
    """The enabled programmes of a commune's province for a month (of one village of it, if named), in the
    catalog's order; empty when the province runs none."""
    commune = get_commune(session, commune_code)
    scope.check_commune(commune_code, commune.province_code)
    if scope.village_only is not None:
        village_id = scope.village_only
    programmes = enabled_programmes(session, commune.province_code)
    if not programmes:
        return []
    start = month_of(month)[0]
    counts = _read(session, programmes, start, commune_code, None, village_id).get(commune_code, _Counts())
    targets = _targets(session, commune.province_code, start.year)
    return [_progress(p, start, counts, targets) for p in programmes]


@dataclass(frozen=True)
class ProvinceProgrammes:
    """A province's programmes for a month: summed over its communes, and each commune's own."""

    total: list[ProgrammeProgress]
    communes: dict[int, list[ProgrammeProgress]]

    def __bool__(self) -> bool:
        return bool(self.total)


def province_programmes(
    session: Session, scope: Scope, province_code: int, month: dt.date, communes: Iterable[int] = ()
) -> ProvinceProgrammes:
    """The enabled programmes of a province for a month: the province's sums (the communes' counts added up,
    its targets), and the programmes of each commune in `communes` (every commune with a count, at least)."""
    scope.check_province(province_code)
    programmes = enabled_programmes(session, province_code)
    if not programmes:
        return ProvinceProgrammes([], {})
    start = month_of(month)[0]
    counts = _read(session, programmes, start, None, province_code)
    targets = _targets(session, province_code, start.year)
    total = _Counts()
    for line in counts.values():
        total.add(line)
    per_commune = {
        code: [_progress(p, start, counts.get(code, _Counts()), targets) for p in programmes]
        for code in sorted({*counts, *communes})
    }
    return ProvinceProgrammes([_progress(p, start, total, targets) for p in programmes], per_commune)
