"""The bot in a group chat, through the real engine: hello once, /nhom, logging from the group, another person's
button, strangers, talk not meant for the bot, the bot removed, a supergroup migration."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from bot.messages import Incoming
from handlers.router import route
from storage import groups, invites
from storage.areas import add_villages
from storage.db import Database
from storage.models import AuditEntry, OutboxMessage, TrainingSession
from tests.chat import ChatDriver, Sent, last_with_buttons

SON_KIM_1 = 18196
ADMIN, LEAD, MEMBER, OTHER, STRANGER = 4001, 4002, 4003, 4004, 4009
GROUP = "-4242"
_ids = itertools.count(1)


class GroupDriver(ChatDriver):
    """People talking in one group chat (by default to the bot: a command, a mention or a reply)."""

    def __init__(self, engine: ConversationEngine, database: Database, chat_id: str = GROUP) -> None:
        super().__init__(engine, database)
        self.chat_id = chat_id
        self.addressed = True

    def _incoming(self, user: int | str, update_id: str | None, **fields: Any) -> Incoming:
        fields.setdefault("addressed", self.addressed)
        if fields.get("text") is not None:
            fields.setdefault("said_id", str(700 + next(_ids)))
        return Incoming(
            channel=self.channel,
            update_id=update_id or f"g{next(_ids)}",
            user_id=str(user),
            chat_id=self.chat_id,
            chat_type="group",
            chat_title="Tổ CNSCĐ Thôn 2",
            **fields,
        )

    def event(self, user: int, event: str, migrated_to: str | None = None) -> list[Sent]:
        return self.send(self._incoming(user, None, group_event=event, migrated_to=migrated_to))

    def mumble(self, user: int, text: str) -> list[Sent]:
        """Group talk not meant for the bot (delivered with privacy mode off)."""
        return self.send(self._incoming(user, None, text=text, addressed=False))

    def toasts(self) -> list[str]:
        with self.database.session() as session:
            rows = session.exec(
                select(OutboxMessage).where(OutboxMessage.kind == "answer_callback").order_by(OutboxMessage.id)  # type: ignore[arg-type]  # a column, typed as an int by SQLModel
            ).all()  # in the order written: without ORDER BY, PostgreSQL may return them in any order
            return [str(row.payload.get("text")) for row in rows]


@pytest.fixture
def engine(database: Database, config: Config, clock: FixedClock) -> ConversationEngine:
    return ConversationEngine(database, config, clock, route)


@pytest.fixture
def people(engine: ConversationEngine, database: Database, clock: FixedClock) -> dict[str, Any]:
    """Xã Sơn Kim 1 with Thôn 2 and Thôn 5: an admin, Thôn 2's lead and two members, all joined in private."""
    private = ChatDriver(engine, database)
    with database.session() as session:
        villages, _ = add_villages(session, SON_KIM_1, ["Thôn 2", "Thôn 5"], now=clock.now(), actor_id=None)
        thon2 = villages[0].id
        codes = {
            role: invites.create_invite(
                session,
                role=role,
                commune_code=SON_KIM_1,
                village_id=None if role == "commune_admin" else thon2,
                now=clock.now(),
                days=14,
                max_uses=50,
            ).code
            for role in ("commune_admin", "team_lead", "member")
        }
    for user, role, name in [
        (ADMIN, "commune_admin", "Chị Lan"),
        (LEAD, "team_lead", "Bác Hùng"),
        (MEMBER, "member", "Cô Mai"),
        (OTHER, "member", "Em Hoa"),
    ]:
        assert "Chào mừng" in private.say(user, f"/start {codes[role]}", name=name)[0].text
    return {"thon2": thon2, "member_code": codes["member"]}


@pytest.fixture
def group(engine: ConversationEngine, database: Database) -> GroupDriver:
    return GroupDriver(engine, database)


def _bind_to_thon2(group: GroupDriver) -> None:
    offer = last_with_buttons(group.say(LEAD, "/nhom"))
    assert [b.label for b in offer.buttons] == ["🏡 Thôn 2", "Huỷ"]  # a lead: their own village only
    done = group.press(LEAD, offer, "Thôn 2")
    assert "nhóm của Thôn 2, Xã Sơn Kim 1" in done[-1].text


def test_hello_once_when_added_and_only_who_may_binds(group: GroupDriver, people: dict[str, Any]) -> None:
    hello = group.event(ADMIN, "bot_added")
    assert len(hello) == 1 and hello[0].chat_id == GROUP and "/nhom" in hello[0].text
    assert group.event(ADMIN, "bot_added") == []  # told again: no second hello
    refused = group.say(MEMBER, "/nhom")
    assert "Chỉ cán bộ xã phụ trách hoặc tổ trưởng" in refused[-1].text and not refused[-1].buttons
    _bind_to_thon2(group)
    # The admin sees the binding and may change it or end it (after a confirm).
    offer = last_with_buttons(group.say(ADMIN, "/nhom"))
    assert "Nhóm này đang là nhóm của Thôn 2" in offer.text
    labels = [b.label for b in offer.buttons]
    assert labels[0] == "🏛️ Nhóm của Xã Sơn Kim 1" and "🏡 Thôn 5" in labels and "Bỏ gắn nhóm" in labels
    confirm = last_with_buttons(group.press(ADMIN, offer, "Bỏ gắn nhóm"))
    assert "Đã bỏ gắn" in group.press(ADMIN, confirm, "Đúng")[-1].text
    with group.database.session() as session:
        assert groups.bound_groups(session) == []
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "groupchat")).all()
    assert actions == ["bind", "unbind"]


def test_logging_in_a_village_group_and_another_persons_button(group: GroupDriver, people: dict[str, Any]) -> None:
    _bind_to_thon2(group)
    read_back = last_with_buttons(group.say(MEMBER, "hôm qua học cài VNeID 12 người"))
    assert read_back.chat_id == GROUP and "Thôn 2" in read_back.text  # the group's village, not asked
    # Someone else presses «Đúng»: a notice only they see, the read-back stays, nothing is saved.
    assert group.press(OTHER, read_back, "Đúng") == []
    assert "dành cho người đã bắt đầu" in group.toasts()[-1]
    with group.database.session() as session:
        assert session.exec(select(TrainingSession)).all() == []
    saved = group.press(MEMBER, read_back, "Đúng")
    closed, thanks = saved  # the read-back closed, then one short line for the group
    assert closed.kind == "edit" and "Thôn 2" in closed.text and not closed.buttons
    assert thanks.text == "✅ Đã lưu. Cảm ơn Cô Mai!" and not thanks.buttons and thanks.chat_id == GROUP
    with group.database.session() as session:
        (row,) = session.exec(select(TrainingSession)).all()
    assert row.village_id == people["thon2"] and row.attendees == 12


def test_guided_logging_in_the_group_starts_with_the_groups_village(group: GroupDriver, people: dict[str, Any]) -> None:
    _bind_to_thon2(group)
    asked = group.say(ADMIN, "/ghibuoi")  # a commune admin, who is otherwise asked the village
    day = last_with_buttons(asked)
    topics = last_with_buttons(group.press(ADMIN, day, "Hôm nay"))
    assert "Thôn 2" not in [b.label for b in topics.buttons] and "nội dung" in topics.text.lower()


def test_strangers_group_talk_and_private_matters(group: GroupDriver, people: dict[str, Any]) -> None:
    _bind_to_thon2(group)
    # The village has a personal member invite only: it is never shown in the group.
    asked = group.say(STRANGER, "@bot cho mình tham gia với")
    assert len(asked) == 1 and "chưa tham gia" in asked[0].text and people["member_code"] not in asked[0].text
    # The lead makes the village's join link in private (/moi, «Mã cho cả thôn»): strangers are pointed to it.
    private = ChatDriver(group.engine, group.database)
    menu = last_with_buttons(private.say(LEAD, "/moi"))
    made = private.press(LEAD, menu, "Mã cho cả thôn")
    with group.database.session() as session:
        link = invites.village_join_link(session, people["thon2"], group.engine.clock.now())
    assert link is not None and link.code in made[-1].text
    pointed = group.say(STRANGER, "@bot cho mình tham gia với")
    assert len(pointed) == 1 and "chưa tham gia" in pointed[0].text and link.code in pointed[0].text
    assert group.mumble(MEMBER, "hôm nay mưa to quá") == []  # not for the bot: silence
    private = group.say(MEMBER, "/moi")
    assert "chat riêng" in private[-1].text
    with group.database.session() as session:
        assert session.exec(select(TrainingSession)).all() == []


def test_the_bot_removed_and_the_group_migrated(group: GroupDriver, people: dict[str, Any]) -> None:
    _bind_to_thon2(group)
    assert group.event(ADMIN, "migrated", migrated_to="-1004242") == []
    with group.database.session() as session:
        assert [g.chat_id for g in groups.bound_groups(session)] == ["-1004242"]
    moved = GroupDriver(group.engine, group.database, chat_id="-1004242")
    moved.event(ADMIN, "bot_removed")
    with group.database.session() as session:
        assert groups.bound_groups(session) == []
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "groupchat")).all()
    assert actions == ["bind", "migrate", "bot_removed"]
    assert "Xin chào" in moved.event(ADMIN, "bot_added")[0].text  # added back: hello again


def test_a_read_back_shown_before_the_migration_is_saved_after_it(group: GroupDriver, people: dict[str, Any]) -> None:
    """The group becomes a supergroup while a read-back waits: its «Đúng», pressed in the supergroup (Telegram
    keeps the history there), saves it, once."""
    _bind_to_thon2(group)
    read_back = last_with_buttons(group.say(MEMBER, "hôm qua học cài VNeID 12 người"))
    group.event(ADMIN, "migrated", migrated_to="-1004242")
    moved = GroupDriver(group.engine, group.database, chat_id="-1004242")
    saved = moved.press(MEMBER, read_back, "Đúng")
    assert saved[-1].text == "✅ Đã lưu. Cảm ơn Cô Mai!" and saved[-1].chat_id == "-1004242"
    again = moved.press(MEMBER, read_back, "Đúng")  # pressed again: not saved twice
    assert "Đã lưu" not in " ".join(sent.text for sent in again)
    with group.database.session() as session:
        (row,) = session.exec(select(TrainingSession)).all()
    assert row.village_id == people["thon2"] and row.attendees == 12


def test_a_question_waiting_for_typing_asks_for_a_reply(group: GroupDriver, people: dict[str, Any]) -> None:
    _bind_to_thon2(group)
    group.say(MEMBER, "hôm nay học cài VNeID")
    with group.database.session() as session:
        last = session.exec(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()  # type: ignore[union-attr]
    assert last is not None and last.chat_id == GROUP
    assert last.payload.get("answer_here") is True and str(last.payload.get("reply_to", "")).isdigit()
    assert "trả lời (reply)" in last.payload["text"]
    # The private chat is as before: no such hint there.
    private = ChatDriver(group.engine, group.database).say(MEMBER, "hôm nay học cài VNeID")
    assert "reply" not in private[-1].text and not private[-1].payload.get("answer_here")


def test_on_zalo_only_the_author_answers_the_numbers(engine: ConversationEngine, people: dict[str, Any]) -> None:
    zalo = GroupDriver(engine, engine.database, chat_id="zg-1")
    zalo.channel = "zalo"
    private = ChatDriver(engine, engine.database, channel="zalo")
    with engine.database.session() as session:
        code = invites.create_invite(
            session,
            role="member",
            commune_code=SON_KIM_1,
            village_id=people["thon2"],
            now=engine.clock.now(),
            days=1,
            max_uses=5,
        ).code
    for user, name in [(MEMBER, "Cô Mai"), (OTHER, "Em Hoa")]:
        private.say(user, f"/start {code}", name=name)
    read_back = zalo.say(MEMBER, "hôm qua thôn 2 học cài VNeID 12 người")
    assert "1." in read_back[-1].text or "Đúng" in read_back[-1].text
    assert zalo.say(OTHER, "1") == []  # another person's «1»: nothing, nothing saved
    with engine.database.session() as session:
        assert session.exec(select(TrainingSession)).all() == []
    saved = zalo.say(MEMBER, "1")
    assert saved[-1].text == "✅ Đã lưu. Cảm ơn Cô Mai!"
    with engine.database.session() as session:
        assert len(session.exec(select(TrainingSession)).all()) == 1
