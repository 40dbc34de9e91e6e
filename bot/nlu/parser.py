"""Entry point: turn one free-text report into a :class:`ParsedReport`.

Pipeline (pure, no I/O; every table is built at import time):

1. :func:`~bot.nlu.normalize.tokenize` - tokens with accented/folded forms;
   numeric dates, clock times and percentages become their own tokens.
2. :func:`~bot.nlu.dates.find_dates` - the day; claims date/month/year
   digits and ordinals ("buổi thứ 2").
3. :func:`~bot.nlu.villages.find_village` - the village; claims its number.
4. Lexicon phrases (:mod:`bot.nlu.lexicon`), longest match first.
5. Counts: a number (digits or words) not claimed above, not a label
   ("mức 2", "lần 2"), not followed by a non-person unit ("2 buổi",
   "50k"), optionally followed by a people unit ("người", "lượt", "hộ"...).
6. Clauses: split on , ; . + ! ? newline " và " and " - ", then
   * split again before a help verb / session word once the current part
     already holds a complete item ("học 20 người giúp 5 người ..."),
   * merge count-less parts into a neighbour ("học VNeID, 23 người";
     "giúp 10 người cài VNeID và kích hoạt mức 2"),
   * split parts holding several counts by word order ("giúp 10 người
     kích hoạt mức 2 5 người nộp hồ sơ").
7. Each clause with a count is a *help* clause (help verb, or an action
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
``invalid_date``; only a log that names no day at all is dated today.  A
number that is not a whole positive head-count takes the place of the count
it stands for but gives none (``attendees`` / ``count`` None, so the caller
asks): ``negative_count`` ("-5 người"; a minus glued to the digits and not
glued to a word or number before it, see :mod:`bot.nlu.normalize`),
``not_a_whole_number`` ("3.5 người", "3,5 người", "học VNeID 3,5"),
``scientific_number`` ("1e18", "2E5 người"), ``number_range`` (a range or a
share: "15-20 người", "15 - 20 người", "15 đến 20 người", "23/30 người":
which number is meant is asked, not picked).  Thousands separators ("1.234
người" = 1234), dates ("12/11"), labels ("t9", "9a", "lớp 9 - 20 người") and
money ("50k") are read as before, and a dash with no number before it is a
separator ("học VNeID - 20 người" = 20).  Characters that do not show
(zero-width spaces, bidi marks) are dropped first, so "5\u200b0" is 50.  :attr:`ParsedReport.unreadable` pairs each such problem with the text
it was about, so the caller can say which day or number it could not accept.

Problem codes: ``count_without_kind``, ``kind_without_count``,
``session_without_count``, ``negated_item``, ``multiple_sessions``,
``future_date``, ``invalid_date``, ``negative_count``,
``not_a_whole_number``, ``scientific_number``, ``number_range``, ``empty``.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.nlu import lexicon
from bot.nlu.dates import DateResult, find_dates
from bot.nlu.lexicon import (
    COUNT_CONTEXT_PREV,
    NONCOUNT_NEXT,
    ORDINAL_PREV,
    Entry,
    PhraseMatch,
)
from bot.nlu.normalize import Token, span_text, tokenize
from bot.nlu.numbers import read_number
from bot.nlu.villages import claim_area_numbers, find_village

__all__ = ["NUMBER_PROBLEMS", "HelpItem", "ParsedReport", "SessionPart", "Unreadable", "parse_report"]

#: Problems of a number that was refused as a head-count (see module docstring).
NUMBER_PROBLEMS = ("negative_count", "not_a_whole_number", "scientific_number", "number_range")


@dataclass(slots=True)
class SessionPart:
    """A reported class/meeting: topic ids in order of mention, head count."""

    topics: list[str]
    attendees: int | None


@dataclass(slots=True)
class HelpItem:
    """People helped with one kind of task (see lexicon.HELP_KINDS); count None when the number was refused."""

    kind: str
    count: int | None


@dataclass(slots=True)
class Unreadable:
    """A day or number the parser refused, and the text it was about ("30/02", "-5")."""

    problem: str
    text: str


@dataclass(slots=True)
class ParsedReport:
    """Result of :func:`parse_report`."""

    intent: str  # "log" | "query" | "unknown"
    date: _dt.date | None
    date_named: bool
    village: str | None
    session: SessionPart | None
    help: list[HelpItem]
    problems: list[str] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form (the contract other modules and tests rely on; keys are only ever added)."""
        return {
            "intent": self.intent,
            "date": self.date.isoformat() if self.date else None,
            "village": self.village,
            "session": None
            if self.session is None
            else {"topics": list(self.session.topics), "attendees": self.session.attendees},
            "help": [{"kind": h.kind, "count": h.count} for h in self.help],
            "problems": list(self.problems),
            "unreadable": [{"problem": u.problem, "text": u.text} for u in self.unreadable],
        }


# ---------------------------------------------------------------------------
# internal structures
# ---------------------------------------------------------------------------

_AI_ENTRY = Entry(
    text="AI",
    words=("ai",),
    sigs=("ai",),
    key=("ai",),
    role="object",
    topic="other_platforms",
    kind=None,
    strength=0,
)

#: Topic of a help-only phrase when it is taught in a session.
_KIND_TOPIC: dict[str, str | None] = {
    "vneid_level2": "vneid",
    "vneid_skill_confirmed": "vneid",
    "social_security_vneid": "vneid",
    "public_service_filing": "public_services",
    "cashless_account": "online_payment",
    "digital_signature": "public_services",
    "e_health": "other_platforms",
    "bdhvs_course": None,
    "other": None,
}

_SEP_PUNCT = frozenset({",", ";", ".", "+", "!", "?", "|", "&", "…", "\n", "*", "•"})
_NEG_FOLDS = frozenset({"chua", "khong", "ko", "k", "kh", "chang", "cha", "hok", "khg"})
#: "hoãn lớp học", "nghỉ học", "hủy buổi": the session did not take place.
_CANCEL_WORDS = frozenset({"hoãn", "hủy", "huỷ", "nghỉ", "dời", "lùi"})
_CONTENT_ROLES = frozenset({"object", "action"})


@dataclass(slots=True)
class _Count:
    """A head-count; ``value`` None when the number stood there but was refused (``problem``)."""

    value: int | None
    start: int
    end: int
    unit: Entry | None
    problem: str | None = None


@dataclass(slots=True)
class _Elem:
    """A phrase, a count or a negation word, in text order."""

    pos: int
    phrase: PhraseMatch | None = None
    count: _Count | None = None
    neg: bool = False

    @property
    def role(self) -> str | None:
        return self.phrase.entry.role if self.phrase else None


def _is_sep(tokens: Sequence[Token], i: int) -> bool:
    t = tokens[i]
    if t.kind == "nl":
        return True
    if t.kind == "punct":
        if t.orig in _SEP_PUNCT:
            return True
        if t.orig in ("-", "–", "—"):
            nxt_space = i + 1 >= len(tokens) or tokens[i + 1].space_before
            return t.space_before or nxt_space
        return False
    return bool(t.kind == "word" and t.role is None and t.fold == "va" and (t.plain or t.raw == "và"))


# ---------------------------------------------------------------------------
# stage 4/5: phrases and counts
# ---------------------------------------------------------------------------


def _match_phrases(tokens: list[Token]) -> list[PhraseMatch]:
    out: list[PhraseMatch] = []
    i = 0
    n = len(tokens)
    while i < n:
        t = tokens[i]
        if t.role is None and t.kind == "word" and t.orig == "AI":  # not "ai" (who)
            out.append(PhraseMatch(_AI_ENTRY, i, i + 1))
            t.role = "phrase"
            i += 1
            continue
        m = lexicon.match_at(tokens, i)
        if m is None:
            i += 1
            continue
        for k in range(m.start, m.end):
            tokens[k].role = "phrase"
        out.append(m)
        i = m.end
    return out


def _unit_at(phrase_at: dict[int, PhraseMatch], k: int) -> PhraseMatch | None:
    """The people unit right after a number ("người", "lượt", "bà con")."""
    m = phrase_at.get(k)
    if m is not None and m.entry.role == "unit":
        return m
    return None


def _label_word(phrase_at: dict[int, PhraseMatch], k: int) -> bool:
    """Whether the phrase ending at token ``k`` can take a label number.

    "lớp 9", "buổi 2", "chuyên đề 3" take labels; "ngân hàng số 18" does
    not ("số" there belongs to the topic name).
    """
    for start in range(k, max(k - 6, -1), -1):
        m = phrase_at.get(start)
        if m is not None and m.start <= k < m.end:
            return m.end - m.start == 1 or m.entry.role not in ("object", "action")
    return True


def _find_counts(tokens: list[Token], phrase_at: dict[int, PhraseMatch], accented: bool) -> list[_Count]:
    counts: list[_Count] = []
    n = len(tokens)
    i = 0
    while i < n:
        t = tokens[i]
        if t.role is not None:
            i += 1
            continue
        value: int | None = None
        end = i + 1
        ambiguous = False
        if t.kind == "num":
            value = t.value
        elif t.kind == "pair":
            value = t.parts[0] if t.parts else None
        elif t.kind == "word":
            m = read_number(tokens, i, accented)
            # every token of a word number must be free
            if m is not None and all(tokens[k].role is None for k in range(m.start, m.end)):
                value, end, ambiguous = m.value, m.end, m.ambiguous
        if value is None or value == 0:
            i += 1
            continue
        unit = _unit_at(phrase_at, end)
        nxt = tokens[end] if end < n else None
        prev = tokens[i - 1] if i > 0 else None
        reject = False
        if unit is None:
            if nxt is not None and nxt.kind == "word" and nxt.fold in NONCOUNT_NEXT:
                reject = True
            elif nxt is not None and nxt.kind == "word" and not nxt.space_before and t.kind == "num":
                reject = True  # "9a", "4g", "50k"
            elif nxt is not None and nxt.kind == "pct":
                reject = True
            elif (
                prev is not None
                and prev.fold in ORDINAL_PREV
                and prev.kind == "word"
                and (prev.role != "phrase" or _label_word(phrase_at, i - 1))
            ):
                reject = True  # "lần 2", "đợt 3", "lớp 9" - not "ngân hàng số 18"
            elif (
                t.kind == "num"
                and prev is not None
                and prev.kind == "word"
                and not t.space_before
                and len(prev.fold) == 1
            ):
                reject = True  # "t9", "x2", "m2": a label, not a count
            elif t.kind == "num" and (value >= 1900 or len(t.orig) >= 5):
                reject = True  # a year, a phone number
            elif ambiguous:
                ctx = prev is not None and (prev.fold in COUNT_CONTEXT_PREV or prev.orig in (":", "="))
                at_end = nxt is None or _is_sep(tokens, end)
                reject = not (ctx and at_end)
        if reject:
            for k in range(i, end):
                tokens[k].role = "noncount"
            i = end
            continue
        cend = unit.end if unit is not None else end
        for k in range(i, end):
            tokens[k].role = "count"
        counts.append(_Count(value, i, cend, unit.entry if unit is not None else None))
        i = cend
    return counts


_DECIMAL = re.compile(r"^\d+[.,]\d+$")


def _refused_problem(tokens: Sequence[Token], i: int, unit: PhraseMatch | None) -> str | None:
    """Why the number token at ``i`` stands where a count would but cannot be one, or None."""
    t = tokens[i]
    if t.kind == "neg":
        return "negative_count"
    if t.kind == "sci":
        return "scientific_number"
    if t.kind != "dec" or not any(c in t.orig for c in ".,") or t.meta.get("huge"):
        return None  # a long digit run (a phone number, 1.000.000.000.000) is simply not a count
    if unit is not None:
        return "not_a_whole_number"
    # no unit: only a plain decimal closing a clause after a topic word ("học VNeID 3,5"),
    # never a version such as "công nghệ 4.0"
    if not _DECIMAL.match(t.orig) or int(re.split(r"[.,]", t.orig)[1]) == 0:
        return None
    nxt_free = i + 1 >= len(tokens) or _is_sep(tokens, i + 1)
    prev = tokens[i - 1] if i > 0 else None
    after_word = prev is not None and (
        (prev.kind == "word" and prev.role == "phrase" and prev.fold not in ORDINAL_PREV)
        or prev.fold in COUNT_CONTEXT_PREV
        or prev.orig in (":", "=")
    )
    return "not_a_whole_number" if nxt_free and after_word else None


_RANGE_DASHES = frozenset({"-", "\u2212", "\u2013", "\u2014"})
#: "15 đến 20", "15 tới 20" (and "den"/"toi" typed without marks between two numbers)
_RANGE_WORDS = frozenset({"den", "toi"})


def _range_end(tokens: Sequence[Token], i: int) -> int | None:
    """End of a range or share starting at ``i`` ("15-20", "15 - 20", "15 đến 20", "23/30"), or None.

    A label before it ("lớp 9 - 20 người", "t9-10") and a non-person unit after it
    ("2-3 buổi") make it something else.
    """
    t = tokens[i]
    prev = tokens[i - 1] if i > 0 else None
    if (
        prev is not None
        and prev.kind == "word"
        and (prev.fold in ORDINAL_PREV or (not t.space_before and len(prev.fold) == 1))
    ):
        return None
    if t.kind == "pair":
        end = i + 1
    elif t.kind == "num" and i + 2 < len(tokens) and tokens[i + 2].role is None:
        link, second = tokens[i + 1], tokens[i + 2]
        glued = not link.space_before and not second.space_before
        linked = (link.kind == "punct" and (link.orig in _RANGE_DASHES or (link.orig == "/" and glued))) or (
            link.kind == "word" and link.fold in _RANGE_WORDS and (link.plain or link.raw in ("đến", "tới"))
        )
        if not linked or second.kind not in ("num", "neg"):
            return None
        end = i + 3
    else:
        return None
    nxt = tokens[end] if end < len(tokens) else None
    if nxt is not None and nxt.kind == "word" and nxt.fold in NONCOUNT_NEXT:
        return None
    return end


def _refused_ranges(tokens: list[Token], phrase_at: dict[int, PhraseMatch]) -> tuple[list[_Count], list[Unreadable]]:
    """Ranges and shares where a count would be ("15-20 người"): which number is meant is not guessed."""
    refused: list[_Count] = []
    unreadable: list[Unreadable] = []
    i = 0
    while i < len(tokens):
        end = _range_end(tokens, i) if tokens[i].role is None else None
        if end is None:
            i += 1
            continue
        unit = _unit_at(phrase_at, end)
        for k in range(i, end):
            tokens[k].role = "count"
        refused.append(
            _Count(
                None, i, unit.end if unit is not None else end, unit.entry if unit is not None else None, "number_range"
            )
        )
        unreadable.append(Unreadable("number_range", span_text(tokens, i, end)))
        i = end
    return refused, unreadable


def _refused_counts(tokens: list[Token], phrase_at: dict[int, PhraseMatch]) -> tuple[list[_Count], list[Unreadable]]:
    """Numbers that stand where a count would but are negative, fractional or scientific.

    Each becomes a count without a value, so the clause it belongs to is
    still read (and its count asked for), and its text is kept for the reply.
    """
    refused: list[_Count] = []
    unreadable: list[Unreadable] = []
    for i, t in enumerate(tokens):
        if t.role is not None or t.kind not in ("neg", "sci", "dec"):
            continue
        unit = _unit_at(phrase_at, i + 1)
        problem = _refused_problem(tokens, i, unit)
        if problem is None:
            continue
        t.role = "count"
        end = unit.end if unit is not None else i + 1
        refused.append(_Count(None, i, end, unit.entry if unit is not None else None, problem))
        unreadable.append(Unreadable(problem, str(t.meta.get("sign", "")) + t.orig))
    return refused, unreadable


# ---------------------------------------------------------------------------
# stage 6: clauses
# ---------------------------------------------------------------------------


def _clause_type(elems: Sequence[_Elem]) -> str | None:
    """'help', 'session' or None, from verbs only (used for merging)."""
    roles = {e.role for e in elems if e.phrase is not None}
    if "helpverb" in roles:
        return "help"
    if "session" in roles:
        return "session"
    actions = [e.phrase.entry for e in elems if e.phrase is not None and e.role == "action"]
    if any(a.kind != "other" for a in actions):
        return "help"
    if "session_weak" in roles:
        objs = [e.phrase.entry for e in elems if e.phrase is not None and e.role == "object"]
        if actions and any(o.kind not in (None, "other") and o.strength >= 2 for o in objs):
            return "help"
        return "session"
    if actions:
        return "help"
    return None


def _has_count(elems: Sequence[_Elem]) -> bool:
    return any(e.count is not None for e in elems)


def _compatible(a: Sequence[_Elem], b: Sequence[_Elem]) -> bool:
    ta, tb = _clause_type(a), _clause_type(b)
    return ta is None or tb is None or ta == tb


def _kind_after_last_count(elems: Sequence[_Elem]) -> bool:
    last = max((k for k, e in enumerate(elems) if e.count is not None), default=-1)
    if last < 0:
        return False
    return any(e.role in _CONTENT_ROLES for e in elems[last + 1 :])


def _presplit(clause: list[_Elem]) -> list[list[_Elem]]:
    """Cut before a help verb / session word once the part is a full item."""
    parts: list[list[_Elem]] = [[]]
    has_count = False
    has_content = False
    for e in clause:
        if e.role in ("helpverb", "session", "session_weak") and has_count and has_content:
            parts.append([])
            has_count = has_content = False
        parts[-1].append(e)
        if e.count is not None:
            has_count = True
        elif e.role in ("object", "action", "session", "session_weak") or (
            e.phrase is not None and e.phrase.entry.kind is not None
        ):
            has_content = True
    return [p for p in parts if p]


def _merge(clauses: list[list[_Elem]]) -> list[list[_Elem]]:
    """Attach count-less parts to a neighbour (see module docstring)."""
    out: list[list[_Elem]] = []
    pending: list[list[_Elem]] = []
    for c in clauses:
        if _has_count(c):
            merged = [e for p in pending if _compatible(p, c) for e in p]
            standalone = [p for p in pending if not _compatible(p, c)]
            out.extend(standalone)
            out.append(merged + c)
            pending = []
            continue
        if out and not pending and _has_count(out[-1]) and _kind_after_last_count(out[-1]) and _compatible(out[-1], c):
            # "giúp 10 người cài VNeID | và kích hoạt mức 2": the count came
            # first, so the trailing words still describe it
            out[-1] = out[-1] + c
            continue
        pending.append(c)
    if pending:
        if out and _has_count(out[-1]):
            for p in pending:
                if _compatible(out[-1], p):
                    out[-1] = out[-1] + p
                else:
                    out.append(p)
        else:
            flat = [e for p in pending for e in p]
            out.append(flat)
    return out


def _split_counts(clause: list[_Elem]) -> list[list[_Elem]]:
    """Split a part holding several counts by word order."""
    idx = [k for k, e in enumerate(clause) if e.count is not None]
    if len(idx) < 2:
        return [clause]
    first_content = next((k for k, e in enumerate(clause) if e.role in _CONTENT_ROLES), None)
    parts: list[list[_Elem]] = []
    if first_content is not None and first_content < idx[0]:
        # kind ... N, kind ... M: each count closes its part
        start = 0
        for k in idx:
            parts.append(clause[start : k + 1])
            start = k + 1
        if start < len(clause):
            parts[-1].extend(clause[start:])
    else:
        # N kind ..., M kind ...: each count opens its part
        bounds = [0] + idx[1:] + [len(clause)]
        for a, b in itertools.pairwise(bounds):
            parts.append(clause[a:b])
    return parts


# ---------------------------------------------------------------------------
# stage 7: interpretation
# ---------------------------------------------------------------------------


def _classify(elems: Sequence[_Elem], prev: str | None = None) -> str | None:
    """'help', 'session' or None for one clause.

    ``prev`` is the type of the previous counted clause: a clause with no
    verb at all, only topic words ("..., DVC 3") continues a help list.
    """
    phrases = [e.phrase.entry for e in elems if e.phrase is not None]
    roles = {p.role for p in phrases}
    if "helpverb" in roles:
        return "help"
    if "session" in roles:
        return "session"
    actions = [p for p in phrases if p.role == "action"]
    if any(p.kind != "other" for p in actions):
        return "help"
    if "session_weak" in roles:
        # "hướng dẫn 30 người cài VNeID" is teaching, but "hướng dẫn 6 người
        # lập tài khoản ngân hàng" (install + a specific help kind) is help
        if actions and any(p.kind not in (None, "other") and p.strength >= 2 for p in phrases if p.role == "object"):
            return "help"
        return "session"
    if actions:
        return "help"  # "cài VNeID 6 người": plain install help
    if any(p.topic for p in phrases if p.role == "object"):
        return "help" if prev == "help" else "session"
    if any(p.kind for p in phrases if p.role in ("object", "unit")):
        return "help"
    for e in elems:  # a count whose unit names a kind ("5 hồ sơ")
        if e.count is not None and e.count.unit is not None and e.count.unit.kind:
            return "help"
    return None


def _entries(elems: Sequence[_Elem]) -> list[Entry]:
    out: list[Entry] = []
    for e in elems:
        if e.phrase is not None:
            out.append(e.phrase.entry)
        elif e.count is not None and e.count.unit is not None:
            out.append(e.count.unit)
    return out


def _topics(elems: Sequence[_Elem]) -> list[str]:
    topics: list[str] = []
    for ent in _entries(elems):
        if ent.role not in ("object", "action", "unit"):
            continue
        tp = ent.topic or (_KIND_TOPIC.get(ent.kind) if ent.kind else None)
        if tp and tp not in topics:
            topics.append(tp)
    return topics


def _kinds(elems: Sequence[_Elem]) -> list[str]:
    specific: list[str] = []
    generic: list[str] = []
    for ent in _entries(elems):
        if ent.kind is None or ent.role not in ("object", "action", "unit"):
            continue
        if ent.strength >= 2 and ent.kind != "other":
            if ent.kind not in specific:
                specific.append(ent.kind)
        elif ent.kind not in generic:
            generic.append(ent.kind)
    if specific:
        return specific
    for k in generic:
        if k != "other":
            return [k]
    return ["other"]


def _negated(elems: Sequence[_Elem]) -> bool:
    """A negation right before an action/kind phrase ("chưa kích hoạt")."""
    for k, e in enumerate(elems):
        if not e.neg:
            continue
        for f in elems[k + 1 : k + 3]:
            if f.phrase is not None and (f.role in ("action", "object", "session") or f.phrase.entry.kind):
                return True
    return False


# ---------------------------------------------------------------------------
# public entry point
# ---------------------------------------------------------------------------


_END_PARTICLES = frozenset(
    {"a", "nhi", "nhe", "vay", "the", "roi", "r", "ha", "day", "z", "ah", "nha", "em", "anh", "chi"}
)


def _at_end(tokens: Sequence[Token], k: int) -> bool:
    """Only closing particles (ạ, nhỉ, vậy, rồi ...) or punctuation follow ``k``."""
    for t in tokens[k:]:
        if t.kind in ("punct", "nl"):
            continue
        if t.kind == "word" and t.fold in _END_PARTICLES:
            continue
        return False
    return True


def _negation_before(tokens: Sequence[Token], k: int) -> bool:
    return any(
        t.kind == "word" and t.fold in _NEG_FOLDS and (t.plain or t.raw in ("chưa", "không", "chẳng", "chả"))
        for t in tokens[:k]
    )


def _first_word(tokens: Sequence[Token]) -> int:
    return next((k for k, t in enumerate(tokens) if t.kind == "word"), -1)


def _accented(tokens: Sequence[Token]) -> bool:
    words = [t for t in tokens if t.kind == "word" and len(t.fold) > 1]
    if not words:
        return False
    return sum(1 for t in words if not t.plain) / len(words) >= 0.35


@dataclass(slots=True)
class _Scan:
    """Clauses of elements plus the question signals seen while building them."""

    clauses: list[list[_Elem]]
    has_question: bool
    query_words: bool


def _as_object(m: PhraseMatch) -> PhraseMatch:
    """A free unit phrase that names a kind ("hồ sơ") acts as an object."""
    e = m.entry
    obj = Entry(e.text, e.words, e.sigs, e.key, "object", e.topic, e.kind, e.strength)
    return PhraseMatch(obj, m.start, m.end)


def _build_clauses(tokens: Sequence[Token], phrase_at: dict[int, PhraseMatch], counts: Sequence[_Count]) -> _Scan:
    """Walk the tokens once: elements in text order, cut at separators."""
    clauses: list[list[_Elem]] = [[]]
    count_at = {c.start: c for c in counts}
    in_count_unit: set[int] = set()
    for c in counts:
        in_count_unit.update(range(c.start, c.end))
    first_word = _first_word(tokens)
    has_question = False
    query_words = False
    for i, t in enumerate(tokens):
        if t.orig == "?":
            has_question = True
        if _is_sep(tokens, i):
            if clauses[-1]:
                clauses.append([])
            continue
        if i in count_at:
            clauses[-1].append(_Elem(i, count=count_at[i]))
            continue
        if i in in_count_unit:
            continue
        m = phrase_at.get(i)
        if m is None:
            if (
                t.role is None
                and t.kind == "word"
                and (
                    (t.fold in _NEG_FOLDS and (t.plain or t.raw in ("chưa", "không", "chẳng", "chả")))
                    or t.raw in _CANCEL_WORDS
                )
            ):
                clauses[-1].append(_Elem(i, neg=True))
            continue
        role = m.entry.role
        if role == "query":
            # "chưa có lớp nào" is a plain negative statement, not a question
            if not (m.entry.text == "nào" and _negation_before(tokens, i)):
                query_words = True
        elif role == "query_lead":
            # "báo cáo tuần" / "... đã báo cáo?" ask; "em sẽ báo cáo sau" does not
            if i == first_word or all(u.kind in ("punct", "nl") for u in tokens[m.end :]):
                query_words = True
        elif role == "query_weak":
            if _at_end(tokens, m.end):
                query_words = True
            if t.fold in _NEG_FOLDS:
                clauses[-1].append(_Elem(i, neg=True))
        elif role == "filler":
            pass
        elif role == "unit":
            if m.entry.text == "hộ":  # a free "hộ" means "on behalf of": a help verb
                hv = Entry("hộ", ("hộ",), m.entry.sigs, m.entry.key, "helpverb")
                clauses[-1].append(_Elem(i, phrase=PhraseMatch(hv, m.start, m.end)))
            elif m.entry.kind is not None:
                clauses[-1].append(_Elem(i, phrase=_as_object(m)))
        else:
            clauses[-1].append(_Elem(i, phrase=m))
    return _Scan([c for c in clauses if c], has_question, query_words)


def _segment(clauses: list[list[_Elem]]) -> list[list[_Elem]]:
    """Stage 6: pre-split, merge count-less parts, split multi-count parts."""
    parts: list[list[_Elem]] = []
    for c in clauses:
        parts.extend(_presplit(c))
    final: list[list[_Elem]] = []
    for p in _merge(parts):
        final.extend(_split_counts(p))
    return final


@dataclass(slots=True)
class _Outcome:
    sessions: list[SessionPart] = field(default_factory=list)
    help: list[HelpItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    counted: bool = False
    refused_session: bool = False  # a session's count was refused: its total is unknown


def _interpret(parts: Sequence[list[_Elem]], future_day: bool) -> _Outcome:
    """Stage 7: each part becomes a session, help items, or a problem."""
    out = _Outcome()
    prev_type: str | None = None
    for part in parts:
        cnts = [e.count for e in part if e.count is not None]
        kind = _classify(part, prev_type)
        if _negated(part):
            if cnts and kind is not None:
                out.problems.append("negated_item")
            continue
        if not cnts:
            if kind == "session":
                roles = {e.role for e in part}
                topics = _topics(part)
                # a session named with a topic but no head count ("tối qua thôn 3
                # học VNeID") is still a report; the caller asks for the count
                if "session" in roles and topics and not future_day:
                    out.sessions.append(SessionPart(topics, None))
                    out.problems.append("session_without_count")
            elif kind == "help" and any(e.role in ("action", "object") for e in part):
                out.problems.append("kind_without_count")
            continue
        if kind is None:
            out.problems.append("count_without_kind")
            continue
        count = cnts[0].value
        out.counted = True
        prev_type = kind
        if kind == "session":
            out.sessions.append(SessionPart(_topics(part), count))
            out.refused_session = out.refused_session or count is None
            continue
        _add_help(out.help, _kinds(part), count)
    return out


def _add_help(items: list[HelpItem], kinds: Sequence[str], count: int | None) -> None:
    """Add a count to each kind; a refused count (None) leaves that kind's total unknown."""
    for k in kinds:
        for h in items:
            if h.kind == k:
                h.count = None if h.count is None or count is None else h.count + count
                break
        else:
            items.append(HelpItem(k, count))


def _combine_sessions(sessions: Sequence[SessionPart], problems: list[str]) -> SessionPart | None:
    """One SessionPart: topics in order of mention, attendee counts added."""
    if not sessions:
        return None
    topics: list[str] = []
    total: int | None = None
    for s in sessions:
        for tp in s.topics:
            if tp not in topics:
                topics.append(tp)
        if s.attendees is not None:
            total = (total or 0) + s.attendees
    if len(sessions) > 1:
        problems.append("multiple_sessions")
    return SessionPart(topics, total)


def parse_report(text: str, today: _dt.date, village_names: Sequence[str] = ()) -> ParsedReport:
    """Parse one report message.

    ``today`` anchors relative dates; ``village_names`` (the commune's
    villages, accented) lets the parser return the stored spelling.
    """
    tokens = tokenize(text or "")
    if not any(t.kind in ("word", "num", "date", "pair", "neg", "sci", "dec") for t in tokens):
        return ParsedReport("unknown", None, False, None, None, [], ["empty"])

    accented = _accented(tokens)
    dres = find_dates(tokens, today)
    village = find_village(tokens, village_names, accented)
    claim_area_numbers(tokens, accented)  # "xã Sơn Kim 1": a name, not one person
    phrases = _match_phrases(tokens)
    phrase_at = {m.start: m for m in phrases}
    ranges, unreadable_ranges = _refused_ranges(tokens, phrase_at)
    counts = _find_counts(tokens, phrase_at, accented)
    refused, unreadable = _refused_counts(tokens, phrase_at)
    counts = sorted(counts + ranges + refused, key=lambda c: c.start)
    unreadable = sorted(unreadable + unreadable_ranges, key=lambda u: text.find(u.text))
    scan = _build_clauses(tokens, phrase_at, counts)
    future_day = dres.date is not None and dres.date > today
    outcome = _interpret(_segment(scan.clauses), future_day)

    problems = list(dres.problems) + [u.problem for u in unreadable] + outcome.problems
    unreadable = [Unreadable("invalid_date", text) for text in dres.invalid_texts] + unreadable
    session = _combine_sessions(outcome.sessions, problems)
    if session is not None and outcome.refused_session:
        session.attendees = None
    help_items = outcome.help
    if outcome.counted:
        intent = "log"
    elif scan.has_question or scan.query_words:
        intent = "query"
    elif session is not None:
        intent = "log"
    else:
        intent = "unknown"

    if intent != "log":
        session, help_items = None, []
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
    )


def _report_date(intent: str, dres: DateResult, today: _dt.date) -> _dt.date | None:
    """The day of a log: the one named, today when none is named, None when the one named is impossible."""
    if intent != "log" or "invalid_date" in dres.problems:
        return None
    return dres.date or today
