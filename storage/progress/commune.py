"""A commune (or one of its villages) over a period: activity per village, this week, indicators, report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import Date, Integer, and_, bindparam, case, distinct, func, or_, select, union_all
from sqlalchemy.sql.selectable import CompoundSelect
from sqlmodel import Session

from storage.errors import DomainError
from storage.indicators import SCOPE_COMMUNE, SCOPE_PROVINCE
from storage.periods import Period, month_start, previous_month, week_of, weeks_between
from storage.progress.figures import Figure, IndicatorProgress, Target, indicator_lines
from storage.progress.sql import (
    COMMUNES,
    FIGURES,
    HELP,
    ON_TIME,
    REPORTS,
    SESSIONS,
    SUBMITTED,
    TARGETS,
    VILLAGES,
    LineShape,
    PreparedRollup,
    live_help,
    village_weeks,
)
from storage.scope import Scope


class CommuneLine(NamedTuple):
    """One line of a commune's roll-up: `tag` names the part that made it, and so the columns it fills."""

    tag: str
    key: int  # the village the line is about; the commune for "commune"; 0 for the commune as a whole
    label: str  # the commune's or village's name, a kind of help, an indicator, a report's status; or ''
    province_code: int | None
    sessions: int | None
    attendees: int | None
    weeks_with_session: int | None
    session_this_week: int | None
    helped: int | None
    numerator: int | None
    denominator: int | None
    submitted: int | None
    on_time: int | None
    percent: float | None


def _commune_statement(shape: LineShape[CommuneLine], one_village: bool) -> CompoundSelect:
    """Villages, sessions, weeks, help, this week, indicators (month and previous), targets, report."""
    commune, month = bindparam("c", type_=Integer), bindparam("m", type_=Date)
    village = bindparam("v", type_=Integer)
    in_village_s = [SESSIONS.c.village_id == village] if one_village else []
    in_village_h = [HELP.c.village_id == village] if one_village else []
    in_village_v = [VILLAGES.c.id == village] if one_village else []
    weeks = village_weeks(SESSIONS.c.commune_code == commune, *in_village_s, per_commune=False)
    province = select(COMMUNES.c.province_code).where(COMMUNES.c.code == commune).scalar_subquery()
    activity = (
        select(weeks.c.village_id, func.sum(weeks.c.sessions).label("sessions"),
               func.sum(weeks.c.attendees).label("attendees"), func.count().label("weeks"))
        .group_by(weeks.c.village_id).subquery("activity")
    )
    this_week = (
        select(SESSIONS.c.village_id).where(
            SESSIONS.c.commune_code == commune, SESSIONS.c.session_date >= bindparam("ws", type_=Date),
            SESSIONS.c.session_date <= bindparam("we", type_=Date), SESSIONS.c.deleted_at.is_(None), *in_village_s,
        ).group_by(SESSIONS.c.village_id).subquery("this_week")
    )
    return union_all(
        select(*shape.part("commune", key=COMMUNES.c.code, label=COMMUNES.c.name,
                           province_code=COMMUNES.c.province_code)).where(COMMUNES.c.code == commune),
        select(*shape.part("village", key=VILLAGES.c.id, label=VILLAGES.c.name, sessions=activity.c.sessions,
                           attendees=activity.c.attendees, weeks_with_session=activity.c.weeks,
                           session_this_week=case((this_week.c.village_id.is_not(None), 1), else_=0)))
        .select_from(VILLAGES.outerjoin(activity, activity.c.village_id == VILLAGES.c.id)
                     .outerjoin(this_week, this_week.c.village_id == VILLAGES.c.id))
        .where(VILLAGES.c.commune_code == commune, *in_village_v),
        select(*shape.part("weeks", key=0, label="", weeks_with_session=func.count(distinct(weeks.c.week)))),
        select(*shape.part("help", key=HELP.c.village_id, label=HELP.c.kind, helped=func.sum(HELP.c.count)))
        .where(live_help(HELP.c.commune_code == commune, *in_village_h)).group_by(HELP.c.village_id, HELP.c.kind),
        select(*shape.part(case((FIGURES.c.month == month, "figure"), else_="previous"), key=0,
                           label=FIGURES.c.indicator, numerator=FIGURES.c.numerator,
                           denominator=FIGURES.c.denominator))
        .where(FIGURES.c.commune_code == commune, FIGURES.c.month.in_([month, bindparam("pm", type_=Date)])),
        select(*shape.part(case((TARGETS.c.scope == SCOPE_COMMUNE, "target"), else_="province_target"), key=0,
                           label=TARGETS.c.indicator, percent=TARGETS.c.percent))
        .where(TARGETS.c.year == bindparam("y", type_=Integer),
               or_(and_(TARGETS.c.scope == SCOPE_COMMUNE, TARGETS.c.area_code == commune),
                   and_(TARGETS.c.scope == SCOPE_PROVINCE, TARGETS.c.area_code == province))),
        select(*shape.part("report", key=0, label=REPORTS.c.status, submitted=SUBMITTED, on_time=ON_TIME))
        .where(REPORTS.c.commune_code == commune, REPORTS.c.month == month),
    )


_SHAPE = LineShape(CommuneLine)
_WHOLE_COMMUNE = PreparedRollup(_SHAPE, lambda shape: _commune_statement(shape, one_village=False))
_ONE_VILLAGE = PreparedRollup(_SHAPE, lambda shape: _commune_statement(shape, one_village=True))


@dataclass(slots=True)
class VillageProgress:
    """One village's activity over a period."""

    village_id: int
    name: str
    sessions: int = 0
    attendees: int = 0
    weeks_with_session: int = 0
    help: dict[str, int] = field(default_factory=dict)
    session_this_week: bool = False

    @property
    def helped(self) -> int:
        """People helped, all kinds together."""
        return sum(self.help.values())


@dataclass
class CommuneProgress:
    """A commune (or one of its villages) over a period, with the indicators of the period's month."""

    commune_code: int
    commune_name: str
    province_code: int
    period: Period
    month: dt.date  # whose indicator figures are shown
    this_week: tuple[dt.date, dt.date]
    weeks_in_period: int
    villages: list[VillageProgress]
    weeks_with_session: int  # weeks in which at least one village held a session
    indicators: list[IndicatorProgress]
    report_status: str = "draft"
    on_time: bool | None = None
    village_only: int | None = None
    current: bool = True  # the period holds today; else `this_week` is the period's last week

    @property
    def sessions(self) -> int:
        """Sessions held in the period, all villages together."""
        return sum(v.sessions for v in self.villages)

    @property
    def attendees(self) -> int:
        """Attendees of those sessions."""
        return sum(v.attendees for v in self.villages)

    @property
    def help(self) -> dict[str, int]:
        """People helped by kind, all villages together."""
        total: dict[str, int] = {}
        for village in self.villages:
            for kind, count in village.help.items():
                total[kind] = total.get(kind, 0) + count
        return total

    @property
    def helped(self) -> int:
        """People helped, all kinds and villages together."""
        return sum(v.helped for v in self.villages)

    @property
    def without_session_this_week(self) -> list[VillageProgress]:
        """The villages with no session yet in this week."""
        return [v for v in self.villages if not v.session_this_week]

    @property
    def has_figures(self) -> bool:
        """Whether any indicator has a figure for the month."""
        return any(i.denominator for i in self.indicators)


def _fill_village(village: VillageProgress, line: CommuneLine) -> None:
    """Fill a village from its own line: name, activity over the period, a session this week."""
    village.name, village.session_this_week = line.label, bool(line.session_this_week)
    village.sessions, village.attendees = int(line.sessions or 0), int(line.attendees or 0)
    village.weeks_with_session = int(line.weeks_with_session or 0)


def commune_progress(session: Session, scope: Scope, commune_code: int, period: Period,
                     today: dt.date) -> CommuneProgress:
    """Per village: sessions, attendees, help by kind, weeks with a session; this week; indicators; report."""
    village = scope.village_only
    month = month_start(min(period.end, today))
    this_week = week_of(min(period.end, today))
    params = {"c": commune_code, "s": period.start, "e": period.end, "ws": this_week[0], "we": this_week[1],
              "m": month, "pm": previous_month(month), "y": month.year}
    if village is not None:
        params["v"] = village
    lines = (_WHOLE_COMMUNE if village is None else _ONE_VILLAGE).fetch(session, params)
    head: CommuneLine | None = None
    villages: dict[int, VillageProgress] = {}
    figures: dict[str, Figure] = {}
    previous: dict[str, Figure] = {}
    own_targets: dict[str, Target] = {}
    targets: dict[str, Target] = {}
    weeks, status, on_time = 0, "draft", None
    for line in lines:
        tag = line.tag
        if tag == "help" or tag == "village":  # a village's lines come in any order: the first makes it
            village_line = villages.get(line.key)
            if village_line is None:
                village_line = villages[line.key] = VillageProgress(line.key, "")
            if tag == "help":
                village_line.help[line.label] = int(line.helped or 0)
            else:
                _fill_village(village_line, line)
        elif tag == "figure" or tag == "previous":
            (figures if tag == "figure" else previous)[line.label] = (int(line.numerator or 0),
                                                                      int(line.denominator or 0))
        elif tag == "target" or tag == "province_target":
            target_scope = SCOPE_COMMUNE if tag == "target" else SCOPE_PROVINCE
            (own_targets if tag == "target" else targets)[line.label] = (float(line.percent or 0), target_scope)
        elif tag == "commune":
            head = line
        elif tag == "weeks":
            weeks = int(line.weeks_with_session or 0)
        elif tag == "report":
            status, on_time = line.label, (bool(line.on_time) if line.submitted else None)
    if head is None or head.province_code is None:
        raise DomainError("unknown_commune", unit=commune_code)
    scope.check_commune(commune_code, head.province_code)
    targets.update(own_targets)  # a commune's own target wins over its province's
    return CommuneProgress(
        commune_code=commune_code, commune_name=head.label, province_code=head.province_code, period=period,
        month=month, this_week=this_week, weeks_in_period=weeks_between(period.start, min(period.end, today)),
        villages=[villages[k] for k in sorted(villages)], weeks_with_session=weeks,
        indicators=indicator_lines(month, figures, previous, targets), report_status=status, on_time=on_time,
        village_only=village, current=today <= period.end)


@dataclass(frozen=True)
class SessionLine:
    """One session in a report's list."""

    id: int
    day: dt.date
    village: str
    topics: list[str]
    attendees: int


def sessions_in(session: Session, scope: Scope, commune_code: int, province_code: int, start: dt.date,
                end: dt.date) -> list[SessionLine]:
    """The live sessions of a commune (or the asker's village) between two dates, oldest first."""
    scope.check_commune(commune_code, province_code)
    query = (
        select(SESSIONS.c.id, SESSIONS.c.session_date, VILLAGES.c.name, SESSIONS.c.topics, SESSIONS.c.attendees)
        .select_from(SESSIONS.join(VILLAGES, SESSIONS.c.village_id == VILLAGES.c.id))
        .where(SESSIONS.c.commune_code == commune_code, SESSIONS.c.session_date >= start,
               SESSIONS.c.session_date <= end, SESSIONS.c.deleted_at.is_(None))
        .order_by(SESSIONS.c.session_date, SESSIONS.c.id)
    )
    if scope.village_only is not None:
        query = query.where(SESSIONS.c.village_id == scope.village_only)
    return [SessionLine(int(i), d, name, list(topics or []), int(a))
            for i, d, name, topics, a in session.connection().execute(query)]
