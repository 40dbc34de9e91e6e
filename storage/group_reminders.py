"""Where a commune's reminders and summaries go: to its bound group chats, to each person privately, or both.

A commune admin chooses per commune (`storage.groups.DELIVERY_*`, kept in `CommuneSetting`):
    group   a village's weekly session reminder goes to the village's group(s) as one message, and the Sunday
            summary to the commune's group(s);
    direct  to each person privately, as without groups;
    both    to the groups and to each person.
With no choice the default is `group` for an area with a bound group and `direct` otherwise; a choice of `group`
for an area with no group still reaches its people (`groups.effective_delivery`). The same rule applies to the
village's session reminder (the village's groups) and to the commune's Sunday summary (the commune's groups).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from storage.groups import DELIVERY_BOTH, DELIVERY_DIRECT, DELIVERY_GROUP, BoundGroup, bound_groups, effective_delivery
from storage.models import CommuneSetting, Member
from storage.vocab import ROLE_TEAM_LEAD


@dataclass(frozen=True)
class Routes:
    """The delivery choices and bound groups of some communes, read once for a firing."""

    choices: dict[int, str | None] = field(default_factory=dict)  # commune code -> its choice (None: default)
    village_groups: dict[int, list[BoundGroup]] = field(default_factory=dict)  # village id -> its groups
    commune_groups: dict[int, list[BoundGroup]] = field(default_factory=dict)  # commune code -> its own groups

    def for_village(self, commune_code: int, village_id: int) -> str:
        """Where the village's session reminder goes: `group`, `direct` or `both`."""
        return effective_delivery(self.choices.get(commune_code), bool(self.village_groups.get(village_id)))

    def for_commune(self, commune_code: int) -> str:
        """Where the commune's Sunday summary goes: `group`, `direct` or `both`."""
        return effective_delivery(self.choices.get(commune_code), bool(self.commune_groups.get(commune_code)))


def to_people(delivery: str) -> bool:
    """Whether a delivery reaches each person privately."""
    return delivery in (DELIVERY_DIRECT, DELIVERY_BOTH)


def to_groups(delivery: str) -> bool:
    """Whether a delivery goes to the area's group chats."""
    return delivery in (DELIVERY_GROUP, DELIVERY_BOTH)


def routes(session: Session, commune_codes: Iterable[int]) -> Routes:
    """The choices and bound groups (the bot still in them) of these communes."""
    codes = sorted(set(commune_codes))
    if not codes:
        return Routes()
    choices: dict[int, str | None] = {
        int(code): choice
        for code, choice in session.exec(
            select(CommuneSetting.commune_code, CommuneSetting.reminder_delivery).where(
                col(CommuneSetting.commune_code).in_(codes)
            )
        ).all()
    }
    village_groups: dict[int, list[BoundGroup]] = defaultdict(list)
    commune_groups: dict[int, list[BoundGroup]] = defaultdict(list)
    for group in bound_groups(session, commune_codes=codes):
        if group.village_id is None:
            commune_groups[group.commune_code].append(group)
        else:
            village_groups[group.village_id].append(group)
    return Routes(choices, dict(village_groups), dict(commune_groups))


def team_leads(session: Session, village_ids: Iterable[int]) -> dict[int, list[str]]:
    """The names of each village's team leads (still in the team), in the order they joined. A lead who paused
    their reminders is not named: being called on in the group is a reminder too."""
    ids = sorted(set(village_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(Member.village_id, Member.display_name)
        .where(
            Member.role == ROLE_TEAM_LEAD,
            col(Member.village_id).in_(ids),
            col(Member.removed_at).is_(None),
            col(Member.reminders_paused).is_(False),
        )
        .order_by(col(Member.id))
    ).all()
    found: dict[int, list[str]] = defaultdict(list)
    for village_id, name in rows:
        if village_id is not None:
            found[int(village_id)].append(name)
    return dict(found)
