"""The monthly figures of the province's programmes that the commune enters itself, inside /chiso.

Which programmes: those the province runs (/chuongtrinh) whose catalog entry says the commune enters them
(`entered_by` commune or both), apart from one whose figure is a national indicator (VNeID level 2 is the
«mức 2» indicator of /chiso). One figure per programme per month, typed «chợ không tiền mặt 3» or, where the
catalog has an entered denominator, «định danh số 4.100/5.000»; or one at a time after pressing its button.
A province that runs none of them sees /chiso exactly as before. The rules are in
`storage/programmes/monthly.py`; `handlers/indicators.py` calls these helpers.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.messages import Button
from handlers.base import Turn
from handlers.reporting import percent_text
from storage.indicators import percent_of
from storage.programmes import monthly, records
from storage.programmes.catalog import UNITS, Programme

CHISO_FLOW = "i"  # the buttons belong to /chiso's flow (`handlers/indicators.py`), not a flow of their own
# a figure typed after its button: «3», «3 chợ», «4.100/5.000», «4100 trên 5000»
_TYPED = re.compile(
    r"^\s*(?P<number>[-−]?[\d.,\s]*?\d)\s*(?:(?:/|trên|tren)\s*(?P<of>[-−]?[\d.,\s]*?\d))?\s*[^\d]*$", re.IGNORECASE
)


def of_commune(turn: Turn) -> list[Programme]:
    """The programmes whose monthly figure the asking admin's commune enters (none for most provinces)."""
    return monthly.for_commune(turn.session, turn.require_commune())


def find(turn: Turn, programme_id: str) -> Programme | None:
    """A programme of the commune's list by id (a forged id, or one turned off since, finds none)."""
    return next((p for p in of_commune(turn) if p.id == programme_id), None) if programme_id else None


def _unit(turn: Turn, programme: Programme) -> str:
    return turn._(UNITS[programme.unit])


def figure_text(turn: Turn, programme: Programme, value: int, denominator: int | None) -> str:
    """A figure as read: «3 chợ», or «4.100/5.000 = 82%» where a denominator is typed."""
    _ = turn._
    if denominator is None:
        return _("{n} {unit}").format(n=turn.tr.number(value), unit=_unit(turn, programme))
    return _("{n}/{d} = {percent}").format(
        n=turn.tr.number(value),
        d=turn.tr.number(denominator),
        percent=percent_text(turn, percent_of(value, denominator)),
    )


def lines(turn: Turn, programmes: list[Programme], commune_code: int, month: dt.date) -> list[str]:
    """The month's programme figures (no line at all when the province runs none entered by the commune); for
    a programme the villages log too, their sum of the month beside it."""
    _ = turn._
    if not programmes:
        return []
    saved = monthly.values(turn.session, commune_code, month)
    logged = records.totals_of_month(turn.session, commune_code, month)
    out = ["", _("Chương trình của tỉnh (xã nhập hằng tháng):")]
    for programme in programmes:
        name = programme.name(turn.tr.locale)
        row = saved.get(programme.id)
        line = (
            _("• {name}: chưa nhập").format(name=name)
            if row is None
            else _("• {name}: {value}").format(
                name=name, value=figure_text(turn, programme, row.value, row.denominator)
            )
        )
        if programme.logged_by_villages:
            line += " " + _("(các thôn đã ghi trong tháng: {value})").format(
                value=figure_text(turn, programme, logged.get((programme.id, programme.unit), 0), None)
            )
        out.append(line)
    return out


def hint(turn: Turn, programmes: list[Programme]) -> list[str]:
    """How to type them: one example of a count and one of a figure over its denominator, as the list has."""
    _ = turn._
    if not programmes:
        return []
    count = next((p for p in programmes if not monthly.needs_denominator(p)), None)
    share = next((p for p in programmes if monthly.needs_denominator(p)), None)
    out = []
    if count is not None:
        out.append(
            _("Chương trình của tỉnh: bạn gõ «tên chương trình số lượng», ví dụ: {name} 12").format(name=count.words[0])
        )
    if share is not None:
        out.append(
            _("Chương trình có tổng số: bạn gõ «tên số đạt/tổng số», ví dụ: {name} 4.100/5.000").format(
                name=share.words[0]
            )
        )
    return out


def buttons(turn: Turn, programmes: list[Programme]) -> list[Button]:
    return [turn.button(p.name(turn.tr.locale), CHISO_FLOW, "prog", p.id) for p in programmes]


def ask(turn: Turn, programme: Programme) -> None:
    """Ask for one programme's figure, saying what it counts and how to type it."""
    _ = turn._
    counted = programme.counted.text(turn.tr.locale)
    if programme.denominator is not None and monthly.needs_denominator(programme):
        denominator = programme.denominator.en if turn.tr.locale == "en" else programme.denominator.vi
        turn.say(
            _("«{name}» ({counted}): bạn gõ số đạt/tổng số ({denominator}), ví dụ 4.100/5.000.").format(
                name=programme.name(turn.tr.locale), counted=counted.lower(), denominator=denominator.lower()
            )
        )
        return
    turn.say(
        _("«{name}» ({counted}): bạn gõ một số nguyên ({unit}), ví dụ 12.").format(
            name=programme.name(turn.tr.locale), counted=counted.lower(), unit=_unit(turn, programme)
        )
    )


def typed_line(programme: Programme, text: str) -> str:
    """The answer to `ask` as a line of /chiso («<id words> 3» or «<id words> 4100/5000»), so that it is read
    and saved like a typed line; an answer with no number is passed on as is and refused there."""
    match = _TYPED.match(text)
    name = programme.id.replace("_", " ")
    if match is None:
        return f"{name} {text}"
    figure = match.group("number").strip()
    if match.group("of"):
        figure += "/" + match.group("of").strip()
    return f"{name} {figure}"


def save(turn: Turn, found: list[tuple[Programme, str, str | None]], commune_code: int, month: dt.date) -> list[str]:
    """Save the programme figures of a message (the caller's nested transaction: all or none); the lines saying
    what was saved."""
    _ = turn._
    member = turn.require_member()
    out = []
    for programme, number, of in found:
        value, denominator = monthly.read_figure(programme, number, of)
        monthly.set_value(
            turn.session,
            actor=member,
            commune_code=commune_code,
            month=month,
            programme_id=programme.id,
            value=value,
            denominator=denominator,
            now=turn.now,
        )
        out.append(
            _("✅ Đã lưu {name}: {value}").format(
                name=programme.name(turn.tr.locale), value=figure_text(turn, programme, value, denominator)
            )
        )
    return out
