"""Spot checks (kiểm tra đột xuất) on the leaders' pages: who may draw, the sample kept to the commune, the CSRF
token, another commune's checks refused, the verdicts audited and the team lead told exactly once."""

from __future__ import annotations

import datetime as dt
import re

from aiohttp.test_utils import TestClient
from sqlmodel import col, select

from bot.clock import FixedClock
from storage.db import Database
from storage.models import AuditEntry, Member, OutboxMessage, SpotCheck, TrainingSession
from storage.supervision import spot_checks
from tests.reports.conftest import ADMIN, ADMIN_2, LEADER, MEMBER, SON_KIM_1, SON_KIM_2, VIEWER, Month, add_member
from tests.web.conftest import sign_in
from tests.web.test_supervision import d, enter

LEAD = 5010
BASE = f"/web/commune/{SON_KIM_1}/spot-check"


def token_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


async def page_token(client: TestClient, base: str = BASE) -> str:
    response = await client.get(base)
    assert response.status == 200
    return token_of(await response.text())


def checks(database: Database, commune: int) -> list[tuple[int, int]]:
    """(check id, session id) of the commune's spot checks."""
    with database.session() as session:
        rows = session.exec(select(SpotCheck).where(SpotCheck.commune_code == commune).order_by(col(SpotCheck.id)))
        return [(row.id or 0, row.session_id) for row in rows]


def audit_actions(database: Database) -> list[str]:
    with database.session() as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.entity == "spot_check").order_by(col(AuditEntry.id)))
        return [row.action for row in rows]


def told(database: Database) -> list[OutboxMessage]:
    with database.session() as session:
        rows = list(session.exec(select(OutboxMessage).where(col(OutboxMessage.idempotency_key).like("spot_check:%"))))
        for row in rows:
            session.expunge(row)
        return rows


async def test_only_supervisors_of_the_commune_open_it(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    for who, status in ((MEMBER, 403), (LEADER, 403), (ADMIN_2, 403), (VIEWER, 200), (ADMIN, 200)):
        await sign_in(client, database, month.members[who], web_clock)
        assert (await client.get(BASE)).status == status, who
    assert (await client.get("/web/commune/99999/spot-check")).status == 404


async def test_a_draw_samples_only_the_communes_recent_sessions_and_needs_the_token(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    enter(database, month, ADMIN_2, "Thôn Trung", d(10), 10, d(10))  # Sơn Kim 2's: never in Sơn Kim 1's sample
    await sign_in(client, database, month.members[ADMIN], web_clock)
    token = await page_token(client)
    assert (await client.post(BASE, data={}, allow_redirects=False)).status == 403
    assert (await client.post(BASE, data={"csrf": "0" * 64}, allow_redirects=False)).status == 403
    assert checks(database, SON_KIM_1) == []
    response = await client.post(BASE, data={"csrf": token}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == BASE
    drawn = checks(database, SON_KIM_1)
    with database.session() as session:
        rows = [session.get(TrainingSession, entry_id) for _, entry_id in drawn]
        # 19/11 and 30 days back: Thôn 1 on 24/10, Thôn 2 on 31/10 and 01/11; October 3–10 are too old.
        assert sorted((r.commune_code, r.session_date) for r in rows if r) == [
            (SON_KIM_1, dt.date(2026, 10, 24)),
            (SON_KIM_1, dt.date(2026, 10, 31)),
            (SON_KIM_1, dt.date(2026, 11, 1)),
        ]
    assert audit_actions(database) == ["draw"]
    again = await client.post(BASE, data={"csrf": token}, allow_redirects=False)  # nothing left to draw
    assert again.headers["Location"] == BASE + "?drawn=0" and len(checks(database, SON_KIM_1)) == 3
    html = await (await client.get(BASE)).text()
    assert html.count('data-check="') == 3 and "Thôn 2, ngày 31/10/2026: 30 người dự" in html


async def test_a_questioned_session_is_told_to_the_lead_once(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    with database.session() as session:
        lead = add_member(
            session, LEAD, "team_lead", commune=SON_KIM_1, village=month.villages["Thôn 2"], name="Anh Tổ"
        )
        lead_id = lead.id
    await sign_in(client, database, month.members[ADMIN], web_clock)
    token = await page_token(client)
    await client.post(BASE, data={"csrf": token}, allow_redirects=False)
    with database.session() as session:
        pairs = checks(database, SON_KIM_1)
        thon_2 = next(
            check_id
            for check_id, entry_id in pairs
            if (entry := session.get(TrainingSession, entry_id)) and entry.session_date == dt.date(2026, 10, 31)
        )
    form = {"csrf": token, "verdict": "questioned", "note": "Xin thêm ảnh danh sách"}
    assert (await client.post(f"{BASE}/{thon_2}", data={**form, "csrf": ""}, allow_redirects=False)).status == 403
    for _ in range(2):  # a repeated POST (a double press, a reload) tells no one twice
        assert (await client.post(f"{BASE}/{thon_2}", data=form, allow_redirects=False)).status == 303
    messages = told(database)
    assert [(m.chat_id, m.channel) for m in messages] == [(str(LEAD), "telegram")]
    text = messages[0].payload["text"]
    assert text.startswith("Chào Anh Tổ, cán bộ xã phụ trách đã kiểm tra đột xuất buổi sinh hoạt của Thôn 2")
    assert "ngày 31/10/2026 (30 người dự)" in text and "Ghi chú: Xin thêm ảnh danh sách" in text
    # Confirmed, then questioned again: recorded each time, the lead still told once.
    await client.post(f"{BASE}/{thon_2}", data={**form, "verdict": "confirmed"}, allow_redirects=False)
    await client.post(f"{BASE}/{thon_2}", data=form, allow_redirects=False)
    assert len(told(database)) == 1
    assert audit_actions(database) == ["draw", "questioned", "confirmed", "questioned"]
    with database.session() as session:
        check = session.get(SpotCheck, thon_2)
        assert check is not None and check.verdict == "questioned" and check.note == "Xin thêm ảnh danh sách"
        assert session.get(Member, lead_id) is not None
    bad = await client.post(f"{BASE}/{thon_2}", data={**form, "verdict": "maybe"}, allow_redirects=False)
    assert bad.status == 400


async def test_another_communes_checks_are_refused(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    enter(database, month, ADMIN_2, "Thôn Trung", d(10), 10, d(10))
    with database.session() as session:
        admin_2 = session.get(Member, month.members[ADMIN_2])
        assert admin_2 is not None
        (other,) = spot_checks.draw(session, admin_2, SON_KIM_2, d(19), web_clock.now())
        other_id = other.id
    await sign_in(client, database, month.members[ADMIN], web_clock)
    token = await page_token(client)
    form = {"csrf": token, "verdict": "questioned"}
    # Sơn Kim 2's check under Sơn Kim 1's address, and under its own: both 403, nothing recorded or told.
    assert (await client.post(f"{BASE}/{other_id}", data=form, allow_redirects=False)).status == 403
    other_base = f"/web/commune/{SON_KIM_2}/spot-check"
    assert (await client.post(f"{other_base}/{other_id}", data=form, allow_redirects=False)).status == 403
    assert (await client.post(other_base, data={"csrf": token}, allow_redirects=False)).status == 403
    assert (await client.get(f"{BASE}/{other_id}/photo/0")).status == 403
    assert told(database) == [] and audit_actions(database) == ["draw"]
    with database.session() as session:
        check = session.get(SpotCheck, other_id)
        assert check is not None and check.verdict is None


async def test_the_token_is_bound_to_the_web_session(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[ADMIN], web_clock)
    first = await page_token(client)
    await sign_in(client, database, month.members[ADMIN], web_clock)  # a new session: a new token
    second = await page_token(client)
    assert first != second
    assert (await client.post(BASE, data={"csrf": first}, allow_redirects=False)).status == 403
    assert (await client.post(BASE, data={"csrf": second}, allow_redirects=False)).status == 303
