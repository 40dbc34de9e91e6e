"""Vietnamese number words ("hai mươi mốt", "một trăm lẻ năm", "muoi lam").

Grammar (per the spoken language, covering 0..999 999):

* units ``một hai ba bốn năm sáu bảy tám chín``;
* ``mười`` = 10, ``mười một`` = 11, ``mười lăm`` / ``mười nhăm`` = 15,
  ``mười tư`` = 14;
* ``D mươi`` = D*10, followed by a unit where ``mốt`` = 1, ``tư`` = 4,
  ``lăm``/``nhăm``/``năm`` = 5 ("hai mươi mốt" = 21, "ba mươi tư" = 34);
  ``mươi`` alone means "about ten" and is read as 10;
* ``D chục`` = D*10 ("hai chục" = 20), ``chục`` alone = 10;
* ``D trăm`` then optionally ``linh``/``lẻ`` + unit (105), a tens part (120),
  a lone unit meaning tens in colloquial speech ("hai trăm mốt" = 210,
  "trăm hai" = 120) or ``rưỡi`` (+50);
* ``N nghìn``/``ngàn`` followed by a number below 1000.

Without diacritics several words collide with ordinary words ("nam" =
south, "sau" = after, "bay" = fly, "tam" = temporary, "ba" = grandmother
when written "bà").  :func:`read_number` therefore accepts a token as a
number word only if it is spelled exactly as the number (``raw``), or was
typed without any diacritic (``plain``) while the message itself is mostly
unaccented; and it reports whether a one-word result is *ambiguous* so the
caller can demand a unit after it ("sau người" yes, "sau buổi học" no).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlu.normalize import Token, span_text, tokenize

__all__ = ["AMBIGUOUS_SINGLE", "CountReading", "NumberMatch", "parse_number_text", "read_count", "read_number"]

# raw spelling -> role.  Roles: ("d", n) unit digit; ("muoi10",) mười;
# ("muoi",) mươi; ("tram",); ("chuc",); ("nghin",); ("linh",); ("ruoi",);
# ("mot1",) mốt; ("tu4",) tư; ("lam5",) lăm/nhăm.
_RAW_WORDS: dict[str, tuple[str, int]] = {
    "không": ("d", 0),
    "một": ("d", 1),
    "hai": ("d", 2),
    "ba": ("d", 3),
    "bốn": ("d", 4),
    "năm": ("d", 5),
    "sáu": ("d", 6),
    "bảy": ("d", 7),
    "bẩy": ("d", 7),
    "tám": ("d", 8),
    "chín": ("d", 9),
    "mười": ("muoi10", 10),
    "mươi": ("muoi", 10),
    "trăm": ("tram", 100),
    "chục": ("chuc", 10),
    "nghìn": ("nghin", 1000),
    "ngàn": ("nghin", 1000),
    "linh": ("linh", 0),
    "lẻ": ("linh", 0),
    "rưỡi": ("ruoi", 5),
    "mốt": ("mot1", 1),
    "tư": ("tu4", 4),
    "lăm": ("lam5", 5),
    "nhăm": ("lam5", 5),
}

# folded spelling -> role (for unaccented text).  "muoi" is resolved by
# position (mười at the start, mươi after a digit); "mot" likewise.
_FOLD_WORDS: dict[str, tuple[str, int]] = {
    "khong": ("d", 0),
    "mot": ("d", 1),
    "hai": ("d", 2),
    "ba": ("d", 3),
    "bon": ("d", 4),
    "nam": ("d", 5),
    "sau": ("d", 6),
    "bay": ("d", 7),
    "tam": ("d", 8),
    "chin": ("d", 9),
    "muoi": ("muoi?", 10),
    "tram": ("tram", 100),
    "chuc": ("chuc", 10),
    "nghin": ("nghin", 1000),
    "ngan": ("nghin", 1000),
    "linh": ("linh", 0),
    "le": ("linh", 0),
    "ruoi": ("ruoi", 5),
    "tu": ("tu4", 4),
    "lam": ("lam5", 5),
    "nham": ("lam5", 5),
}

#: Folded words that, standing alone, are more often something else.
AMBIGUOUS_SINGLE = frozenset({"mot", "ba", "bon", "nam", "sau", "bay", "tam", "chin", "muoi", "chuc", "tram", "ngan"})


@dataclass(slots=True, frozen=True)
class NumberMatch:
    """A number read from ``tokens[start:end]``.

    ``ambiguous`` is True for a single word that is also an ordinary word
    when unaccented (see :data:`AMBIGUOUS_SINGLE`), or a lone ``năm``
    (also "year") or ``một`` (also "a", as in "một cửa").
    """

    value: int
    start: int
    end: int
    ambiguous: bool


def _role(tok: Token, accented_text: bool) -> tuple[str, int] | None:
    """Number role of a token, or None when it is not a number word."""
    if tok.kind != "word":
        return None
    if tok.raw in _RAW_WORDS:
        return _RAW_WORDS[tok.raw]
    if tok.plain and tok.fold in _FOLD_WORDS:
        # In a carefully accented message an unaccented "nam"/"sau" is a
        # different word ("Nam", "sau"); only spellings that are identical
        # with and without marks ("hai", "ba", "linh") stay numbers.
        if accented_text and tok.fold not in ("hai", "ba", "linh"):
            return None
        return _FOLD_WORDS[tok.fold]
    return None


def _digit(role: tuple[str, int] | None) -> int | None:
    """The digit of a number word's role ("d", n), else None."""
    if role and role[0] == "d":
        return role[1]
    return None


def _tens_unit(role: tuple[str, int] | None) -> int | None:
    """Unit allowed after mươi/mười: digits 1..9 plus mốt, tư, lăm."""
    if role is None:
        return None
    kind, val = role
    if kind == "d" and val != 0:
        return val
    if kind in ("mot1", "tu4", "lam5"):
        return val
    return None


def _read_below_100(tokens: Sequence[Token], i: int, accented: bool, after_hundred: bool) -> tuple[int, int] | None:
    """Read 1..99 starting at ``tokens[i]``; returns (value, next index)."""
    n = len(tokens)
    if i >= n:
        return None
    r0 = _role(tokens[i], accented)
    if r0 is None:
        return None
    kind0 = r0[0]
    if kind0 in ("muoi10", "muoi?", "muoi"):
        # mười / muoi at the start = 10 (+ unit)
        val = 10
        j = i + 1
        u = _tens_unit(_role(tokens[j], accented)) if j < n else None
        if u is not None:
            return val + u, j + 1
        return val, j
    if kind0 == "chuc":
        return 10, i + 1
    d = _digit(r0)
    if d is None:
        if after_hundred and kind0 in ("mot1", "tu4", "lam5"):
            return r0[1] * 10, i + 1
        return None
    j = i + 1
    r1 = _role(tokens[j], accented) if j < n else None
    if r1 is not None and r1[0] in ("muoi", "muoi?") and d >= 1:
        if d == 1 and r1[0] == "muoi":
            return None  # "một mươi" is not said
        val = d * 10 if d > 1 else 10
        j += 1
        u = _tens_unit(_role(tokens[j], accented)) if j < n else None
        if u is not None:
            return val + u, j + 1
        return val, j
    if r1 is not None and r1[0] == "chuc" and d >= 1:
        val = d * 10
        j += 1
        r2 = _role(tokens[j], accented) if j < n else None
        if r2 is not None and r2[0] == "ruoi":
            return val + 5, j + 1
        return val, j
    if r1 is not None and d >= 2 and r1[0] in ("mot1", "tu4", "lam5"):
        return d * 10 + r1[1], j + 1  # colloquial "hai mốt" = 21, "ba tư" = 34, "hai lăm" = 25
    if r1 is not None and d >= 2 and tokens[j].plain and tokens[j].fold == "mot" and not after_hundred:
        return d * 10 + 1, j + 1  # unaccented "hai mot" = hai mốt
    if after_hundred:
        return d * 10, j  # "hai trăm mốt/hai" style: lone unit = tens
    if d == 0:
        return None
    return d, j


def _read_below_1000(tokens: Sequence[Token], i: int, accented: bool) -> tuple[int, int] | None:
    """Read 1..999 starting at ``tokens[i]``; returns (value, next index)."""
    n = len(tokens)
    if i >= n:
        return None
    r0 = _role(tokens[i], accented)
    d = _digit(r0)
    if d is not None and d > 0 and i + 1 < n:
        r1 = _role(tokens[i + 1], accented)
        if r1 is not None and r1[0] == "tram":
            val = d * 100
            j = i + 2
            r2 = _role(tokens[j], accented) if j < n else None
            if r2 is None:
                return val, j
            if r2[0] == "linh":
                u = _digit(_role(tokens[j + 1], accented)) if j + 1 < n else None
                if u is not None and u > 0:
                    return val + u, j + 2
                return val, j
            if r2[0] == "ruoi":
                return val + 50, j + 1
            if r2[0] == "d" and r2[1] == 0:
                # "không trăm" only inside thousands; "hai trăm không" -> stop
                return val, j
            rest = _read_below_100(tokens, j, accented, after_hundred=True)
            if rest is not None:
                return val + rest[0], rest[1]
            return val, j
    return _read_below_100(tokens, i, accented, after_hundred=False)


def read_number(tokens: Sequence[Token], i: int, accented_text: bool = False) -> NumberMatch | None:
    """Read a number written in words starting at ``tokens[i]``.

    Returns None when ``tokens[i]`` does not start a number.  Digit tokens
    are not handled here (the caller reads them directly).
    """
    first = _read_below_1000(tokens, i, accented_text)
    if first is None:
        return None
    value, j = first
    n = len(tokens)
    if j < n:
        r = _role(tokens[j], accented_text)
        if r is not None and r[0] == "nghin":
            value *= 1000
            j += 1
            if j + 2 < n and _digit(_role(tokens[j], accented_text)) == 0:
                r1 = _role(tokens[j + 1], accented_text)
                if r1 is not None and r1[0] == "tram":
                    k = j + 2
                    r2 = _role(tokens[k], accented_text) if k < n else None
                    if r2 is not None and r2[0] == "linh":
                        u = _digit(_role(tokens[k + 1], accented_text)) if k + 1 < n else None
                        if u:
                            return NumberMatch(value + u, i, k + 2, False)
                    rest = _read_below_100(tokens, k, accented_text, after_hundred=False)
                    if rest is not None:
                        return NumberMatch(value + rest[0], i, rest[1], False)
            rest2 = _read_below_1000(tokens, j, accented_text)
            if rest2 is not None:
                value += rest2[0]
                j = rest2[1]
    single = j - i == 1
    tok = tokens[i]
    ambiguous = single and (tok.fold in AMBIGUOUS_SINGLE and (tok.plain or tok.raw in ("năm", "một")))
    return NumberMatch(value, i, j, ambiguous)


def parse_number_text(text: str) -> int | None:
    """Parse a whole string as one number ("hai mươi mốt" -> 21, "15" -> 15).

    Returns None unless the entire text is one number.  The text's own
    accents decide how unaccented words are read (see module docstring).
    """
    tokens = [t for t in tokenize(text) if t.kind != "punct"]
    if not tokens:
        return None
    if len(tokens) == 1 and tokens[0].kind == "num":
        return tokens[0].value
    accented = any(not t.plain for t in tokens if t.kind == "word")
    m = read_number(tokens, 0, accented_text=accented and not _all_number_plain(tokens))
    if m is None or m.end != len(tokens):
        return None
    return m.value


def _all_number_plain(tokens: Sequence[Token]) -> bool:
    """Whether no token is accented in a way foreign to number words."""
    return all(t.plain or t.raw in _RAW_WORDS for t in tokens)


@dataclass(slots=True, frozen=True)
class CountReading:
    """A typed answer to "how many people?": the number, or why the number typed is refused.

    ``problem`` is ``negative_count`` ("-5"), ``not_a_whole_number`` ("3,5",
    "3.5"), ``scientific_number`` ("1e3") or ``number_range`` ("15-20", "15 đến
    20", "23/30"), with ``text`` the number as
    typed; both empty and ``value`` None when the answer is not a number at
    all.  Zero and huge numbers are returned as read: the caller checks the
    range.
    """

    value: int | None
    problem: str | None = None
    text: str = ""


#: People units that may follow a typed count, folded ("15 người", "15 lượt", "15 bà con").
_COUNT_UNITS = ("nguoi dan", "ba con", "nguoi", "ng", "luot", "ho")


def _strip_unit(tokens: list[Token]) -> list[Token]:
    """Drop a trailing full stop and one trailing people unit."""
    while tokens and tokens[-1].kind == "punct" and tokens[-1].orig in (".", "!"):
        tokens = tokens[:-1]
    words = [t.fold for t in tokens]
    for unit in _COUNT_UNITS:
        size = len(unit.split())
        if len(words) > size and " ".join(words[-size:]) == unit:
            return tokens[:-size]
    return tokens


_RANGE_LINKS = frozenset({"-", "\u2212", "\u2013", "\u2014", "/", "den", "toi"})


def _is_range(tokens: list[Token]) -> bool:
    """A whole answer that is a range or a share: "15-20", "15 - 20", "15 đến 20", "23/30"."""
    if len(tokens) == 1 and tokens[0].kind in ("date", "pair") and len(tokens[0].parts) == 2:
        return "." not in tokens[0].orig
    return (
        len(tokens) == 3
        and tokens[0].kind == "num"
        and tokens[1].fold in _RANGE_LINKS
        and tokens[2].kind in ("num", "neg")
    )


def read_count(text: str) -> CountReading:
    """Read a whole typed answer as one head-count ("17", "17 người", "mười bảy"), never guessing.

    A negative, fractional or scientific number is refused with its problem
    code rather than read as another number.
    """
    tokens = _strip_unit(tokenize(text))
    if _is_range(tokens):
        return CountReading(None, "number_range", span_text(tokens, 0, len(tokens)))
    body = [t for t in tokens if t.kind != "punct"]
    if len(body) != 1 or body[0].kind == "word":
        return CountReading(parse_number_text(span_text(tokens, 0, len(tokens))) if body else None)
    tok = body[0]
    typed = str(tok.meta.get("sign", "")) + tok.orig
    if tok.kind == "neg":
        return CountReading(None, "negative_count", typed)
    if tok.kind == "sci":
        return CountReading(None, "scientific_number", typed)
    if tok.kind == "num" and len(tokens) == 1:
        return CountReading(tok.value)
    if tok.kind == "dec" and len(tokens) == 1 and not tok.meta.get("huge"):
        if "." in tok.orig or "," in tok.orig:
            return CountReading(None, "not_a_whole_number", typed)
        return CountReading(int(tok.orig) if len(tok.orig) <= 18 else None)  # the caller finds it too large
    if tok.kind == "date" and len(tok.parts) == 2 and "." in tok.orig and len(tokens) == 1:
        return CountReading(None, "not_a_whole_number", typed)  # "3.5"
    return CountReading(None)
