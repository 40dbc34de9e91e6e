"""Lexicon phrases found in a message, longest first, and the people unit after a number."""

from __future__ import annotations

from bot.nlu import lexicon
from bot.nlu.lexicon import Entry, PhraseMatch
from bot.nlu.normalize import Token

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


def match_phrases(tokens: list[Token]) -> list[PhraseMatch]:
    """Lexicon phrases in the message, longest first, claiming their tokens (role ``phrase``)."""
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


def unit_at(phrase_at: dict[int, PhraseMatch], k: int) -> PhraseMatch | None:
    """The people unit right after a number ("người", "lượt", "bà con")."""
    m = phrase_at.get(k)
    if m is not None and m.entry.role == "unit":
        return m
    return None
