"""Steps shared by the guided logging flows: which day, which village, how many people."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.messages import Button
from bot.nlu.dates import DateResult, read_day
from bot.nlu.numbers import read_count
from handlers.base import Turn
from handlers.common import main_menu
from handlers.errors import explain
from storage import activity
from storage.areas import villages_of
from storage.errors import DomainError
from storage.models import Member, Village
from storage.reports import ensure_open
from storage.text import fold
from storage.vocab import LOGGING_ROLES, ROLE_COMMUNE_ADMIN, ROLE_TEAM_LEAD

#: "12 / 11" typed with spaces around the separator reads as "12/11"
_SPACED_DATE = re.compile(r"(?<=\d)\s*([/.\-])\s*(?=\d)")
_AHEAD = re.compile(r"\b(?:sau|mai|tuan toi)\b")

#: in a flow's table of offered buttons, an action offered at every step (cancel)
ANY_STEP = "*"
#: button action -> the steps of the flow whose question offers it
Offered = Mapping[str, Collection[str]]
#: villages on one page of the village question (20 rows of two)
VILLAGES_PER_PAGE = 40


def offered(turn: Turn, action: str, table: Offered) -> bool:
    """Whether the flow's current step offered this button; a button pressed elsewhere reads data not there yet."""
    steps = table.get(action, ())
    return ANY_STEP in steps or turn.step in steps


def old_button(turn: Turn, ask_again: Callable[[Turn], None]) -> None:
    """A button of this flow that its current step did not offer: say so politely and ask the current step again."""
    turn.toast = turn._("Nút này đã cũ.")
    turn.say(turn._("Nút này đã cũ, không dùng được ở bước này. Bạn xem câu hỏi bên dưới nhé."))
    ask_again(turn)


def id_arg(arg: str) -> int | None:
    """A button argument that is a row id (ASCII digits only: «²» passes str.isdigit but not int)."""
    return int(arg) if arg.isascii() and arg.isdigit() else None


def bounds(turn: Turn) -> activity.Bounds:
    limits = turn.config.limits
    return activity.Bounds(limits.max_attendees, limits.max_help_count, limits.max_days_back)


def can_log(turn: Turn) -> bool:
    return turn.member is not None and turn.member.role in LOGGING_ROLES


def date_buttons(turn: Turn, flow: str) -> list[list[Button]]:
    _ = turn._
    today = turn.today
    yesterday = today - dt.timedelta(days=1)
    return [
        [
            turn.button(_("Hôm nay ({day})").format(day=turn.tr.short_date(today)), flow, "date", "today"),
            turn.button(_("Hôm qua ({day})").format(day=turn.tr.short_date(yesterday)), flow, "date", "yesterday"),
        ],
        [turn.button(_("📅 Ngày khác"), flow, "date", "other")],
        [turn.button(_("❌ Huỷ"), flow, "cancel")],
    ]


def typed_day(text: str, today: dt.date) -> DateResult:
    """A typed day, read like the days of one-line reports ("12/11", "ngày 12 tháng 11", "hôm kia", "thứ 5").

    A day/month without a year is the latest one not after today; an impossible day ("30/02") gives no date
    and the problem ``invalid_date``; a day ahead ("tuần sau", "ngày mai") is not one to guess, so no date.
    """
    if _AHEAD.search(fold(text)) or "tới" in text.lower():
        return DateResult()
    return read_day(_SPACED_DATE.sub(r"\1", text), today)


def accept_date(turn: Turn, day: dt.date) -> bool:
    """Check a day against the rules; on refusal say why and return False."""
    try:
        activity.check_date(day, turn.today, bounds(turn))
        if turn.member is not None and turn.member.commune_code is not None:
            ensure_open(turn.session, turn.member.commune_code, day)
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return False
    return True


def date_from_button(turn: Turn, arg: str) -> dt.date | None:
    if arg == "today":
        return turn.today
    if arg == "yesterday":
        return turn.today - dt.timedelta(days=1)
    return None


def ask_typed_date(turn: Turn) -> None:
    turn.say(
        turn._("Bạn gõ ngày theo dạng ngày/tháng, ví dụ {example}.").format(
            example=turn.tr.short_date(turn.today - dt.timedelta(days=2))
        )
    )


def date_from_text(turn: Turn) -> dt.date | None:
    """The typed day if valid; otherwise explain and return None (the caller asks again)."""
    _ = turn._
    example = turn.tr.short_date(turn.today - dt.timedelta(days=2))
    result = typed_day(turn.text, turn.today)
    if "invalid_date" in result.problems:
        turn.say(
            _("«{text}» không có trên lịch. Bạn gõ lại ngày theo dạng ngày/tháng, ví dụ {example}.").format(
                text=turn.text[:40], example=example
            )
        )
        return None
    if result.date is None:
        turn.say(
            _("Tôi chưa đọc được ngày «{text}». Bạn gõ theo dạng ngày/tháng, ví dụ {example}.").format(
                text=turn.text[:40], example=example
            )
        )
        return None
    return result.date if accept_date(turn, result.date) else None


def choosable_villages(turn: Turn) -> list[Village]:
    """The villages this person may log for: their own, or (commune admin) all of the commune's."""
    member = turn.require_member()
    if member.role == ROLE_COMMUNE_ADMIN and member.commune_code is not None:
        return villages_of(turn.session, member.commune_code)
    if member.village_id is not None:
        village = turn.session.get(Village, member.village_id)
        return [village] if village else []
    return []


def village_buttons(turn: Turn, flow: str, villages: list[Village]) -> list[list[Button]]:
    """The villages to choose from, two a row, a page at a time (the draft's ``village_page``): a commune
    with a hundred villages would pass Telegram's 100 buttons, and fill a phone screen long before."""
    pages = max(1, -(-len(villages) // VILLAGES_PER_PAGE))
    page = min(max(int(turn.data.get("village_page", 0)), 0), pages - 1)
    shown = villages[page * VILLAGES_PER_PAGE : (page + 1) * VILLAGES_PER_PAGE]
    rows: list[list[Button]] = []
    for index in range(0, len(shown), 2):
        rows.append([turn.button(v.name, flow, "village", str(v.id)) for v in shown[index : index + 2]])
    nav = []
    if page > 0:
        nav.append(turn.button(turn._("◀️ Trang trước"), flow, "village_page", str(page - 1)))
    if page + 1 < pages:
        nav.append(turn.button(turn._("Trang sau ▶️"), flow, "village_page", str(page + 1)))
    rows.append(nav)
    rows.append([turn.button(turn._("❌ Huỷ"), flow, "cancel")])
    return rows


def keep_village_page(turn: Turn, arg: str) -> None:
    """Keep the page of villages asked for in the draft (its question is then asked again)."""
    turn.goto(turn.step, village_page=id_arg(arg) or 0)


def village_by_id(turn: Turn, village_id: int) -> Village | None:
    """A village this person may log for, by id (scope check)."""
    for village in choosable_villages(turn):
        if village.id == village_id:
            return village
    return None


def number_refusal(turn: Turn, problem: str, number: str) -> str:
    """Why a number typed as a head-count is not accepted (the parser's problem codes), in plain words."""
    _ = turn._
    if problem == "negative_count":
        return _("Tôi không nhận số «{number}»: số người không thể là số âm.").format(number=number)
    if problem == "not_a_whole_number":
        return _("Tôi không nhận số «{number}»: số người phải là số nguyên, không có phần lẻ.").format(number=number)
    if problem == "number_range":
        return _("Tôi không nhận «{number}»: bạn cho biết một số người cụ thể, ví dụ 18.").format(number=number)
    return _("Tôi không nhận số «{number}»: bạn gõ số người bằng chữ số thường, ví dụ 15.").format(number=number)


def retry_attendees(turn: Turn) -> str:
    """The line asking again for the people who attended a session."""
    return turn._("Bạn gõ lại số người tham dự nhé.")


def retry_helped(turn: Turn) -> str:
    """The line asking again for the people helped with one kind of task."""
    return turn._("Bạn gõ lại số người được hỗ trợ nhé.")


def count_from_text(turn: Turn, maximum: int, retry: str | None = None) -> int | None:
    """A valid count from the message, or None after saying what is wrong and asking again (``retry``)."""
    _ = turn._
    again = retry or _("Bạn gõ lại số người nhé.")
    reading = read_count(turn.text)
    if reading.problem is not None:
        turn.say(number_refusal(turn, reading.problem, reading.text) + "\n" + again)
        return None
    if reading.value is None:
        turn.say(
            _("«{text}» chưa phải là một con số. Bạn gõ số người bằng chữ số, ví dụ 15.").format(text=turn.text[:40])
        )
        return None
    try:
        activity.check_count(reading.value, maximum)
    except DomainError as error:
        turn.say(explain(error, turn.tr) + "\n" + again)
        return None
    return reading.value


def day_label(turn: Turn, day: dt.date) -> str:
    """ "Thứ Tư, 25/11/2026"."""
    return f"{turn.tr.weekday(day)}, {turn.tr.date(day)}"


def summary_head(turn: Turn) -> list[str]:
    """The first lines of a draft's read-back, the same in every logging flow: its day and its village."""
    _ = turn._
    data = turn.data
    village = turn.session.get(Village, data["village_id"])
    return [
        _("📅 Ngày: {day}").format(day=day_label(turn, dt.date.fromisoformat(data["date"]))),
        _("🏘️ Thôn: {village}").format(village=village.name if village else "?"),
    ]


def behalf_candidates(turn: Turn) -> list[Member]:
    """Members a team lead (their village) or commune admin (their commune) may log for; never a removed one."""
    member = turn.member
    if member is None or member.role not in (ROLE_TEAM_LEAD, ROLE_COMMUNE_ADMIN):
        return []
    return activity.loggable_for(turn.session, member)


def behalf_line(turn: Turn) -> str:
    """The read-back line saying for whom an entry is logged, when not for oneself."""
    owner_id = turn.data.get("member_id")
    if not owner_id or turn.member is None or owner_id == turn.member.id:
        return ""
    owner = turn.session.get(Member, owner_id)
    return "\n" + turn._("👤 Ghi thay cho: {name}").format(name=owner.display_name if owner else "?")


def ask_behalf(turn: Turn, flow: str) -> None:
    """Let a lead or admin pick the member the entry belongs to."""
    _ = turn._
    rows = [[turn.button(m.display_name[:40], flow, "behalf_pick", str(m.id))] for m in behalf_candidates(turn)]
    rows.append([turn.button(_("Chính tôi"), flow, "behalf_pick", "me")])
    turn.say(_("Bạn ghi thay cho ai?"), rows)


def pick_behalf(turn: Turn, arg: str) -> None:
    """Record the chosen member (scope-checked) in the draft."""
    member_id = id_arg(arg)
    if arg == "me" or member_id is None:
        turn.state.data = {k: v for k, v in turn.data.items() if k != "member_id"}
        return
    allowed = {m.id for m in behalf_candidates(turn)}
    if member_id in allowed:
        turn.state.data = {**turn.data, "member_id": member_id}
    else:
        turn.say(turn._("Bạn chỉ ghi thay được cho thành viên trong địa bàn của mình."))


def behalf_button(turn: Turn, flow: str) -> list[Button]:
    if not behalf_candidates(turn):
        return []
    return [turn.button(turn._("👤 Ghi thay cho thành viên"), flow, "behalf")]


def say_read_back(turn: Turn, flow: str, text: str, extra_rows: Sequence[list[Button]] = ()) -> None:
    """A guided flow's read-back: what is understood, for whom, then «Đúng, lưu lại», the flow's own rows,
    «Sửa», «Huỷ», and logging on behalf for those who may."""
    _ = turn._
    turn.say(
        text + behalf_line(turn) + "\n\n" + _("Thông tin đã đúng chưa?"),
        [
            [turn.button(_("✅ Đúng, lưu lại"), flow, "save")],
            *extra_rows,
            [turn.button(_("✏️ Sửa"), flow, "fix"), turn.button(_("❌ Huỷ"), flow, "cancel")],
            behalf_button(turn, flow),
        ],
    )


def begin(turn: Turn, step: str, **data: object) -> bool:
    """Start a logging flow; a team member's village is preset. False (and said why) if there is no village."""
    turn.start_flow(step, **data)
    villages = choosable_villages(turn)
    if not villages:
        turn.end_flow()
        turn.say(turn._("Xã chưa có thôn nào. Cán bộ xã thêm thôn bằng lệnh /thon trước nhé."))
        return False
    in_group = group_village(turn)
    if in_group is not None:
        turn.goto(step, village_id=in_group.id)  # logged in a village's group: that village
    elif len(villages) == 1 and turn.member is not None and turn.member.role != ROLE_COMMUNE_ADMIN:
        turn.goto(step, village_id=villages[0].id)
    return True


def group_village(turn: Turn) -> Village | None:
    """The village whose group chat this turn happens in, when the person may log for it (else None)."""
    group, member = turn.group, turn.member
    if group is None or group.village_id is None or member is None:
        return None
    return next((v for v in choosable_villages(turn) if v.id == group.village_id), None)


@dataclass(frozen=True)
class LoggingFlow:
    """What the buttons every logging flow shares need of that flow: its prefix, its typed-day step, and how
    it asks the day, the village, the next missing part and the read-back."""

    flow: str
    date_text_step: str
    ask_date: Callable[[Turn], None]
    ask_village: Callable[[Turn], None]
    next_step: Callable[[Turn], None]
    read_back: Callable[[Turn], None]
    #: which step offers which button
    offered: Offered
    #: asks the current step's question again (after an old button)
    ask_again: Callable[[Turn], None]
    #: the flow's own buttons: action -> what it does
    buttons: Mapping[str, Callable[[Turn, str], None]]


def press(turn: Turn, flow: LoggingFlow, action: str, arg: str) -> None:
    """A button of a logging flow, taken only at the step that offered it: a shared one, else the flow's own."""
    if not offered(turn, action, flow.offered):
        return old_button(turn, flow.ask_again)
    shared = _SHARED.get(action)
    if shared is not None:
        return shared(turn, flow, arg)
    return flow.buttons[action](turn, arg)


def _cancel(turn: Turn, _flow: LoggingFlow, _arg: str) -> None:
    turn.end_flow()
    turn.say(turn._("Đã huỷ, chưa lưu gì."), main_menu(turn))


def _day_pressed(turn: Turn, flow: LoggingFlow, arg: str) -> None:
    """«Hôm nay», «Hôm qua» (checked against the rules), or «Ngày khác» (typed next)."""
    day = date_from_button(turn, arg)
    if day is None:
        turn.goto(flow.date_text_step)
        ask_typed_date(turn)
    elif accept_date(turn, day):
        turn.goto(turn.step, date=day.isoformat())
        flow.next_step(turn)
    else:
        flow.ask_date(turn)


def _village_pressed(turn: Turn, flow: LoggingFlow, arg: str) -> None:
    """A village this person may log for (checked again: a forged id of another commune is refused)."""
    village_id = id_arg(arg)
    village = village_by_id(turn, village_id) if village_id is not None else None
    if village is None:
        turn.say(turn._("Không tìm thấy thôn này trong xã của bạn."))
        flow.ask_village(turn)
    else:
        turn.goto(turn.step, village_id=village.id)
        flow.next_step(turn)


def _village_page(turn: Turn, flow: LoggingFlow, arg: str) -> None:
    keep_village_page(turn, arg)
    flow.ask_village(turn)


def _behalf_picked(turn: Turn, flow: LoggingFlow, arg: str) -> None:
    pick_behalf(turn, arg)
    flow.read_back(turn)


#: button action -> what it does, the same in every logging flow
_SHARED: dict[str, Callable[[Turn, LoggingFlow, str], None]] = {
    "cancel": _cancel,
    "date": _day_pressed,
    "village": _village_pressed,
    "village_page": _village_page,
    "behalf": lambda turn, flow, _arg: ask_behalf(turn, flow.flow),
    "behalf_pick": _behalf_picked,
}


def saved_in_group(turn: Turn) -> bool:
    """In a group, what was saved is said in one short line (the read-back above it shows the details, and the
    group does not need the menu); False in a private chat, where the full confirmation follows."""
    if turn.group is None:
        return False
    name = turn.member.display_name if turn.member is not None else ""
    turn.say(turn._("✅ Đã lưu. Cảm ơn {name}!").format(name=name).replace(" !", "!"))
    return True
