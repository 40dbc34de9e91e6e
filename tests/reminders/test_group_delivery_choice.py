"""The commune admin chooses in their private chat (/nhom) where the commune's reminders go: its group chats, each
person privately, or both; the reminders follow. In a group /nhom still binds the group; nobody else may choose."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from bot.i18n import Translator
from bot.reminders.planner import preview
from handlers.menu import command_menu
from handlers.router import route
from storage import groups
from storage.db import Database
from storage.models import AuditEntry
from tests.chat import ChatDriver, last_with_buttons
from tests.conftest import VN
from tests.reminders.conftest import SON_KIM_1, Area, local
from tests.reminders.test_group_planner import THON2_GROUP, THON3_ZALO, bound  # noqa: F401


@pytest.fixture
def chat(database: Database, config: Config, week_clock: FixedClock) -> ChatDriver:
    return ChatDriver(ConversationEngine(database, config, week_clock, route), database)


def thursday_recipients(database: Database) -> set[str]:
    with database.session() as session:
        return {d.chat_id for d in preview(session, VN, local(2026, 11, 26, 19, 0))}


def test_the_admin_sees_the_groups_and_chooses_where_reminders_go(
    chat: ChatDriver,
    database: Database,
    bound: Area,  # noqa: F811  # the fixture imported above
) -> None:
    admin = bound.people["admin"]
    view = last_with_buttons(chat.say(admin, "/nhom"))
    assert view.text.startswith("👥 Nhóm chat của Xã Sơn Kim 1")
    assert "• «Tổ CNSCĐ Thôn 2» — Thôn 2 (Telegram)" in view.text
    assert "• «Tổ CNSCĐ Thôn 3» — Thôn 3 (Zalo)" in view.text
    assert "• «CNSCĐ Xã Sơn Kim 1» — nhóm của xã (Telegram)" in view.text
    assert "hiện gửi: theo mặc định (vào nhóm chat nếu thôn, xã đã gắn nhóm;" in view.text
    assert [b.label for b in view.buttons] == [
        "👥 Vào nhóm chat",
        "👤 Nhắn riêng từng người",
        "👥👤 Cả hai",
        "❌ Đóng",
    ]
    assert THON2_GROUP in thursday_recipients(database)
    done = chat.press(admin, view, "Nhắn riêng")
    assert "✅ Đã lưu" in done[-1].text and "nhắn riêng từng người, không gửi vào nhóm" in done[-1].text
    with database.session() as session:
        assert groups.delivery_choice(session, SON_KIM_1) == "direct"
        entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "communesetting")).all()[-1]
        assert entry.actor_id == admin
    assert THON2_GROUP not in thursday_recipients(database) and bound.chat("mem2") in thursday_recipients(database)
    # The view shows the choice; an old view's button is stale.
    again = last_with_buttons(chat.say(admin, "/nhom"))
    assert "hiện gửi: nhắn riêng từng người" in again.text and "✅ 👤 Nhắn riêng từng người" in [
        b.label for b in again.buttons
    ]
    assert "Nút này thuộc một thao tác đã xong" in chat.press(admin, view, "Cả hai")[-1].text
    chat.press(admin, again, "Cả hai")
    assert {THON2_GROUP, THON3_ZALO, bound.chat("mem2")} <= thursday_recipients(database)
    closed = chat.press(admin, last_with_buttons(chat.say(admin, "/nhom")), "Đóng")
    assert closed[-1].text == "Đã đóng."
    with database.session() as session:
        assert groups.delivery_choice(session, SON_KIM_1) == "both"
    # Typing while the view is open is read anew, as anywhere else.
    chat.say(admin, "/nhom")
    assert "Nhắc việc" in chat.say(admin, "/nhacnho")[0].text


def test_only_the_commune_admin_chooses(chat: ChatDriver, area: Area) -> None:
    for name in ("lead1", "leader", "mem2"):
        replies = chat.say(area.people[name], "/nhom")
        assert "dùng trong nhóm chat" in replies[-1].text and not replies[-1].buttons
    with area.database.session() as session:
        assert groups.delivery_choice(session, SON_KIM_1) is None


def test_the_admins_menu_has_the_groups_view(area: Area) -> None:
    menu = dict(command_menu(area.member("admin"), Translator("vi")))
    assert menu["nhom"] == "Nhóm chat của xã, nơi gửi nhắc việc"
    assert "nhom" not in dict(command_menu(area.member("mem2"), Translator("vi")))


def test_the_reminders_menu_leads_the_admin_to_the_same_choice_and_nobody_else(
    chat: ChatDriver,
    database: Database,
    bound: Area,  # noqa: F811  # the fixture imported above
) -> None:
    """/nhacnho offers the commune admin «Nhắc vào nhóm chat hay nhắn riêng», which opens /nhom's choice; a
    member's /nhacnho has no such button, and a forged press of it changes nothing."""
    admin, member = bound.people["admin"], bound.people["mem2"]
    menu = last_with_buttons(chat.say(admin, "/nhacnho"))
    view = chat.press(admin, menu, "Nhắc vào nhóm chat hay nhắn riêng")[-1]
    assert view.text.startswith("👥 Nhóm chat của Xã Sơn Kim 1")
    done = chat.press(admin, view, "Cả hai")
    assert "✅ Đã lưu" in done[-1].text
    with database.session() as session:
        assert groups.delivery_choice(session, SON_KIM_1) == "both"
    theirs = last_with_buttons(chat.say(member, "/nhacnho"))
    assert "Nhắc vào nhóm chat hay nhắn riêng" not in [b.label for b in theirs.buttons]
    nonce = theirs.buttons[0].payload.split(":")[1]
    forged = chat.send(chat._incoming(member, None, payload=f"rm:{nonce}:delivery", callback_id="cb-forged"))
    assert "Nhóm chat của" not in forged[-1].text
    with database.session() as session:
        assert groups.delivery_choice(session, SON_KIM_1) == "both"
