"""The parser never guesses: impossible days and numbers that are not head-counts are reported, not changed."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.nlu.cli import main
from bot.nlu.dates import read_day
from bot.nlu.normalize import tokenize
from bot.nlu.numbers import CountReading, parse_number_text, read_count
from bot.nlu.parser import HelpItem, SessionPart, Unreadable, parse_report

TODAY = dt.date(2026, 12, 4)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("ngày 30/02 thôn 2 học vneid 11 người", "ngày 30/02"),
        ("31/04 thôn 2 học vneid 11 người", "31/04"),
        ("ngày 31/4/2026 thôn 2 học vneid 11 người", "ngày 31/4/2026"),
        ("ngày 32/1 thôn 2 học vneid 11 người", "ngày 32/1"),
        ("32/1 thôn 2 học vneid 11 người", "32/1"),
        ("0/5 thôn 2 học vneid 11 người", "0/5"),
        ("15/13 thôn 2 học vneid 11 người", "15/13"),
        ("ngày 15/20 thôn 2 học vneid 11 người", "ngày 15/20"),
        ("30/13/2026 thôn 2 học vneid 11 người", "30/13/2026"),
        ("ngày 31 tháng 4 thôn 2 học vneid 11 người", "ngày 31 tháng 4"),
        ("ngày 15 tháng 13 thôn 2 học vneid 11 người", "ngày 15 tháng 13"),
        ("ngày 32 thôn 2 học vneid 11 người", "ngày 32"),
        ("ngày 0 thôn 2 học vneid 11 người", "ngày 0"),
        ("32 tháng 1 thôn 2 học vneid 11 người", "32 tháng 1"),
        ("tháng 13 thôn 2 học vneid 11 người", "tháng 13"),
        ("thứ 8 thôn 2 học vneid 11 người", "thứ 8"),
        ("29/02/2026 thôn 2 học vneid 11 người", "29/02/2026"),
        ("hôm 30/2 thôn 2 giúp 4 người kích hoạt mức 2", "hôm 30/2"),
    ],
)
def test_impossible_day_gives_no_date(text: str, named: str) -> None:
    r = parse_report(text, TODAY)
    assert r.intent == "log" and r.date is None
    assert "invalid_date" in r.problems
    assert Unreadable("invalid_date", named) in r.unreadable
    assert r.to_json()["date"] is None and "invalid_date" in r.to_json()["problems"]
    # the date's digits never become the count
    assert (r.session and r.session.attendees == 11) or r.help == [HelpItem("vneid_level2", 4)]


def test_only_a_log_naming_no_day_is_today() -> None:
    assert parse_report("thôn 2 học vneid 11 người", TODAY).date == TODAY
    assert parse_report("ngày 30/11 thôn 2 học vneid 11 người", TODAY).date == dt.date(2026, 11, 30)
    assert parse_report("29/02/2024 thôn 2 học vneid 11 người", TODAY).date == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("text", "problem", "typed"),
    [
        ("thôn 2 học vneid -5 người", "negative_count", "-5"),
        ("thôn 2 học vneid: -5", "negative_count", "-5"),
        ("thôn 2 học vneid (-12 người)", "negative_count", "-12"),
        ("thôn 2 học vneid \u22125 người", "negative_count", "\u22125"),
        ("thôn 2 học vneid 3.5 người", "not_a_whole_number", "3.5"),
        ("thôn 2 học vneid 3,5 người", "not_a_whole_number", "3,5"),
        ("thôn 2 học vneid 3,5", "not_a_whole_number", "3,5"),
        ("thôn 2 học vneid 12,75 người", "not_a_whole_number", "12,75"),
        ("thôn 2 học vneid 1e18", "scientific_number", "1e18"),
        ("thôn 2 học vneid 2E5 người", "scientific_number", "2E5"),
        ("thôn 2 học vneid 1.5e3 người", "scientific_number", "1.5e3"),
        ("thôn 2 học vneid 15-20 người", "number_range", "15-20"),
        ("thôn 2 học vneid 15 - 20 người", "number_range", "15 - 20"),
        ("thôn 2 học vneid 15\u201320 người", "number_range", "15\u201320"),
        ("thôn 2 học vneid 15 đến 20 người", "number_range", "15 đến 20"),
        ("thôn 2 học vneid 15 tới 20 người", "number_range", "15 tới 20"),
        ("thôn 2 học vneid 23/30 người", "number_range", "23/30"),
        ("thôn 2 học vneid 3/204 người", "number_range", "3/204"),
    ],
)
def test_refused_session_count(text: str, problem: str, typed: str) -> None:
    r = parse_report(text, TODAY)
    assert r.intent == "log"
    assert r.session == SessionPart(["vneid"], None)
    assert problem in r.problems and Unreadable(problem, typed) in r.unreadable


def test_refused_help_count_keeps_the_kind_without_a_count() -> None:
    r = parse_report("giúp -3 người kích hoạt mức 2", TODAY)
    assert r.intent == "log" and r.help == [HelpItem("vneid_level2", None)]
    assert r.to_json()["help"] == [{"kind": "vneid_level2", "count": None}]
    r = parse_report("học vneid 20 người, giúp 2,5 người kích hoạt mức 2 và 4 người nộp hồ sơ DVC", TODAY)
    assert r.session == SessionPart(["vneid"], 20)
    assert r.help == [HelpItem("vneid_level2", None), HelpItem("public_service_filing", 4)]


def test_a_refused_count_leaves_a_merged_total_unknown() -> None:
    r = parse_report("thôn 1 học VNeID 20 người, học DVC -5 người", TODAY)
    assert r.session is not None and r.session.attendees is None
    r = parse_report("giúp 3 người kích hoạt mức 2, giúp -3 người kích hoạt mức 2", TODAY)
    assert r.help == [HelpItem("vneid_level2", None)]


@pytest.mark.parametrize(
    ("text", "attendees"),
    [
        ("học VNeID - 20 người", 20),
        ("học VNeID-20 người", 20),
        ("thôn 2 học vneid 1.234 người", 1234),
        ("thôn 2 học vneid 1,234 người", 1234),
        ("12/11 thôn 2 học vneid 20 người", 20),
        ("lớp 9 - 20 người học vneid", 20),
        ("thôn 2 - 20 người học vneid", 20),
        ("học vneid 5\u200b0 người", 50),
        ("t9 thôn 2 học vneid 20 người", 20),
        ("lớp 9a học vneid 20 người", 20),
        ("công nghệ 4.0 học vneid 20 người", 20),
        ("học vneid 20 người, lệ phí 50k", 20),
    ],
)
def test_legitimate_number_shapes_are_read_as_before(text: str, attendees: int) -> None:
    r = parse_report(text, TODAY)
    assert r.session is not None and r.session.attendees == attendees
    assert not {"negative_count", "not_a_whole_number", "scientific_number", "number_range", "invalid_date"} & set(
        r.problems
    )


def test_a_lone_refused_number_is_reported_not_read() -> None:
    r = parse_report("-5 người", TODAY)
    assert r.intent == "unknown" and "negative_count" in r.problems


def test_tokens_keep_refused_numbers_whole() -> None:
    kinds = [(t.kind, t.value) for t in tokenize("-5 1e18 3,5 - 20 VNeID-7")]
    assert kinds == [
        ("punct", None),
        ("neg", -5),
        ("sci", None),
        ("dec", None),
        ("punct", None),
        ("num", 20),
        ("word", None),
        ("punct", None),
        ("num", 7),
    ]


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("17", CountReading(17)),
        ("17 người", CountReading(17)),
        ("hai mươi mốt người.", CountReading(21)),
        ("0", CountReading(0)),
        ("1.234", CountReading(1234)),
        ("-5", CountReading(None, "negative_count", "-5")),
        ("-5 người", CountReading(None, "negative_count", "-5")),
        ("3,5", CountReading(None, "not_a_whole_number", "3,5")),
        ("3.5 người", CountReading(None, "not_a_whole_number", "3.5")),
        ("1e3", CountReading(None, "scientific_number", "1e3")),
        ("15-20", CountReading(None, "number_range", "15-20")),
        ("15 đến 20 người", CountReading(None, "number_range", "15 đến 20")),
        ("23/30", CountReading(None, "number_range", "23/30")),
        ("- 5", CountReading(None)),
        ("mấy chục", CountReading(None)),
    ],
)
def test_read_count(text: str, reading: CountReading) -> None:
    assert read_count(text) == reading


def test_number_words_no_longer_drop_a_sign() -> None:
    assert parse_number_text("-5") is None
    assert parse_number_text("15") == 15


def test_read_day() -> None:
    assert read_day("12/11", TODAY).date == dt.date(2026, 11, 12)
    assert read_day("hôm kia", TODAY).date == dt.date(2026, 12, 2)
    for text in ("30/02", "31/4", "32/1", "ngày 31 tháng 4", "15/13"):
        result = read_day(text, TODAY)
        assert result.date is None and "invalid_date" in result.problems, text


def test_cli_prints_null_date_and_problems(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--today", "2026-12-04", "ngày 30/02 thôn 2 học vneid 11 người"])
    out = json.loads(capsys.readouterr().out)
    assert out["date"] is None and out["problems"] == ["invalid_date"]
    assert out["session"] == {"topics": ["vneid"], "attendees": 11}
