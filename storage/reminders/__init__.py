"""Reminder rules, one-off deadlines and pausing: the domain rules behind the bot's reminders.

A rule says when one kind of reminder fires. The deployment's defaults (from the provincial dispatches) are
rows with scope `default`; a province viewer may give the communes of the province other times (scope
`province`), and a commune admin the commune's own (scope `commune`). The most local rule wins. Times are
local times in the deployment's timezone. No reminder goes out in the quiet hours (21:00–07:00): a firing
that falls there waits for 07:00.

The parts, each in its own module, all importable from here:
    kinds        the kinds of reminder, who receives each, the default times, the scopes
    times        the stored time form, reading typed times, the quiet hours, firings on a calendar
    rules        which rule applies to an area, and setting or resetting an area's own
    marks        the rules' version the schedulers watch and how far reminders were queued
    deadlines    one-off deadlines of a commune or province
    recipients   pausing, and who there is to remind
"""

from __future__ import annotations

# `select` and DomainError stay reachable here: code and tests that use this module read them from it.
from sqlmodel import select

from storage.errors import DomainError
from storage.reminders.deadlines import (
    DEADLINE_ROLES,
    MAX_TITLE,
    cancel_deadline,
    create_deadline,
    deadline_scope,
    deadlines_concerning,
    live_deadlines,
    upcoming_deadlines,
)
from storage.reminders.kinds import (
    COMMUNE_KINDS,
    CUSTOM,
    DEFAULT_TIMES,
    KINDS,
    MONTHLY_ESCALATION,
    MONTHLY_KINDS,
    MONTHLY_REPORT,
    PROVINCE_CONSOLIDATION,
    PROVINCE_KINDS,
    RECIPIENTS,
    SCOPE_COMMUNE,
    SCOPE_DEFAULT,
    SCOPE_PROVINCE,
    WEEKLY_KINDS,
    WEEKLY_SESSION,
    WEEKLY_SUMMARY,
)
from storage.reminders.marks import (
    CHECKED_KEY,
    VERSION_KEY,
    bump_version,
    checked_until,
    rules_version,
    set_checked_until,
)
from storage.reminders.recipients import (
    active_communes,
    active_provinces,
    count_villages,
    reachable,
    set_paused,
    villages_without_session,
)
from storage.reminders.rules import EffectiveRule, RuleBook, editable_kinds, reset_rule, rules_for, set_rule
from storage.reminders.times import (
    MAX_DAYS_BEFORE,
    MAX_TIMES,
    QUIET_END,
    QUIET_START,
    WEEKDAYS,
    Slot,
    datetime_at,
    firings_between,
    is_quiet,
    out_of_quiet,
    parse_slot,
    parse_times,
    slots_of,
)

__all__ = [
    "CHECKED_KEY",
    "COMMUNE_KINDS",
    "CUSTOM",
    "DEADLINE_ROLES",
    "DEFAULT_TIMES",
    "KINDS",
    "MAX_DAYS_BEFORE",
    "MAX_TIMES",
    "MAX_TITLE",
    "MONTHLY_ESCALATION",
    "MONTHLY_KINDS",
    "MONTHLY_REPORT",
    "PROVINCE_CONSOLIDATION",
    "PROVINCE_KINDS",
    "QUIET_END",
    "QUIET_START",
    "RECIPIENTS",
    "SCOPE_COMMUNE",
    "SCOPE_DEFAULT",
    "SCOPE_PROVINCE",
    "VERSION_KEY",
    "WEEKDAYS",
    "WEEKLY_KINDS",
    "WEEKLY_SESSION",
    "WEEKLY_SUMMARY",
    "DomainError",
    "EffectiveRule",
    "RuleBook",
    "Slot",
    "active_communes",
    "active_provinces",
    "bump_version",
    "cancel_deadline",
    "checked_until",
    "count_villages",
    "create_deadline",
    "datetime_at",
    "deadline_scope",
    "deadlines_concerning",
    "editable_kinds",
    "firings_between",
    "is_quiet",
    "live_deadlines",
    "out_of_quiet",
    "parse_slot",
    "parse_times",
    "reachable",
    "reset_rule",
    "rules_for",
    "rules_version",
    "select",
    "set_checked_until",
    "set_paused",
    "set_rule",
    "slots_of",
    "upcoming_deadlines",
    "villages_without_session",
]
