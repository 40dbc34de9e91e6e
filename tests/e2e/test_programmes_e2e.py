"""Each shipped programme end to end on Telegram: the real application against the independent fake Bot API.

A province viewer of Hà Tĩnh (joined with a CLI invite) turns the programme on with /chuongtrinh; a member of
Thôn 2 logs it by buttons (/ghigiup → «Chương trình của tỉnh») and in one line; a programme the commune enters
monthly is entered by the commune admin with /chiso, by its button and in one line. A province's own indicator
is added with `bdhvs indicator add` and entered with /chiso. What was saved is read back from the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import ProgrammeMonthValue, ProgrammeRecord, ProvinceIndicatorValue
from storage.programmes.catalog import shipped
from tests.e2e.conftest import Harness, Person, deep_link_code, set_up_commune

POLLING_ONLY = pytest.mark.parametrize("mode", ["polling"])  # how updates arrive is tested elsewhere
HA_TINH = 42
VIEWER = 610010


@dataclass(frozen=True)
class Logged:
    """How a member logs a programme: the guided figure and the saved row, the one line and its saved row."""

    guided: str  # the count typed after pressing the programme
    guided_row: tuple[str, int, str | None]  # (unit, count, mentor)
    line: str
    line_row: tuple[str, int, str | None]


VILLAGE_LOGGED = {
    "gia_dinh_so": Logged(
        "6", ("households", 6, None), "hôm nay thôn 2 thêm 6 hộ gia đình số", ("households", 6, None)
    ),
    "dai_su_so": Logged("4", ("people", 4, "Chị Lan"), "đại sứ số Lan đã hướng dẫn xong 5 người", ("people", 5, "Lan")),
    "cho_so_4t": Logged("12", ("traders", 12, None), "buổi 4T ở chợ Phố Mới 22 tiểu thương", ("traders", 22, None)),
    "dang_vien_so": Logged("3", ("party_members", 3, None), "hôm nay thêm 5 đảng viên số", ("party_members", 5, None)),
}
# the commune's monthly figure: typed after its button, and in one line, and what is saved of each
COMMUNE_ENTERED = {
    "cho_khong_tien_mat": ("2", (2, None), "chợ không tiền mặt 3", (3, None)),
    "moi_cong_dan_mot_dinh_danh_so": ("4100/5000", (4100, 5000), "định danh số 4.200/5.000", (4200, 5000)),
    "cho_so_4t": ("25", (25, None), "4t 30", (30, None)),
    "dang_vien_so": ("7", (7, None), "đảng viên số 8", (8, None)),
}


def test_the_catalog_is_covered() -> None:
    """Every shipped programme has its story below (a new one needs one)."""
    stories = set(VILLAGE_LOGGED) | set(COMMUNE_ENTERED) | {"vneid_muc_2"}
    assert stories == set(shipped().ids)
    for programme in shipped():
        assert (programme.id in VILLAGE_LOGGED) == programme.logged_by_villages, programme.id
        if programme.indicator is None:
            assert (programme.id in COMMUNE_ENTERED) == programme.entered_by_commune, programme.id


def rows(h: Harness) -> tuple[list[tuple[str, str, int, str | None, str]], dict[str, tuple[int, int | None]]]:
    """The programme figures villages logged (programme, unit, count, mentor, source) and the commune's."""
    database = Database(h.db_url)
    try:
        with database.session() as session:
            logged = session.exec(select(ProgrammeRecord).order_by(ProgrammeRecord.id)).all()  # type: ignore[arg-type]
            monthly = session.exec(select(ProgrammeMonthValue)).all()
            return (
                [(r.programme, r.unit, r.count, r.mentor, r.source) for r in logged if r.deleted_at is None],
                {m.programme: (m.value, m.denominator) for m in monthly},
            )
    finally:
        database.dispose()


async def province_viewer(h: Harness) -> Person:
    code, out = await h.cli("invite", "create", "--province", str(HA_TINH), "--role", "province_viewer", "--json")
    assert code == 0, out
    viewer = h.person(VIEWER, "Chị Hà")
    await viewer.say(f"/start {deep_link_code(json.loads(out)['link'])}", expect="Chào mừng Chị Hà")
    return viewer


async def turn_on(viewer: Person, programme_id: str) -> None:
    name = shipped().get(programme_id).name("vi")  # type: ignore[union-attr]
    step = await viewer.say("/chuongtrinh", expect="Chương trình của Tỉnh Hà Tĩnh")
    await viewer.press(step.with_buttons(), f"Bật {name}", expect=f"✅ Đã bật «{name}» cho cả tỉnh.")


@POLLING_ONLY
@pytest.mark.parametrize("programme_id", sorted(VILLAGE_LOGGED))
async def test_a_member_logs_a_programme_by_buttons_and_in_one_line(harness: Harness, programme_id: str) -> None:
    h = harness
    commune = await set_up_commune(h)
    viewer = await province_viewer(h)
    await turn_on(viewer, programme_id)
    name = shipped().get(programme_id).name("vi")  # type: ignore[union-attr]
    story = VILLAGE_LOGGED[programme_id]
    member = commune.member

    # by buttons
    step = await member.say("/ghigiup", expect="ngày nào")
    step = await member.press(step.with_buttons(), "Hôm nay", expect="Hỗ trợ người dân việc gì?")
    step = await member.press(step.with_buttons(), "Chương trình của tỉnh", expect="Số liệu của chương trình nào?")
    step = await member.press(step.with_buttons(), name, expect=f"«{name}»: bao nhiêu")
    step = await member.say(story.guided)
    if programme_id == "dai_su_so":
        assert "Ai là người hướng dẫn (đại sứ số)?" in step.text
        step = await member.say("Chị Lan")
    assert "Bạn kiểm tra lại số người được hỗ trợ:" in step.text and f"• {name}" in step.text
    assert rows(h)[0] == []  # nothing before «Đúng»
    await member.press(step.with_buttons(), "Đúng", expect="Đã lưu")
    unit, count, mentor = story.guided_row
    assert rows(h)[0] == [(programme_id, unit, count, mentor, "guided")]

    # in one line
    step = await member.say(story.line, expect="🏅 Chương trình của tỉnh:")
    assert f"• {name}" in step.text
    await member.press(step.with_buttons(), "Đúng", expect="✅ Đã lưu")
    unit, count, mentor = story.line_row
    assert rows(h)[0][1:] == [(programme_id, unit, count, mentor, "text")]


@POLLING_ONLY
@pytest.mark.parametrize("programme_id", sorted(COMMUNE_ENTERED))
async def test_the_commune_admin_enters_a_programme_s_monthly_figure(harness: Harness, programme_id: str) -> None:
    h = harness
    commune = await set_up_commune(h)
    viewer = await province_viewer(h)
    await turn_on(viewer, programme_id)
    name = shipped().get(programme_id).name("vi")  # type: ignore[union-attr]
    typed, typed_row, line, line_row = COMMUNE_ENTERED[programme_id]
    admin = commune.admin
    step = await admin.say("/chiso", expect="Chương trình của tỉnh (xã nhập hằng tháng):")
    assert f"• {name}: chưa nhập" in step.text
    step = await admin.press(step.with_buttons(), name, expect=f"«{name}»", closes=False)
    step = await admin.say(typed, expect=f"✅ Đã lưu {name}")
    assert rows(h)[1] == {programme_id: typed_row}
    await admin.say(line, expect=f"✅ Đã lưu {name}")
    assert rows(h)[1] == {programme_id: line_row}
    await admin.say(f"{line.rsplit(' ', 1)[0]} -1", expect="Chưa lưu số liệu nào của tin nhắn này.")
    assert rows(h)[1] == {programme_id: line_row}


@POLLING_ONLY
async def test_vneid_level_2_is_entered_as_its_national_indicator(harness: Harness) -> None:
    h = harness
    commune = await set_up_commune(h)
    await turn_on(await province_viewer(h), "vneid_muc_2")
    step = await commune.admin.say("/chiso", expect="Số liệu chỉ số tháng")
    assert "Chương trình của tỉnh (xã nhập hằng tháng)" not in step.text  # no second place to type it
    await commune.admin.say("vneid mức 2 1200/5000", expect="✅ Đã lưu")


@POLLING_ONLY
async def test_a_province_adds_its_own_indicator_and_a_commune_enters_it(harness: Harness) -> None:
    h = harness
    commune = await set_up_commune(h)
    code, out = await h.cli(
        "indicator", "add", "--province", str(HA_TINH), "--id", "diem_wifi", "--name", "Điểm wifi công cộng",
        "--unit", "điểm", "--target", "20",
    )  # fmt: skip
    assert code == 0, out
    admin = commune.admin
    step = await admin.say("/chiso", expect="Chỉ số riêng của tỉnh:\n• Điểm wifi công cộng: chưa nhập")
    step = await admin.press(step.with_buttons(), "Điểm wifi công cộng", expect="bạn gõ một số nguyên", closes=False)
    await admin.say("2,5", expect="không dùng được")
    await admin.say("4 điểm", expect="✅ Đã lưu Điểm wifi công cộng: 4 điểm")
    await admin.say("điểm wifi công cộng 6", expect="✅ Đã lưu Điểm wifi công cộng: 6 điểm")
    database = Database(h.db_url)
    try:
        with database.session() as session:
            assert [v.value for v in session.exec(select(ProvinceIndicatorValue))] == [6]
    finally:
        database.dispose()
    step = await admin.say("/chitieu", expect="• Điểm wifi công cộng: 20 điểm")
