"""Provinces' programmes and priority groups in a message: "thêm 6 hộ gia đình số", "15 người cao tuổi".

Programme words come from the catalog (`storage/programmes/`, `Catalog.by_word`), matched folded, so with or
without diacritics. Only programmes that village members log (`entered_by` village or both) are read here:
the others are entered monthly by the commune with /chiso, and some of their words ("mức 2") are the help
kinds the reader already knows. The reader does not know which programmes a province runs: it reports what
it read, and the handler decides.

A programme's words are claimed before the lexicon phrases (so "buổi 4T" is not a session word). Its figure is
the nearest count of its clause: the one right before it ("6 hộ gia đình số"), else the first after it
("đại sứ số Lan ... 5 người"), else the last before it. That count is the programme's alone, unless the clause
has a help verb ("giúp 8 đảng viên cài VNeID": the help reading stays, and the programme counts it too).
A programme with a mentor measure takes the capitalised name right after its words as the mentor ("đại sứ số
Lan"): a name only, never more.

Priority groups are a breakdown of a session's attendees: a count whose people word names a group
("15 người cao tuổi", "5 người khuyết tật", "7 người dân tộc thiểu số", "3 người nghèo"; in English too, "15
elderly", "2 disabled", "4 ethnic minority", "3 poor"). They are read only when the rest of the message still
holds a session with its head-count; otherwise the message is read exactly as before.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlu.elements import Count, is_separator
from bot.nlu.lexicon import PhraseMatch
from bot.nlu.normalize import Token
from storage.programmes.catalog import Programme, shipped
from storage.vocab import PRIORITY_GROUPS

__all__ = [
    "GROUPS",
    "Mention",
    "ProgrammeFigure",
    "bind_groups",
    "bind_programmes",
    "claim_programmes",
]

#: priority groups, in the order they are shown
GROUPS = tuple(PRIORITY_GROUPS)

# folded words after the number (the people word included) -> group
_GROUP_WORDS: dict[str, str] = {
    "nguoi cao tuoi": "elderly",
    "cu cao tuoi": "elderly",
    "nguoi gia": "elderly",
    "cu gia": "elderly",
    "nguoi khuyet tat": "disabled",
    "nkt": "disabled",
    "nguoi dan toc thieu so": "ethnic_minority",
    "nguoi dtts": "ethnic_minority",
    "nguoi dan toc": "ethnic_minority",
    "dong bao dan toc thieu so": "ethnic_minority",
    "dong bao dtts": "ethnic_minority",
    "nguoi thieu so": "ethnic_minority",
    "nguoi ngheo": "poor",
    "nguoi thuoc ho ngheo": "poor",
    "nguoi ho ngheo": "poor",
    # the same groups in English, for members who write in English ("23 people, 15 elderly")
    "elderly": "elderly",
    "elderly people": "elderly",
    "elderly persons": "elderly",
    "old people": "elderly",
    "seniors": "elderly",
    "senior citizens": "elderly",
    "disabled": "disabled",
    "disabled people": "disabled",
    "disabled persons": "disabled",
    "people with disabilities": "disabled",
    "persons with disabilities": "disabled",
    "ethnic minority": "ethnic_minority",
    "ethnic minorities": "ethnic_minority",
    "ethnic minority people": "ethnic_minority",
    "ethnic minority persons": "ethnic_minority",
    "poor": "poor",
    "poor people": "poor",
    "poor persons": "poor",
}
_HONORIFICS = frozenset({"anh", "chi", "co", "chu", "bac", "em", "ong", "ba", "thay", "dc", "đc"})


@dataclass(slots=True)
class Mention:
    """A programme's words in the message (tokens ``start:end``) and the mentor named after them."""

    programme: str
    start: int
    end: int
    mentor: str | None = None


@dataclass(slots=True)
class ProgrammeFigure:
    """A programme's figure read from a message; ``count`` None when the number was refused."""

    programme: str
    count: int | None
    unit: str
    mentor: str | None = None


@functools.cache
def _words() -> tuple[tuple[tuple[str, ...], str], ...]:
    """Folded words of the programmes village members log, as token sequences, longest first."""
    catalog = shipped()
    logged = {p.id for p in catalog if p.logged_by_villages}
    out = [(tuple(word.split()), pid) for word, pid in catalog.by_word().items() if pid in logged]
    return tuple(sorted(out, key=lambda pair: -len(" ".join(pair[0]))))


@functools.lru_cache(maxsize=4096)
def _starting_with(fold: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """The programme words (as `_words`, in its order) that a token folded as ``fold`` may begin: their first
    word starts with it (a token's word may be glued to the next ones, "4"+"t"). The others cannot match there,
    so each token is tried against a few words, not all of them in every length."""
    return tuple((words, pid) for words, pid in _words() if words[0].startswith(fold))


def _glued(tokens: Sequence[Token], i: int, n: int) -> list[str]:
    """The folded words of up to ``n`` tokens from ``i``, tokens typed without a space joined ("4"+"t")."""
    words: list[str] = []
    for t in tokens[i : i + n]:
        if t.kind in ("punct", "nl"):
            break
        if words and not t.space_before:
            words[-1] += t.fold
        else:
            words.append(t.fold)
    return words


def _match(tokens: Sequence[Token], i: int) -> tuple[int, str] | None:
    """(end, programme id) of the longest programme word starting at token ``i``."""
    if tokens[i].role is not None or tokens[i].kind not in ("word", "num"):
        return None
    if i > 0 and not tokens[i].space_before and tokens[i - 1].kind not in ("punct", "nl"):
        return None  # inside a glued word
    for words, pid in _starting_with(tokens[i].fold):
        for end in range(i + 1, min(len(tokens), i + 8) + 1):
            if any(tokens[k].role is not None for k in range(i, end)):
                break
            got = _glued(tokens, i, end - i)
            if got == list(words):
                glued_after = end < len(tokens) and not tokens[end].space_before and tokens[end].kind == "word"
                if not glued_after:
                    return end, pid
            if len(" ".join(got)) > len(" ".join(words)):
                break
    return None


def _mentor(tokens: list[Token], k: int) -> tuple[str | None, int]:
    """A capitalised name right after a programme's words ("Lan", "chị Nguyễn Lan"): (name, end)."""
    if k < len(tokens) and tokens[k].kind == "word" and tokens[k].fold in _HONORIFICS and tokens[k].orig.islower():
        k += 1
    names: list[Token] = []
    while k < len(tokens) and len(names) < 4:
        t = tokens[k]
        if t.kind != "word" or t.role is not None or not t.orig[:1].isupper() or not t.orig.isalpha():
            break
        names.append(t)
        k += 1
    if not names:
        return None, k
    return " ".join(t.orig for t in names), k


def claim_programmes(tokens: list[Token]) -> list[Mention]:
    """Programme words (and a mentor's name) in the message, claimed (role ``programme``) before the phrases."""
    catalog = shipped()
    mentions: list[Mention] = []
    i = 0
    while i < len(tokens):
        found = _match(tokens, i)
        if found is None:
            i += 1
            continue
        end, pid = found
        for k in range(i, end):
            tokens[k].role = "programme"
        mention = Mention(pid, i, end)
        programme = catalog.get(pid)
        if programme is not None and _has_mentors(programme):
            name, name_end = _mentor(tokens, end)
            if name is not None:
                mention.mentor = name
                for k in range(end, name_end):
                    tokens[k].role = "programme"
                end = name_end
        mentions.append(mention)
        i = end
    return mentions


def _has_mentors(programme: Programme) -> bool:
    return any(m.unit == "mentors" for m in (programme.counted, *programme.also_counted))


def _span(tokens: Sequence[Token], i: int) -> tuple[int, int]:
    """The clause around token ``i``: from after the separator before it to the separator after it."""
    a = i
    while a > 0 and not is_separator(tokens, a - 1):
        a -= 1
    b = i
    while b < len(tokens) and not is_separator(tokens, b):
        b += 1
    return a, b


def _has_help_verb(phrase_at: dict[int, PhraseMatch], a: int, b: int) -> bool:
    return any(m.entry.role == "helpverb" for start, m in phrase_at.items() if a <= start < b)


def bind_programmes(
    tokens: Sequence[Token], mentions: Sequence[Mention], counts: Sequence[Count], phrase_at: dict[int, PhraseMatch]
) -> tuple[list[ProgrammeFigure], list[Count]]:
    """Each mention's figure (the nearest count of its clause), and the counts the programmes take alone."""
    catalog = shipped()
    figures: list[ProgrammeFigure] = []
    taken: list[Count] = []
    used: set[int] = set()
    for mention in mentions:
        a, b = _span(tokens, mention.start)
        free = [c for c in counts if a <= c.start < b and id(c) not in used]
        before = [c for c in free if c.end <= mention.start]
        after = [c for c in free if c.start >= mention.end]
        right_before = [c for c in before if c.end == mention.start]
        candidates = right_before or after or before[-1:]
        chosen = candidates[0] if candidates else None
        programme = catalog.get(mention.programme)
        if chosen is None or programme is None:
            continue
        used.add(id(chosen))
        figures.append(ProgrammeFigure(mention.programme, chosen.value, programme.unit, mention.mentor))
        if not _has_help_verb(phrase_at, a, b):
            taken.append(chosen)
    return _added(figures), taken


def _added(figures: list[ProgrammeFigure]) -> list[ProgrammeFigure]:
    """Figures of one programme (and mentor) added up, in order of first mention; a refused count stays unknown."""
    out: list[ProgrammeFigure] = []
    for f in figures:
        same = next((o for o in out if o.programme == f.programme and o.mentor == f.mentor), None)
        if same is None:
            out.append(ProgrammeFigure(f.programme, f.count, f.unit, f.mentor))
        else:
            same.count = None if same.count is None or f.count is None else same.count + f.count
    return out


def _number_end(tokens: Sequence[Token], count: Count) -> int:
    """Where the number of a count ends (its people word, if any, follows)."""
    k = count.start + 1
    while k < count.end and tokens[k].role == "count":
        k += 1
    return k


def bind_groups(tokens: Sequence[Token], counts: Sequence[Count]) -> list[tuple[str, Count, int]]:
    """Counts whose people words name a priority group: (group, count, end of the group's words)."""
    out: list[tuple[str, Count, int]] = []
    for count in counts:
        k = _number_end(tokens, count)
        words: list[str] = []
        for end in range(k + 1, min(len(tokens), k + 6) + 1):
            t = tokens[end - 1]
            if t.kind != "word":
                break
            words.append(t.fold)
            group = _GROUP_WORDS.get(" ".join(words))
            if group is not None and end >= count.end:
                longer = _longer_group(tokens, words, end)
                out.append((group, count, longer))
                break
    return out


def _longer_group(tokens: Sequence[Token], words: list[str], end: int) -> int:
    """The end of the longest group words from the same start ("người dân tộc" + "thiểu số")."""
    best = end
    more = list(words)
    for k in range(end, min(len(tokens), end + 3)):
        if tokens[k].kind != "word":
            break
        more.append(tokens[k].fold)
        if " ".join(more) in _GROUP_WORDS:
            best = k + 1
    return best


def refused_before(tokens: list[Token], mentions: Sequence[Mention]) -> list[Count]:
    """A fraction or scientific number right before a programme's words ("2,5 hộ gia đình số"): refused.

    The refusals stage reads those only before a people word; the programme's words are claimed before it,
    so its own count is refused here, never rounded."""
    refused: list[Count] = []
    for mention in mentions:
        i = mention.start - 1
        if i < 0 or tokens[i].role is not None or tokens[i].kind not in ("dec", "sci"):
            continue
        t = tokens[i]
        if t.kind == "dec" and (not any(c in t.orig for c in ".,") or t.meta.get("huge")):
            continue
        t.role = "count"
        refused.append(Count(None, i, i + 1, None, "scientific_number" if t.kind == "sci" else "not_a_whole_number"))
    return refused
