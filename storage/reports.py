"""Monthly reports: a submitted month is locked against changes until a province viewer reopens it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from storage import audit
from storage.areas import get_commune, get_province
from storage.errors import DomainError
from storage.models import ChannelAccount, Commune, Member, MonthlyReport, ProvinceSetting
from storage.periods import month_end, month_start, previous_month
from storage.vocab import ROLE_COMMUNE_ADMIN, ROLE_PROVINCE_VIEWER

# Built once (asked on every save): the compiled form is found without walking a new statement.
_REPORT_FOR = select(MonthlyReport).where(
    MonthlyReport.commune_code == bindparam("commune"), MonthlyReport.month == bindparam("month")
)


def report_for(session: Session, commune_code: int, day: dt.date) -> MonthlyReport | None:
    return session.exec(_REPORT_FOR, params={"commune": commune_code, "month": month_start(day)}).first()


_LOCKS = "bdhvs.reports.locked"  # session.info: (commune, month) -> submitted?, for one unit of work


def is_locked(session: Session, commune_code: int, day: dt.date) -> bool:
    """Whether the commune has submitted the month holding `day`.

    Remembered for the rest of the unit of work (a one-line report checks its day for each thing it saves);
    `submit` and `reopen` forget it.
    """
    known = session.info.setdefault(_LOCKS, {})
    key = (commune_code, month_start(day))
    if key not in known:
        report = report_for(session, commune_code, day)
        known[key] = report is not None and report.status == "submitted"
    return bool(known[key])


def remember_status(session: Session, commune_code: int, month: dt.date, status: str | None) -> None:
    """What `is_locked` would read for the month starting `month`, read already by the caller (the engine reads
    the month of the update along with the member, in the same round trip): the report's status, None when
    there is none."""
    session.info.setdefault(_LOCKS, {})[(commune_code, month)] = status == "submitted"


def ensure_open(session: Session, commune_code: int, day: dt.date) -> None:
    """Refuse a change to a submitted month, saying which month."""
    if is_locked(session, commune_code, day):
        raise DomainError("month_locked", month=f"{day.month:02d}/{day.year}")


# Submitting and reopening ------------------------------------------------------------------------
#
# A commune reports month M by the province's deadline day of month M+1 (the 20th unless the province
# sets another day). A report submitted on or before that local date is on time. Only a province viewer
# of the commune's province reopens a submitted month, with a reason; the first submission's verdict
# (on time or late) is kept when the commune submits again, so a reopening asked by the province does not
# turn an on-time report late. The audit trail keeps every submission and reopening.

DEFAULT_DEADLINE_DAY = 20
MIN_REASON_LENGTH = 5


def deadline_day(session: Session, province_code: int) -> int:
    """The day of the next month by which the province's communes report (20 by default)."""
    setting = session.get(ProvinceSetting, province_code)
    return setting.report_deadline_day if setting is not None else DEFAULT_DEADLINE_DAY


def set_deadline_day(session: Session, province_code: int, day: int, *, actor_id: int | None, now: dt.datetime) -> None:
    """Change a province's deadline day (1–28, so that it exists in every month)."""
    if not 1 <= day <= 28:
        raise DomainError("deadline_day_invalid", day=day)
    get_province(session, province_code)
    setting = session.get(ProvinceSetting, province_code)
    before = {"report_deadline_day": setting.report_deadline_day} if setting else None
    if setting is None:
        setting = ProvinceSetting(
            province_code=province_code, report_deadline_day=day, updated_by=actor_id, updated_at=now
        )
    else:
        setting.report_deadline_day, setting.updated_by, setting.updated_at = day, actor_id, now
    session.add(setting)
    audit.record(
        session,
        actor_id=actor_id,
        action="update",
        entity="province_setting",
        entity_id=province_code,
        now=now,
        before=before,
        after={"report_deadline_day": day},
    )


def due_date(month: dt.date, day: int = DEFAULT_DEADLINE_DAY) -> dt.date:
    """The last day to report `month` on time: day `day` of the next month."""
    first = month_start(month)
    next_month = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return next_month.replace(day=day)


def working_month(session: Session, commune_code: int, today: dt.date) -> dt.date:
    """The month a commune is reporting now: last month until it is submitted, then this month."""
    last = previous_month(today)
    return last if not is_locked(session, commune_code, last) else month_start(today)


def submit(
    session: Session, *, actor: Member, commune_code: int, month: dt.date, now: dt.datetime, today: dt.date
) -> MonthlyReport:
    """Submit a commune's month: it is locked and judged on time or late (first submission's verdict kept)."""
    if actor.role != ROLE_COMMUNE_ADMIN or actor.commune_code != commune_code:
        raise DomainError("report_not_allowed")
    commune = get_commune(session, commune_code)
    month = month_start(month)
    label = f"{month.month:02d}/{month.year}"
    if today < month_end(month):
        raise DomainError("report_month_not_over", month=label, day=month_end(month))
    report = report_for(session, commune_code, month)
    if report is not None and report.status == "submitted":
        raise DomainError("report_already_submitted", month=label)
    if report is None:
        report = MonthlyReport(commune_code=commune_code, month=month)
    due = due_date(month, deadline_day(session, commune.province_code))
    first_verdict = report.on_time if report.reopened_at is not None else None
    report.status = "submitted"
    session.info.pop(_LOCKS, None)
    report.submitted_at = now
    report.submitted_by = actor.id
    report.on_time = first_verdict if first_verdict is not None else today <= due
    session.add(report)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="submit",
        entity="monthly_report",
        entity_id=report.id,
        now=now,
        after={
            "commune_code": commune_code,
            "month": month.isoformat(),
            "on_time": report.on_time,
            "due": due.isoformat(),
        },
    )
    return report


def reopen(
    session: Session, *, actor: Member, commune_code: int, month: dt.date, reason: str, now: dt.datetime
) -> MonthlyReport:
    """Reopen a submitted month; only a province viewer of the commune's province, with a reason."""
    commune = get_commune(session, commune_code)
    if actor.role != ROLE_PROVINCE_VIEWER or actor.province_code != commune.province_code:
        raise DomainError("reopen_not_allowed")
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_LENGTH:
        raise DomainError("reopen_reason_required", minimum=MIN_REASON_LENGTH)
    month = month_start(month)
    report = report_for(session, commune_code, month)
    if report is None or report.status != "submitted":
        raise DomainError("report_not_submitted", month=f"{month.month:02d}/{month.year}", commune=commune.name)
    before = {
        "status": report.status,
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
        "on_time": report.on_time,
    }
    report.status = "draft"
    session.info.pop(_LOCKS, None)
    report.submitted_at = None
    report.reopened_at = now
    report.reopened_by = actor.id
    report.reopen_reason = reason[:500]
    session.add(report)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="reopen",
        entity="monthly_report",
        entity_id=report.id,
        now=now,
        before=before,
        after={"status": "draft", "reason": report.reopen_reason},
    )
    return report


def reports_of_month(session: Session, commune_codes: list[int], month: dt.date) -> dict[int, MonthlyReport]:
    """The reports of some communes for a month, by commune code."""
    if not commune_codes:
        return {}
    rows = session.exec(
        select(MonthlyReport).where(
            MonthlyReport.month == month_start(month), col(MonthlyReport.commune_code).in_(commune_codes)
        )
    ).all()
    return {r.commune_code: r for r in rows}


def accounts_of(
    session: Session, *, role: str, province_code: int | None = None, commune_code: int | None = None
) -> list[tuple[Member, ChannelAccount]]:
    """The reachable messenger accounts of the members with a role in an area (to tell them something)."""

    query = (
        select(Member, ChannelAccount)
        .join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
        .where(Member.role == role, col(Member.unreachable).is_(False))
    )
    if province_code is not None:
        query = query.where(Member.province_code == province_code)
    if commune_code is not None:
        query = query.where(Member.commune_code == commune_code)
    return [(m, a) for m, a in session.exec(query.order_by(col(Member.id), col(ChannelAccount.id))).all()]


def communes_of_province(session: Session, province_code: int) -> list[Commune]:
    """The communes of a province, by code (a province viewer picks the one whose report to reopen)."""
    return list(session.exec(select(Commune).where(Commune.province_code == province_code).order_by(col(Commune.code))))
