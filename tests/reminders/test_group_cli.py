"""`bdhvs groups list --commune CODE --json`, `bdhvs groups delivery --commune CODE group|direct|both` and
`bdhvs reminders preview` listing the reminders to group chats with the group's chat id."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlmodel import select

from bot.cli import main
from storage import groups
from storage.db import Database
from storage.models import AuditEntry
from tests.reminders.conftest import SON_KIM_1, SONG_TRI, Area
from tests.reminders.test_group_planner import COMMUNE_GROUP, THON1_GROUP, THON2_GROUP, THON3_ZALO, bound  # noqa: F401


@pytest.fixture(autouse=True)
def configured(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BDHVS_DATABASE_URL", database.url)
    monkeypatch.delenv("BDHVS_CONFIG", raising=False)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_groups_list_names_each_bound_group_with_its_area(
    database: Database,
    bound: Area,  # noqa: F811  # the fixture imported above
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = run_json(capsys, "groups", "list", "--commune", str(SON_KIM_1), "--json")
    keys = ("channel", "chat_id", "title", "commune", "village")
    assert rows == [
        dict(zip(keys, row, strict=True))
        for row in [
            ("telegram", COMMUNE_GROUP, "CNSCĐ Xã Sơn Kim 1", SON_KIM_1, None),
            ("telegram", THON1_GROUP, "Tổ CNSCĐ Thôn 1", SON_KIM_1, "Thôn 1"),
            ("telegram", THON2_GROUP, "Tổ CNSCĐ Thôn 2", SON_KIM_1, "Thôn 2"),
            ("zalo", THON3_ZALO, "Tổ CNSCĐ Thôn 3", SON_KIM_1, "Thôn 3"),
        ]
    ]
    assert run_json(capsys, "groups", "list", "--commune", str(SONG_TRI), "--json") == []
    with database.session() as session:
        groups.bot_removed(session, "telegram", THON1_GROUP, dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    listed = run_json(capsys, "groups", "list", "--commune", str(SON_KIM_1), "--json")
    assert THON1_GROUP not in {r["chat_id"] for r in listed}  # the bot was removed: no longer bound
    assert main(["groups", "list", "--commune", str(SON_KIM_1)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 group chat(s) bound") and "telegram:-1002  «Tổ CNSCĐ Thôn 2»  Xã Sơn Kim 1 / Thôn 2" in out
    assert main(["groups", "list", "--commune", "99999", "--json"]) == 1  # no such commune: refused
    assert "99999" in capsys.readouterr().err


def test_groups_delivery_sets_the_communes_choice_and_the_reminders_follow(
    database: Database,
    bound: Area,  # noqa: F811  # the fixture imported above
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["groups", "delivery", "--commune", str(SON_KIM_1)]) == 0
    assert "default: to the area's group chats" in capsys.readouterr().out
    preview = ["reminders", "preview", "--at", "2026-11-26T19:00:00+07:00", "--json"]
    rows = run_json(capsys, *preview)
    assert {(r["channel"], r["chat_id"], r["group"]) for r in rows} == {
        ("telegram", THON2_GROUP, True),
        ("zalo", THON3_ZALO, True),
        ("telegram", bound.chat("mem_st"), False),
    }
    thon2 = next(r for r in rows if r["chat_id"] == THON2_GROUP)
    assert thon2["recipient"] == {
        "member_id": None,
        "name": "Tổ CNSCĐ Thôn 2",
        "role": "group",
        "locale": "vi",
        "area": "Thôn 2, Xã Sơn Kim 1",
    }
    assert thon2["idempotency_key"].endswith(":g:telegram:-1002") and thon2["queued"] is False
    assert main(["groups", "delivery", "--commune", str(SON_KIM_1), "direct"]) == 0
    assert "to each person privately, not to the group chats" in capsys.readouterr().out
    assert not any(r["group"] for r in run_json(capsys, *preview))
    assert main(["groups", "delivery", "--commune", str(SON_KIM_1), "both"]) == 0
    capsys.readouterr()
    assert len([r for r in run_json(capsys, *preview) if r["group"]]) == 2
    with database.session() as session:
        assert groups.delivery_choice(session, SON_KIM_1) == "both"
        entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "communesetting")).all()[-1]
        assert entry.actor_id is None and entry.after == {"reminder_delivery": "both"}
    with pytest.raises(SystemExit):
        main(["groups", "delivery", "--commune", str(SON_KIM_1), "everyone"])  # argparse refuses it
    assert main(["reminders", "preview", "--at", "2026-11-26T19:00:00+07:00"]) == 0
    assert "telegram:-1002 — group «Tổ CNSCĐ Thôn 2» (Thôn 2, Xã Sơn Kim 1)" in capsys.readouterr().out
