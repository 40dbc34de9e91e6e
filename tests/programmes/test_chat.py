"""/chuongtrinh (a province viewer turns programmes on and sets targets; others read), a province's own indicator
in /chiso, and a village's households in /thon: through the real engine, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from bot.messages import Incoming
from handlers.router import route
from storage import province_indicators
from storage.areas import add_villages
from storage.db import Database
from storage.models import (
    ChannelAccount,
    ConversationState,
    ProgrammeTarget,
    ProvinceIndicatorValue,
    ProvinceProgramme,
    Village,
)
from storage.programmes import provinces
from tests.chat import ChatDriver, Sent, last_with_buttons
from tests.reports.conftest import add_member

HA_TINH, OTHER_PROVINCE, SON_KIM_1, VUNG_TAU = 42, 79, 18196, 26506
VIEWER, OTHER_VIEWER, ADMIN, LEADER, MEMBER, OTHER_ADMIN, STRANGER = range(7001, 7008)
OLD_BUTTON = "Nút này đã cũ"
_forged = itertools.count(1)


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock) -> ChatDriver:
    with database.session() as session:
        (thon_1, _thon_2), _ = add_villages(session, SON_KIM_1, ["Thôn 1", "Thôn 2"], now=clock.now(), actor_id=None)
        add_member(session, VIEWER, "province_viewer", name="Chị Hà")
        add_member(session, OTHER_VIEWER, "province_viewer", province=OTHER_PROVINCE, name="Anh Sài Gòn")
        add_member(session, ADMIN, "commune_admin", commune=SON_KIM_1, name="Chị Lan")
        add_member(session, LEADER, "commune_leader", commune=SON_KIM_1, name="Ông Thắng")
        add_member(session, MEMBER, "member", commune=SON_KIM_1, village=thon_1.id, name="Bác Hùng")
        add_member(session, OTHER_ADMIN, "commune_admin", province=OTHER_PROVINCE, commune=VUNG_TAU, name="Anh Nam")
    return ChatDriver(ConversationEngine(database, config, clock, route), database)


def texts(sent: list[Sent]) -> str:
    return "\n".join(s.text for s in sent)


def nonce_of(database: Database, user: int) -> str:
    with database.session() as session:
        state = session.exec(select(ConversationState).where(ConversationState.user_id == str(user))).one()
        return str(state.data.get("nonce"))


def press_raw(chat: ChatDriver, user: int, payload: str) -> list[Sent]:
    """A payload pressed as is (a forged or copied button)."""
    uid = str(user)
    return chat.send(
        Incoming(
            channel=chat.channel,
            update_id=f"forged-{next(_forged)}",
            user_id=uid,
            chat_id=uid,
            payload=payload,
            callback_id=f"cb{uid}",
            message_id="1",
            message_text="…",
        )
    )


def enabled(database: Database, province: int) -> set[str]:
    with database.session() as session:
        rows = session.exec(select(ProvinceProgramme).where(ProvinceProgramme.province_code == province))
        return {r.programme for r in rows if r.enabled}


def targets(database: Database, province: int) -> dict[str, float]:
    with database.session() as session:
        rows = session.exec(select(ProgrammeTarget).where(ProgrammeTarget.province_code == province))
        return {r.programme: r.value for r in rows}


def test_a_province_viewer_turns_programmes_on_and_sets_targets(chat: ChatDriver, database: Database) -> None:
    listing = last_with_buttons(chat.say(VIEWER, "/chuongtrinh"))
    assert "🧭 Chương trình của Tỉnh Hà Tĩnh — năm 2026" in listing.text
    assert "⬜ Gia đình số (tỷ lệ trên: số hộ của thôn)" in listing.text
    assert "⬜ Đại sứ số (mỗi đại sứ hướng dẫn ít nhất 5 người)" in listing.text
    listing = last_with_buttons(chat.press(VIEWER, listing, "Bật Gia đình số"))
    assert "✅ Đã bật «Gia đình số» cho cả tỉnh." in listing.text
    assert "✅ Gia đình số (tỷ lệ trên: số hộ của thôn) — mục tiêu: 100%" in listing.text  # the plan's figure
    asked = last_with_buttons(chat.press(VIEWER, listing, "Mục tiêu"))
    assert "Mục tiêu năm 2026 của «Gia đình số»: bạn gõ tỷ lệ phần trăm" in asked.text
    assert "không quá 100%" in texts(chat.say(VIEWER, "120%"))
    assert "Tôi chưa đọc được mục tiêu «nhiều lắm»" in texts(chat.say(VIEWER, "nhiều lắm"))
    assert targets(database, HA_TINH) == {}
    listing = last_with_buttons(chat.say(VIEWER, "95,5%"))
    assert "✅ Đã đặt mục tiêu năm 2026 của «Gia đình số»: 95,5%." in listing.text
    assert targets(database, HA_TINH) == {"gia_dinh_so": 95.5}

    listing = last_with_buttons(chat.press(VIEWER, listing, "Bật Đại sứ số"))
    mentors_row = [b for b in listing.buttons if b.payload.endswith(":target:dai_su_so")]
    assert mentors_row
    chat.send(
        Incoming(
            channel="telegram", update_id="press-target", user_id=str(VIEWER), chat_id=str(VIEWER),
            payload=mentors_row[0].payload, callback_id="cb", message_id=str(listing.id), message_text=listing.text,
        )
    )  # fmt: skip
    assert "Mục tiêu phải là một số nguyên" in texts(chat.say(VIEWER, "12,5"))
    assert "là một số lượng, không phải phần trăm" in texts(chat.say(VIEWER, "40%"))
    listing = last_with_buttons(chat.say(VIEWER, "40"))
    assert "«Đại sứ số»: 40 đại sứ số đạt chuẩn." in listing.text
    listing = last_with_buttons(chat.press(VIEWER, listing, "Tắt Gia đình số"))
    assert "⏸️ Đã tắt «Gia đình số». Mục tiêu đã đặt vẫn được giữ." in listing.text
    assert enabled(database, HA_TINH) == {"dai_su_so"}
    assert targets(database, HA_TINH) == {"gia_dinh_so": 95.5, "dai_su_so": 40.0}
    assert "Đã xong." in texts(chat.press(VIEWER, listing, "Xong"))
    assert enabled(database, OTHER_PROVINCE) == set()


def test_old_and_forged_buttons_change_nothing(chat: ChatDriver, database: Database) -> None:
    listing = last_with_buttons(chat.say(VIEWER, "/chuongtrinh"))
    listing = last_with_buttons(chat.press(VIEWER, listing, "Bật Gia đình số"))
    n = nonce_of(database, VIEWER)
    # a programme id not in the catalog, and an action the flow never offers
    for payload in (f"pr:{n}:on:khong_co", f"pr:{n}:target:", f"pr:{n}:delete:gia_dinh_so"):
        answer = texts(press_raw(chat, VIEWER, payload))
        assert OLD_BUTTON in answer and "🧭 Chương trình của Tỉnh Hà Tĩnh" in answer
    # at the target question, the list's buttons are old: the question is asked again
    chat.press(VIEWER, listing, "Mục tiêu")
    answer = texts(press_raw(chat, VIEWER, f"pr:{n}:off:gia_dinh_so"))
    assert OLD_BUTTON in answer and "Mục tiêu năm 2026 của «Gia đình số»" in answer
    assert enabled(database, HA_TINH) == {"gia_dinh_so"}
    # a target for a programme that is off (a payload changed by hand) is refused
    chat.press(VIEWER, last_with_buttons(chat.say(VIEWER, "/chuongtrinh")), "Xong")
    listing = last_with_buttons(chat.say(VIEWER, "/chuongtrinh"))
    n = nonce_of(database, VIEWER)
    assert "chưa được bật cho tỉnh" in texts(press_raw(chat, VIEWER, f"pr:{n}:target:dai_su_so"))
    # after /huy, or from another person (another nonce, another role), a button changes nothing
    chat.say(VIEWER, "/huy")
    assert "Nút này thuộc một thao tác đã xong" in texts(chat.press(VIEWER, listing, "Bật Đại sứ số"))
    assert "Nút này thuộc một thao tác đã xong" in texts(press_raw(chat, ADMIN, f"pr:{n}:on:dai_su_so"))
    assert "Nút này thuộc một thao tác đã xong" in texts(press_raw(chat, OTHER_VIEWER, f"pr:{n}:on:dai_su_so"))
    assert enabled(database, HA_TINH) == {"gia_dinh_so"} and enabled(database, OTHER_PROVINCE) == set()
    assert targets(database, HA_TINH) == {}


def test_others_see_their_province_s_programmes_read_only(chat: ChatDriver, database: Database) -> None:
    assert "Bạn cần tham gia trước" in texts(chat.say(STRANGER, "/chuongtrinh"))
    before = texts(chat.say(ADMIN, "/help"))
    assert "chuongtrinh" not in before
    assert "Tỉnh Hà Tĩnh chưa bật chương trình riêng nào." in texts(chat.say(ADMIN, "/chuongtrinh"))
    with database.session() as session:
        for programme in ("gia_dinh_so", "cho_so_4t"):
            provinces.enable(session, actor=None, province_code=HA_TINH, programme_id=programme, now=chat_now())
    for user in (ADMIN, LEADER, MEMBER):
        answer = chat.say(user, "/chuongtrinh")[-1]
        assert "🧭 Chương trình Tỉnh Hà Tĩnh đang triển khai — năm 2026:" in answer.text
        assert "• Gia đình số (tỷ lệ trên: số hộ của thôn) — mục tiêu: 100%" in answer.text
        assert "• Chợ số – Nông thôn số (4T) (đếm số tiểu thương, nông dân) — mục tiêu: chưa đặt" in answer.text
        assert not any(b.payload.startswith("pr:") for b in answer.buttons)  # nothing to press
    assert "/chuongtrinh — chương trình tỉnh đang triển khai: Chợ số – Nông thôn số (4T), Gia đình số" in texts(
        chat.say(MEMBER, "/help")
    )
    assert "chuongtrinh" not in texts(chat.say(OTHER_ADMIN, "/help"))
    assert "chưa bật chương trình riêng nào" in texts(chat.say(OTHER_ADMIN, "/chuongtrinh"))
    other = texts(chat.say(OTHER_VIEWER, "/chuongtrinh"))
    assert "Thành phố Hồ Chí Minh" in other and "✅" not in other  # their own province, nothing on
    english = chat.say(ADMIN, "/lang")
    chat.press(ADMIN, last_with_buttons(english), "English")
    assert "• Digital family (share of: households of the village) — target: 100%" in texts(
        chat.say(ADMIN, "/chuongtrinh")
    )


def chat_now() -> dt.datetime:
    return dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)


def test_a_province_s_own_indicator_is_entered_with_chiso(chat: ChatDriver, database: Database) -> None:
    plain = texts(chat.say(ADMIN, "/chiso"))
    assert "Chỉ số riêng" not in plain
    with database.session() as session:
        province_indicators.add_indicator(
            session, province_code=HA_TINH, indicator_id="cho_khong_tien_mat", name="Chợ không dùng tiền mặt",
            name_en="Cashless markets", unit="markets", target=10, now=chat_now(),
        )  # fmt: skip
    shown = last_with_buttons(chat.say(ADMIN, "/chiso"))
    assert "Chỉ số riêng của tỉnh:\n• Chợ không dùng tiền mặt: chưa nhập" in shown.text
    saved = texts(chat.say(ADMIN, "chợ không dùng tiền mặt 3, vneid 1234/5000"))
    assert "✅ Đã lưu Chợ không dùng tiền mặt: 3 chợ" in saved and "✅ Đã lưu Xác nhận trên VNeID: 24,7%" in saved
    assert "• Chợ không dùng tiền mặt: 3 chợ" in saved
    refused = texts(chat.say(ADMIN, "chợ không dùng tiền mặt 2,5; vneid 1300/5000"))
    assert "Số «2,5» không dùng được" in refused and "Chưa lưu số liệu nào của tin nhắn này." in refused
    shown = last_with_buttons(chat.say(ADMIN, "/chiso"))
    asked = texts(chat.press(ADMIN, shown, "Chợ không dùng tiền mặt"))
    assert "«Chợ không dùng tiền mặt»: bạn gõ một số nguyên (chợ), ví dụ 12." in asked
    assert "không dùng được" in texts(chat.say(ADMIN, "-4"))
    assert "Tôi chưa đọc được số «bốn»" in texts(chat.say(ADMIN, "bốn"))
    assert "✅ Đã lưu Chợ không dùng tiền mặt: 4 chợ" in texts(chat.say(ADMIN, "4 chợ"))
    with database.session() as session:
        rows = session.exec(select(ProvinceIndicatorValue)).all()
        assert [(r.commune_code, r.month, r.value) for r in rows] == [(SON_KIM_1, dt.date(2026, 10, 1), 4)]
    # another province's commune sees and may enter nothing of it, even by a forged button
    other = last_with_buttons(chat.say(OTHER_ADMIN, "/chiso"))
    assert "Chỉ số riêng" not in other.text and not any(":own:" in b.payload for b in other.buttons)
    n = nonce_of(database, OTHER_ADMIN)
    press_raw(chat, OTHER_ADMIN, f"i:{n}:own:cho_khong_tien_mat")
    assert "Bạn gõ theo mẫu «tên chỉ số số đạt/tổng số»" in texts(chat.say(OTHER_ADMIN, "chợ không dùng tiền mặt 9"))
    with database.session() as session:
        assert len(session.exec(select(ProvinceIndicatorValue)).all()) == 1


def test_a_commune_admin_sets_a_village_s_households_in_thon(chat: ChatDriver, database: Database) -> None:
    listing = texts(chat.say(ADMIN, "/thon"))
    assert "• Thôn 1\n• Thôn 2" in listing and "số hộ" not in listing  # as before: no programme counts households
    saved = texts(chat.say(ADMIN, "Thôn 2 có 120 hộ"))
    assert "✅ Đã ghi số hộ:\n• Thôn 2 — 120 hộ" in saved
    assert "Số hộ của Thôn 2 phải là một số nguyên từ 1 đến 100.000" in texts(chat.say(ADMIN, "Thôn 2 có 12,5 hộ"))
    assert "phải là một số nguyên" in texts(chat.say(ADMIN, "thon 2: -3 ho"))
    assert "Tôi chưa đọc được số hộ" in texts(chat.say(ADMIN, "Thôn 2 có mười hộ"))
    assert "Không tìm thấy thôn «Thôn 9»" in texts(chat.say(ADMIN, "Thôn 9 có 10 hộ"))
    assert "✅ Đã ghi số hộ:\n• Thôn 1 — 80 hộ" in texts(chat.say(ADMIN, "/thon thon 1 co 80 ho"))
    with database.session() as session:
        stored = {v.name: v.households for v in session.exec(select(Village).where(Village.commune_code == SON_KIM_1))}
    assert stored == {"Thôn 1": 80, "Thôn 2": 120}
    with database.session() as session:
        provinces.enable(session, actor=None, province_code=HA_TINH, programme_id="gia_dinh_so", now=chat_now())
    listing = texts(chat.say(ADMIN, "/thon"))
    assert "• Thôn 1 — 80 hộ\n• Thôn 2 — 120 hộ" in listing
    assert "Để ghi số hộ của một thôn (cho chương trình Gia đình số), bạn gõ ví dụ: Thôn 2 có 120 hộ" in listing
    # a village's name still adds a village, after the households
    assert "Thêm 1 thôn sau vào xã?" in texts(chat.say(ADMIN, "Thôn Hà Tân"))
    assert "Việc này không thuộc vai trò của bạn" in texts(chat.say(LEADER, "/thon Thôn 1 có 5 hộ"))


def test_on_zalo_the_buttons_are_numbered_choices(database: Database, config: Config, clock: FixedClock) -> None:
    with database.session() as session:
        viewer = add_member(session, VIEWER, "province_viewer", name="Chị Hà")
        session.add(
            ChannelAccount(member_id=viewer.id, channel="zalo", user_id="zv1", chat_id="zv1", created_at=clock.now())
        )
    zalo = ChatDriver(ConversationEngine(database, config, clock, route), database, channel="zalo")
    listing = zalo.say("zv1", "/chuongtrinh")[-1]
    labels = [b.label for b in listing.buttons]
    assert labels[4] == "▶️ Bật Gia đình số"
    zalo.say("zv1", "5")  # the fifth choice
    assert enabled(database, HA_TINH) == {"gia_dinh_so"}
    listing = zalo.say("zv1", "/chuongtrinh")[-1]
    assert [b.label for b in listing.buttons][5] == "🎯 Mục tiêu"
    asked = zalo.say("zv1", "6")[-1]
    assert "Mục tiêu năm 2026 của «Gia đình số»" in asked.text and not asked.buttons
    assert "không quá 100%" in texts(zalo.say("zv1", "150"))
    assert "✅ Đã đặt mục tiêu năm 2026 của «Gia đình số»: 2%." in texts(zalo.say("zv1", "2"))  # a number, not choice 2
    assert targets(database, HA_TINH) == {"gia_dinh_so": 2.0}


def test_help_names_each_programme_with_an_example_line(chat: ChatDriver, database: Database) -> None:
    """Each example is made from the catalog's words and read back as that programme: a team's one line, the
    commune admin's /chiso, a question for a leader."""
    assert "   • " not in texts(chat.say(MEMBER, "/help"))
    with database.session() as session:
        for programme in ("gia_dinh_so", "dai_su_so", "cho_khong_tien_mat", "vneid_muc_2"):
            provinces.enable(session, actor=None, province_code=HA_TINH, programme_id=programme, now=chat_now())
    member = texts(chat.say(MEMBER, "/help"))
    assert "   • Gia đình số, ví dụ: «hôm nay thêm 6 gia đình số»" in member
    assert "   • Đại sứ số, ví dụ: «đại sứ số Lan đã hướng dẫn xong 5 người»" in member
    assert "   • Chợ không dùng tiền mặt, ví dụ: «xã mình bao nhiêu chợ không dùng tiền mặt?»" in member
    assert "VNeID mức 2" not in member.split("/chuongtrinh")[1].split("\n", 1)[1]  # a national indicator's figure
    admin = texts(chat.say(ADMIN, "/help"))
    assert "   • Chợ không dùng tiền mặt, ví dụ: «/chiso chợ không dùng tiền mặt 3»" in admin
    leader = texts(chat.say(LEADER, "/help"))
    assert "   • Gia đình số, ví dụ: «xã mình bao nhiêu gia đình số?»" in leader
    # the examples do what they say
    read_back = texts(chat.say(MEMBER, "hôm nay thêm 6 gia đình số"))
    assert "Gia đình số" in read_back and "6 hộ" in read_back
    assert "✅ Đã lưu Chợ không dùng tiền mặt: 3 chợ" in texts(chat.say(ADMIN, "/chiso chợ không dùng tiền mặt 3"))
    assert "Gia đình số" in texts(chat.say(LEADER, "xã mình bao nhiêu gia đình số?"))
