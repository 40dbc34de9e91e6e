"""Routing one turn: a command, a button, the current step of a flow, or free text."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from handlers import (
    admin,
    common,
    corrections,
    evidence,
    freetext,
    groups,
    line_draft,
    linking,
    log_help,
    log_session,
    monthly_report,
    programmes,
    questions,
    reminder_delivery,
    report_reopen,
    sheet_import,
    supervision,
    villages,
    web_link,
    week,
)
from handlers import indicators as indicator_handlers
from handlers import members as member_handlers
from handlers import progress as progress_handlers
from handlers import province as province_handlers
from handlers import reminders as reminder_handlers
from handlers.base import IDLE, ROUTE_AGAIN, ButtonData, Routing, Turn
from handlers.menu import commands_for

# command -> handler(turn, argument)
COMMANDS: dict[str, Callable[[Turn, str], None]] = {
    "start": linking.start,  # a link code (/lienket), else onboarding.start
    "help": lambda turn, _arg: common.show_help(turn, programmes.running_line),
    "huy": lambda turn, _arg: common.cancel(turn),
    "cancel": lambda turn, _arg: common.cancel(turn),
    "lang": lambda turn, _arg: common.choose_language(turn),
    "ghibuoi": lambda turn, _arg: log_session.start(turn),
    "ghigiup": lambda turn, _arg: log_help.start(turn),
    "tuannay": lambda turn, _arg: week.show_week(turn),
    "sua": lambda turn, _arg: corrections.start(turn, "edit"),
    "xoa": lambda turn, _arg: corrections.start(turn, "delete"),
    "thon": villages.villages,
    "moi": lambda turn, _arg: admin.invite(turn),
    "lienket": linking.command,
}
ALWAYS = {"start", "help", "huy", "cancel", "lang", "lienket"}
COMMANDS["nhacnho"] = reminder_handlers.show
KEEP_FLOW = {"help", "huy", "cancel", "lang"}  # these do not drop a half-done flow by themselves
# Progress, indicators and reports (issue 5).
COMMANDS.update(
    {
        "tiendo": progress_handlers.show,
        "baocao": monthly_report.show,
        "chiso": indicator_handlers.figures_command,
        "chitieu": indicator_handlers.targets_command,
        "tinh": province_handlers.show,
        "molai": report_reopen.reopen_command,
    }
)
COMMANDS["thanhvien"] = member_handlers.show  # members of the area, remove (issue 10)
# In a group, bind it to the commune or a village (the command says who may); in a commune admin's private chat,
# choose where the commune's reminders go (its groups, each person, or both).
COMMANDS["nhom"] = reminder_delivery.command
ALWAYS.add("nhom")
# A province's programmes: its viewer turns them on (their menu has it); the people of its communes may type it to
# see which run (read-only), so it is not kept to one role's menu; the handler says who may do what.
COMMANDS["chuongtrinh"] = programmes.show
ALWAYS.add("chuongtrinh")
COMMANDS["web"] = web_link.command  # a one-time link to the leaders' page (issue 14)
# Supervision in chat (issue 14): the month's entries worth a second look, and the honour roll.
COMMANDS["kiemtra"] = supervision.command
COMMANDS["bieuduong"] = supervision.honour
ALIASES = {"giamsat": "kiemtra"}  # another Vietnamese word for the same thing


class Flow(NamedTuple):
    """What a flow does with a press of one of its buttons, and with a message typed at one of its steps."""

    on_button: Callable[[Turn, str, str], None]
    #: returns ROUTE_AGAIN when the message is not for the step: the flow ends and the message is routed anew
    on_text: Callable[[Turn], Routing | None]


# flow prefix -> its handlers
FLOWS: dict[str, Flow] = {
    log_session.FLOW: Flow(log_session.on_button, log_session.on_text),
    log_help.FLOW: Flow(log_help.on_button, log_help.on_text),
    admin.FLOW: Flow(admin.on_button, admin.on_text),
    corrections.FLOW: Flow(corrections.on_button, corrections.on_text),
    evidence.FLOW: Flow(evidence.on_button, evidence.on_text),
    freetext.FLOW: Flow(freetext.on_button, freetext.on_text),
    reminder_handlers.FLOW: Flow(reminder_handlers.on_button, reminder_handlers.on_text),
    progress_handlers.FLOW: Flow(progress_handlers.on_button, progress_handlers.on_text),
    indicator_handlers.FLOW: Flow(indicator_handlers.on_button, indicator_handlers.on_text),
    monthly_report.FLOW: Flow(monthly_report.on_button, monthly_report.on_text),
    province_handlers.FLOW: Flow(province_handlers.on_button, province_handlers.on_text),
    member_handlers.FLOW: Flow(member_handlers.on_button, member_handlers.on_text),
    groups.FLOW: Flow(groups.on_button, groups.on_text),
    reminder_delivery.FLOW: Flow(reminder_delivery.on_button, reminder_delivery.on_text),
    sheet_import.FLOW: Flow(sheet_import.on_button, sheet_import.on_text),
    programmes.FLOW: Flow(programmes.on_button, programmes.on_text),
}


def route(turn: Turn) -> None:
    """Send the turn to the handler it belongs to; in a group, a question waiting for typing asks for a reply."""
    _route(turn)
    groups.after_turn(turn)


def _route(turn: Turn) -> None:
    incoming = turn.incoming
    if groups.handles(turn):  # a group's events, talk not for the bot, strangers, another person's button
        return None
    if incoming.payload:
        return _route_button(turn, ButtonData.unpack(incoming.payload))
    if incoming.document is not None:  # a spreadsheet to import (a commune admin's), whatever its caption
        return sheet_import.on_file(turn)
    if incoming.photo_file_id and turn.member is not None and not turn.text:
        return evidence.on_photo(turn)
    text = turn.text
    if text.startswith("/"):
        return _route_command(turn, text)
    if not text:
        turn.say(turn._("Tôi chỉ đọc được tin nhắn chữ. Bạn gõ /help để xem hướng dẫn."))
        return
    if turn.member is None:
        return linking.on_code_text(turn)  # a link code, else onboarding.on_code_text
    flow = turn.step.split(".", 1)[0]
    if turn.step != IDLE and flow in FLOWS:
        if FLOWS[flow].on_text(turn) is not ROUTE_AGAIN:
            return None
        turn.end_flow()  # a view that takes no typing: the message is routed as if no flow were open
    if indicator_handlers.is_figures_line(turn):  # «vneid 1234/5000» from a commune admin
        return indicator_handlers.quick_entry(turn)
    return _route_free_text(turn)


def _route_free_text(turn: Turn) -> None:
    """A plain message outside any flow: a question goes to the answers, anything else to the one-line reader."""
    parsed = line_draft.parse(turn)
    if parsed.intent == "query":
        return questions.answer(turn, parsed)
    return freetext.read_line(turn, parsed)


def _route_command(turn: Turn, text: str) -> None:
    word, _, argument = text[1:].partition(" ")
    name = word.split("@", 1)[0].lower()
    name = ALIASES.get(name, name)
    handler = COMMANDS.get(name)
    if handler is None:
        return common.unknown_command(turn)
    if name not in ALWAYS and name not in commands_for(turn.member.role if turn.member else None):
        return common.not_allowed(turn)
    if name not in KEEP_FLOW:
        turn.end_flow()  # a command starts afresh; whatever was half-done is dropped
    handler(turn, argument.strip())


def _route_button(turn: Turn, button: ButtonData) -> None:
    """A pressed button: the menu's and the language's, else the flow in progress if the button is its own."""
    if button.flow == common.FLOW:
        if button.action == "lang":
            return common.set_language(turn, button.arg)
        if button.action == "go" and button.arg in COMMANDS:
            return _route_command(turn, "/" + button.arg)
        return common.stale_button(turn)
    if button.flow not in FLOWS or turn.member is None:
        return common.stale_button(turn)
    if turn.step.split(".", 1)[0] != button.flow or turn.data.get("nonce") != button.nonce:
        return common.stale_button(turn)
    return FLOWS[button.flow].on_button(turn, button.action, button.arg)
