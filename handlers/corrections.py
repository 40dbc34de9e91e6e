"""/sua and /xoa: fix or remove one of the latest entries, with a read-back and a confirm.

An entry is a session, a help record or a programme figure of the province's programmes; a session's
priority-group breakdown is one of its parts. Removing a session says that its programme figures go with it.
What is shown of an entry is `handlers/correction_texts.py`; the rules are `storage/corrections.py`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from bot.nlu.parser import read_attendance
from handlers import log_steps as steps
from handlers.base import Turn
from handlers.common import main_menu, not_allowed, please_choose, stale_button
from handlers.correction_texts import FIELD_LABELS, describe, details, fields, figure_text, groups_text
from handlers.errors import explain
from storage import corrections
from storage.corrections import KINDS, Entry, kind_of
from storage.errors import DomainError
from storage.models import ProgrammeRecord, TrainingSession, Village, saved_id
from storage.programmes import records
from storage.programmes.catalog import UNITS
from storage.vocab import TOPICS

FLOW = "x"
PICK, DELETE_CONFIRM, FIELD, VALUE, TOPICS_STEP, SAVE_CONFIRM = (
    "x.pick",
    "x.delete",
    "x.field",
    "x.value",
    "x.topics",
    "x.save",
)


def start(turn: Turn, mode: str) -> None:
    """/sua (mode "edit") or /xoa (mode "delete"): pick one of the latest entries."""
    _ = turn._
    if not steps.can_log(turn):
        return not_allowed(turn)
    member = turn.require_member()
    if not corrections.recent_entries(turn.session, member):
        turn.say(_("Bạn chưa ghi mục nào để sửa hoặc xoá."), main_menu(turn))
        return
    turn.start_flow(PICK, mode=mode)
    _ask_pick(turn)


def _ask_pick(turn: Turn) -> None:
    """List the latest entries to pick one from."""
    _ = turn._
    member = turn.require_member()
    turn.goto(PICK)
    entries = corrections.recent_entries(turn.session, member)
    rows = [[turn.button(describe(turn, e)[:60], FLOW, "pick", f"{kind_of(e)}{e.id}")] for e in entries]
    rows.append([turn.button(_("❌ Huỷ"), FLOW, "cancel")])
    question = _("Bạn muốn sửa mục nào?") if turn.data.get("mode") == "edit" else _("Bạn muốn xoá mục nào?")
    turn.say(question, rows)


def _load(turn: Turn) -> Entry | None:
    """The picked entry, checked again (it may have gone, or never been the person's); None after saying why."""
    member = turn.require_member()
    kind, entry_id = turn.data.get("kind"), turn.data.get("entry_id")
    if kind not in KINDS or not isinstance(entry_id, int):
        turn.end_flow()
        stale_button(turn)
        return None
    try:
        return corrections.get_entry(turn.session, member, kind, entry_id)
    except DomainError as error:
        turn.end_flow()
        turn.say(explain(error, turn.tr), main_menu(turn))
        return None


#: each button of this flow is taken only at the step whose question offered it
OFFERED: steps.Offered = {
    "cancel": {steps.ANY_STEP},
    "pick": {PICK},
    "delete": {DELETE_CONFIRM},
    "field": {FIELD},
    "topic": {TOPICS_STEP},
    "topics_done": {TOPICS_STEP},
    "village": {VALUE},
    "village_page": {VALUE},
    "date": {VALUE},
    "save": {SAVE_CONFIRM},
}
#: at the VALUE step, these buttons belong to the question about one field only
VALUE_BUTTON_FIELD = {"village": "village", "village_page": "village", "date": "date"}


def _offered(turn: Turn, action: str) -> bool:
    """Whether the current step (and, asking a value, its field) offered this button."""
    field = VALUE_BUTTON_FIELD.get(action)
    return steps.offered(turn, action, OFFERED) and (field is None or turn.data.get("field") == field)


def on_button(turn: Turn, action: str, arg: str) -> None:
    """A button of the corrections flow, taken only at the step that offered it."""
    if not _offered(turn, action):
        return steps.old_button(turn, ask_again)
    if action == "cancel":
        turn.end_flow()
        turn.say(turn._("Đã huỷ, không thay đổi gì."), main_menu(turn))
        return None
    if action == "pick":
        return _pick(turn, arg)
    entry = _load(turn)
    if entry is None:
        return None
    return _ENTRY_BUTTONS[action](turn, entry, arg)


def _delete(turn: Turn, entry: Entry, _arg: str) -> None:
    """«Xoá» confirmed: the entry goes, and the person is told what went."""
    member = turn.require_member()
    text = details(turn, entry)
    corrections.delete_entry(turn.session, member, turn.data["kind"], saved_id(entry), turn.now)
    turn.end_flow()
    turn.say(turn._("🗑️ Đã xoá: {entry}").format(entry=text), main_menu(turn))


def _field_pressed(turn: Turn, entry: Entry, arg: str) -> None:
    """The part of the entry to change; one it does not have, or not offered to this person, is an old button."""
    if arg not in fields(turn, entry):
        return steps.old_button(turn, ask_again)
    return _ask_value(turn, entry, arg)


def _topics_done(turn: Turn, entry: Entry, _arg: str) -> None:
    """«Xong» under the topics: at least one is needed."""
    if not turn.data.get("topics"):
        turn.toast = turn._("Bạn chọn ít nhất một nội dung.")
        return _ask_topics(turn, edit=True)
    return _confirm(turn, entry, {"topics": list(turn.data["topics"])})


def _village_page(turn: Turn, entry: Entry, arg: str) -> None:
    steps.keep_village_page(turn, arg)
    _ask_value(turn, entry, "village")


def ask_again(turn: Turn) -> None:
    """Ask the question of the current step once more (after an old button was pressed)."""
    if turn.step == PICK:
        return _ask_pick(turn)
    entry = _load(turn)
    if entry is None:
        return
    change = turn.data.get("change")
    if turn.step == DELETE_CONFIRM:
        _ask_delete(turn, entry)
    elif turn.step == VALUE:
        _ask_value(turn, entry, str(turn.data.get("field", "")))
    elif turn.step == TOPICS_STEP:
        _ask_topics(turn)
    elif turn.step == SAVE_CONFIRM and isinstance(change, dict) and change:
        _confirm(turn, entry, change)
    else:
        _ask_field(turn, entry)


def _pick(turn: Turn, arg: str) -> None:
    """The entry picked from the list: ask to confirm the removal, or which part to fix."""
    kind, entry_id = arg[:1], steps.id_arg(arg[1:])
    if kind not in KINDS or entry_id is None:
        return steps.old_button(turn, ask_again)
    turn.goto(PICK, kind=kind, entry_id=entry_id)
    entry = _load(turn)
    if entry is None:
        return
    if turn.data.get("mode") == "delete":
        _ask_delete(turn, entry)
    else:
        _ask_field(turn, entry)


def _ask_delete(turn: Turn, entry: Entry) -> None:
    _ = turn._
    turn.goto(DELETE_CONFIRM)
    linked = isinstance(entry, TrainingSession) and corrections.linked_figures(turn.session, entry)
    also = "\n" + _("Số liệu chương trình ghi kèm buổi này cũng sẽ được xoá.") if linked else ""
    turn.say(
        _("Xoá mục này?") + "\n" + details(turn, entry) + also,
        [[turn.button(_("🗑️ Xoá"), FLOW, "delete"), turn.button(_("Không xoá"), FLOW, "cancel")]],
    )


def _toggle_topic(turn: Turn, topic: str) -> None:
    """Add or take away one topic of the session being fixed."""
    if topic in TOPICS:
        topics = list(turn.data.get("topics", []))
        topics.remove(topic) if topic in topics else topics.append(topic)
        turn.goto(TOPICS_STEP, topics=topics)
    _ask_topics(turn, edit=True)


def _choose_village(turn: Turn, entry: Entry, arg: str) -> None:
    """The new village, only one of those the person may log for."""
    village_id = steps.id_arg(arg)
    village = steps.village_by_id(turn, village_id) if village_id is not None else None
    if village is None:
        turn.say(turn._("Không tìm thấy thôn này trong xã của bạn."))
        return _ask_value(turn, entry, "village")
    _confirm(turn, entry, {"village_id": village.id})


def _choose_date(turn: Turn, entry: Entry, arg: str) -> None:
    """The new day from a button; «Ngày khác» asks to type it."""
    day = steps.date_from_button(turn, arg)
    if day is None:
        turn.goto(VALUE, field="date")
        steps.ask_typed_date(turn)
    elif steps.accept_date(turn, day):
        _confirm(turn, entry, {"date": day.isoformat()})


def _ask_field(turn: Turn, entry: Entry) -> None:
    _ = turn._
    turn.goto(FIELD)
    names = fields(turn, entry)
    labels = [turn.button(_(FIELD_LABELS[f]), FLOW, "field", f) for f in names]
    rows = [labels[:3], *([labels[3:]] if labels[3:] else [])]
    rows.append([turn.button(_("❌ Huỷ"), FLOW, "cancel")])
    turn.say(_("Sửa mục này:") + "\n" + details(turn, entry) + "\n\n" + _("Bạn muốn sửa phần nào?"), rows)


def _ask_value(turn: Turn, entry: Entry, field: str) -> None:
    """Ask for the new value of one part of the entry (a part it does not have: ask which part again)."""
    _ = turn._
    if field not in fields(turn, entry):
        return _ask_field(turn, entry)
    turn.goto(VALUE, field=field)
    if field == "date":
        turn.say(_("Ngày đúng là ngày nào?"), steps.date_buttons(turn, FLOW))
    elif field in ("attendees", "count"):
        turn.say(_("Số người đúng là bao nhiêu? Bạn gõ một con số."))
    elif field == "figure" and isinstance(entry, ProgrammeRecord):
        turn.say(_("Con số đúng là bao nhiêu ({unit})? Bạn gõ một con số.").format(unit=_unit(turn, entry.unit)))
    elif field == "mentor":
        turn.say(_("Tên người hướng dẫn (đại sứ số) đúng là gì? Bạn gõ «không» nếu không ghi tên."))
    elif field == "groups" and isinstance(entry, TrainingSession):
        turn.say(
            _(
                "Trong {n} người dự buổi, có bao nhiêu người thuộc nhóm ưu tiên? Bạn gõ ví dụ: "
                "15 người cao tuổi, 2 người khuyết tật. Gõ «không» nếu không có ai."
            ).format(n=turn.tr.number(entry.attendees))
        )
    elif field == "topics" and isinstance(entry, TrainingSession):
        turn.goto(TOPICS_STEP, topics=list(entry.topics))
        _ask_topics(turn)
    else:
        turn.say(_("Thôn đúng là thôn nào?"), steps.village_buttons(turn, FLOW, steps.choosable_villages(turn)))


def _ask_topics(turn: Turn, edit: bool = False) -> None:
    chosen = set(turn.data.get("topics", []))
    rows = [
        [turn.button(("✅ " if t in chosen else "▫️ ") + turn._(label), FLOW, "topic", t)] for t, label in TOPICS.items()
    ]
    rows.append([turn.button(turn._("Xong ➡️"), FLOW, "topics_done")])
    turn.say(turn._("Chọn lại nội dung của buổi sinh hoạt, rồi bấm «Xong»."), rows, edit=edit)


def on_text(turn: Turn) -> None:
    """Typed text: a new date or a new count."""
    if turn.step == PICK:
        return please_choose(turn)
    entry = _load(turn)
    if entry is None:
        return
    field = turn.data.get("field")
    if turn.step == VALUE and field == "date":
        day = steps.date_from_text(turn)
        if day is not None:
            _confirm(turn, entry, {"date": day.isoformat()})
    elif turn.step == VALUE and field in ("attendees", "count"):
        limits = turn.config.limits
        count = steps.count_from_text(turn, limits.max_attendees if field == "attendees" else limits.max_help_count)
        if count is not None:
            _confirm(turn, entry, {field: count})
    elif turn.step == VALUE and field == "figure":
        count = steps.count_from_text(turn, turn.config.limits.max_help_count, turn._("Bạn gõ lại con số nhé."))
        if count is not None:
            _confirm(turn, entry, {"count": count})
    elif turn.step == VALUE and field == "mentor":
        _mentor_from_text(turn, entry)
    elif turn.step == VALUE and field == "groups" and isinstance(entry, TrainingSession):
        _groups_from_text(turn, entry)
    else:
        please_choose(turn)


_NONE_WORDS = {"khong", "không", "ko", "k", "none", "no", "0"}


def _unit(turn: Turn, unit: str) -> str:
    return turn._(UNITS[unit]) if unit in UNITS else unit


def _mentor_from_text(turn: Turn, entry: Entry) -> None:
    """A mentor's new name, or «không» to keep none; a text that is not a name is asked again."""
    text = " ".join(turn.text.split())
    if text.lower() in _NONE_WORDS:
        return _confirm(turn, entry, {"mentor": None})
    try:
        name = records.check_mentor(text)
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return None
    _confirm(turn, entry, {"mentor": name})


def _groups_from_text(turn: Turn, entry: TrainingSession) -> None:
    """A session's new priority groups («15 người cao tuổi, 2 người khuyết tật», or «không»), read against its
    attendees; anything unread or over the attendees is asked again, never guessed."""
    _ = turn._
    retry = _("Bạn gõ lại, ví dụ: 15 người cao tuổi, 2 người khuyết tật (hoặc «không»).")
    if turn.text.strip().lower() in _NONE_WORDS:
        return _confirm(turn, entry, {"groups": {}})
    reading = read_attendance(f"{entry.attendees} người, {turn.text}")
    if reading is None or reading.total != entry.attendees:
        turn.say(_("Tôi chưa đọc được nhóm ưu tiên trong «{text}».").format(text=turn.text[:60]) + "\n" + retry)
        return None
    if reading.unreadable or any(n is None for n in reading.groups.values()):
        notes = [steps.number_refusal(turn, u.problem, u.text) for u in reading.unreadable]
        turn.say("\n".join([*notes, retry]))
        return None
    groups = {g: int(n) for g, n in reading.groups.items() if n is not None}
    try:
        records.check_priority_groups(groups, entry.attendees)
    except DomainError as error:
        turn.say(explain(error, turn.tr) + "\n" + retry)
        return None
    _confirm(turn, entry, {"groups": groups})


def _confirm(turn: Turn, entry: Entry, change: dict[str, Any]) -> None:
    """Show the entry before and after the change; save only on «Lưu»."""
    _ = turn._
    turn.goto(SAVE_CONFIRM, change=change)
    name, value = next(iter(change.items()))
    if name == "date":
        new = turn.tr.date(dt.date.fromisoformat(str(value)))
    elif name == "topics":
        new = "; ".join(_(TOPICS[t]) for t in value)
    elif name == "village_id":
        village = turn.session.get(Village, int(value))
        new = village.name if village else "?"
    elif name == "mentor":
        new = str(value) if value else _("(không ghi tên)")
    elif name == "groups":
        new = groups_text(turn, dict(value))
    elif name == "count" and isinstance(entry, ProgrammeRecord):
        new = figure_text(turn, int(value), entry.unit)
    else:
        new = turn.tr.number(int(value))
    turn.say(
        _("Trước: {before}").format(before=details(turn, entry))
        + "\n"
        + _("Sửa thành: {value}").format(value=new)
        + "\n\n"
        + _("Lưu thay đổi này?"),
        [[turn.button(_("✅ Lưu"), FLOW, "save"), turn.button(_("❌ Huỷ"), FLOW, "cancel")]],
    )


def _save(turn: Turn, entry: Entry) -> None:
    _ = turn._
    member = turn.require_member()
    change = dict(turn.data.get("change", {}))
    if "date" in change:
        change["date"] = dt.date.fromisoformat(change["date"])
    try:
        if "groups" in change:
            groups = {str(g): int(n) for g, n in dict(change["groups"]).items()}
            updated: Entry = corrections.update_priority_groups(turn.session, member, saved_id(entry), groups, turn.now)
        else:
            updated = corrections.update_entry(
                turn.session,
                member,
                turn.data["kind"],
                saved_id(entry),
                change,
                now=turn.now,
                today=turn.today,
                bounds=steps.bounds(turn),
            )
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return _ask_field(turn, entry)
    turn.end_flow()
    turn.say(_("✅ Đã sửa:") + "\n" + details(turn, updated), main_menu(turn))


#: button action -> what it does with the entry picked (cancel and pick come before an entry is loaded)
_ENTRY_BUTTONS: dict[str, Callable[[Turn, Entry, str], None]] = {
    "delete": _delete,
    "field": _field_pressed,
    "topic": lambda turn, _entry, arg: _toggle_topic(turn, arg),
    "topics_done": _topics_done,
    "village": _choose_village,
    "village_page": _village_page,
    "date": _choose_date,
    "save": lambda turn, entry, _arg: _save(turn, entry),
}
