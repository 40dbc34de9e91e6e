"""Programme figures and priority groups in one line: read from the catalog's words, never guessed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot.nlu.parser import parse_report, read_attendance

TODAY = dt.date(2026, 11, 25)
CASES = Path(__file__).with_name("cases.jsonl")


def _read(text: str) -> dict:
    return parse_report(text, TODAY).to_json()


def test_a_message_without_programme_words_keeps_its_keys() -> None:
    """Keys are only added, and only when read: the corpus without programmes prints what it always printed."""
    base = ["intent", "date", "village", "session", "help", "problems", "unreadable"]
    for line in CASES.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "programmes" in row["expected"] or "priority_groups" in row["expected"]:
            continue
        got = parse_report(row["text"], dt.date.fromisoformat(row["today"]), row.get("villages", ())).to_json()
        assert list(got) == base, row["text"]


@pytest.mark.parametrize(
    ("text", "programme", "count", "unit"),
    [
        ("hôm nay thôn 3 thêm 6 hộ gia đình số", "gia_dinh_so", 6, "households"),
        ("buổi 4T ở chợ Phố Mới 22 tiểu thương", "cho_so_4t", 22, "traders"),
        ("giúp 8 đảng viên cài VNeID", "dang_vien_so", 8, "party_members"),
        ("tap huan 4T cho 15 tieu thuong", "cho_so_4t", 15, "traders"),
        ("thôn 3 làm 4T cho 22 tiểu thương", "cho_so_4t", 22, "traders"),  # a word typed as "4"+"T"
        ("4T ở chợ Phố Mới 22 tiểu thương", "cho_so_4t", 22, "traders"),
    ],
)
def test_programme_figure(text: str, programme: str, count: int, unit: str) -> None:
    got = _read(text)
    assert got["intent"] == "log"
    assert got["programmes"] == [{"id": programme, "count": count, "unit": unit}]


def test_the_help_reading_stays_beside_a_programme() -> None:
    got = _read("giúp 8 đảng viên cài VNeID")
    assert got["help"] == [{"kind": "other", "count": 8}]


def test_a_mentor_is_a_name_only() -> None:
    got = _read("đại sứ số chị Lan đã hướng dẫn xong 5 người")
    assert got["programmes"] == [{"id": "dai_su_so", "count": 5, "unit": "people", "mentor": "Lan"}]
    assert got["session"] is None
    assert "mentor" not in _read("dai su so da huong dan 5 nguoi")["programmes"][0]


@pytest.mark.parametrize(
    ("text", "problem"),
    [("thêm -6 hộ gia đình số", "negative_count"), ("thêm 2,5 hộ gia đình số", "not_a_whole_number")],
)
def test_a_refused_number_is_never_a_figure(text: str, problem: str) -> None:
    got = _read(text)
    assert got["programmes"][0]["count"] is None
    assert problem in got["problems"]


def test_commune_programmes_are_not_read_in_chat() -> None:
    """Programmes the commune enters monthly (/chiso) are not read: "kích hoạt mức 2" stays a help kind."""
    got = _read("giúp 10 người kích hoạt mức 2")
    assert "programmes" not in got
    assert got["help"] == [{"kind": "vneid_level2", "count": 10}]


def test_a_question_is_not_a_figure() -> None:
    got = _read("bao nhiêu đại sứ số đủ 5 người?")
    assert got["intent"] == "query"
    assert "programmes" not in got


def test_priority_groups_break_attendees_down() -> None:
    got = _read("học VNeID 23 người, 15 người cao tuổi, 2 người khuyết tật, 4 người dtts")
    assert got["session"] == {"topics": ["vneid"], "attendees": 23}
    assert got["priority_groups"] == {"elderly": 15, "disabled": 2, "ethnic_minority": 4}
    assert got["problems"] == []


def test_a_group_larger_than_the_attendees_is_a_problem() -> None:
    got = _read("học VNeID 10 người, 15 người cao tuổi")
    assert got["session"]["attendees"] == 10
    assert "priority_group_over_attendees" in got["problems"]


def test_a_group_of_people_helped_is_read_as_before() -> None:
    """Only a session's attendees are broken down: help keeps its reading."""
    assert "priority_groups" not in _read("giúp 14 người kích hoạt mức 2, trong đó có 5 người cao tuổi")


def test_an_answer_with_the_attendees_and_their_groups() -> None:
    reading = read_attendance("23 người, 15 người cao tuổi, 2 người khuyết tật")
    assert reading is not None
    assert (reading.total, reading.groups) == (23, {"elderly": 15, "disabled": 2})
    refused = read_attendance("23 người, -2 người cao tuổi")
    assert refused is not None and refused.groups == {"elderly": None} and refused.unreadable[0].text == "-2"
    assert read_attendance("23") is None  # no group: a plain count, read as before
    assert read_attendance("15 người cao tuổi") is None  # no total: asked, never taken as one


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("23 people, 15 elderly", {"elderly": 15}),
        ("23 people, 15 elderly people, 2 disabled", {"elderly": 15, "disabled": 2}),
        ("30 people, 2 people with disabilities, 5 ethnic minorities", {"disabled": 2, "ethnic_minority": 5}),
        ("30 people, 4 ethnic minority, 3 poor", {"ethnic_minority": 4, "poor": 3}),
        ("30 people, 3 poor people, 6 senior citizens", {"poor": 3, "elderly": 6}),
        ("23 người, 3 người nghèo", {"poor": 3}),
    ],
)
def test_priority_groups_in_english_and_the_poor(text: str, groups: dict[str, int]) -> None:
    """An English-speaking member answers «how many attended?» with the groups in English; the poor are a group
    too («người nghèo»)."""
    reading = read_attendance(text)
    assert reading is not None and reading.total == int(text.split()[0]) and reading.groups == groups


def test_english_groups_in_a_one_line_report() -> None:
    got = _read("VNeID session 23 people, 15 elderly, 2 poor")
    assert got["session"] == {"topics": ["vneid"], "attendees": 23}
    assert got["priority_groups"] == {"elderly": 15, "poor": 2}
    assert got["problems"] == []
    assert "priority_group_over_attendees" in _read("VNeID session 10 people, 15 elderly")["problems"]
    assert read_attendance("23 people, 15") is None  # a bare number names no group: not guessed


@pytest.mark.parametrize(
    "text",
    [
        "3 buổi 20 người",
        "tuần này thôn 2 tổ chức 3 buổi học VNeID 20 người",
        "học 2 buổi, 40 người",
        "2 lớp học VNeID 30 người",
    ],
)
def test_several_sessions_in_one_line_are_a_problem(text: str) -> None:
    """One line is one session: «3 buổi 20 người» is never read as one session of 20 without saying so."""
    assert "several_sessions" in _read(text)["problems"]


@pytest.mark.parametrize(
    "text",
    ["hôm nay 1 buổi 20 người", "buổi 3 học VNeID 20 người", "học sinh lớp 9 học VNeID 20 người",
     "ngày 3 buổi tối học VNeID 20 người", "thôn 3 buổi tối học VNeID 20 người"],
)  # fmt: skip
def test_one_session_is_not_several(text: str) -> None:
    assert "several_sessions" not in _read(text)["problems"]
