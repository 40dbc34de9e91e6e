"""Tests of the public parser API, its JSON contract, problems and the CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.nlu.cli import main
from bot.nlu.lexicon import HELP_KINDS, TOPICS
from bot.nlu.parser import HelpItem, ParsedReport, SessionPart, parse_report

TODAY = dt.date(2026, 11, 25)


def test_brief_example() -> None:
    r = parse_report(
        "tối qua thôn 3 học cài VNeID 23 người, giúp 10 người kích hoạt mức 2 và 5 người nộp hồ sơ DVC",
        TODAY,
    )
    assert isinstance(r, ParsedReport)
    assert r.intent == "log"
    assert r.date == dt.date(2026, 11, 24) and r.date_named
    assert r.village == "Thôn 3"
    assert r.session == SessionPart(["vneid"], 23)
    assert r.help == [HelpItem("vneid_level2", 10), HelpItem("public_service_filing", 5)]
    assert r.problems == []
    assert r.to_json() == {
        "intent": "log",
        "date": "2026-11-24",
        "village": "Thôn 3",
        "session": {"topics": ["vneid"], "attendees": 23},
        "help": [
            {"kind": "vneid_level2", "count": 10},
            {"kind": "public_service_filing", "count": 5},
        ],
        "problems": [],
        "unreadable": [],
    }


def test_json_is_serialisable_and_ids_are_known() -> None:
    r = parse_report("học DVC 20 người, giúp 3 người mở tài khoản ngân hàng", TODAY)
    data = json.loads(json.dumps(r.to_json()))
    assert set(data["session"]["topics"]) <= set(TOPICS)
    assert {h["kind"] for h in data["help"]} <= set(HELP_KINDS)


def test_log_without_named_day_is_today() -> None:
    r = parse_report("thôn 2 học VNeID 20 người", TODAY)
    assert r.date == TODAY and not r.date_named


@pytest.mark.parametrize("text", ["thôn nào chưa đạt?", "Chào anh", "xem tiến độ hôm qua"])
def test_non_log_has_no_date_or_items(text: str) -> None:
    r = parse_report(text, TODAY)
    assert r.intent in ("query", "unknown")
    assert r.date is None and r.session is None and r.help == []


def test_query_keeps_village() -> None:
    r = parse_report("thôn 3 đạt bao nhiêu %?", TODAY)
    assert (r.intent, r.village) == ("query", "Thôn 3")


def test_village_names_parameter() -> None:
    r = parse_report("ban na sang hoc vneid 20 ng", TODAY, ["Bản Nà Sang"])
    assert r.village == "Bản Nà Sang"
    r = parse_report("ban na sang hoc vneid 20 ng", TODAY)
    assert r.village == "Bản Na Sang"


def test_install_decision() -> None:
    assert parse_report("giúp 8 người cài VNeID", TODAY).help == [HelpItem("other", 8)]
    assert parse_report("giúp 8 người cài VNeID và kích hoạt mức 2", TODAY).help == [HelpItem("vneid_level2", 8)]
    r = parse_report("học cài VNeID 30 người", TODAY)
    assert r.session == SessionPart(["vneid"], 30) and r.help == []


def test_counts_never_come_from_dates_villages_years_levels() -> None:
    r = parse_report("12/11/2026 thôn 7 năm 2026 kích hoạt mức 2 cho 9 người", TODAY)
    assert r.help == [HelpItem("vneid_level2", 9)]
    assert r.village == "Thôn 7"
    assert r.date == dt.date(2026, 11, 12)


def test_same_kinds_are_added() -> None:
    r = parse_report("giúp 5 người cài Zalo, 3 người cài Facebook", TODAY)
    assert r.help == [HelpItem("other", 8)]


def test_session_without_topic_has_empty_topics() -> None:
    r = parse_report("thôn 1 tập huấn 28 người", TODAY)
    assert r.session == SessionPart([], 28)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("hôm qua thôn 4 được 20 người", "count_without_kind"),
        ("giúp bà con kích hoạt mức 2", "kind_without_count"),
        ("tối qua thôn 3 học VNeID", "session_without_count"),
        ("30/11/2026 thôn 3 học VNeID 20 người", "future_date"),
        ("31/2 thôn 3 học VNeID 20 người", "invalid_date"),
        ("có 5 người chưa kích hoạt được mức 2", "negated_item"),
        ("thôn 1 học VNeID 20 người, thôn 2 học DVC 15 người", "multiple_sessions"),
        ("", "empty"),
    ],
)
def test_problem_codes(text: str, problem: str) -> None:
    assert problem in parse_report(text, TODAY).problems


def test_session_without_count_is_a_log() -> None:
    r = parse_report("tối qua thôn 3 học VNeID", TODAY)
    assert r.intent == "log"
    assert r.session == SessionPart(["vneid"], None)
    assert r.to_json()["session"] == {"topics": ["vneid"], "attendees": None}


def test_cli_joins_words_and_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["--today", "2026-11-25", "tối", "qua", "thôn", "3", "học", "VNeID", "23", "người"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "intent": "log",
        "date": "2026-11-24",
        "village": "Thôn 3",
        "session": {"topics": ["vneid"], "attendees": 23},
        "help": [],
        "problems": [],
        "unreadable": [],
    }


def test_cli_keeps_accents_and_village_option(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--today", "2026-11-25", "--village", "Bản Nà Sang", "ban na sang hoc vneid 20 ng"])
    raw = capsys.readouterr().out
    assert "Bản Nà Sang" in raw  # ensure_ascii=False


def test_cli_default_today_is_vietnam_date(capsys: pytest.CaptureFixture[str]) -> None:
    main(["thôn 3 học VNeID 20 người"])
    out = json.loads(capsys.readouterr().out)
    assert out["date"] is not None
