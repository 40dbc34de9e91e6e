"""`bdhvs parse` on the lines of the provinces' plans: the figures come in a `programmes` list, a session's
priority groups in `priority_groups`, and a line without either keeps today's shape."""

from __future__ import annotations

import json

import pytest

from bot.cli import main


def parse(capsys: pytest.CaptureFixture[str], text: str) -> dict[str, object]:
    assert main(["parse", "--today", "2026-11-25", text]) == 0
    return dict(json.loads(capsys.readouterr().out))


@pytest.mark.parametrize(
    ("text", "programmes"),
    [
        ("hôm nay thôn 3 thêm 6 hộ gia đình số", [{"id": "gia_dinh_so", "count": 6, "unit": "households"}]),
        (
            "đại sứ số Lan đã hướng dẫn xong 5 người",
            [{"id": "dai_su_so", "count": 5, "unit": "people", "mentor": "Lan"}],
        ),
        ("buổi 4T ở chợ Phố Mới 22 tiểu thương", [{"id": "cho_so_4t", "count": 22, "unit": "traders"}]),
        ("giúp 8 đảng viên cài VNeID", [{"id": "dang_vien_so", "count": 8, "unit": "party_members"}]),
    ],
)
def test_the_plans_lines_give_a_programmes_list(
    capsys: pytest.CaptureFixture[str], text: str, programmes: list[dict[str, object]]
) -> None:
    got = parse(capsys, text)
    assert got["intent"] == "log" and got["programmes"] == programmes


def test_priority_groups_and_a_plain_line(capsys: pytest.CaptureFixture[str]) -> None:
    got = parse(capsys, "học VNeID 23 người, 15 người cao tuổi")
    assert got["session"] == {"topics": ["vneid"], "attendees": 23}
    assert got["priority_groups"] == {"elderly": 15}
    plain = parse(capsys, "hom qua thon 3 hoc VNeID 23 nguoi")
    assert "programmes" not in plain and "priority_groups" not in plain
