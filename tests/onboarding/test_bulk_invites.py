"""`bdhvs invite bulk`: one invite per commune of a province in an XLSX, kept (not made again) when re-run."""

from __future__ import annotations

import io
import json
from pathlib import Path

from openpyxl import load_workbook
from sqlmodel import select

from storage.db import Database
from storage.models import Invite
from tests.chat import ChatDriver
from tests.onboarding.conftest import Shell

HA_TINH = 42  # 69 communes


def _sheet(path: Path) -> list[list[object]]:
    workbook = load_workbook(io.BytesIO(path.read_bytes()))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def test_one_invite_per_commune_and_a_second_run_makes_none(shell: Shell, database: Database, tmp_path: Path) -> None:
    out = tmp_path / "ha-tinh.xlsx"
    code, text, _ = shell("invite", "bulk", "--province", "42", "--role", "commune_admin", "-o", str(out), "--json")
    first = json.loads(text)
    assert code == 0 and first["communes"] == 69 and first["new"] == 69 and first["kept"] == 0
    rows = _sheet(out)
    assert rows[0] == ["Mã xã", "Tên xã", "Vai trò", "Mã mời", "Link", "Hạn dùng", "Ghi chú"]
    son_kim = next(r for r in rows[1:] if r[0] == 18196)
    assert son_kim[1] == "Xã Sơn Kim 1" and son_kim[2] == "cán bộ xã phụ trách" and len(str(son_kim[3])) == 8
    assert len(rows) == 70 and len({r[3] for r in rows[1:]}) == 69
    with database.session() as session:
        made = session.exec(select(Invite).where(Invite.role == "commune_admin")).all()
        assert len(made) == 69 and {i.max_uses for i in made} == {1} and {i.kind for i in made} == {"personal"}

    again = json.loads(
        shell("invite", "bulk", "--province", "42", "--role", "commune_admin", "-o", str(out), "--json")[1]
    )
    assert again["new"] == 0 and again["kept"] == 69
    assert {i["code"] for i in again["invites"]} == {i["code"] for i in first["invites"]}
    with database.session() as session:
        assert len(session.exec(select(Invite).where(Invite.role == "commune_admin")).all()) == 69


def test_a_used_invite_is_replaced_for_that_commune_only(
    shell: Shell, chat: ChatDriver, database: Database, tmp_path: Path
) -> None:
    out = tmp_path / "ha-tinh.xlsx"
    first = json.loads(
        shell("invite", "bulk", "--province", "42", "--role", "commune_admin", "-o", str(out), "--json")[1]
    )
    son_kim = next(i for i in first["invites"] if i["commune"] == 18196)
    assert "Chào mừng" in chat.say(7001, f"/start {son_kim['code']}", name="Chị Lan")[0].text
    again = json.loads(
        shell("invite", "bulk", "--province", "42", "--role", "commune_admin", "-o", str(out), "--json")[1]
    )
    assert again["new"] == 1 and again["kept"] == 68
    renewed = next(i for i in again["invites"] if i["commune"] == 18196)
    assert renewed["code"] != son_kim["code"] and not renewed["kept"]
    # Leaders are another role: their own set.
    leaders = json.loads(
        shell("invite", "bulk", "--province", "42", "--role", "commune_leader", "-o", str(out), "--json")[1]
    )
    assert leaders["new"] == 69


def test_an_unknown_province_is_refused(shell: Shell, tmp_path: Path) -> None:
    code, _, err = shell(
        "invite", "bulk", "--province", "99", "--role", "commune_admin", "-o", str(tmp_path / "x.xlsx")
    )
    assert code == 1 and "unknown_province" in err and not (tmp_path / "x.xlsx").exists()
