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

A programme only entered monthly by the commune (Chợ không dùng tiền mặt, Mỗi công dân – Một định danh số)
takes the figure (and the denominator, where the catalog's is `entered`) the commune typed in /chiso for the
month (`storage/programmes/monthly.py`): like the indicators, a standing figure at the month's end, summed over
the communes that entered it for a province; `figure` None while none is entered, and for one village. A
programme entered both ways keeps the villages' logged figures here. The month's own count (`month_figure`) is
what villages logged in the month. Targets are the province's own for the year, else the plan's percent from
the catalog.

One prepared statement per commune, village or province whatever its size (`programme_sql.py`): the enabled
programmes and targets, the records summed per commune and unit, the households and the mentors per commune,
the indicator figures; and one query for the figures the commune (or the province's communes) entered in /chiso.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from storage.errors import DomainError
from storage.indicators import on_track, percent_of
from storage.models import Commune, ProgrammeMonthValue
from storage.periods import month_of
from storage.programmes.catalog import (
    RULE_COUNT,
    RULE_PER_MENTOR,
    RULE_PERCENT,
    SOURCE_VILLAGE_HOUSEHOLDS,
    Programme,
    shipped,
)
from storage.progress.programme_sql import (
    COMMUNE,
    PROVINCE,
    STATEMENTS,
    VILLAGE,
    AreaHead,
    EnabledLine,
    FigureLine,
    HouseholdLine,
    MentorLine,
    RecordLine,
    TargetLine,
)
from storage.scope import Scope


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
    entered: dict[str, list[int]] = field(default_factory=dict)  # programme -> the commune's figure, denominator

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
        for programme_id, entered in other.entered.items():
            _add_into(self.entered.setdefault(programme_id, [0, 0]), entered)


def _add_into(total: list[int], values: list[int]) -> None:
    for index, value in enumerate(values):
        total[index] += value


@dataclass
class _Read:
    """What the statement gave: the area's province (None: no such commune), the programmes it runs, the
    targets of the year, the counts by commune."""

    province_code: int | None
    enabled: set[str]
    targets: dict[str, float]
    counts: dict[int, _Counts]


def _read(session: Session, area: str, month: dt.date, **codes: int) -> _Read:
    """The lines of one commune (`c`), one village of it (`c`, `v`) or a province (`p`) for the month and the
    year up to its end, in one statement."""
    start, end = month_of(month)
    params = {"s": start, "e": end, "jan": dt.date(start.year, 1, 1), "y": start.year, **codes}
    lines = STATEMENTS[area].fetch(session, params)
    heads = lines.of(AreaHead)
    counts: dict[int, _Counts] = {}
    for record in lines.of(RecordLine):
        counts.setdefault(record.commune_code, _Counts()).records[(record.programme, record.unit)] = [
            int(record.month or 0),
            int(record.year or 0),
            int(record.covered or 0),
        ]
    for line in lines.of(HouseholdLine):
        counts.setdefault(line.commune_code, _Counts())
        have = counts[line.commune_code]
        have.households, have.with_households, have.villages = int(line.households or 0), line.known, line.villages
    for mentor in lines.of(MentorLine):
        counts.setdefault(mentor.commune_code, _Counts()).mentors[mentor.programme] = [
            int(mentor.mentors),
            int(mentor.reached or 0),
        ]
    for figure in lines.of(FigureLine):
        counts.setdefault(figure.commune_code, _Counts()).figures[figure.indicator] = [
            int(figure.numerator),
            int(figure.denominator),
        ]
    if area != VILLAGE:
        _read_entered(session, start, counts, **codes)
    return _Read(
        int(heads[0].province_code) if heads else None,
        {line.programme for line in lines.of(EnabledLine)},
        {line.programme: float(line.value) for line in lines.of(TargetLine)},
        counts,
    )


def _read_entered(session: Session, month: dt.date, counts: dict[int, _Counts], **codes: int) -> None:
    """The month's figures the commune (`c`) or the province's communes (`p`) entered in /chiso."""
    query = select(ProgrammeMonthValue).where(ProgrammeMonthValue.month == month)
    if "c" in codes:
        query = query.where(ProgrammeMonthValue.commune_code == codes["c"])
    else:
        communes = select(Commune.code).where(Commune.province_code == codes["p"])
        query = query.where(col(ProgrammeMonthValue.commune_code).in_(communes))
    for row in session.exec(query):
        counts.setdefault(row.commune_code, _Counts()).entered[row.programme] = [row.value, row.denominator or 0]


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
        entered_figure = counts.entered.get(programme.id)
        if entered_figure is None:
            return ProgrammeProgress(programme, month, None, None, None, target)
        value, of = entered_figure
        return ProgrammeProgress(programme, month, None, value, of or None, target)
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
    if scope.village_only is not None:
        village_id = scope.village_only
    start = month_of(month)[0]
    codes = {"c": commune_code} if village_id is None else {"c": commune_code, "v": village_id}
    read = _read(session, COMMUNE if village_id is None else VILLAGE, start, **codes)
    if read.province_code is None:
        raise DomainError("unknown_commune", unit=commune_code)
    scope.check_commune(commune_code, read.province_code)
    programmes = [p for p in shipped() if p.id in read.enabled]
    counts = read.counts.get(commune_code, _Counts())
    return [_progress(p, start, counts, read.targets) for p in programmes]


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
    start = month_of(month)[0]
    read = _read(session, PROVINCE, start, p=province_code)
    programmes = [p for p in shipped() if p.id in read.enabled]
    if not programmes:
        return ProvinceProgrammes([], {})
    counts, targets = read.counts, read.targets
    total = _Counts()
    for line in counts.values():
        total.add(line)
    per_commune = {
        code: [_progress(p, start, counts.get(code, _Counts()), targets) for p in programmes]
        for code in sorted({*counts, *communes})
    }
    return ProvinceProgrammes([_progress(p, start, total, targets) for p in programmes], per_commune)
