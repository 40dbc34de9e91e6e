"""The honour roll ("biểu dương"): the villages of a commune and the communes of a province with the most
regular weekly sessions, for the monthly commendation and Digital Transformation Day (10/10).

Regularity is the share of weeks with a session: a village's weeks with at least one live session over the
weeks of the period (up to today: a week not begun counts for no one); a commune's village-weeks with a session
over its villages × weeks (the rule is one session a week in every village). Ties go to more attendees, then
the name. Two statements, whatever the number of villages (a province's communes: grouped in SQL).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from storage.models import Commune, TrainingSession, Village
from storage.periods import Period, week_of, weeks_between
from storage.progress.sql import SESSIONS, VILLAGES, week_index
from storage.text import fold

HONOUR_SIZE = 5


@dataclass(frozen=True)
class Standing:
    """A village's or a commune's place on the roll: weeks with a session out of the weeks counted."""

    code: int  # a village's id or a commune's code
    name: str
    weeks_with_session: int
    weeks: int
    attendees: int

    @property
    def share(self) -> float:
        """The share of weeks with a session (0 with no week yet)."""
        return self.weeks_with_session / self.weeks if self.weeks else 0.0


def _order(standings: list[Standing], size: int) -> list[Standing]:
    """Most regular first, then more attendees, then the name; none without a session."""
    kept = [s for s in standings if s.weeks_with_session]
    return sorted(kept, key=lambda s: (-s.share, -s.attendees, fold(s.name), s.code))[:size]


def _villages(
    session: Session, commune_codes: Sequence[int], period: Period, today: dt.date
) -> tuple[list[tuple[Village, int, int]], int]:
    """Every village of the communes with its weeks with a session and attendees, and the weeks counted."""
    until = min(period.end, today)
    weeks = weeks_between(period.start, until)
    villages = list(session.exec(select(Village).where(col(Village.commune_code).in_(list(commune_codes)))))
    sessions = session.exec(
        select(
            col(TrainingSession.village_id), col(TrainingSession.session_date), col(TrainingSession.attendees)
        ).where(
            col(TrainingSession.commune_code).in_(list(commune_codes)),
            col(TrainingSession.deleted_at).is_(None),
            col(TrainingSession.session_date) >= period.start,
            col(TrainingSession.session_date) <= until,
        )
    )
    held: dict[int, set[dt.date]] = defaultdict(set)
    came: dict[int, int] = defaultdict(int)
    for village_id, day, attendees in sessions:
        held[village_id].add(week_of(day)[0])
        came[village_id] += attendees
    return [(v, len(held[v.id or 0]), came[v.id or 0]) for v in villages], weeks


def village_roll(
    session: Session, commune_code: int, period: Period, today: dt.date, size: int = HONOUR_SIZE
) -> list[Standing]:
    """The commune's most regular villages over the period."""
    rows, weeks = _villages(session, [commune_code], period, today)
    return _order([Standing(v.id or 0, v.name, held, weeks, came) for v, held, came in rows], size)


def commune_roll(
    session: Session, province_code: int, period: Period, today: dt.date, size: int = HONOUR_SIZE
) -> list[Standing]:
    """The province's most regular communes over the period (village-weeks with a session over all of them):
    counted per commune in SQL (a village's distinct weeks, then summed by commune), not a row per session."""
    communes = {c.code: c.name for c in session.exec(select(Commune).where(Commune.province_code == province_code))}
    if not communes:
        return []
    until = min(period.end, today)
    weeks = weeks_between(period.start, until)
    codes = list(communes)
    villages = session.connection().execute(
        core_select(VILLAGES.c.commune_code, func.count())
        .where(VILLAGES.c.commune_code.in_(codes))
        .group_by(VILLAGES.c.commune_code)
    )
    week = week_index(SESSIONS.c.session_date)
    village_weeks = (
        core_select(VILLAGES.c.commune_code.label("code"), func.sum(SESSIONS.c.attendees).label("came"))
        .join(VILLAGES, VILLAGES.c.id == SESSIONS.c.village_id)
        .where(
            SESSIONS.c.commune_code.in_(codes),
            VILLAGES.c.commune_code.in_(codes),
            SESSIONS.c.deleted_at.is_(None),
            SESSIONS.c.session_date >= period.start,
            SESSIONS.c.session_date <= until,
        )
        .group_by(VILLAGES.c.commune_code, SESSIONS.c.village_id, week)
        .subquery()
    )
    held = {
        int(code): (int(n), int(came or 0))
        for code, n, came in session.connection().execute(
            core_select(village_weeks.c.code, func.count(), func.sum(village_weeks.c.came)).group_by(
                village_weeks.c.code
            )
        )
    }
    standings = [
        Standing(int(code), communes[int(code)], *_held_and_came(held, int(code), weeks * int(n)))
        for code, n in villages
    ]
    return _order(standings, size)


class VillageWeeks(Protocol):
    """What the honour roll needs of a village's line in a commune's roll-up (`VillageProgress`)."""

    village_id: int
    name: str
    weeks_with_session: int
    attendees: int


def village_roll_of(
    villages: Sequence[VillageWeeks], period: Period, today: dt.date, size: int = HONOUR_SIZE
) -> list[Standing] | None:
    """`village_roll` from a commune's roll-up of the same period (its weeks with a session and attendees per
    village are the very counts the roll counts), with no second read; None when the period is not over by
    `today` (the roll counts up to today, the roll-up the whole period)."""
    if period.end > today:
        return None
    weeks = weeks_between(period.start, period.end)
    return _order([Standing(v.village_id, v.name, v.weeks_with_session, weeks, v.attendees) for v in villages], size)


class CommuneWeeks(Protocol):
    """What the honour roll needs of a commune's line in a province's monthly roll-up (`CommuneTotals`)."""

    code: int
    name: str
    villages: int
    village_weeks: int
    attendees: int


def commune_roll_of(
    communes: Sequence[CommuneWeeks], period: Period, today: dt.date, size: int = HONOUR_SIZE
) -> list[Standing] | None:
    """`commune_roll` from a province's roll-up of the same period (its village-weeks with a session and its
    attendees are the very counts the roll counts), with no second read of the sessions; None when the period
    is not over by `today` (the roll counts up to today, the roll-up the whole period)."""
    if period.end > today:
        return None
    weeks = weeks_between(period.start, period.end)
    standings = [Standing(c.code, c.name, c.village_weeks, weeks * c.villages, c.attendees) for c in communes]
    return _order(standings, size)


def _held_and_came(held: dict[int, tuple[int, int]], code: int, weeks: int) -> tuple[int, int, int]:
    """A commune's village-weeks with a session, the village-weeks counted, and its attendees."""
    with_session, came = held.get(code, (0, 0))
    return with_session, weeks, came
