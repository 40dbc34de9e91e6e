"""Reminder rules: which times apply to an area (the most local rule wins), and how admins change them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, select

from storage import audit
from storage.areas import get_commune, get_province
from storage.errors import DomainError
from storage.models import Member, ReminderRule
from storage.reminders.kinds import (
    COMMUNE_KINDS,
    DEFAULT_TIMES,
    KINDS,
    PROVINCE_KINDS,
    SCOPE_COMMUNE,
    SCOPE_DEFAULT,
    SCOPE_PROVINCE,
)
from storage.reminders.marks import bump_version
from storage.reminders.times import Slot, slots_of
from storage.vocab import ROLE_COMMUNE_ADMIN, ROLE_PROVINCE_VIEWER


@dataclass(frozen=True)
class EffectiveRule:
    """The times that apply to one area for one kind, and where they come from."""

    kind: str
    times: tuple[str, ...]
    enabled: bool
    scope: str  # default | province | commune: the rule that applies

    def slots(self) -> list[Slot]:
        """The rule's firings, earliest first."""
        return slots_of(self.kind, self.times)


class RuleBook:
    """Every rule row, read once, answering "which times apply here" without more queries."""

    def __init__(self, rows: Iterable[ReminderRule]) -> None:
        self._rows = {(r.kind, r.scope, r.area_code): r for r in rows}

    @classmethod
    def load(cls, session: Session) -> RuleBook:
        """Read every rule row in one query."""
        return cls(session.exec(select(ReminderRule)).all())

    def rows(self) -> list[ReminderRule]:
        """Every rule row (defaults and areas' own)."""
        return list(self._rows.values())

    def own(self, kind: str, scope: str, area_code: int) -> ReminderRule | None:
        """The rule row set exactly for this area (None: it follows a wider rule)."""
        return self._rows.get((kind, scope, 0 if scope == SCOPE_DEFAULT else area_code))

    def effective(
        self, kind: str, *, province_code: int | None = None, commune_code: int | None = None
    ) -> EffectiveRule:
        """The most local rule: the commune's, else the province's, else the default (built in if missing)."""
        for scope, code in ((SCOPE_COMMUNE, commune_code), (SCOPE_PROVINCE, province_code), (SCOPE_DEFAULT, 0)):
            if code is None:
                continue
            row = self._rows.get((kind, scope, code))
            if row is not None:
                return EffectiveRule(kind, tuple(row.times), row.enabled, scope)
        return EffectiveRule(kind, tuple(DEFAULT_TIMES[kind]), True, SCOPE_DEFAULT)


def _check_editor(session: Session, actor: Member, kind: str, scope: str, area_code: int) -> None:
    """A commune admin edits their commune's rules; a province viewer their province's."""
    if kind not in KINDS:
        raise DomainError("reminder_kind_unknown", kind=kind)
    if scope == SCOPE_COMMUNE:
        allowed = actor.role == ROLE_COMMUNE_ADMIN and actor.commune_code == area_code and kind in COMMUNE_KINDS
        get_commune(session, area_code)
    elif scope == SCOPE_PROVINCE:
        allowed = actor.role == ROLE_PROVINCE_VIEWER and actor.province_code == area_code
        get_province(session, area_code)
    else:
        allowed = False
    if not allowed:
        raise DomainError("reminder_not_allowed")


def set_rule(
    session: Session,
    *,
    actor: Member,
    kind: str,
    scope: str,
    area_code: int,
    times: list[str] | None = None,
    enabled: bool | None = None,
    now: dt.datetime,
) -> ReminderRule:
    """Give an area its own times for a kind (or switch it off or on); audited."""
    _check_editor(session, actor, kind, scope, area_code)
    book = RuleBook.load(session)
    row = book.own(kind, scope, area_code)
    current = book.effective(kind, **_area_args(session, scope, area_code))
    before = {"times": list(row.times), "enabled": row.enabled} if row else None
    if row is None:
        row = ReminderRule(
            kind=kind,
            scope=scope,
            area_code=area_code,
            times=list(current.times),
            enabled=current.enabled,
            updated_at=now,
        )
    if times is not None:
        row.times = [slot.text(kind) for slot in slots_of(kind, times)]
        if not row.times:
            raise DomainError("reminder_times_unreadable", text=", ".join(times))
    if enabled is not None:
        row.enabled = enabled
    row.updated_by, row.updated_at = actor.id, now
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="update",
        entity="reminder_rule",
        entity_id=row.id,
        now=now,
        before=before,
        after={"kind": kind, "scope": scope, "area_code": area_code, "times": list(row.times), "enabled": row.enabled},
    )
    bump_version(session, now)
    return row


def reset_rule(session: Session, *, actor: Member, kind: str, scope: str, area_code: int, now: dt.datetime) -> None:
    """Drop an area's own times: the wider rule applies again."""
    _check_editor(session, actor, kind, scope, area_code)
    row = RuleBook.load(session).own(kind, scope, area_code)
    if row is None:
        return
    audit.record(
        session,
        actor_id=actor.id,
        action="delete",
        entity="reminder_rule",
        entity_id=row.id,
        now=now,
        before={"kind": kind, "scope": scope, "area_code": area_code, "times": list(row.times), "enabled": row.enabled},
    )
    session.delete(row)
    session.flush()
    bump_version(session, now)


def _area_args(session: Session, scope: str, area_code: int) -> dict[str, int | None]:
    """The commune and province codes that locate an area, as `RuleBook.effective` takes them."""
    if scope == SCOPE_COMMUNE:
        return {"commune_code": area_code, "province_code": get_commune(session, area_code).province_code}
    if scope == SCOPE_PROVINCE:
        return {"province_code": area_code}
    return {}


def editable_kinds(member: Member) -> tuple[str, tuple[str, ...], int | None]:
    """(scope, kinds, area code) a member may edit; no kinds for other roles."""
    if member.role == ROLE_COMMUNE_ADMIN and member.commune_code is not None:
        return SCOPE_COMMUNE, COMMUNE_KINDS, member.commune_code
    if member.role == ROLE_PROVINCE_VIEWER:
        return SCOPE_PROVINCE, PROVINCE_KINDS, member.province_code
    return SCOPE_DEFAULT, (), None


def rules_for(session: Session, member: Member) -> list[EffectiveRule]:
    """The rules that apply to the area a member edits, in the order of KINDS."""
    scope, kinds, code = editable_kinds(member)
    if code is None:
        return []
    book = RuleBook.load(session)
    args = _area_args(session, scope, code)
    return [book.effective(kind, **args) for kind in kinds]
