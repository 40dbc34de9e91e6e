"""Who a firing reminds (each rule's collector picks the people who have not done it yet) and what it says."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from sqlmodel import Session, col, select

from bot.i18n import Translator
from bot.messages import Button
from bot.reminders import texts
from bot.reminders.planner import group_dues
from bot.reminders.planner.dues import Due, member_key
from bot.reminders.planner.firings import CONSOLIDATION_DAY, Firing
from storage import group_reminders
from storage.activity import activity_by_village
from storage.areas import get_commune
from storage.models import ChannelAccount, Commune, Member, Province
from storage.periods import week_of
from storage.programmes.monthly import not_entered
from storage.progress import Period, Scope, commune_progress, province_rollup
from storage.reminders import (
    CUSTOM,
    MONTHLY_ESCALATION,
    MONTHLY_REPORT,
    PROVINCE_CONSOLIDATION,
    SCOPE_COMMUNE,
    WEEKLY_SESSION,
    WEEKLY_SUMMARY,
    reachable,
    villages_without_session,
)
from storage.reports import deadline_day, due_date, previous_month, report_for
from storage.vocab import COMMUNE_ROLES, ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER, ROLE_PROVINCE_VIEWER, VILLAGE_ROLES


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
    """One person's reminder for a firing, with the text and buttons the rule's text gave."""
    text, buttons = message
    member_id = _stored_id(member.id)
    return Due(
        rule=firing.kind,
        key=member_key(firing.kind, period, firing.slot, member_id),
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
    """Village teams whose village has no session logged this week."""
    monday, sunday = week_of(firing.scheduled.date())
    villages = {v.id: v for v in villages_without_session(session, list(firing.areas), monday, sunday)}
    if not villages:
        return []
    communes = {
        c.code: c.name
        for c in session.exec(select(Commune).where(col(Commune.code).in_({v.commune_code for v in villages.values()})))
    }
    routes = group_reminders.routes(session, communes)
    out = []
    period = monday.isoformat()
    for member, account in reachable(
        session, col(Member.role).in_(VILLAGE_ROLES), col(Member.village_id).in_(list(villages))
    ):
        village = villages[member.village_id]
        if not group_reminders.to_people(routes.for_village(village.commune_code, _stored_id(village.id))):
            continue  # the village's group is reminded instead
        tr = Translator(member.locale)
        message = texts.weekly_session(
            tr, name=member.display_name, village=village.name, monday=monday, sunday=sunday, nth=firing.nth
        )
        out.append(
            _due(firing, period, member, account, f"{village.name}, {communes.get(village.commune_code, '')}", message)
        )
    return out + group_dues.weekly_session(session, firing, list(villages.values()), communes, routes, monday)


def _people_by_commune(
    session: Session, codes: list[int], roles: tuple[str, ...]
) -> dict[int, list[tuple[Member, ChannelAccount]]]:
    """The reachable members with these roles in these communes, by commune."""
    grouped: dict[int, list[tuple[Member, ChannelAccount]]] = defaultdict(list)
    for member, account in reachable(session, col(Member.role).in_(roles), col(Member.commune_code).in_(codes)):
        grouped[member.commune_code].append((member, account))  # type: ignore[index]  # the query keeps only these communes' members
    return grouped


def _weekly_summary(session: Session, firing: Firing, now: dt.datetime) -> list[Due]:
    """The week's totals, and the villages with no session, for each commune's admin and leaders."""
    monday, sunday = week_of(firing.scheduled.date())
    people = _people_by_commune(session, list(firing.areas), COMMUNE_ROLES)
    routes = group_reminders.routes(session, firing.areas)
    out = []
    for code in sorted(set(people) | set(routes.commune_groups)):
        rows = activity_by_village(session, code, monday, sunday)
        if not rows:
            continue  # no villages set up yet: nothing to sum up
        commune = session.get(Commune, code)
        missing = [r.village.name for r in rows if r.sessions == 0]
        out += group_dues.weekly_summary(firing, code, commune.name if commune else str(code), rows, routes, monday)
        if not group_reminders.to_people(routes.for_commune(code)):
            continue  # the commune's group has it instead
        for member, account in people.get(code, []):
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
    """The communes (of these) whose report for the month is not submitted."""
    out = []
    for code in codes:
        report = report_for(session, code, month)
        if report is None or report.status != "submitted":
            out.append(code)
    return out


def _monthly_report(session: Session, firing: Firing, now: dt.datetime) -> list[Due]:
    """Commune admins whose monthly report is not submitted yet, before the deadline."""
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
        unentered = not_entered(session, code, month)
        for member, account in people[code]:
            tr = Translator(member.locale)
            own, programmes = unentered.names(member.locale)
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
                missing_own=own,
                missing_programmes=programmes,
                villages_with_gaps=gaps,
                nth=firing.nth,
            )
            out.append(_due(firing, period, member, account, progress.commune_name, message))
    return out


def _monthly_escalation(session: Session, firing: Firing, now: dt.datetime) -> list[Due]:
    """Commune leaders whose commune is past the deadline with the month still not submitted."""
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
    """Province viewers: who reported last month, on time or not, before the 25th."""
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
    """The people a one-off deadline names, in its commune or province."""
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
