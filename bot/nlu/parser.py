"""Entry point: turn one free-text report into a :class:`ParsedReport`.

Pipeline (pure, no I/O; every table is built at import time):

1. :func:`~bot.nlu.normalize.tokenize` - tokens with accented/folded forms;
   numeric dates, clock times and percentages become their own tokens.
1b. :func:`~bot.nlu.programmes.claim_programmes` - the words of provinces' programmes that village members
   log (the catalog's, folded) and a mentor's name after them; bound to a count of their clause after stage 5
   (:mod:`bot.nlu.programmes`), reported in ``programmes``; a count whose people word names a priority group
   ("15 người cao tuổi") is a breakdown of a session's attendees, ``priority_groups``.
2. :func:`~bot.nlu.dates.find_dates` - the day; claims date/month/year
   digits and ordinals ("buổi thứ 2").
3. :func:`~bot.nlu.villages.find_village` - the village; claims its number.
4. Lexicon phrases (:mod:`bot.nlu.phrases`, table in :mod:`bot.nlu.lexicon`), longest match first.
5. Counts (:mod:`bot.nlu.counts`): a number (digits or words) not claimed above, not a label
   ("mức 2", "lần 2"), not followed by a non-person unit ("2 buổi",
   "50k"), optionally followed by a people unit ("người", "lượt", "hộ"...).
6. Clauses (:mod:`bot.nlu.clauses`, :mod:`bot.nlu.segments`): split on , ; . + ! ? newline " và " and " - ", then
   * split again before a help verb / session word once the current part
     already holds a complete item ("học 20 người giúp 5 người ..."),
   * merge count-less parts into a neighbour ("học VNeID, 23 người";
     "giúp 10 người cài VNeID và kích hoạt mức 2"),
   * split parts holding several counts by word order ("giúp 10 người
     kích hoạt mức 2 5 người nộp hồ sơ").
7. Interpretation (:mod:`bot.nlu.interpret`): each clause with a count is a *help* clause (help verb, or an action
   word without a strong session word) or a *session* clause (session
   word, or a topic word), see :mod:`bot.nlu.lexicon` for the decisions.

Negation: "chưa", "không", "ko", "k", "hoãn", "hủy", "nghỉ" right before a
kind/session phrase drops that clause ("5 người chưa kích hoạt được" and
"hoãn lớp học VNeID" report nothing; problem ``negated_item`` when the
clause had a count).

Aggregation: several session clauses are merged (topics in order, attendee
counts added, problem ``multiple_sessions``); help items of the same kind
are added up, in order of first mention.

Intent: ``log`` when at least one counted item was found, or when a
session with a topic but no head count is reported for today or earlier
("tối qua thôn 3 học VNeID": attendees None, problem
``session_without_count``); else ``query`` when the text has "?" or a
question word; else ``unknown``.  Non-log results carry no date, session
or help items, but keep the village.  A log that names no day is dated
``today``; a named future day is kept and flagged ``future_date``.

Never guessed: a day that is not on the calendar ("30/02", "31/04",
"ngày 31 tháng 4", "32/1", "tháng 13") leaves ``date`` None with the problem
``invalid_date``; two different days give none and ``two_dates`` (which one is
asked); only a log that names no day at all is dated today.  A number that
is not a whole positive head-count takes the place of the count it stands
for but gives none (``attendees`` / ``count`` None, so the caller asks):
``negative_count`` ("-5 người"; a minus glued to the digits and not glued
to a word or number before it, see :mod:`bot.nlu.normalize`),
``not_a_whole_number`` ("3.5 người", "3,5 người", "học VNeID 3,5"),
``scientific_number`` ("1e18", "2E5 người"), ``number_range`` (a range or a
share: "15-20 người", "15 - 20 người", "15 đến 20 người", "23/30 người":
which number is meant is asked, not picked).  Thousands separators ("1.234
người" = 1234), dates ("12/11"), labels ("t9", "9a", "lớp 9 - 20 người") and
money ("50k") are read as before, and a dash with no number before it is a
separator ("học VNeID - 20 người" = 20).  Characters that do not show
(zero-width spaces, bidi marks) are dropped first, so "5\u200b0" is 50.  Refused numbers are found by
:mod:`bot.nlu.refusals`; :attr:`ParsedReport.unreadable` pairs each such problem with the text
it was about, so the caller can say which day or number it could not accept.

The result types live in :mod:`bot.nlu.report` and are re-exported here.

Problem codes: ``count_without_kind``, ``kind_without_count``,
``session_without_count``, ``negated_item``, ``multiple_sessions``,
``future_date``, ``invalid_date``, ``negative_count``,
``not_a_whole_number``, ``scientific_number``, ``number_range``, ``empty``,
``priority_group_over_attendees`` (a priority group larger than the session's attendees: never trimmed),
``several_sessions`` (the line says it holds more than one session, «3 buổi 20 người»: one line is one
session, so whose attendees the count is is asked, never guessed).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from bot.nlu.clauses import Scan, build_clauses
from bot.nlu.counts import find_counts
from bot.nlu.dates import DateResult, find_dates
from bot.nlu.elements import Count
from bot.nlu.interpret import Outcome, combine_sessions, interpret
from bot.nlu.lexicon import PhraseMatch
from bot.nlu.normalize import Token, span_text, tokenize
from bot.nlu.phrases import match_phrases
from bot.nlu.programmes import ProgrammeFigure, bind_groups, bind_programmes, claim_programmes, refused_before
from bot.nlu.refusals import refused_counts, refused_ranges
from bot.nlu.report import NUMBER_PROBLEMS, HelpItem, ParsedReport, ProgrammeItem, SessionPart, Unreadable
from bot.nlu.segments import segment
from bot.nlu.villages import claim_area_numbers, find_village

__all__ = [
    "NUMBER_PROBLEMS",
    "Attendance",
    "HelpItem",
    "ParsedReport",
    "ProgrammeItem",
    "SessionPart",
    "Unreadable",
    "parse_report",
    "read_attendance",
]


def _accented(tokens: Sequence[Token]) -> bool:
    """Whether the message is typed with diacritics (a third of its words or more)."""
    words = [t for t in tokens if t.kind == "word" and len(t.fold) > 1]
    if not words:
        return False
    return sum(1 for t in words if not t.plain) / len(words) >= 0.35


def parse_report(
    text: str, today: _dt.date, village_names: Sequence[str] = (), *, programmes: bool = True
) -> ParsedReport:
    """Parse one report message.

    ``today`` anchors relative dates; ``village_names`` (the commune's
    villages, accented) lets the parser return the stored spelling.
    ``programmes=False`` reads it as before programmes and priority groups
    existed (for a province that runs none, which sees nothing new).
    """
    tokens = tokenize(text or "")
    if not any(t.kind in ("word", "num", "date", "pair", "neg", "sci", "dec") for t in tokens):
        return ParsedReport("unknown", None, False, None, None, [], ["empty"])

    accented = _accented(tokens)
    mentions = (
        claim_programmes(tokens) if programmes else []
    )  # before every other stage: "buổi 4T" is a programme, not a session
    dres = find_dates(tokens, today)
    village = find_village(tokens, village_names, accented)
    claim_area_numbers(tokens, accented)  # "xã Sơn Kim 1": a name, not one person
    phrases = match_phrases(tokens)
    phrase_at = {m.start: m for m in phrases}
    ranges, unreadable_ranges = refused_ranges(tokens, phrase_at)
    counts = find_counts(tokens, phrase_at, accented)
    refused, unreadable = refused_counts(tokens, phrase_at)
    for count in refused_before(tokens, mentions):
        refused.append(count)
        unreadable.append(Unreadable(str(count.problem), span_text(tokens, count.start, count.end)))
    counts = sorted(counts + ranges + refused, key=lambda c: c.start)
    unreadable = sorted(unreadable + unreadable_ranges, key=lambda u: text.find(u.text))
    figures, taken = bind_programmes(tokens, mentions, counts, phrase_at)
    counts = [c for c in counts if not any(c is t for t in taken)]
    skip = {k for c in taken for k in range(c.start, c.end)}
    future_day = dres.date is not None and dres.date > today
    scan = build_clauses(tokens, phrase_at, counts, frozenset(skip))
    outcome = interpret(segment(scan.clauses), future_day)
    groups: dict[str, int | None] = {}
    if programmes:
        scan, outcome, groups = _with_groups(tokens, phrase_at, counts, skip, future_day, scan, outcome)

    problems = list(dres.problems) + [u.problem for u in unreadable] + outcome.problems
    unreadable = [Unreadable("invalid_date", text) for text in dres.invalid_texts] + unreadable
    session = combine_sessions(outcome.sessions, problems)
    if session is not None and outcome.refused_session:
        session.attendees = None
    if session is not None and _several_sessions(tokens):
        problems.append("several_sessions")  # «3 buổi 20 người»: never one session of 20; the caller asks
    total = session.attendees if session is not None else None
    if total is not None and any(n is not None and n > total for n in groups.values()):
        problems.append("priority_group_over_attendees")  # never trimmed: the caller asks again
    help_items = outcome.help
    intent = _intent(outcome, scan, bool(figures), session is not None)
    if intent != "log":
        session, help_items, figures, groups = None, [], [], {}
        problems = [p for p in problems if p != "session_without_count"]
    dedup = list(dict.fromkeys(problems))
    return ParsedReport(
        intent=intent,
        date=_report_date(intent, dres, today),
        date_named=dres.named or "invalid_date" in dres.problems,
        village=village,
        session=session,
        help=help_items,
        problems=dedup,
        unreadable=unreadable,
        programmes=[_item(f) for f in figures],
        priority_groups=groups,
    )


def _with_groups(
    tokens: Sequence[Token],
    phrase_at: dict[int, PhraseMatch],
    counts: list[Count],
    skip: set[int],
    future_day: bool,
    scan: Scan,
    outcome: Outcome,
) -> tuple[Scan, Outcome, dict[str, int | None]]:
    """The reading with priority groups ("23 người, 15 người cao tuổi"): the groups' counts taken out of the
    session, and each group's number. A breakdown of attendees only when the rest still holds a session with its
    head-count; else the reading given, with no group."""
    groups: dict[str, int | None] = {}
    group_counts = [g for g in bind_groups(tokens, counts) if g[1].start not in skip]
    if not group_counts:
        return scan, outcome, groups
    rest = [c for c in counts if not any(c is g[1] for g in group_counts)]
    group_skip = skip | {k for _, c, end in group_counts for k in range(c.start, max(end, c.end))}
    grouped_scan = build_clauses(tokens, phrase_at, rest, frozenset(group_skip))
    grouped = interpret(segment(grouped_scan.clauses), future_day)
    if not (grouped.sessions and not grouped.help and all(s.attendees is not None for s in grouped.sessions)):
        return scan, outcome, groups
    for group, count, _ in group_counts:
        known = groups.get(group, 0)
        groups[group] = None if known is None or count.value is None else known + count.value
    return grouped_scan, grouped, groups


def _intent(outcome: Outcome, scan: Scan, figures: bool, session: bool) -> str:
    """``log``, ``query`` or ``unknown`` (see the module docstring): a counted item or a programme's figure is
    a log unless a question is asked; a question is a query; a session without a count is a log."""
    asked = scan.has_question or scan.query_words
    if outcome.counted or (figures and not asked):
        return "log"
    if asked:
        return "query"
    if session:
        return "log"
    return "unknown"


@dataclass(slots=True)
class Attendance:
    """A typed answer to "how many attended?" naming priority groups ("23 người, 15 người cao tuổi"): the total
    and each group (None where the number was refused, with its text in ``unreadable``)."""

    total: int | None
    groups: dict[str, int | None]
    unreadable: list[Unreadable]


def read_attendance(text: str) -> Attendance | None:
    """The attendees and their priority groups in an answer; None when it names no group, or not one total."""
    tokens = tokenize(text or "")
    accented = _accented(tokens)
    phrase_at = {m.start: m for m in match_phrases(tokens)}
    ranges, unreadable_ranges = refused_ranges(tokens, phrase_at)
    counts = find_counts(tokens, phrase_at, accented)
    refused, unreadable = refused_counts(tokens, phrase_at)
    counts = sorted(counts + ranges + refused, key=lambda c: c.start)
    grouped = bind_groups(tokens, counts)
    rest = [c for c in counts if not any(c is g[1] for g in grouped)]
    if not grouped or len(rest) != 1:
        return None
    groups: dict[str, int | None] = {}
    for group, count, _end in grouped:
        known = groups.get(group, 0)
        groups[group] = None if known is None or count.value is None else known + count.value
    return Attendance(rest[0].value, groups, unreadable + unreadable_ranges)


#: folded words after a number that make it a number of sessions («3 buổi», «2 lớp»)
_SESSION_NOUNS = frozenset({"buoi", "lop"})
#: roles of a number that is something else: a day («ngày 3 buổi tối»), a village's name, a programme's word
_NOT_A_NUMBER_OF = frozenset({"date", "village", "area", "programme"})


def _several_sessions(tokens: Sequence[Token]) -> bool:
    """Whether the line says it holds more than one session («3 buổi 20 người», «2 lớp học VNeID»): one line
    is one session, so whose attendees the count is would be a guess."""
    return any(
        token.kind == "num"
        and token.role not in _NOT_A_NUMBER_OF
        and (token.value or 0) >= 2
        and after.kind == "word"
        and after.fold in _SESSION_NOUNS
        for token, after in pairwise(tokens)
    )


def _item(figure: ProgrammeFigure) -> ProgrammeItem:
    return ProgrammeItem(figure.programme, figure.count, figure.unit, figure.mentor)


def _report_date(intent: str, dres: DateResult, today: _dt.date) -> _dt.date | None:
    """The day of a log: the one named, today when none is named, None when the one named is impossible."""
    if intent != "log" or "invalid_date" in dres.problems or "two_dates" in dres.problems:
        return None
    return dres.date or today
