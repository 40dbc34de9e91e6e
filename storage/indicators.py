"""The movement's indicators: monthly figures per commune and yearly targets per province or commune.

Five indicators are the plans' "5 chỉ tiêu"; VNeID level-2 activation is reported beside them, separately
from the confirmation of digital-skill universalisation on VNeID. A figure is a numerator over a
denominator (people with the skill, out of the people counted); its percent is computed, never typed.
A province's target applies to its communes unless a commune sets its own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage import audit
from storage.areas import get_commune, get_province
from storage.errors import DomainError
from storage.models import Commune, IndicatorTarget, IndicatorValue, Member
from storage.reports import ensure_open, month_start
from storage.text import fold
from storage.vocab import N_, ROLE_COMMUNE_ADMIN, ROLE_PROVINCE_VIEWER

# id -> (label, short label for tables and charts), in the plans' order.
INDICATORS: dict[str, tuple[str, str]] = {
    "officials_digital_skills": (N_("Cán bộ, công chức, viên chức có kỹ năng số"), N_("CBCCVC có KNS")),
    "students_digital_skills": (N_("Học sinh được trang bị kỹ năng số"), N_("Học sinh")),
    "adults_digital_skills": (N_("Người dân trưởng thành có kỹ năng số"), N_("Người dân có KNS")),
    "adults_vneid_confirmed": (N_("Người dân được xác nhận phổ cập kỹ năng số trên VNeID"), N_("Xác nhận trên VNeID")),
    "workers_digital_skills": (N_("Người lao động trong doanh nghiệp có kỹ năng số"), N_("Lao động DN")),
    "vneid_level2_activated": (N_("Người dân kích hoạt định danh điện tử mức 2 (báo cáo riêng)"), N_("VNeID mức 2")),
}
FIVE = tuple(list(INDICATORS)[:5])
SCOPE_PROVINCE, SCOPE_COMMUNE = "province", "commune"

# Words people type for each indicator (folded); the longest match wins, so "vneid muc 2" is level 2.
ALIASES: dict[str, tuple[str, ...]] = {
    "officials_digital_skills": ("cbccvc", "cbcc", "can bo", "cong chuc", "vien chuc", "officials"),
    "students_digital_skills": ("hoc sinh", "hs", "students"),
    "adults_digital_skills": ("nguoi dan", "nguoi truong thanh", "dan", "ky nang so", "kns", "adults"),
    "adults_vneid_confirmed": (
        "vneid",
        "xac nhan",
        "pho cap",
        "xac nhan vneid",
        "vneid xac nhan",
        "xac nhan pho cap",
        "confirmed",
    ),
    "workers_digital_skills": ("lao dong", "nguoi lao dong", "doanh nghiep", "nld", "dn", "cong nhan", "workers"),
    "vneid_level2_activated": (
        "muc hai",
        "vneid muc hai",
        "kich hoat",
        "kich hoat muc hai",
        "dinh danh muc hai",
        "dddt muc hai",
        "level hai",
    ),
}
_ALIAS_LIST = sorted(((a, i) for i, names in ALIASES.items() for a in (*names, i)), key=lambda p: -len(p[0]))

_NUMBER = r"(\d{1,3}(?:[.,\s]\d{3})+|\d+)"
# The name before a figure is at most 80 characters: unbounded, the lazy scan from every position made a long
# message without figures cost time in the square of its length (10,000 characters: 8 s of the engine's thread).
_FIGURE = re.compile(
    r"([^\d:;,\n/]{1,80}?)\s*[:=]?\s*" + _NUMBER + r"\s*(?:/|tren|trên|of)\s*" + _NUMBER, re.IGNORECASE
)
# What every figure has (a number, "/" or "trên", a number): a message without it is no figures, found without
# the scan of `_FIGURE`, which tries each position (a free-text report paid about 0.3 ms for it).
_FIGURE_HINT = re.compile(r"\d\s*(?:/|tren|trên|of)\s*\d", re.IGNORECASE)
_TARGET = re.compile(r"([^\d:;,\n%]+?)\s*[:=]?\s*(\d{1,4}(?:[.,]\d{1,2})?)\s*%?", re.IGNORECASE)
_LEVEL_TWO = re.compile(r"\b(?:m[ứưu]c|level)\s*(?:2|ii)\b|\bmd2\b", re.IGNORECASE)  # "mức 2" names, not counts


def label(indicator: str) -> str:
    """The full (untranslated, N_-marked) label of an indicator."""
    return INDICATORS[indicator][0]


def short_label(indicator: str) -> str:
    return INDICATORS[indicator][1]


def _number(text: str) -> int:
    return int(re.sub(r"[.,\s]", "", text))


def find_indicator(words: str) -> str | None:
    """The indicator named by some words, ignoring case and diacritics; None if none is named."""
    key = fold(words).strip(" -:=.")
    for alias, indicator in _ALIAS_LIST:
        if key == alias or key.endswith(" " + alias) or key.startswith(alias + " ") or f" {alias} " in f" {key} ":
            return indicator
    return None


_MONTH_WORDS = re.compile(r"\b(?:tháng|thang)\s*\d{1,2}(?:\s*/\s*\d{4})?\b", re.IGNORECASE)


def looks_like_figures(text: str) -> bool:
    """Whether a message is only indicator figures ("vneid 1234/5000, học sinh 950/1000", maybe "tháng 10").

    Anything else in the message ("vneid 10/12 học 20 người") makes it a report to log, not figures.
    """
    line = _MONTH_WORDS.sub(" ", _LEVEL_TWO.sub("mức hai", text.strip()))
    if not _FIGURE_HINT.search(line):
        return False
    found, unknown = parse_figures(line)
    rest = _FIGURE.sub(" ", line)
    return bool(found) and not unknown and not re.search(r"[^\W\d_]", rest)


def parse_figures(text: str) -> tuple[list[tuple[str, int, int]], list[str]]:
    """Figures in a line or several ("vneid 1234/5000; học sinh 300/320"): (indicator, n, d) and unknown names."""
    found: list[tuple[str, int, int]] = []
    unknown: list[str] = []
    for match in _FIGURE.finditer(_LEVEL_TWO.sub("mức hai", text)):
        name = match.group(1).strip()
        indicator = find_indicator(name)
        if indicator is None:
            unknown.append(name)
            continue
        found = [f for f in found if f[0] != indicator]
        found.append((indicator, _number(match.group(2)), _number(match.group(3))))
    return found, unknown


def parse_targets(text: str) -> tuple[list[tuple[str, float]], list[str]]:
    """Targets in a line ("vneid 80%, học sinh 100"): (indicator, percent) and unknown names."""
    found: list[tuple[str, float]] = []
    unknown: list[str] = []
    for part in re.split(r"[;,\n]+(?!\d)", _LEVEL_TWO.sub("mức hai", text)):
        match = _TARGET.fullmatch(part.strip().rstrip("."))
        if not match:
            if part.strip():
                unknown.append(part.strip())
            continue
        indicator = find_indicator(match.group(1))
        if indicator is None:
            unknown.append(match.group(1).strip())
            continue
        found = [f for f in found if f[0] != indicator]
        found.append((indicator, float(match.group(2).replace(",", "."))))
    return found, unknown


#: More people than any commune has (the largest hold a few hundred thousand): a figure above it is a typing
#: slip, and refusing it also keeps the number within the database's integer column.
MAX_FIGURE = 10_000_000


def check_figure(indicator: str, numerator: int, denominator: int) -> None:
    """Refuse a figure that cannot be a share of people."""
    if indicator not in INDICATORS:
        raise DomainError("unknown_indicator", indicator=indicator)
    if denominator > MAX_FIGURE or numerator > MAX_FIGURE:
        raise DomainError("indicator_too_large", indicator=indicator, limit=MAX_FIGURE)
    if denominator <= 0:
        raise DomainError("indicator_zero_denominator", indicator=indicator)
    if numerator < 0:
        raise DomainError("indicator_negative", indicator=indicator)
    if numerator > denominator:
        raise DomainError(
            "indicator_over_denominator", indicator=indicator, numerator=numerator, denominator=denominator
        )


def check_target(indicator: str, percent: float) -> None:
    if indicator not in INDICATORS:
        raise DomainError("unknown_indicator", indicator=indicator)
    if percent > 100:
        raise DomainError("target_over_100", indicator=indicator, percent=percent)
    if percent < 0:
        raise DomainError("target_negative", indicator=indicator, percent=percent)


def percent_of(numerator: int | None, denominator: int | None) -> float | None:
    """numerator/denominator as a percent rounded to 2 decimals (the JSON contract); None without data."""
    if numerator is None or not denominator:
        return None
    return round(100.0 * numerator / denominator, 2)


def set_figure(
    session: Session,
    *,
    actor: Member | None,
    commune_code: int,
    month: dt.date,
    indicator: str,
    numerator: int,
    denominator: int,
    now: dt.datetime,
) -> IndicatorValue:
    """Save (or replace) a commune's figure for a month; only the commune's admin (or the CLI, actor None)."""
    if actor is not None and not (actor.role == ROLE_COMMUNE_ADMIN and actor.commune_code == commune_code):
        raise DomainError("indicator_not_allowed")
    check_figure(indicator, numerator, denominator)
    get_commune(session, commune_code)
    month = month_start(month)
    ensure_open(session, commune_code, month)
    row = session.exec(
        select(IndicatorValue).where(
            IndicatorValue.commune_code == commune_code,
            IndicatorValue.month == month,
            IndicatorValue.indicator == indicator,
        )
    ).first()
    before = None
    if row is None:
        row = IndicatorValue(
            commune_code=commune_code,
            month=month,
            indicator=indicator,
            numerator=numerator,
            denominator=denominator,
            entered_by=actor.id if actor else None,
            updated_at=now,
        )
    else:
        before = {"numerator": row.numerator, "denominator": row.denominator}
        row.numerator, row.denominator = numerator, denominator
        row.entered_by, row.updated_at = (actor.id if actor else None), now
    audit.save(
        session,
        row,
        actor_id=actor.id if actor else None,
        entity="indicator_value",
        now=now,
        before=before,
        after={
            "commune_code": commune_code,
            "month": month.isoformat(),
            "indicator": indicator,
            "numerator": numerator,
            "denominator": denominator,
        },
    )
    return row


def figures(session: Session, commune_code: int, month: dt.date) -> dict[str, IndicatorValue]:
    """A commune's figures for one month, by indicator."""
    rows = session.exec(
        select(IndicatorValue).where(
            IndicatorValue.commune_code == commune_code, IndicatorValue.month == month_start(month)
        )
    ).all()
    return {r.indicator: r for r in rows}


def latest_month_with_figures(session: Session, commune_code: int, up_to: dt.date) -> dt.date | None:
    """The latest month (not after `up_to`) for which the commune entered any figure."""
    return session.exec(
        select(col(IndicatorValue.month))
        .where(IndicatorValue.commune_code == commune_code, IndicatorValue.month <= month_start(up_to))
        .order_by(col(IndicatorValue.month).desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class Target:
    """A yearly target and where it comes from (the commune's own, or its province's)."""

    indicator: str
    percent: float
    scope: str


def set_target(
    session: Session,
    *,
    actor: Member | None,
    year: int,
    indicator: str,
    percent: float,
    scope: str,
    area_code: int,
    now: dt.datetime,
) -> IndicatorTarget:
    """Set a yearly target: a commune admin for their commune, a province viewer for their province."""
    if scope == SCOPE_COMMUNE:
        allowed = actor is None or (actor.role == ROLE_COMMUNE_ADMIN and actor.commune_code == area_code)
        get_commune(session, area_code)
    elif scope == SCOPE_PROVINCE:
        allowed = actor is None or (actor.role == ROLE_PROVINCE_VIEWER and actor.province_code == area_code)
        get_province(session, area_code)
    else:
        raise DomainError("target_not_allowed")
    if not allowed:
        raise DomainError("target_not_allowed")
    check_target(indicator, percent)
    row = session.exec(
        select(IndicatorTarget).where(
            IndicatorTarget.year == year,
            IndicatorTarget.indicator == indicator,
            IndicatorTarget.scope == scope,
            IndicatorTarget.area_code == area_code,
        )
    ).first()
    before = None
    if row is None:
        row = IndicatorTarget(
            year=year,
            indicator=indicator,
            scope=scope,
            area_code=area_code,
            percent=percent,
            set_by=actor.id if actor else None,
            updated_at=now,
        )
    else:
        before = {"percent": row.percent}
        row.percent, row.set_by, row.updated_at = percent, (actor.id if actor else None), now
    audit.save(
        session,
        row,
        actor_id=actor.id if actor else None,
        entity="indicator_target",
        now=now,
        before=before,
        after={"year": year, "indicator": indicator, "scope": scope, "area_code": area_code, "percent": percent},
    )
    return row


def province_targets(session: Session, province_code: int, year: int) -> dict[str, Target]:
    rows = session.exec(
        select(IndicatorTarget).where(
            IndicatorTarget.year == year,
            IndicatorTarget.scope == SCOPE_PROVINCE,
            IndicatorTarget.area_code == province_code,
        )
    ).all()
    return {r.indicator: Target(r.indicator, r.percent, SCOPE_PROVINCE) for r in rows}


def commune_targets(session: Session, commune_code: int, year: int) -> dict[str, Target]:
    """The targets that apply to a commune: its own, else its province's."""
    commune = session.get(Commune, commune_code)
    if commune is None:
        raise DomainError("unknown_commune", unit=commune_code)
    targets = province_targets(session, commune.province_code, year)
    own = session.exec(
        select(IndicatorTarget).where(
            IndicatorTarget.year == year,
            IndicatorTarget.scope == SCOPE_COMMUNE,
            IndicatorTarget.area_code == commune_code,
        )
    ).all()
    targets.update({r.indicator: Target(r.indicator, r.percent, SCOPE_COMMUNE) for r in own})
    return targets


def expected_share(month: dt.date) -> float:
    """How far along the year's target a commune should be by the end of `month` (straight line from January)."""
    return month.month / 12.0


def on_track(percent: float | None, target: float | None, month: dt.date) -> bool | None:
    """Whether a percent is on the straight path to the year's target by the end of the month.

    With no baseline known, the path starts at 0 % in January and reaches the target in December; a
    percent at or above the target is always on track. None when the figure or the target is missing.
    """
    if percent is None or target is None:
        return None
    return percent >= target or percent >= round(target * expected_share(month), 2)
