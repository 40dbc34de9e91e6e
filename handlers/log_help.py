"""Guided logging of people helped: day, village, then kinds and counts; read back, then save."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from handlers import freetext, programme_log
from handlers import log_steps as steps
from handlers.base import Turn
from handlers.common import go_button, has_buttons, not_allowed, please_choose
from handlers.errors import explain
from storage import activity
from storage.errors import DomainError
from storage.models import Member
from storage.programmes import provinces
from storage.programmes.catalog import UNITS, Programme
from storage.programmes.records import check_mentor
from storage.vocab import HELP_KINDS

FLOW = "h"
DATE, DATE_TEXT, VILLAGE, KIND, COUNT, CONFIRM, PROGRAMME, PROGRAMME_COUNT, MENTOR = (
    "h.date",
    "h.date_text",
    "h.village",
    "h.kind",
    "h.count",
    "h.confirm",
    "h.programme",
    "h.programme_count",
    "h.mentor",
)

#: each button of this flow is taken only at the step whose question offered it (an older button of the
#: same flow still carries its nonce, and would otherwise read a draft not filled in yet)
OFFERED: steps.Offered = {
    "cancel": {steps.ANY_STEP},
    "date": {DATE, DATE_TEXT},
    "village": {VILLAGE},
    "village_page": {VILLAGE},
    "kind": {KIND},
    "programmes": {KIND, CONFIRM},  # «🏅 Chương trình của tỉnh», offered when the province runs some
    "programme": {PROGRAMME},
    "no_mentor": {MENTOR},
    "more": {CONFIRM},
    "save": {CONFIRM},
    "fix": {CONFIRM},
    "fix_field": {CONFIRM},
    "behalf": {CONFIRM},
    "behalf_pick": {CONFIRM},
}


def start(turn: Turn) -> None:
    """/ghigiup: begin logging people helped."""
    if not steps.can_log(turn):
        return not_allowed(turn)
    if steps.begin(turn, DATE, items=[]):
        ask_date(turn)


def ask_date(turn: Turn) -> None:
    turn.goto(DATE)
    turn.say(turn._("🤝 Ghi người được hỗ trợ. Việc hỗ trợ diễn ra ngày nào?"), steps.date_buttons(turn, FLOW))


def on_button(turn: Turn, action: str, arg: str) -> None:
    """A button of this flow, taken only at the step that offered it."""
    steps.press(turn, _LOGGING, action, arg)


def ask_again(turn: Turn) -> None:
    """Ask the question of the current step once more (after an old button was pressed)."""
    if turn.step == COUNT:
        return ask_count(turn, str(turn.data.get("kind", "")))
    if turn.step == PROGRAMME_COUNT:
        return _ask_programme_count(turn, str(turn.data.get("programme", "")))
    if turn.step == MENTOR:
        return _ask_mentor(turn)
    askers = {
        DATE: ask_date,
        DATE_TEXT: steps.ask_typed_date,
        VILLAGE: ask_village,
        KIND: ask_kind,
        PROGRAMME: ask_programme,
    }
    askers.get(turn.step, _next)(turn)


def ask_count(turn: Turn, kind: str) -> None:
    """Ask how many people were helped with one kind of task (an unknown kind: ask the kind again)."""
    missing = _missing(turn)
    if missing is not None and missing is not ask_kind:  # no day or village yet: ask that first
        return missing(turn)
    if kind not in HELP_KINDS:
        return ask_kind(turn)
    turn.goto(COUNT, kind=kind)
    turn.say(
        turn._("«{kind}»: bao nhiêu người được hỗ trợ? Bạn gõ một con số, ví dụ 5.").format(
            kind=turn._(HELP_KINDS[kind])
        )
    )


def on_text(turn: Turn) -> None:
    """Typed text while in this flow: a date or a count; a whole one-line report replaces it."""
    if freetext.takes_over(turn):
        return
    if turn.step == DATE_TEXT:
        day = steps.date_from_text(turn)
        if day is not None:
            turn.goto(turn.step, date=day.isoformat())
            _next(turn)
    elif turn.step == COUNT and turn.data.get("kind"):
        count = steps.count_from_text(turn, turn.config.limits.max_help_count, steps.retry_helped(turn))
        if count is not None:
            items = [item for item in turn.data.get("items", []) if item[0] != turn.data["kind"]]
            items.append([turn.data["kind"], count])
            data = {k: v for k, v in turn.data.items() if k != "kind"}
            turn.state.data = {**data, "items": items}
            _next(turn)
    elif turn.step == PROGRAMME_COUNT and turn.data.get("programme"):
        count = steps.count_from_text(turn, turn.config.limits.max_help_count, turn._("Bạn gõ lại con số nhé."))
        programme = _loggable(turn).get(str(turn.data["programme"]))
        if count is not None and programme is not None:
            figures = [f for f in turn.data.get("programmes", []) if f[0] != programme.id]
            figures.append([programme.id, count, programme.unit, None])
            data = {k: v for k, v in turn.data.items() if k != "programme"}
            turn.state.data = {**data, "programmes": figures}
            if programme_log.has_mentors(programme):
                return _ask_mentor(turn)
            _next(turn)
        elif count is not None:  # turned off meanwhile
            _next(turn)
    elif turn.step == MENTOR:
        try:
            name = check_mentor(turn.text)
        except DomainError as error:
            turn.say(explain(error, turn.tr))
            return _ask_mentor(turn)
        figures = [list(f) for f in turn.data.get("programmes", [])]
        if figures and name:
            figures[-1][3] = name
        turn.state.data = {**turn.data, "programmes": figures}
        _next(turn)
    else:
        please_choose(turn)


def _missing(turn: Turn) -> Callable[[Turn], None] | None:
    """The question for the first thing the draft still lacks, or None when it is complete."""
    data = turn.data
    if "date" not in data:
        return ask_date
    if "village_id" not in data:
        return ask_village
    if not data.get("items") and not data.get("programmes"):
        return ask_kind
    return None


def _next(turn: Turn) -> None:
    """Ask for the first thing still missing, or read everything back."""
    (_missing(turn) or read_back)(turn)


def ask_village(turn: Turn) -> None:
    turn.goto(VILLAGE)
    turn.say(turn._("Ở thôn nào?"), steps.village_buttons(turn, FLOW, steps.choosable_villages(turn)))


def ask_kind(turn: Turn) -> None:
    _ = turn._
    turn.goto(KIND)
    rows = [[turn.button(_(label), FLOW, "kind", kind)] for kind, label in HELP_KINDS.items()]
    if _loggable(turn):
        rows.append([turn.button(_("🏅 Chương trình của tỉnh"), FLOW, "programmes")])
    rows.append([turn.button(_("❌ Huỷ"), FLOW, "cancel")])
    turn.say(_("Hỗ trợ người dân việc gì?"), rows)


def _loggable(turn: Turn) -> dict[str, Programme]:
    """The programmes of the member's province that village teams log, by id."""
    running = provinces.enabled_programmes(turn.session, turn.require_member().province_code)
    return {p.id: p for p in running if p.logged_by_villages}


def ask_programme(turn: Turn) -> None:
    """Which of the province's programmes the figure is for (only those it runs and villages log)."""
    _ = turn._
    loggable = _loggable(turn)
    if not loggable:
        return _next(turn)
    turn.goto(PROGRAMME)
    rows = [[turn.button(p.name(turn.tr.locale)[:60], FLOW, "programme", p.id)] for p in loggable.values()]
    rows.append([turn.button(_("❌ Huỷ"), FLOW, "cancel")])
    turn.say(_("Số liệu của chương trình nào?"), rows)


def _ask_mentor(turn: Turn) -> None:
    """Who guided them: a mentor's name only (a team member or a registered ambassador), or none."""
    _ = turn._
    turn.goto(MENTOR)
    turn.say(
        _("Ai là người hướng dẫn (đại sứ số)? Bạn gõ tên, chỉ tên thôi; hoặc bấm «Không ghi tên».")
        if has_buttons(turn)
        else _("Ai là người hướng dẫn (đại sứ số)? Bạn gõ tên, chỉ tên thôi; hoặc chọn «Không ghi tên»."),
        [[turn.button(_("Không ghi tên"), FLOW, "no_mentor")]],
    )


def _ask_programme_count(turn: Turn, programme_id: str) -> None:
    """Ask a programme's figure; a programme the province does not run (a forged or old button) is refused."""
    programme = _loggable(turn).get(programme_id)
    if programme is None:
        turn.say(turn._("Tỉnh mình chưa triển khai chương trình này. Bạn chọn trong danh sách nhé."))
        return ask_programme(turn)
    turn.goto(PROGRAMME_COUNT, programme=programme.id)
    turn.say(
        turn._("«{programme}»: bao nhiêu {unit}? Bạn gõ một con số.").format(
            programme=programme.name(turn.tr.locale), unit=turn._(UNITS[programme.unit])
        )
    )


def summary(turn: Turn) -> str:
    _ = turn._
    data = turn.data
    lines = steps.summary_head(turn)
    for kind, count in data.get("items", []):
        lines.append(_("• {kind}: {n} người").format(kind=_(HELP_KINDS[kind]), n=turn.tr.number(count)))
    lines.extend(programme_log.summary_lines(turn, data))
    return "\n".join(lines)


def read_back(turn: Turn) -> None:
    """Show everything before saving; nothing is saved without «Đúng»."""
    _ = turn._
    missing = _missing(turn)
    if missing is not None:
        return missing(turn)
    turn.goto(CONFIRM)
    steps.say_read_back(
        turn,
        FLOW,
        _("Bạn kiểm tra lại số người được hỗ trợ:") + "\n" + summary(turn),
        [
            [turn.button(_("➕ Thêm việc hỗ trợ khác"), FLOW, "more")],
            *([[turn.button(_("🏅 Thêm số liệu chương trình"), FLOW, "programmes")]] if _loggable(turn) else []),
        ],
    )


def ask_fix(turn: Turn) -> None:
    _ = turn._
    turn.goto(CONFIRM)
    rows = [[turn.button(_("Ngày"), FLOW, "fix_field", "date")]]
    if len(steps.choosable_villages(turn)) > 1:
        rows[0].append(turn.button(_("Thôn"), FLOW, "fix_field", "village"))
    for kind, _count in turn.data.get("items", []):
        rows.append([turn.button(_("Số người: {kind}").format(kind=_(HELP_KINDS[kind])), FLOW, "fix_field", kind)])
    for label, slot in programme_log.fix_slots(turn):
        rows.append([turn.button(label[:60], FLOW, "fix_field", slot)])
    turn.say(_("Bạn muốn sửa mục nào?"), rows)


def _fix_field(turn: Turn, field: str) -> None:
    data = dict(turn.data)
    if field == "date":
        data.pop("date", None)
        turn.state.data = data
        return _next(turn)
    if field == "village":
        data.pop("village_id", None)
        turn.state.data = data
        return _next(turn)
    if field in HELP_KINDS:
        return ask_count(turn, field)
    figures = data.get("programmes", [])
    if field.startswith("p") and field[1:].isdigit() and int(field[1:]) < len(figures):
        return _ask_programme_count(turn, str(figures[int(field[1:])][0]))
    _next(turn)


def save(turn: Turn) -> None:
    """Save the confirmed counts and say exactly what was saved."""
    _ = turn._
    data = turn.data
    member = turn.require_member()
    if turn.step != CONFIRM or _missing(turn) is not None:
        return _next(turn)
    village = steps.village_by_id(turn, int(data["village_id"]))
    if village is None:
        turn.say(_("Không tìm thấy thôn này trong xã của bạn."))
        return ask_village(turn)
    owner = turn.session.get(Member, data.get("member_id", member.id)) or member
    day = dt.date.fromisoformat(data["date"])
    try:
        with turn.session.begin_nested():  # all or nothing
            if data.get("items"):
                activity.record_help(
                    turn.session,
                    village=village,
                    day=day,
                    items=[(kind, int(count)) for kind, count in data["items"]],
                    member=owner,
                    author=member,
                    source="guided",
                    now=turn.now,
                    today=turn.today,
                    bounds=steps.bounds(turn),
                )
            programme_log.save_part(
                turn, data, village=village, day=day, owner=owner, source="guided", training_session=None
            )
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return ask_fix(turn)
    text = summary(turn) + steps.behalf_line(turn)
    turn.end_flow()
    turn.toast = _("Đã lưu")
    if steps.saved_in_group(turn):
        return
    turn.say(
        _("✅ Đã lưu số người được hỗ trợ:") + "\n" + text + "\n\n" + _("Cảm ơn bạn!"),
        [[go_button(_("📝 Ghi buổi sinh hoạt"), "ghibuoi"), go_button(_("🤝 Ghi thêm người được hỗ trợ"), "ghigiup")]],
    )


#: button action -> what it does (cancel, day, village and on-behalf are the logging flows' shared buttons)
_BUTTONS: dict[str, Callable[[Turn, str], None]] = {
    "kind": ask_count,
    "programmes": lambda turn, _arg: ask_programme(turn),
    "programme": _ask_programme_count,
    "no_mentor": lambda turn, _arg: _next(turn),
    "more": lambda turn, _arg: ask_kind(turn),
    "save": lambda turn, _arg: save(turn),
    "fix": lambda turn, _arg: ask_fix(turn),
    "fix_field": _fix_field,
}
#: this flow's buttons, and what the shared ones (cancel, day, village, on behalf) ask next in it
_LOGGING = steps.LoggingFlow(
    FLOW,
    DATE_TEXT,
    ask_date=ask_date,
    ask_village=ask_village,
    next_step=_next,
    read_back=read_back,
    offered=OFFERED,
    ask_again=ask_again,
    buttons=_BUTTONS,
)
