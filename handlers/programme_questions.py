"""Plain questions about the province's programmes: «xã mình bao nhiêu hộ gia đình số?», «bao nhiêu đại sứ số
đủ 5 người?», «tiểu thương 4T tháng này?», with or without diacritics.

A question names a programme by one of its catalog words (`Catalog.by_word`, matched on the folded text); only
the programmes the asker's province runs are recognised, so «vneid mức 2» stays an indicator question where
the province has not turned VNeID mức 2 on. The answer is scoped like every other: a team member's village, a
commune's leaders their commune (or a village of it they name), a province viewer the province (or a commune
of it they name). The month is the one named, else this month (a province viewer: the month being collected).
"""

from __future__ import annotations

from handlers.asked_area import AskedArea
from handlers.base import Turn
from handlers.common import main_menu
from handlers.programme_lines import programme_line
from handlers.province import default_month
from handlers.reporting import month_from_text, month_label
from storage.areas import get_commune, get_province
from storage.models import Village
from storage.programmes.catalog import Programme, shipped
from storage.programmes.provinces import enabled_programmes
from storage.progress import Scope
from storage.progress.programmes import commune_programmes, province_programmes


def asked_programmes(turn: Turn, q: str) -> list[Programme]:
    """The programmes of the asker's province a folded question names (none: not a programme question)."""
    member = turn.member
    if member is None:
        return []
    enabled = {p.id: p for p in enabled_programmes(turn.session, member.province_code)}
    if not enabled:
        return []
    padded, found = f" {q} ", []
    for word, programme_id in shipped().by_word().items():
        if programme_id in enabled and enabled[programme_id] not in found and f" {word} " in padded:
            found.append(enabled[programme_id])
    return found


def answer(turn: Turn, q: str, asked: AskedArea, programmes: list[Programme]) -> None:
    """The named programmes' lines for the month asked, in the asker's scope."""
    _ = turn._
    member = turn.require_member()
    scope = Scope.of(member)
    month = month_from_text(q, turn.today)
    ids = {p.id for p in programmes}
    commune_code = asked.commune_code or member.commune_code
    if commune_code is None:
        month = month or default_month(turn.today)
        lines = province_programmes(turn.session, scope, member.province_code, month).total
        unit = get_province(turn.session, member.province_code).name
    else:
        month = month or turn.today.replace(day=1)
        lines = commune_programmes(turn.session, scope, commune_code, month, asked.village_id)
        unit = get_commune(turn.session, commune_code).name
        village = turn.session.get(Village, asked.village_id or scope.village_only or 0)
        if village is not None and village.commune_code == commune_code:
            unit = _("{village}, {commune}").format(village=village.name, commune=unit)
    text = [_("🗂️ {unit}, tháng {month}:").format(unit=unit, month=month_label(turn, month))]
    text += [programme_line(turn, line) for line in lines if line.id in ids]
    turn.say("\n".join(text), main_menu(turn))
