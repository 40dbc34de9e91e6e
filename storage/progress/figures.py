"""What the roll-ups share: an indicator's figure for a month against the year's target; help totals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from storage.indicators import INDICATORS, on_track, percent_of

Figure = tuple[int, int]  # numerator, denominator
Target = tuple[float, str]  # percent, the scope that set it ("commune" or "province")


@dataclass(slots=True)
class IndicatorProgress:
    """An indicator's figure for a month against the year's target."""

    id: str
    numerator: int | None = None
    denominator: int | None = None
    target: float | None = None
    target_scope: str | None = None
    previous_percent: float | None = None
    month: dt.date | None = None

    @property
    def percent(self) -> float | None:
        """The figure as a percentage (None without a figure)."""
        return percent_of(self.numerator, self.denominator)

    @property
    def on_track(self) -> bool | None:
        """Whether the figure is where the target wants it by this month (None: cannot say)."""
        return on_track(self.percent, self.target, self.month) if self.month else None

    @property
    def change(self) -> float | None:
        """Percentage points since last month (None without both figures)."""
        if self.percent is None or self.previous_percent is None:
            return None
        return round(self.percent - self.previous_percent, 2)


def indicator_lines(
    month: dt.date, figures: dict[str, Figure], previous: dict[str, Figure], targets: dict[str, Target]
) -> list[IndicatorProgress]:
    """Every indicator, in the official order, with this month's figure, last month's percent and the target."""
    out = []
    for indicator in INDICATORS:
        now, before, target = figures.get(indicator), previous.get(indicator), targets.get(indicator)
        out.append(
            IndicatorProgress(
                id=indicator,
                numerator=now[0] if now else None,
                denominator=now[1] if now else None,
                target=target[0] if target else None,
                target_scope=target[1] if target else None,
                previous_percent=percent_of(*before) if before else None,
                month=month,
            )
        )
    return out


class _Helping(Protocol):
    """An area with its people helped by kind (a village, a commune)."""

    @property
    def help(self) -> dict[str, int]:
        """People helped, by kind."""


def help_by_kind(areas: Iterable[_Helping]) -> dict[str, int]:
    """People helped by kind, all these areas together."""
    total: dict[str, int] = {}
    for area in areas:
        for kind, count in area.help.items():
            total[kind] = total.get(kind, 0) + count
    return total
