"""Reminder rules, one-off deadlines and pausing: the domain rules behind the bot's reminders.

A rule says when one kind of reminder fires. The deployment's defaults (from the provincial dispatches) are
rows with scope `default`; a province viewer may give the communes of the province other times (scope
`province`), and a commune admin the commune's own (scope `commune`). The most local rule wins. Times are
local times in the deployment's timezone. No reminder goes out in the quiet hours (21:00–07:00): a firing
that falls there waits for 07:00.

Times are kept as short text, one per firing:
    weekly kinds   "thu 19:00"   a weekday (mon … sun) and a time
    monthly kinds  "15 08:00"    a day of the month (1–28, so that it exists every month) and a time
    custom         "-7 08:00"    days before the deadline and a time
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from storage import audit
from storage.areas import get_commune, get_province
from storage.errors import DomainError
from storage.models import (
    BotSetting,
    ChannelAccount,
    Commune,
    Member,
    ReminderDeadline,
    ReminderRule,
    TrainingSession,
    Village,
    saved_id,
)
from storage.text import fold
from storage.vocab import (
    N_,
    ROLE_COMMUNE_ADMIN,
    ROLE_COMMUNE_LEADER,
    ROLE_MEMBER,
    ROLE_PROVINCE_VIEWER,
    ROLE_TEAM_LEAD,
)

WEEKLY_SESSION = "weekly_session"
WEEKLY_SUMMARY = "weekly_summary"
MONTHLY_REPORT = "monthly_report"
MONTHLY_ESCALATION = "monthly_escalation"
PROVINCE_CONSOLIDATION = "province_consolidation"
CUSTOM = "custom"

# kind -> what people call it (N_-marked, translated where shown)
KINDS: dict[str, str] = {
    WEEKLY_SESSION: N_("Nhắc thôn chưa có buổi sinh hoạt trong tuần"),
    WEEKLY_SUMMARY: N_("Tổng kết tuần gửi cán bộ và lãnh đạo xã"),
    MONTHLY_REPORT: N_("Nhắc cán bộ xã nộp báo cáo tháng"),
    MONTHLY_ESCALATION: N_("Báo lãnh đạo xã khi báo cáo tháng chưa nộp"),
    PROVINCE_CONSOLIDATION: N_("Nhắc Sở tổng hợp báo cáo các xã"),
    CUSTOM: N_("Nhắc trước các hạn chót riêng"),
}
# Who receives each kind (for the record and for the chat's explanations).
RECIPIENTS: dict[str, tuple[str, ...]] = {
    WEEKLY_SESSION: (ROLE_TEAM_LEAD, ROLE_MEMBER),
    WEEKLY_SUMMARY: (ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER),
    MONTHLY_REPORT: (ROLE_COMMUNE_ADMIN,),
    MONTHLY_ESCALATION: (ROLE_COMMUNE_LEADER,),
    PROVINCE_CONSOLIDATION: (ROLE_PROVINCE_VIEWER,),
}
WEEKLY_KINDS = (WEEKLY_SESSION, WEEKLY_SUMMARY)
MONTHLY_KINDS = (MONTHLY_REPORT, MONTHLY_ESCALATION, PROVINCE_CONSOLIDATION)
COMMUNE_KINDS = (WEEKLY_SESSION, WEEKLY_SUMMARY, MONTHLY_REPORT, MONTHLY_ESCALATION, CUSTOM)  # a commune may set
PROVINCE_KINDS = tuple(KINDS)  # a province may set every kind for its communes

DEFAULT_TIMES: dict[str, list[str]] = {
    WEEKLY_SESSION: ["thu 19:00", "sat 08:00"],
    WEEKLY_SUMMARY: ["sun 20:00"],
    MONTHLY_REPORT: ["15 08:00", "18 08:00", "19 08:00"],
    MONTHLY_ESCALATION: ["21 08:00"],
    PROVINCE_CONSOLIDATION: ["21 08:00", "24 08:00"],
    CUSTOM: ["-7 08:00", "-1 08:00"],
}
SCOPE_DEFAULT, SCOPE_PROVINCE, SCOPE_COMMUNE = "default", "province", "commune"

QUIET_START = dt.time(21, 0)
QUIET_END = dt.time(7, 0)
MAX_TIMES = 6
MAX_DAYS_BEFORE = 60
MAX_TITLE = 120
DEADLINE_ROLES: dict[str, tuple[str, ...]] = {
    SCOPE_COMMUNE: (ROLE_MEMBER, ROLE_TEAM_LEAD, ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER),
    SCOPE_PROVINCE: (ROLE_MEMBER, ROLE_TEAM_LEAD, ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER, ROLE_PROVINCE_VIEWER),
}
VERSION_KEY = "reminders.version"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# -- times ------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Slot:
    """One firing of a rule: `day` is a weekday (0 = Monday), a day of the month, or days before a deadline."""

    day: int
    at: dt.time

    def text(self, kind: str) -> str:
        """The stored form, e.g. "thu 19:00", "15 08:00", "-7 08:00"."""
        clock = f"{self.at.hour:02d}:{self.at.minute:02d}"
        if kind in WEEKLY_KINDS:
            return f"{WEEKDAYS[self.day]} {clock}"
        if kind == CUSTOM:
            return f"-{self.day} {clock}"
        return f"{self.day} {clock}"


def parse_slot(kind: str, text: str) -> Slot:
    """Read a stored time ("thu 19:00", "15 08:00", "-7 08:00")."""
    day_text, _, clock = text.strip().partition(" ")
    hour, _, minute = clock.partition(":")
    at = dt.time(int(hour), int(minute or 0))
    if kind in WEEKLY_KINDS:
        return Slot(WEEKDAYS.index(day_text.lower()), at)
    return Slot(abs(int(day_text)), at)


def slots_of(kind: str, times: Iterable[str]) -> list[Slot]:
    """The slots of a rule, earliest first (unreadable entries skipped)."""
    out = set()
    for text in times:
        try:
            out.add(parse_slot(kind, text))
        except (ValueError, IndexError):
            continue
    if kind == CUSTOM:  # seven days before comes before one day before
        return sorted(out, key=lambda s: (-s.day, s.at))
    return sorted(out)


def is_quiet(local: dt.datetime) -> bool:
    """Whether a local time falls in the quiet hours (21:00–07:00)."""
    return local.time() >= QUIET_START or local.time() < QUIET_END


def out_of_quiet(local: dt.datetime) -> dt.datetime:
    """The moment a reminder set for `local` goes out: at 07:00 when it falls in the quiet hours."""
    if local.time() >= QUIET_START:
        return datetime_at(local.date() + dt.timedelta(days=1), QUIET_END, local.tzinfo)
    if local.time() < QUIET_END:
        return datetime_at(local.date(), QUIET_END, local.tzinfo)
    return local


def datetime_at(day: dt.date, at: dt.time, tz: dt.tzinfo | None) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=tz)


_VN_WEEKDAY = re.compile(r"\b(?:thu|t)\s*([2-7])\b")
_VN_WEEKDAY_WORD = re.compile(r"\bthu\s+(hai|ba|tu|nam|sau|bay)\b")
_SUNDAY = re.compile(r"\b(?:chu\s*nhat|cn)\b")
_EN_WEEKDAY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b")
_TIME = re.compile(r"\b(\d{1,2})\s*(?::|h|g|gio)\s*(\d{2})?\b(?:\s*(sang|trua|chieu|toi|am|pm))?")
_NUMBER = re.compile(r"\b(\d{1,2})\b")
_SPLIT = re.compile(r"[,;\n]+|\s+va\s+|\s+and\s+")
_VN_WORDS = {"hai": 0, "ba": 1, "tu": 2, "nam": 3, "sau": 4, "bay": 5}


def _clock(match: re.Match[str]) -> dt.time:
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3) in ("chieu", "toi", "pm") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        raise DomainError("reminder_time_invalid", text=match.group(0))
    return dt.time(hour, minute)


def parse_times(kind: str, typed: str) -> list[str]:
    """What an admin typed ("Thứ 5 19h, thứ 7 8:00", "ngày 15, 18, 19 lúc 8h", "7 và 1 ngày trước") as stored times.

    A part without a time takes the time written elsewhere in the message (or 08:00).
    """
    text = fold(typed)
    shared = _TIME.search(text)
    default = _clock(shared) if shared else dt.time(8, 0)
    slots: list[Slot] = []
    for part in (p.strip() for p in _SPLIT.split(text)):
        if not part:
            continue
        found = _TIME.search(part)
        at = _clock(found) if found else default
        rest = (part[: found.start()] + " " + part[found.end() :]) if found else part
        if kind in WEEKLY_KINDS:
            days = _weekdays(rest)
        else:
            days = [int(n) for n in _NUMBER.findall(rest)]
            limit = MAX_DAYS_BEFORE if kind == CUSTOM else 28
            for day in days:
                if not 1 <= day <= limit:
                    raise DomainError("reminder_day_invalid", day=day, limit=limit)
        if not days and found and slots:
            days = [slots[-1].day]  # "thứ 5 lúc 7h và 19h"
        if not days:
            raise DomainError("reminder_times_unreadable", text=part)
        slots += [Slot(day, at) for day in days]
    unique = sorted(set(slots), key=(lambda s: (-s.day, s.at)) if kind == CUSTOM else None)
    if not unique:
        raise DomainError("reminder_times_unreadable", text=typed.strip())
    if len(unique) > MAX_TIMES:
        raise DomainError("reminder_too_many_times", limit=MAX_TIMES)
    return [slot.text(kind) for slot in unique]


def _weekdays(text: str) -> list[int]:
    days: list[int] = []
    for match in _VN_WEEKDAY_WORD.finditer(text):
        days.append(_VN_WORDS[match.group(1)])
    text = _VN_WEEKDAY_WORD.sub(" ", text)
    for match in _VN_WEEKDAY.finditer(text):
        days.append(int(match.group(1)) - 2)
    text = _VN_WEEKDAY.sub(" ", text)
    if _SUNDAY.search(text):
        days.append(6)
    text = _SUNDAY.sub(" ", text)
    for match in _EN_WEEKDAY.finditer(text):
        days.append(WEEKDAYS.index(match.group(1)))
    return days


# -- rules ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveRule:
    """The times that apply to one area for one kind, and where they come from."""

    kind: str
    times: tuple[str, ...]
    enabled: bool
    scope: str  # default | province | commune: the rule that applies

    def slots(self) -> list[Slot]:
        return slots_of(self.kind, self.times)


class RuleBook:
    """Every rule row, read once, answering "which times apply here" without more queries."""

    def __init__(self, rows: Iterable[ReminderRule]) -> None:
        self._rows = {(r.kind, r.scope, r.area_code): r for r in rows}

    @classmethod
    def load(cls, session: Session) -> RuleBook:
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


# -- the version the scheduler watches --------------------------------------------------------------


def bump_version(session: Session, now: dt.datetime) -> None:
    """Note that rules or deadlines changed, so every running scheduler rebuilds its jobs."""
    row = session.get(BotSetting, VERSION_KEY)
    if row is None:
        row = BotSetting(key=VERSION_KEY, value="1", updated_at=now)
    else:
        row.value, row.updated_at = str(int(row.value or 0) + 1), now
    session.add(row)


def rules_version(session: Session) -> str:
    """Changes whenever a rule or a deadline changes."""
    row = session.get(BotSetting, VERSION_KEY)
    return row.value if row is not None else "0"


CHECKED_KEY = "reminders.checked_until"


def checked_until(session: Session) -> dt.datetime | None:
    """Up to when some scheduler has queued the due reminders (None: no scheduler ever ran)."""
    row = session.get(BotSetting, CHECKED_KEY)
    return dt.datetime.fromisoformat(row.value) if row is not None else None


def set_checked_until(session: Session, moment: dt.datetime, now: dt.datetime) -> None:
    """Move the mark forward (never back: another process may be ahead)."""
    row = session.get(BotSetting, CHECKED_KEY)
    if row is not None and dt.datetime.fromisoformat(row.value) >= moment:
        return
    if row is None:
        row = BotSetting(key=CHECKED_KEY, value=moment.isoformat(), updated_at=now)
    else:
        row.value, row.updated_at = moment.isoformat(), now
    session.add(row)


# -- deadlines --------------------------------------------------------------------------------------


def deadline_scope(member: Member) -> tuple[str, int]:
    """Where a member's deadlines apply: their commune (commune admin) or province (province viewer)."""
    if member.role == ROLE_COMMUNE_ADMIN and member.commune_code is not None:
        return SCOPE_COMMUNE, member.commune_code
    if member.role == ROLE_PROVINCE_VIEWER:
        return SCOPE_PROVINCE, member.province_code
    raise DomainError("reminder_not_allowed")


def create_deadline(
    session: Session,
    *,
    actor: Member,
    title: str,
    due_date: dt.date,
    roles: list[str],
    now: dt.datetime,
    today: dt.date,
) -> ReminderDeadline:
    """A one-off deadline for the actor's commune or province, reminded to the chosen roles."""
    scope, area = deadline_scope(actor)
    title = " ".join(title.split())
    if not title:
        raise DomainError("deadline_title_missing")
    if len(title) > MAX_TITLE:
        raise DomainError("deadline_title_too_long", limit=MAX_TITLE)
    if due_date <= today:
        raise DomainError("deadline_not_in_future", date=due_date)
    if due_date > today + dt.timedelta(days=366):
        raise DomainError("deadline_too_far", date=due_date)
    allowed = DEADLINE_ROLES[scope]
    chosen = [role for role in allowed if role in roles]
    if not chosen:
        raise DomainError("deadline_roles_missing")
    row = ReminderDeadline(
        title=title, due_date=due_date, scope=scope, area_code=area, roles=chosen, created_by=actor.id, created_at=now
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="create",
        entity="reminder_deadline",
        entity_id=row.id,
        now=now,
        after={"title": title, "due_date": due_date.isoformat(), "scope": scope, "area_code": area, "roles": chosen},
    )
    bump_version(session, now)
    return row


def cancel_deadline(session: Session, *, actor: Member, deadline_id: int, now: dt.datetime) -> ReminderDeadline:
    """Cancel a deadline of the actor's own area: no more reminders for it."""
    scope, area = deadline_scope(actor)
    row = session.get(ReminderDeadline, deadline_id)
    if row is None or row.scope != scope or row.area_code != area or row.cancelled_at is not None:
        raise DomainError("deadline_not_found")
    row.cancelled_at = now
    session.add(row)
    audit.record(
        session,
        actor_id=actor.id,
        action="delete",
        entity="reminder_deadline",
        entity_id=row.id,
        now=now,
        before={"title": row.title, "due_date": row.due_date.isoformat()},
    )
    bump_version(session, now)
    return row


def upcoming_deadlines(session: Session, *, scope: str, area_code: int, today: dt.date) -> list[ReminderDeadline]:
    """Deadlines of one area from today on, soonest first."""
    return list(
        session.exec(
            select(ReminderDeadline)
            .where(
                ReminderDeadline.scope == scope,
                ReminderDeadline.area_code == area_code,
                ReminderDeadline.due_date >= today,
                col(ReminderDeadline.cancelled_at).is_(None),
            )
            .order_by(col(ReminderDeadline.due_date), col(ReminderDeadline.id))
        ).all()
    )


def deadlines_concerning(session: Session, member: Member, today: dt.date) -> list[ReminderDeadline]:
    """Upcoming deadlines that remind this member (their commune's or province's, for their role)."""
    areas = [(SCOPE_PROVINCE, member.province_code)]
    if member.commune_code is not None:
        areas.append((SCOPE_COMMUNE, member.commune_code))
    rows: list[ReminderDeadline] = []
    for scope, code in areas:
        rows += [
            d for d in upcoming_deadlines(session, scope=scope, area_code=code, today=today) if member.role in d.roles
        ]
    return sorted(rows, key=lambda d: (d.due_date, d.id or 0))


def live_deadlines(session: Session, first: dt.date, last: dt.date) -> list[ReminderDeadline]:
    """Deadlines not cancelled, due between two dates (inclusive)."""
    return list(
        session.exec(
            select(ReminderDeadline)
            .where(
                ReminderDeadline.due_date >= first,
                ReminderDeadline.due_date <= last,
                col(ReminderDeadline.cancelled_at).is_(None),
            )
            .order_by(col(ReminderDeadline.id))
        ).all()
    )


# -- pausing ----------------------------------------------------------------------------------------


def set_paused(session: Session, member: Member, paused: bool, now: dt.datetime) -> bool:
    """Pause or resume a member's reminders; True when it changed."""
    if member.reminders_paused == paused:
        return False
    member.reminders_paused = paused
    session.add(member)
    audit.record(
        session,
        actor_id=member.id,
        action="pause" if paused else "resume",
        entity="member",
        entity_id=member.id,
        now=now,
        before={"reminders_paused": not paused},
        after={"reminders_paused": paused},
    )
    return True


# -- who is there to remind -------------------------------------------------------------------------


def active_communes(session: Session) -> dict[int, int]:
    """Communes with at least one member, by code, with their province code."""
    rows = session.exec(
        select(Commune.code, Commune.province_code).where(
            col(Commune.code).in_(
                select(Member.commune_code).where(
                    col(Member.commune_code).is_not(None), col(Member.removed_at).is_(None)
                )
            )
        )
    ).all()
    return {int(code): int(province) for code, province in rows}


def active_provinces(session: Session) -> list[int]:
    """Provinces with at least one province viewer."""
    rows = session.exec(
        select(Member.province_code)
        .where(Member.role == ROLE_PROVINCE_VIEWER, col(Member.removed_at).is_(None))
        .distinct()
    ).all()
    return sorted(int(code) for code in rows)


def reachable(session: Session, *conditions: ColumnElement[bool] | bool) -> list[tuple[Member, ChannelAccount]]:
    """Members matching the SQL conditions who take reminders (not paused, not unreachable, not removed), each
    with the messenger account they joined with most recently."""
    rows = session.exec(
        select(Member, ChannelAccount)
        .join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
        .where(
            col(Member.reminders_paused).is_(False),
            col(Member.unreachable).is_(False),
            col(Member.removed_at).is_(None),
            *conditions,
        )
        .order_by(col(Member.id), col(ChannelAccount.id))
    ).all()
    latest: dict[int, tuple[Member, ChannelAccount]] = {}
    for member, account in rows:
        latest[saved_id(member)] = (member, account)
    return list(latest.values())


def villages_without_session(
    session: Session, commune_codes: list[int], first: dt.date, last: dt.date
) -> list[Village]:
    """Villages of these communes with no live session dated between two days (inclusive)."""
    if not commune_codes:
        return []
    held = select(TrainingSession.village_id).where(
        col(TrainingSession.commune_code).in_(commune_codes),
        TrainingSession.session_date >= first,
        TrainingSession.session_date <= last,
        col(TrainingSession.deleted_at).is_(None),
    )
    return list(
        session.exec(
            select(Village)
            .where(col(Village.commune_code).in_(commune_codes), col(Village.id).not_in(held))
            .order_by(col(Village.commune_code), col(Village.id))
        ).all()
    )


def count_villages(session: Session, commune_codes: list[int]) -> dict[int, int]:
    """How many villages each commune has set up."""
    if not commune_codes:
        return {}
    rows = session.exec(
        select(Village.commune_code, func.count())
        .where(col(Village.commune_code).in_(commune_codes))
        .group_by(col(Village.commune_code))
    ).all()
    return {int(code): int(n) for code, n in rows}


def firings_between(
    kind: str, slots: list[Slot], first: dt.date, last: dt.date, tz: dt.tzinfo
) -> Iterator[tuple[int, dt.datetime, dt.datetime]]:
    """(slot index on its day, set local time, local time it goes out) of a weekly or monthly rule's firings
    on the local days from `first` to `last`, in order."""
    day = first
    while day <= last:
        todays = [s for s in slots if (s.day == day.weekday() if kind in WEEKLY_KINDS else s.day == day.day)]
        for index, slot in enumerate(sorted(todays, key=lambda s: s.at), start=1):
            scheduled = datetime_at(day, slot.at, tz)
            yield index, scheduled, out_of_quiet(scheduled)
        day += dt.timedelta(days=1)
