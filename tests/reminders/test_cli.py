"""`bdhvs reminders preview --at ISO_DATETIME --json`: a public contract, read from the current database."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import select

from bot.cli import main
from storage.db import Database
from storage.models import OutboxMessage
from tests.reminders.conftest import Area


def run_preview(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert main(["reminders", "preview", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_preview_prints_rule_channel_chat_and_text_without_sending(
    database: Database, area: Area, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BDHVS_DATABASE_URL", database.url)
    monkeypatch.delenv("BDHVS_CONFIG", raising=False)
    area.log_session("Thôn 1", dt.date(2026, 11, 24))
    rows = run_preview(capsys, "--at", "2026-11-26T19:00:00+07:00", "--json")
    assert {(r["rule"], r["channel"], r["chat_id"]) for r in rows} == {
        ("weekly_session", "telegram", area.chat(n)) for n in ("mem2", "lead3", "mem_st")
    }
    first = next(r for r in rows if r["chat_id"] == area.chat("mem2"))
    assert "Thôn 2 chưa ghi buổi sinh hoạt" in first["text"]
    assert first["recipient"] == {
        "member_id": area.people["mem2"],
        "name": "Anh Tuấn",
        "role": "member",
        "locale": "vi",
        "area": "Thôn 2, Xã Sơn Kim 1",
    }
    assert first["at"] == "2026-11-26T19:00:00+07:00" and first["queued"] is False
    # The same moment in UTC, or as a local time without an offset.
    assert run_preview(capsys, "--at", "2026-11-26T12:00:00Z", "--json") == rows
    assert run_preview(capsys, "--at", "2026-11-26T19:00", "--json") == rows
    assert run_preview(capsys, "--at", "2026-11-26T22:00:00+07:00", "--json") == []  # quiet hours
    with database.session() as session:
        assert session.exec(select(OutboxMessage)).first() is None  # nothing was sent or queued
    assert main(["reminders", "preview", "--at", "2026-11-29T20:00:00+07:00"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 reminder(s) due at 2026-11-29 20:00") and "[weekly_summary]" in out


def test_preview_refuses_a_bad_moment(
    database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BDHVS_DATABASE_URL", database.url)
    assert main(["reminders", "preview", "--at", "thursday evening", "--json"]) == 2
    assert "--at" in capsys.readouterr().err
