"""The targets of a province's own indicators and of the programmes it runs, inside /chitieu.

They are the province's (one target a year for the whole province, as /chuongtrinh and `bdhvs indicator add`
set them): /chitieu shows them to everyone who sees the national targets, and a province viewer of the
province sets them by typing «gia đình số 95%», «đại sứ số 40», «chợ không dùng tiền mặt 12», beside the
national ones. A commune admin who types one is told politely that the province sets it. A province with no
own indicator and no programme sees /chitieu exactly as before. `handlers/indicators.py` calls these helpers.
"""

from __future__ import annotations

import re

from handlers.base import Turn
from handlers.programmes import target_text
from storage import province_indicators
from storage.areas import get_commune
from storage.errors import DomainError
from storage.models import ProvinceIndicator
from storage.programmes import monthly, provinces
from storage.programmes.catalog import RULE_PERCENT, Programme
from storage.vocab import ROLE_PROVINCE_VIEWER

# «tên 95%», «tên: 1.200 chợ», «tên = 40»: a name, then a number (maybe a percent) and maybe a unit
_VALUE = re.compile(r"^(?P<name>.+?)\s*[:=]?\s*(?P<value>[-−]?\s*\d[\d.,]*\s*%?)\s*[^\d%]*$")
_PARTS = re.compile(r"[;\n]+|,(?!\d)")

Found = tuple[list[tuple[Programme, str]], list[tuple[ProvinceIndicator, str]]]


def province_of(turn: Turn) -> int:
    """The province whose targets the person sees: their own (a province viewer) or their commune's."""
    member = turn.require_member()
    if member.role == ROLE_PROVINCE_VIEWER:
        return member.province_code
    return get_commune(turn.session, turn.require_commune()).province_code


def _parts(turn: Turn) -> tuple[list[Programme], list[ProvinceIndicator]]:
    """The programmes the province runs (but one whose figure is a national indicator: its target is that
    indicator's, above) and its own indicators."""
    province = province_of(turn)
    running = [p for p in provinces.enabled_programmes(turn.session, province) if p.indicator is None]
    return running, province_indicators.indicators_of(turn.session, province)


def lines(turn: Turn, year: int) -> list[str]:
    """The year's targets of the province's own indicators and programmes (nothing when it has neither)."""
    _ = turn._
    running, own = _parts(turn)
    out: list[str] = []
    if own:
        out += ["", _("Chỉ số riêng của tỉnh (chỉ tiêu của tỉnh):")]
        for indicator in own:
            name = province_indicators.name_of(indicator, turn.tr.locale)
            if indicator.target is None:
                out.append(_("• {name}: chưa đặt").format(name=name))
            else:
                unit = _(province_indicators.unit_label(indicator.unit))
                value = _("{n} {unit}").format(n=turn.tr.number(indicator.target), unit=unit)
                out.append(_("• {name}: {value}").format(name=name, value=value))
    if running:
        province = province_of(turn)
        out += ["", _("Chương trình của tỉnh (mục tiêu của tỉnh):")]
        for programme in running:
            target = provinces.target_of(turn.session, province, programme.id, year)
            out.append(
                _("• {name}: {value}").format(
                    name=programme.name(turn.tr.locale), value=target_text(turn, programme, target)
                )
            )
    return out


def hint(turn: Turn) -> list[str]:
    """How a province viewer types them (nothing for others, or when the province has none)."""
    member = turn.require_member()
    running, own = _parts(turn)
    if member.role != ROLE_PROVINCE_VIEWER or not (running or own):
        return []
    examples = [f"{p.words[0]} {'95%' if p.target.rule == RULE_PERCENT else '40'}" for p in running[:2]]
    examples += [f"{province_indicators.name_of(o, turn.tr.locale).lower()} 12" for o in own[:1]]
    return [
        turn._("Chỉ số riêng và chương trình của tỉnh: bạn gõ tên rồi mục tiêu, ví dụ: {examples}.").format(
            examples=", ".join(examples)
        )
    ]


def parse(turn: Turn, text: str) -> tuple[Found, str]:
    """The parts of a message naming a programme or an own indicator with a target, and the rest (the national
    targets). The values are read when saved, so that a refusal says why."""
    running, own = _parts(turn)
    if not running and not own:
        return ([], []), text
    programmes: list[tuple[Programme, str]] = []
    owns: list[tuple[ProvinceIndicator, str]] = []
    rest: list[str] = []
    for part in _PARTS.split(text):
        match = _VALUE.match(part.strip().rstrip("."))
        if match is None:
            rest.append(part)
            continue
        indicator = province_indicators.find(own, match.group("name"))
        programme = None if indicator is not None else monthly.find(running, match.group("name"))
        if indicator is not None:
            owns = [o for o in owns if o[0].indicator != indicator.indicator] + [(indicator, match.group("value"))]
        elif programme is not None:
            programmes = [p for p in programmes if p[0].id != programme.id] + [(programme, match.group("value"))]
        else:
            rest.append(part)
    return (programmes, owns), ", ".join(p.strip() for p in rest if p.strip())


def save(turn: Turn, found: Found, year: int) -> list[str]:
    """Save the targets found (the caller's nested transaction: all or none); the lines saying what was set.
    Only a province viewer of the province sets them; anyone else is refused with the reason."""
    _ = turn._
    member = turn.require_member()
    programmes, owns = found
    if not programmes and not owns:
        return []
    if member.role != ROLE_PROVINCE_VIEWER:
        raise DomainError("province_target_by_province")
    out = []
    for programme, typed in programmes:
        value = provinces.parse_target(programme, typed)
        provinces.set_target(
            turn.session,
            actor=member,
            province_code=member.province_code,
            programme_id=programme.id,
            year=year,
            value=value,
            now=turn.now,
        )
        out.append(
            _("✅ Đã đặt {name}: {value}").format(
                name=programme.name(turn.tr.locale), value=target_text(turn, programme, value)
            )
        )
    for indicator, typed in owns:
        if "%" in typed:
            raise DomainError("programme_target_not_count", text=typed.strip())
        target = province_indicators.read_count(typed)
        province_indicators.set_target(
            turn.session,
            actor=member,
            province_code=member.province_code,
            indicator_id=indicator.indicator,
            target=target,
            now=turn.now,
        )
        unit = _(province_indicators.unit_label(indicator.unit))
        out.append(
            _("✅ Đã đặt {name}: {value}").format(
                name=province_indicators.name_of(indicator, turn.tr.locale),
                value=_("{n} {unit}").format(n=turn.tr.number(target), unit=unit),
            )
        )
    return out
