"""Each commune's flags over a period, kept while they hold (storage/kept.py).

A commune's page keeps its flags each with its entries (`flags`, `counts`); a province's page keeps each
commune's counts, read one by one when few communes changed since they were kept (`ONE_BY_ONE`), else all at
once by the province's grouped statements (`province.province_counts_read`; `flags` then None, read again by
the commune's own page).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlmodel import Session

from storage import kept
from storage.periods import Period
from storage.progress.sql import COMMUNES
from storage.reports import DEFAULT_DEADLINE_DAY
from storage.supervision import entries as entries_module
from storage.supervision import province as province_module
from storage.supervision import rules as rules_module
from storage.supervision.entries import Entries, Entry, Flag, load_entries
from storage.supervision.province import province_counts_read
from storage.supervision.rules import commune_flags

FLAGS = "flags"  # the kept read's name

# Stale communes read one by one up to this many (a few ms each); more, and the province's grouped statements
# count them all at once (about a millisecond a commune, but ~200 ms whatever the number stale).
ONE_BY_ONE = 24

_COMMUNES_OF_PROVINCE = select(COMMUNES.c.code).where(COMMUNES.c.province_code == bindparam("province"))


@lru_cache(maxsize=8)
def _code(zone: str) -> str:
    """The fingerprint of the rules, of what they read and of this module, with the zone of the local days."""
    return kept.fingerprint(rules_module, entries_module, province_module, sys.modules[__name__], extra=zone)


@dataclass(frozen=True)
class CommuneFlags:
    """A commune's flags over a period, and the entries they were read from when they had to be read (the
    leaders' page folds its heat-map's days from them instead of reading those again)."""

    flags: list[Flag]
    entries: Entries | None


def _value(counts: Mapping[str, int], flags: Sequence[Flag] | None) -> dict[str, Any]:
    return {
        "counts": {rule: int(n) for rule, n in counts.items() if n},
        "flags": None if flags is None else [flag_to_json(flag) for flag in flags],
    }


def _read(session: Session, commune_code: int, period: Period, tz: ZoneInfo) -> tuple[list[Flag], Entries]:
    """The commune's flags read now, and the entries they were read from."""
    entries = load_entries(session, [commune_code], period, tz)
    deadline = entries.deadline_days.get(commune_code, DEFAULT_DEADLINE_DAY)
    return commune_flags(entries.sessions, period, deadline), entries


def commune_flags_kept(session: Session, commune_code: int, period: Period, tz: ZoneInfo) -> CommuneFlags:
    """The commune's entries worth a second look over the period, by rule: kept ones while they hold, else read
    (`load_entries`, `rules.commune_flags`) and kept."""
    found = kept.kept_of_commune(session, commune_code, FLAGS, period.start, period.end, _code(tz.key))
    if found.value is not None and found.value.get("flags") is not None:
        return CommuneFlags([flag_from_json(flag) for flag in found.value["flags"]], None)
    flags, entries = _read(session, commune_code, period, tz)
    value = _value(Counter(flag.rule for flag in flags), flags)
    kept.keep_soon(session, FLAGS, period.start, period.end, [(commune_code, found.stamp, value)])
    return CommuneFlags(flags, entries)


def province_counts_kept(session: Session, province_code: int, period: Period, tz: ZoneInfo) -> dict[int, Counter[str]]:
    """How many flags of each rule every commune of the province has over the period (communes with none left
    out): the kept counts of communes where they hold; the others read one by one when few (`ONE_BY_ONE`),
    else the province's all at once (`province.province_counts_read`), and kept."""
    codes = [int(code) for (code,) in session.connection().execute(_COMMUNES_OF_PROVINCE, {"province": province_code})]
    found = kept.kept_of_province(session, province_code, codes, FLAGS, period.start, period.end, _code(tz.key))
    counts: dict[int, Counter[str]] = {}
    stale = []
    for code, read in found.items():
        if read.value is None:
            stale.append(code)
        elif read.value["counts"]:
            counts[code] = Counter({rule: int(n) for rule, n in read.value["counts"].items()})
    if not stale:
        return counts
    reads = []
    if len(stale) <= ONE_BY_ONE:
        for code in stale:
            flags, _entries = _read(session, code, period, tz)
            counted = Counter(flag.rule for flag in flags)
            if counted:
                counts[code] = counted
            reads.append((code, found[code].stamp, _value(counted, flags)))
    else:
        counted_now = province_counts_read(session, province_code, period, tz)
        for code in stale:
            counted = counted_now.get(code, Counter())
            if counted:
                counts[code] = counted
            reads.append((code, found[code].stamp, _value(counted, None)))
    kept.keep_soon(session, FLAGS, period.start, period.end, reads)
    return counts


_ENTRY_FIELDS = (
    "id",
    "village_id",
    "village",
    "day",
    "attendees",
    "logged_by",
    "logged_on",
    "commune_code",
    "households",
    "helped",
    "photos",
)


def flag_to_json(flag: Flag) -> dict[str, Any]:
    """A flag as kept: its rule, its entries (each a list of `Entry`'s fields) and what it says of them."""
    return {
        "rule": flag.rule,
        "entries": [
            [value.isoformat() if isinstance(value, dt.date) else value for value in _values(entry)]
            for entry in flag.entries
        ],
        "median": flag.median,
        "days_late": flag.days_late,
        "deadline": flag.deadline.isoformat() if flag.deadline else None,
    }


def _values(entry: Entry) -> list[Any]:
    return [getattr(entry, name) for name in _ENTRY_FIELDS]


def flag_from_json(kept: Mapping[str, Any]) -> Flag:
    """The flag `flag_to_json` kept."""
    entries = []
    for values in kept["entries"]:
        fields = dict(zip(_ENTRY_FIELDS, values, strict=True))
        fields["day"] = dt.date.fromisoformat(fields["day"])
        fields["logged_on"] = dt.date.fromisoformat(fields["logged_on"])
        entries.append(Entry(**fields))
    deadline = kept.get("deadline")
    return Flag(
        rule=kept["rule"],
        entries=tuple(entries),
        median=kept.get("median"),
        days_late=kept.get("days_late"),
        deadline=dt.date.fromisoformat(deadline) if deadline else None,
    )
