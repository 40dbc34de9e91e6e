"""Head-counts in a message: numbers (digits or words) that are not labels, years, money or other units."""

from __future__ import annotations

from bot.nlu.elements import Count, is_separator
from bot.nlu.lexicon import COUNT_CONTEXT_PREV, NONCOUNT_NEXT, ORDINAL_PREV, PhraseMatch
from bot.nlu.normalize import Token
from bot.nlu.numbers import read_number
from bot.nlu.phrases import unit_at


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


def _number_at(tokens: list[Token], i: int, accented: bool) -> tuple[int | None, int, bool]:
    """The number starting at token ``i``: (value or None, end, ambiguous one-word number)."""
    t = tokens[i]
    if t.kind == "num":
        return t.value, i + 1, False
    if t.kind == "pair":
        return (t.parts[0] if t.parts else None), i + 1, False
    if t.kind == "word":
        m = read_number(tokens, i, accented)
        # every token of a word number must be free
        if m is not None and all(tokens[k].role is None for k in range(m.start, m.end)):
            return m.value, m.end, m.ambiguous
    return None, i + 1, False


def _not_a_count(
    tokens: list[Token], phrase_at: dict[int, PhraseMatch], i: int, end: int, value: int, ambiguous: bool
) -> bool:
    """Whether the number ``tokens[i:end]``, with no people unit after it, is a label, a unit or a year."""
    t = tokens[i]
    nxt = tokens[end] if end < len(tokens) else None
    prev = tokens[i - 1] if i > 0 else None
    if nxt is not None and nxt.kind == "word" and nxt.fold in NONCOUNT_NEXT:
        return True
    if nxt is not None and nxt.kind == "word" and not nxt.space_before and t.kind == "num":
        return True  # "9a", "4g", "50k"
    if nxt is not None and nxt.kind == "pct":
        return True
    if (
        prev is not None
        and prev.fold in ORDINAL_PREV
        and prev.kind == "word"
        and (prev.role != "phrase" or _label_word(phrase_at, i - 1))
    ):
        return True  # "lần 2", "đợt 3", "lớp 9" - not "ngân hàng số 18"
    if t.kind == "num" and prev is not None and prev.kind == "word" and not t.space_before and len(prev.fold) == 1:
        return True  # "t9", "x2", "m2": a label, not a count
    if t.kind == "num" and (value >= 1900 or len(t.orig) >= 5):
        return True  # a year, a phone number
    if ambiguous:
        ctx = prev is not None and (prev.fold in COUNT_CONTEXT_PREV or prev.orig in (":", "="))
        at_end = nxt is None or is_separator(tokens, end)
        return not (ctx and at_end)
    return False


def find_counts(tokens: list[Token], phrase_at: dict[int, PhraseMatch], accented: bool) -> list[Count]:
    """The head-counts of a message, each with its people unit; claims their tokens (role ``count``).

    A number that is a label, a year or money is claimed as ``noncount`` so no later stage reads it.
    """
    counts: list[Count] = []
    i = 0
    while i < len(tokens):
        if tokens[i].role is not None:
            i += 1
            continue
        value, end, ambiguous = _number_at(tokens, i, accented)
        if value is None or value == 0:
            i += 1
            continue
        unit = unit_at(phrase_at, end)
        if unit is None and _not_a_count(tokens, phrase_at, i, end, value, ambiguous):
            for k in range(i, end):
                tokens[k].role = "noncount"
            i = end
            continue
        cend = unit.end if unit is not None else end
        for k in range(i, end):
            tokens[k].role = "count"
        counts.append(Count(value, i, cend, unit.entry if unit is not None else None))
        i = cend
    return counts
