"""Guided logging of a session: day, village, topics, people attending; read back, then save."""

from __future__ import annotations

import datetime as dt

from bot.messages import Button
from handlers import freetext
from handlers import log_steps as steps
from handlers.base import Turn
from handlers.common import not_allowed, please_choose
from handlers.errors import explain
from storage import activity
from storage import corrections
from storage.corrections import find_duplicate_session
from storage.errors import DomainError
from storage.models import Member, Village
from storage.vocab import TOPICS

FLOW = "s"
DATE, DATE_TEXT, VILLAGE, TOPIC, ATTENDEES, CONFIRM, FIX = (
    "s.date", "s.date_text", "s.village", "s.topics", "s.attendees", "s.confirm", "s.fix")


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
    """A button of this flow."""
    _ = turn._
    if steps.shared_button(turn, FLOW, action, arg, date_text_step=DATE_TEXT, ask_date=ask_date,
                           ask_village=ask_village, next_step=_next, read_back=read_back):
        return
    if action == "topic" and arg in TOPICS:
        topics = list(turn.data.get("topics", []))
        topics.remove(arg) if arg in topics else topics.append(arg)
        turn.goto(TOPIC, topics=topics)
        ask_topics(turn, edit=True)
    elif action == "topics_done":
        if not turn.data.get("topics"):
            turn.toast = _("Bạn chọn ít nhất một nội dung.")
            ask_topics(turn, edit=True)
            return
        turn.goto(turn.step, topics_done=True)
        _next(turn)
    elif action == "save":
        save(turn)
    elif action == "again":
        turn.goto(CONFIRM, again=True)
        save(turn)
    elif action == "fix":
        ask_fix(turn)
    elif action == "fix_field":
        _fix_field(turn, arg)
    else:
        _next(turn)


def on_text(turn: Turn) -> None:
    """Typed text while in this flow: a date or the number of people; a whole one-line report replaces it."""
    if freetext.takes_over(turn):
        return
    if turn.step == DATE_TEXT:
        day = steps.date_from_text(turn)
        if day is not None:
            _after_date(turn, day)
    elif turn.step == ATTENDEES:
        count = steps.count_from_text(turn, turn.config.limits.max_attendees, steps.retry_attendees(turn))
        if count is not None:
            turn.goto(ATTENDEES, attendees=count)
            _next(turn)
    else:
        please_choose(turn)


def _after_date(turn: Turn, day: dt.date) -> None:
    turn.goto(turn.step, date=day.isoformat())
    _next(turn)


def _next(turn: Turn) -> None:
    """Ask for the first thing still missing, or read everything back."""
    data = turn.data
    if "date" not in data:
        return ask_date(turn)
    if "village_id" not in data:
        return ask_village(turn)
    if not data.get("topics_done"):
        return ask_topics(turn)
    if "attendees" not in data:
        return ask_attendees(turn)
    read_back(turn)


def ask_village(turn: Turn) -> None:
    turn.goto(VILLAGE)
    turn.say(turn._("Buổi học ở thôn nào?"), steps.village_buttons(turn, FLOW, steps.choosable_villages(turn)))


def topic_buttons(turn: Turn) -> list[list[Button]]:
    chosen = set(turn.data.get("topics", []))
    rows = [[turn.button(("✅ " if topic in chosen else "▫️ ") + turn._(label), FLOW, "topic", topic)]
            for topic, label in TOPICS.items()]
    rows.append([turn.button(turn._("Xong ➡️"), FLOW, "topics_done"), turn.button(turn._("❌ Huỷ"), FLOW, "cancel")])
    return rows


def ask_topics(turn: Turn, edit: bool = False) -> None:
    turn.goto(TOPIC)
    turn.say(turn._("Buổi học có những nội dung nào? Bạn bấm chọn (chọn được nhiều), rồi bấm «Xong»."),
             topic_buttons(turn), edit=edit)


def ask_attendees(turn: Turn) -> None:
    turn.goto(ATTENDEES)
    turn.say(turn._("Có bao nhiêu người tham dự? Bạn gõ một con số, ví dụ 15."))


def summary(turn: Turn) -> str:
    _ = turn._
    data = turn.data
    village = turn.session.get(Village, data["village_id"])
    topics = "; ".join(_(TOPICS[t]) for t in data.get("topics", []))
    return "\n".join([
        _("📅 Ngày: {day}").format(day=steps.day_label(turn, dt.date.fromisoformat(data["date"]))),
        _("🏘️ Thôn: {village}").format(village=village.name if village else "?"),
        _("📚 Nội dung: {topics}").format(topics=topics),
        _("👥 Số người tham dự: {n}").format(n=turn.tr.number(data["attendees"])),
    ])


def read_back(turn: Turn) -> None:
    """Show everything before saving; nothing is saved without «Đúng»."""
    _ = turn._
    turn.goto(CONFIRM)
    turn.say(_("Bạn kiểm tra lại buổi sinh hoạt:") + "\n" + summary(turn) + steps.behalf_line(turn) + "\n\n"
             + _("Thông tin đã đúng chưa?"),
             [[turn.button(_("✅ Đúng, lưu lại"), FLOW, "save")],
              [turn.button(_("✏️ Sửa"), FLOW, "fix"), turn.button(_("❌ Huỷ"), FLOW, "cancel")],
              steps.behalf_button(turn, FLOW)])


def ask_fix(turn: Turn) -> None:
    _ = turn._
    turn.goto(FIX)
    rows = [[turn.button(_("Ngày"), FLOW, "fix_field", "date"), turn.button(_("Nội dung"), FLOW, "fix_field", "topics")],
            [turn.button(_("Số người"), FLOW, "fix_field", "attendees")]]
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
    turn.state.data = data
    _next(turn)


def save(turn: Turn) -> None:
    """Save the confirmed session and say exactly what was saved."""
    _ = turn._
    data = turn.data
    member = turn.member
    assert member is not None
    if turn.step != CONFIRM:
        return _next(turn)
    village = steps.village_by_id(turn, int(data["village_id"]))
    if village is None:
        turn.say(_("Không tìm thấy thôn này trong xã của bạn."))
        return ask_village(turn)
    owner = turn.session.get(Member, data.get("member_id", member.id)) or member
    day = dt.date.fromisoformat(data["date"])
    if not data.get("again"):
        twin = find_duplicate_session(turn.session, village.id, day, list(data["topics"]))  # type: ignore[arg-type]
        if twin is not None:
            turn.goto(CONFIRM)
            turn.say(_("{village} đã có một buổi ngày {day} cùng nội dung ({n} người dự, số {id}). "
                       "Bạn có muốn ghi thêm một buổi nữa không?").format(
                         village=village.name, day=turn.tr.date(day), n=turn.tr.number(twin.attendees), id=twin.id),
                     [[turn.button(_("Vẫn ghi thêm"), FLOW, "again"), turn.button(_("Không ghi"), FLOW, "cancel")]])
            return
    try:
        row = activity.record_session(
            turn.session, village=village, day=dt.date.fromisoformat(data["date"]), topics=list(data["topics"]),
            attendees=int(data["attendees"]), member=owner, author=member, source="guided",
            now=turn.now, today=turn.today, bounds=steps.bounds(turn))
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return ask_fix(turn)
    for ref in data.get("evidence", []):
        corrections.attach_evidence(turn.session, member, row.id, ref, turn.now)  # type: ignore[arg-type]
    text = summary(turn) + steps.behalf_line(turn)
    turn.end_flow()
    turn.toast = _("Đã lưu")
    turn.say(_("✅ Đã lưu buổi sinh hoạt (số {id}):").format(id=row.id) + "\n" + text + "\n\n" + _("Cảm ơn bạn!"),
             [[Button(_("🤝 Ghi người được hỗ trợ"), "c:-:go:ghigiup"),
               Button(_("📝 Ghi buổi khác"), "c:-:go:ghibuoi")]])
