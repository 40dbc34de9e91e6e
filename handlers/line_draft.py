"""A one-line report's draft: the line as the parser reads it, what it says was refused, the village it is for,
what the draft still lacks, and the draft told back in full.

The questions and the saving around the draft are handlers/freetext.py's flow; nothing here asks or saves.
"""

from __future__ import annotations

from typing import Any

from bot.nlu.parser import NUMBER_PROBLEMS, ParsedReport, parse_report
from handlers import log_steps as steps
from handlers import programme_log
from handlers.base import Turn
from storage.areas import find_village, village_names
from storage.models import Village
from storage.vocab import HELP_KINDS, TOPICS, VILLAGE_ROLES


def examples(turn: Turn) -> str:
    _ = turn._
    return "\n".join(
        [
            _("Ví dụ:"),
            _("• «tối qua thôn 3 học cài VNeID 23 người»"),
            _("• «hôm nay giúp 10 người kích hoạt mức 2 và 5 người nộp hồ sơ DVC»"),
        ]
    )


def parse(turn: Turn) -> ParsedReport:
    """The message read by the one-line parser, with the commune's villages for their spelling."""
    member = turn.member
    commune = member.commune_code if member is not None else None
    names = village_names(turn.session, commune) if commune else []
    # a province that runs no programme sees nothing new: its lines are read as they always were
    return parse_report(turn.text, turn.today, names, programmes=bool(programme_log.enabled_ids(turn)))


def refusal_notes(turn: Turn, parsed: ParsedReport) -> list[str]:
    """One line for each day or number of the message that was not accepted."""
    _ = turn._
    notes: list[str] = []
    for item in parsed.unreadable:
        if item.problem == "invalid_date":
            notes.append(
                _("Tôi không đọc được ngày trong tin nhắn: «{text}» không có trên lịch.").format(text=item.text)
            )
        elif item.problem in NUMBER_PROBLEMS:
            notes.append(steps.number_refusal(turn, item.problem, item.text))
    if "two_dates" in parsed.problems:
        notes.append(
            _("Tin nhắn có hai ngày khác nhau, tôi không đoán: bạn chọn ngày của buổi này (mỗi buổi ghi một lần).")
        )
    return notes


def is_whole_report(parsed: ParsedReport) -> bool:
    """A log naming a kind of help, or a session's topic with its count (even one refused) or its day or village."""
    if parsed.intent != "log":
        return False
    named = parsed.date_named or parsed.village is not None
    if any(h.kind != "other" or named for h in parsed.help):
        return True
    if any(p.count is not None for p in parsed.programmes):
        return True
    session = parsed.session
    if session is None or not session.topics:
        return False
    refused = any(p in NUMBER_PROBLEMS for p in parsed.problems)
    return session.attendees is not None or refused or named


def resolve_village(turn: Turn, named: str | None, notes: list[str]) -> Village | None:
    """The member's own village for team members; the named one for a commune admin."""
    _ = turn._
    member = turn.require_member()
    in_group = steps.group_village(turn)
    if in_group is not None and (not named or find_village(turn.session, in_group.commune_code, named) is None):
        return in_group  # logged in a village's group: that village, unless the line names another one
    if member.role in VILLAGE_ROLES:
        own = turn.session.get(Village, member.village_id) if member.village_id else None
        if named and own and find_village(turn.session, own.commune_code, named) != own:
            notes.append(
                _("Bạn thuộc {own} nên tôi ghi cho {own}, không ghi cho «{named}».").format(own=own.name, named=named)
            )
        return own
    if named and member.commune_code is not None:
        village = find_village(turn.session, member.commune_code, named)
        if village is None:
            notes.append(_("Xã chưa có «{named}» trong danh sách thôn. Bạn chọn thôn bên dưới.").format(named=named))
        return village
    return None


def incomplete(data: dict[str, Any]) -> bool:
    """Whether the draft still lacks its day, village, topics or a count (so it cannot be saved)."""
    if "date" not in data or "village_id" not in data:
        return True
    if data.get("has_session") and (not data.get("topics") or "attendees" not in data):
        return True
    if programme_log.missing_slot(data) is not None:
        return True
    return any(count is None for _kind, count in data.get("items", []))


def summary(turn: Turn) -> str:
    """Everything understood, in full sentences-like lines."""
    _ = turn._
    data = turn.data
    lines = steps.summary_head(turn)
    if data.get("has_session"):
        lines.append(
            _("📝 Buổi sinh hoạt: {topics} — {n} người tham dự").format(
                topics="; ".join(_(TOPICS[t]) for t in data["topics"]), n=turn.tr.number(data["attendees"])
            )
        )
    if data.get("items"):
        lines.append(_("🤝 Người được hỗ trợ:"))
        for kind, count in data["items"]:
            lines.append(_("• {kind}: {n} người").format(kind=_(HELP_KINDS[kind]), n=turn.tr.number(count)))
    lines.extend(programme_log.summary_lines(turn, data))
    if data.get("evidence"):
        lines.append(_("📎 Kèm {n} ảnh").format(n=turn.tr.number(len(data["evidence"]))))
    return "\n".join(lines) + steps.behalf_line(turn)
