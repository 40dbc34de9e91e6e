"""The monthly figures a commune enters itself for the programmes its province runs: those the catalog says are
entered by the commune (`entered_by` commune or both), typed in /chiso beside the indicators.

One figure per programme per month: a whole count in the programme's unit («chợ không tiền mặt 3»), with the
denominator typed after a «/» when the catalog's denominator is `entered` («định danh số 4.100/5.000»). A
programme whose figure is a national indicator (`Programme.indicator`, VNeID level 2) is entered as that
indicator, not here. Like the indicators, a figure can be changed until the month's report is submitted, and
every change is audited.

For a programme entered "both" ways (Chợ số 4T, Đảng viên số), the villages' logged figures stay in
`storage/programmes/records.py`; the commune's monthly figure is kept apart beside them, and /chiso shows the
villages' sum of the month next to it so that the admin can see both.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlmodel import Session, select

from storage import audit, province_indicators
from storage.areas import get_commune
from storage.errors import DomainError
from storage.indicators import MAX_FIGURE
from storage.models import Member, ProgrammeMonthValue, ProvinceIndicator
from storage.programmes import provinces
from storage.programmes.catalog import SOURCE_ENTERED, Programme
from storage.province_indicators import read_count
from storage.reports import ensure_open, month_start
from storage.text import fold
from storage.vocab import ROLE_COMMUNE_ADMIN

# «tên 12», «tên: 1.200 chợ», «tên 4.100/5.000»: a name, then a number (and a denominator) and maybe a unit.
# A sign or a decimal part is read so that it can be refused, never rounded.
_NUMBER = r"[-−]?\s*\d{1,3}(?:\.\d{3})+|[-−]?\s*\d+(?:[.,]\d+)?"
_VALUE = re.compile(
    r"^(?P<name>.+?)\s*[:=]?\s*(?P<number>" + _NUMBER + r")\s*(?:(?:/|trên|tren)\s*(?P<of>" + _NUMBER + r"))?"
    r"\s*(?P<rest>[^\d]*)$",
    re.IGNORECASE,
)
_PARTS = re.compile(r"[;\n]+|,(?!\d)")


def needs_denominator(programme: Programme) -> bool:
    """Whether the commune types the denominator with the figure (the catalog's `entered` source)."""
    return programme.denominator is not None and programme.denominator.source == SOURCE_ENTERED


def entered_monthly(session: Session, province_code: int) -> list[Programme]:
    """The programmes a province runs whose monthly figure its communes enter here, in the catalog's order
    (none for a province that runs none: then /chiso reads exactly as before)."""
    return [
        p for p in provinces.enabled_programmes(session, province_code) if p.entered_by_commune and p.indicator is None
    ]


def for_commune(session: Session, commune_code: int) -> list[Programme]:
    return entered_monthly(session, get_commune(session, commune_code).province_code)


def find(programmes: list[Programme], words: str) -> Programme | None:
    """The programme some words name (a word of the catalog, its name or its id, folded), or None; the
    longest name wins, and the words may start with something else («tháng 10 chợ không tiền mặt»)."""
    key = fold(words).strip(" -:=.")
    names = sorted(
        ((fold(w), p) for p in programmes for w in (*p.words, p.name_vi, p.name_en, p.id.replace("_", " "))),
        key=lambda pair: -len(pair[0]),
    )
    return next((p for name, p in names if name and (key == name or key.endswith(" " + name))), None)


def parse_values(text: str, programmes: list[Programme]) -> tuple[list[tuple[Programme, str, str | None]], str]:
    """The parts of a message giving a programme its figure, as (programme, number as typed, denominator as
    typed or None), and the rest of the message for the other figures. The numbers are read by `read_figure`
    when saved, so that a refusal names its reason."""
    if not programmes:
        return [], text
    found: list[tuple[Programme, str, str | None]] = []
    rest: list[str] = []
    for part in _PARTS.split(text):
        match = _VALUE.match(part.strip())
        programme = find(programmes, match.group("name")) if match else None
        if match is None or programme is None:
            rest.append(part)
            continue
        found = [f for f in found if f[0].id != programme.id]
        found.append((programme, match.group("number"), match.group("of")))
    return found, ", ".join(p.strip() for p in rest if p.strip())


def read_figure(programme: Programme, number: str, of: str | None) -> tuple[int, int | None]:
    """A typed figure by the programme's kind: a count, or a count over its denominator; checked by
    `check_figure`."""
    value = read_count(number)
    denominator = read_count(of) if of is not None else None
    check_figure(programme, value, denominator)
    return value, denominator


def check_figure(programme: Programme, value: int, denominator: int | None) -> None:
    """A count from 0 within bounds; a denominator only where the catalog asks for one, from 1, not below the
    count."""
    if not 0 <= value <= MAX_FIGURE:
        raise DomainError("own_indicator_too_large", limit=MAX_FIGURE)
    if not needs_denominator(programme):
        if denominator is not None:
            raise DomainError("programme_figure_no_denominator", programme=programme.id)
        return
    if denominator is None:
        raise DomainError("programme_figure_needs_denominator", programme=programme.id)
    if not 1 <= denominator <= MAX_FIGURE:
        raise DomainError(
            "programme_zero_denominator" if denominator < 1 else "own_indicator_too_large",
            programme=programme.id,
            limit=MAX_FIGURE,
        )
    if value > denominator:
        raise DomainError(
            "programme_over_denominator", programme=programme.id, numerator=value, denominator=denominator
        )


def set_value(
    session: Session,
    *,
    actor: Member | None,
    commune_code: int,
    month: dt.date,
    programme_id: str,
    value: int,
    denominator: int | None,
    now: dt.datetime,
) -> ProgrammeMonthValue:
    """Save (or replace) a commune's monthly figure of a programme: the commune's admin only (or the CLI,
    actor None), a programme its province runs and the commune enters; a month already submitted is locked."""
    if actor is not None and not (actor.role == ROLE_COMMUNE_ADMIN and actor.commune_code == commune_code):
        raise DomainError("indicator_not_allowed")
    programme = next((p for p in for_commune(session, commune_code) if p.id == programme_id), None)
    if programme is None:
        raise DomainError("programme_not_monthly", programme=programme_id)
    check_figure(programme, value, denominator)
    month = month_start(month)
    ensure_open(session, commune_code, month)
    row = session.exec(
        select(ProgrammeMonthValue).where(
            ProgrammeMonthValue.commune_code == commune_code,
            ProgrammeMonthValue.month == month,
            ProgrammeMonthValue.programme == programme_id,
        )
    ).first()
    before = None if row is None else {"value": row.value, "denominator": row.denominator}
    if row is None:
        row = ProgrammeMonthValue(
            commune_code=commune_code, month=month, programme=programme_id, value=value, updated_at=now
        )
    row.value, row.denominator, row.entered_by, row.updated_at = value, denominator, (actor.id if actor else None), now
    audit.save(
        session,
        row,
        actor_id=actor.id if actor else None,
        entity="programme_month_value",
        now=now,
        before=before,
        after={
            "commune_code": commune_code,
            "month": month.isoformat(),
            "programme": programme_id,
            "value": value,
            "denominator": denominator,
        },
    )
    return row


def values(session: Session, commune_code: int, month: dt.date) -> dict[str, ProgrammeMonthValue]:
    """A commune's monthly programme figures for one month, by programme id (programmes turned off since are
    kept, so the reports may still read them)."""
    rows = session.exec(
        select(ProgrammeMonthValue).where(
            ProgrammeMonthValue.commune_code == commune_code,
            ProgrammeMonthValue.month == month_start(month),
        )
    ).all()
    return {r.programme: r for r in rows}


@dataclass(frozen=True)
class NotEntered:
    """What a commune has not yet entered in /chiso for a month, beside the national indicators: the province's
    own indicators and the programmes whose monthly figure the commune enters (both empty for a province that
    has neither)."""

    own_indicators: list[ProvinceIndicator]
    programmes: list[Programme]

    def __bool__(self) -> bool:
        return bool(self.own_indicators or self.programmes)

    def names(self, locale: str) -> tuple[list[str], list[str]]:
        """The own indicators' names and the programmes' names, in a locale."""
        return (
            [province_indicators.name_of(i, locale) for i in self.own_indicators],
            [p.name(locale) for p in self.programmes],
        )


def not_entered(session: Session, commune_code: int, month: dt.date) -> NotEntered:
    """The own indicators and the commune-entered programmes (`entered_by` commune or both) of the commune's
    province with no figure for the month: one place that the report reminder and /baocao both ask, so that
    they never disagree."""
    province_code = get_commune(session, commune_code).province_code
    own = province_indicators.indicators_of(session, province_code)
    own_values = province_indicators.values(session, commune_code, month) if own else {}
    programmes = entered_monthly(session, province_code)
    programme_values = values(session, commune_code, month) if programmes else {}
    return NotEntered(
        own_indicators=[i for i in own if i.indicator not in own_values],
        programmes=[p for p in programmes if p.id not in programme_values],
    )
