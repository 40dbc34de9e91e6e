"""storage/groups.py: who may bind a group to which area, unbinding, the bot removed, a supergroup migration."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from storage import groups
from storage.areas import add_villages
from storage.db import Database
from storage.errors import DomainError
from storage.models import AuditEntry, ConversationState, Member
from storage.vocab import ROLE_COMMUNE_ADMIN, ROLE_MEMBER, ROLE_TEAM_LEAD

SON_KIM_1, SON_KIM_2 = 18196, 18199
NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


def _member(session: Session, role: str, commune: int, village_id: int | None = None) -> Member:
    member = Member(
        display_name=role, role=role, province_code=42, commune_code=commune, village_id=village_id, created_at=NOW
    )
    session.add(member)
    session.flush()
    return member


@pytest.fixture
def area(database: Database) -> dict[str, int]:
    with database.session() as session:
        villages, _ = add_villages(session, SON_KIM_1, ["Thôn 2", "Thôn 5"], now=NOW, actor_id=None)
        other, _ = add_villages(session, SON_KIM_2, ["Thôn 1"], now=NOW, actor_id=None)
        return {
            "thon2": villages[0].id or 0,
            "thon5": villages[1].id or 0,
            "other": other[0].id or 0,
        }


def test_who_may_bind_which_area(database: Database, area: dict[str, int]) -> None:
    with database.session() as session:
        admin = _member(session, ROLE_COMMUNE_ADMIN, SON_KIM_1)
        lead = _member(session, ROLE_TEAM_LEAD, SON_KIM_1, area["thon2"])
        member = _member(session, ROLE_MEMBER, SON_KIM_1, area["thon2"])
        group, fresh = groups.seen(session, "telegram", "-100", "Tổ CNSCĐ Thôn 2", NOW)
        assert fresh and group.commune_code is None
        for who, commune, village in [
            (member, SON_KIM_1, area["thon2"]),  # a member binds nothing
            (lead, SON_KIM_1, area["thon5"]),  # another village
            (lead, SON_KIM_1, None),  # the commune
            (admin, SON_KIM_2, None),  # another commune
            (admin, SON_KIM_1, area["other"]),  # a village of another commune
        ]:
            with pytest.raises(DomainError):
                groups.bind(session, group, who, commune, village, NOW)
        groups.bind(session, group, lead, SON_KIM_1, area["thon2"], NOW)
        assert (group.commune_code, group.village_id, group.bound_by) == (SON_KIM_1, area["thon2"], lead.id)
        # The admin may change it to the commune's group; the lead may then no longer touch it.
        groups.bind(session, group, admin, SON_KIM_1, None, NOW)
        with pytest.raises(DomainError):
            groups.unbind(session, group, lead, NOW)
        assert groups.bound_groups(session, commune_codes=[SON_KIM_1]) == [
            groups.BoundGroup("telegram", "-100", "Tổ CNSCĐ Thôn 2", SON_KIM_1, None)
        ]
        groups.unbind(session, group, admin, NOW)
        assert groups.bound_groups(session) == []
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "groupchat")).all()
        assert actions == ["bind", "bind", "unbind"]


def test_the_bot_removed_ends_the_binding_and_a_return_starts_afresh(database: Database, area: dict[str, int]) -> None:
    with database.session() as session:
        lead = _member(session, ROLE_TEAM_LEAD, SON_KIM_1, area["thon2"])
        group, _ = groups.seen(session, "zalo", "g-1", "Thôn 2", NOW)
        group.greeted = True
        groups.bind(session, group, lead, SON_KIM_1, area["thon2"], NOW)
        groups.bot_removed(session, "zalo", "g-1", NOW)
        groups.bot_removed(session, "zalo", "g-1", NOW)  # told twice: once in the trail
        assert groups.bound_groups(session) == []
        with pytest.raises(DomainError):
            groups.bind(session, group, lead, SON_KIM_1, area["thon2"], NOW)
        back, fresh = groups.seen(session, "zalo", "g-1", "Thôn 2", NOW)
        assert fresh and not back.greeted and back.left_at is None and back.commune_code is None
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "groupchat")).all()
        assert actions == ["bind", "bot_removed"]


def test_a_supergroup_migration_carries_the_binding(database: Database, area: dict[str, int]) -> None:
    with database.session() as session:
        admin = _member(session, ROLE_COMMUNE_ADMIN, SON_KIM_1)
        group, _ = groups.seen(session, "telegram", "-42", "Xã Sơn Kim 1", NOW)
        groups.bind(session, group, admin, SON_KIM_1, None, NOW)
    with database.session() as session:
        moved = groups.migrated(session, "telegram", "-42", "-1000042", NOW)
        assert moved is not None and moved.chat_id == "-1000042"
    with database.session() as session:
        again = groups.migrated(session, "telegram", "-42", "-1000042", NOW)  # the new chat tells it too
        assert again is not None and again.commune_code == SON_KIM_1
        assert groups.find(session, "telegram", "-42") is None
        assert [g.chat_id for g in groups.bound_groups(session)] == ["-1000042"]


def test_where_the_session_reminder_goes(database: Database) -> None:
    with database.session() as session:
        admin = _member(session, ROLE_COMMUNE_ADMIN, SON_KIM_1)
        assert groups.delivery_choice(session, SON_KIM_1) is None
        assert groups.effective_delivery(None, has_group=True) == groups.DELIVERY_GROUP
        assert groups.effective_delivery(None, has_group=False) == groups.DELIVERY_DIRECT
        groups.set_delivery_choice(session, SON_KIM_1, "both", admin, NOW)
        assert groups.delivery_choice(session, SON_KIM_1) == "both"
        assert groups.effective_delivery("group", has_group=False) == groups.DELIVERY_DIRECT
        with pytest.raises(DomainError):
            groups.set_delivery_choice(session, SON_KIM_1, "sms", admin, NOW)


def test_a_migration_moves_each_persons_conversation_to_the_supergroup(
    database: Database, area: dict[str, int]
) -> None:
    """A read-back started in the group before it became a supergroup is still theirs after: the state moves to
    the new chat id (a newer state already there is kept); other chats' states are untouched."""
    later = NOW + dt.timedelta(minutes=5)
    with database.session() as session:
        groups.seen(session, "telegram", "-42", "Thôn 2", NOW)
        for user, group_id, name, when in [
            ("7", "-42", "fl.confirm", NOW),  # a read-back waiting in the old group
            ("8", "-42", "ls.topics", NOW),  # older than what person 8 already has in the new chat
            ("8", "-1000042", "ls.date", later),
            ("7", "", "idle", NOW),  # a private chat: not a group's
        ]:
            session.add(
                ConversationState(
                    channel="telegram", user_id=user, group_id=group_id, name=name, data={"n": 1}, updated_at=when
                )
            )
    with database.session() as session:
        groups.migrated(session, "telegram", "-42", "-1000042", later)
    with database.session() as session:
        states = {(s.user_id, s.group_id): s.name for s in session.exec(select(ConversationState)).all()}
    assert states == {("7", "-1000042"): "fl.confirm", ("8", "-1000042"): "ls.date", ("7", ""): "idle"}
