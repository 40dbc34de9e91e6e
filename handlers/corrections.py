"""/sua and /xoa: fix or remove one of the latest entries, with a read-back and a confirm."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from handlers import log_steps as steps
from handlers.base import Turn
from handlers.common import main_menu, not_allowed, please_choose, stale_button
from handlers.errors import explain
from storage import corrections
from storage.corrections import KIND_HELP, KIND_SESSION, Entry
from storage.errors import DomainError
from storage.models import Member, TrainingSession, Village, saved_id
from storage.vocab import HELP_KINDS, TOPICS

FLOW = "x"
PICK, DELETE_CONFIRM, FIELD, VALUE, TOPICS_STEP, SAVE_CONFIRM = (
    "x.pick",
    "x.delete",
    "x.field",
    "x.value",
    "x.topics",
    "x.save",
)


def describe(turn: Turn, entry: Entry) -> str:
    """One line naming an entry: what, when, where, how many."""
    _ = turn._
    village = turn.session.get(Village, entry.village_id)
    where = village.name if village else "?"
    if isinstance(entry, TrainingSession):
        return _("Buổi sinh hoạt {day} · {village} · {n} người").format(
            day=turn.tr.short_date(entry.session_date), village=where, n=turn.tr.number(entry.attendees)
        )
    return _("Hỗ trợ {day} · {village} · {kind}: {n}").format(
        day=turn.tr.short_date(entry.record_date),
        village=where,
        kind=_(HELP_KINDS[entry.kind]),
        n=turn.tr.number(entry.count),
    )


def details(turn: Turn, entry: Entry) -> str:
    """The whole entry, including who logged it for whom."""
    _ = turn._
    lines = [describe(turn, entry)]
    if isinstance(entry, TrainingSession):
        lines.append(_("📚 Nội dung: {topics}").format(topics="; ".join(_(TOPICS[t]) for t in entry.topics)))
    if entry.author_id != entry.member_id:
        author = turn.session.get(Member, entry.author_id)
        owner = turn.session.get(Member, entry.member_id)
        lines.append(
            _("👤 Của {member}, do {author} ghi thay").format(
                member=owner.display_name if owner else "?", author=author.display_name if author else "?"
            )
        )
    return "\n".join(lines)


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
    rows = [
        [
            turn.button(
                describe(turn, e)[:60],
                FLOW,
                "pick",
                f"{KIND_SESSION if isinstance(e, TrainingSession) else KIND_HELP}{e.id}",
            )
        ]
        for e in entries
    ]
    rows.append([turn.button(_("❌ Huỷ"), FLOW, "cancel")])
    question = _("Bạn muốn sửa mục nào?") if turn.data.get("mode") == "edit" else _("Bạn muốn xoá mục nào?")
    turn.say(question, rows)


def _load(turn: Turn) -> Entry | None:
    """The picked entry, checked again (it may have gone, or never been the person's); None after saying why."""
    member = turn.require_member()
    kind, entry_id = turn.data.get("kind"), turn.data.get("entry_id")
    if kind not in (KIND_SESSION, KIND_HELP) or not isinstance(entry_id, int):
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
    text = describe(turn, entry)
    corrections.delete_entry(turn.session, member, turn.data["kind"], saved_id(entry), turn.now)
    turn.end_flow()
    turn.say(turn._("🗑️ Đã xoá: {entry}").format(entry=text), main_menu(turn))


def _field_pressed(turn: Turn, entry: Entry, arg: str) -> None:
    """The part of the entry to change; one it does not have, or not offered to this person, is an old button."""
    if arg not in _fields(turn, entry):
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
    if kind not in (KIND_SESSION, KIND_HELP) or entry_id is None:
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
    turn.say(
        _("Xoá mục này?") + "\n" + details(turn, entry),
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


def _fields(turn: Turn, entry: Entry) -> list[str]:
    """The parts of this entry that may be fixed (the village only when the person has more than one)."""
    fields = ["date", "topics", "attendees"] if isinstance(entry, TrainingSession) else ["date", "count"]
    return fields + (["village"] if len(steps.choosable_villages(turn)) > 1 else [])


def _ask_field(turn: Turn, entry: Entry) -> None:
    _ = turn._
    turn.goto(FIELD)
    rows = [[turn.button(_("Ngày"), FLOW, "field", "date")]]
    if isinstance(entry, TrainingSession):
        rows[0] += [
            turn.button(_("Nội dung"), FLOW, "field", "topics"),
            turn.button(_("Số người"), FLOW, "field", "attendees"),
        ]
    else:
        rows[0].append(turn.button(_("Số người"), FLOW, "field", "count"))
    if len(steps.choosable_villages(turn)) > 1:
        rows.append([turn.button(_("Thôn"), FLOW, "field", "village")])
    rows.append([turn.button(_("❌ Huỷ"), FLOW, "cancel")])
    turn.say(_("Sửa mục này:") + "\n" + details(turn, entry) + "\n\n" + _("Bạn muốn sửa phần nào?"), rows)


def _ask_value(turn: Turn, entry: Entry, field: str) -> None:
    """Ask for the new value of one part of the entry (a part it does not have: ask which part again)."""
    _ = turn._
    if field not in _fields(turn, entry):
        return _ask_field(turn, entry)
    turn.goto(VALUE, field=field)
    if field == "date":
        turn.say(_("Ngày đúng là ngày nào?"), steps.date_buttons(turn, FLOW))
    elif field in ("attendees", "count"):
        turn.say(_("Số người đúng là bao nhiêu? Bạn gõ một con số."))
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
    else:
        please_choose(turn)


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
