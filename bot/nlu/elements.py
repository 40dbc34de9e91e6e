"""The elements a message is read into (counts, phrases, negations) and the separators that cut it into clauses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlu.lexicon import Entry, PhraseMatch
from bot.nlu.normalize import Token

_SEP_PUNCT = frozenset({",", ";", ".", "+", "!", "?", "|", "&", "…", "\n", "*", "•"})


@dataclass(slots=True)
class Count:
    """A head-count; ``value`` None when the number stood there but was refused (``problem``)."""

    value: int | None
    start: int
    end: int
    unit: Entry | None
    problem: str | None = None


@dataclass(slots=True)
class Element:
    """A phrase, a count or a negation word, in text order."""

    pos: int
    phrase: PhraseMatch | None = None
    count: Count | None = None
    neg: bool = False

    @property
    def role(self) -> str | None:
        """The role of the phrase, None for a count or a negation."""
        return self.phrase.entry.role if self.phrase else None


def is_separator(tokens: Sequence[Token], i: int) -> bool:
    """Whether token ``i`` cuts clauses (, ; . newline, a spaced dash, a free "và")."""
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
