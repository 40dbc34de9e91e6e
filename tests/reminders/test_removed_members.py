"""A member removed from their area is reminded of nothing, even if an account of theirs is still linked."""

from __future__ import annotations

from bot.reminders.planner import preview
from storage import reminders
from storage.db import Database
from storage.members import remove_member
from storage.models import Member
from tests.conftest import VN
from tests.reminders.conftest import Area, local


def _reminded(database: Database) -> set[str]:
    """Who the Thursday-evening reminders reach (no session logged this week anywhere)."""
    with database.session() as session:
        return {due.name for due in preview(session, VN, local(2026, 11, 26, 19, 0))}


def test_a_removed_member_is_not_reminded(database: Database, area: Area) -> None:
    with database.session() as session:
        admin = session.get(Member, area.people["admin"])
        assert admin is not None
        remove_member(session, admin, area.people["mem1"], local(2026, 11, 25, 9))
    assert "Bác Hùng" not in _reminded(database) and "Chị Mai" in _reminded(database)


def test_a_removed_member_whose_account_is_still_linked_is_not_reminded(database: Database, area: Area) -> None:
    with database.session() as session:  # removed by hand or by an older version that kept the account
        member = session.get(Member, area.people["mem2"])
        assert member is not None
        member.removed_at = local(2026, 11, 25, 9)
        session.add(member)
    assert "Anh Tuấn" not in _reminded(database)
    with database.session() as session:
        assert area.people["mem2"] not in {m.id for m, _ in reminders.reachable(session)}
