"""/chuongtrinh: the programmes of the catalog a province runs (Đại sứ số, Gia đình số, Chợ số 4T...).

A province viewer (Sở KH&CN) turns them on and off for their province and types a target for one that is on
(a percent or a whole number, by the programme's rule). Commune and village people see, read-only, which
programmes their province runs. Buttons are taken only at the step that offered them (`OFFERED`); an older or
forged one is answered «Nút này đã cũ» and the list shown again. The rules are in
`storage/programmes/provinces.py`.
"""

from __future__ import annotations

import re

from handlers.base import Turn
from handlers.common import has_buttons, main_menu, not_allowed, please_choose
from handlers.errors import explain
from handlers.log_steps import Offered, offered, old_button
from handlers.reporting import percent_text
from storage.areas import get_province
from storage.errors import DomainError
from storage.programmes import monthly, provinces
from storage.programmes.catalog import RULE_PER_MENTOR, RULE_PERCENT, UNITS, Programme, shipped
from storage.vocab import ROLE_COMMUNE_ADMIN, ROLE_MEMBER, ROLE_PROVINCE_VIEWER, ROLE_TEAM_LEAD

FLOW = "pr"  # payloads: pr:<nonce>:<action>[:programme id]
LIST, TARGET = "pr.list", "pr.target"
OFFERED: Offered = {
    "on": (LIST,),
    "off": (LIST,),
    "target": (LIST,),
    "back": (TARGET,),
    "done": (LIST, TARGET),
}
_YEAR = re.compile(r"\b(20\d\d)\b")


def _is_viewer(turn: Turn) -> bool:
    return turn.member is not None and turn.member.role == ROLE_PROVINCE_VIEWER


def show(turn: Turn, argument: str = "") -> None:
    """/chuongtrinh [năm]: a province viewer's programmes with on/off buttons; read-only for their communes."""
    member = turn.member
    if member is None:
        return not_allowed(turn)
    year_match = _YEAR.search(argument)
    year = int(year_match.group(1)) if year_match else turn.today.year
    if not _is_viewer(turn):
        return _read_only(turn, year)
    turn.start_flow(LIST, year=year)
    _show_list(turn)


def rule_text(turn: Turn, programme: Programme) -> str:
    """The programme's yearly rule in a few words: what its target counts."""
    _ = turn._
    if programme.target.rule == RULE_PER_MENTOR:
        return _("mỗi đại sứ hướng dẫn ít nhất {n} người").format(n=turn.tr.number(programme.target.mentees or 0))
    if programme.target.rule == RULE_PERCENT and programme.denominator is not None:
        denominator = programme.denominator.en if turn.tr.locale == "en" else programme.denominator.vi
        return _("tỷ lệ trên: {denominator}").format(denominator=denominator.lower())
    return _("đếm số {unit}").format(unit=_(UNITS[programme.unit]))


def target_text(turn: Turn, programme: Programme, value: float | None) -> str:
    """A target as read: a percent, or a number of things (mentors reaching their mentees, for per_mentor)."""
    _ = turn._
    if value is None:
        return _("chưa đặt")
    if programme.target.rule == RULE_PERCENT:
        return percent_text(turn, value)
    if programme.target.rule == RULE_PER_MENTOR:
        return _("{n} đại sứ số đạt chuẩn").format(n=turn.tr.number(int(value)))
    return _("{n} {unit}").format(n=turn.tr.number(int(value)), unit=_(UNITS[programme.unit]))


def _show_list(turn: Turn, header: str = "") -> None:
    """Every programme of the catalog, on or off, with its target of the year and its buttons."""
    _ = turn._
    member = turn.require_member()
    year = int(turn.data["year"])
    province = get_province(turn.session, member.province_code)
    standings = provinces.province_programmes(turn.session, member.province_code, year)
    lines = ([header, ""] if header else []) + [
        _("🧭 Chương trình của {province} — năm {year}").format(province=province.name, year=year)
    ]
    buttons = []
    for standing in standings:
        programme = standing.programme
        name = programme.name(turn.tr.locale)
        if standing.enabled:
            lines.append(
                _("✅ {name} ({rule}) — mục tiêu: {target}").format(
                    name=name, rule=rule_text(turn, programme), target=target_text(turn, programme, standing.target)
                )
            )
            buttons.append(
                [
                    turn.button(_("⏸️ Tắt {name}").format(name=name), FLOW, "off", programme.id),
                    turn.button(_("🎯 Mục tiêu"), FLOW, "target", programme.id),
                ]
            )
        else:
            lines.append(_("⬜ {name} ({rule})").format(name=name, rule=rule_text(turn, programme)))
            buttons.append([turn.button(_("▶️ Bật {name}").format(name=name), FLOW, "on", programme.id)])
    lines += ["", _("Bấm để bật hoặc tắt một chương trình cho cả tỉnh; bấm «Mục tiêu» để đặt mục tiêu năm.")]
    buttons.append([turn.button(_("✅ Xong"), FLOW, "done")])
    turn.goto(LIST)
    turn.say("\n".join(lines), buttons)


def _read_only(turn: Turn, year: int) -> None:
    """Which programmes the person's province runs, and their targets: read, never changed, here."""
    _ = turn._
    member = turn.require_member()
    province = get_province(turn.session, member.province_code)
    running = [s for s in provinces.province_programmes(turn.session, member.province_code, year) if s.enabled]
    if not running:
        text = _("{province} chưa bật chương trình riêng nào.").format(province=province.name)
    else:
        lines = [
            _("🧭 Chương trình {province} đang triển khai — năm {year}:").format(province=province.name, year=year)
        ]
        for standing in running:
            programme = standing.programme
            lines.append(
                _("• {name} ({rule}) — mục tiêu: {target}").format(
                    name=programme.name(turn.tr.locale),
                    rule=rule_text(turn, programme),
                    target=target_text(turn, programme, standing.target),
                )
            )
        lines += ["", _("Cán bộ Sở KH&CN của tỉnh bật chương trình và đặt mục tiêu.")]
        text = "\n".join(lines)
    turn.end_flow()
    turn.say(text, main_menu(turn))


def running_line(turn: Turn) -> str | None:
    """One line for /help naming the programmes the person's province runs; None when it runs none."""
    member = turn.member
    if member is None:
        return None
    running = provinces.enabled_programmes(turn.session, member.province_code)
    if not running:
        return None
    names = ", ".join(p.name(turn.tr.locale) for p in running)
    lines = [turn._("/chuongtrinh — chương trình tỉnh đang triển khai: {names}").format(names=names)]
    for programme in running:
        example = programme_example(programme, member.role)
        if example is not None:
            lines.append(
                turn._("   • {name}, ví dụ: «{example}»").format(name=programme.name(turn.tr.locale), example=example)
            )
    return "\n".join(lines)


def programme_example(programme: Programme, role: str) -> str | None:
    """A line this person could type for a programme, made from its catalog words (so it is read back as that
    programme): a team's one-line report where villages log it, the commune admin's /chiso where the commune
    enters it, a question for the others; None for one entered as a national indicator by someone else.
    Examples stay in Vietnamese whatever the language: the words are the catalog's, which the reader knows."""
    word = programme.words[0]
    if programme.logged_by_villages and role in (ROLE_MEMBER, ROLE_TEAM_LEAD, ROLE_COMMUNE_ADMIN):
        if programme.target.rule == RULE_PER_MENTOR:
            return f"{word} Lan đã hướng dẫn xong 5 người"
        return f"hôm nay thêm 6 {word}"
    if programme.entered_by_commune and role == ROLE_COMMUNE_ADMIN:
        if programme.indicator is not None:
            return None  # entered as the national indicator in /chiso, which /help names already
        return f"/chiso {word} 4.100/5.000" if monthly.needs_denominator(programme) else f"/chiso {word} 3"
    if programme.indicator is not None:
        return None
    return f"xã mình bao nhiêu {word}?"


def _ask_target(turn: Turn, programme: Programme) -> None:
    _ = turn._
    year = int(turn.data["year"])
    name = programme.name(turn.tr.locale)
    if programme.target.rule == RULE_PERCENT:
        question = _("Mục tiêu năm {year} của «{name}»: bạn gõ tỷ lệ phần trăm (lớn hơn 0, tối đa 100), ví dụ 100%.")
    elif programme.target.rule == RULE_PER_MENTOR:
        question = _(
            "Mục tiêu năm {year} của «{name}»: bạn gõ số đại sứ số cần có (mỗi người hướng dẫn ít nhất "
            "{n} người), ví dụ 40."
        )
    else:
        question = _("Mục tiêu năm {year} của «{name}»: bạn gõ một số nguyên ({unit}), ví dụ 120.")
    text = question.format(
        year=year, name=name, n=turn.tr.number(programme.target.mentees or 0), unit=_(UNITS[programme.unit])
    )
    if not has_buttons(turn):
        # Zalo: no numbered choices here, so that a typed «2» is a target of 2, not the second choice
        turn.say(text + "\n" + _("(Gõ /huy để thôi.)"))
        return
    turn.say(text, [[turn.button(_("◀️ Quay lại"), FLOW, "back"), turn.button(_("✅ Xong"), FLOW, "done")]])


def _ask_again(turn: Turn) -> None:
    """The current step's question again: the target asked, else the list."""
    programme = shipped().get(str(turn.data.get("programme", "")))
    if turn.step == TARGET and programme is not None:
        return _ask_target(turn, programme)
    _show_list(turn)


def on_button(turn: Turn, action: str, arg: str) -> None:
    """The buttons of /chuongtrinh, each only at the step that offered it and for a programme of the catalog."""
    _ = turn._
    member = turn.member
    if member is None or not _is_viewer(turn):
        return not_allowed(turn)
    if not offered(turn, action, OFFERED):
        return old_button(turn, _ask_again)
    if action == "done":
        turn.end_flow()
        turn.say(_("Đã xong."), main_menu(turn))
        return
    if action == "back":
        return _show_list(turn)
    programme = shipped().get(arg)
    if programme is None:  # a forged or outdated id: nothing is changed
        return old_button(turn, _ask_again)
    name = programme.name(turn.tr.locale)
    try:
        if action in ("on", "off"):
            change = provinces.enable if action == "on" else provinces.disable
            change(
                turn.session, actor=member, province_code=member.province_code, programme_id=programme.id, now=turn.now
            )
            done = (
                _("✅ Đã bật «{name}» cho cả tỉnh.")
                if action == "on"
                else _("⏸️ Đã tắt «{name}». Mục tiêu đã đặt vẫn được giữ.")
            )
            return _show_list(turn, done.format(name=name))
        if not provinces.is_enabled(turn.session, member.province_code, programme.id):
            raise DomainError("programme_not_enabled", programme=programme.id)
    except DomainError as error:
        return _show_list(turn, explain(error, turn.tr))
    turn.goto(TARGET, programme=programme.id)
    _ask_target(turn, programme)


def on_text(turn: Turn) -> None:
    """A target typed for the programme asked about; anything else waits for a button."""
    member = turn.member
    programme = shipped().get(str(turn.data.get("programme", "")))
    if turn.step != TARGET or member is None or programme is None or not _is_viewer(turn):
        return please_choose(turn)
    year = int(turn.data["year"])
    try:
        value = provinces.parse_target(programme, turn.text)
        saved = provinces.set_target(
            turn.session,
            actor=member,
            province_code=member.province_code,
            programme_id=programme.id,
            year=year,
            value=value,
            now=turn.now,
        )
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return
    header = turn._("✅ Đã đặt mục tiêu năm {year} của «{name}»: {target}.").format(
        year=year, name=programme.name(turn.tr.locale), target=target_text(turn, programme, saved.value)
    )
    _show_list(turn, header)
