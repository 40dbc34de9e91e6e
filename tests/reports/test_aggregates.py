"""Commune, province and national aggregates against numbers computed by hand (see conftest)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import pytest

from storage.db import Database
from storage.errors import DomainError
from storage.progress import (
    PERIOD_QUARTER,
    PERIOD_WEEK,
    Period,
    Scope,
    commune_progress,
    national_rollup,
    province_rollup,
    weeks_between,
)
from storage.progress.sql import LineKinds
from storage.reports import submit
from tests.reports.conftest import (
    ADMIN,
    ADMIN_2,
    HA_TINH,
    LEADER,
    MEMBER,
    OCTOBER,
    OTHER_LEADER,
    OTHER_VIEWER,
    SON_KIM_1,
    SON_KIM_2,
    VIEWER,
    Month,
    at,
    member_of,
)

LATE_NOVEMBER = dt.date(2026, 11, 25)


def test_commune_month_by_village(database: Database, month: Month) -> None:
    with database.session() as session:
        progress = commune_progress(session, Scope.operator(), SON_KIM_1, Period.month(OCTOBER), LATE_NOVEMBER)
    rows = {v.name: (v.sessions, v.attendees, v.weeks_with_session, v.help) for v in progress.villages}
    assert rows == {
        "Thôn 1": (4, 57, 3, {"vneid_level2": 13, "public_service_filing": 5}),
        "Thôn 2": (1, 30, 1, {"e_health": 7}),
        "Thôn 3": (0, 0, 0, {}),
    }
    assert (progress.sessions, progress.attendees, progress.helped, progress.weeks_with_session) == (5, 87, 25, 4)
    assert progress.weeks_in_period == 5  # 28/09, 05/10, 12/10, 19/10, 26/10
    # "this week" of a past month is its last week (26/10 – 01/11): only Thôn 2 met.
    assert [v.name for v in progress.without_session_this_week] == ["Thôn 1", "Thôn 3"]


def test_indicators_targets_and_change(database: Database, month: Month) -> None:
    with database.session() as session:
        progress = commune_progress(session, Scope.operator(), SON_KIM_1, Period.month(OCTOBER), LATE_NOVEMBER)
    got = {
        i.id: (i.numerator, i.denominator, i.percent, i.target, i.target_scope, i.on_track, i.change)
        for i in progress.indicators
    }
    assert got["adults_vneid_confirmed"] == (1234, 5000, 24.68, 80.0, "province", False, 4.68)
    assert got["students_digital_skills"] == (950, 1000, 95.0, 90.0, "commune", True, None)  # the commune's own
    assert got["officials_digital_skills"] == (120, 120, 100.0, 100.0, "province", True, None)
    assert got["vneid_level2_activated"] == (3000, 5000, 60.0, None, None, None, None)  # reported separately
    assert got["workers_digital_skills"] == (None, None, None, None, None, None, None)


def test_week_and_quarter(database: Database, month: Month) -> None:
    with database.session() as session:
        week = commune_progress(
            session, Scope.operator(), SON_KIM_1, Period.holding(PERIOD_WEEK, dt.date(2026, 10, 28)), LATE_NOVEMBER
        )
        quarter = commune_progress(
            session, Scope.operator(), SON_KIM_1, Period.holding(PERIOD_QUARTER, dt.date(2026, 11, 2)), LATE_NOVEMBER
        )
    assert (week.period.start, week.period.end) == (dt.date(2026, 10, 26), dt.date(2026, 11, 1))
    assert {v.name: v.sessions for v in week.villages} == {"Thôn 1": 0, "Thôn 2": 2, "Thôn 3": 0}
    assert (quarter.period.start, quarter.period.end) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter.sessions == 6 and quarter.attendees == 95  # October's 5 and 01/11
    assert weeks_between(dt.date(2026, 10, 1), dt.date(2026, 10, 31)) == 5


def test_a_team_member_sees_only_their_village(database: Database, month: Month) -> None:
    member = member_of(database, MEMBER, month)
    with database.session() as session:
        progress = commune_progress(session, Scope.of(member), SON_KIM_1, Period.month(OCTOBER), LATE_NOVEMBER)
    assert [(v.name, v.sessions, v.attendees) for v in progress.villages] == [("Thôn 2", 1, 30)]
    assert progress.sessions == 1 and progress.weeks_with_session == 1


def test_a_leader_never_sees_another_commune(database: Database, month: Month) -> None:
    leader, other = member_of(database, LEADER, month), member_of(database, OTHER_LEADER, month)
    viewer, outsider = member_of(database, VIEWER, month), member_of(database, OTHER_VIEWER, month)
    with database.session() as session:
        with pytest.raises(DomainError) as refused:
            commune_progress(session, Scope.of(leader), SON_KIM_2, Period.month(OCTOBER), LATE_NOVEMBER)
        assert refused.value.code == "out_of_scope"
        with pytest.raises(DomainError):
            province_rollup(session, Scope.of(leader), HA_TINH, OCTOBER)
        with pytest.raises(DomainError):
            national_rollup(session, Scope.of(leader), OCTOBER)
        # the other commune's leader does not see Sơn Kim 1 either
        with pytest.raises(DomainError):
            commune_progress(session, Scope.of(other), SON_KIM_1, Period.month(OCTOBER), LATE_NOVEMBER)
        # a province viewer sees the communes of their province, not of another one
        seen = commune_progress(session, Scope.of(viewer), SON_KIM_2, Period.month(OCTOBER), LATE_NOVEMBER)
        assert seen.sessions == 2
        with pytest.raises(DomainError):
            commune_progress(session, Scope.of(outsider), SON_KIM_1, Period.month(OCTOBER), LATE_NOVEMBER)
        with pytest.raises(DomainError):
            province_rollup(session, Scope.of(outsider), HA_TINH, OCTOBER)


def test_province_rollup(database: Database, month: Month) -> None:
    admin, admin_2 = member_of(database, ADMIN, month), member_of(database, ADMIN_2, month)
    with database.session() as session:
        submit(
            session,
            actor=admin,
            commune_code=SON_KIM_1,
            month=OCTOBER,
            now=at(dt.date(2026, 11, 19)),
            today=dt.date(2026, 11, 19),
        )
        submit(
            session,
            actor=admin_2,
            commune_code=SON_KIM_2,
            month=OCTOBER,
            now=at(dt.date(2026, 11, 22)),
            today=dt.date(2026, 11, 22),
        )
    with database.session() as session:
        rollup = province_rollup(session, Scope.operator(), HA_TINH, OCTOBER)
    assert (rollup.expected, rollup.submitted, rollup.on_time_count) == (69, 2, 1)
    assert rollup.reporting_rate == round(100 * 2 / 69, 2) and rollup.on_time_rate == round(100 / 69, 2)
    lines = {c.code: c for c in rollup.communes}
    one, two = lines[SON_KIM_1], lines[SON_KIM_2]
    assert (
        one.villages,
        one.villages_with_session,
        one.sessions,
        one.attendees,
        one.weeks_with_session,
        one.village_weeks,
        one.help,
    ) == (3, 2, 5, 87, 4, 4, {"vneid_level2": 13, "public_service_filing": 5, "e_health": 7})
    assert (one.submitted, one.on_time, two.submitted, two.on_time) == (True, True, True, False)
    assert (two.sessions, two.attendees, two.weeks_with_session) == (2, 30, 1)
    sums = {i.id: (i.numerator, i.denominator, i.percent, i.target) for i in rollup.indicator_sums()}
    assert sums["adults_vneid_confirmed"] == (1734, 6000, 28.9, 80.0)
    assert sums["students_digital_skills"] == (950, 1000, 95.0, 100.0)  # the province's target, not the commune's
    assert rollup.reporting_figures("adults_vneid_confirmed") == 2
    assert len(rollup.not_submitted) == 67
    # furthest behind: Sơn Kim 2 reached 500/1000 of 80 % (62.5 %); Sơn Kim 1 averages more
    assert [c.code for c in rollup.furthest_behind(2)] == [SON_KIM_2, SON_KIM_1]


def test_national_rollup(database: Database, month: Month) -> None:
    with database.session() as session:
        provinces = {p.code: p for p in national_rollup(session, Scope.operator(), OCTOBER)}
    assert len(provinces) == 34
    ha_tinh = provinces[HA_TINH]
    assert (
        ha_tinh.communes,
        ha_tinh.villages,
        ha_tinh.sessions,
        ha_tinh.attendees,
        ha_tinh.village_weeks,
        ha_tinh.villages_with_session,
    ) == (69, 4, 7, 117, 5, 3)
    assert ha_tinh.figures["adults_vneid_confirmed"] == (1734, 6000, 2)
    assert ha_tinh.help == {"vneid_level2": 13, "public_service_filing": 5, "e_health": 7}
    assert sum(p.sessions for p in provinces.values()) == 7


def test_an_unknown_commune_or_province_is_refused_by_name(database: Database, month: Month) -> None:
    with database.session() as session:
        with pytest.raises(DomainError) as commune:
            commune_progress(session, Scope.operator(), 99_999, Period.month(OCTOBER), LATE_NOVEMBER)
        with pytest.raises(DomainError) as province:
            province_rollup(session, Scope.operator(), 99, OCTOBER)
    assert (commune.value.code, commune.value.params) == ("unknown_commune", {"unit": 99_999})
    assert (province.value.code, province.value.params) == ("unknown_province", {"unit": 99})


class _Named(NamedTuple):
    code: int
    name: str
    share: float


class _Counted(NamedTuple):
    code: int
    first: int
    second: int


def test_line_kinds_share_columns_by_type_and_read_back_named_lines() -> None:
    kinds = LineKinds(_Named, _Counted)
    assert [name for name, _ in kinds.columns] == ["str_1", "int_1", "int_2", "int_3", "float_1"]
    lines = kinds.read([(0, "Xã A", 7, None, None, 12.5), (1, None, 7, 3, 4, None), (1, None, 8, 5, 6, None)])
    assert lines.of(_Named) == [_Named(7, "Xã A", 12.5)]
    assert lines.of(_Counted) == [_Counted(7, 3, 4), _Counted(8, 5, 6)]
    assert lines.of(_Counted)[1].second == 6
    with pytest.raises(ValueError, match="_Counted has no field name"):
        kinds.part(_Counted, code=1, name="Xã A")
