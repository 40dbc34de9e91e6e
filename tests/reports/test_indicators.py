"""Indicator figures and targets: parsing, refusals, who may set them, targets inherited from the province."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.i18n import Translator
from handlers.errors import explain
from storage import indicators
from storage.db import Database
from storage.errors import DomainError
from storage.indicators import looks_like_figures, on_track, parse_figures, parse_targets, percent_of
from tests.reports.conftest import ADMIN, ADMIN_2, LEADER, OCTOBER, SON_KIM_1, SON_KIM_2, VIEWER, Month, at, member_of

_PIECES = ["1", "23", "4.000", " ", "\n", "/", "trên", "TREN", "of", "vneid", "học sinh", ":", ",", "mức 2", "tháng 10"]


@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
@example("vneid 1 trên 23")
@example("học sinh 4.000 TREN 23")
@example("vneid 1/ 23")
@example("mức 2: 23 of 4.000")
def test_the_quick_check_for_figures_never_passes_over_one(text: str) -> None:
    """`looks_like_figures` stops early when `_FIGURE_HINT` finds nothing: only right if every figure has it."""
    if indicators._FIGURE.search(text):
        assert indicators._FIGURE_HINT.search(text)


def test_figures_typed_in_one_line() -> None:
    assert parse_figures("vneid 1234/5000") == ([("adults_vneid_confirmed", 1234, 5000)], [])
    assert parse_figures("VNeID mức 2: 3.000/5.000; học sinh 950/1000, cán bộ 120 trên 120") == (
        [
            ("vneid_level2_activated", 3000, 5000),
            ("students_digital_skills", 950, 1000),
            ("officials_digital_skills", 120, 120),
        ],
        [],
    )
    assert parse_figures("lao dong 40/50, nguoi dan 700/900") == (
        [("workers_digital_skills", 40, 50), ("adults_digital_skills", 700, 900)],
        [],
    )
    assert parse_figures("abc 1/2") == ([], ["abc"])
    assert looks_like_figures("vneid 1234/5000") and looks_like_figures("học sinh 950/1000")
    assert not looks_like_figures("hôm nay 10/11 học vneid 20 người")
    assert not looks_like_figures("tối qua thôn 3 học cài VNeID 23 người")
    assert not looks_like_figures("vneid 10/12 học 20 người")  # a date in a report to log, not a figure
    assert looks_like_figures("tháng 10: vneid 1234/5000, mức 2 3000/5000")


def test_targets_typed_in_one_line() -> None:
    assert parse_targets("vneid 80%, học sinh 100, người dân 92,5%") == (
        [("adults_vneid_confirmed", 80.0), ("students_digital_skills", 100.0), ("adults_digital_skills", 92.5)],
        [],
    )
    assert parse_targets("mức 2 90%") == ([("vneid_level2_activated", 90.0)], [])


def test_refusals() -> None:
    for n, d, code in (
        (1, 0, "indicator_zero_denominator"),
        (6000, 5000, "indicator_over_denominator"),
        (-1, 5, "indicator_negative"),
        (1, 99_999_999_999_999_999_999, "indicator_too_large"),
        (10_000_001, 10_000_001, "indicator_too_large"),
    ):
        with pytest.raises(DomainError) as refused:
            indicators.check_figure("adults_vneid_confirmed", n, d)
        assert refused.value.code == code
    with pytest.raises(DomainError) as over:
        indicators.check_target("adults_vneid_confirmed", 120)
    assert over.value.code == "target_over_100"
    with pytest.raises(DomainError):
        indicators.check_figure("nonsense", 1, 2)


def test_percent_and_on_track() -> None:
    assert percent_of(1234, 5000) == 24.68 and percent_of(1, 3) == 33.33 and percent_of(None, 5) is None
    october = dt.date(2026, 10, 1)
    assert on_track(70.0, 80.0, october) is True  # 80 × 10/12 = 66.67
    assert on_track(60.0, 80.0, october) is False
    assert on_track(85.0, 80.0, october) is True and on_track(None, 80.0, october) is None


def test_who_sets_figures_and_targets(database: Database, month: Month) -> None:
    admin, leader, admin_2, viewer = (member_of(database, u, month) for u in (ADMIN, LEADER, ADMIN_2, VIEWER))
    now = at(dt.date(2026, 11, 5))
    with database.session() as session:
        for actor in (leader, admin_2, viewer):
            with pytest.raises(DomainError) as refused:
                indicators.set_figure(
                    session,
                    actor=actor,
                    commune_code=SON_KIM_1,
                    month=OCTOBER,
                    indicator="workers_digital_skills",
                    numerator=1,
                    denominator=2,
                    now=now,
                )
            assert refused.value.code == "indicator_not_allowed"
        with pytest.raises(DomainError):
            indicators.set_target(
                session,
                actor=admin,
                year=2026,
                indicator="adults_vneid_confirmed",
                percent=70,
                scope="province",
                area_code=42,
                now=now,
            )
        with pytest.raises(DomainError):
            indicators.set_target(
                session,
                actor=viewer,
                year=2026,
                indicator="adults_vneid_confirmed",
                percent=70,
                scope="commune",
                area_code=SON_KIM_1,
                now=now,
            )
        row = indicators.set_figure(
            session,
            actor=admin,
            commune_code=SON_KIM_1,
            month=OCTOBER,
            indicator="adults_vneid_confirmed",
            numerator=1300,
            denominator=5000,
            now=now,
        )
        assert (row.numerator, row.denominator) == (1300, 5000)  # replaced, not added
        assert len(indicators.figures(session, SON_KIM_1, OCTOBER)) == 4
        targets = indicators.commune_targets(session, SON_KIM_2, 2026)
        assert {k: (t.percent, t.scope) for k, t in targets.items()} == {
            "adults_vneid_confirmed": (80.0, "province"),
            "students_digital_skills": (100.0, "province"),
            "officials_digital_skills": (100.0, "province"),
        }
        assert indicators.commune_targets(session, SON_KIM_1, 2026)["students_digital_skills"].scope == "commune"


def test_a_huge_figure_is_refused_with_a_clear_message() -> None:
    with pytest.raises(DomainError) as refused:
        indicators.check_figure("adults_vneid_confirmed", 1, 99_999_999_999_999_999_999)
    text = explain(refused.value, Translator("vi"))
    assert "10.000.000" in text and "gõ nhầm" in text
