"""Numbers that stand where a head-count would but are not one (ranges, negatives, fractions): never guessed."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.nlu.elements import Count, is_separator
from bot.nlu.lexicon import COUNT_CONTEXT_PREV, NONCOUNT_NEXT, ORDINAL_PREV, PhraseMatch
from bot.nlu.normalize import Token, span_text
from bot.nlu.phrases import unit_at
from bot.nlu.report import Unreadable

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
    nxt_free = i + 1 >= len(tokens) or is_separator(tokens, i + 1)
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


def refused_ranges(tokens: list[Token], phrase_at: dict[int, PhraseMatch]) -> tuple[list[Count], list[Unreadable]]:
    """Ranges and shares where a count would be ("15-20 người"): which number is meant is not guessed."""
    refused: list[Count] = []
    unreadable: list[Unreadable] = []
    i = 0
    while i < len(tokens):
        end = _range_end(tokens, i) if tokens[i].role is None else None
        if end is None:
            i += 1
            continue
        unit = unit_at(phrase_at, end)
        for k in range(i, end):
            tokens[k].role = "count"
        refused.append(
            Count(
                None, i, unit.end if unit is not None else end, unit.entry if unit is not None else None, "number_range"
            )
        )
        unreadable.append(Unreadable("number_range", span_text(tokens, i, end)))
        i = end
    return refused, unreadable


def refused_counts(tokens: list[Token], phrase_at: dict[int, PhraseMatch]) -> tuple[list[Count], list[Unreadable]]:
    """Numbers that stand where a count would but are negative, fractional or scientific.

    Each becomes a count without a value, so the clause it belongs to is
    still read (and its count asked for), and its text is kept for the reply.
    """
    refused: list[Count] = []
    unreadable: list[Unreadable] = []
    for i, t in enumerate(tokens):
        if t.role is not None or t.kind not in ("neg", "sci", "dec"):
            continue
        unit = unit_at(phrase_at, i + 1)
        problem = _refused_problem(tokens, i, unit)
        if problem is None:
            continue
        t.role = "count"
        end = unit.end if unit is not None else i + 1
        refused.append(Count(None, i, end, unit.entry if unit is not None else None, problem))
        unreadable.append(Unreadable(problem, str(t.meta.get("sign", "")) + t.orig))
    return refused, unreadable
