"""A province's programmes, targets and own indicators, and a village's households: storage rules, the audit
trail and the `bdhvs programme|indicator` commands, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import Session, select

from bot.cli import main
from storage import province_indicators
from storage.areas import add_villages, set_households
from storage.db import Database
from storage.errors import DomainError
from storage.models import AuditEntry, Member, Village
from storage.programmes import provinces
from tests.conftest import VN

HA_TINH, QUANG_NGAI, SON_KIM_1 = 42, 51, 18196
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN).astimezone(dt.UTC)


def person(session: Session, role: str, province: int = HA_TINH, commune: int | None = None) -> Member:
    member = Member(display_name="Người thử", role=role, province_code=province, commune_code=commune, created_at=NOW)
    session.add(member)
    session.flush()
    return member


def audited(session: Session, entity: str) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.entity == entity)))


def test_a_province_viewer_turns_programmes_on_and_sets_targets(database: Database) -> None:
    with database.session() as session:
        viewer = person(session, "province_viewer")
        assert provinces.enabled_programmes(session, HA_TINH) == []
        assert provinces.enable(session, actor=viewer, province_code=HA_TINH, programme_id="gia_dinh_so", now=NOW)
        assert not provinces.enable(session, actor=viewer, province_code=HA_TINH, programme_id="gia_dinh_so", now=NOW)
        assert provinces.target_of(session, HA_TINH, "gia_dinh_so", 2026) == 100.0  # the plan's own figure
        provinces.set_target(
            session, actor=viewer, province_code=HA_TINH, programme_id="gia_dinh_so", year=2026, value=90, now=NOW
        )
        assert provinces.target_of(session, HA_TINH, "gia_dinh_so", 2026) == 90.0
        assert provinces.target_of(session, HA_TINH, "gia_dinh_so", 2027) == 100.0
        assert [p.id for p in provinces.enabled_programmes(session, HA_TINH)] == ["gia_dinh_so"]
        assert provinces.disable(session, actor=viewer, province_code=HA_TINH, programme_id="gia_dinh_so", now=NOW)
        assert provinces.enabled_programmes(session, HA_TINH) == []
        provinces.enable(session, actor=viewer, province_code=HA_TINH, programme_id="gia_dinh_so", now=NOW)
        assert provinces.target_of(session, HA_TINH, "gia_dinh_so", 2026) == 90.0  # kept while it was off
        assert [e.action for e in audited(session, "province_programme")] == ["create", "update", "update"]
        assert [e.after["value"] for e in audited(session, "programme_target")] == [90.0]  # type: ignore[index]


def test_who_may_change_a_province_s_programmes(database: Database) -> None:
    with database.session() as session:
        other_viewer = person(session, "province_viewer", province=QUANG_NGAI)
        admin = person(session, "commune_admin", commune=SON_KIM_1)
        for actor in (other_viewer, admin):
            with pytest.raises(DomainError) as refused:
                provinces.enable(session, actor=actor, province_code=HA_TINH, programme_id="dai_su_so", now=NOW)
            assert refused.value.code == "programme_not_allowed"
        with pytest.raises(DomainError) as unknown:
            provinces.enable(session, actor=None, province_code=HA_TINH, programme_id="nope", now=NOW)
        assert unknown.value.code == "unknown_programme"
        with pytest.raises(DomainError) as off:
            provinces.set_target(
                session, actor=None, province_code=HA_TINH, programme_id="dai_su_so", year=2026, value=10, now=NOW
            )
        assert off.value.code == "programme_not_enabled"


def test_targets_are_read_by_the_programme_s_rule() -> None:
    family, mentors = provinces.get_programme("gia_dinh_so"), provinces.get_programme("dai_su_so")
    assert provinces.parse_target(family, "80") == 80.0
    assert provinces.parse_target(family, " 92,5% ") == 92.5
    assert provinces.parse_target(mentors, "1.200") == 1200.0
    assert provinces.parse_target(mentors, "40") == 40.0
    for programme, text, code in (
        (family, "120%", "programme_target_percent"),
        (family, "0", "programme_target_percent"),
        (family, "-5", "programme_target_percent"),
        (family, "tám mươi", "programme_target_unreadable"),
        (family, "", "programme_target_unreadable"),
        (mentors, "12,5", "programme_target_count"),
        (mentors, "-3", "programme_target_count"),
        (mentors, "50%", "programme_target_not_count"),
        (mentors, "nhiều", "programme_target_unreadable"),
    ):
        with pytest.raises(DomainError) as refused:
            provinces.parse_target(programme, text)
        assert refused.value.code == code, text


def test_a_province_s_own_indicator_and_a_commune_s_figure(database: Database) -> None:
    with database.session() as session:
        _row, added = province_indicators.add_indicator(
            session, province_code=HA_TINH, indicator_id="cho_khong_tien_mat", name="Chợ không dùng tiền mặt",
            unit="markets", target=10, now=NOW,
        )  # fmt: skip
        assert added
        admin = person(session, "commune_admin", commune=SON_KIM_1)
        province_indicators.set_value(
            session, actor=admin, commune_code=SON_KIM_1, month=dt.date(2026, 11, 3),
            indicator_id="cho_khong_tien_mat", value=3, now=NOW,
        )  # fmt: skip
        figures = province_indicators.values(session, SON_KIM_1, dt.date(2026, 11, 1))
        assert figures["cho_khong_tien_mat"].value == 3
        assert province_indicators.indicators_for_commune(session, 26506) == []  # another province has none
        with pytest.raises(DomainError) as elsewhere:
            province_indicators.set_value(
                session, actor=None, commune_code=26506, month=dt.date(2026, 11, 1),
                indicator_id="cho_khong_tien_mat", value=3, now=NOW,
            )  # fmt: skip
        assert elsewhere.value.code == "unknown_own_indicator"
        for indicator_id, code in (
            ("adults_vneid_confirmed", "own_indicator_national_id"),
            ("Chợ", "own_indicator_bad_id"),
        ):
            with pytest.raises(DomainError) as refused:
                province_indicators.add_indicator(
                    session, province_code=HA_TINH, indicator_id=indicator_id, name="x", unit="chợ", now=NOW
                )
            assert refused.value.code == code
        assert [e.entity for e in audited(session, "province_indicator")] == ["province_indicator"]
        assert len(audited(session, "province_indicator_value")) == 1


def test_own_values_are_read_from_a_line() -> None:
    own = [
        province_indicators.ProvinceIndicator(
            province_code=HA_TINH, indicator="cho_khong_tien_mat", name="Chợ không dùng tiền mặt", unit="markets",
            created_at=NOW, updated_at=NOW,
        )
    ]  # fmt: skip
    found, rest = province_indicators.parse_values("cho khong dung tien mat 12 chợ, vneid 1234/5000", own)
    assert [(i.indicator, n) for i, n in found] == [("cho_khong_tien_mat", "12")] and rest == "vneid 1234/5000"
    found, rest = province_indicators.parse_values("tháng 10 chợ không dùng tiền mặt 4", own)
    assert [(i.indicator, n) for i, n in found] == [("cho_khong_tien_mat", "4")] and rest == ""
    assert province_indicators.parse_values("chợ 4", own) == ([], "chợ 4")  # part of a name names nothing
    found, rest = province_indicators.parse_values("cho_khong_tien_mat: 2,5", own)
    assert [n for _i, n in found] == ["2,5"] and rest == ""
    assert province_indicators.parse_values("vneid 1234/5000", []) == ([], "vneid 1234/5000")
    assert province_indicators.read_count("1.200") == 1200
    for typed, code in (
        ("2,5", "own_indicator_not_whole"),
        ("-3", "own_indicator_not_whole"),
        ("ba", "own_indicator_not_count"),
    ):
        with pytest.raises(DomainError) as refused:
            province_indicators.read_count(typed)
        assert refused.value.code == code


def test_a_village_s_households_are_whole_and_audited(database: Database) -> None:
    with database.session() as session:
        (village,), _ = add_villages(session, SON_KIM_1, ["Thôn 2"], now=NOW, actor_id=None)
        assert village.households is None
        set_households(session, SON_KIM_1, village.id or 0, 120, now=NOW, actor_id=None)
        for wrong in (0, -3, 100_001):
            with pytest.raises(DomainError) as refused:
                set_households(session, SON_KIM_1, village.id or 0, wrong, now=NOW, actor_id=None)
            assert refused.value.code == "households_invalid"
        with pytest.raises(DomainError):
            set_households(session, 18199, village.id or 0, 10, now=NOW, actor_id=None)  # not that commune's
        entries = [e for e in audited(session, "village") if e.action == "update"]
        assert [(e.before, e.after) for e in entries] == [({"households": None}, {"households": 120})]
    with database.session() as session:
        stored = session.get(Village, village.id)
        assert stored is not None and stored.households == 120


# The command line ---------------------------------------------------------------------------------


@pytest.fixture
def bdhvs(database: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("BDHVS_DATABASE_URL", database.url)
    monkeypatch.delenv("BDHVS_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("BDHVS_CONFIG", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_programme_commands(bdhvs) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = bdhvs("programme", "list", "--province", "51", "--year", "2026", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 7 and not any(r["enabled"] for r in rows)
    assert set(rows[0]) == {"id", "name", "name_en", "unit", "rule", "entered_by", "enabled", "year", "target"}
    code, out, _ = bdhvs("programme", "enable", "--province", "51", "dai_su_so", "--target", "40", "--year", "2026")
    assert code == 0 and out.splitlines() == ["dai_su_so: turned on for province 51", "dai_su_so: target 2026 = 40"]
    code, out, _ = bdhvs("programme", "enable", "--province", "51", "gia_dinh_so")
    assert code == 0 and out.strip() == "gia_dinh_so: turned on for province 51"
    code, _, err = bdhvs("programme", "enable", "--province", "51", "gia_dinh_so", "--target", "150%")
    assert code == 1 and "(programme_target_percent)" in err
    code, _, err = bdhvs("programme", "enable", "--province", "51", "dai_su_so", "--target", "5,5")
    assert code == 1 and "(programme_target_count)" in err
    code, _, err = bdhvs("programme", "enable", "--province", "51", "nope")
    assert code == 1 and "(unknown_programme)" in err
    code, _, err = bdhvs("programme", "list", "--province", "999")
    assert code == 1 and "(unknown_province)" in err
    code, out, _ = bdhvs("programme", "list", "--province", "51", "--year", "2026", "--json")
    by_id = {r["id"]: r for r in json.loads(out)}
    assert by_id["dai_su_so"]["enabled"] and by_id["dai_su_so"]["target"] == 40.0
    assert by_id["gia_dinh_so"]["enabled"] and by_id["gia_dinh_so"]["target"] == 100.0
    assert by_id["cho_so_4t"] == {
        "id": "cho_so_4t", "name": "Chợ số – Nông thôn số (4T)", "name_en": "Digital market – digital countryside (4T)",
        "unit": "traders", "rule": "count", "entered_by": "both", "enabled": False, "year": 2026, "target": None,
    }  # fmt: skip
    code, out, _ = bdhvs("programme", "list", "--province", "51", "--year", "2026")
    assert code == 0 and "[on] dai_su_so: Đại sứ số (people, per_mentor, target 40)" in out
    code, out, _ = bdhvs("programme", "disable", "--province", "51", "dai_su_so")
    assert code == 0 and out.strip() == "dai_su_so: turned off for province 51"
    code, out, _ = bdhvs("programme", "disable", "--province", "51", "dai_su_so")
    assert out.strip() == "dai_su_so: already off for province 51"


def test_indicator_commands(bdhvs) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = bdhvs("indicator", "list", "--province", "24", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = bdhvs(
        "indicator", "add", "--province", "24", "--id", "cho_khong_tien_mat", "--name", "Chợ không dùng tiền mặt",
        "--name-en", "Cashless markets", "--unit", "markets", "--target", "12",
    )  # fmt: skip
    assert code == 0 and out.strip() == "cho_khong_tien_mat: added for province 24"
    code, out, _ = bdhvs(
        "indicator", "add", "--province", "24", "--id", "cho_khong_tien_mat", "--name", "Chợ KDTM", "--unit", "chợ"
    )
    assert code == 0 and out.strip() == "cho_khong_tien_mat: updated for province 24"
    code, out, _ = bdhvs("indicator", "list", "--province", "24", "--json")
    assert json.loads(out) == [
        {"id": "cho_khong_tien_mat", "name": "Chợ KDTM", "name_en": None, "unit": "chợ", "target": None}
    ]
    code, _, err = bdhvs(
        "indicator", "add", "--province", "24", "--id", "vneid_level2_activated", "--name", "x", "--unit", "người"
    )
    assert code == 1 and "(own_indicator_national_id)" in err
    code, out, _ = bdhvs("indicator", "list", "--province", "24")
    assert out.splitlines() == ["1 own indicator(s) of province 24", "cho_khong_tien_mat: Chợ KDTM (chợ)"]
