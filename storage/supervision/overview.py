"""Supervision as a leader asks for it in chat (`/kiemtra`, `/bieuduong`): the month's flags and honour roll of the
area their role covers: a commune's admin or leader their commune (each flag), a province viewer their province
(the flags counted per commune, the most regular communes). Anyone else is refused."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage.errors import DomainError
from storage.models import Commune, Member, Province
from storage.periods import Period
from storage.supervision import province_flag_counts, supervision_flags
from storage.supervision.entries import Flag
from storage.supervision.honour import Standing, commune_roll, village_roll
from storage.vocab import COMMUNE_ROLES, ROLE_PROVINCE_VIEWER


@dataclass(frozen=True)
class Overview:
    """A month of supervision for one commune (`flags`) or one province (`counts` per commune, with names)."""

    period: Period
    area: str  # the commune's or the province's name
    province: bool
    honour: list[Standing]
    flags: list[Flag] = field(default_factory=list)
    counts: dict[int, Counter[str]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)


def overview(session: Session, member: Member, today: dt.date, tz: ZoneInfo, with_flags: bool = True) -> Overview:
    """This month's supervision of the member's area (its honour roll only, without `with_flags`)."""
    period = Period.month(today)
    if member.role in COMMUNE_ROLES and member.commune_code is not None:
        commune = session.get(Commune, member.commune_code)
        return Overview(
            period=period,
            area=commune.name if commune else "",
            province=False,
            honour=village_roll(session, member.commune_code, period, today),
            flags=supervision_flags(session, member.commune_code, period, tz) if with_flags else [],
        )
    if member.role == ROLE_PROVINCE_VIEWER:
        counts = province_flag_counts(session, member.province_code, period, tz) if with_flags else {}
        names = {}
        if counts:
            rows = session.exec(select(Commune.code, Commune.name).where(col(Commune.code).in_(list(counts))))
            names = {code: name for code, name in rows}
        province = session.get(Province, member.province_code)
        return Overview(
            period=period,
            area=province.name if province else "",
            province=True,
            honour=commune_roll(session, member.province_code, period, today),
            counts=counts,
            names=names,
        )
    raise DomainError("supervision_not_allowed")
