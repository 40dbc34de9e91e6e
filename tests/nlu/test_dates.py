"""Unit tests for day resolution (bot.nlu.dates)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.nlu.dates import DateResult, find_dates, resolve_day_month, resolve_weekday
from bot.nlu.normalize import tokenize

WED = dt.date(2026, 11, 25)  # a Wednesday


def d(text: str, today: dt.date = WED) -> DateResult:
    return find_dates(tokenize(text), today)


def test_relative_days() -> None:
    assert d("hôm nay").date == WED
    assert d("hom qua").date == dt.date(2026, 11, 24)
    assert d("hôm kia").date == dt.date(2026, 11, 23)
    assert d("tối qua").date == dt.date(2026, 11, 24)
    assert d("tối hôm qua").date == dt.date(2026, 11, 24)
    assert d("tối nay").date == WED
    assert d("sáng nay").date == WED
    assert d("chiều qua").date == dt.date(2026, 11, 24)
    assert d("hqua").date == dt.date(2026, 11, 24)
    assert d("hôm wa").date == dt.date(2026, 11, 24)
    assert d("hnay").date == WED


def test_no_day_named() -> None:
    r = d("thôn 3 học VNeID 20 người")
    assert r.date is None and not r.named


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thứ 2", dt.date(2026, 11, 23)),
        ("thứ hai", dt.date(2026, 11, 23)),
        ("t2", dt.date(2026, 11, 23)),
        ("thứ 3", dt.date(2026, 11, 24)),
        ("thứ ba", dt.date(2026, 11, 24)),
        ("thứ 4", WED),  # today is a Wednesday: today itself
        ("thứ tư", WED),
        ("thứ 5", dt.date(2026, 11, 19)),
        ("thứ năm", dt.date(2026, 11, 19)),
        ("thu sau", dt.date(2026, 11, 20)),
        ("t7", dt.date(2026, 11, 21)),
        ("thứ bảy", dt.date(2026, 11, 21)),
        ("thứ bẩy", dt.date(2026, 11, 21)),
        ("chủ nhật", dt.date(2026, 11, 22)),
        ("cn", dt.date(2026, 11, 22)),
        ("thứ 2 tuần trước", dt.date(2026, 11, 16)),
        ("CN tuần trước", dt.date(2026, 11, 22)),
        ("thứ 4 tuần trước", dt.date(2026, 11, 18)),
    ],
)
def test_weekdays(text: str, expected: dt.date) -> None:
    r = d(text)
    assert r.date == expected and r.named


@pytest.mark.parametrize("offset", range(7))
@pytest.mark.parametrize("weekday", range(7))
def test_resolve_weekday_is_most_recent_on_or_before(offset: int, weekday: int) -> None:
    today = dt.date(2026, 11, 23) + dt.timedelta(days=offset)
    got = resolve_weekday(today, weekday)
    assert got.weekday() == weekday
    assert 0 <= (today - got).days <= 6


def test_sunday_on_sunday_and_monday() -> None:
    sunday = dt.date(2026, 11, 22)
    assert d("chủ nhật", sunday).date == sunday
    assert d("chủ nhật", sunday + dt.timedelta(days=1)).date == sunday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/11", dt.date(2026, 11, 12)),
        ("12-11", dt.date(2026, 11, 12)),
        ("12.11", dt.date(2026, 11, 12)),
        ("ngày 12/11", dt.date(2026, 11, 12)),
        ("12/11/2026", dt.date(2026, 11, 12)),
        ("12/11/26", dt.date(2026, 11, 12)),
        ("ngày 12 tháng 11", dt.date(2026, 11, 12)),
        ("12 tháng 11", dt.date(2026, 11, 12)),
        ("ngày 12", dt.date(2026, 11, 12)),
        ("ngày 25", WED),
        ("ngày 28", dt.date(2026, 10, 28)),  # would be future: previous month
        ("28/11", dt.date(2025, 11, 28)),  # would be future: last year
        ("3/12", dt.date(2025, 12, 3)),
    ],
)
def test_numeric_dates(text: str, expected: dt.date) -> None:
    r = d(text)
    assert r.date == expected and r.named and r.problems == []


def test_year_rollover() -> None:
    jan2 = dt.date(2027, 1, 2)  # a Saturday
    assert d("31/12", jan2).date == dt.date(2026, 12, 31)
    assert d("ngày 30", jan2).date == dt.date(2026, 12, 30)
    assert d("thứ 2", jan2).date == dt.date(2026, 12, 28)
    assert d("hôm qua", jan2).date == dt.date(2027, 1, 1)
    assert d("hôm kia", dt.date(2027, 1, 1)).date == dt.date(2026, 12, 30)
    assert d("chủ nhật", jan2).date == dt.date(2026, 12, 27)


def test_future_and_invalid() -> None:
    r = d("30/11/2026")
    assert r.date == dt.date(2026, 11, 30) and "future_date" in r.problems
    r = d("ngày mai")
    assert r.date == dt.date(2026, 11, 26) and "future_date" in r.problems
    r = d("31/2")
    assert r.date is None and "invalid_date" in r.problems
    assert resolve_day_month(WED, 31, 4, None) == (None, "invalid_date")
    assert resolve_day_month(dt.date(2028, 3, 1), 29, 2, None) == (dt.date(2028, 2, 29), None)
    assert resolve_day_month(dt.date(2028, 2, 1), 29, 2, None) == (None, "invalid_date")


def test_numbers_that_are_not_dates() -> None:
    assert d("buổi thứ 2").date is None
    assert d("lần thứ ba").date is None
    assert d("15-20 người").date is None
    assert d("23/30 người").date is None
    assert d("năm 2026").date is None
    assert d("tháng 11").date is None


def test_first_named_day_wins() -> None:
    assert d("hôm qua (24/11)").date == dt.date(2026, 11, 24)
    assert d("thứ 2 ngày 23/11").date == dt.date(2026, 11, 23)
