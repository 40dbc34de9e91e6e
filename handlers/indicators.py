"""/chiso: the commune admin's monthly indicator figures; /chitieu: the year's targets.

Figures are typed as «name numerator/denominator», several per message («vneid 1234/5000, học sinh
950/1000»), or one at a time after pressing the indicator's button. A denominator of 0, a numerator above
the denominator or a target over 100 % is refused with the reason; a message with several figures is saved
whole or not at all.

A province's own indicators (`storage/province_indicators.py`, added with `bdhvs indicator add`) are shown and
entered here too, as whole counts («chợ không dùng tiền mặt 3»), for the communes of that province only; a
province without any sees /chiso exactly as before. So are the monthly figures of the province's programmes
that the commune enters itself («chợ không tiền mặt 3», «định danh số 4.100/5.000»: `handlers/programme_figures.py`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.messages import Button
from handlers import programme_figures, province_targets
from handlers.base import Turn
from handlers.common import main_menu, not_allowed, please_choose
from handlers.errors import explain
from handlers.reporting import month_from_text, month_label, percent_text
from storage import indicators, province_indicators
from storage.areas import get_commune, get_province
from storage.errors import DomainError
from storage.indicators import INDICATORS, SCOPE_COMMUNE, SCOPE_PROVINCE, short_label
from storage.models import ProvinceIndicator
from storage.programmes import monthly
from storage.programmes.catalog import Programme
from storage.reports import is_locked, month_start, previous_month, working_month
from storage.text import fold
from storage.vocab import COMMUNE_ROLES, ROLE_COMMUNE_ADMIN, ROLE_PROVINCE_VIEWER

FLOW = "i"
FIGURES, VALUE, TARGETS = "i.figures", "i.value", "i.targets"
_PAIR = re.compile(
    r"^\s*(\d{1,3}(?:[.,\s]\d{3})+|\d+)\s*(?:/|trên|tren)\s*(\d{1,3}(?:[.,\s]\d{3})+|\d+)\s*$", re.IGNORECASE
)
_YEAR = re.compile(r"\b(20\d\d)\b")
# a month named in a line of figures: «tháng 10», «thang 9/2026», «tháng 9 năm 2026», «T10»
_MONTH_IN_LINE = re.compile(
    r"(?<!\w)(?:tháng|thang|th)\s*(\d{1,3})(?:\s*(?:/|-|năm|nam)\s*(\d{4}))?(?!\w)|(?<!\w)T(\d{1,3})(?!\w)",
    re.IGNORECASE,
)
_RELATIVE_MONTH = re.compile(r"(?<!\w)(?:tháng|thang)\s+(này|nay|trước|truoc)(?!\w)", re.IGNORECASE)
# the number typed for an own indicator, and a unit word after it («12 chợ» -> «12»)
_OWN_NUMBER = re.compile(r"^\s*([-−]?[\d.,\s]*?\d)\s*[^\d]*$")


def _is_admin(turn: Turn) -> bool:
    return turn.member is not None and turn.member.role == ROLE_COMMUNE_ADMIN and turn.member.commune_code is not None


# Figures ----------------------------------------------------------------------------------------


def figures_command(turn: Turn, argument: str = "") -> None:
    """/chiso [tháng M] [figures]: show the month's figures to fill in, or save the figures typed with it."""
    if not _is_admin(turn):
        return not_allowed(turn)
    commune_code = turn.require_commune()
    named = _month_of_line(argument, turn.today)
    if named.refused is not None:
        turn.say(
            _month_question(turn, named.refused) + "\n" + turn._("Chưa lưu số liệu nào của tin nhắn này."),
            main_menu(turn),
        )
        return
    argument = named.rest
    month = named.month or (month_from_text(argument, turn.today) if argument else None)
    month = month or working_month(turn.session, commune_code, turn.today)
    own, rest = province_indicators.parse_values(argument, _own(turn))
    programmes, rest = monthly.parse_values(rest, programme_figures.of_commune(turn))
    found, _unknown = indicators.parse_figures(rest)
    turn.start_flow(FIGURES, month=month.isoformat())
    if found or own or programmes:
        return _save_figures(turn, argument)
    show_figures(turn)


@dataclass(frozen=True)
class NamedMonth:
    """The month a /chiso line names («tháng 10», «tháng 9/2026», «tháng trước»), the line without it, and the
    words of a month that cannot be meant (None when none is named or it is a real one)."""

    month: dt.date | None
    rest: str
    refused: str | None = None


def _month_of_line(text: str, today: dt.date) -> NamedMonth:
    """The month named anywhere in a line of figures. A month without a year is the latest one not after this
    month (as everywhere); one outside 1–12, or a month still to come, is refused so that it is asked, never
    replaced by the working month."""
    relative = _RELATIVE_MONTH.search(text)
    if relative is not None:
        rest = (text[: relative.start()] + " " + text[relative.end() :]).strip()
        word = fold(relative.group(1))
        return NamedMonth(month_start(today) if word == "nay" else previous_month(today), rest)
    match = _MONTH_IN_LINE.search(text)
    if match is None:
        return NamedMonth(None, text)
    rest = (text[: match.start()] + " " + text[match.end() :]).strip(" ,;")
    number = int(match.group(1) or match.group(3))
    year = int(match.group(2)) if match.group(2) else None
    if not 1 <= number <= 12 or (year is not None and not 2000 <= year <= 2100):
        return NamedMonth(None, rest, match.group(0).strip())
    if year is None:
        year = today.year if dt.date(today.year, number, 1) <= today else today.year - 1
    month = dt.date(year, number, 1)
    if month > month_start(today):
        return NamedMonth(None, rest, match.group(0).strip())
    return NamedMonth(month, rest)


def _month_question(turn: Turn, words: str) -> str:
    """The polite question when a line names a month that cannot be meant."""
    return turn._(
        "«{words}» không phải một tháng đã qua hoặc đang diễn ra (tháng là số từ 1 đến 12). Bạn muốn nhập số "
        "liệu cho tháng nào? Bạn gõ lại, ví dụ: /chiso tháng 10 vneid 1234/5000"
    ).format(words=words)


def is_figures_line(turn: Turn) -> bool:
    """Whether an idle message is a line of indicator figures («vneid 1234/5000»)."""
    return turn.member is not None and indicators.looks_like_figures(turn.text)


def quick_entry(turn: Turn) -> None:
    """Figures typed without a command: saved for a commune admin, refused (with the reason) for others."""
    if not _is_admin(turn):
        turn.say(explain(DomainError("indicator_not_allowed"), turn.tr), main_menu(turn))
        return
    figures_command(turn, turn.text)


def show_figures(turn: Turn, edit: bool = False, header: str = "") -> None:
    """The month's six figures, with a button for each and a hint of the one-line form."""
    _ = turn._
    tr = turn.tr
    commune_code = turn.require_commune()
    month = dt.date.fromisoformat(turn.data["month"])
    rows = indicators.figures(turn.session, commune_code, month)
    commune = get_commune(turn.session, commune_code)
    lines = ([header, ""] if header else []) + [
        _("📥 Số liệu chỉ số tháng {month} — {commune}").format(month=month_label(turn, month), commune=commune.name)
    ]
    for indicator in INDICATORS:
        row = rows.get(indicator)
        if row is None:
            lines.append(_("• {name}: chưa nhập").format(name=_(INDICATORS[indicator][0])))
        else:
            lines.append(
                _("• {name}: {n}/{d} = {percent}").format(
                    name=_(INDICATORS[indicator][0]),
                    n=tr.number(row.numerator),
                    d=tr.number(row.denominator),
                    percent=percent_text(turn, indicators.percent_of(row.numerator, row.denominator)),
                )
            )
    own = _own(turn)
    lines += _own_lines(turn, own, commune_code, month)
    programmes = programme_figures.of_commune(turn)
    lines += programme_figures.lines(turn, programmes, commune_code, month)
    locked = is_locked(turn.session, commune_code, month)
    buttons: list[list[Button]] = []
    if locked:
        lines += [
            "",
            _("🔒 Tháng {month} đã nộp báo cáo nên không sửa được số liệu.").format(month=month_label(turn, month)),
        ]
    else:
        lines += [
            "",
            _(
                "Bạn gõ theo mẫu «tên chỉ số số đạt/tổng số», nhiều chỉ số cách nhau bằng dấu phẩy "
                "hoặc xuống dòng, ví dụ:\nvneid 1234/5000\nhọc sinh 950/1000, cán bộ 120/120\n"
                "Hoặc bấm tên chỉ số để nhập từng cái."
            ),
        ]
        if own:
            lines.append(
                _("Chỉ số riêng của tỉnh: bạn gõ «tên chỉ số số lượng», ví dụ: {name} 12").format(
                    name=province_indicators.name_of(own[0], turn.tr.locale).lower()
                )
            )
        lines += programme_figures.hint(turn, programmes)
        names = [turn.button(_(short_label(i)), FLOW, "pick", i) for i in INDICATORS]
        names += [turn.button(province_indicators.name_of(o, turn.tr.locale), FLOW, "own", o.indicator) for o in own]
        names += programme_figures.buttons(turn, programmes)
        buttons = [names[i : i + 2] for i in range(0, len(names), 2)]
    other = previous_month(month) if month == month_start(turn.today) else month_start(turn.today)
    buttons.append(
        [
            turn.button(_("📅 Tháng {month}").format(month=month_label(turn, other)), FLOW, "month", other.isoformat()),
            turn.button(_("✅ Xong"), FLOW, "done"),
        ]
    )
    turn.say("\n".join(lines), buttons, edit=edit)


def _own(turn: Turn) -> list[ProvinceIndicator]:
    """The own indicators of the commune's province (none for most provinces: then /chiso reads as before)."""
    return province_indicators.indicators_for_commune(turn.session, turn.require_commune())


def _own_value_text(turn: Turn, indicator: ProvinceIndicator, value: int) -> str:
    return _own_unit(turn, indicator, turn.tr.number(value))


def _own_unit(turn: Turn, indicator: ProvinceIndicator, number: str) -> str:
    return turn._("{n} {unit}").format(n=number, unit=turn._(province_indicators.unit_label(indicator.unit)))


def _own_lines(turn: Turn, own: list[ProvinceIndicator], commune_code: int, month: dt.date) -> list[str]:
    """The month's figures of the province's own indicators (no line at all when it has none)."""
    _ = turn._
    if not own:
        return []
    values = province_indicators.values(turn.session, commune_code, month)
    lines = ["", _("Chỉ số riêng của tỉnh:")]
    for indicator in own:
        name = province_indicators.name_of(indicator, turn.tr.locale)
        row = values.get(indicator.indicator)
        if row is None:
            lines.append(_("• {name}: chưa nhập").format(name=name))
        else:
            lines.append(_("• {name}: {value}").format(name=name, value=_own_value_text(turn, indicator, row.value)))
    return lines


def _save_figures(turn: Turn, text: str) -> None:
    """Save every figure of a message (national and the province's own), or none if one is refused."""
    _ = turn._
    member = turn.require_member()
    commune_code = turn.require_commune()
    own, rest = province_indicators.parse_values(text, _own(turn))
    programmes, rest = monthly.parse_values(rest, programme_figures.of_commune(turn))
    found, unknown = indicators.parse_figures(rest)
    if (own or programmes) and not rest.strip():
        unknown = []
    if unknown and not found and not own and not programmes:
        turn.say(
            _("Tôi chưa nhận ra chỉ số «{name}». Bạn dùng một trong các tên: {names}.").format(
                name=unknown[0], names=_names_hint(turn)
            )
        )
        return
    if not found and not own and not programmes:
        turn.say(_("Bạn gõ theo mẫu «tên chỉ số số đạt/tổng số», ví dụ: vneid 1234/5000."))
        return
    month = dt.date.fromisoformat(turn.data["month"])
    saved_own: list[tuple[ProvinceIndicator, int]] = []
    try:
        with turn.session.begin_nested():
            saved_programmes = programme_figures.save(turn, programmes, commune_code, month)
            for own_indicator, typed in own:
                value = province_indicators.read_count(typed)
                province_indicators.set_value(
                    turn.session,
                    actor=member,
                    commune_code=commune_code,
                    month=month,
                    indicator_id=own_indicator.indicator,
                    value=value,
                    now=turn.now,
                )
                saved_own.append((own_indicator, value))
            for indicator, numerator, denominator in found:
                indicators.set_figure(
                    turn.session,
                    actor=member,
                    commune_code=commune_code,
                    month=month,
                    indicator=indicator,
                    numerator=numerator,
                    denominator=denominator,
                    now=turn.now,
                )
    except DomainError as error:
        turn.say(explain(error, turn.tr) + "\n" + _("Chưa lưu số liệu nào của tin nhắn này."))
        return
    saved = [
        _("✅ Đã lưu {name}: {percent}").format(
            name=_(short_label(i)), percent=percent_text(turn, indicators.percent_of(n, d))
        )
        for i, n, d in found
    ]
    saved += [
        _("✅ Đã lưu {name}: {value}").format(
            name=province_indicators.name_of(o, turn.tr.locale), value=_own_value_text(turn, o, v)
        )
        for o, v in saved_own
    ]
    saved += saved_programmes
    if unknown:
        saved.append(_("(Không nhận ra: {names}.)").format(names=", ".join(f"«{u}»" for u in unknown)))
    turn.goto(FIGURES)
    show_figures(turn, header="\n".join(saved))


def _names_hint(turn: Turn) -> str:
    return "vneid, mức 2, cán bộ, học sinh, người dân, lao động"


def _find_own(turn: Turn, indicator_id: str) -> ProvinceIndicator | None:
    """An own indicator of the commune's province by id (a forged id of another province finds none)."""
    if not indicator_id or not _is_admin(turn):
        return None
    return next((o for o in _own(turn) if o.indicator == indicator_id), None)


def _find_programme(turn: Turn, programme_id: str) -> Programme | None:
    """A programme the admin's commune enters monthly, by id (none for anyone else, or a forged id)."""
    return programme_figures.find(turn, programme_id) if _is_admin(turn) else None


def on_button(turn: Turn, action: str, arg: str) -> None:
    """The buttons of /chiso and /chitieu."""
    _ = turn._
    if action == "pick" and arg in INDICATORS and turn.step in (FIGURES, VALUE):
        turn.goto(VALUE, indicator=arg, own=None, programme=None)
        turn.say(_("«{name}»: bạn gõ số đạt/tổng số, ví dụ 1234/5000.").format(name=_(INDICATORS[arg][0])))
    elif action == "own" and turn.step in (FIGURES, VALUE) and (own := _find_own(turn, arg)) is not None:
        turn.goto(VALUE, indicator=None, own=own.indicator, programme=None)
        turn.say(
            _("«{name}»: bạn gõ một số nguyên ({unit}), ví dụ 12.").format(
                name=province_indicators.name_of(own, turn.tr.locale),
                unit=_(province_indicators.unit_label(own.unit)),
            )
        )
    elif action == "prog" and turn.step in (FIGURES, VALUE) and (programme := _find_programme(turn, arg)) is not None:
        turn.goto(VALUE, indicator=None, own=None, programme=programme.id)
        programme_figures.ask(turn, programme)
    elif action == "month" and turn.step in (FIGURES, VALUE):
        try:
            month = month_start(dt.date.fromisoformat(arg))
        except ValueError:
            return show_figures(turn)
        turn.goto(FIGURES, month=month.isoformat())
        show_figures(turn, edit=True)
    elif action == "done":
        turn.end_flow()
        turn.say(_("Đã xong. Gõ /tiendo để xem tiến độ, /baocao để xem báo cáo tháng."), main_menu(turn))
    else:
        please_choose(turn)


def on_text(turn: Turn) -> None:
    """Typed figures (several per message) or the one asked for, or targets."""
    _ = turn._
    text = turn.text
    if turn.step == TARGETS:
        return _save_targets(turn, text)
    if turn.step == VALUE and (own := _find_own(turn, str(turn.data.get("own") or ""))) is not None:
        number = _OWN_NUMBER.match(text)
        try:
            value = province_indicators.read_count(number.group(1) if number else text)
        except DomainError as error:
            turn.say(explain(error, turn.tr))
            return
        return _save_figures(turn, f"{own.indicator} {value}")
    if turn.step == VALUE and (programme := _find_programme(turn, str(turn.data.get("programme") or ""))) is not None:
        return _save_figures(turn, programme_figures.typed_line(programme, text))
    if turn.step == VALUE and turn.data.get("indicator") in INDICATORS:
        match = _PAIR.match(text)
        if match is None:
            turn.say(_("Bạn gõ hai số cách nhau bằng dấu «/», ví dụ 1234/5000 (số đạt/tổng số)."))
            return
        indicator = turn.data["indicator"]
        return _save_figures(turn, f"{indicator} {match.group(1)}/{match.group(2)}")
    named = _month_of_line(text, turn.today)
    if named.refused is not None:
        turn.say(_month_question(turn, named.refused) + "\n" + _("Chưa lưu số liệu nào của tin nhắn này."))
        return
    if named.month is not None:  # «chợ không tiền mặt 4 tháng 9»: that month's, not the one on screen
        turn.data["month"] = named.month.isoformat()
    return _save_figures(turn, named.rest)


# Targets ----------------------------------------------------------------------------------------


def targets_command(turn: Turn, argument: str = "") -> None:
    """/chitieu [năm] [targets]: the year's targets; their admins set them by typing «vneid 80%»."""
    member = turn.member
    if member is None or member.role not in (*COMMUNE_ROLES, ROLE_PROVINCE_VIEWER):
        return not_allowed(turn)
    year_match = _YEAR.search(argument)
    year = int(year_match.group(1)) if year_match else turn.today.year
    rest = _YEAR.sub(" ", argument).strip()
    turn.start_flow(TARGETS, year=year)
    if rest and _can_set_targets(turn):
        return _save_targets(turn, rest)
    show_targets(turn)


def _can_set_targets(turn: Turn) -> bool:
    member = turn.member
    return member is not None and member.role in (ROLE_COMMUNE_ADMIN, ROLE_PROVINCE_VIEWER)


def show_targets(turn: Turn, header: str = "") -> None:
    """The targets that apply, and where each comes from."""
    _ = turn._
    member = turn.require_member()
    year = int(turn.data["year"])
    if member.role == ROLE_PROVINCE_VIEWER:
        area = get_province(turn.session, member.province_code).name
        targets = indicators.province_targets(turn.session, member.province_code, year)
    else:
        commune_code = turn.require_commune()
        area = get_commune(turn.session, commune_code).name
        targets = indicators.commune_targets(turn.session, commune_code, year)
    lines = ([header, ""] if header else []) + [_("🎯 Chỉ tiêu năm {year} — {area}").format(year=year, area=area)]
    for indicator in INDICATORS:
        target = targets.get(indicator)
        if target is None:
            lines.append(_("• {name}: chưa đặt").format(name=_(INDICATORS[indicator][0])))
        else:
            source = _("của xã") if target.scope == SCOPE_COMMUNE else _("của tỉnh")
            lines.append(
                _("• {name}: {percent} ({source})").format(
                    name=_(INDICATORS[indicator][0]), percent=percent_text(turn, target.percent), source=source
                )
            )
    lines += province_targets.lines(turn, year)
    if _can_set_targets(turn):
        if member.role == ROLE_COMMUNE_ADMIN:
            lines += ["", _("Chỉ tiêu của tỉnh áp dụng cho xã, trừ khi xã đặt chỉ tiêu riêng.")]
        lines += ["", _("Để đặt chỉ tiêu, bạn gõ «tên chỉ số phần trăm», ví dụ: vneid 80%, học sinh 100%.")]
        lines += province_targets.hint(turn)
        turn.say("\n".join(lines), [[turn.button(_("✅ Xong"), FLOW, "done")]])
    else:
        turn.end_flow()
        turn.say("\n".join(lines), main_menu(turn))


def _save_targets(turn: Turn, text: str) -> None:
    _ = turn._
    member = turn.require_member()
    if not _can_set_targets(turn):
        turn.end_flow()
        turn.say(explain(DomainError("target_not_allowed"), turn.tr), main_menu(turn))
        return
    mine, rest = province_targets.parse(turn, text)
    found, unknown = indicators.parse_targets(rest) if rest.strip() else ([], [])
    if not found and not any(mine):
        turn.say(
            _("Bạn gõ theo mẫu «tên chỉ số phần trăm», ví dụ: vneid 80%. Các tên: {names}.").format(
                names=_names_hint(turn)
            )
        )
        return
    year = int(turn.data["year"])
    scope, area = (
        (SCOPE_PROVINCE, member.province_code)
        if member.role == ROLE_PROVINCE_VIEWER
        else (SCOPE_COMMUNE, turn.require_commune())
    )
    try:
        with turn.session.begin_nested():
            province_saved = province_targets.save(turn, mine, year)
            for indicator, percent in found:
                indicators.set_target(
                    turn.session,
                    actor=member,
                    year=year,
                    indicator=indicator,
                    percent=percent,
                    scope=scope,
                    area_code=area,
                    now=turn.now,
                )
    except DomainError as error:
        turn.say(explain(error, turn.tr) + "\n" + _("Chưa lưu chỉ tiêu nào của tin nhắn này."))
        return
    saved = [
        _("✅ Đã đặt {name}: {percent}").format(name=_(short_label(i)), percent=percent_text(turn, p)) for i, p in found
    ]
    saved += province_saved
    if unknown:
        saved.append(_("(Không nhận ra: {names}.)").format(names=", ".join(f"«{u}»" for u in unknown)))
    show_targets(turn, header="\n".join(saved))
