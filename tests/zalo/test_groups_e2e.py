"""A village's group on Zalo, end to end: the real application against the fake Zalo Bot API, which hands the bot
only the group messages that mention it or reply to it (SQLite and PostgreSQL).

The team lead binds the group with /nhom by numbered choices, talk not meant for the bot never reaches it, a
member logs in one line by mentioning the bot, another member's «1» changes nothing, the author's «1» saves it
and the group sees one short line; a stranger is told how to join (on Zalo: the code to send the bot
privately, never a personal invite); `bdhvs groups list` shows the binding."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest
from sqlmodel import select

from bot import cli
from bot.app import BotApplication
from storage import invites
from storage.activity import export_commune
from storage.areas import add_villages
from storage.models import Village
from tests.zalo.conftest import SON_KIM_1, ZaloApi, ZaloPerson, choice_lines

LEAD, MEMBER, OTHER, STRANGER = "1a2b3c4d5e6f70819203", "2b3c4d5e6f7081920314", "3c4d5e6f708192031425", "4d5e6f7081"
GROUP = "zg-thon2-9001"


def _code(app: BotApplication, role: str, village_id: int, kind: str = invites.KIND_PERSONAL) -> str:
    """A code for one village: a team lead's, or the village's join link that every member may use."""
    with app.database.session() as session:
        invite = invites.create_invite(
            session,
            role=role,
            commune_code=SON_KIM_1,
            village_id=village_id,
            now=app.clock.now(),
            days=14,
            max_uses=30 if kind == invites.KIND_VILLAGE else 1,
            kind=kind,
        )
        return invite.code


def _groups_list(db_url: str, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    monkeypatch.setenv("BDHVS_DATABASE_URL", db_url)
    monkeypatch.delenv("BDHVS_CONFIG", raising=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["groups", "list", "--commune", str(SON_KIM_1), "--json"]) == 0
    return list(json.loads(out.getvalue()))


async def test_a_village_group_on_zalo(
    make_zalo_app: Any, zalo_api: ZaloApi, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await make_zalo_app()
    fake = zalo_api.fake
    with app.database.session() as session:
        add_villages(session, SON_KIM_1, ["Thôn 1", "Thôn 2"], now=app.clock.now(), actor_id=None)
        thon2 = session.exec(select(Village).where(Village.name == "Thôn 2")).one()
        assert thon2.id is not None
        thon2_id = thon2.id
    lead_code = _code(app, "team_lead", thon2_id)
    code = _code(app, "member", thon2_id, invites.KIND_VILLAGE)
    # Joining, privately: the lead by a lead's code, two members by the village's code.
    for user, name, joining in [(LEAD, "Anh Tuấn", lead_code), (MEMBER, "Chị Hoa", code), (OTHER, "Anh Bình", code)]:
        replies = await ZaloPerson(app, fake, user, name).says(f"/start {joining}")
        assert f"Chào mừng {name}" in replies[0], replies
    fake.add_user(STRANGER, "Bác Khách")

    fake.create_group("Tổ CNSCĐ Thôn 2", [LEAD, MEMBER, OTHER, STRANGER], group_id=GROUP)
    fake.bot_added_to_group(GROUP, by_user_id=LEAD)
    lead, member, other, stranger = (
        ZaloPerson(app, fake, user, name, chat_id=GROUP)
        for user, name in [(LEAD, "Anh Tuấn"), (MEMBER, "Chị Hoa"), (OTHER, "Anh Bình"), (STRANGER, "Bác Khách")]
    )

    # The lead binds the group by numbered choices (each answer mentions the bot, as Zalo requires).
    replies = await lead.says("/nhom")
    choices = choice_lines(replies[-1])
    assert any("Thôn 2" in c for c in choices), replies
    number = next(i for i, c in enumerate(choices, start=1) if "Thôn 2" in c)
    replies = await lead.says(str(number))
    assert "✅ Đã ghi nhận" in replies[-1] and "Thôn 2" in replies[-1], replies
    listed = _groups_list(db_url, monkeypatch)
    assert [(g["channel"], g["chat_id"], g["village"]) for g in listed] == [("zalo", GROUP, "Thôn 2")], listed

    # Talk not meant for the bot does not reach it.
    assert fake.user_says(OTHER, "Mai họp nhé cả nhà", chat_id=GROUP, mention=False) is None

    # A member logs in one line; the group's village is used.
    replies = await member.says("hôm qua học cài VNeID 12 người")
    read_back = replies[-1]
    assert "Thôn 2" in read_back and "12 người" in read_back and choice_lines(read_back)[0] == "✅ Đúng", replies
    assert await other.says("1") == []  # another member's «1»: nothing said, nothing saved
    with app.database.session() as session:
        assert export_commune(session, SON_KIM_1)["sessions"] == []
    replies = await member.says("1")
    assert replies[-1] == "✅ Đã lưu. Cảm ơn Chị Hoa!", replies
    with app.database.session() as session:
        sessions = export_commune(session, SON_KIM_1)["sessions"]
    assert [(s["village"], s["attendees"]) for s in sessions] == [("Thôn 2", 12)]

    # A stranger who mentions the bot is told how to join; nothing is saved.
    replies = await stranger.says("hôm qua học cài VNeID 5 người")
    assert len(replies) == 1 and "Bạn chưa tham gia tổ" in replies[0] and code in replies[0], replies
    with app.database.session() as session:
        assert len(export_commune(session, SON_KIM_1)["sessions"]) == 1
