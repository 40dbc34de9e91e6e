"""A province's own monthly indicators (`storage/province_indicators.py`) for a month: each commune's figure,
the year so far and the yearly target; and the same summed over the province.

An own indicator is a count entered each month by the commune («4 điểm wifi mới»): the year so far is the sum
of the months from January, and it is on track when that sum is on the straight path to the yearly target
(`storage/indicators.py:on_track`). One statement per commune or province.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from storage.areas import get_commune
from storage.indicators import on_track
from storage.models import Commune, ProvinceIndicator, ProvinceIndicatorValue, table_of
from storage.periods import month_of
from storage.province_indicators import indicators_of
from storage.scope import Scope

VALUES = table_of(ProvinceIndicatorValue)
COMMUNES = table_of(Commune)


@dataclass(frozen=True)
class OwnIndicatorProgress:
    """An own indicator of an area for a month: the month's figure (None: not entered), the year so far."""

    indicator: ProvinceIndicator
    month: dt.date
    value: int | None
    year_to_date: int
    communes_entered: int  # how many communes entered the month's figure (1 or 0 for a commune)

    @property
    def id(self) -> str:
        return self.indicator.indicator

    @property
    def target(self) -> int | None:
        return self.indicator.target

    @property
    def on_track(self) -> bool | None:
        """The year so far on the straight path to the yearly target (None without a target)."""
        return on_track(float(self.year_to_date), None if self.target is None else float(self.target), self.month)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.indicator.name,
            "unit": self.indicator.unit,
            "value": self.value,
            "year_to_date": self.year_to_date,
            "target": self.target,
            "on_track": self.on_track,
        }


def _sums(
    session: Session, month: dt.date, commune_code: int | None, province_code: int
) -> dict[int, dict[str, tuple[int | None, int]]]:
    """commune -> indicator -> (the month's figure or None, the year so far)."""
    start = month_of(month)[0]
    if commune_code is not None:
        where = VALUES.c.commune_code == commune_code
    else:
        where = VALUES.c.commune_code.in_(select(COMMUNES.c.code).where(COMMUNES.c.province_code == province_code))
    this_month = VALUES.c.month == start
    statement = (
        select(
            VALUES.c.commune_code,
            VALUES.c.indicator,
            func.sum(case((this_month, VALUES.c.value), else_=0)),
            func.sum(case((this_month, 1), else_=0)),
            func.sum(VALUES.c.value),
        )
        .where(where, VALUES.c.month >= dt.date(start.year, 1, 1), VALUES.c.month <= start)
        .group_by(VALUES.c.commune_code, VALUES.c.indicator)
    )
    out: dict[int, dict[str, tuple[int | None, int]]] = {}
    for code, indicator, value, entered, year in session.connection().execute(statement):
        out.setdefault(code, {})[indicator] = (int(value) if entered else None, int(year or 0))
    return out


def commune_own_indicators(
    session: Session, scope: Scope, commune_code: int, month: dt.date
) -> list[OwnIndicatorProgress]:
    """The own indicators of a commune's province for a month (empty when the province has none)."""
    commune = get_commune(session, commune_code)
    scope.check_commune(commune_code, commune.province_code)
    own = indicators_of(session, commune.province_code)
    if not own:
        return []
    start = month_of(month)[0]
    sums = _sums(session, start, commune_code, commune.province_code).get(commune_code, {})
    out = []
    for indicator in own:
        value, year = sums.get(indicator.indicator, (None, 0))
        out.append(OwnIndicatorProgress(indicator, start, value, year, 0 if value is None else 1))
    return out


@dataclass(frozen=True)
class ProvinceOwnIndicators:
    """A province's own indicators for a month: summed over its communes, and each commune's."""

    total: list[OwnIndicatorProgress]
    communes: dict[int, list[OwnIndicatorProgress]]

    def __bool__(self) -> bool:
        return bool(self.total)


def province_own_indicators(
    session: Session, scope: Scope, province_code: int, month: dt.date, communes: Iterable[int] = ()
) -> ProvinceOwnIndicators:
    """Each own indicator summed over the communes that entered it (the month's figure None when none did),
    the province's target for the province as a whole; and each commune's (those of `communes`, and every
    commune with a figure this year)."""
    scope.check_province(province_code)
    own = indicators_of(session, province_code)
    if not own:
        return ProvinceOwnIndicators([], {})
    start = month_of(month)[0]
    sums = _sums(session, start, None, province_code)
    per_commune: dict[int, list[OwnIndicatorProgress]] = {}
    for code in sorted({*sums, *communes}):
        figures = sums.get(code, {})
        per_commune[code] = []
        for indicator in own:
            value, year = figures.get(indicator.indicator, (None, 0))
            per_commune[code].append(OwnIndicatorProgress(indicator, start, value, year, 0 if value is None else 1))
    total = []
    for index, indicator in enumerate(own):
        lines = [c[index] for c in per_commune.values()]
        entered = [line.value for line in lines if line.value is not None]
        total.append(
            OwnIndicatorProgress(
                indicator,
                start,
                sum(entered) if entered else None,
                sum(line.year_to_date for line in lines),
                len(entered),
            )
        )
    return ProvinceOwnIndicators(total, per_commune)
