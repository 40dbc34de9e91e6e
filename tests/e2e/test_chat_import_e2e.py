"""Importing spreadsheets in chat, end to end on Telegram: the real application against the independent fake Bot
API, polling and webhook.

A commune admin sends an XLSX of villages as a file: the bot fetches it (getFile, then the file's URL), answers
with the preview, «Đúng» imports it, and the same «Đúng» delivered again changes nothing. Then a members file: its
preview, «Đúng», and the workbook of personal invite links comes back as a document, whose link a new member taps
to join. A file over 5 MB is refused without being fetched; a team member's file is refused and nothing saved.
"""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlmodel import func, select

from bot.imports_files import MAX_FILE_BYTES
from storage.db import Database
from storage.models import Invite, Village
from tests.e2e.conftest import ADMIN, MEMBER, SON_KIM_1, Harness, Person, Step, deep_link_code

NEWCOMER = 610077


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.worksheets[0].append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def send_file(person: Person, content: bytes, name: str, expect: str | None = None) -> Step:
    """The person sends a file "as a file" in their private chat; what the bot said back."""
    step = await person._act(lambda: person.fake.user_sends_document(person.user_id, content, name))
    if expect is not None:
        assert expect in step.text, f"after sending {name} expected {expect!r} in:\n{step.text}"
    return step


def counted(h: Harness) -> tuple[int, int]:
    """Villages of the commune and invites: what an import writes."""
    database = Database(h.db_url)
    try:
        with database.session() as session:
            villages = session.exec(
                select(func.count()).select_from(Village).where(Village.commune_code == SON_KIM_1)
            ).one()
            return villages, session.exec(select(func.count()).select_from(Invite)).one()
    finally:
        database.dispose()


async def test_a_commune_admin_imports_villages_then_members_and_gets_the_links(harness: Harness) -> None:
    h = harness
    invite = await h.invite("commune_admin")
    await h.start_app()
    admin = h.person(ADMIN, "Chị Lan")
    await admin.say(f"/start {deep_link_code(invite['link'])}", expect="Chào mừng Chị Lan")
    await admin.say("/help", expect="gửi tệp Excel (.xlsx) hoặc CSV vào đây")

    # Villages: fetched, previewed, imported once even when «Đúng» comes twice.
    villages = xlsx([["Tên thôn"], ["Thôn 1"], ["Thôn 2"], ["Bản Nà Sang"]])
    before = len(h.fake.calls_to("getFile"))
    step = await send_file(admin, villages, "thon.xlsx", expect="Sẽ thêm 3 thôn mới vào Xã Sơn Kim 1")
    assert len(h.fake.calls_to("getFile")) == before + 1
    step = await admin.press(step.with_buttons(), "Đúng", expect="Đã nhập 3 thôn mới từ «thon.xlsx»")
    assert counted(h) == (3, 1)
    h.fake.redeliver(step.update_id)
    await h.settle()
    assert counted(h) == (3, 1)
    await send_file(admin, villages, "thon.xlsx", expect="Không có gì thay đổi")

    # Members: the preview, «Đúng», and the invite links back as a workbook.
    members = xlsx(
        [["Thôn", "Họ và tên", "Vai trò"], ["Thôn 2", "Nguyễn Văn An", "tổ trưởng"], ["Thôn 1", "Lò Thị Mai", ""]]
    )
    step = await send_file(admin, members, "to-cnscd.xlsx", expect="Sẽ tạo 2 mã mời mới")
    step = await admin.press(step.with_buttons(), "Đúng", expect="Đã nhập «to-cnscd.xlsx»: 2 mã mời mới")
    sent = step.last
    assert sent["document"]["file_name"].endswith(".xlsx"), sent
    stored = h.fake.file(sent["document"]["file_id"])
    assert stored is not None and stored.data is not None
    rows = [list(r) for r in load_workbook(io.BytesIO(stored.data)).worksheets[0].iter_rows(values_only=True)]
    links = {r[2]: r[5] for r in rows[1:]}
    assert set(links) == {"Nguyễn Văn An", "Lò Thị Mai"}
    newcomer = h.person(NEWCOMER, "an.nguyen")
    await newcomer.say(f"/start {deep_link_code(str(links['Nguyễn Văn An']))}", expect="Chào mừng Nguyễn Văn An")
    assert counted(h) == (3, 3)

    # Over 5 MB: refused politely, never fetched.
    before = len(h.fake.calls_to("getFile"))
    await send_file(admin, b"x" * (MAX_FILE_BYTES + 1), "lon.csv", expect="Tệp lớn quá (tối đa 5 MB)")
    assert len(h.fake.calls_to("getFile")) == before

    # A team member's file: a polite answer, nothing saved.
    code, out = await h.cli(
        "invite", "create", "--commune", str(SON_KIM_1), "--village", "Thôn 1", "--role", "member", "--json"
    )
    assert code == 0, out
    member = h.person(MEMBER, "Bác Hùng")
    await member.say(f"/start {deep_link_code(json.loads(out)['link'])}", expect="Chào mừng Bác Hùng")
    await send_file(member, villages, "thon.xlsx", expect="do cán bộ xã gửi")
    assert counted(h) == (3, 4)  # the member's own invite, nothing from the file
