"""Đại sứ số, Gia đình số and Chợ số 4T end to end on Zalo: the real application against the fake Zalo Bot API.

A province viewer turns each on with /chuongtrinh by answering the number of its choice; a member of Thôn 2
logs it by numbered choices (/ghigiup → «Chương trình của tỉnh») and in one line, confirmed with «1».
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.app import BotApplication
from storage import invites
from storage.models import ProgrammeRecord
from storage.programmes.catalog import shipped
from tests.zalo.conftest import ZaloApi, ZaloPerson, choice_lines
from tests.zalo.test_flows import set_up_commune

HA_TINH = 42
VIEWER = "5566778899aabbccddee"
# programme -> (the count typed after choosing it, the saved (unit, count, mentor); the line, its saved row)
STORIES = {
    "dai_su_so": ("4", ("people", 4, "Chị Lan"), "đại sứ số Lan đã hướng dẫn xong 5 người", ("people", 5, "Lan")),
    "gia_dinh_so": ("6", ("households", 6, None), "hôm nay thôn 2 thêm 7 hộ gia đình số", ("households", 7, None)),
    "cho_so_4t": ("12", ("traders", 12, None), "buổi 4T ở chợ Phố Mới 22 tiểu thương", ("traders", 22, None)),
}


async def choose(person: ZaloPerson, replies: list[str], label: str) -> list[str]:
    """Answer the number of the choice whose label holds `label`, as a person on Zalo does."""
    lines = choice_lines(replies[-1])
    number = next((i for i, line in enumerate(lines, start=1) if label in line), None)
    assert number is not None, f"no choice {label!r} in {lines}"
    return await person.says(str(number))


def saved(app: BotApplication) -> list[tuple[str, str, int, str | None, str]]:
    with app.database.session() as session:
        rows = session.exec(select(ProgrammeRecord).order_by(ProgrammeRecord.id)).all()  # type: ignore[arg-type]
        return [(r.programme, r.unit, r.count, r.mentor, r.source) for r in rows]


@pytest.mark.parametrize("programme_id", sorted(STORIES))
async def test_a_programme_turned_on_and_logged_by_numbers_and_in_one_line(
    make_zalo_app, zalo_api: ZaloApi, programme_id: str
) -> None:
    app = await make_zalo_app()
    _admin, member = await set_up_commune(app, zalo_api)
    name = shipped().get(programme_id).name("vi")  # type: ignore[union-attr]
    typed, typed_row, line, line_row = STORIES[programme_id]

    with app.database.session() as session:
        code = invites.create_invite(
            session, role="province_viewer", province_code=HA_TINH, now=app.clock.now(), days=7, max_uses=1
        ).code
    viewer = ZaloPerson(app, zalo_api.fake, VIEWER, "Chị Hà")
    assert "Chào mừng Chị Hà" in (await viewer.says(f"/start {code}"))[0]
    listing = await viewer.says("/chuongtrinh")
    assert f"⬜ {name}" in listing[-1]
    turned = await choose(viewer, listing, f"Bật {name}")
    assert f"✅ Đã bật «{name}» cho cả tỉnh." in "\n".join(turned)

    # by numbered choices
    replies = await member.says("/ghigiup")
    replies = await choose(member, replies, "Hôm nay")
    assert "Hỗ trợ người dân việc gì?" in replies[-1]
    replies = await choose(member, replies, "Chương trình của tỉnh")
    assert choice_lines(replies[-1])[0] == name
    replies = await choose(member, replies, name)
    assert f"«{name}»: bao nhiêu" in replies[-1] and not choice_lines(replies[-1])
    replies = await member.says(typed)  # a count, not a choice
    if programme_id == "dai_su_so":
        assert "Ai là người hướng dẫn (đại sứ số)?" in replies[-1]
        replies = await member.says("Chị Lan")
    assert f"• {name}" in replies[-1] and saved(app) == []
    replies = await choose(member, replies, "Đúng")
    assert "Đã lưu" in replies[-1]
    assert saved(app) == [(programme_id, *typed_row, "guided")]

    # in one line, confirmed with «1»
    replies = await member.says(line)
    assert "🏅 Chương trình của tỉnh:" in replies[-1] and f"• {name}" in replies[-1]
    assert choice_lines(replies[-1])[0] == "✅ Đúng"
    replies = await member.says("1")
    assert "✅ Đã lưu" in replies[-1]
    assert saved(app)[1:] == [(programme_id, *line_row, "text")]
