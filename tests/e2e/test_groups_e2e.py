"""The bot in a village's group chat, end to end on Telegram: the real application against the independent fake
Bot API with privacy mode on (it receives only commands, mentions, replies to it and what concerns it), on SQLite
and on PostgreSQL.

One story, as a commune would live it: the commune's people join (the members by the village's join link), the
bot is added to the village's group and says hello once, someone not allowed to bind is refused, the team lead
binds the group to the village with /nhom@bot, talk not meant for the bot never reaches it, a member logs by
mentioning the bot (the read-back and its buttons in the group), another member pressing that confirm button
gets a private notice and nothing changes, the author confirms and the group sees one short line, the commune
admin logs for another village by replying to the bot, a stranger is pointed to the village's join link, and
the binding follows the group when it becomes a supergroup and ends when the bot is removed; `bdhvs groups
list` and `bdhvs export` agree with what was done, and every binding change is in the audit trail.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.sandbox.fake_telegram import FakeTelegram
from storage.db import Database
from storage.models import AuditEntry, TrainingSession
from tests.conftest import BACKENDS, PG_URL, reset_postgres
from tests.e2e.conftest import (
    BOT_USERNAME,
    SON_KIM_1,
    STEP_TIMEOUT,
    YESTERDAY,
    Harness,
    Step,
    _snapshot,
    buttons_of,
    deep_link_code,
)

ADMIN, LEAD, MEMBER, OTHER, STRANGER = 620001, 620002, 620003, 620004, 620009
MENTION = f"@{BOT_USERNAME}"


@pytest.fixture(params=BACKENDS)
async def group_harness(
    request: pytest.FixtureRequest, fake: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Harness]:
    """The e2e harness in polling mode, on SQLite or on PostgreSQL."""
    extra: dict[str, str] = {}
    if request.param == "postgresql":
        assert PG_URL
        reset_postgres(PG_URL)
        extra["BDHVS_DATABASE_URL"] = PG_URL
    h = Harness(fake=fake, db_path=tmp_path / "bdhvs.db", mode="polling", monkeypatch=monkeypatch, extra_env=extra)
    try:
        yield h
    finally:
        for app in reversed(h.apps):
            await app.stop()


@dataclass
class InGroup:
    """Someone in a group chat, played on the fake's user side; each step returns what the bot said there."""

    harness: Harness
    user_id: int
    name: str
    chat_id: int

    @property
    def fake(self) -> FakeTelegram:
        return self.harness.fake

    def messages(self) -> list[dict[str, Any]]:
        return self.fake.bot_messages(self.chat_id)

    async def _act(self, make_update: Callable[[], int | None]) -> Step:
        before = {m["message_id"]: _snapshot(m) for m in self.messages()}
        update_id = make_update()
        assert update_id is not None, "the bot did not receive this message"
        await self.fake.wait_until_acknowledged(int(update_id), timeout=STEP_TIMEOUT)
        app = self.harness.app
        assert app is not None and await app.sender.drain(STEP_TIMEOUT), "the outbox did not drain"
        after = self.messages()
        new = [m for m in after if m["message_id"] not in before]
        edited = [m for m in after if m["message_id"] in before and _snapshot(m) != before[m["message_id"]]]
        return Step(int(update_id), new, edited)

    async def say(self, text: str, expect: str | None = None, *, reply_to: int | None = None) -> Step:
        step = await self._act(
            lambda: self.fake.user_says(
                self.user_id, text, first_name=self.name, chat_id=self.chat_id, reply_to=reply_to
            )
        )
        if expect is not None:
            assert expect in step.text, f"after {text!r} expected {expect!r} in:\n{step.text}"
        return step

    def chatter(self, text: str) -> int | None:
        """Talk in the group not meant for the bot: with privacy mode on the bot never receives it."""
        return self.fake.user_says(self.user_id, text, first_name=self.name, chat_id=self.chat_id)

    async def press(self, message: dict[str, Any], label: str, expect: str | None = None) -> Step:
        matches = [b for b in buttons_of(message) if label in b["text"]]
        assert matches, f"no button {label!r} under message {message['message_id']}"
        data = matches[0]["callback_data"]
        step = await self._act(
            lambda: self.fake.user_presses(
                self.user_id, message["message_id"], data, chat_id=self.chat_id, first_name=self.name
            )
        )
        if expect is not None:
            assert expect in step.text, f"after pressing {label!r} expected {expect!r} in:\n{step.text}"
        return step


async def _join(harness: Harness, user_id: int, name: str, code: str, expect: str) -> None:
    person = harness.person(user_id, name)
    await person.say(f"/start {code}", expect=expect)


async def _groups_list(harness: Harness) -> list[dict[str, Any]]:
    code, out = await harness.cli("groups", "list", "--commune", str(SON_KIM_1), "--json")
    assert code == 0, out
    return list(json.loads(out))


def _sessions(harness: Harness) -> list[TrainingSession]:
    database = Database(harness.env()["BDHVS_DATABASE_URL"])
    try:
        with database.session() as session:
            return list(session.exec(select(TrainingSession).order_by(col(TrainingSession.id))).all())
    finally:
        database.dispose()


def _group_audit(harness: Harness) -> list[str]:
    database = Database(harness.env()["BDHVS_DATABASE_URL"])
    try:
        with database.session() as session:
            rows = session.exec(
                select(AuditEntry).where(AuditEntry.entity == "groupchat").order_by(col(AuditEntry.id))
            ).all()
            return [row.action for row in rows]
    finally:
        database.dispose()


async def test_a_village_group_from_adding_the_bot_to_removing_it(group_harness: Harness) -> None:
    harness, fake = group_harness, group_harness.fake
    admin_invite = await harness.invite("commune_admin")
    await harness.start_app()
    code, out = await harness.cli("village", "add", "--commune", str(SON_KIM_1), "Thôn 1", "Thôn 2")
    assert code == 0, out
    lead_invite = await harness.invite("team_lead", "--village", "Thôn 2")
    village_link = await harness.invite("member", "--village", "Thôn 2", "--uses", "30", "--days", "14")
    assert village_link["kind"] == "village", village_link

    await _join(harness, ADMIN, "Chị Lan", deep_link_code(admin_invite["link"]), "Chào mừng Chị Lan")
    await _join(harness, LEAD, "Anh Tuấn", lead_invite["code"], "Chào mừng Anh Tuấn")
    # Two members join by the same village link, as they would by tapping it in the group.
    await _join(harness, MEMBER, "Chị Hoa", deep_link_code(village_link["link"]), "Chào mừng Chị Hoa")
    await _join(harness, OTHER, "Anh Bình", deep_link_code(village_link["link"]), "Chào mừng Anh Bình")
    harness.fake.add_user(STRANGER, "Bác Khách", language_code="vi")

    chat = fake.create_group("Tổ CNSCĐ Thôn 2", members=[LEAD, ADMIN, MEMBER, OTHER, STRANGER])
    lead, admin, member, other, stranger = (
        InGroup(harness, uid, name, chat)
        for uid, name in [
            (LEAD, "Anh Tuấn"),
            (ADMIN, "Chị Lan"),
            (MEMBER, "Chị Hoa"),
            (OTHER, "Anh Bình"),
            (STRANGER, "Bác Khách"),
        ]
    )

    # Added: hello once, even when Telegram delivers the update again.
    added = fake.bot_added_to_group(chat, by_user_id=LEAD)
    assert added is not None
    await harness.settle()
    hello = [m for m in fake.bot_messages(chat) if "Xin chào cả nhóm" in (m.get("text") or "")]
    assert len(hello) == 1 and "/nhom" in hello[0]["text"], fake.bot_messages(chat)
    fake.redeliver(added)
    await harness.settle()
    assert len([m for m in fake.bot_messages(chat) if "Xin chào cả nhóm" in (m.get("text") or "")]) == 1

    # A member may not bind; the team lead binds it to their village with /nhom@bot.
    await member.say("/nhom", expect="Chỉ cán bộ xã phụ trách hoặc tổ trưởng")
    step = await lead.say(f"/nhom@{BOT_USERNAME}", expect="Bạn chọn đây là nhóm của xã hay của thôn nào")
    step = await lead.press(step.with_buttons(), "Thôn 2", expect="✅ Đã ghi nhận")
    assert "Thôn 2" in step.text
    assert [(g["chat_id"], g["village"]) for g in await _groups_list(harness)] == [(str(chat), "Thôn 2")]

    # Talk not meant for the bot never reaches it (privacy mode).
    assert other.chatter("Mai 8 giờ họp ở nhà văn hoá nhé cả nhà") is None

    # A member logs by mentioning the bot: the group's village, the read-back in the group.
    step = await member.say(f"{MENTION} hôm qua học cài VNeID 12 người", expect="Thôn 2")
    read_back = step.with_buttons()
    assert "12" in read_back["text"], read_back["text"]
    # Another member presses the author's confirm: a private notice, nothing saved, the read-back unchanged.
    notices_before = len(fake.notices_for(OTHER))
    step = await other.press(read_back, "Đúng")
    assert step.new == [] and step.edited == [], step.texts
    notices = await fake.wait_for_notices(OTHER, notices_before + 1)
    assert "Nút này dành cho người đã bắt đầu việc này" in notices[-1]["text"]
    assert _sessions(harness) == []
    # The author confirms: one short line in the group.
    step = await member.press(read_back, "Đúng", expect="✅ Đã lưu. Cảm ơn Chị Hoa!")
    [saved] = _sessions(harness)
    assert saved.session_date == YESTERDAY and saved.attendees == 12

    # The commune admin logs for another village of the commune by replying to the bot's message.
    step = await admin.say(
        "hôm qua thôn 1 học dịch vụ công trực tuyến 8 người", expect="Thôn 1", reply_to=hello[0]["message_id"]
    )
    await admin.press(step.with_buttons(), "Đúng", expect="✅ Đã lưu. Cảm ơn Chị Lan!")
    exported = await harness.export()
    villages = sorted((s["village"], s["attendees"]) for s in exported["sessions"])
    assert villages == [("Thôn 1", 8), ("Thôn 2", 12)], exported["sessions"]

    # A stranger who talks to the bot is pointed to the village's join link; nothing is saved.
    step = await stranger.say(f"{MENTION} hôm qua học cài VNeID 5 người", expect="Bạn chưa tham gia tổ")
    assert deep_link_code(village_link["link"]) in step.text
    assert buttons_of(step.last) == []
    assert len(_sessions(harness)) == 2

    # The group becomes a supergroup: the binding follows it.
    supergroup = fake.migrate_group(chat)
    await harness.settle()
    listed = await _groups_list(harness)
    assert [(g["chat_id"], g["village"]) for g in listed] == [(str(supergroup), "Thôn 2")], listed

    # Removed from the group: the binding ends; nothing more is sent there.
    fake.bot_removed_from_group(supergroup, by_user_id=LEAD)
    await harness.settle()
    assert await _groups_list(harness) == []
    actions = _group_audit(harness)
    assert actions[0] == "bind" and "bot_removed" in actions[-1], actions
