"""/sua and /xoa: fix or remove one of the latest entries, with a read-back and a confirm."""

from __future__ import annotations

import datetime as dt

from handlers import log_steps as steps
from handlers.base import Turn
from handlers.common import main_menu, not_allowed, please_choose
from handlers.errors import explain
from storage import corrections
from storage.corrections import KIND_HELP, KIND_SESSION, Entry
from storage.errors import DomainError
from storage.models import Member, TrainingSession, Village
from storage.vocab import HELP_KINDS, TOPICS

FLOW = "x"
PICK, DELETE_CONFIRM, FIELD, VALUE, TOPICS_STEP, SAVE_CONFIRM = (
    "x.pick", "x.delete", "x.field", "x.value", "x.topics", "x.save")


def describe(turn: Turn, entry: Entry) -> str:
    """One line naming an entry: what, when, where, how many."""
    _ = turn._
    village = turn.session.get(Village, entry.village_id)
    where = village.name if village else "?"
    if isinstance(entry, TrainingSession):
        return _("Buổi sinh hoạt {day} · {village} · {n} người").format(
            day=turn.tr.short_date(entry.session_date), village=where, n=turn.tr.number(entry.attendees))
    return _("Hỗ trợ {day} · {village} · {kind}: {n}").format(
        day=turn.tr.short_date(entry.record_date), village=where, kind=_(HELP_KINDS[entry.kind]),
        n=turn.tr.number(entry.count))


def details(turn: Turn, entry: Entry) -> str:
    """The whole entry, including who logged it for whom."""
    _ = turn._
    lines = [describe(turn, entry)]
    if isinstance(entry, TrainingSession):
        lines.append(_("📚 Nội dung: {topics}").format(topics="; ".join(_(TOPICS[t]) for t in entry.topics)))
    if entry.author_id != entry.member_id:
        author = turn.session.get(Member, entry.author_id)
        owner = turn.session.get(Member, entry.member_id)
        lines.append(_("👤 Của {member}, do {author} ghi thay").format(
            member=owner.display_name if owner else "?", author=author.display_name if author else "?"))
    return "\n".join(lines)


def start(turn: Turn, mode: str) -> None:
    """/sua (mode "edit") or /xoa (mode "delete"): pick one of the latest entries."""
    _ = turn._
    if not steps.can_log(turn):
        return not_allowed(turn)
    assert turn.member is not None
    entries = corrections.recent_entries(turn.session, turn.member)
    if not entries:
        turn.say(_("Bạn chưa ghi mục nào để sửa hoặc xoá."), main_menu(turn))
        return
    turn.start_flow(PICK, mode=mode)
    rows = [[turn.button(describe(turn, e)[:60], FLOW, "pick",
                         f"{KIND_SESSION if isinstance(e, TrainingSession) else KIND_HELP}{e.id}")] for e in entries]
    rows.append([turn.button(_("❌ Huỷ"), FLOW, "cancel")])
    question = _("Bạn muốn sửa mục nào?") if mode == "edit" else _("Bạn muốn xoá mục nào?")
    turn.say(question, rows)


def _load(turn: Turn) -> Entry | None:
    assert turn.member is not None
    try:
        return corrections.get_entry(turn.session, turn.member, turn.data["kind"], int(turn.data["entry_id"]))
    except DomainError as error:
        turn.end_flow()
        turn.say(explain(error, turn.tr), main_menu(turn))
        return None


def on_button(turn: Turn, action: str, arg: str) -> None:
    """A button of the corrections flow."""
    _ = turn._
    if action == "cancel":
        turn.end_flow()
        turn.say(_("Đã huỷ, không thay đổi gì."), main_menu(turn))
        return
    if action == "pick" and arg[:1] in (KIND_SESSION, KIND_HELP) and arg[1:].isdigit():
        turn.goto(PICK, kind=arg[:1], entry_id=int(arg[1:]))
        entry = _load(turn)
        if entry is None:
            return
        if turn.data["mode"] == "delete":
            turn.goto(DELETE_CONFIRM)
            turn.say(_("Xoá mục này?") + "\n" + details(turn, entry),
                     [[turn.button(_("🗑️ Xoá"), FLOW, "delete"), turn.button(_("Không xoá"), FLOW, "cancel")]])
        else:
            _ask_field(turn, entry)
        return
    entry = _load(turn) if "entry_id" in turn.data else None
    if entry is None:
        return
    if action == "delete" and turn.step == DELETE_CONFIRM:
        assert turn.member is not None
        text = describe(turn, entry)
        corrections.delete_entry(turn.session, turn.member, turn.data["kind"], entry.id, turn.now)  # type: ignore[arg-type]
        turn.end_flow()
        turn.say(_("🗑️ Đã xoá: {entry}").format(entry=text), main_menu(turn))
    elif action == "field" and turn.step == FIELD:
        _ask_value(turn, entry, arg)
    elif action == "topic" and turn.step == TOPICS_STEP and arg in TOPICS:
        topics = list(turn.data.get("topics", []))
        topics.remove(arg) if arg in topics else topics.append(arg)
        turn.goto(TOPICS_STEP, topics=topics)
        _ask_topics(turn, edit=True)
    elif action == "topics_done" and turn.step == TOPICS_STEP:
        if not turn.data.get("topics"):
            turn.toast = _("Bạn chọn ít nhất một nội dung.")
            return _ask_topics(turn, edit=True)
        _confirm(turn, entry, {"topics": list(turn.data["topics"])})
    elif action == "village" and turn.step == VALUE and arg.isdigit():
        _confirm(turn, entry, {"village_id": int(arg)})
    elif action == "date" and turn.step == VALUE:
        day = steps.date_from_button(turn, arg)
        if day is None:
            turn.goto(VALUE, field="date")
            steps.ask_typed_date(turn)
        elif steps.accept_date(turn, day):
            _confirm(turn, entry, {"date": day.isoformat()})
    elif action == "save" and turn.step == SAVE_CONFIRM:
        _save(turn, entry)


def _ask_field(turn: Turn, entry: Entry) -> None:
    _ = turn._
    turn.goto(FIELD)
    rows = [[turn.button(_("Ngày"), FLOW, "field", "date")]]
    if isinstance(entry, TrainingSession):
        rows[0] += [turn.button(_("Nội dung"), FLOW, "field", "topics"),
                    turn.button(_("Số người"), FLOW, "field", "attendees")]
    else:
        rows[0].append(turn.button(_("Số người"), FLOW, "field", "count"))
    if len(steps.choosable_villages(turn)) > 1:
        rows.append([turn.button(_("Thôn"), FLOW, "field", "village")])
    rows.append([turn.button(_("❌ Huỷ"), FLOW, "cancel")])
    turn.say(_("Sửa mục này:") + "\n" + details(turn, entry) + "\n\n" + _("Bạn muốn sửa phần nào?"), rows)


def _ask_value(turn: Turn, entry: Entry, field: str) -> None:
    _ = turn._
    turn.goto(VALUE, field=field)
    if field == "date":
        turn.say(_("Ngày đúng là ngày nào?"), steps.date_buttons(turn, FLOW))
    elif field in ("attendees", "count"):
        turn.say(_("Số người đúng là bao nhiêu? Bạn gõ một con số."))
    elif field == "topics" and isinstance(entry, TrainingSession):
        turn.goto(TOPICS_STEP, topics=list(entry.topics))
        _ask_topics(turn)
    elif field == "village":
        turn.say(_("Thôn đúng là thôn nào?"), steps.village_buttons(turn, FLOW, steps.choosable_villages(turn)))
    else:
        _ask_field(turn, entry)


def _ask_topics(turn: Turn, edit: bool = False) -> None:
    chosen = set(turn.data.get("topics", []))
    rows = [[turn.button(("✅ " if t in chosen else "▫️ ") + turn._(label), FLOW, "topic", t)]
            for t, label in TOPICS.items()]
    rows.append([turn.button(turn._("Xong ➡️"), FLOW, "topics_done")])
    turn.say(turn._("Chọn lại nội dung của buổi sinh hoạt, rồi bấm «Xong»."), rows, edit=edit)


def on_text(turn: Turn) -> None:
    """Typed text: a new date or a new count."""
    entry = _load(turn) if "entry_id" in turn.data else None
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


def _confirm(turn: Turn, entry: Entry, change: dict[str, object]) -> None:
    """Show the entry before and after the change; save only on «Lưu»."""
    _ = turn._
    turn.goto(SAVE_CONFIRM, change=change)
    name, value = next(iter(change.items()))
    if name == "date":
        new = turn.tr.date(dt.date.fromisoformat(str(value)))
    elif name == "topics":
        new = "; ".join(_(TOPICS[t]) for t in value)  # type: ignore[attr-defined]
    elif name == "village_id":
        village = turn.session.get(Village, int(value))  # type: ignore[arg-type]
        new = village.name if village else "?"
    else:
        new = turn.tr.number(int(value))  # type: ignore[call-overload]
    turn.say(_("Trước: {before}").format(before=details(turn, entry)) + "\n"
             + _("Sửa thành: {value}").format(value=new) + "\n\n" + _("Lưu thay đổi này?"),
             [[turn.button(_("✅ Lưu"), FLOW, "save"), turn.button(_("❌ Huỷ"), FLOW, "cancel")]])


def _save(turn: Turn, entry: Entry) -> None:
    _ = turn._
    assert turn.member is not None
    change = dict(turn.data.get("change", {}))
    if "date" in change:
        change["date"] = dt.date.fromisoformat(change["date"])
    try:
        updated = corrections.update_entry(turn.session, turn.member, turn.data["kind"], entry.id,  # type: ignore[arg-type]
                                           change, now=turn.now, today=turn.today, bounds=steps.bounds(turn))
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return _ask_field(turn, entry)
    turn.end_flow()
    turn.say(_("✅ Đã sửa:") + "\n" + details(turn, updated), main_menu(turn))
