"""Scope on the server: every page and download checks the person's role and area (401, 403, 404, 200)."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from sqlmodel import select

from bot.clock import FixedClock
from storage.db import Database
from storage.models import Commune
from tests.reports.conftest import (
    ADMIN,
    ADMIN_2,
    HA_TINH,
    LEADER,
    MEMBER,
    OTHER_LEADER,
    OTHER_PROVINCE,
    OTHER_VIEWER,
    SON_KIM_1,
    SON_KIM_2,
    VIEWER,
    Month,
)
from tests.web.conftest import sign_in

# What each person may open: the pages' keys (see `addresses`) answered 200; every other one is 403.
ALLOWED = {
    ADMIN: {"commune_1", "village_1", "village_2", "commune_1_xlsx", "commune_1_csv"},
    LEADER: {"commune_1", "village_1", "village_2", "commune_1_xlsx", "commune_1_csv"},
    MEMBER: {"village_2"},
    ADMIN_2: {"commune_2", "village_trung"},
    OTHER_LEADER: {"commune_2", "village_trung"},
    VIEWER: {
        "province",
        "province_csv",
        "province_xlsx",
        "commune_1",
        "commune_2",
        "village_1",
        "village_2",
        "village_trung",
        "commune_1_xlsx",
        "commune_1_csv",
    },
    OTHER_VIEWER: {"other_province", "other_commune"},
}
# Words of each page that must never show on a refusal.
SECRETS = ("Thôn 1", "Thôn Trung", "Xã Sơn Kim")


def addresses(database: Database, month: Month) -> dict[str, str]:
    with database.session() as session:
        other = session.exec(select(Commune).where(Commune.province_code == OTHER_PROVINCE)).first()
        assert other is not None
    v = month.villages
    return {
        "province": f"/web/province/{HA_TINH}?month=2026-10",
        "province_csv": f"/web/province/{HA_TINH}/report.csv?month=2026-10",
        "province_xlsx": f"/web/province/{HA_TINH}/report.xlsx?month=2026-10",
        "other_province": f"/web/province/{OTHER_PROVINCE}",
        "commune_1": f"/web/commune/{SON_KIM_1}?month=2026-10",
        "commune_1_xlsx": f"/web/commune/{SON_KIM_1}/report.xlsx?month=2026-10",
        "commune_1_csv": f"/web/commune/{SON_KIM_1}/report.csv?month=2026-10",
        "commune_2": f"/web/commune/{SON_KIM_2}?quarter=2026-4",
        "other_commune": f"/web/commune/{other.code}",
        "village_1": f"/web/village/{v['Thôn 1']}?month=2026-10",
        "village_2": f"/web/village/{v['Thôn 2']}?quarter=2026-4",
        "village_trung": f"/web/village/{v['Thôn Trung']}",
    }


@pytest.mark.parametrize("person", list(ALLOWED))
async def test_each_role_sees_its_own_area_only(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock, person: int
) -> None:
    await sign_in(client, database, month.members[person], web_clock)
    seen = {}
    for key, address in addresses(database, month).items():
        response = await client.get(address, allow_redirects=False)
        body = await response.read()
        seen[key] = response.status
        if response.status == 403:
            text = body.decode()
            assert not any(word in text for word in SECRETS), (key, text)
    assert seen == {key: 200 if key in ALLOWED[person] else 403 for key in seen}


async def test_nobody_signed_in_is_told_to_ask_the_bot(client: TestClient, database: Database, month: Month) -> None:
    for address in [*addresses(database, month).values(), "/web"]:
        response = await client.get(address, allow_redirects=False)
        text = await response.text()
        assert response.status == 401, address
        assert "/web" in text and "Thôn" not in text and "Sơn Kim" not in text


async def test_a_forged_cookie_is_not_signed_in(client: TestClient, database: Database, month: Month) -> None:
    client.session.cookie_jar.update_cookies({"bdhvs_web": "A" * 43})
    assert (await client.get(f"/web/commune/{SON_KIM_1}")).status == 401


async def test_unknown_areas_and_periods(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[VIEWER], web_clock)
    assert (await client.get("/web/commune/99999999")).status == 404
    assert (await client.get("/web/village/99999999")).status == 404
    for bad in ("month=2026-13", "month=nov", "quarter=2026-5"):
        assert (await client.get(f"/web/commune/{SON_KIM_1}?{bad}")).status == 400, bad
    assert (await client.get(f"/web/commune/{SON_KIM_1}/report.csv?quarter=2026-4")).status == 400


@pytest.mark.parametrize(
    ("person", "home"),
    [
        (ADMIN, f"/web/commune/{SON_KIM_1}"),
        (LEADER, f"/web/commune/{SON_KIM_1}"),
        (MEMBER, "/web/village/{village}"),
        (VIEWER, f"/web/province/{HA_TINH}"),
    ],
)
async def test_web_sends_each_person_to_their_own_area(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock, person: int, home: str
) -> None:
    await sign_in(client, database, month.members[person], web_clock)
    response = await client.get("/web", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == home.format(village=month.villages["Thôn 2"])
