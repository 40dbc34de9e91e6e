"""Which reminders are due in a window of time, to whom, saying what; and putting them in the outbox once.

`plan(session, tz, start, end, now)` finds every firing whose send time (after the quiet hours) falls in
[start, end) and is still useful at `now`, then asks each rule's collector who has not done the thing yet
(evaluated at `now`). Nothing here sends; `enqueue` writes the reminders into the outbox with the
idempotency key (rule, period, recipient), so a reminder goes out once whatever fires it twice.

A missed firing stays useful until the next firing of the same rule, and never beyond:
    weekly_session          the end of its week (Sunday 21:00)
    weekly_summary          12 hours
    province_consolidation  the 25th (21:00), the province's own deadline
    other monthly kinds     3 days
    custom                  the deadline day (21:00)
No reminder is planned while `now` is in the quiet hours: what is due then goes out at 07:00.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from bot.i18n import Translator
from bot.messages import Button, Reply
from bot.reminders import texts
from storage import outbox
from storage.activity import activity_by_village
from storage.areas import get_commune
from storage.models import ChannelAccount, Commune, Member, OutboxMessage, Province, ReminderDeadline
from storage.periods import week_of
from storage.progress import Period, Scope, commune_progress, province_rollup
from storage.reminders import (
    CUSTOM,
    MAX_DAYS_BEFORE,
    MONTHLY_ESCALATION,
    MONTHLY_REPORT,
    PROVINCE_CONSOLIDATION,
    QUIET_START,
    SCOPE_COMMUNE,
    WEEKLY_SESSION,
    WEEKLY_SUMMARY,
    RuleBook,
    Slot,
    active_communes,
    active_provinces,
    datetime_at,
    firings_between,
    is_quiet,
    live_deadlines,
    out_of_quiet,
    reachable,
    slots_of,
    villages_without_session,
)
from storage.reports import deadline_day, due_date, previous_month, report_for
from storage.vocab import COMMUNE_ROLES, ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER, ROLE_PROVINCE_VIEWER, VILLAGE_ROLES

COMMUNE_RULES = (WEEKLY_SESSION, WEEKLY_SUMMARY, MONTHLY_REPORT, MONTHLY_ESCALATION)
LOOKAHEAD = dt.timedelta(days=40)  # far enough to see the next firing of a monthly rule
CONSOLIDATION_DAY = 25  # the province consolidates the communes' reports before the 25th
KEY_PREFIX = "reminder:"  # every reminder's idempotency key starts so (the sender holds them at night)


@dataclass(frozen=True)
class Firing:
    """One firing of one rule for a group of areas that share its times."""

    kind: str
    scheduled: dt.datetime  # local time as set
    at: dt.datetime  # local time it goes out (after the quiet hours)
    useful_until: dt.datetime  # local
    slot: str  # the firing's day and its place among that day's firings, e.g. "2026-11-26.1"
    nth: int  # 1 for the first firing of the rule in its period, 2 for the next, ...
    areas: tuple[int, ...]  # commune codes, province codes, or () for a deadline
    deadline: ReminderDeadline | None = None


@dataclass
class Due:
    """One reminder to one person."""

    rule: str
    key: str  # the outbox idempotency key: (rule, period, recipient)
    period: str
    at: dt.datetime  # when it goes out, UTC
    member_id: int
    name: str
    role: str
    locale: str
    channel: str
    chat_id: str
    area: str
    text: str
    buttons: list[list[Button]] = field(default_factory=list)

    def reply(self) -> Reply:
        return Reply(text=self.text, buttons=self.buttons)

    def to_json(self, tz: dt.tzinfo) -> dict[str, Any]:
        """The public form printed by `bdhvs reminders preview --json`."""
        return {
            "rule": self.rule,
            "channel": self.channel,
            "chat_id": self.chat_id,
            "text": self.text,
            "recipient": {
                "member_id": self.member_id,
                "name": self.name,
                "role": self.role,
                "locale": self.locale,
                "area": self.area,
            },
            "at": self.at.astimezone(tz).isoformat(),
            "period": self.period,
            "idempotency_key": self.key,
        }


# -- firings ----------------------------------------------------------------------------------------


def _useful_until(
    kind: str, scheduled: dt.datetime, at: dt.datetime, following: dt.datetime | None, deadline: ReminderDeadline | None
) -> dt.datetime:
    tz = at.tzinfo
    if kind == WEEKLY_SESSION:
        cap = datetime_at(week_of(scheduled.date())[1], QUIET_START, tz)
    elif kind == WEEKLY_SUMMARY:
        cap = at + dt.timedelta(hours=12)
    elif kind == CUSTOM and deadline is not None:
        cap = datetime_at(deadline.due_date, QUIET_START, tz)
    elif kind == PROVINCE_CONSOLIDATION and scheduled.day < CONSOLIDATION_DAY:
        cap = datetime_at(scheduled.date().replace(day=CONSOLIDATION_DAY), QUIET_START, tz)
    else:
        cap = at + dt.timedelta(days=3)
    if following is not None:
        cap = min(cap, following)
    return max(cap, at + dt.timedelta(minutes=1))  # a firing is always due at its own minute


def _period_of(kind: str, scheduled: dt.datetime) -> str:
    if kind in (WEEKLY_SESSION, WEEKLY_SUMMARY):
        return week_of(scheduled.date())[0].isoformat()
    month = previous_month(scheduled.date())
    return f"{month.year}-{month.month:02d}"


def _rule_firings(
    kind: str, slots: list[Slot], first: dt.date, last: dt.date, tz: dt.tzinfo, areas: tuple[int, ...]
) -> Iterator[Firing]:
    # From a month earlier, so that a firing knows its place in its period (the second of the week, ...).
    found = list(firings_between(kind, slots, first - dt.timedelta(days=35), last + LOOKAHEAD, tz))
    count: dict[str, int] = defaultdict(int)
    for position, (index, scheduled, at) in enumerate(found):
        period = _period_of(kind, scheduled)
        count[period] += 1
        if scheduled.date() > last:
            break
        if scheduled.date() < first:
            continue
        following = found[position + 1][2] if position + 1 < len(found) else None
        yield Firing(
            kind,
            scheduled,
            at,
            _useful_until(kind, scheduled, at, following, None),
            f"{scheduled.date().isoformat()}.{index}",
            count[period],
            areas,
        )


def _deadline_firings(
    session: Session, book: RuleBook, first: dt.date, last: dt.date, tz: dt.tzinfo
) -> Iterator[Firing]:
    communes: dict[int, int] = {}
    for deadline in live_deadlines(session, first, last + dt.timedelta(days=MAX_DAYS_BEFORE + 1)):
        if deadline.scope == SCOPE_COMMUNE:
            if deadline.area_code not in communes:
                commune = session.get(Commune, deadline.area_code)
                communes[deadline.area_code] = commune.province_code if commune else 0
            rule = book.effective(CUSTOM, commune_code=deadline.area_code, province_code=communes[deadline.area_code])
        else:
            rule = book.effective(CUSTOM, province_code=deadline.area_code)
        if not rule.enabled:
            continue
        planned = []
        for slot in slots_of(CUSTOM, rule.times):
            scheduled = datetime_at(deadline.due_date - dt.timedelta(days=slot.day), slot.at, tz)
            planned.append((scheduled, out_of_quiet(scheduled), slot))
        planned.sort(key=lambda p: p[1])
        for position, (scheduled, at, slot) in enumerate(planned, start=1):
            if not first <= scheduled.date() <= last:
                continue
            following = planned[position][1] if position < len(planned) else None
            yield Firing(
                CUSTOM,
                scheduled,
                at,
                _useful_until(CUSTOM, scheduled, at, following, deadline),
                f"-{slot.day}d",
                position,
                (),
                deadline,
            )


def firings(
    session: Session,
    tz: dt.tzinfo,
    start: dt.datetime,
    end: dt.datetime,
    book: RuleBook | None = None,
    *,
    all_rules: bool = False,
) -> list[Firing]:
    """Every firing whose send time is in [start, end), for the areas that have people in the bot.

    With `all_rules`, every rule row's times count, whether an area uses them or not (to wake the scheduler).
    """
    book = book or RuleBook.load(session)
    start_local, end_local = start.astimezone(tz), end.astimezone(tz)
    first, last = start_local.date() - dt.timedelta(days=1), end_local.date()
    found: list[Firing] = []
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = defaultdict(list)
    if all_rules:
        for kind in (*COMMUNE_RULES, PROVINCE_CONSOLIDATION):
            groups[(kind, book.effective(kind, province_code=0).times)] = []
        for row in book.rows():
            if row.enabled and row.kind != CUSTOM:
                groups[(row.kind, tuple(row.times))] = []
    else:
        communes = active_communes(session)
        for kind in COMMUNE_RULES:
            for code, province in sorted(communes.items()):
                rule = book.effective(kind, commune_code=code, province_code=province)
                if rule.enabled:
                    groups[(kind, rule.times)].append(code)
        for province in active_provinces(session):
            rule = book.effective(PROVINCE_CONSOLIDATION, province_code=province)
            if rule.enabled:
                groups[(PROVINCE_CONSOLIDATION, rule.times)].append(province)
    for (kind, times), areas in groups.items():
        for firing in _rule_firings(kind, slots_of(kind, times), first, last, tz, tuple(areas)):
            if start_local <= firing.at < end_local:
                found.append(firing)
    for firing in _deadline_firings(session, book, first, last, tz):
        if start_local <= firing.at < end_local:
            found.append(firing)
    return sorted(found, key=lambda f: (f.at, f.kind, f.slot))


# -- who, and what to say ---------------------------------------------------------------------------


def _key(kind: str, period: str, slot: str, member_id: int) -> str:
    return f"{KEY_PREFIX}{kind}:{period}:{slot}:m{member_id}"


def _stored_id(value: int | None) -> int:
    """The id of a row read from the database (always set there; None only before a flush)."""
    if value is None:
        raise ValueError("a row read from the database has no id")
    return value


def _due(
    firing: Firing,
    period: str,
    member: Member,
    account: ChannelAccount,
    area: str,
    message: tuple[str, list[list[Button]]],
) -> Due:
    text, buttons = message
    member_id = _stored_id(member.id)
    return Due(
        rule=firing.kind,
        key=_key(firing.kind, period, firing.slot, member_id),
        period=period,
        at=firing.at.astimezone(dt.UTC),
        member_id=member_id,
        name=member.display_name,
        role=member.role,
        locale=member.locale,
        channel=account.channel,
        chat_id=account.chat_id,
        area=area,
        text=text,
        buttons=buttons,
    )


def _weekly_session(session: Session, firing: Firing, now: dt.datetime) -> list[Due]:
    monday, sunday = week_of(firing.scheduled.date())
    villages = {v.id: v for v in villages_without_session(session, list(firing.areas), monday, sunday)}
    if not villages:
        return []
    communes = {
        c.code: c.name
        for c in session.exec(select(Commune).where(col(Commune.code).in_({v.commune_code for v in villages.values()})))
    }
    out = []
    period = monday.isoformat()
    for member, account in reachable(
        session, col(Member.role).in_(VILLAGE_ROLES), col(Member.village_id).in_(list(villages))
    ):
        village = villages[member.village_id]
        tr = Translator(member.locale)
        message = texts.weekly_session(
            tr, name=member.display_name, village=village.name, monday=monday, sunday=sunday, nth=firing.nth
        )
        out.append(
            _due(firing, period, member, account, f"{village.name}, {communes.get(village.commune_code, '')}", message)
        )
    return out


def _people_by_commune(
    session: Session, codes: list[int], roles: tuple[str, ...]
) -> dict[int, list[tuple[Member, ChannelAccount]]]:
    grouped: dict[int, list[tuple[Member, ChannelAccount]]] = defaultdict(list)
    for member, account in reachable(session, col(Member.role).in_(roles), col(Member.commune_code).in_(codes)):
        grouped[member.commune_code].append((member, account))  # type: ignore[index]  # the query keeps only these communes' members
    return grouped


def _weekly_summary(session: Session, firing: Firing, now: dt.datetime) -> list[Due]:
    monday, sunday = week_of(firing.scheduled.date())
    people = _people_by_commune(session, list(firing.areas), COMMUNE_ROLES)
    out = []
    for code in sorted(people):
        rows = activity_by_village(session, code, monday, sunday)
        if not rows:
            continue  # no villages set up yet: nothing to sum up
        commune = session.get(Commune, code)
        missing = [r.village.name for r in rows if r.sessions == 0]
        for member, account in people[code]:
            tr = Translator(member.locale)
            message = texts.weekly_summary(
                tr,
                name=member.display_name,
                commune=commune.name if commune else str(code),
                monday=monday,
                sunday=sunday,
                villages=len(rows),
                missing=missing,
                sessions=sum(r.sessions for r in rows),
                attendees=sum(r.attendees for r in rows),
                helped=sum(r.helped for r in rows),
            )
            out.append(_due(firing, monday.isoformat(), member, account, commune.name if commune else "", message))
    return out


def _unsubmitted(session: Session, codes: list[int], month: dt.date) -> list[int]:
    out = []
    for code in codes:
        report = report_for(session, code, month)
        if report is None or report.status != "submitted":
            out.append(code)
    return out


def _monthly_report(session: Session, firing: Firing, now: dt.datetime) -> list[Due]:
    month = previous_month(firing.scheduled.date())
    period = f"{month.year}-{month.month:02d}"
    people = _people_by_commune(session, _unsubmitted(session, list(firing.areas), month), (ROLE_COMMUNE_ADMIN,))
    today = now.date()
    out = []
    for code in sorted(people):
        progress = commune_progress(session, Scope.operator(), code, Period.month(month), today)
        due = due_date(month, deadline_day(session, progress.province_code))
        missing = [i.id for i in progress.indicators if not i.denominator]
        gaps = [v.name for v in progress.villages if v.weeks_with_session < progress.weeks_in_period]
        for member, account in people[code]:
            tr = Translator(member.locale)
            message = texts.monthly_report(
                tr,
                name=member.display_name,
                commune=progress.commune_name,
                month=month,
                due=due,
                today=today,
                sessions=progress.sessions,
                attendees=progress.attendees,
                helped=progress.helped,
                missing_indicators=missing,
                villages_with_gaps=gaps,
                nth=firing.nth,
            )
            out.append(_due(firing, period, member, account, progress.commune_name, message))
    return out


def _monthly_escalation(session: Session, firing: Firing, now: dt.datetime) -> list[Due]:
    month = previous_month(firing.scheduled.date())
    period = f"{month.year}-{month.month:02d}"
    people = _people_by_commune(session, _unsubmitted(session, list(firing.areas), month), (ROLE_COMMUNE_LEADER,))
    out = []
    for code in sorted(people):
        commune = get_commune(session, code)
        due = due_date(month, deadline_day(session, commune.province_code))
        if now.date() <= due:
            continue  # the province gave its communes a later deadline: not late yet
        for member, account in people[code]:
            message = texts.monthly_escalation(
                Translator(member.locale), name=member.display_name, commune=commune.name, month=month, due=due
            )
            out.append(_due(firing, period, member, account, commune.name, message))
    return out


def _province_consolidation(session: Session, firing: Firing, now: dt.datetime) -> list[Due]:
    month = previous_month(firing.scheduled.date())
    period = f"{month.year}-{month.month:02d}"
    viewers: dict[int, list[tuple[Member, ChannelAccount]]] = defaultdict(list)
    for member, account in reachable(
        session, Member.role == ROLE_PROVINCE_VIEWER, col(Member.province_code).in_(list(firing.areas))
    ):
        viewers[member.province_code].append((member, account))
    deadline = firing.scheduled.date().replace(day=CONSOLIDATION_DAY)
    out = []
    for code in sorted(viewers):
        rollup = province_rollup(session, Scope.operator(), code, month)
        missing = [c.name for c in rollup.not_submitted]
        for member, account in viewers[code]:
            message = texts.province_consolidation(
                Translator(member.locale),
                name=member.display_name,
                province=rollup.province_name,
                month=month,
                expected=rollup.expected,
                submitted=rollup.submitted,
                on_time=rollup.on_time_count,
                missing=missing,
                deadline=deadline,
            )
            out.append(_due(firing, period, member, account, rollup.province_name, message))
    return out


def _custom(session: Session, firing: Firing, now: dt.datetime) -> list[Due]:
    deadline = firing.deadline
    if deadline is None or deadline.id is None:
        raise ValueError("a custom reminder fires for a stored deadline")
    place: Commune | Province | None
    if deadline.scope == SCOPE_COMMUNE:
        where = col(Member.commune_code) == deadline.area_code
        place = session.get(Commune, deadline.area_code)
    else:
        where = col(Member.province_code) == deadline.area_code
        place = session.get(Province, deadline.area_code)
    area = place.name if place else str(deadline.area_code)
    out = []
    for member, account in reachable(session, where, col(Member.role).in_(list(deadline.roles))):
        message = texts.custom_deadline(
            Translator(member.locale),
            name=member.display_name,
            title=deadline.title,
            due=deadline.due_date,
            today=now.date(),
        )
        out.append(_due(firing, f"d{deadline.id}", member, account, area, message))
    return out


COLLECTORS: dict[str, Callable[[Session, Firing, dt.datetime], list[Due]]] = {
    WEEKLY_SESSION: _weekly_session,
    WEEKLY_SUMMARY: _weekly_summary,
    MONTHLY_REPORT: _monthly_report,
    MONTHLY_ESCALATION: _monthly_escalation,
    PROVINCE_CONSOLIDATION: _province_consolidation,
    CUSTOM: _custom,
}


def plan(
    session: Session, tz: dt.tzinfo, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> list[Due]:
    """The reminders of the firings sent in [start, end) and still useful at `now` (default: `end`)."""
    now_local = (now or end).astimezone(tz)
    if is_quiet(now_local):
        return []
    out: list[Due] = []
    for firing in firings(session, tz, start, end):
        if firing.at <= now_local < firing.useful_until:
            out += COLLECTORS[firing.kind](session, firing, now_local)
    return out


def preview(session: Session, tz: dt.tzinfo, at: dt.datetime) -> list[Due]:
    """What fires at the minute holding `at` (what `bdhvs reminders preview --at` prints)."""
    local = at.astimezone(tz)
    minute = local.replace(second=0, microsecond=0)
    return plan(session, tz, minute, minute + dt.timedelta(minutes=1), now=local)


def queued_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of these idempotency keys are already in the outbox."""
    found: set[str] = set()
    for index in range(0, len(keys), 500):
        chunk = keys[index : index + 500]
        found.update(
            k
            for k in session.exec(
                select(OutboxMessage.idempotency_key).where(col(OutboxMessage.idempotency_key).in_(chunk))
            )
            if k
        )
    return found


def enqueue(session: Session, dues: list[Due], now: dt.datetime) -> int:
    """Put the reminders in the outbox, each once (by its key); returns how many were new."""
    added = 0
    for due in dues:
        if outbox.enqueue_once(
            session,
            channel=due.channel,
            chat_id=due.chat_id,
            kind=outbox.KIND_MESSAGE,
            payload=due.reply().to_payload(),
            now=now,
            idempotency_key=due.key,
        ):
            added += 1
    return added
