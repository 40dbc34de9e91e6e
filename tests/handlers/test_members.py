"""/thanhvien: the area's members, and removing one (entries kept, every account unlinked, told, audited)."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from bot.messages import Incoming
from handlers.router import route
from storage import invites
from storage.activity import export_commune
from storage.areas import add_villages, find_village
from storage.db import Database
from storage.models import AuditEntry, ChannelAccount, Member, OutboxMessage
from tests.chat import ChatDriver, Sent, last_with_buttons

SON_KIM_1, SON_KIM_2 = 18196, 18199
ADMIN, ADMIN_2, LEAD, MEMBER, MEMBER_2, LEADER, OTHER_ADMIN, LEAD_2, CO_LEAD = range(3001, 3010)
_forged_ids = itertools.count(1)


@pytest.fixture
def engine(database: Database, config: Config, clock: FixedClock) -> ConversationEngine:
    return ConversationEngine(database, config, clock, route)


@pytest.fixture
def chat(engine: ConversationEngine, database: Database) -> ChatDriver:
    return ChatDriver(engine, database)


@pytest.fixture
def zalo(engine: ConversationEngine, database: Database) -> ChatDriver:
    return ChatDriver(engine, database, channel="zalo")


def code_for(
    database: Database, clock: FixedClock, role: str, commune: int = SON_KIM_1, village: str | None = None
) -> str:
    with database.session() as session:
        village_id = None
        if village is not None:
            added, _ = add_villages(session, commune, [village], now=clock.now(), actor_id=None)
            found = added[0] if added else find_village(session, commune, village)
            village_id = found.id if found else None
        return invites.create_invite(
            session, role=role, commune_code=commune, village_id=village_id, now=clock.now(), days=14, max_uses=50
        ).code


def join(chat: ChatDriver, user: int, code: str, name: str) -> None:
    assert "Chào mừng" in chat.say(user, f"/start {code}", name=name)[0].text


@pytest.fixture
def commune(chat: ChatDriver, database: Database, clock: FixedClock) -> dict[str, str]:
    """Xã Sơn Kim 1: two admins, a leader, Thôn 2 with two leads and two members, Thôn 5 with a lead."""
    codes = {
        "member": code_for(database, clock, "member", village="Thôn 2"),
        "lead": code_for(database, clock, "team_lead", village="Thôn 2"),
        "lead5": code_for(database, clock, "team_lead", village="Thôn 5"),
    }
    join(chat, ADMIN, code_for(database, clock, "commune_admin"), "Chị Lan")
    join(chat, ADMIN_2, code_for(database, clock, "commune_admin"), "Anh Tú")
    join(chat, LEADER, code_for(database, clock, "commune_leader"), "Ông Bình")
    join(chat, LEAD, codes["lead"], "Bác Hùng")
    join(chat, CO_LEAD, codes["lead"], "Chú Ba")
    join(chat, MEMBER, codes["member"], "Cô Mai")
    join(chat, MEMBER_2, codes["member"], "Em Hoa")
    join(chat, LEAD_2, codes["lead5"], "Chú Sơn")
    join(chat, OTHER_ADMIN, code_for(database, clock, "commune_admin", commune=SON_KIM_2), "Chị Thu")
    return codes


def member_id(database: Database, name: str) -> int:
    with database.session() as session:
        found = session.exec(select(Member).where(Member.display_name == name)).one()
        assert found.id is not None
        return found.id


def press_raw(chat: ChatDriver, user: int, payload: str) -> list[Sent]:
    uid = str(user)
    return chat.send(
        Incoming(
            channel=chat.channel,
            update_id=f"forged-m{next(_forged_ids)}",
            user_id=uid,
            chat_id=uid,
            payload=payload,
            callback_id=f"cb{uid}",
            message_id="1",
            message_text="…",
        )
    )


def test_an_admin_sees_the_commune_by_village_and_role(chat: ChatDriver, commune: dict[str, str]) -> None:
    listing = chat.say(ADMIN, "/thanhvien")[0]
    text = listing.text
    assert "Thành viên của Xã Sơn Kim 1 (8 người)" in text and "Chị Thu" not in text
    order = [
        text.index(part)
        for part in (
            "Cấp xã",
            "Anh Tú",
            "Chị Lan",
            "Ông Bình",
            "Thôn 2",
            "Bác Hùng",
            "Chú Ba",
            "Cô Mai",
            "Em Hoa",
            "Thôn 5",
            "Chú Sơn",
        )
    ]
    assert order == sorted(order)
    assert "Chị Lan — cán bộ xã phụ trách (bạn)" in text
    labels = [b.label for b in listing.buttons]
    assert not any("Chị Lan" in label for label in labels)  # no button to remove oneself
    assert any("Anh Tú" in label for label in labels) and any("Cô Mai" in label for label in labels)


def test_removing_a_member_keeps_entries_and_locks_every_account(
    chat: ChatDriver, zalo: ChatDriver, database: Database, commune: dict[str, str]
) -> None:
    link = chat.say(MEMBER, "/lienket")[0].text.split("Mã liên kết của bạn: ")[1].split()[0]
    assert any("Đã liên kết" in r.text for r in zalo.say(MEMBER, link))
    replies = chat.say(MEMBER, "/ghibuoi")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Hôm qua")
    replies = chat.press(MEMBER, last_with_buttons(replies), "VNeID")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Xong")
    replies = chat.say(MEMBER, "12")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Đúng")
    assert "Đã lưu" in replies[-1].text
    mai = member_id(database, "Cô Mai")

    listing = chat.say(ADMIN, "/thanhvien")[0]
    confirm = last_with_buttons(chat.press(ADMIN, listing, "Cô Mai"))
    assert "Xoá Cô Mai (thành viên tổ CNSCĐ — Thôn 2, Xã Sơn Kim 1) khỏi danh sách?" in confirm.text
    before = max(item.id for item in chat.all_items())
    replies = chat.press(ADMIN, confirm, "🗑️ Xoá")
    assert "Đã xoá Cô Mai khỏi danh sách" in replies[-1].text

    with database.session() as session:
        removed = session.get(Member, mai)
        assert removed is not None and removed.removed_at is not None
        assert session.exec(select(ChannelAccount).where(ChannelAccount.member_id == mai)).all() == []
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "remove")).one()
        told = session.exec(select(OutboxMessage).where(OutboxMessage.id > before)).all()
        sessions = export_commune(session, SON_KIM_1)["sessions"]
    assert entry.actor_id == member_id(database, "Chị Lan") and entry.entity_id == str(mai)
    assert entry.before and entry.before["removed_at"] is None and entry.before["role"] == "member"
    assert {(a["channel"], a["user_id"]) for a in entry.before["accounts"]} == {
        ("telegram", str(MEMBER)),
        ("zalo", str(MEMBER)),
    }
    assert entry.after and entry.after["removed_at"] and entry.after["accounts"] == []
    notices = [m for m in told if m.kind == "message" and m.chat_id == str(MEMBER)]
    assert {m.channel for m in notices} == {"telegram", "zalo"}
    assert all("không còn là thành viên tổ CNSCĐ" in m.payload["text"] for m in notices)
    assert [s["member_id"] for s in sessions] == [mai]  # the entry stays

    for messenger in (chat, zalo):  # a stranger on both messengers now
        assert "tham gia" in messenger.say(MEMBER, "/ghibuoi")[0].text
        assert "chưa tham gia" in messenger.say(MEMBER, "hôm qua thôn 2 học vneid 10 người")[0].text
    assert "không dùng lại được" in chat.say(MEMBER, f"/start {commune['member']}")[0].text
    assert "Chào mừng" in chat.say(MEMBER, f"/start {commune['lead']}")[0].text  # a new code works
    assert "Cô Mai" not in chat.say(ADMIN, "/thanhvien")[0].text


def test_admins_cannot_remove_themselves_nor_other_communes(
    chat: ChatDriver, database: Database, commune: dict[str, str]
) -> None:
    listing = chat.say(ADMIN, "/thanhvien")[0]
    payload = next(b.payload for b in listing.buttons if "Anh Tú" in b.label)
    prefix = payload.rsplit(":", 1)[0]
    assert "không tự xoá mình" in press_raw(chat, ADMIN, f"{prefix}:{member_id(database, 'Chị Lan')}")[-1].text
    listing = chat.say(ADMIN, "/thanhvien")[0]
    prefix = next(b.payload for b in listing.buttons if "Anh Tú" in b.label).rsplit(":", 1)[0]
    replies = press_raw(chat, ADMIN, f"{prefix}:{member_id(database, 'Chị Thu')}")
    assert "Không tìm thấy người này" in replies[-1].text
    assert "Nút này" in press_raw(chat, LEADER, payload)[-1].text  # someone else's button
    with database.session() as session:
        assert all(m.removed_at is None for m in session.exec(select(Member)))


def test_a_team_lead_sees_the_village_and_removes_only_members(
    chat: ChatDriver, database: Database, commune: dict[str, str]
) -> None:
    listing = chat.say(LEAD, "/thanhvien")[0]
    assert "Thành viên của Thôn 2 (4 người)" in listing.text
    assert "Chị Lan" not in listing.text and "Chú Sơn" not in listing.text
    assert sorted(b.label for b in listing.buttons if "Xoá" in b.label) == ["🗑️ Xoá Cô Mai", "🗑️ Xoá Em Hoa"]
    prefix = listing.buttons[0].payload.rsplit(":", 1)[0]
    for name, refusal in (
        ("Chị Lan", "Không tìm thấy"),
        ("Chú Sơn", "Không tìm thấy"),
        ("Bác Hùng", "không tự"),
        ("Chú Ba", "chỉ xoá được thành viên"),
    ):
        assert refusal in press_raw(chat, LEAD, f"{prefix}:{member_id(database, name)}")[-1].text
    listing = chat.say(LEAD, "/thanhvien")[0]
    confirm = last_with_buttons(chat.press(LEAD, listing, "Em Hoa"))
    assert "Đã xoá Em Hoa" in chat.press(LEAD, confirm, "🗑️ Xoá")[-1].text
    assert "chưa tham gia" in chat.say(MEMBER_2, "xin chào")[0].text


def test_members_and_leaders_cannot_list(chat: ChatDriver, commune: dict[str, str]) -> None:
    for user in (MEMBER, LEADER):
        assert "không thuộc vai trò" in chat.say(user, "/thanhvien")[0].text


def test_on_zalo_a_lead_removes_a_member_by_numbered_choices(
    chat: ChatDriver, zalo: ChatDriver, database: Database, commune: dict[str, str]
) -> None:
    zalo_lead = 3100
    assert "Chào mừng" in zalo.say(zalo_lead, f"/start {commune['lead']}", name="Bà Tư")[0].text
    listing = zalo.say(zalo_lead, "/thanhvien")[0]
    assert [b.label for b in listing.buttons][:2] == ["🗑️ Xoá Cô Mai", "🗑️ Xoá Em Hoa"]
    confirm = zalo.say(zalo_lead, "2")[-1]
    assert "Xoá Em Hoa" in confirm.text
    assert "Đã xoá Em Hoa" in zalo.say(zalo_lead, "1")[-1].text
    with database.session() as session:
        assert session.exec(select(Member).where(Member.display_name == "Em Hoa")).one().removed_at is not None
