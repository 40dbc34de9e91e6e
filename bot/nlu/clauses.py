"""Clauses of a message: its elements in text order, cut at separators, with the question signals seen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlu.elements import Count, Element, is_separator
from bot.nlu.lexicon import Entry, PhraseMatch
from bot.nlu.normalize import Token

_NEG_FOLDS = frozenset({"chua", "khong", "ko", "k", "kh", "chang", "cha", "hok", "khg"})
#: "hoãn lớp học", "nghỉ học", "hủy buổi": the session did not take place.
_CANCEL_WORDS = frozenset({"hoãn", "hủy", "huỷ", "nghỉ", "dời", "lùi"})


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


def _is_negation(t: Token) -> bool:
    """A word that negates ("chưa", "không", "ko"), typed with its marks or with none."""
    return t.kind == "word" and t.fold in _NEG_FOLDS and (t.plain or t.raw in ("chưa", "không", "chẳng", "chả"))


def _negation_before(tokens: Sequence[Token], k: int) -> bool:
    """Whether a negation comes anywhere before token ``k`` ("chưa có lớp nào")."""
    return any(_is_negation(t) for t in tokens[:k])


def _first_word(tokens: Sequence[Token]) -> int:
    """Index of the first word of the message, -1 when there is none."""
    return next((k for k, t in enumerate(tokens) if t.kind == "word"), -1)


@dataclass(slots=True)
class Scan:
    """Clauses of elements plus the question signals seen while building them."""

    clauses: list[list[Element]]
    has_question: bool
    query_words: bool


def _as_object(m: PhraseMatch) -> PhraseMatch:
    """A free unit phrase that names a kind ("hồ sơ") acts as an object."""
    e = m.entry
    obj = Entry(e.text, e.words, e.sigs, e.key, "object", e.topic, e.kind, e.strength)
    return PhraseMatch(obj, m.start, m.end)


def build_clauses(
    tokens: Sequence[Token],
    phrase_at: dict[int, PhraseMatch],
    counts: Sequence[Count],
    skip: frozenset[int] = frozenset(),
) -> Scan:
    """Walk the tokens once: elements in text order, cut at separators; ``skip``: tokens read elsewhere."""
    clauses: list[list[Element]] = [[]]
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
        if is_separator(tokens, i):
            if clauses[-1]:
                clauses.append([])
            continue
        if i in skip:
            continue
        if i in count_at:
            clauses[-1].append(Element(i, count=count_at[i]))
            continue
        if i in in_count_unit:
            continue
        m = phrase_at.get(i)
        if m is None:
            if t.role is None and t.kind == "word" and (_is_negation(t) or t.raw in _CANCEL_WORDS):
                clauses[-1].append(Element(i, neg=True))
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
                clauses[-1].append(Element(i, neg=True))
        elif role == "filler":
            pass
        elif role == "unit":
            if m.entry.text == "hộ":  # a free "hộ" means "on behalf of": a help verb
                hv = Entry("hộ", ("hộ",), m.entry.sigs, m.entry.key, "helpverb")
                clauses[-1].append(Element(i, phrase=PhraseMatch(hv, m.start, m.end)))
            elif m.entry.kind is not None:
                clauses[-1].append(Element(i, phrase=_as_object(m)))
        else:
            clauses[-1].append(Element(i, phrase=m))
    return Scan([c for c in clauses if c], has_question, query_words)
