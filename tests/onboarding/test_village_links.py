"""A village's reusable join link: made by /moi («Mã cho cả thôn») or `bdhvs invite create`, uses, expiry and
revocation enforced, who joined listed in /thanhvien; a personal invite is never a village link."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from storage import invites
from storage.areas import add_villages
from storage.db import Database
from storage.errors import DomainError
from storage.models import AuditEntry, Invite, Member, Village
from tests.chat import ChatDriver, last_with_buttons
from tests.onboarding.conftest import Shell

SON_KIM_1 = 18196
ADMIN, LEAD, JOINER_1, JOINER_2, JOINER_3 = 5001, 5002, 5011, 5012, 5013


def _setup(chat: ChatDriver, database: Database, clock: FixedClock) -> dict[str, int]:
    """Xã Sơn Kim 1 with Thôn 2 and Thôn 5; an admin and Thôn 2's lead, joined with personal invites."""
    with database.session() as session:
        villages, _ = add_villages(session, SON_KIM_1, ["Thôn 2", "Thôn 5"], now=clock.now(), actor_id=None)
        ids = {"thon2": villages[0].id or 0, "thon5": villages[1].id or 0}
        admin = invites.create_invite(
            session, role="commune_admin", commune_code=SON_KIM_1, now=clock.now(), days=14, max_uses=1
        ).code
        lead = invites.create_invite(
            session,
            role="team_lead",
            commune_code=SON_KIM_1,
            village_id=ids["thon2"],
            now=clock.now(),
            days=14,
            max_uses=1,
        ).code
    assert "Chào mừng" in chat.say(ADMIN, f"/start {admin}", name="Chị Lan")[0].text
    assert "Chào mừng" in chat.say(LEAD, f"/start {lead}", name="Bác Hùng")[0].text
    return ids


def _live_link(database: Database, village_id: int, clock: FixedClock) -> Invite | None:
    with database.session() as session:
        return invites.village_join_link(session, village_id, clock.now())


def test_a_lead_makes_the_village_link_once_and_newcomers_join_and_are_listed(
    chat: ChatDriver, database: Database, clock: FixedClock
) -> None:
    ids = _setup(chat, database, clock)
    menu = last_with_buttons(chat.say(LEAD, "/moi"))
    labels = [b.label for b in menu.buttons]
    assert "🏘️ Mã cho cả thôn" in labels and "Thành viên tổ" not in labels and "Cán bộ xã" not in labels
    made = chat.press(LEAD, menu, "Mã cho cả thôn")
    link = _live_link(database, ids["thon2"], clock)
    assert link is not None and link.kind == "village" and link.role == "member" and link.code in made[-1].text
    assert "Đã tạo mã cho cả Thôn 2" in made[-1].text
    # Asked again: the same live link, not a second one.
    again = chat.press(LEAD, last_with_buttons(chat.say(LEAD, "/moi")), "Mã cho cả thôn")
    assert link.code in again[-1].text and "dùng lại mã này" in again[-1].text
    with database.session() as session:
        assert len(session.exec(select(Invite).where(Invite.kind == "village")).all()) == 1
    # Two newcomers tap it; both are members of Thôn 2 and in the lead's /thanhvien.
    for user, name in [(JOINER_1, "Anh Tâm"), (JOINER_2, "Chị Hoa")]:
        welcome = chat.say(user, f"/start {link.code}", name=name)
        assert "Chào mừng" in welcome[0].text and "Thôn 2" in welcome[0].text
    with database.session() as session:
        joined = session.exec(select(Member).where(Member.joined_with == link.code)).all()
        assert {(m.display_name, m.role, m.village_id) for m in joined} == {
            ("Anh Tâm", "member", ids["thon2"]),
            ("Chị Hoa", "member", ids["thon2"]),
        }
        assert session.get(Invite, link.code).uses == 2  # type: ignore[union-attr]
    listed = chat.say(LEAD, "/thanhvien")[-1].text
    assert "Anh Tâm" in listed and "Chị Hoa" in listed


def test_an_admin_picks_any_village_of_the_commune(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    ids = _setup(chat, database, clock)
    menu = last_with_buttons(chat.say(ADMIN, "/moi"))
    assert "Thành viên tổ" in [b.label for b in menu.buttons]  # personal invites stay the admin's
    pick = last_with_buttons(chat.press(ADMIN, menu, "Mã cho cả thôn"))
    assert [b.label for b in pick.buttons][:2] == ["Thôn 2", "Thôn 5"]
    made = chat.press(ADMIN, pick, "Thôn 5")
    link = _live_link(database, ids["thon5"], clock)
    assert link is not None and link.code in made[-1].text and _live_link(database, ids["thon2"], clock) is None
    # The lead of Thôn 2 sees only Thôn 2's links in their /moi: none yet.
    assert link.code not in chat.say(LEAD, "/moi")[-1].text


def test_uses_expiry_and_revocation_are_enforced(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    ids = _setup(chat, database, clock)
    with database.session() as session:
        code = invites.create_invite(
            session,
            role="member",
            kind="village",
            commune_code=SON_KIM_1,
            village_id=ids["thon2"],
            now=clock.now(),
            days=2,
            max_uses=1,
        ).code
    assert "Chào mừng" in chat.say(JOINER_1, f"/start {code}", name="Anh Tâm")[0].text
    assert "dùng hết số lượt" in chat.say(JOINER_2, f"/start {code}", name="Chị Hoa")[0].text
    assert _live_link(database, ids["thon2"], clock) is None  # used up: no longer the village's link

    with database.session() as session:
        code = invites.create_invite(
            session,
            role="member",
            kind="village",
            commune_code=SON_KIM_1,
            village_id=ids["thon2"],
            now=clock.now(),
            days=2,
            max_uses=5,
        ).code
    assert _live_link(database, ids["thon2"], clock) is not None
    clock.advance(dt.timedelta(days=2, seconds=1))
    assert _live_link(database, ids["thon2"], clock) is None
    assert "hết hạn" in chat.say(JOINER_2, f"/start {code}", name="Chị Hoa")[0].text
    clock.advance(dt.timedelta(days=-2, seconds=-1))

    # The lead revokes their village's link from /moi; nobody joins with it after.
    menu = last_with_buttons(chat.say(LEAD, "/moi"))
    confirm = last_with_buttons(chat.press(LEAD, menu, f"Thu hồi mã {code}"))
    assert "Đã thu hồi" in chat.press(LEAD, confirm, "Thu hồi")[-1].text
    assert _live_link(database, ids["thon2"], clock) is None
    assert "không đúng" in chat.say(JOINER_3, f"/start {code}", name="Em Bình")[0].text
    with database.session() as session:
        assert session.exec(select(Member).where(Member.display_name == "Em Bình")).all() == []
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity_id == code)).all()
    assert sorted(actions) == ["create", "revoke"]


def test_a_lead_cannot_revoke_personal_invites_or_another_villages_link(database: Database, clock: FixedClock) -> None:
    with database.session() as session:
        villages, _ = add_villages(session, SON_KIM_1, ["Thôn 2", "Thôn 5"], now=clock.now(), actor_id=None)
        thon2, thon5 = villages[0].id, villages[1].id
        lead = Member(
            display_name="Bác Hùng",
            role="team_lead",
            province_code=42,
            commune_code=SON_KIM_1,
            village_id=thon2,
            created_at=clock.now(),
        )
        session.add(lead)
        session.flush()
        personal = invites.create_invite(
            session, role="member", commune_code=SON_KIM_1, village_id=thon2, now=clock.now(), days=1, max_uses=3
        )
        other = invites.create_invite(
            session,
            role="member",
            kind="village",
            commune_code=SON_KIM_1,
            village_id=thon5,
            now=clock.now(),
            days=1,
            max_uses=3,
        )
        for code in (personal.code, other.code):
            with pytest.raises(DomainError) as refused:
                invites.revoke_invite(session, code, now=clock.now(), actor=lead)
            assert refused.value.code == "invite_not_found"


def test_a_village_link_is_for_members_and_names_nobody(database: Database, clock: FixedClock) -> None:
    with database.session() as session:
        (village,), _ = add_villages(session, SON_KIM_1, ["Thôn 2"], now=clock.now(), actor_id=None)
        for extra in ({"role": "team_lead"}, {"role": "member", "invitee_name": "Anh Tâm"}):
            with pytest.raises(DomainError) as refused:
                invites.create_invite(
                    session,
                    kind="village",
                    commune_code=SON_KIM_1,
                    village_id=village.id,
                    now=clock.now(),
                    days=1,
                    max_uses=3,
                    **extra,  # type: ignore[arg-type]
                )
            assert refused.value.code == "village_link_members_only"


def test_the_cli_makes_a_village_link_with_its_uses_and_days(shell: Shell, database: Database) -> None:
    assert shell("village", "add", "--commune", str(SON_KIM_1), "Thôn 2")[0] == 0
    code, out, _ = shell(
        "invite", "create", "--commune", "18196", "--village", "thon 2", "--role", "member", "--uses", "30", "--days",
        "7", "--json",
    )  # fmt: skip
    made = json.loads(out)
    assert code == 0 and made["kind"] == "village" and made["village"] == "Thôn 2" and made["max_uses"] == 30
    with database.session() as session:
        invite = session.get(Invite, made["code"])
        assert invite is not None and invite.kind == "village" and invite.max_uses == 30
        assert (invite.expires_at - invite.created_at) == dt.timedelta(days=7)
    personal = json.loads(
        shell("invite", "create", "--commune", "18196", "--village", "Thôn 2", "--role", "member", "--personal",
              "--json")[1]
    )  # fmt: skip
    assert personal["kind"] == "personal"
    listed = json.loads(shell("invite", "list", "--commune", "18196", "--json")[1])
    assert {(row["code"], row["kind"]) for row in listed} == {(made["code"], "village"), (personal["code"], "personal")}


def test_a_commune_of_two_hundred_villages_is_paged_for_invites_and_village_links(
    chat: ChatDriver, database: Database, clock: FixedClock
) -> None:
    """A commune with more villages than a keyboard may carry (Telegram: 100 buttons) gets them a page at a
    time; a village on a later page can be picked for a personal invite and for the whole village's link."""
    _setup(chat, database, clock)
    names = [f"Tổ dân phố {n}" for n in range(1, 225)]
    with database.session() as session:
        add_villages(session, SON_KIM_1, names, now=clock.now(), actor_id=None)
    for choice, question in [("Thành viên tổ", "Mời vào thôn nào?"), ("Mã cho cả thôn", "Mã cho cả thôn nào?")]:
        asked = chat.press(ADMIN, last_with_buttons(chat.say(ADMIN, "/moi")), choice)[-1]
        assert asked.text == question and len(asked.buttons) <= 100
        assert "Trang sau ▶️" in [b.label for b in asked.buttons]
        shown = {b.label for b in asked.buttons}
        while "Tổ dân phố 200" not in shown:
            asked = chat.press(ADMIN, asked, "Trang sau ▶️")[-1]
            assert asked.text == question and len(asked.buttons) <= 100
            shown = {b.label for b in asked.buttons}
        made = chat.press(ADMIN, asked, "Tổ dân phố 200")[-1].text
        assert "Tổ dân phố 200" in made
    with database.session() as session:
        village = session.exec(select(Village).where(Village.name == "Tổ dân phố 200")).one()
        made_for_it = session.exec(select(Invite).where(Invite.village_id == village.id)).all()
    assert sorted(i.kind for i in made_for_it) == ["personal", "village"]
