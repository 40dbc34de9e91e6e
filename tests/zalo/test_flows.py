"""Every flow of the bot on Zalo, end to end: the real application against the fake Zalo Bot API.

Buttons are numbered choices here; the person answers with the number (`2`, `số 2`) or the words.
"""

from __future__ import annotations

import re

from sqlmodel import select

from bot.app import BotApplication
from storage.activity import export_commune
from storage.models import AuditEntry, ChannelAccount, OfferedChoices, TrainingSession
from tests.zalo.conftest import SON_KIM_1, ZaloApi, ZaloPerson, admin_code, choice_lines

ADMIN, MEMBER, STRANGER = "a1b2c3d4e5f6a7b8c9d0", "f0e1d2c3b4a596877869", "9988776655aabbccddee"


async def set_up_commune(app: BotApplication, zalo_api: ZaloApi) -> tuple[ZaloPerson, ZaloPerson]:
    """On Zalo: the admin joins with `/start CODE`, adds villages, invites a member who joins with the code alone."""
    fake = zalo_api.fake
    admin = ZaloPerson(app, fake, ADMIN, "Chị Lan")
    replies = await admin.says(f"/start {admin_code(app.database, app.clock)}")
    assert "Chào mừng Chị Lan" in replies[0] and "cán bộ xã phụ trách" in replies[0]
    replies = await admin.says("/thon")
    assert "1. ❌ Đóng" in replies[-1]
    replies = await admin.says("Thôn 1\nThôn 2\nBản Nà Sang")
    assert choice_lines(replies[-1]) == ["✅ Đúng, thêm", "❌ Huỷ"]
    replies = await admin.says("1")
    assert "Đã thêm 3 thôn" in replies[-1]
    replies = await admin.says("/moi")
    assert "Thành viên tổ" in "\n".join(choice_lines(replies[-1]))
    replies = await admin.says("thanh vien to")  # the words, without diacritics
    assert "Thôn 2" in choice_lines(replies[-1])
    replies = await admin.says("Thôn 2")
    code = re.search(r"Mã mời: (\w+)", replies[-1]).group(1)  # type: ignore[union-attr]
    member = ZaloPerson(app, fake, MEMBER, "Bác Hùng")
    replies = await member.says(code.lower())
    assert "Chào mừng Bác Hùng" in replies[0] and "Thôn 2" in replies[0]
    return admin, member


async def test_joining_refuses_a_wrong_code_then_accepts_the_right_one(make_zalo_app, zalo_api: ZaloApi) -> None:
    app = await make_zalo_app()
    stranger = ZaloPerson(app, zalo_api.fake, STRANGER, "Anh Tư")
    replies = await stranger.says("/start")
    assert "mã mời" in replies[0]
    assert "không đúng" in (await stranger.says("ZZZZ9999"))[0]
    assert "tham gia" in (await stranger.says("/ghibuoi"))[0]
    replies = await stranger.says(admin_code(app.database, app.clock, role="commune_leader"))
    assert "lãnh đạo xã" in replies[0]
    with app.database.session() as session:
        account = session.exec(select(ChannelAccount).where(ChannelAccount.channel == "zalo")).one()
        assert account.user_id == STRANGER and account.chat_id == STRANGER
    assert not zalo_api.fake.calls_to("setMyCommands")  # Zalo has no command menu: nothing was tried


async def test_guided_logging_by_numbers(make_zalo_app, zalo_api: ZaloApi) -> None:
    app = await make_zalo_app()
    _admin, member = await set_up_commune(app, zalo_api)
    replies = await member.says("/ghibuoi")
    ask = replies[-1]
    today = app.clock.now().astimezone(app.config.tz).date()
    assert ask.startswith("📝 Ghi buổi sinh hoạt")
    assert f"1. Hôm nay ({today:%d/%m})" in ask and "\n4. ❌ Huỷ\n" in ask
    assert ask.endswith("Bạn trả lời bằng số, ví dụ 1.")
    replies = await member.says("2")  # Hôm qua
    topics = replies[-1]
    assert "nội dung" in topics and "1. ▫️ Dịch vụ công trực tuyến" in topics
    replies = await member.says("số 1")
    assert "1. ✅ Dịch vụ công trực tuyến" in replies[-1]  # toggled: the list comes again, as a new message
    replies = await member.says("so 5")
    assert "5. ✅ Ứng dụng VNeID" in replies[-1]
    replies = await member.says("7")  # Xong
    assert "bao nhiêu người" in replies[-1] and "Bạn trả lời bằng số" not in replies[-1]
    replies = await member.says("2")  # a count now, not choice 2: the choices were dropped with the question
    confirm = replies[-1]
    assert "👥 Số người tham dự: 2" in confirm and "Thôn 2" in confirm
    with app.database.session() as session:
        assert export_commune(session, SON_KIM_1)["sessions"] == []  # nothing saved before «Đúng»
    replies = await member.says("1")
    assert "Đã lưu buổi sinh hoạt" in replies[-1]
    with app.database.session() as session:
        sessions = export_commune(session, SON_KIM_1)["sessions"]
    assert [(s["village"], sorted(s["topics"]), s["attendees"]) for s in sessions] == [
        ("Thôn 2", ["public_services", "vneid"], 2)
    ]
    # "1" again answers the new choices («Ghi người được hỗ trợ»), it does not save twice.
    replies = await member.says("1")
    assert "Ghi người được hỗ trợ" in replies[-1] or "ngày nào" in replies[-1]
    with app.database.session() as session:
        assert len(export_commune(session, SON_KIM_1)["sessions"]) == 1


async def test_guided_logging_by_words(make_zalo_app, zalo_api: ZaloApi) -> None:
    app = await make_zalo_app()
    _admin, member = await set_up_commune(app, zalo_api)
    await member.says("/ghigiup")
    replies = await member.says("hôm nay")
    assert "việc gì" in replies[-1]
    replies = await member.says("kich hoat dinh danh muc 2")  # words of «Kích hoạt định danh điện tử mức 2»
    assert "bao nhiêu người" in replies[-1]
    replies = await member.says("12 người")
    assert "Kích hoạt định danh điện tử mức 2" in replies[-1]
    assert "Đúng" in "\n".join(choice_lines(replies[-1]))
    replies = await member.says("Đúng")
    assert "Đã lưu số người được hỗ trợ" in replies[-1]
    with app.database.session() as session:
        help_records = export_commune(session, SON_KIM_1)["help_records"]
    assert [(h["kind"], h["count"], h["village"]) for h in help_records] == [("vneid_level2", 12, "Thôn 2")]


async def test_unknown_answer_keeps_the_choices(make_zalo_app, zalo_api: ZaloApi) -> None:
    """A wrong answer is re-asked; the numbers still work afterwards (the choices are kept)."""
    app = await make_zalo_app()
    _admin, member = await set_up_commune(app, zalo_api)
    await member.says("/ghibuoi")
    await member.says("1")  # today
    replies = await member.says("không biết")
    assert "Bạn bấm một nút" in replies[-1] or "chọn" in replies[-1]
    replies = await member.says("9")  # out of range: text, not a choice
    replies = await member.says("an toan")  # words: «An toàn, chống lừa đảo trên mạng»
    assert "✅ An toàn, chống lừa đảo trên mạng" in replies[-1]
    with app.database.session() as session:
        offered = session.get(OfferedChoices, ("zalo", MEMBER, ""))
        assert offered is not None and len(offered.choices) == 8  # 6 topics, «Xong», «Huỷ»


async def test_free_text_logging_with_read_back(make_zalo_app, zalo_api: ZaloApi) -> None:
    app = await make_zalo_app()
    _admin, member = await set_up_commune(app, zalo_api)
    replies = await member.says("tối qua học cài VNeID 23 người")
    read_back = replies[-1]
    assert read_back.startswith("Tôi hiểu là:") and "23 người tham dự" in read_back and "Thôn 2" in read_back
    assert choice_lines(read_back)[:3] == ["✅ Đúng", "✏️ Sửa", "❌ Huỷ"]
    replies = await member.says("1")
    assert "✅ Đã lưu:" in replies[-1]
    with app.database.session() as session:
        sessions = export_commune(session, SON_KIM_1)["sessions"]
    assert len(sessions) == 1 and sessions[0]["attendees"] == 23 and sessions[0]["source"] == "text"


async def test_corrections_on_zalo(make_zalo_app, zalo_api: ZaloApi) -> None:
    app = await make_zalo_app()
    _admin, member = await set_up_commune(app, zalo_api)
    await member.says("tối qua học cài VNeID 23 người")
    await member.says("đúng")
    replies = await member.says("/sua")
    assert "Bạn muốn sửa mục nào?" in replies[-1] and "23 người" in replies[-1]
    replies = await member.says("1")
    assert "Bạn muốn sửa phần nào?" in replies[-1]
    replies = await member.says("số người")
    assert "Số người đúng là bao nhiêu?" in replies[-1]
    replies = await member.says("3")  # a count: the field choices are gone
    assert "Sửa thành: 3" in replies[-1]
    replies = await member.says("lưu")
    assert "✅ Đã sửa:" in replies[-1]
    replies = await member.says("/xoa")
    await member.says("1")
    replies = await member.says("xoá")
    assert "Đã xoá" in replies[-1]
    with app.database.session() as session:
        assert export_commune(session, SON_KIM_1)["sessions"] == []
        actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.entity == "training_session"))]
    assert actions == ["create", "update", "delete"]


async def test_long_list_is_split_at_line_breaks(make_zalo_app, zalo_api: ZaloApi) -> None:
    app = await make_zalo_app()
    admin, _member = await set_up_commune(app, zalo_api)
    names = [f"Thôn {n:02d} Xóm Dưới Chân Núi Cao Phía Đông" for n in range(1, 51)]
    await admin.says("/thon")
    await admin.says("\n".join(names))
    assert "Đã thêm 50 thôn" in "\n".join(await admin.says("1"))
    replies = await admin.says("/thon")
    assert len(replies) >= 2, "the list of 53 villages does not fit one Zalo message"
    assert all(0 < len(part) <= 2000 for part in replies)
    whole = "\n".join(replies)
    for name in names:
        assert f"• {name}" in whole.split("\n"), f"{name} was cut mid-line"
    assert replies[-1].endswith("Bạn trả lời bằng số, ví dụ 1.")


async def test_stickers_voice_and_photos(make_zalo_app, zalo_api: ZaloApi) -> None:
    app = await make_zalo_app()
    _admin, member = await set_up_commune(app, zalo_api)
    for kind in ("sticker", "voice", "unsupported"):
        replies = await member.sends(kind)
        assert replies and "chỉ đọc được tin nhắn chữ" in replies[0]
    replies = await member.sends_photo(
        "https://zalo.example/photo/ds-diem-danh.jpg", caption="tối qua học cài VNeID 20 người"
    )
    assert "Kèm 1 ảnh" in replies[-1]
    await member.says("1")
    with app.database.session() as session:
        [row] = export_commune(session, SON_KIM_1)["sessions"]
    assert row["attendees"] == 20
    with app.database.session() as session:
        saved = session.exec(select(TrainingSession)).one()
        assert saved.evidence[0]["channel"] == "zalo"
        assert saved.evidence[0]["file_id"] == "https://zalo.example/photo/ds-diem-danh.jpg"


async def test_group_chat_mentions_only_and_answers_in_the_group(make_zalo_app, zalo_api: ZaloApi) -> None:
    app = await make_zalo_app()
    _admin, _member = await set_up_commune(app, zalo_api)
    group = "group0000000000000001"
    zalo_api.fake.add_group(group)
    in_group = ZaloPerson(app, zalo_api.fake, MEMBER, "Bác Hùng", chat_id=group)
    zalo_api.fake.user_says(MEMBER, "chuyện riêng của nhóm", chat_id=group, mention=False)
    replies = await in_group.says("/tuannay")  # "@Bình dân học vụ số /tuannay"
    assert replies and "tuần" in replies[0].lower()
    assert all(m["chat"]["id"] == group for m in zalo_api.fake.bot_messages(group))
    assert zalo_api.fake.bot_messages(MEMBER)[-1]["text"] != replies[0]  # not in the private chat
    texts = [m.get("text") for m in zalo_api.fake.messages(group)]
    assert texts[0] == "chuyện riêng của nhóm"  # in the transcript, never delivered to the bot
    assert app.zalo is not None and app.zalo.renderer.is_group_chat(group)


async def test_progress_chart_and_monthly_report_as_links(make_zalo_app, zalo_api: ZaloApi) -> None:
    """/tiendo and /baocao on Zalo: the chart is a picture by URL that loads as a PNG from our server, the Excel
    file a link in a text message."""
    import aiohttp

    app = await make_zalo_app()
    admin, member = await set_up_commune(app, zalo_api)
    await member.says("tối qua học cài VNeID 23 người")
    await member.says("đúng")
    replies = await admin.says("/tiendo")
    assert "📈 Biểu đồ" in "\n".join(choice_lines(replies[-1]))
    await admin.says("biểu đồ")
    photo = zalo_api.fake.last_bot_message(ADMIN)
    assert photo is not None and photo["photo"].startswith(f"{app.web_url}/files/")
    async with aiohttp.ClientSession() as client, client.get(photo["photo"]) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "image/png"
        assert (await response.read()).startswith(b"\x89PNG\r\n\x1a\n")
    replies = await admin.says("/baocao")
    assert "📄 File Excel" in "\n".join(choice_lines(replies[-1]))
    replies = await admin.says("file excel")
    link = re.search(r"📎 (\S+\.xlsx): (\S+)", replies[-1])
    assert link is not None, replies
    async with aiohttp.ClientSession() as client, client.get(link.group(2)) as response:
        assert response.status == 200 and (await response.read()).startswith(b"PK")
