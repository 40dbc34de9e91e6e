"""A commune (or one of its villages) over a period: activity per village, this week, indicators, report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Date, Integer, and_, bindparam, case, distinct, func, or_, select, union_all
from sqlalchemy.sql.selectable import CTE, CompoundSelect, Select
from sqlmodel import Session

from storage.errors import DomainError
from storage.indicators import SCOPE_COMMUNE, SCOPE_PROVINCE
from storage.periods import Period, month_start, previous_month, week_of, weeks_between
from storage.progress.figures import Figure, IndicatorProgress, Target, help_by_kind, indicator_lines
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
    LineKinds,
    Lines,
    PreparedRollup,
    live_help,
    village_weeks,
)
from storage.scope import Scope


class CommuneHead(NamedTuple):
    """The commune asked about."""

    code: int
    name: str
    province_code: int


class VillageLine(NamedTuple):
    """A village of the commune: its activity over the period (None without sessions), a session this week."""

    village_id: int
    name: str
    sessions: int | None
    attendees: int | None
    weeks_with_session: int | None
    session_this_week: int


class WeeksLine(NamedTuple):
    """Weeks of the period in which at least one village held a session."""

    weeks_with_session: int


class HelpLine(NamedTuple):
    """People a village helped in the period, of one kind."""

    village_id: int
    kind: str
    helped: int


class FigureLine(NamedTuple):
    """An indicator's figure entered for the month (`current` 1) or the month before (0)."""

    indicator: str
    numerator: int
    denominator: int
    current: int


class TargetLine(NamedTuple):
    """A target for the year, set by the commune itself (`own` 1) or by its province (0)."""

    indicator: str
    percent: float
    own: int


class ReportLine(NamedTuple):
    """The month's report: its status, whether submitted, and on time."""

    status: str
    submitted: int
    on_time: int


_KINDS = LineKinds(CommuneHead, VillageLine, WeeksLine, HelpLine, FigureLine, TargetLine, ReportLine)


def _villages_part(
    kinds: LineKinds, weeks: CTE, village_filter: list[ColumnElement[bool]], sessions_filter: list[ColumnElement[bool]]
) -> Select[Any]:
    """Each village of the commune with its activity over the period and whether it met this week."""
    activity = (
        select(
            weeks.c.village_id,
            func.sum(weeks.c.sessions).label("sessions"),
            func.sum(weeks.c.attendees).label("attendees"),
            func.count().label("weeks"),
        )
        .group_by(weeks.c.village_id)
        .subquery("activity")
    )
    this_week = (
        select(SESSIONS.c.village_id)
        .where(
            SESSIONS.c.commune_code == bindparam("c", type_=Integer),
            SESSIONS.c.session_date >= bindparam("ws", type_=Date),
            SESSIONS.c.session_date <= bindparam("we", type_=Date),
            SESSIONS.c.deleted_at.is_(None),
            *sessions_filter,
        )
        .group_by(SESSIONS.c.village_id)
        .subquery("this_week")
    )
    return (
        select(
            *kinds.part(
                VillageLine,
                village_id=VILLAGES.c.id,
                name=VILLAGES.c.name,
                sessions=activity.c.sessions,
                attendees=activity.c.attendees,
                weeks_with_session=activity.c.weeks,
                session_this_week=case((this_week.c.village_id.is_not(None), 1), else_=0),
            )
        )
        .select_from(
            VILLAGES.outerjoin(activity, activity.c.village_id == VILLAGES.c.id).outerjoin(
                this_week, this_week.c.village_id == VILLAGES.c.id
            )
        )
        .where(VILLAGES.c.commune_code == bindparam("c", type_=Integer), *village_filter)
    )


def _month_parts(kinds: LineKinds) -> list[Select[Any]]:
    """The commune's indicator figures (the month and the one before), the year's targets, the month's report."""
    commune, month = bindparam("c", type_=Integer), bindparam("m", type_=Date)
    province = select(COMMUNES.c.province_code).where(COMMUNES.c.code == commune).scalar_subquery()
    return [
        select(
            *kinds.part(
                FigureLine,
                indicator=FIGURES.c.indicator,
                numerator=FIGURES.c.numerator,
                denominator=FIGURES.c.denominator,
                current=case((FIGURES.c.month == month, 1), else_=0),
            )
        ).where(FIGURES.c.commune_code == commune, FIGURES.c.month.in_([month, bindparam("pm", type_=Date)])),
        select(
            *kinds.part(
                TargetLine,
                indicator=TARGETS.c.indicator,
                percent=TARGETS.c.percent,
                own=case((TARGETS.c.scope == SCOPE_COMMUNE, 1), else_=0),
            )
        ).where(
            TARGETS.c.year == bindparam("y", type_=Integer),
            or_(
                and_(TARGETS.c.scope == SCOPE_COMMUNE, TARGETS.c.area_code == commune),
                and_(TARGETS.c.scope == SCOPE_PROVINCE, TARGETS.c.area_code == province),
            ),
        ),
        select(*kinds.part(ReportLine, status=REPORTS.c.status, submitted=SUBMITTED, on_time=ON_TIME)).where(
            REPORTS.c.commune_code == commune, REPORTS.c.month == month
        ),
    ]


def _commune_statement(kinds: LineKinds, one_village: bool) -> CompoundSelect:
    """Villages with their activity, weeks, help, indicators (month and previous), targets, report."""
    commune, village = bindparam("c", type_=Integer), bindparam("v", type_=Integer)
    in_village_s = [SESSIONS.c.village_id == village] if one_village else []
    in_village_h = [HELP.c.village_id == village] if one_village else []
    in_village_v = [VILLAGES.c.id == village] if one_village else []
    weeks = village_weeks(SESSIONS.c.commune_code == commune, *in_village_s, per_commune=False)
    return union_all(
        select(
            *kinds.part(CommuneHead, code=COMMUNES.c.code, name=COMMUNES.c.name, province_code=COMMUNES.c.province_code)
        ).where(COMMUNES.c.code == commune),
        _villages_part(kinds, weeks, in_village_v, in_village_s),
        select(*kinds.part(WeeksLine, weeks_with_session=func.count(distinct(weeks.c.week)))),
        select(*kinds.part(HelpLine, village_id=HELP.c.village_id, kind=HELP.c.kind, helped=func.sum(HELP.c.count)))
        .where(live_help(HELP.c.commune_code == commune, *in_village_h))
        .group_by(HELP.c.village_id, HELP.c.kind),
        *_month_parts(kinds),
    )


_WHOLE_COMMUNE = PreparedRollup(_KINDS, lambda kinds: _commune_statement(kinds, one_village=False))
_ONE_VILLAGE = PreparedRollup(_KINDS, lambda kinds: _commune_statement(kinds, one_village=True))


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
        return help_by_kind(self.villages)

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


def _villages(lines: Lines) -> list[VillageProgress]:
    """Each village with its activity and its help by kind (help of a village without its own line still counts)."""
    villages = {
        line.village_id: VillageProgress(
            line.village_id,
            line.name,
            int(line.sessions or 0),
            int(line.attendees or 0),
            int(line.weeks_with_session or 0),
            session_this_week=bool(line.session_this_week),
        )
        for line in lines.of(VillageLine)
    }
    for line in lines.of(HelpLine):
        village = villages.get(line.village_id)
        if village is None:
            village = villages[line.village_id] = VillageProgress(line.village_id, "")
        village.help[line.kind] = int(line.helped)
    return [villages[k] for k in sorted(villages)]


def _indicators(lines: Lines, month: dt.date) -> list[IndicatorProgress]:
    """The indicators with the month's and the previous month's figures; a commune's own target wins."""
    figures: dict[str, Figure] = {}
    previous: dict[str, Figure] = {}
    for figure in lines.of(FigureLine):
        (figures if figure.current else previous)[figure.indicator] = (int(figure.numerator), int(figure.denominator))
    own: dict[str, Target] = {}
    of_province: dict[str, Target] = {}
    for target in lines.of(TargetLine):
        scope = SCOPE_COMMUNE if target.own else SCOPE_PROVINCE
        (own if target.own else of_province)[target.indicator] = (float(target.percent), scope)
    return indicator_lines(month, figures, previous, {**of_province, **own})


def commune_progress(
    session: Session, scope: Scope, commune_code: int, period: Period, today: dt.date
) -> CommuneProgress:
    """Per village: sessions, attendees, help by kind, weeks with a session; this week; indicators; report."""
    village = scope.village_only
    month = month_start(min(period.end, today))
    this_week = week_of(min(period.end, today))
    params = {
        "c": commune_code,
        "s": period.start,
        "e": period.end,
        "ws": this_week[0],
        "we": this_week[1],
        "m": month,
        "pm": previous_month(month),
        "y": month.year,
    }
    if village is not None:
        params["v"] = village
    lines = (_WHOLE_COMMUNE if village is None else _ONE_VILLAGE).fetch(session, params)
    heads = lines.of(CommuneHead)
    if not heads:
        raise DomainError("unknown_commune", unit=commune_code)
    head = heads[0]
    scope.check_commune(commune_code, head.province_code)
    reports = lines.of(ReportLine)
    report = reports[0] if reports else None
    return CommuneProgress(
        commune_code=commune_code,
        commune_name=head.name,
        province_code=head.province_code,
        period=period,
        month=month,
        this_week=this_week,
        weeks_in_period=weeks_between(period.start, min(period.end, today)),
        villages=_villages(lines),
        weeks_with_session=sum(int(line.weeks_with_session) for line in lines.of(WeeksLine)),
        indicators=_indicators(lines, month),
        report_status=report.status if report else "draft",
        on_time=bool(report.on_time) if report and report.submitted else None,
        village_only=village,
        current=today <= period.end,
    )


@dataclass(frozen=True)
class SessionLine:
    """One session in a report's list."""

    id: int
    day: dt.date
    village: str
    topics: list[str]
    attendees: int


def sessions_in(
    session: Session, scope: Scope, commune_code: int, province_code: int, start: dt.date, end: dt.date
) -> list[SessionLine]:
    """The live sessions of a commune (or the asker's village) between two dates, oldest first."""
    scope.check_commune(commune_code, province_code)
    query = (
        select(SESSIONS.c.id, SESSIONS.c.session_date, VILLAGES.c.name, SESSIONS.c.topics, SESSIONS.c.attendees)
        .select_from(SESSIONS.join(VILLAGES, SESSIONS.c.village_id == VILLAGES.c.id))
        .where(
            SESSIONS.c.commune_code == commune_code,
            SESSIONS.c.session_date >= start,
            SESSIONS.c.session_date <= end,
            SESSIONS.c.deleted_at.is_(None),
        )
        .order_by(SESSIONS.c.session_date, SESSIONS.c.id)
    )
    if scope.village_only is not None:
        query = query.where(SESSIONS.c.village_id == scope.village_only)
    return [
        SessionLine(int(i), d, name, list(topics or []), int(a))
        for i, d, name, topics, a in session.connection().execute(query)
    ]
