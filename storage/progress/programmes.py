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
programme entered both ways (Chợ số 4T, Đảng viên số): for a month where the commune entered its figure in
/chiso, that figure counts for the commune; for the other months the villages' logged sum counts; the year is
the sum of those months, commune by commune, and a province adds its communes' up. The logged sums stay beside
it (`logged_month_figure`, `logged_figure`), with the commune's own figure of the month
(`commune_month_figure`) and, for a province, how many communes entered one (`communes_entered`); one village
keeps its own logged figures. The month's own count (`month_figure`) is what counts for the month: what
villages logged, or the commune's figure where it entered one. Targets are the province's own for the year,
else the plan's percent from the catalog.

One prepared statement per commune, village or province whatever its size (`programme_sql.py`): the enabled
programmes and targets, the records summed per commune and unit, the households and the mentors per commune,
the indicator figures, and the figures the commune (or the province's communes) entered in /chiso from January;
only where a programme entered both ways has such a figure, one more read for the logged sums by month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from storage.errors import DomainError
from storage.indicators import on_track, percent_of
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
    EnteredLine,
    FigureLine,
    HouseholdLine,
    MentorLine,
    RecordLine,
    TargetLine,
    month_starts,
    monthly_logged,
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
    both: BothWays | None = None  # a programme entered both ways: the commune's figure and the logged sums

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
        if self.both is not None:
            out.update(self.both.as_json())
        return out


@dataclass(frozen=True)
class BothWays:
    """Beside the figure of a programme entered both ways: the commune's own figure of the month (None: not
    entered; summed over the communes that entered one for a province), what the villages logged in the month and
    in the year, and for a province how many communes entered the month's figure."""

    commune_month_figure: int | None
    logged_month_figure: int
    logged_figure: int
    communes_entered: int | None = None  # a province's only

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "commune_month_figure": self.commune_month_figure,
            "logged_month_figure": self.logged_month_figure,
            "logged_figure": self.logged_figure,
        }
        if self.communes_entered is not None:
            out["communes_entered"] = self.communes_entered
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
    province: bool = False  # a province's sums (they say how many communes entered a figure)
    # programme entered both ways -> the year and the month as counted (the commune's figure in the months it
    # entered one), the commune's figure of the month, communes that entered it: set where a figure was entered
    both: dict[str, list[int]] = field(default_factory=dict)

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
        for programme_id, both in other.both.items():
            _add_into(self.both.setdefault(programme_id, [0, 0, 0, 0]), both)


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
    if area != VILLAGE:
        params |= month_starts(start.year)
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
    enabled = {line.programme for line in lines.of(EnabledLine)}
    if area != VILLAGE:
        both = {p.id: p.unit for p in shipped() if p.id in enabled and _both_ways(p)}
        _read_entered(session, start, counts, both, lines.of(EnteredLine))
    return _Read(
        int(heads[0].province_code) if heads else None,
        enabled,
        {line.programme: float(line.value) for line in lines.of(TargetLine)},
        counts,
    )


def _both_ways(programme: Programme) -> bool:
    """Logged by villages and entered monthly by the commune (not a national indicator's figure)."""
    return programme.logged_by_villages and programme.entered_by_commune and programme.indicator is None


def _read_entered(
    session: Session, month: dt.date, counts: dict[int, _Counts], both: dict[str, str], lines: list[EnteredLine]
) -> None:
    """The figures the commune or the province's communes entered in /chiso (`lines`, January to the month): the
    month's, and for the programmes entered both ways (`both`: id -> unit) those of the year so far, which
    replace the villages' logged sums of their months."""
    by_month: dict[tuple[int, str], dict[int, int]] = {}
    for row in lines:
        if row.month == month.month:
            counts.setdefault(row.commune_code, _Counts()).entered[row.programme] = [row.value, row.denominator or 0]
        if row.programme in both:
            by_month.setdefault((row.commune_code, row.programme), {})[row.month] = row.value
    if by_month:
        logged = monthly_logged(session, month, both, sorted({code for code, _id in by_month}))
        for (code, programme_id), entered in by_month.items():
            months = logged.get((code, programme_id), {})
            line = counts.setdefault(code, _Counts())
            year = line.records.get((programme_id, both[programme_id]), [0, 0, 0])[1]
            year += sum(value - months.get(number, 0) for number, value in entered.items())
            this_month = entered.get(month.month)
            line.both[programme_id] = [
                year,
                months.get(month.month, 0) if this_month is None else this_month,
                this_month or 0,
                int(this_month is not None),
            ]


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
    if _both_ways(programme):
        return _both_progress(programme, month, counts, target, logged, also)
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


def _both_progress(
    programme: Programme, month: dt.date, counts: _Counts, target: float | None, logged: list[int], also: dict[str, int]
) -> ProgrammeProgress:
    """A programme entered both ways: the commune's figure in the months it entered one, else what was logged."""
    year, month_figure, entered, communes = counts.both.get(programme.id, [logged[1], logged[0], 0, 0])
    both = BothWays(entered if communes else None, logged[0], logged[1], communes if counts.province else None)
    return ProgrammeProgress(programme, month, month_figure, year, None, target, also=also, both=both)


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
    total = _Counts(province=True)
    both = [p for p in programmes if _both_ways(p)]
    for line in counts.values():
        for programme in both:  # a commune that entered none of the year counts what its villages logged
            logged = line.records.get((programme.id, programme.unit), [0, 0, 0])
            line.both.setdefault(programme.id, [logged[1], logged[0], 0, 0])
        total.add(line)
    per_commune = {
        code: [_progress(p, start, counts.get(code, _Counts()), targets) for p in programmes]
        for code in sorted({*counts, *communes})
    }
    return ProvinceProgrammes([_progress(p, start, total, targets) for p in programmes], per_commune)
