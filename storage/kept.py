"""Reads of a commune kept (`keptread`) until something they were read from changes.

The leaders' pages read the same things again and again while only some communes log anything new: a
province's flags (about 200 ms for 168 communes), a commune's flags, its heat-map's days, its sessions month by
month. Each such read of one commune is kept and used again while it still holds. It holds while nothing it
was read from has changed, which the database itself tells: its triggers (migration 0018) bump the commune's
number in `communechange` in the transaction of every change to the commune's sessions, people helped or
villages, and the number of commune 0 when a member's name or a province's deadline day changes. A kept read
is used only when both numbers, and the fingerprint of the code that made it (and of the zone its local days
were read in), are the ones it was made with; anything else is read again and kept. A kept read is never
stale, and a changed commune is read again alone.

The numbers are read before what they vouch for: a change committed in between makes the kept read look older
than it is (read again next time), never newer. Keeping is a write a read may do without (`write_soon`): on
SQLite a read-only page writes it in a transaction of its own, right after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Date, Integer, and_, bindparam, literal, or_, select
from sqlmodel import Session

from storage.db import conflict_insert, is_readonly, write_soon
from storage.models import Commune, CommuneChange, KeptRead, table_of
from storage.periods import as_date

CHANGES = table_of(CommuneChange)
KEPT = table_of(KeptRead)
COMMUNES = table_of(Commune)
EVERY_COMMUNE = 0  # the row of `communechange` that stands for all of them


def fingerprint(*modules: ModuleType, extra: str = "") -> str:
    """A digest of the code a read comes from (and of `extra`, such as a zone): a kept read made by other code
    is never used."""
    digest = hashlib.sha256(extra.encode())
    for module in modules:
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:20]


@dataclass(frozen=True)
class Stamp:
    """What a read is made against: its code's fingerprint, the commune's number and every commune's."""

    code: str
    version: int
    epoch: int


def _in_province() -> Any:
    return select(COMMUNES.c.code).where(COMMUNES.c.province_code == bindparam("province"))


_NUMBERS_OF_PROVINCE = select(CHANGES.c.commune_code, CHANGES.c.version).where(
    or_(CHANGES.c.commune_code.in_(_in_province()), CHANGES.c.commune_code == EVERY_COMMUNE)
)
_NUMBERS_OF_COMMUNE = select(CHANGES.c.commune_code, CHANGES.c.version).where(
    CHANGES.c.commune_code.in_([bindparam("commune"), EVERY_COMMUNE])
)
_COLUMNS = (KEPT.c.commune_code, KEPT.c.code, KEPT.c.version, KEPT.c.epoch, KEPT.c.value)
_OF_THE_READ = (
    KEPT.c.what == bindparam("what"),
    KEPT.c.first == bindparam("first"),
    KEPT.c.last == bindparam("last"),
)
_KEPT_OF_PROVINCE = select(*_COLUMNS).where(KEPT.c.commune_code.in_(_in_province()), *_OF_THE_READ)
_KEPT_OF_COMMUNE = select(*_COLUMNS).where(KEPT.c.commune_code == bindparam("commune"), *_OF_THE_READ)


def _numbers(rows: Iterable[Any]) -> tuple[dict[int, int], int]:
    """Each commune's number, and every commune's."""
    versions = {int(code): int(version) for code, version in rows}
    return versions, versions.get(EVERY_COMMUNE, 0)


def _value(row: Any, stamp: Stamp) -> Any:
    """The kept row's value when it was read against this stamp, else None."""
    holds = row is not None and row.code == stamp.code and row.version == stamp.version and row.epoch == stamp.epoch
    return row.value if holds else None


@dataclass(frozen=True)
class Kept:
    """A read of one commune as kept, or None where it does not hold (`stamp`: what to keep a new one with)."""

    value: Any
    stamp: Stamp


# What a read-only unit of work has read ahead (`read_ahead`): each commune's numbers, and kept rows by
# (commune, what, first, last), None where nothing is kept.
_NUMBERS_READ, _ROWS_READ = "bdhvs_commune_numbers", "bdhvs_kept_rows"
Wanted = tuple[str, dt.date, dt.date]  # a read: what, its first and last day


@lru_cache(maxsize=8)
def _read_ahead_statement(count: int) -> Any:
    """The commune's numbers and what is kept of `count` reads (`:what0`, `:first0`, `:last0`, ...): one row even
    when nothing is kept (the numbers, outer-joined to the kept rows). Built once per count."""
    now, every = CHANGES.alias("now"), CHANGES.alias("every")
    one = select(literal(1).label("one")).subquery()
    commune = bindparam("commune", type_=Integer)
    wanted = (
        and_(
            KEPT.c.what == bindparam(f"what{n}"),
            KEPT.c.first == bindparam(f"first{n}", type_=Date),
            KEPT.c.last == bindparam(f"last{n}", type_=Date),
        )
        for n in range(count)
    )
    return select(
        now.c.version.label("now_version"),
        every.c.version.label("now_epoch"),
        KEPT.c.what,
        KEPT.c.first,
        KEPT.c.last,
        *_COLUMNS[1:],
    ).select_from(
        one.outerjoin(now, now.c.commune_code == commune)
        .outerjoin(every, every.c.commune_code == EVERY_COMMUNE)
        .outerjoin(KEPT, and_(KEPT.c.commune_code == commune, or_(*wanted)))
    )


def read_ahead(session: Session, commune_code: int, wanted: Sequence[Wanted]) -> None:
    """Read the commune's numbers and what is kept of these reads in one statement, for the `kept_of_commune`
    calls that follow in this unit of work (a page asks for several: one round trip instead of one each). Only
    in a read-only unit of work: one that writes may change the numbers."""
    if not is_readonly(session) or not wanted:
        return
    params: dict[str, Any] = {"commune": commune_code}
    for n, (what, first, last) in enumerate(wanted):
        params.update({f"what{n}": what, f"first{n}": first, f"last{n}": last})
    statement = _read_ahead_statement(len(wanted))
    rows = session.connection().execute(statement, params).all()
    session.info.setdefault(_NUMBERS_READ, {})[commune_code] = (rows[0].now_version or 0, rows[0].now_epoch or 0)
    found = session.info.setdefault(_ROWS_READ, {})
    for what, first, last in wanted:
        found[(commune_code, what, first, last)] = None
    for row in rows:
        if row.what is not None:
            found[(commune_code, row.what, as_date(row.first), as_date(row.last))] = row


def kept_of_commune(session: Session, commune_code: int, what: str, first: dt.date, last: dt.date, code: str) -> Kept:
    """The commune's kept read `what` over first..last made by `code`, when it holds (`Kept.value` None if not)."""
    # A page reads several things of one commune: in a read-only unit of work the numbers are read once, before
    # the first of them (earlier than what they vouch for, as they must be); one that writes may change them.
    readonly = is_readonly(session)
    read = session.info.setdefault(_NUMBERS_READ, {}) if readonly else {}
    if commune_code not in read:
        versions, epoch = _numbers(session.connection().execute(_NUMBERS_OF_COMMUNE, {"commune": commune_code}))
        read[commune_code] = (versions.get(commune_code, 0), epoch)
    version, epoch = read[commune_code]
    stamp = Stamp(code, version, epoch)
    ahead = session.info.get(_ROWS_READ, {}) if readonly else {}
    key = (commune_code, what, first, last)
    if key in ahead:
        row = ahead.pop(key)  # read once: a second ask in the unit of work reads again
    else:
        params = {"commune": commune_code, "what": what, "first": first, "last": last}
        row = session.connection().execute(_KEPT_OF_COMMUNE, params).first()
    return Kept(_value(row, stamp), stamp)


def kept_of_province(
    session: Session,
    province_code: int,
    commune_codes: Sequence[int],
    what: str,
    first: dt.date,
    last: dt.date,
    code: str,
) -> dict[int, Kept]:
    """The kept read `what` of each of the province's communes (`commune_codes`, all of them), as
    `kept_of_commune` gives it for one."""
    versions, epoch = _numbers(session.connection().execute(_NUMBERS_OF_PROVINCE, {"province": province_code}))
    params = {"province": province_code, "what": what, "first": first, "last": last}
    rows = {int(row.commune_code): row for row in session.connection().execute(_KEPT_OF_PROVINCE, params)}
    found = {}
    for commune in commune_codes:
        stamp = Stamp(code, versions.get(commune, 0), epoch)
        row = rows.get(commune)
        found[commune] = Kept(_value(row, stamp), stamp)
    return found


def keep_soon(
    session: Session, what: str, first: dt.date, last: dt.date, reads: Sequence[tuple[int, Stamp, Any]]
) -> None:
    """Keep reads (commune, the stamp it was made against, its value as JSON) in place of what was kept, in this
    unit of work or right after it when it is read-only (`write_soon`)."""
    rows = [
        {
            "commune_code": commune,
            "what": what,
            "first": first,
            "last": last,
            "code": stamp.code,
            "version": stamp.version,
            "epoch": stamp.epoch,
            "value": value,
        }
        for commune, stamp, value in reads
    ]
    if rows:
        write_soon(session, lambda writer: _keep(writer, rows))


def _keep(session: Session, rows: list[dict[str, Any]]) -> None:
    insert = conflict_insert(session.connection().dialect.name, KEPT)
    statement = insert.on_conflict_do_update(
        index_elements=["commune_code", "what", "first", "last"],
        set_={name: insert.excluded[name] for name in ("code", "version", "epoch", "value")},
    )
    session.connection().execute(statement, rows)
