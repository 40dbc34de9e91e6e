"""`bdhvs import villages|members`: every row checked first, bad rows named by number and nothing imported,
`--apply` in one transaction, the same file twice changes nothing, personal numbers refused whole."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import func, select

from bot.clock import FixedClock
from bot.sandbox.bots import HA_TINH_BOT
from storage.areas import add_villages
from storage.db import Database
from storage.models import AuditEntry, Invite, Member, Village
from tests.chat import ChatDriver
from tests.onboarding.conftest import Shell

SON_KIM_1, SON_KIM_2 = 18196, 18199


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> str:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return str(path)


def write_xlsx(path: Path, rows: list[list[Any]]) -> str:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return str(path)


def counts(database: Database) -> tuple[int, int, int]:
    """Villages, invites and audit entries: what an import may write."""
    with database.session() as session:
        return (
            session.exec(select(func.count()).select_from(Village)).one(),
            session.exec(select(func.count()).select_from(Invite)).one(),
            session.exec(select(func.count()).select_from(AuditEntry)).one(),
        )


def checked(shell: Shell, *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = shell("import", *argv, "--json")
    return code, json.loads(out)


def test_villages_checked_then_applied_and_the_same_file_again_changes_nothing(
    shell: Shell, database: Database, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "thon.csv",
        [["Mã xã", "Tên thôn"], ["18196", "Thôn 1"], ["18196", "thôn  Hà Tân"], ["18199", "Bản Nà Sang"]],
    )
    before = counts(database)
    code, result = checked(shell, "villages", path)
    assert code == 0 and result["valid"] and not result["applied"] and result["changes"] == {"new": 3, "existing": 0}
    assert counts(database) == before  # only checked
    code, result = checked(shell, "villages", path, "--apply")
    assert code == 0 and result["applied"] and result["rows"] == 3
    with database.session() as session:
        names = session.exec(select(Village.commune_code, Village.name).order_by(Village.id)).all()
    assert names == [(SON_KIM_1, "Thôn 1"), (SON_KIM_1, "Thôn Hà Tân"), (SON_KIM_2, "Bản Nà Sang")]
    after = counts(database)
    code, result = checked(shell, "villages", path, "--apply")
    assert code == 0 and result["changes"] == {"new": 0, "existing": 3} and counts(database) == after


def test_english_headers_and_communes_named_within_a_province(shell: Shell, database: Database, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "villages.xlsx",
        [["Commune", "Village name"], ["Sơn Kim 1", "Thôn 1"], ["xa son kim 2", "Thôn 2"], [18196, "Thôn 3"]],
    )
    code, result = checked(shell, "villages", path, "--province", "42", "--apply")
    assert code == 0 and result["applied"] and result["changes"]["new"] == 3
    with database.session() as session:
        assert len(session.exec(select(Village).where(Village.commune_code == SON_KIM_2)).all()) == 1
    # Without the province, a commune's name cannot be looked up: asked for, never guessed.
    code, result = checked(shell, "villages", path)
    assert code == 1 and [(p["row"], p["problem"]) for p in result["problems"]] == [
        (2, "commune_needs_province"),
        (3, "commune_needs_province"),
    ]


def test_bad_village_rows_are_each_named_and_nothing_is_imported(
    shell: Shell, database: Database, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "thon.csv",
        [
            ["Xã", "Thôn"],
            ["18196", "Thôn 1"],
            ["99999", "Thôn 2"],
            ["18196", ""],
            ["", "", ""],  # an empty line is skipped, not a problem
            ["18196", "THÔN 1"],
            ["Sơn Kim 1", "Thôn 4"],
            ["18196", "Thôn 5"],
        ],
        delimiter=";",
    )
    before = counts(database)
    code, result = checked(shell, "villages", path, "--apply")
    assert code == 1 and not result["valid"] and not result["applied"]
    assert [(p["row"], p["problem"], p["value"]) for p in result["problems"]] == [
        (3, "unknown_commune", "99999"),
        (4, "empty_name", ""),
        (6, "duplicate_name", "THÔN 1"),
        (7, "commune_needs_province", "Sơn Kim 1"),
    ]
    assert result["problems"][0]["message"] == "Không tìm thấy xã «99999»."
    assert counts(database) == before  # not even the good rows
    code, out, err = shell("import", "villages", path, "--apply")
    assert code == 1 and "row 3: Không tìm thấy xã «99999»." in out and "Nothing imported" in err


def _villages(database: Database, clock: FixedClock) -> None:
    with database.session() as session:
        add_villages(session, SON_KIM_1, ["Thôn 1", "Thôn 2"], now=clock.now(), actor_id=None)


MEMBERS = [
    ["Xã", "Thôn", "Họ và tên", "Vai trò"],
    ["18196", "Thôn 1", "Nguyễn Văn An", "Tổ trưởng"],
    ["18196", "Thôn 1", "Trần Thị Bình", ""],
    ["18196", "thon 2", "Lê Văn Cường", "thành viên"],
]


def test_members_become_personal_invites_in_an_xlsx_and_a_second_import_changes_nothing(
    shell: Shell, chat: ChatDriver, database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    _villages(database, clock)
    path = write_xlsx(tmp_path / "to.xlsx", MEMBERS)
    out = tmp_path / "links.xlsx"
    code, result = checked(shell, "members", path)
    assert code == 0 and result["changes"] == {"new": 3, "renewed": 0, "unchanged": 0, "joined": 0}
    assert counts(database)[1] == 0
    code, result = checked(shell, "members", path, "--apply", "-o", str(out))
    assert code == 0 and result["applied"] and result["output"] == str(out)
    rows = [list(r) for r in load_workbook(io.BytesIO(out.read_bytes())).worksheets[0].iter_rows(values_only=True)]
    assert rows[0][:6] == ["Xã", "Thôn", "Họ tên", "Vai trò", "Mã mời", "Link"]
    assert [r[1:4] for r in rows[1:]] == [
        ["Thôn 1", "Nguyễn Văn An", "tổ trưởng tổ CNSCĐ"],
        ["Thôn 1", "Trần Thị Bình", "thành viên tổ CNSCĐ"],
        ["Thôn 2", "Lê Văn Cường", "thành viên tổ CNSCĐ"],
    ]
    links = {r[2]: (r[4], r[5]) for r in rows[1:]}
    code_an, link_an = links["Nguyễn Văn An"]
    # No bot is configured (the sandbox): the link names the sandbox's bot of the commune's province, Hà Tĩnh's.
    assert link_an == f"https://t.me/{HA_TINH_BOT.username}?start={code_an}"
    with database.session() as session:
        made = session.exec(select(Invite).order_by(Invite.invitee_name)).all()
    assert [(i.invitee_name, i.role, i.kind, i.max_uses) for i in made] == [
        ("Lê Văn Cường", "member", "personal", 1),
        ("Nguyễn Văn An", "team_lead", "personal", 1),
        ("Trần Thị Bình", "member", "personal", 1),
    ]
    after = counts(database)
    code, result = checked(shell, "members", path, "--apply", "-o", str(out))
    assert code == 0 and result["changes"] == {"new": 0, "renewed": 0, "unchanged": 3, "joined": 0}
    assert counts(database) == after
    again = [list(r) for r in load_workbook(io.BytesIO(out.read_bytes())).worksheets[0].iter_rows(values_only=True)]
    assert {r[2]: (r[4], r[5]) for r in again[1:]} == links  # the same links to send
    # An joins with their link: the team's list names them as the commune wrote it; a third import sees it.
    welcome = chat.say(9001, f"/start {code_an}", name="an.nguyen.92")
    assert "Chào mừng Nguyễn Văn An" in welcome[0].text
    with database.session() as session:
        member = session.exec(select(Member).where(Member.joined_with == code_an)).one()
    assert member.role == "team_lead" and member.display_name == "Nguyễn Văn An"
    code, result = checked(shell, "members", path, "--apply", "-o", str(out))
    assert result["changes"] == {"new": 0, "renewed": 0, "unchanged": 2, "joined": 1} and counts(database)[1] == 3


def test_bad_member_rows_are_each_named_and_nothing_is_imported(
    shell: Shell, database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    _villages(database, clock)
    path = write_csv(
        tmp_path / "to.csv",
        [
            ["commune_code", "village", "name", "role"],
            ["18196", "Thôn 1", "Nguyễn Văn An", "team lead"],
            ["18196", "Thôn 9", "Trần Thị Bình", ""],
            ["18196", "Thôn 1", "", "member"],
            ["18196", "Thôn 1", "nguyen van an", ""],
            ["18196", "Thôn 2", "Lê Văn Cường", "phó chủ tịch"],
            ["12345", "Thôn 2", "Phạm Thị Dung", ""],
            ["18196", "", "Hoàng Văn Em", ""],
        ],
    )
    before = counts(database)
    code, result = checked(shell, "members", path, "--apply")
    assert code == 1 and not result["applied"]
    assert [(p["row"], p["problem"]) for p in result["problems"]] == [
        (3, "unknown_village"),
        (4, "empty_name"),
        (5, "duplicate_name"),
        (6, "unknown_role"),
        (7, "unknown_commune"),
        (8, "empty_village"),
    ]
    assert counts(database) == before and not (tmp_path / "to-ma-moi.xlsx").exists()


@pytest.mark.parametrize(
    "header, value",
    [
        ("Số điện thoại", "0912 345 678"),
        ("Ghi chú", "0912345678"),
        ("CCCD", "042195001234"),
        ("Ghi chú", "+84912345678"),
    ],
)
def test_a_column_of_phone_or_id_numbers_is_refused_whole(
    shell: Shell, database: Database, clock: FixedClock, tmp_path: Path, header: str, value: str
) -> None:
    _villages(database, clock)
    path = write_xlsx(
        tmp_path / "to.xlsx", [["Xã", "Thôn", "Họ tên", header], ["18196", "Thôn 1", "Nguyễn Văn An", value]]
    )
    before = counts(database)
    code, result = checked(shell, "members", path, "--apply")
    assert code == 1 and result["refused"]["column"] == header and "Nghị định 13/2023" in result["refused"]["message"]
    assert result["problems"] == [] and not result["applied"] and counts(database) == before
    code, _, err = shell("import", "members", path, "--apply")
    assert code == 1 and f"«{header}»" in err


def test_a_file_that_is_not_a_spreadsheet_is_refused(shell: Shell, tmp_path: Path) -> None:
    pdf = tmp_path / "to.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    code, out, _ = shell("import", "villages", str(pdf), "--json")
    assert code == 1 and json.loads(out)["error"] == "file_kind"
    broken = tmp_path / "to.xlsx"
    broken.write_bytes(b"not a workbook")
    assert json.loads(shell("import", "villages", str(broken), "--json")[1])["error"] == "file_unreadable"
    latin = tmp_path / "to.csv"
    latin.write_bytes("Xã,Thôn\n18196,Thôn 1\n".encode("latin-1"))  # an old single-byte export
    assert json.loads(shell("import", "villages", str(latin), "--json")[1])["error"] == "file_encoding"
