"""Which area a question (or a command's words) is about: the asker's own area, or a part of it they named.

«xã Thành Sen có bao nhiêu buổi?» from a commune admin of Sơn Kim 1, «Hà Nội đạt bao nhiêu % vneid?» from a
province viewer of Hà Tĩnh, «thôn 1 có bao nhiêu buổi?» from a member of Thôn 2: an area the asker may not see
is never swapped in silently. The answer stays about what they may see, and a notice says so first
(«Bạn chỉ xem được số liệu của Xã Sơn Kim 1.»). A commune admin or leader naming a village of their commune,
or a province viewer naming a commune of their province (or a village of one), gets that area.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.base import Turn
from storage.areas import NamedArea, areas_named, find_village, get_commune, get_province, villages_named
from storage.models import Commune, Member, Village
from storage.text import fold
from storage.vocab import ROLE_PROVINCE_VIEWER, VILLAGE_ROLES


@dataclass(frozen=True)
class AskedArea:
    """The area an answer is about, and what to say first when it is not the one named."""

    commune_code: int | None = None  # a commune (None: the asker's own commune, or a viewer's province)
    village_id: int | None = None  # one village of that commune (None: all that the asker may see)
    notice: str | None = None  # said before the answer
    named: bool = False  # whether the words named an area at all

    def say_notice(self, turn: Turn) -> None:
        """Say the notice, if there is one, before the answer."""
        if self.notice:
            turn.say(self.notice)


def asked_area(turn: Turn, text: str, village: str | None) -> AskedArea:
    """The area some words ask about, within what the asker may see; `village` is the one the parser read."""
    member = turn.member
    if member is None:
        return AskedArea()
    spans = _spans(areas_named(turn.session, text))
    if not spans and not village:
        return AskedArea()
    if member.role in VILLAGE_ROLES:
        return _for_team(turn, member, spans, village)
    if member.role == ROLE_PROVINCE_VIEWER:
        return _for_province(turn, member, spans, village)
    if member.commune_code is None:
        return AskedArea(named=True)
    return _for_commune(turn, member.commune_code, spans, village)


def only_yours(turn: Turn, area: str) -> AskedArea:
    """The answer is about the asker's own area, and says so."""
    return AskedArea(notice=turn._("Bạn chỉ xem được số liệu của {area}.").format(area=area), named=True)


def _spans(named: list[NamedArea]) -> list[list[NamedArea]]:
    """The units named, one list per place in the text (a name several units share gives several)."""
    spans: dict[tuple[str, int], list[NamedArea]] = {}
    for area in named:
        spans.setdefault((area.kind, area.start), []).append(area)
    return list(spans.values())


def _for_team(turn: Turn, member: Member, spans: list[list[NamedArea]], village: str | None) -> AskedArea:
    """A team member sees their own village only: naming it (with its commune) is fine, anything else is not."""
    own = turn.session.get(Village, member.village_id) if member.village_id is not None else None
    if own is None:
        return AskedArea(named=True)
    own_named = village is not None and fold(village) == own.name_key
    within = all(
        any(a.code == (member.commune_code if a.kind == "commune" else member.province_code) for a in span)
        for span in spans
    )
    if own_named and within:
        return AskedArea(named=True)
    return only_yours(turn, own.name)


def _for_commune(turn: Turn, commune_code: int, spans: list[list[NamedArea]], village: str | None) -> AskedArea:
    """A commune admin or leader sees their commune and its villages, not another commune nor the province."""
    commune = get_commune(turn.session, commune_code)
    communes = [span for span in spans if span[0].kind == "commune"]
    if any(not any(a.code == commune.code for a in span) for span in communes) or (spans and not communes):
        return only_yours(turn, commune.name)
    if village is None:
        return AskedArea(named=True)
    found = find_village(turn.session, commune.code, village)
    if found is not None:
        return AskedArea(commune.code, found.id, named=True)
    return _village_missing(turn, village, commune.name)


def _for_province(turn: Turn, member: Member, spans: list[list[NamedArea]], village: str | None) -> AskedArea:
    """A province viewer sees their province, each of its communes, and a village of one of them."""
    province = get_province(turn.session, member.province_code)
    inside: list[NamedArea] = []
    for span in spans:
        mine = [a for a in span if a.province_code == province.code]
        if not mine:
            return only_yours(turn, province.name)
        if span[0].kind == "commune":
            inside.append(mine[0])
    commune = inside[0] if inside else None
    if village is None:
        return AskedArea(commune.code if commune else None, named=True)
    if commune is not None:
        found = find_village(turn.session, commune.code, village)
        if found is None:
            return _village_missing(turn, village, commune.name, commune.code)
        return AskedArea(commune.code, found.id, named=True)
    return _village_in_province(turn, village, province.code, province.name)


def _village_in_province(turn: Turn, village: str, province_code: int, province_name: str) -> AskedArea:
    """A village named without its commune: found only if one commune of the province has it."""
    everywhere = villages_named(turn.session, village)
    mine = [v for v in everywhere if _province_of(turn, v) == province_code]
    if len(mine) == 1:
        return AskedArea(mine[0].commune_code, mine[0].id, named=True)
    if len(mine) > 1:
        return AskedArea(
            notice=turn._(
                "Trong {province} có {n} nơi tên «{village}». Bạn ghi thêm tên xã để xem "
                "riêng nơi đó; dưới đây là số liệu cả tỉnh."
            ).format(province=province_name, n=turn.tr.number(len(mine)), village=village),
            named=True,
        )
    return _village_missing(turn, village, province_name)


def _province_of(turn: Turn, village: Village) -> int | None:
    commune = turn.session.get(Commune, village.commune_code)
    return commune.province_code if commune is not None else None


def _village_missing(turn: Turn, village: str, area: str, commune_code: int | None = None) -> AskedArea:
    """A village not in the area: another's («you see only yours») or nobody's («not in the list»)."""
    if villages_named(turn.session, village):
        return AskedArea(
            commune_code, notice=turn._("Bạn chỉ xem được số liệu của {area}.").format(area=area), named=True
        )
    return AskedArea(
        commune_code,
        notice=turn._("{area} không có «{village}» trong danh sách thôn.").format(area=area, village=village),
        named=True,
    )
