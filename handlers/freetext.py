"""Logging by one line of plain Vietnamese: parse, read back in full, save only on «Đúng».

What the parser could not find is asked for (never guessed); «Sửa» changes one field without starting
over; a photo sent with the message (caption) is attached to the session on save. The draft itself (read from
the line, what it lacks, its read-back text) is handlers/line_draft.py; this module asks and saves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from bot.messages import Button
from bot.nlu.parser import NUMBER_PROBLEMS, ParsedReport
from handlers import line_draft, programme_log
from handlers import log_steps as steps
from handlers.base import Turn
from handlers.common import has_buttons, main_menu, please_choose
from handlers.errors import explain
from handlers.evidence import file_ref
from storage import activity, corrections
from storage.errors import DomainError
from storage.models import Member, saved_id
from storage.vocab import HELP_KINDS, TOPICS

FLOW = "t"
CONFIRM, DATE, DATE_TEXT, VILLAGE, TOPICS_STEP, ATTENDEES, COUNT, FIX = (
    "t.confirm",
    "t.date",
    "t.date_text",
    "t.village",
    "t.topics",
    "t.attendees",
    "t.count",
    "t.fix",
)
#: a programme's figure or a priority group's count, asked by its slot (see handlers/programme_log.py)
SLOT_COUNT = "t.slot_count"

#: each button of this flow is taken only at the step whose question offered it (an older button of the
#: same draft still carries its nonce, and would otherwise read a draft not filled in yet)
OFFERED: steps.Offered = {
    "cancel": {steps.ANY_STEP},
    "date": {DATE, DATE_TEXT},
    "village": {VILLAGE},
    "village_page": {VILLAGE},
    "topic": {TOPICS_STEP},
    "topics_done": {TOPICS_STEP},
    "save": {CONFIRM},
    "again": {CONFIRM},  # «Vẫn ghi thêm» under the twin question, asked at the read-back
    "fix": {CONFIRM},
    "behalf": {CONFIRM},
    "behalf_pick": {CONFIRM},
    "fix_field": {FIX},
    "back": {FIX},
}


def read_line(turn: Turn, parsed: ParsedReport) -> None:
    """Start the read-back of a report, or say what was not understood (the router sends questions elsewhere)."""
    _ = turn._
    if parsed.intent == "log" and not steps.can_log(turn):
        turn.say(_("Vai trò của bạn không ghi hoạt động. Bạn gõ /help để xem việc bạn làm được."))
        return
    if parsed.intent == "log" and "several_sessions" in parsed.problems:
        turn.say(
            _(
                "Tin nhắn của bạn ghi nhiều buổi sinh hoạt cùng lúc. Mỗi buổi được ghi riêng, với ngày và số người "
                "dự của buổi đó, nên tôi không gộp thành một buổi và chưa lưu gì.\n"
                "Bạn gửi từng buổi một được không ạ? Ví dụ: «thứ Hai học VNeID 20 người», rồi «thứ Tư học VNeID "
                "18 người»."
            ),
            main_menu(turn),
        )
        return
    if parsed.intent == "log" and parsed.session is None and not parsed.help and parsed.programmes:
        part = programme_log.draft_part(turn, parsed)
        if not programme_log.has_figures(part):  # only programmes the province does not run
            turn.say(programme_log.not_counted_line(turn, part) or "", main_menu(turn))
            return
    if parsed.intent != "log" or (parsed.session is None and not parsed.help and not parsed.programmes):
        notes = [
            steps.number_refusal(turn, u.problem, u.text) for u in parsed.unreadable if u.problem in NUMBER_PROBLEMS
        ]
        turn.say(
            "\n".join([*notes, _("Xin lỗi, tôi chưa hiểu tin nhắn này.")])
            + "\n\n"
            + line_draft.examples(turn)
            + "\n\n"
            + (_("Hoặc bấm nút để ghi từng bước.") if has_buttons(turn) else _("Hoặc chọn số để ghi từng bước.")),
            main_menu(turn),
        )
        return
    _start_draft(turn, parsed)


def _start_draft(turn: Turn, parsed: ParsedReport) -> None:
    """Keep what the line said (never a guess in place of what it could not say), then ask for the rest."""
    turn.start_flow(CONFIRM)
    data: dict[str, Any] = {"nonce": turn.data["nonce"], "items": [[h.kind, h.count] for h in parsed.help]}
    notes = line_draft.refusal_notes(turn, parsed)
    if parsed.session is not None:
        data["has_session"] = True
        data["topics"] = list(parsed.session.topics)
        if parsed.session.attendees is not None:
            data["attendees"] = parsed.session.attendees
    village = line_draft.resolve_village(turn, parsed.village, notes)
    if village is not None:
        data["village_id"] = village.id
    data.update(programme_log.draft_part(turn, parsed))
    if turn.incoming.photo_file_id:
        data["evidence"] = [file_ref(turn)]
    turn.state.data = data
    for note in notes:
        turn.say(note)
    if parsed.date is not None and _date_ok(turn, parsed.date):
        turn.state.data["date"] = parsed.date.isoformat()
    _next(turn)


def takes_over(turn: Turn) -> bool:
    """A whole one-line report typed in the middle of a logging flow: set the unfinished one aside, read the new.

    Whole means it names what was done with a count or a day or village (see
    :func:`handlers.line_draft.is_whole_report`), so a typed answer to the step ("15 người tham gia", "hôm qua",
    "học VNeID") is never mistaken for one.
    """
    if not steps.can_log(turn) or not turn.text:
        return False
    parsed = line_draft.parse(turn)
    if not line_draft.is_whole_report(parsed):
        return False
    turn.end_flow()
    turn.say(turn._("Tôi đã bỏ phần đang ghi dở (chưa lưu gì) và đọc tin nhắn mới của bạn:"))
    read_line(turn, parsed)
    return True


def _date_ok(turn: Turn, day: dt.date) -> bool:
    return steps.accept_date(turn, day)


def _next(turn: Turn) -> None:
    """Ask for what is missing, else read everything back."""
    _ = turn._
    data = turn.data
    if "date" not in data:
        turn.goto(DATE)
        turn.say(_("Việc này diễn ra ngày nào?"), steps.date_buttons(turn, FLOW))
    elif "village_id" not in data:
        turn.goto(VILLAGE)
        turn.say(_("Ở thôn nào?"), steps.village_buttons(turn, FLOW, steps.choosable_villages(turn)))
    elif data.get("has_session") and not data.get("topics"):
        turn.goto(TOPICS_STEP)
        _ask_topics(turn)
    elif data.get("has_session") and "attendees" not in data:
        turn.goto(ATTENDEES)
        turn.say(_("Buổi sinh hoạt có bao nhiêu người tham dự? Bạn gõ một con số."))
    elif any(count is None for _kind, count in data.get("items", [])):
        _ask_count(turn, next(kind for kind, count in data["items"] if count is None))
    elif (slot := programme_log.missing_slot(data)) is not None:
        programme_log.ask_slot(turn, SLOT_COUNT, slot)
    else:
        read_back(turn)


def _ask_count(turn: Turn, kind: str) -> None:
    """Ask how many people were helped with one kind of task."""
    turn.goto(COUNT, kind=kind)
    turn.say(turn._("«{kind}»: bao nhiêu người được hỗ trợ? Bạn gõ một con số.").format(kind=turn._(HELP_KINDS[kind])))


def _ask_topics(turn: Turn, edit: bool = False) -> None:
    chosen = set(turn.data.get("topics", []))
    rows = [
        [turn.button(("✅ " if t in chosen else "▫️ ") + turn._(label), FLOW, "topic", t)] for t, label in TOPICS.items()
    ]
    rows.append([turn.button(turn._("Xong ➡️"), FLOW, "topics_done")])
    turn.say(turn._("Buổi sinh hoạt có những nội dung nào? Bạn bấm chọn, rồi bấm «Xong»."), rows, edit=edit)


def read_back(turn: Turn) -> None:
    _ = turn._
    turn.goto(CONFIRM)
    not_counted = programme_log.not_counted_line(turn, turn.data)
    turn.say(
        _("Tôi hiểu là:")
        + "\n"
        + line_draft.summary(turn)
        + ("\n\n" + not_counted if not_counted else "")
        + "\n\n"
        + _("Đúng chưa?"),
        [
            [
                turn.button(_("✅ Đúng"), FLOW, "save"),
                turn.button(_("✏️ Sửa"), FLOW, "fix"),
                turn.button(_("❌ Huỷ"), FLOW, "cancel"),
            ],
            steps.behalf_button(turn, FLOW),
        ],
    )


def ask_fix(turn: Turn) -> None:
    _ = turn._
    turn.goto(FIX)
    data = turn.data
    rows: list[list[Button]] = [[turn.button(_("Ngày"), FLOW, "fix_field", "date")]]
    if len(steps.choosable_villages(turn)) > 1:
        rows[0].append(turn.button(_("Thôn"), FLOW, "fix_field", "village"))
    if data.get("has_session"):
        rows.append(
            [
                turn.button(_("Nội dung"), FLOW, "fix_field", "topics"),
                turn.button(_("Số người dự"), FLOW, "fix_field", "attendees"),
            ]
        )
    for kind, _count in data.get("items", []):
        rows.append([turn.button(_("Số người: {kind}").format(kind=_(HELP_KINDS[kind]))[:60], FLOW, "fix_field", kind)])
    for label, slot in programme_log.fix_slots(turn):
        rows.append([turn.button(label[:60], FLOW, "fix_field", slot)])
    rows.append([turn.button(_("↩️ Quay lại"), FLOW, "back")])
    turn.say(_("Bạn muốn sửa mục nào?"), rows)


def on_button(turn: Turn, action: str, arg: str) -> None:
    """A button of this flow, taken only at the step that offered it."""
    steps.press(turn, _LOGGING, action, arg)


def ask_again(turn: Turn) -> None:
    """Ask the question of the current step once more (after an old button was pressed)."""
    askers: dict[str, Callable[[Turn], None]] = {
        DATE_TEXT: steps.ask_typed_date,
        TOPICS_STEP: _ask_topics,
        FIX: ask_fix,
        CONFIRM: read_back,
        COUNT: lambda t: _ask_count(t, t.data["kind"]) if t.data.get("kind") else _next(t),
        SLOT_COUNT: lambda t: programme_log.ask_slot(t, SLOT_COUNT, t.data["slot"]) if t.data.get("slot") else _next(t),
    }
    askers.get(turn.step, _next)(turn)


def _save_again(turn: Turn, _arg: str) -> None:
    """«Vẫn ghi thêm»: save although the village has a session of that day with the same topics."""
    turn.goto(CONFIRM, again=True)
    save(turn)


def _toggle_topic(turn: Turn, arg: str) -> None:
    """Tick or untick one topic of the session."""
    if arg not in TOPICS:
        return
    topics = list(turn.data.get("topics", []))
    topics.remove(arg) if arg in topics else topics.append(arg)
    turn.goto(TOPICS_STEP, topics=topics)
    _ask_topics(turn, edit=True)


def _topics_done(turn: Turn, _arg: str) -> None:
    """«Xong» under the topics: at least one is needed."""
    if not turn.data.get("topics"):
        turn.toast = turn._("Bạn chọn ít nhất một nội dung.")
        return _ask_topics(turn, edit=True)
    _next(turn)


#: the part of the draft each «Sửa» choice clears (a kind of help asks its count instead)
_CLEARED = {"date": "date", "village": "village_id", "attendees": "attendees"}


def _fix_field(turn: Turn, arg: str) -> None:
    """Clear the chosen part of the draft and ask it again."""
    data = dict(turn.data)
    if arg == "topics":
        data["topics"] = []
    elif arg in _CLEARED:
        data.pop(_CLEARED[arg], None)
    elif arg in HELP_KINDS:
        turn.state.data = data
        return _ask_count(turn, arg)
    elif programme_log.is_slot(data, arg):
        turn.state.data = data
        return programme_log.ask_slot(turn, SLOT_COUNT, arg)
    turn.state.data = data
    _next(turn)


#: button action -> what it does (cancel, day, village and on-behalf are the logging flows' shared buttons)
_BUTTONS: dict[str, Callable[[Turn, str], None]] = {
    "save": lambda turn, _arg: save(turn),
    "again": _save_again,
    "fix": lambda turn, _arg: ask_fix(turn),
    "back": lambda turn, _arg: _next(turn),
    "topic": _toggle_topic,
    "topics_done": _topics_done,
    "fix_field": _fix_field,
}


def on_text(turn: Turn) -> None:
    """Typed answers to the questions of this flow; a whole new one-line report replaces the draft."""
    limits = turn.config.limits
    if takes_over(turn):
        return
    if turn.step == DATE_TEXT:
        day = steps.date_from_text(turn)
        if day is not None:
            turn.goto(turn.step, date=day.isoformat())
            _next(turn)
    elif turn.step == ATTENDEES:
        taken, grouped = programme_log.attendance_from_text(turn, steps.retry_attendees(turn))
        if grouped is not None:  # "23 người, 15 người cao tuổi"
            turn.goto(turn.step, attendees=grouped[0], groups=grouped[1])
            _next(turn)
        elif not taken:
            count = steps.count_from_text(turn, limits.max_attendees, steps.retry_attendees(turn))
            if count is not None:
                turn.goto(turn.step, attendees=count)
                _next(turn)
    elif turn.step == COUNT and turn.data.get("kind"):
        count = steps.count_from_text(turn, limits.max_help_count, steps.retry_helped(turn))
        if count is not None:
            kind = turn.data["kind"]
            items = [[k, count if k == kind else c] for k, c in turn.data.get("items", [])]
            turn.state.data = {**{k: v for k, v in turn.data.items() if k != "kind"}, "items": items}
            _next(turn)
    elif turn.step == SLOT_COUNT and turn.data.get("slot"):
        if programme_log.take_slot(turn, SLOT_COUNT):
            _next(turn)
    else:
        please_choose(turn)


def save(turn: Turn) -> None:
    """Save the session and the help counts together, or nothing."""
    _ = turn._
    data = turn.data
    member = turn.require_member()
    if line_draft.incomplete(data):
        return _next(turn)
    village = steps.village_by_id(turn, int(data["village_id"]))
    if village is None:
        turn.state.data = {k: v for k, v in data.items() if k != "village_id"}
        return _next(turn)
    owner = turn.session.get(Member, data.get("member_id", member.id)) or member
    day = dt.date.fromisoformat(data["date"])
    common: dict[str, Any] = dict(
        village=village,
        day=day,
        member=owner,
        author=member,
        source="text",
        now=turn.now,
        today=turn.today,
        bounds=steps.bounds(turn),
    )
    if data.get("has_session") and not data.get("again"):
        twin = corrections.find_duplicate_session(turn.session, saved_id(village), day, list(data["topics"]))
        if twin is not None:
            turn.say(
                _(
                    "{village} đã có một buổi ngày {day} cùng nội dung ({n} người dự, số {id}). "
                    "Bạn có muốn ghi thêm một buổi nữa không?"
                ).format(village=village.name, day=turn.tr.date(day), n=turn.tr.number(twin.attendees), id=twin.id),
                [[turn.button(_("Vẫn ghi thêm"), FLOW, "again"), turn.button(_("Không ghi"), FLOW, "cancel")]],
            )
            return
    try:
        with turn.session.begin_nested():  # all or nothing
            saved = []
            row = None
            if data.get("has_session"):
                row = activity.record_session(
                    turn.session, topics=list(data["topics"]), attendees=int(data["attendees"]), **common
                )
                for ref in data.get("evidence", []):
                    corrections.attach_evidence(turn.session, member, saved_id(row), ref, turn.now)
                saved.append(row)
            if data.get("items"):
                activity.record_help(turn.session, items=[(k, int(c)) for k, c in data["items"]], **common)
            programme_log.save_part(
                turn, data, village=village, day=day, owner=owner, source="text", training_session=row
            )
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return ask_fix(turn)
    text = line_draft.summary(turn)
    turn.end_flow()
    turn.toast = _("Đã lưu")
    if not steps.saved_in_group(turn):
        turn.say(_("✅ Đã lưu:") + "\n" + text + "\n\n" + _("Cảm ơn bạn! Gõ /sua nếu cần sửa."), main_menu(turn))


#: this flow's buttons, and what the shared ones (cancel, day, village, on behalf) ask next in it
_LOGGING = steps.LoggingFlow(
    FLOW,
    DATE_TEXT,
    ask_date=_next,
    ask_village=_next,
    next_step=_next,
    read_back=read_back,
    offered=OFFERED,
    ask_again=ask_again,
    buttons=_BUTTONS,
)
