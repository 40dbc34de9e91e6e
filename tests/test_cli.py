"""The `bdhvs` command line: invites, villages, export, parse, and clear errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture
def db_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("BDHVS_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("BDHVS_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("BDHVS_CONFIG", raising=False)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_invite_create_prints_code_and_deep_link(db_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "invite", "create", "--commune", "18196", "--role", "commune_admin", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["code"]) == 8
    assert data["link"] == f"https://t.me/bdhvs_hatinh_bot?start={data['code']}"
    assert data["expires_at"].endswith("+07:00"), "times in the deployment's zone, as `invite list` gives them"
    code, out, _ = run(capsys, "invite", "create", "--province", "42", "--role", "province_viewer", "--json")
    assert code == 0 and json.loads(out)["role"] == "province_viewer"


def test_village_invites_need_an_existing_village(db_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "invite", "create", "--commune", "18196", "--role", "member", "--village", "Thôn 9")
    assert code == 1 and "Thôn 9" in err
    code, out, _ = run(capsys, "village", "add", "--commune", "18196", "Thôn 9", "thon 9", "Bản Nà Sang")
    assert code == 0 and out.splitlines() == ["added: Thôn 9", "added: Bản Nà Sang"]
    code, out, _ = run(capsys, "village", "add", "--commune", "18196", "THÔN 9")
    assert out.strip() == "exists: Thôn 9"
    code, out, _ = run(
        capsys, "invite", "create", "--commune", "18196", "--role", "member", "--village", "thon 9", "--json"
    )
    assert code == 0 and json.loads(out)["code"]


def test_unknown_commune_is_refused_clearly(db_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "invite", "create", "--commune", "99999", "--role", "commune_admin")
    assert code == 1 and "99999" in err


def test_export_json_and_csv_of_an_empty_commune(db_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export", "--commune", "18196", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["sessions"] == [] and data["help_records"] == []
    assert data["commune"] == {"code": 18196, "name": "Xã Sơn Kim 1"}
    code, out, _ = run(capsys, "export", "--commune", "18196", "--format", "csv")
    assert next(csv.reader(io.StringIO(out)))[:4] == ["record", "id", "date", "village"]


def test_parse_prints_the_public_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "parse", "--today", "2026-11-25", "hom qua thon 3 hoc VNeID 23 nguoi")
    assert code == 0 and json.loads(out) == {
        "intent": "log",
        "date": "2026-11-24",
        "village": "Thôn 3",
        "session": {"topics": ["vneid"], "attendees": 23},
        "help": [],
        "problems": [],
        "unreadable": [],
    }


def test_a_wrong_setting_stops_with_one_line(
    db_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BDHVS_WEB_PORT", "abc")
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 2 and err.count("\n") == 1 and "BDHVS_WEB_PORT" in err


def test_invite_list_shows_live_codes_and_revoke_is_audited(db_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sqlmodel import select

    from storage.db import Database
    from storage.models import AuditEntry

    run(capsys, "village", "add", "--commune", "18196", "Thôn 2")
    member = json.loads(
        run(
            capsys,
            "invite",
            "create",
            "--commune",
            "18196",
            "--role",
            "member",
            "--village",
            "Thôn 2",
            "--uses",
            "30",
            "--days",
            "7",
            "--json",
        )[1]
    )["code"]
    leader = json.loads(run(capsys, "invite", "create", "--commune", "18196", "--role", "commune_leader", "--json")[1])[
        "code"
    ]
    json.loads(run(capsys, "invite", "create", "--commune", "18199", "--role", "commune_leader", "--json")[1])
    code, out, _ = run(capsys, "invite", "list", "--commune", "18196", "--json")
    rows = {row["code"]: row for row in json.loads(out)}
    assert code == 0 and set(rows) == {member, leader}
    assert rows[member]["role"] == "member" and rows[member]["village"] == "Thôn 2"
    assert rows[member]["uses_left"] == 30 and rows[member]["expires_at"].endswith("+07:00")
    assert rows[leader]["village"] is None and rows[leader]["uses_left"] == 1
    code, out, _ = run(capsys, "invite", "list", "--commune", "18196")
    assert code == 0 and member in out and "Thôn 2" in out and out.strip().endswith("2 active invite code(s)")
    code, out, _ = run(capsys, "invite", "list", "--province", "42", "--json")
    assert len(json.loads(out)) == 3  # every commune of Hà Tĩnh

    code, out, _ = run(capsys, "invite", "revoke", member.lower())
    assert code == 0 and out.startswith(f"revoked: {member}")
    code, _, err = run(capsys, "invite", "revoke", member)
    assert code == 1 and "invite_already_revoked" in err
    code, _, err = run(capsys, "invite", "revoke", "ZZZZ9999")
    assert code == 1 and "invite_not_found" in err
    code, out, _ = run(capsys, "invite", "list", "--commune", "18196", "--json")
    assert [row["code"] for row in json.loads(out)] == [leader]
    database = Database(f"sqlite:///{db_env}")
    with database.session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "revoke")).one()
        assert entry.entity_id == member and entry.actor_id is None and entry.after == {"revoked": True, "via": "shell"}
    database.dispose()
    code, _, err = run(capsys, "invite", "list")
    assert code == 2 and "--commune" in err
