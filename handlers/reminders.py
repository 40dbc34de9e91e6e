"""/nhacnho: pause or resume one's reminders; commune admins and province viewers also set the reminder times
of their area and create one-off deadlines (title, date, who is reminded)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from bot.reminders.texts import kind_label, slot_label
from handlers import reminder_delivery
from handlers.base import Turn
from handlers.common import area_label, main_menu
from handlers.errors import explain
from storage import reminders
from storage.areas import get_commune, get_province
from storage.errors import DomainError
from storage.reminders import (
    CUSTOM,
    DEADLINE_ROLES,
    SCOPE_COMMUNE,
    SCOPE_DEFAULT,
    SCOPE_PROVINCE,
    WEEKLY_KINDS,
    EffectiveRule,
)
from storage.text import fold
from storage.vocab import ROLE_COMMUNE_ADMIN, ROLES

FLOW = "rm"
MENU, RULE, RULE_CONFIRM, TITLE, DATE, ROLES_STEP, CONFIRM = (
    "rm.menu",
    "rm.rule",
    "rm.rule_confirm",
    "rm.title",
    "rm.date",
    "rm.roles",
    "rm.confirm",
)
_DATE = re.compile(r"^\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?:\s*[/\-.]\s*(\d{2,4}))?\s*$")
_OFF_WORDS = {"tat", "dung", "tam dung", "off", "pause", "stop"}
_ON_WORDS = {"bat", "mo", "tiep tuc", "on", "resume", "start"}


def _can_edit(turn: Turn) -> bool:
    member = turn.member
    return member is not None and bool(reminders.editable_kinds(member)[1])


def _rule_line(turn: Turn, rule: EffectiveRule) -> str:
    _ = turn._
    times = ", ".join(slot_label(turn.tr, rule.kind, slot) for slot in rule.slots())
    note = {SCOPE_DEFAULT: _("mặc định"), SCOPE_PROVINCE: _("theo tỉnh"), SCOPE_COMMUNE: _("riêng của xã")}
    state = note[rule.scope] if rule.enabled else _("đã tắt")
    return _("{kind}: {times} ({state})").format(kind=kind_label(turn.tr, rule.kind), times=times, state=state)


def _roles_text(turn: Turn, roles: list[str]) -> str:
    return ", ".join(turn._(ROLES[role]) for role in roles if role in ROLES)


def _area_name(turn: Turn, scope: str, code: int) -> str:
    if scope == SCOPE_COMMUNE:
        return get_commune(turn.session, code).name
    return get_province(turn.session, code).name


def show(turn: Turn, argument: str = "") -> None:
    """/nhacnho: one's reminders (pause, resume), and for admins the area's schedule and deadlines."""
    _ = turn._
    member = turn.member
    if member is None:
        return
    word = " ".join(fold(argument).split()) if argument else ""
    if word in _OFF_WORDS or word in _ON_WORDS:
        return _set_paused(turn, word in _OFF_WORDS)
    lines = [_("🔔 Nhắc việc — {area}").format(area=area_label(turn.session, member))]
    if member.reminders_paused:
        lines.append(_("Bạn đang TẠM DỪNG nhận nhắc việc."))
    else:
        lines.append(_("Bạn đang nhận nhắc việc (không nhắn từ 21:00 đến 07:00)."))
    nonce_data: dict[str, object] = {}
    if _can_edit(turn):
        scope, _kinds, code = reminders.editable_kinds(member)
        lines += ["", _("Lịch nhắc của {area}:").format(area=_area_name(turn, scope, code or 0))]
        lines += [
            f"{n}. {_rule_line(turn, rule)}"
            for n, rule in enumerate(reminders.rules_for(turn.session, member), start=1)
        ]
        deadlines = reminders.upcoming_deadlines(turn.session, scope=scope, area_code=code or 0, today=turn.today)
        if deadlines:
            lines += ["", _("Hạn chót riêng:")]
            lines += [
                _("• «{title}» — {date}, nhắc: {roles}").format(
                    title=d.title, date=turn.tr.date(d.due_date), roles=_roles_text(turn, d.roles)
                )
                for d in deadlines
            ]
        nonce_data["deadlines"] = [d.id for d in deadlines]
    else:
        mine = reminders.deadlines_concerning(turn.session, member, turn.today)
        if mine:
            lines += ["", _("Hạn chót sắp tới:")]
            lines += [_("• «{title}» — {date}").format(title=d.title, date=turn.tr.date(d.due_date)) for d in mine]
    turn.start_flow(MENU, **nonce_data)
    rows = [
        [turn.button(_("🔔 Nhận lại nhắc việc"), FLOW, "resume")]
        if member.reminders_paused
        else [turn.button(_("🔕 Tạm dừng nhắc việc"), FLOW, "pause")]
    ]
    if _can_edit(turn):
        rows.append(
            [turn.button(_("⏰ Đổi lịch nhắc"), FLOW, "rules"), turn.button(_("➕ Thêm hạn chót"), FLOW, "add")]
        )
        if nonce_data.get("deadlines"):
            rows.append([turn.button(_("🗑️ Huỷ một hạn chót"), FLOW, "drop")])
    if _chooses_delivery(turn):
        rows.append([turn.button(_("👥 Nhắc vào nhóm chat hay nhắn riêng"), FLOW, "delivery")])
    rows.append([turn.button(_("❌ Đóng"), FLOW, "close")])
    turn.say("\n".join(lines), rows)


def _chooses_delivery(turn: Turn) -> bool:
    """A commune admin in their private chat: they choose where the commune's reminders go (as with /nhom)."""
    member = turn.member
    private = turn.incoming.chat_type != "group" and turn.group is None
    return private and member is not None and member.role == ROLE_COMMUNE_ADMIN and member.commune_code is not None


def _delivery(turn: Turn, _arg: str) -> None:
    """«Nhắc vào nhóm chat hay nhắn riêng»: the commune's groups and the delivery choice of /nhom."""
    if not _chooses_delivery(turn):
        turn.end_flow()
        turn.say(explain(DomainError("reminder_not_allowed"), turn.tr), main_menu(turn))
        return
    reminder_delivery.show(turn)


def _set_paused(turn: Turn, paused: bool) -> None:
    _ = turn._
    member = turn.require_member()
    reminders.set_paused(turn.session, member, paused, turn.now)
    turn.end_flow()
    if paused:
        turn.say(
            _("🔕 Đã tạm dừng nhắc việc. Bạn vẫn dùng bot bình thường; gõ /nhacnho để nhận lại nhắc việc."),
            main_menu(turn),
        )
    else:
        turn.say(_("🔔 Đã bật lại nhắc việc. Bot sẽ nhắc bạn trước các hạn chót."), main_menu(turn))


# -- buttons and typed answers ----------------------------------------------------------------------


def on_button(turn: Turn, action: str, arg: str) -> None:
    """Buttons of /nhacnho: close, pause and resume for everyone; the rest for those who set the reminders."""
    if action in _ANYONE:
        return _ANYONE[action](turn, arg)
    if not _can_edit(turn):
        turn.end_flow()
        turn.say(explain(DomainError("reminder_not_allowed"), turn.tr), main_menu(turn))
        return None
    if action not in _EDITORS:
        turn.say(turn._("Nút này đã cũ."))
        return None
    return _EDITORS[action](turn, arg)


def _close(turn: Turn, _arg: str) -> None:
    """«Đóng»: leave the reminders' menu."""
    turn.end_flow()
    turn.say(turn._("Đã đóng."), main_menu(turn))


def _ask_title(turn: Turn, _arg: str) -> None:
    """«Thêm hạn chót»: ask what is to be done."""
    _ = turn._
    turn.goto(TITLE, title=None, due=None, roles=[])
    turn.say(
        _("Bạn gõ nội dung công việc cần nhắc, ví dụ: Gửi danh sách đề cử khen thưởng Ngày Chuyển đổi số 10/10."),
        [[turn.button(_("❌ Huỷ"), FLOW, "close")]],
    )


def on_text(turn: Turn) -> None:
    """Typed answers: a rule's new times, a deadline's title or date."""
    _ = turn._
    if turn.step == RULE:
        return _read_times(turn)
    if turn.step == TITLE:
        title = " ".join(turn.text.split())
        if not title or len(title) > reminders.MAX_TITLE:
            turn.say(
                explain(
                    DomainError(
                        "deadline_title_too_long" if title else "deadline_title_missing", limit=reminders.MAX_TITLE
                    ),
                    turn.tr,
                )
            )
            return
        turn.goto(DATE, title=title)
        turn.say(
            _("Hạn chót là ngày nào? Bạn gõ ngày/tháng hoặc ngày/tháng/năm, ví dụ {example}.").format(
                example=turn.tr.date(turn.today + dt.timedelta(days=30))
            )
        )
        return
    if turn.step == DATE:
        day = parse_future_date(turn.text, turn.today)
        if day is None or day <= turn.today:
            turn.say(
                _("Tôi chưa đọc được ngày «{text}», hoặc ngày đó đã qua. Bạn gõ ví dụ {example}.").format(
                    text=turn.text[:40], example=turn.tr.date(turn.today + dt.timedelta(days=30))
                )
            )
            return
        turn.goto(ROLES_STEP, due=day.isoformat(), roles=[])
        _ask_roles(turn)
        return
    turn.say(_("Bạn chọn bằng các nút bên trên, hoặc gõ /huy để thôi."))


def parse_future_date(text: str, today: dt.date) -> dt.date | None:
    """dd/mm or dd/mm/yyyy; without a year, the next such day after today."""
    match = _DATE.match(text)
    if not match:
        return None
    day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
    try:
        if year:
            return dt.date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        candidate = dt.date(today.year, month, day)
        return candidate if candidate > today else dt.date(today.year + 1, month, day)
    except ValueError:
        return None


# -- rule times -------------------------------------------------------------------------------------


def _editable(turn: Turn) -> tuple[str, tuple[str, ...], int]:
    member = turn.require_member()
    scope, kinds, code = reminders.editable_kinds(member)
    return scope, kinds, code or 0


def _pick_rule(turn: Turn) -> None:
    _ = turn._
    _scope, kinds, _code = _editable(turn)
    turn.goto(MENU)
    rows = [[turn.button(kind_label(turn.tr, kind)[:60], FLOW, "rule", str(index))] for index, kind in enumerate(kinds)]
    turn.say(_("Đổi lịch của loại nhắc việc nào?"), [*rows, [turn.button(_("❌ Đóng"), FLOW, "close")]])


def _current_rule(turn: Turn, kind: str) -> EffectiveRule:
    member = turn.require_member()
    return next(r for r in reminders.rules_for(turn.session, member) if r.kind == kind)


def _example(turn: Turn, kind: str) -> str:
    _ = turn._
    if kind in WEEKLY_KINDS:
        return _("Thứ 5 19:00, Thứ 7 8:00")
    if kind == CUSTOM:
        return _("7 và 1 ngày trước, lúc 8:00")
    return _("ngày 15, 18, 19 lúc 8:00")


def _ask_times(turn: Turn, arg: str) -> None:
    _ = turn._
    _scope, kinds, _code = _editable(turn)
    if not arg.isdigit() or int(arg) >= len(kinds):
        turn.say(_("Nút này đã cũ."))
        return
    kind = kinds[int(arg)]
    rule = _current_rule(turn, kind)
    turn.goto(RULE, kind=kind)
    rows = []
    if rule.scope == _scope:
        rows.append([turn.button(_("↩️ Dùng lại lịch chung"), FLOW, "reset")])
    rows.append(
        [turn.button(_("🔕 Tắt loại nhắc này") if rule.enabled else _("🔔 Bật lại loại nhắc này"), FLOW, "toggle")]
    )
    rows.append([turn.button(_("❌ Đóng"), FLOW, "close")])
    turn.say(
        "\n".join(
            [
                _rule_line(turn, rule),
                "",
                _("Bạn gõ lịch mới, ví dụ: {example}").format(example=_example(turn, kind)),
                _("Lời nhắc rơi vào giờ nghỉ (21:00–07:00) sẽ được gửi lúc 07:00."),
            ]
        ),
        rows,
    )


def _read_times(turn: Turn) -> None:
    _ = turn._
    kind = turn.data.get("kind", "")
    try:
        times = reminders.parse_times(kind, turn.text)
    except DomainError as error:
        turn.say(explain(error, turn.tr) + "\n" + _("Ví dụ: {example}").format(example=_example(turn, kind)))
        return
    slots = reminders.slots_of(kind, times)
    turn.goto(RULE_CONFIRM, times=times)
    lines = [_("Lịch mới cho «{kind}»:").format(kind=kind_label(turn.tr, kind))]
    for slot in slots:
        quiet = kind not in (CUSTOM,) and (slot.at >= reminders.QUIET_START or slot.at < reminders.QUIET_END)
        lines.append("• " + slot_label(turn.tr, kind, slot) + (_(" (giờ nghỉ: gửi lúc 07:00)") if quiet else ""))
    turn.say("\n".join(lines), [[turn.button(_("✅ Lưu"), FLOW, "save_rule"), turn.button(_("❌ Huỷ"), FLOW, "close")]])


def _save_rule(turn: Turn) -> None:
    _ = turn._
    if turn.step != RULE_CONFIRM:
        turn.say(_("Nút này đã cũ."))
        return
    scope, _kinds, code = _editable(turn)
    kind = turn.data["kind"]
    member = turn.require_member()
    try:
        reminders.set_rule(
            turn.session,
            actor=member,
            kind=kind,
            scope=scope,
            area_code=code,
            times=list(turn.data.get("times", [])),
            enabled=True,
            now=turn.now,
        )
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return
    turn.end_flow()
    turn.say(_("✅ Đã lưu. {line}").format(line=_rule_line(turn, _current_rule(turn, kind))), main_menu(turn))


def _reset_rule(turn: Turn) -> None:
    _ = turn._
    scope, _kinds, code = _editable(turn)
    kind = turn.data.get("kind", "")
    member = turn.require_member()
    reminders.reset_rule(turn.session, actor=member, kind=kind, scope=scope, area_code=code, now=turn.now)
    turn.end_flow()
    turn.say(
        _("✅ Đã dùng lại lịch chung. {line}").format(line=_rule_line(turn, _current_rule(turn, kind))), main_menu(turn)
    )


def _toggle_rule(turn: Turn) -> None:
    _ = turn._
    scope, _kinds, code = _editable(turn)
    kind = turn.data.get("kind", "")
    member = turn.require_member()
    rule = _current_rule(turn, kind)
    reminders.set_rule(
        turn.session, actor=member, kind=kind, scope=scope, area_code=code, enabled=not rule.enabled, now=turn.now
    )
    turn.end_flow()
    turn.say(_("✅ Đã lưu. {line}").format(line=_rule_line(turn, _current_rule(turn, kind))), main_menu(turn))


# -- deadlines --------------------------------------------------------------------------------------


def _allowed_roles(turn: Turn) -> tuple[str, ...]:
    member = turn.require_member()
    scope, _code = reminders.deadline_scope(member)
    return DEADLINE_ROLES[scope]


def _ask_roles(turn: Turn, edit: bool = False) -> None:
    _ = turn._
    chosen = set(turn.data.get("roles", []))
    rows = [
        [turn.button(("✅ " if role in chosen else "▫️ ") + _(ROLES[role]), FLOW, "role", str(index))]
        for index, role in enumerate(_allowed_roles(turn))
    ]
    rows.append([turn.button(_("Xong ➡️"), FLOW, "roles_done"), turn.button(_("❌ Huỷ"), FLOW, "close")])
    turn.say(_("Nhắc những ai? Bạn bấm để chọn (bấm lại để bỏ), rồi bấm «Xong»."), rows, edit=edit)


def _toggle_role(turn: Turn, arg: str) -> None:
    roles = _allowed_roles(turn)
    if turn.step != ROLES_STEP or not arg.isdigit() or int(arg) >= len(roles):
        turn.say(turn._("Nút này đã cũ."))
        return
    role = roles[int(arg)]
    chosen = list(turn.data.get("roles", []))
    chosen = [r for r in chosen if r != role] if role in chosen else [*chosen, role]
    turn.goto(ROLES_STEP, roles=chosen)
    _ask_roles(turn, edit=True)  # the same message shows the new choice


def _confirm_deadline(turn: Turn) -> None:
    _ = turn._
    if turn.step != ROLES_STEP:
        turn.say(_("Nút này đã cũ."))
        return
    roles = [r for r in _allowed_roles(turn) if r in turn.data.get("roles", [])]
    if not roles:
        turn.say(explain(DomainError("deadline_roles_missing"), turn.tr))
        return _ask_roles(turn)
    due = dt.date.fromisoformat(turn.data["due"])
    rule = _current_rule(turn, CUSTOM)
    turn.goto(CONFIRM, roles=roles)
    turn.say(
        "\n".join(
            [
                _("Tạo hạn chót:"),
                _("• Việc: {title}").format(title=turn.data["title"]),
                _("• Hạn: {date}").format(date=turn.tr.date(due)),
                _("• Nhắc: {roles}").format(roles=_roles_text(turn, roles)),
                _("• Lúc nhắc: {times}").format(times=", ".join(slot_label(turn.tr, CUSTOM, s) for s in rule.slots())),
            ]
        ),
        [[turn.button(_("✅ Lưu"), FLOW, "save_deadline"), turn.button(_("❌ Huỷ"), FLOW, "close")]],
    )


def _save_deadline(turn: Turn) -> None:
    _ = turn._
    if turn.step != CONFIRM:
        turn.say(_("Nút này đã cũ."))
        return
    member = turn.require_member()
    try:
        row = reminders.create_deadline(
            turn.session,
            actor=member,
            title=turn.data["title"],
            due_date=dt.date.fromisoformat(turn.data["due"]),
            roles=list(turn.data.get("roles", [])),
            now=turn.now,
            today=turn.today,
        )
    except DomainError as error:
        turn.end_flow()
        turn.say(explain(error, turn.tr), main_menu(turn))
        return
    turn.end_flow()
    turn.say(
        _("✅ Đã tạo hạn chót «{title}» ngày {date}. Bot sẽ nhắc {roles} trước hạn.").format(
            title=row.title, date=turn.tr.date(row.due_date), roles=_roles_text(turn, row.roles)
        ),
        main_menu(turn),
    )


def _pick_deadline_to_drop(turn: Turn) -> None:
    _ = turn._
    member = turn.require_member()
    scope, code = reminders.deadline_scope(member)
    rows = [
        [turn.button(f"🗑️ {d.title[:40]} — {turn.tr.short_date(d.due_date)}", FLOW, "drop_one", str(d.id))]
        for d in reminders.upcoming_deadlines(turn.session, scope=scope, area_code=code, today=turn.today)
    ]
    turn.goto(MENU)
    turn.say(_("Huỷ hạn chót nào?"), [*rows, [turn.button(_("❌ Đóng"), FLOW, "close")]])


def _drop_deadline(turn: Turn, arg: str) -> None:
    _ = turn._
    member = turn.require_member()
    try:
        row = reminders.cancel_deadline(turn.session, actor=member, deadline_id=int(arg or 0), now=turn.now)
    except (DomainError, ValueError) as error:
        turn.say(explain(error if isinstance(error, DomainError) else DomainError("deadline_not_found"), turn.tr))
        return
    turn.end_flow()
    turn.say(_("✅ Đã huỷ hạn chót «{title}».").format(title=row.title), main_menu(turn))


#: buttons anyone with reminders may press
_ANYONE: dict[str, Callable[[Turn, str], None]] = {
    "close": _close,
    "pause": lambda turn, _arg: _set_paused(turn, True),
    "resume": lambda turn, _arg: _set_paused(turn, False),
}
#: buttons of those who set the reminders of an area (checked again at each press)
_EDITORS: dict[str, Callable[[Turn, str], None]] = {
    "rules": lambda turn, _arg: _pick_rule(turn),
    "rule": _ask_times,
    "reset": lambda turn, _arg: _reset_rule(turn),
    "toggle": lambda turn, _arg: _toggle_rule(turn),
    "save_rule": lambda turn, _arg: _save_rule(turn),
    "add": _ask_title,
    "role": _toggle_role,
    "roles_done": lambda turn, _arg: _confirm_deadline(turn),
    "save_deadline": lambda turn, _arg: _save_deadline(turn),
    "drop": lambda turn, _arg: _pick_deadline_to_drop(turn),
    "delivery": _delivery,
    "drop_one": _drop_deadline,
}
