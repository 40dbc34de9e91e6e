"""Buttons of a guided flow pressed at a step that did not offer them (an older message of the same flow, or a
payload copied from one's own buttons and changed): answered politely, the current step asked again, nothing
raised, nothing saved. And members removed from an area are not offered to log on behalf of."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine, Outcome
from bot.messages import Incoming
from handlers import corrections, freetext, log_help, log_session
from handlers.log_steps import Offered
from handlers.router import route
from storage import invites
from storage.areas import add_villages, find_village
from storage.db import Database
from storage.members import remove_member
from storage.models import ConversationState, HelpRecord, Member, TrainingSession
from tests.chat import ChatDriver, Sent, last_with_buttons

SON_KIM_1, SON_KIM_2 = 18196, 18199
ADMIN, LEAD, MEMBER, MEMBER_2, OTHER_ADMIN = range(5001, 5006)
OLD_BUTTON = "Nút này đã cũ"
_forged = itertools.count(1)


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock) -> ChatDriver:
    return ChatDriver(ConversationEngine(database, config, clock, route), database)


def code_for(
    database: Database, clock: FixedClock, role: str, commune: int = SON_KIM_1, village: str | None = None
) -> str:
    """An invite for a role (adding the village when it is new)."""
    with database.session() as session:
        village_id = None
        if village is not None:
            added, _ = add_villages(session, commune, [village], now=clock.now(), actor_id=None)
            found = added[0] if added else find_village(session, commune, village)
            village_id = found.id if found else None
        return invites.create_invite(
            session, role=role, commune_code=commune, village_id=village_id, now=clock.now(), days=14, max_uses=50
        ).code


@pytest.fixture
def area(chat: ChatDriver, database: Database, clock: FixedClock) -> dict[str, int]:
    """Xã Sơn Kim 1 with Thôn 1 and Thôn 2 (an admin, a lead and two members of Thôn 2); Xã Sơn Kim 2 with
    Thôn 9 and its admin. Returns the village ids by name."""
    codes = {
        "member": code_for(database, clock, "member", village="Thôn 2"),
        "lead": code_for(database, clock, "team_lead", village="Thôn 2"),
        "other": code_for(database, clock, "commune_admin", commune=SON_KIM_2),
    }
    code_for(database, clock, "member", village="Thôn 1")
    code_for(database, clock, "member", commune=SON_KIM_2, village="Thôn 9")
    for user, code, name in (
        (ADMIN, code_for(database, clock, "commune_admin"), "Chị Lan"),
        (LEAD, codes["lead"], "Bác Hùng"),
        (MEMBER, codes["member"], "Cô Mai"),
        (MEMBER_2, codes["member"], "Em Hoa"),
        (OTHER_ADMIN, codes["other"], "Chị Thu"),
    ):
        assert "Chào mừng" in chat.say(user, f"/start {code}", name=name)[0].text
    with database.session() as session:
        villages = {
            name: find_village(session, commune, name)
            for name, commune in (("Thôn 1", SON_KIM_1), ("Thôn 2", SON_KIM_1), ("Thôn 9", SON_KIM_2))
        }
        return {name: v.id for name, v in villages.items() if v is not None and v.id is not None}


def press_raw(chat: ChatDriver, user: int, payload: str) -> list[Sent]:
    """Press a button with this payload (as a forger would), and check that nothing raised."""
    uid = str(user)
    replies = chat.send(
        Incoming(
            channel=chat.channel,
            update_id=f"stale-{next(_forged)}",
            user_id=uid,
            chat_id=uid,
            payload=payload,
            callback_id=f"cb{uid}",
            message_id="1",
            message_text="…",
        )
    )
    assert chat.last_outcome is Outcome.HANDLED, payload
    return replies


def say(chat: ChatDriver, user: int, text: str) -> list[Sent]:
    replies = chat.say(user, text)
    assert chat.last_outcome is Outcome.HANDLED, text
    return replies


def nonce(replies: list[Sent]) -> str:
    """The nonce on the person's own buttons (the second part of a flow's payload)."""
    return last_with_buttons(replies).buttons[0].payload.split(":")[1]


def step_of(database: Database, user: int) -> str:
    with database.session() as session:
        state = session.exec(select(ConversationState).where(ConversationState.user_id == str(user))).one()
        return state.name


def texts(replies: list[Sent]) -> str:
    return "\n".join(r.text for r in replies)


def count(database: Database, model: type, *conditions: object) -> int:
    with database.session() as session:
        return len(session.exec(select(model).where(*conditions)).all())  # type: ignore[arg-type]


def test_again_right_after_start_is_an_old_button_and_the_day_is_asked_again(
    chat: ChatDriver, database: Database, area: dict[str, int]
) -> None:
    replies = say(chat, MEMBER, "/ghibuoi")
    replies = press_raw(chat, MEMBER, f"s:{nonce(replies)}:again")  # was KeyError: 'date'
    assert OLD_BUTTON in texts(replies) and "ngày nào" in replies[-1].text
    assert step_of(database, MEMBER) == log_session.DATE
    # The flow goes on as usual from the question asked again.
    replies = chat.press(MEMBER, last_with_buttons(replies), "Hôm nay")
    replies = chat.press(MEMBER, last_with_buttons(replies), "VNeID")
    replies = chat.press(MEMBER, replies[0], "Xong")
    replies = chat.press(MEMBER, last_with_buttons(say(chat, MEMBER, "12")), "Đúng")
    assert "Đã lưu buổi sinh hoạt" in replies[-1].text
    assert count(database, TrainingSession) == 1


def test_a_forged_village_of_another_commune_then_pressed_through_saves_nothing(
    chat: ChatDriver, database: Database, area: dict[str, int]
) -> None:
    replies = say(chat, ADMIN, "/ghibuoi")
    n = nonce(replies)
    press_raw(chat, ADMIN, f"s:{n}:date:today")
    replies = press_raw(chat, ADMIN, f"s:{n}:village:{area['Thôn 9']}")
    assert "Không tìm thấy thôn này" in texts(replies) and "Thôn 9" not in texts(replies)
    for action in ("topic:other_platforms", "topics_done"):
        replies = press_raw(chat, ADMIN, f"s:{n}:{action}")
        assert OLD_BUTTON in texts(replies) and "thôn nào" in replies[-1].text
    say(chat, ADMIN, "12")
    for action in ("save", "again"):  # was KeyError: 'village_id'
        replies = press_raw(chat, ADMIN, f"s:{n}:{action}")
        assert OLD_BUTTON in texts(replies) and "thôn nào" in replies[-1].text
    assert step_of(database, ADMIN) == log_session.VILLAGE
    assert count(database, TrainingSession) == 0


def test_kind_before_the_village_is_an_old_button(chat: ChatDriver, database: Database, area: dict[str, int]) -> None:
    replies = say(chat, ADMIN, "/ghigiup")
    n = nonce(replies)
    press_raw(chat, ADMIN, f"h:{n}:date:today")
    village_question = press_raw(chat, ADMIN, f"h:{n}:kind:e_health")
    assert OLD_BUTTON in texts(village_question) and "thôn nào" in village_question[-1].text
    replies = say(chat, ADMIN, "7")  # was KeyError: 'village_id' in the read-back
    assert "Đúng" not in texts(replies) and step_of(database, ADMIN) == log_help.VILLAGE
    replies = chat.press(ADMIN, last_with_buttons(village_question), "Thôn 1")
    replies = chat.press(ADMIN, last_with_buttons(replies), "Sổ sức khỏe")
    replies = chat.press(ADMIN, last_with_buttons(say(chat, ADMIN, "7")), "Đúng")
    assert "Đã lưu số người được hỗ trợ" in replies[-1].text
    assert count(database, HelpRecord, HelpRecord.village_id == area["Thôn 1"], HelpRecord.count == 7) == 1


SESSION_ACTIONS = [
    "again",
    "save",
    "fix",
    "behalf",
    "behalf_pick:me",
    "fix_field:date",
    "topic:vneid",
    "topics_done",
    "village:1",
    "date:today",
    "more",
    "nonsense",
    "pick:s1",
    "field:date",
]


def _not_offered(table: Offered, step: str, actions: list[str]) -> list[str]:
    """The actions (with their arguments) that the step did not offer."""
    return [a for a in actions if not ({step, "*"} & set(table.get(a.split(":")[0], ())))]


def _press_each_not_offered(
    chat: ChatDriver, database: Database, user: int, flow: str, n: str, table: Offered, actions: list[str]
) -> int:
    """At the current step, every button it did not offer: refused politely, the step unchanged."""
    step = step_of(database, user)
    pressed = 0
    for action in _not_offered(table, step, actions):
        replies = press_raw(chat, user, f"{flow}:{n}:{action}")
        assert OLD_BUTTON in texts(replies), (step, action)
        assert step_of(database, user) == step, (step, action)
        pressed += 1
    return pressed


def test_every_step_of_the_session_flow_refuses_the_buttons_it_did_not_offer(
    chat: ChatDriver, database: Database, area: dict[str, int]
) -> None:
    table = log_session.OFFERED
    replies = say(chat, LEAD, "/ghibuoi")
    n = nonce(replies)
    pressed = _press_each_not_offered(chat, database, LEAD, "s", n, table, SESSION_ACTIONS)  # the day
    press_raw(chat, LEAD, f"s:{n}:date:other")
    pressed += _press_each_not_offered(chat, database, LEAD, "s", n, table, SESSION_ACTIONS)  # the typed day
    press_raw(chat, LEAD, f"s:{n}:date:today")
    pressed += _press_each_not_offered(chat, database, LEAD, "s", n, table, SESSION_ACTIONS)  # the topics
    press_raw(chat, LEAD, f"s:{n}:topic:vneid")
    press_raw(chat, LEAD, f"s:{n}:topics_done")
    pressed += _press_each_not_offered(chat, database, LEAD, "s", n, table, SESSION_ACTIONS)  # how many
    say(chat, LEAD, "12")
    pressed += _press_each_not_offered(chat, database, LEAD, "s", n, table, SESSION_ACTIONS)  # the read-back
    press_raw(chat, LEAD, f"s:{n}:fix")
    pressed += _press_each_not_offered(chat, database, LEAD, "s", n, table, SESSION_ACTIONS)  # which part
    press_raw(chat, LEAD, f"s:{n}:fix_field:attendees")
    say(chat, LEAD, "13")
    press_raw(chat, LEAD, f"s:{n}:save")
    assert count(database, TrainingSession) == 1
    replies = say(chat, LEAD, "/ghibuoi")  # the same again: the twin question
    n = nonce(replies)
    for action in ("date:today", "topic:vneid", "topics_done"):
        press_raw(chat, LEAD, f"s:{n}:{action}")
    say(chat, LEAD, "9")
    replies = press_raw(chat, LEAD, f"s:{n}:save")
    assert "ghi thêm một buổi nữa" in replies[-1].text and step_of(database, LEAD) == log_session.TWIN
    pressed += _press_each_not_offered(chat, database, LEAD, "s", n, table, SESSION_ACTIONS)
    replies = press_raw(chat, LEAD, f"s:{n}:save")  # the read-back's «Đúng» under the twin question
    assert OLD_BUTTON in texts(replies) and count(database, TrainingSession) == 1
    assert pressed > 60


def test_every_step_of_the_help_flow_refuses_the_buttons_it_did_not_offer(
    chat: ChatDriver, database: Database, area: dict[str, int]
) -> None:
    table = log_help.OFFERED
    actions = [*SESSION_ACTIONS, "kind:e_health"]
    replies = say(chat, ADMIN, "/ghigiup")
    n = nonce(replies)
    _press_each_not_offered(chat, database, ADMIN, "h", n, table, actions)  # the day
    press_raw(chat, ADMIN, f"h:{n}:date:yesterday")
    _press_each_not_offered(chat, database, ADMIN, "h", n, table, actions)  # the village
    press_raw(chat, ADMIN, f"h:{n}:village:{area['Thôn 2']}")
    _press_each_not_offered(chat, database, ADMIN, "h", n, table, actions)  # the kind
    press_raw(chat, ADMIN, f"h:{n}:kind:digital_signature")
    _press_each_not_offered(chat, database, ADMIN, "h", n, table, actions)  # how many
    say(chat, ADMIN, "4")
    _press_each_not_offered(chat, database, ADMIN, "h", n, table, actions)  # the read-back
    press_raw(chat, ADMIN, f"h:{n}:kind:nonsense")
    assert step_of(database, ADMIN) == log_help.CONFIRM
    replies = press_raw(chat, ADMIN, f"h:{n}:save")
    assert "Đã lưu số người được hỗ trợ" in replies[-1].text
    assert count(database, HelpRecord) == 1


def test_corrections_take_each_button_only_where_it_was_offered(
    chat: ChatDriver, database: Database, area: dict[str, int]
) -> None:
    replies = say(chat, MEMBER, "/ghigiup")
    n = nonce(replies)
    for action in ("date:today", "kind:e_health"):
        press_raw(chat, MEMBER, f"h:{n}:{action}")
    say(chat, MEMBER, "6")
    press_raw(chat, MEMBER, f"h:{n}:save")
    with database.session() as session:
        record_id = session.exec(select(HelpRecord.id)).one()
    replies = say(chat, MEMBER, "/sua")
    n = nonce(replies)
    for action in ("delete", "save", "field:count", "topics_done", "village:1", "date:today", "pick:s²"):
        replies = press_raw(chat, MEMBER, f"x:{n}:{action}")
        assert OLD_BUTTON in texts(replies) and step_of(database, MEMBER) == corrections.PICK, action
    press_raw(chat, MEMBER, f"x:{n}:pick:h{record_id}")
    # A help record has no attendees or topics; a member with one village has no village to change.
    for action in ("field:attendees", "field:topics", "field:village", "field:nonsense", "delete", "save"):
        replies = press_raw(chat, MEMBER, f"x:{n}:{action}")  # field:attendees was ValueError when saved
        assert OLD_BUTTON in texts(replies) and step_of(database, MEMBER) == corrections.FIELD, action
    press_raw(chat, MEMBER, f"x:{n}:field:count")
    replies = press_raw(chat, MEMBER, f"x:{n}:village:{area['Thôn 1']}")  # asked a count, not a village
    assert OLD_BUTTON in texts(replies) and "Thôn 1" not in texts(replies)
    replies = press_raw(chat, MEMBER, f"x:{n}:date:today")
    assert OLD_BUTTON in texts(replies) and step_of(database, MEMBER) == corrections.VALUE
    replies = say(chat, MEMBER, "8")
    assert "Sửa thành: 8" in replies[-1].text
    replies = press_raw(chat, MEMBER, f"x:{n}:save")
    assert "Đã sửa" in replies[-1].text
    with database.session() as session:
        assert [(r.village_id, r.count) for r in session.exec(select(HelpRecord))] == [(area["Thôn 2"], 8)]


def test_an_admin_cannot_move_an_entry_to_another_communes_village(
    chat: ChatDriver, database: Database, area: dict[str, int]
) -> None:
    replies = say(chat, ADMIN, "/ghibuoi")
    n = nonce(replies)
    for action in ("date:today", f"village:{area['Thôn 1']}", "topic:vneid", "topics_done"):
        press_raw(chat, ADMIN, f"s:{n}:{action}")
    say(chat, ADMIN, "10")
    press_raw(chat, ADMIN, f"s:{n}:save")
    replies = say(chat, ADMIN, "/sua")
    replies = chat.press(ADMIN, last_with_buttons(replies), "Buổi sinh hoạt")
    n = nonce(replies)
    press_raw(chat, ADMIN, f"x:{n}:field:village")
    replies = press_raw(chat, ADMIN, f"x:{n}:village:{area['Thôn 9']}")
    assert "Không tìm thấy thôn này" in texts(replies) and "Thôn 9" not in texts(replies)
    assert step_of(database, ADMIN) == corrections.VALUE
    assert count(database, TrainingSession, TrainingSession.village_id == area["Thôn 1"]) == 1


def test_a_removed_member_is_not_offered_to_log_for(
    chat: ChatDriver, database: Database, clock: FixedClock, area: dict[str, int]
) -> None:
    with database.session() as session:
        admin = session.exec(select(Member).where(Member.display_name == "Chị Lan")).one()
        hoa = session.exec(select(Member).where(Member.display_name == "Em Hoa")).one()
        remove_member(session, admin, hoa.id, clock.now())  # type: ignore[arg-type]
        hoa_id = hoa.id
    replies = say(chat, LEAD, "/ghibuoi")
    n = nonce(replies)
    for action in ("date:today", "topic:vneid", "topics_done"):
        press_raw(chat, LEAD, f"s:{n}:{action}")
    say(chat, LEAD, "11")
    labels = [b.label for b in last_with_buttons(press_raw(chat, LEAD, f"s:{n}:behalf")).buttons]
    assert any("Cô Mai" in label for label in labels) and not any("Em Hoa" in label for label in labels)
    replies = press_raw(chat, LEAD, f"s:{n}:behalf_pick:{hoa_id}")
    assert "chỉ ghi thay được" in texts(replies) and "Em Hoa" not in texts(replies)
    press_raw(chat, LEAD, f"s:{n}:save")
    assert count(database, TrainingSession, TrainingSession.member_id == hoa_id) == 0


def test_a_commune_with_a_hundred_villages_is_offered_them_a_page_at_a_time(
    chat: ChatDriver, database: Database, clock: FixedClock, area: dict[str, int]
) -> None:
    with database.session() as session:
        add_villages(session, SON_KIM_1, [f"Thôn {n}" for n in range(100, 200)], now=clock.now(), actor_id=None)
    replies = say(chat, ADMIN, "/ghigiup")
    question = last_with_buttons(chat.press(ADMIN, last_with_buttons(replies), "Hôm nay"))
    labels = [b.label for b in question.buttons]
    assert len(labels) <= 100 and "Trang sau ▶️" in labels and "Thôn 1" in labels and "Thôn 199" not in labels
    pages = 1
    while "Trang sau ▶️" in [b.label for b in question.buttons]:
        question = last_with_buttons(chat.press(ADMIN, question, "Trang sau"))
        assert len(question.buttons) <= 100 and step_of(database, ADMIN) == log_help.VILLAGE
        pages += 1
    assert pages == 3 and any(b.label == "Thôn 199" for b in question.buttons)
    question = last_with_buttons(chat.press(ADMIN, question, "Trang trước"))
    assert any(b.label == "Thôn 150" for b in question.buttons)
    replies = chat.press(ADMIN, question, "Thôn 150")
    replies = chat.press(ADMIN, last_with_buttons(replies), "Chữ ký số")
    replies = chat.press(ADMIN, last_with_buttons(say(chat, ADMIN, "3")), "Đúng")
    assert "Đã lưu" in replies[-1].text
    # The same pages when the entry's village is fixed.
    replies = chat.press(ADMIN, last_with_buttons(say(chat, ADMIN, "/sua")), "Hỗ trợ")
    question = last_with_buttons(chat.press(ADMIN, last_with_buttons(replies), "Thôn"))
    assert len(question.buttons) <= 100
    question = last_with_buttons(chat.press(ADMIN, question, "Trang sau"))
    question = last_with_buttons(chat.press(ADMIN, question, "Trang sau"))
    replies = chat.press(ADMIN, last_with_buttons(chat.press(ADMIN, question, "Thôn 199")), "Lưu")
    assert "Đã sửa" in replies[-1].text and "Thôn 199" in replies[-1].text


FREETEXT_ACTIONS = [*SESSION_ACTIONS, "back", "village_page:1", "kind:e_health"]


def test_every_step_of_a_one_line_report_refuses_the_buttons_it_did_not_offer(
    chat: ChatDriver, database: Database, area: dict[str, int]
) -> None:
    table = freetext.OFFERED
    replies = say(chat, ADMIN, "hôm nay học VNeID 20 người")  # an admin's line names no village: it is asked
    assert step_of(database, ADMIN) == freetext.VILLAGE
    n = nonce(replies)
    for action in ("save", "again"):  # «Đúng» and «Vẫn ghi thêm» before there is a read-back
        replies = press_raw(chat, ADMIN, f"t:{n}:{action}")
        assert OLD_BUTTON in texts(replies) and "thôn nào" in replies[-1].text, action
    pressed = _press_each_not_offered(chat, database, ADMIN, "t", n, table, FREETEXT_ACTIONS)  # the village
    press_raw(chat, ADMIN, f"t:{n}:village:{area['Thôn 1']}")
    assert step_of(database, ADMIN) == freetext.CONFIRM
    replies = press_raw(chat, ADMIN, f"t:{n}:topic:online_safety")
    assert OLD_BUTTON in texts(replies) and "Đúng chưa?" in replies[-1].text
    pressed += _press_each_not_offered(chat, database, ADMIN, "t", n, table, FREETEXT_ACTIONS)  # the read-back
    press_raw(chat, ADMIN, f"t:{n}:fix")
    assert step_of(database, ADMIN) == freetext.FIX
    replies = press_raw(chat, ADMIN, f"t:{n}:save")
    assert OLD_BUTTON in texts(replies) and "sửa mục nào" in replies[-1].text
    pressed += _press_each_not_offered(chat, database, ADMIN, "t", n, table, FREETEXT_ACTIONS)  # which part
    press_raw(chat, ADMIN, f"t:{n}:fix_field:date")
    assert step_of(database, ADMIN) == freetext.DATE
    pressed += _press_each_not_offered(chat, database, ADMIN, "t", n, table, FREETEXT_ACTIONS)  # the day
    press_raw(chat, ADMIN, f"t:{n}:date:other")
    pressed += _press_each_not_offered(chat, database, ADMIN, "t", n, table, FREETEXT_ACTIONS)  # the typed day
    press_raw(chat, ADMIN, f"t:{n}:date:today")
    press_raw(chat, ADMIN, f"t:{n}:fix")
    press_raw(chat, ADMIN, f"t:{n}:fix_field:topics")
    assert step_of(database, ADMIN) == freetext.TOPICS_STEP
    pressed += _press_each_not_offered(chat, database, ADMIN, "t", n, table, FREETEXT_ACTIONS)  # the topics
    press_raw(chat, ADMIN, f"t:{n}:topic:online_safety")
    press_raw(chat, ADMIN, f"t:{n}:topics_done")
    assert step_of(database, ADMIN) == freetext.CONFIRM
    assert count(database, TrainingSession) == 0 and pressed > 50
    replies = press_raw(chat, ADMIN, f"t:{n}:save")
    assert "Đã lưu" in replies[-1].text
    assert count(database, TrainingSession, TrainingSession.village_id == area["Thôn 1"]) == 1
