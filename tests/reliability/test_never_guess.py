"""The bot never guesses: every impossible day and every number that is not a head-count, table-driven.

Each shape goes through `parse_report` (no date, or no count, and the right problem code; none of its digits
become a count) and through the real conversation engine: on Telegram as a one-line report, as the typed day
of the guided flow and as the typed count of both guided flows; on Zalo (the same handlers behind numbered
choices) as a one-line report. Each time nothing is saved, the answer
names what it refused and asks for it again, no read-back with a made-up value is shown; answering properly then
gives a read-back with the answer. Prints «never-guess: N inputs, 0 guessed» for the parser and the engine.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from bot.nlu.parser import NUMBER_PROBLEMS, ParsedReport, parse_report
from handlers.router import route
from storage.db import Database
from storage.models import HelpRecord, TrainingSession
from tests.chat import ChatDriver, Sent
from tests.handlers.test_flows import MEMBER, setup_commune

pytestmark = pytest.mark.reliability

TODAY = dt.date(2026, 11, 25)  # the clock of tests/conftest.py
TODAY_SHOWN = "25/11/2026"

#: Days that are not on the calendar, as people type them (with the text the bot must name).
IMPOSSIBLE_DAYS: list[str] = [
    "30/02",
    "31/02",
    "30/2",
    "29/02/2026",
    "29/2/2025",
    "31/04",
    "31/4",
    "31/06",
    "31/09",
    "31/11",
    "ngày 30/02",
    "ngày 31/04",
    "hôm 31/06",
    "ngày 32/1",
    "ngày 0/5",
    "ngày 15/13",
    "ngày 15/20",
    "32/1",
    "32/12",
    "0/5",
    "15/13",
    "12/13",
    "30/13/2026",
    "31/04/2026",
    "31-04",
    "31.04",
    "ngày 31 tháng 4",
    "ngay 31 thang 4",
    "ngày 30 tháng 2",
    "ngày 31 tháng 11 năm 2026",
    "ngày 15 tháng 13",
    "ngày 32",
    "ngày 0",
    "32 tháng 1",
    "0 tháng 5",
    "tháng 13",
    "thứ 8",
    "thứ 1",
]

#: Numbers that are not one whole positive head-count, with the problem codes that may name them.
BAD_NUMBERS: list[tuple[str, tuple[str, ...]]] = [
    ("-5", ("negative_count",)),
    ("-12", ("negative_count",)),
    ("\u22125", ("negative_count",)),
    ("\u20137", ("negative_count",)),
    ("-1.234", ("negative_count",)),
    ("3.5", ("not_a_whole_number",)),
    ("3,5", ("not_a_whole_number",)),
    ("12,75", ("not_a_whole_number",)),
    ("0,5", ("not_a_whole_number",)),
    ("2.50", ("not_a_whole_number",)),
    ("-3,5", ("negative_count",)),
    ("1e18", ("scientific_number",)),
    ("2E5", ("scientific_number",)),
    ("1e3", ("scientific_number",)),
    ("1.5e3", ("scientific_number",)),
    ("3e+2", ("scientific_number",)),
    ("5E-1", ("scientific_number",)),
    ("15-20", ("number_range",)),
    ("15 - 20", ("number_range",)),
    ("15\u201320", ("number_range",)),
    ("15 đến 20", ("number_range",)),
    ("23/30", ("number_range",)),
    ("3/204", ("number_range",)),
]

#: One-line reports around a day or a number ({day}, {n}); the count or day elsewhere in them is fine.
DAY_LINES = ["{day} thôn 2 học vneid 11 người", "{day} giúp 4 người kích hoạt mức 2"]
NUMBER_LINES = [
    "hôm qua thôn 2 học VNeID {n} người",
    "hôm qua học dịch vụ công {n}",
    "hôm qua giúp {n} người kích hoạt mức 2",
    "hôm qua học VNeID 20 người, giúp {n} người nộp hồ sơ DVC",
]
NO_UNIT_LINE = NUMBER_LINES[1]
#: "3.5" with no unit after it is a day written like "12.11" (3 May), as documented in bot/nlu/dates.py
DATE_SHAPED = re.compile(r"^\d{1,2}\.\d{1,2}$")


def number_lines(number: str) -> list[str]:
    """The one-line templates a number shape is tried in (a day-shaped one needs its unit)."""
    return [line for line in NUMBER_LINES if not (line == NO_UNIT_LINE and DATE_SHAPED.match(number))]


class Tally:
    """Inputs tried and inputs guessed, with what went wrong for the failure message."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.inputs = 0
        self.guesses: list[str] = []

    def check(self, ok: bool, what: str) -> None:
        self.inputs += 1
        if not ok:
            self.guesses.append(what)

    def report(self) -> None:
        print(f"\nnever-guess ({self.name}): {self.inputs} inputs, {len(self.guesses)} guessed", flush=True)
        assert self.inputs > 0, f"{self.name}: nothing was tried"
        assert self.guesses == [], "\n".join(self.guesses[:20])


# --- the parser ---------------------------------------------------------------------------------


def _counts(parsed: ParsedReport) -> list[int | None]:
    session = [parsed.session.attendees] if parsed.session is not None else []
    return session + [h.count for h in parsed.help]


def test_parser_never_guesses_a_day_or_a_count() -> None:
    tally = Tally("parser")
    for day in IMPOSSIBLE_DAYS:
        for line in DAY_LINES:
            text = line.format(day=day)
            parsed = parse_report(text, TODAY)
            json = parsed.to_json()
            ok = (
                parsed.intent == "log"
                and parsed.date is None
                and json["date"] is None
                and "invalid_date" in json["problems"]
                and sorted(_counts(parsed)) in ([11], [4])
            )
            tally.check(ok, f"{text!r} -> {json}")
    for number, codes in BAD_NUMBERS:
        for line in number_lines(number):
            text = line.format(n=number)
            parsed = parse_report(text, TODAY)
            json = parsed.to_json()
            refused = [p for p in json["problems"] if p in NUMBER_PROBLEMS]
            counts = _counts(parsed)
            ok = (
                parsed.intent == "log"
                and None in counts
                and bool(refused)
                and set(refused) <= set(codes)
                and all(c is None or c == 20 for c in counts)
                and parsed.date == TODAY - dt.timedelta(days=1)
            )
            tally.check(ok, f"{text!r} -> {json}")
    tally.report()


# --- the engine ---------------------------------------------------------------------------------


def _saved(database: Database) -> int:
    with database.session() as session:
        sessions = session.exec(select(func.count()).select_from(TrainingSession)).one()
        helps = session.exec(select(func.count()).select_from(HelpRecord)).one()
    return int(sessions) + int(helps)


def _said(replies: list[Sent]) -> str:
    return "\n".join(r.text for r in replies)


def _no_read_back(replies: list[Sent]) -> bool:
    said = _said(replies)
    return "Tôi hiểu là" not in said and "Thông tin đã đúng chưa?" not in said and "Đã lưu" not in said


class Conversation:
    """One person's chat with the engine, reset before each input."""

    def __init__(self, chat: ChatDriver, database: Database) -> None:
        self.chat = chat
        self.database = database

    def fresh(self) -> None:
        self.chat.say(MEMBER, "/huy")

    def choose(self, replies: list[Sent], label: str) -> list[Sent]:
        """Press a button (Telegram), or answer with its number (Zalo)."""
        message = next(r for r in reversed(replies) if r.buttons)
        if self.chat.channel == "telegram":
            return self.chat.press(MEMBER, message, label)
        index = next(i for i, b in enumerate(message.buttons) if label in b.label)
        return self.chat.say(MEMBER, str(index + 1))

    def to_typed_day(self) -> None:
        self.fresh()
        self.choose(self.chat.say(MEMBER, "/ghibuoi"), "Ngày khác")

    def to_attendees(self) -> None:
        self.fresh()
        replies = self.choose(self.chat.say(MEMBER, "/ghibuoi"), "Hôm qua")
        replies = self.choose(replies, "VNeID")
        self.choose(replies, "Xong")

    def to_help_count(self) -> None:
        self.fresh()
        replies = self.choose(self.chat.say(MEMBER, "/ghigiup"), "Hôm qua")
        self.choose(replies, "mức 2")


def _one_line_day(talk: Conversation, tally: Tally, day: str, line: str) -> None:
    talk.fresh()
    replies = talk.chat.say(MEMBER, line.format(day=day))
    said = _said(replies)
    ok = "không có trên lịch" in said and f"«{day}»" in said and "ngày nào" in replies[-1].text
    ok = ok and _no_read_back(replies) and TODAY_SHOWN not in said
    replies = talk.choose(replies, "Hôm qua")
    ok = ok and "Tôi hiểu là" in replies[-1].text and "24/11/2026" in replies[-1].text
    tally.check(ok and _saved(talk.database) == 0, f"one line {line.format(day=day)!r}: {said!r}")


def _one_line_number(talk: Conversation, tally: Tally, number: str, line: str) -> None:
    talk.fresh()
    replies = talk.chat.say(MEMBER, line.format(n=number))
    said = _said(replies)
    ok = f"«{number}»" in said and "bao nhiêu người" in replies[-1].text and _no_read_back(replies)
    replies = talk.chat.say(MEMBER, "7")
    ok = ok and "Tôi hiểu là" in replies[-1].text and "7 người" in replies[-1].text
    tally.check(ok and _saved(talk.database) == 0, f"one line {line.format(n=number)!r}: {said!r}")


def _typed(
    talk: Conversation, tally: Tally, go: Callable[[], None], typed: str, expect: str, answer: str, after: str
) -> None:
    go()
    replies = talk.chat.say(MEMBER, typed)
    said = _said(replies)
    ok = expect in said and _no_read_back(replies)
    replies = talk.chat.say(MEMBER, answer)
    ok = ok and after in _said(replies)
    tally.check(ok and _saved(talk.database) == 0, f"typed {typed!r} at {go.__name__}: {said!r}")


@pytest.mark.parametrize("part", ["days", "counts in a line", "counts asked for"])
@pytest.mark.parametrize("channel", ["telegram", "zalo"])
def test_engine_never_guesses_a_day_or_a_count(
    database: Database, config: Config, clock: FixedClock, channel: str, part: str
) -> None:
    """Every impossible day, in one line and at the guided step that asks for it, and every unreadable count, in
    one line and at the guided steps: asked about, nothing saved. In three parts, shared by the test processes."""
    chat = ChatDriver(ConversationEngine(database, config, clock, route), database)
    setup_commune(chat, database, clock)  # on Telegram; the member then writes from the channel under test
    if channel == "zalo":
        chat = _zalo_member(chat, database, config, clock)
    talk = Conversation(chat, database)
    tally = Tally(f"engine, {channel}, {part}")
    guided = channel == "telegram"  # the guided steps are the same handlers on Zalo: every shape once is enough
    for day in IMPOSSIBLE_DAYS if part == "days" else ():
        _one_line_day(talk, tally, day, DAY_LINES[0])
        if guided:
            _typed(talk, tally, talk.to_typed_day, day, "không có trên lịch", "20/11", "nội dung")
    for number, _codes in BAD_NUMBERS:
        for line in number_lines(number) if part == "counts in a line" else ():
            _one_line_number(talk, tally, number, line)
        if guided and part == "counts asked for":
            _typed(
                talk,
                tally,
                talk.to_attendees,
                number,
                "Bạn gõ lại số người tham dự nhé.",
                "7",
                "Thông tin đã đúng chưa?",
            )
            _typed(
                talk,
                tally,
                talk.to_help_count,
                number,
                "Bạn gõ lại số người được hỗ trợ nhé.",
                "7",
                "Thông tin đã đúng chưa?",
            )
    for zero in ("0", "0 người") if part == "counts asked for" else ():
        _typed(talk, tally, talk.to_attendees, zero, "từ 1 trở lên", "7", "Thông tin đã đúng chưa?")
    tally.report()


def _zalo_member(chat: ChatDriver, database: Database, config: Config, clock: FixedClock) -> ChatDriver:
    """The same member on Zalo: linked with /lienket, so the Zalo account logs for Thôn 2."""
    replies = chat.say(MEMBER, "/lienket")
    code = next(
        word for word in _said(replies).replace("«", " ").replace("»", " ").split() if word.isdigit() and len(word) == 8
    )
    zalo = ChatDriver(ConversationEngine(database, config, clock, route), database, channel="zalo")
    replies = zalo.say(MEMBER, code)
    assert "Đã liên kết" in _said(replies), _said(replies)
    return zalo
