"""/moi lists the commune's live invite codes with a revoke button; wrong codes make an account wait."""

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
from storage import invites
from storage.areas import add_villages
from storage.db import Database
from storage.errors import DomainError
from storage.models import AuditEntry, CodeAttempt, Invite, Member
from tests.chat import ChatDriver, Sent, last_with_buttons

SON_KIM_1, SON_KIM_2 = 18196, 18199
ADMIN, OTHER_ADMIN, STRANGER, NEIGHBOUR = 2001, 2002, 2003, 2004
WAIT_NOTICE = "Bạn đã nhập sai mã nhiều lần. Bạn vui lòng đợi 10 phút rồi thử lại nhé."
_forged_ids = itertools.count(1)


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock) -> ChatDriver:
    return ChatDriver(ConversationEngine(database, config, clock, route), database)


def make_invite(
    database: Database, clock: FixedClock, role: str, commune: int, village: str | None = None, uses: int = 1
) -> str:
    """A code made from the shell, as an operator would."""
    with database.session() as session:
        village_id = None
        if village is not None:
            added, _ = add_villages(session, commune, [village], now=clock.now(), actor_id=None)
            village_id = added[0].id if added else None
        return invites.create_invite(
            session, role=role, commune_code=commune, village_id=village_id, now=clock.now(), days=14, max_uses=uses
        ).code


def join_admin(chat: ChatDriver, database: Database, clock: FixedClock, user: int, commune: int) -> None:
    replies = chat.say(user, f"/start {make_invite(database, clock, 'commune_admin', commune)}", name="Chị Lan")
    assert "Chào mừng" in replies[0].text


def press_raw(chat: ChatDriver, user: int, payload: str) -> list[Sent]:
    """A button press with a payload written by hand (a forged or replayed button)."""
    uid = str(user)
    return chat.send(
        Incoming(
            channel="telegram",
            update_id=f"forged{next(_forged_ids)}",
            user_id=uid,
            chat_id=uid,
            payload=payload,
            callback_id=f"cb{uid}",
            message_id="1",
            message_text="…",
        )
    )


def is_revoked(database: Database, code: str) -> bool:
    with database.session() as session:
        invite = session.get(Invite, code)
        assert invite is not None
        return invite.revoked


def test_moi_lists_live_codes_and_revokes_one_after_a_confirm(
    chat: ChatDriver, database: Database, clock: FixedClock
) -> None:
    join_admin(chat, database, clock, ADMIN, SON_KIM_1)
    member_code = make_invite(database, clock, "member", SON_KIM_1, village="Thôn 2", uses=50)
    leader_code = make_invite(database, clock, "commune_leader", SON_KIM_1)
    make_invite(database, clock, "member", SON_KIM_2, village="Thôn 2", uses=50)  # another commune: not shown
    replies = chat.say(ADMIN, "/moi")
    assert len(replies) == 1
    codes = replies[0]
    assert "Mã mời đang dùng được (2)" in codes.text
    assert f"{member_code} — thành viên tổ CNSCĐ, Thôn 2 · còn 50 lượt · hết hạn 09/12/2026" in codes.text
    assert f"{leader_code} — lãnh đạo xã · còn 1 lượt" in codes.text
    assert {b.label for b in codes.buttons if "Thu hồi" in b.label} == {
        f"🚫 Thu hồi mã {member_code}",
        f"🚫 Thu hồi mã {leader_code}",
    }
    assert codes.text.endswith("Tạo mã mời cho ai?") and codes.buttons[0].label == "Thành viên tổ"

    replies = chat.press(ADMIN, codes, f"Thu hồi mã {member_code}")
    confirm = last_with_buttons(replies)
    assert "Thu hồi mã này?" in confirm.text and member_code in confirm.text and not is_revoked(database, member_code)
    replies = chat.press(ADMIN, confirm, "Thu hồi")
    assert f"Đã thu hồi mã {member_code}" in replies[-1].text and is_revoked(database, member_code)
    with database.session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "revoke")).one()
        admin = session.exec(select(Member).where(Member.role == "commune_admin")).one()
    assert entry.entity_id == member_code and entry.actor_id == admin.id
    assert entry.before and entry.before["revoked"] is False and entry.after == {"revoked": True, "via": "chat"}
    assert "không đúng" in chat.say(STRANGER, f"/start {member_code}")[0].text

    replies = chat.say(ADMIN, "/moi")
    assert member_code not in replies[0].text and "Mã mời đang dùng được (1)" in replies[0].text


def test_creating_an_invite_still_works_beside_the_list(
    chat: ChatDriver, database: Database, clock: FixedClock
) -> None:
    join_admin(chat, database, clock, ADMIN, SON_KIM_1)
    replies = chat.say(ADMIN, "/moi")
    assert len(replies) == 1 and "Tạo mã mời cho ai?" in replies[0].text  # no live codes: no list
    replies = chat.press(ADMIN, replies[0], "Lãnh đạo xã")
    code = replies[-1].text.split("Mã mời: ")[1].split()[0]
    replies = chat.say(ADMIN, "/moi")
    assert f"{code} — lãnh đạo xã · còn 1 lượt" in replies[0].text
    replies = chat.press(ADMIN, replies[-1], "Cán bộ xã")
    assert "Mã mời:" in replies[-1].text


def test_codes_are_paged_and_revoked_by_number_on_zalo(database: Database, config: Config, clock: FixedClock) -> None:
    zalo = ChatDriver(ConversationEngine(database, config, clock, route), database, channel="zalo")
    assert "Chào mừng" in zalo.say(ADMIN, f"/start {make_invite(database, clock, 'commune_admin', SON_KIM_1)}")[0].text
    codes = [make_invite(database, clock, "commune_leader", SON_KIM_1) for _ in range(12)]
    menu = zalo.say(ADMIN, "/moi")[0]
    assert "Mã mời đang dùng được (12)" in menu.text and "Trang 1/2" in menu.text
    labels = [b.label for b in menu.buttons]
    assert labels[:4] == ["Thành viên tổ", "Tổ trưởng", "Lãnh đạo xã", "Cán bộ xã"]
    assert sum("Thu hồi" in label for label in labels) == 10 and "Trang sau ▶️" in labels
    page_two = zalo.say(ADMIN, str(labels.index("Trang sau ▶️") + 1))[-1]
    assert "Trang 2/2" in page_two.text and sum("Thu hồi" in b.label for b in page_two.buttons) == 2
    first = next(b.label for b in page_two.buttons if "Thu hồi" in b.label)
    target = first.rsplit(" ", 1)[1]
    confirm = zalo.say(ADMIN, str([b.label for b in page_two.buttons].index(first) + 1))[-1]
    assert "Thu hồi mã này?" in confirm.text and target in confirm.text
    assert f"Đã thu hồi mã {target}" in zalo.say(ADMIN, "1")[-1].text
    assert is_revoked(database, target) and sum(is_revoked(database, c) for c in codes) == 1


def test_revoke_buttons_refuse_other_people_and_other_communes(
    chat: ChatDriver, database: Database, clock: FixedClock
) -> None:
    join_admin(chat, database, clock, ADMIN, SON_KIM_1)
    join_admin(chat, database, clock, OTHER_ADMIN, SON_KIM_2)
    mine = make_invite(database, clock, "member", SON_KIM_1, village="Thôn 1", uses=50)
    theirs = make_invite(database, clock, "member", SON_KIM_2, village="Thôn 1", uses=50)
    codes = chat.say(ADMIN, "/moi")[0]
    payload = next(b.payload for b in codes.buttons if mine in b.label)

    # Someone else pressing the admin's button (e.g. in a group): not their flow.
    assert "Nút này" in press_raw(chat, OTHER_ADMIN, payload)[-1].text
    # The other commune's admin forging a payload with their own live flow and our code.
    other_codes = chat.say(OTHER_ADMIN, "/moi")[0]
    own = next(b.payload for b in other_codes.buttons if theirs in b.label)
    replies = press_raw(chat, OTHER_ADMIN, own.replace(theirs, mine))
    assert f"Không tìm thấy mã mời {mine}" in replies[-1].text
    replies = press_raw(chat, OTHER_ADMIN, own.rsplit(":", 2)[0] + ":revoke_yes")  # a confirm never asked for
    assert not is_revoked(database, mine)
    # Storage checks the area again, whatever the button said.
    with database.session() as session:
        admin = session.exec(select(Member).where(Member.commune_code == SON_KIM_1)).one()
        with pytest.raises(DomainError) as refused:
            invites.revoke_invite(session, theirs, now=clock.now(), actor=admin)
    assert refused.value.code == "invite_not_found" and not is_revoked(database, theirs)


def test_five_wrong_codes_make_an_account_wait_ten_minutes(
    chat: ChatDriver, database: Database, clock: FixedClock, config: Config
) -> None:
    right = make_invite(database, clock, "commune_leader", SON_KIM_1)
    for attempt in range(4):
        replies = chat.say(STRANGER, f"/start WRONG{attempt}AB")
        assert "không đúng" in replies[0].text and WAIT_NOTICE not in replies[0].text
    replies = chat.say(STRANGER, "ZZZZ9999")  # a code typed alone counts the same
    assert "không đúng" in replies[0].text and WAIT_NOTICE in replies[0].text
    assert chat.say(STRANGER, "WRONG7AB") == []  # not checked, not answered again
    assert chat.say(STRANGER, f"/start {right}") == []  # even the right code waits

    # The wait is in the database: another engine (a restart, another process) keeps it.
    other = ChatDriver(ConversationEngine(database, config, clock, route), database)
    assert other.say(STRANGER, right) == []
    assert "tham gia" in chat.say(STRANGER, "xin chào")[0].text  # other messages are still answered
    clock.advance(dt.timedelta(minutes=9, seconds=59))
    assert chat.say(STRANGER, right) == []
    clock.advance(dt.timedelta(seconds=1))
    assert "Chào mừng" in chat.say(STRANGER, right)[0].text
    with database.session() as session:
        assert session.exec(select(CodeAttempt)).all() == []  # forgotten once joined


def test_wrong_codes_spread_over_more_than_ten_minutes_do_not_lock(
    chat: ChatDriver, database: Database, clock: FixedClock
) -> None:
    for _ in range(4):
        chat.say(NEIGHBOUR, "/start AAAA2222")
    clock.advance(dt.timedelta(minutes=10, seconds=1))
    for _ in range(4):
        replies = chat.say(NEIGHBOUR, "/start AAAA2222")
        assert "không đúng" in replies[0].text and WAIT_NOTICE not in replies[0].text
    replies = chat.say(NEIGHBOUR, "/start AAAA2222")
    assert WAIT_NOTICE in replies[0].text


def test_the_wait_is_per_account(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    right = make_invite(database, clock, "commune_leader", SON_KIM_1)
    for _ in range(5):
        chat.say(STRANGER, "/start AAAA2222")
    assert chat.say(STRANGER, f"/start {right}") == []
    assert "Chào mừng" in chat.say(NEIGHBOUR, f"/start {right}")[0].text  # another person is not held back
