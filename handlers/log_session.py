"""Guided logging of a session: day, village, topics, people attending; read back, then save."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.messages import Button
from handlers import freetext, programme_log
from handlers import log_steps as steps
from handlers.base import Turn
from handlers.common import go_button, not_allowed, please_choose
from handlers.errors import explain
from storage import activity, corrections
from storage.corrections import find_duplicate_session
from storage.errors import DomainError
from storage.models import Member, Village, saved_id
from storage.vocab import TOPICS

FLOW = "s"
DATE, DATE_TEXT, VILLAGE, TOPIC, ATTENDEES, CONFIRM, FIX, TWIN = (
    "s.date",
    "s.date_text",
    "s.village",
    "s.topics",
    "s.attendees",
    "s.confirm",
    "s.fix",
    "s.twin",
)

#: each button of this flow is taken only at the step whose question offered it (an older button of the
#: same flow still carries its nonce, and would otherwise read a draft not filled in yet)
OFFERED: steps.Offered = {
    "cancel": {steps.ANY_STEP},
    "date": {DATE, DATE_TEXT},
    "village": {VILLAGE},
    "village_page": {VILLAGE},
    "topic": {TOPIC},
    "topics_done": {TOPIC},
    "save": {CONFIRM},
    "fix": {CONFIRM},
    "behalf": {CONFIRM},
    "behalf_pick": {CONFIRM},
    "fix_field": {FIX},
    "again": {TWIN},
}


def start(turn: Turn) -> None:
    """/ghibuoi: begin logging a session."""
    if not steps.can_log(turn):
        return not_allowed(turn)
    if steps.begin(turn, DATE, topics=[]):
        ask_date(turn)


def ask_date(turn: Turn) -> None:
    turn.goto(DATE)
    turn.say(turn._("📝 Ghi buổi sinh hoạt. Buổi học diễn ra ngày nào?"), steps.date_buttons(turn, FLOW))


def on_button(turn: Turn, action: str, arg: str) -> None:
    """A button of this flow, taken only at the step that offered it."""
    steps.press(turn, _LOGGING, action, arg)


def _toggle_topic(turn: Turn, arg: str) -> None:
    """Tick or untick one topic of the session."""
    if arg not in TOPICS:
        return
    topics = list(turn.data.get("topics", []))
    topics.remove(arg) if arg in topics else topics.append(arg)
    turn.goto(TOPIC, topics=topics)
    ask_topics(turn, edit=True)


def _topics_done(turn: Turn, _arg: str) -> None:
    """«Xong» under the topics: at least one is needed."""
    if not turn.data.get("topics"):
        turn.toast = turn._("Bạn chọn ít nhất một nội dung.")
        ask_topics(turn, edit=True)
        return
    turn.goto(turn.step, topics_done=True)
    _next(turn)


def _save_again(turn: Turn, _arg: str) -> None:
    """«Vẫn ghi thêm»: save although the village has a session of that day with the same topics."""
    turn.goto(CONFIRM, again=True)
    save(turn)


def ask_again(turn: Turn) -> None:
    """Ask the question of the current step once more (after an old button was pressed)."""
    askers = {
        DATE: ask_date,
        DATE_TEXT: steps.ask_typed_date,
        VILLAGE: ask_village,
        TOPIC: ask_topics,
        ATTENDEES: ask_attendees,
        FIX: ask_fix,
        TWIN: _ask_twin_again,
    }
    askers.get(turn.step, _next)(turn)


def on_text(turn: Turn) -> None:
    """Typed text while in this flow: a date or the number of people; a whole one-line report replaces it."""
    if freetext.takes_over(turn):
        return
    if turn.step == DATE_TEXT:
        day = steps.date_from_text(turn)
        if day is not None:
            _after_date(turn, day)
    elif turn.step == ATTENDEES:
        taken, grouped = programme_log.attendance_from_text(turn, steps.retry_attendees(turn))
        if grouped is not None:  # "23 người, 15 người cao tuổi": the attendees and their priority groups
            turn.goto(ATTENDEES, attendees=grouped[0], groups=grouped[1])
            return _next(turn)
        if taken:
            return
        count = steps.count_from_text(turn, turn.config.limits.max_attendees, steps.retry_attendees(turn))
        if count is not None:
            turn.state.data = {k: v for k, v in turn.data.items() if k != "groups"}
            turn.goto(ATTENDEES, attendees=count)
            _next(turn)
    else:
        please_choose(turn)


def _after_date(turn: Turn, day: dt.date) -> None:
    turn.goto(turn.step, date=day.isoformat())
    _next(turn)


def _missing(turn: Turn) -> Callable[[Turn], None] | None:
    """The question for the first thing the draft still lacks, or None when it is complete."""
    data = turn.data
    if "date" not in data:
        return ask_date
    if "village_id" not in data:
        return ask_village
    if not data.get("topics_done") or not data.get("topics"):
        return ask_topics
    if "attendees" not in data:
        return ask_attendees
    return None


def _next(turn: Turn) -> None:
    """Ask for the first thing still missing, or read everything back."""
    (_missing(turn) or read_back)(turn)


def ask_village(turn: Turn) -> None:
    turn.goto(VILLAGE)
    turn.say(turn._("Buổi học ở thôn nào?"), steps.village_buttons(turn, FLOW, steps.choosable_villages(turn)))


def topic_buttons(turn: Turn) -> list[list[Button]]:
    chosen = set(turn.data.get("topics", []))
    rows = [
        [turn.button(("✅ " if topic in chosen else "▫️ ") + turn._(label), FLOW, "topic", topic)]
        for topic, label in TOPICS.items()
    ]
    rows.append([turn.button(turn._("Xong ➡️"), FLOW, "topics_done"), turn.button(turn._("❌ Huỷ"), FLOW, "cancel")])
    return rows


def ask_topics(turn: Turn, edit: bool = False) -> None:
    turn.goto(TOPIC)
    turn.say(
        turn._("Buổi học có những nội dung nào? Bạn bấm chọn (chọn được nhiều), rồi bấm «Xong»."),
        topic_buttons(turn),
        edit=edit,
    )


def ask_attendees(turn: Turn) -> None:
    turn.goto(ATTENDEES)
    turn.say(turn._("Có bao nhiêu người tham dự? Bạn gõ một con số, ví dụ 15."))


def summary(turn: Turn) -> str:
    _ = turn._
    data = turn.data
    topics = "; ".join(_(TOPICS[t]) for t in data.get("topics", []))
    return "\n".join(
        [
            *steps.summary_head(turn),
            _("📚 Nội dung: {topics}").format(topics=topics),
            _("👥 Số người tham dự: {n}").format(n=turn.tr.number(data["attendees"])),
            *programme_log.summary_lines(turn, data),
        ]
    )


def read_back(turn: Turn) -> None:
    """Show everything before saving; nothing is saved without «Đúng»."""
    _ = turn._
    missing = _missing(turn)
    if missing is not None:
        return missing(turn)
    turn.goto(CONFIRM)
    steps.say_read_back(turn, FLOW, _("Bạn kiểm tra lại buổi sinh hoạt:") + "\n" + summary(turn))


def ask_fix(turn: Turn) -> None:
    _ = turn._
    turn.goto(FIX)
    rows = [
        [turn.button(_("Ngày"), FLOW, "fix_field", "date"), turn.button(_("Nội dung"), FLOW, "fix_field", "topics")],
        [turn.button(_("Số người"), FLOW, "fix_field", "attendees")],
    ]
    if len(steps.choosable_villages(turn)) > 1:
        rows[1].insert(0, turn.button(_("Thôn"), FLOW, "fix_field", "village"))
    turn.say(_("Bạn muốn sửa mục nào?"), rows)


def _fix_field(turn: Turn, field: str) -> None:
    data = dict(turn.data)
    if field == "date":
        data.pop("date", None)
    elif field == "village":
        data.pop("village_id", None)
    elif field == "topics":
        data.pop("topics_done", None)
    elif field == "attendees":
        data.pop("attendees", None)
        data.pop("groups", None)  # asked again with the attendees
    turn.state.data = data
    _next(turn)


def save(turn: Turn) -> None:
    """Save the confirmed session and say exactly what was saved."""
    _ = turn._
    data = turn.data
    member = turn.require_member()
    if turn.step not in (CONFIRM, TWIN) or _missing(turn) is not None:
        return _next(turn)
    village = steps.village_by_id(turn, int(data["village_id"]))
    if village is None:
        turn.say(_("Không tìm thấy thôn này trong xã của bạn."))
        return ask_village(turn)
    owner = turn.session.get(Member, data.get("member_id", member.id)) or member
    if not data.get("again") and _ask_twin(turn, village):
        return
    try:
        with turn.session.begin_nested():  # the session and its priority groups, or nothing
            row = activity.record_session(
                turn.session,
                village=village,
                day=dt.date.fromisoformat(data["date"]),
                topics=list(data["topics"]),
                attendees=int(data["attendees"]),
                member=owner,
                author=member,
                source="guided",
                now=turn.now,
                today=turn.today,
                bounds=steps.bounds(turn),
            )
            programme_log.save_part(
                turn, data, village=village, day=row.session_date, owner=owner, source="guided", training_session=row
            )
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return ask_fix(turn)
    for ref in data.get("evidence", []):
        corrections.attach_evidence(turn.session, member, saved_id(row), ref, turn.now)
    text = summary(turn) + steps.behalf_line(turn)
    turn.end_flow()
    turn.toast = _("Đã lưu")
    if steps.saved_in_group(turn):
        return
    turn.say(
        _("✅ Đã lưu buổi sinh hoạt (số {id}):").format(id=row.id) + "\n" + text + "\n\n" + _("Cảm ơn bạn!"),
        [[go_button(_("🤝 Ghi người được hỗ trợ"), "ghigiup"), go_button(_("📝 Ghi buổi khác"), "ghibuoi")]],
    )


def _ask_twin(turn: Turn, village: Village) -> bool:
    """When the village already has a session that day with the same topics, ask before logging another."""
    _ = turn._
    day = dt.date.fromisoformat(turn.data["date"])
    twin = find_duplicate_session(turn.session, saved_id(village), day, list(turn.data["topics"]))
    if twin is None:
        return False
    turn.goto(TWIN)
    turn.say(
        _(
            "{village} đã có một buổi ngày {day} cùng nội dung ({n} người dự, số {id}). "
            "Bạn có muốn ghi thêm một buổi nữa không?"
        ).format(village=village.name, day=turn.tr.date(day), n=turn.tr.number(twin.attendees), id=twin.id),
        [[turn.button(_("Vẫn ghi thêm"), FLOW, "again"), turn.button(_("Không ghi"), FLOW, "cancel")]],
    )
    return True


def _ask_twin_again(turn: Turn) -> None:
    """Ask the twin question once more; if the twin has gone meanwhile, read the draft back instead."""
    village = steps.village_by_id(turn, int(turn.data["village_id"])) if _missing(turn) is None else None
    if village is None or not _ask_twin(turn, village):
        _next(turn)


#: button action -> what it does (cancel, day, village and on-behalf are the logging flows' shared buttons)
_BUTTONS: dict[str, Callable[[Turn, str], None]] = {
    "topic": _toggle_topic,
    "topics_done": _topics_done,
    "save": lambda turn, _arg: save(turn),
    "again": _save_again,
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
