"""Text folding and tokenisation for Vietnamese one-line reports.

Village team members type on phones, often without diacritics, with teencode
and with numbers glued to words ("23ng", "muc2", "tdp5").  Everything in the
parser therefore works on *tokens* that carry three spellings of the same
word:

* ``orig``  - exactly as typed (case kept; used for village display and "AI"),
* ``raw``   - lower-cased NFC text with diacritics (used when a diacritic
  decides the meaning: "bà" is not the number "ba", "họp" is not "hợp"),
* ``fold``  - lower-cased, diacritics stripped, ``đ`` -> ``d`` (used for
  keyword matching so that "hỗ trợ", "ho tro" and "hổ trợ" all match).

Dates written with digits (``12/11``, ``12.11.2026``), clock times (``19h30``)
and percentages are recognised here, at the character level, so that their
digits can never be mistaken for head-counts later on.

Numbers that are not whole, positive head-counts are kept whole so that no
part of them can be read as one: ``3,5`` is a ``dec`` token, ``1e18`` and
``2E5`` a ``sci`` token, and ``-5`` a ``neg`` token.  A minus counts as a sign
only when it is glued to the digits and not glued to a word or number before
it: ``-5 người``, ``(-5)`` and ``: -5`` are negative; ``học VNeID - 20 người``,
``VNeID-20`` and ``15-20`` are not.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from storage.text import strip_marks

__all__ = [
    "MINUS_SIGNS",
    "Token",
    "fold",
    "fold_text",
    "has_diacritics",
    "span_text",
    "title_word",
    "tokenize",
    "tone_sig",
    "word_list",
]

# "Ð"/"ð" (Icelandic eth) is often produced by old keyboards instead of "Đ"/"đ".
_PRE_MAP = str.maketrans({"Ð": "Đ", "ð": "đ", "\u2019": "'", "\u00a0": " "})


def _lower(text: str) -> str:
    """NFC-normalise, fix look-alike letters and lower-case."""
    return unicodedata.normalize("NFC", text.translate(_PRE_MAP)).lower()


def fold(text: str) -> str:
    """Lower-case ``text`` and strip every Vietnamese diacritic (``đ`` -> ``d``).

    Look-alike letters are mended first (eth "Ð" is "Đ"); then the project's one folding
    (:func:`storage.text.strip_marks`): only marks are dropped, so punctuation and spacing are kept.
    """
    return strip_marks(text.translate(_PRE_MAP))


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def fold_text(text: str) -> str:
    """Fold ``text`` and collapse punctuation/whitespace runs to one space.

    ``"  Thôn  Hà-Tân!! "`` -> ``"thon ha tan"``.  Used for diacritic- and
    punctuation-insensitive comparisons (e.g. matching village names).
    """
    return _NON_WORD.sub(" ", fold(text)).strip()


_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def tone_sig(word: str) -> str:
    """Spelling signature that ignores *where* the tone mark sits.

    "hoà" and "hòa", "khoẻ" and "khỏe" get the same signature, while "họp"
    and "hợp", "cài" and "cái" stay different.
    """
    nfd = unicodedata.normalize("NFD", _lower(word))
    base = "".join(ch for ch in nfd if ch not in _TONES)
    tones = "".join(sorted(ch for ch in nfd if ch in _TONES))
    return unicodedata.normalize("NFC", base) + ("|" + tones if tones else "")


def word_list(text: str) -> tuple[str, ...]:
    """The words of a word list written as one text: long lists of words read better that way."""
    return tuple(text.split())


def has_diacritics(word: str) -> bool:
    """True when a (lower-cased) word carries any Vietnamese mark or ``đ``."""
    return fold(word) != word


def title_word(word: str) -> str:
    """Capitalise the first letter of a word, lower-case the rest ("3a" -> "3A")."""
    if word and word[0].isdigit():
        return word.upper()
    return word[:1].upper() + word[1:].lower()


@dataclass(slots=True)
class Token:
    """One token of a message.

    ``kind`` is one of: ``word``, ``num`` (integer digits), ``dec`` (decimal
    number, never a count), ``sci`` (scientific notation such as 1e18, never a
    count), ``neg`` (a number with a minus sign, never a count; ``value`` is
    negative for integers), ``date`` (numeric date such as 12/11), ``pair``
    (``23/30`` or ``15-20`` - not a valid date), ``time`` (19h30), ``pct``
    (80%), ``punct`` and ``nl`` (line break).

    ``role`` is filled in by the parser stages (``date``, ``village``,
    ``phrase``, ``count``, ...) so that later stages skip consumed tokens.
    """

    orig: str
    raw: str
    fold: str
    kind: str
    start: int
    end: int
    space_before: bool
    sig: str = ""
    value: int | None = None
    parts: tuple[int, ...] = ()
    role: str | None = None
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def plain(self) -> bool:
        """True when the token was typed without any diacritic."""
        return self.sig == self.raw and "đ" not in self.raw and self.raw.isascii()


_TOKEN_RE = re.compile(
    r"""
    (?P<sci>(?<![\w.,])\d+(?:[.,]\d+)?[eE][+\-]?\d+)
  | (?P<date>(?<![\d.,/:-])\d{1,2}(?P<sep>[/.\-])\d{1,2}(?:(?P=sep)(?:\d{4}|\d{2}))?(?![\d]|[/.\-]\d))
  | (?P<ctime>(?<![\d.,/:-])\d{1,2}:\d{2}(?!\d))
  | (?P<htime>(?<![\d.,/:-])\d{1,2}(?:h|g|giờ|gio)(?:\d{2})?(?![^\W\d_]))
  | (?P<pct>\d+(?:[.,]\d+)?\s?%)
  | (?P<num>\d+(?:[.,]\d+)*)
  | (?P<word>[^\W\d_]+)
  | (?P<nl>\n)
  | (?P<punct>[^\w\s])
    """,
    re.VERBOSE | re.UNICODE,
)

_THOUSANDS = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")
#: Characters read as a minus sign when glued to digits (hyphen, minus, en dash).
MINUS_SIGNS = frozenset({"-", "\u2212", "\u2013"})
_GLUE_KINDS = frozenset({"word", "num", "dec", "sci", "date", "pair", "time", "pct"})


#: Phone shorthand spelled differently from the word it stands for; the
#: folded form is replaced so keyword tables need only the real word
#: ("hôm wa" = hôm qua, "hum nay" = hôm nay, "jup" = giúp).
TEENCODE: dict[str, str] = {
    "wa": "qua",
    "hum": "hom",
    "hok": "khong",
    "khg": "khong",
    "jup": "giup",
    "giub": "giup",
    "nguoj": "nguoi",
    "ngừi": "nguoi",
    "ngui": "nguoi",
}
_VNEID_RE = re.compile(r"(?i)\bv[\s\-_.]*n[\s\-_.]*e[\s\-_.]*i[\s\-_.]*d\b")


def _make(text: str, m: re.Match[str], kind: str, prev_end: int) -> Token:
    """A token for the regex match ``m``: its typed, lower-cased and folded spellings."""
    orig = m.group(0)
    raw = _lower(orig)
    folded = strip_marks(raw)  # raw is already mended and lower-cased: fold(raw) without redoing that
    return Token(
        orig=orig,
        raw=raw,
        fold=TEENCODE.get(folded, folded),
        kind=kind,
        start=m.start(),
        end=m.end(),
        space_before=m.start() > prev_end or prev_end == 0,
        sig=tone_sig(raw),
    )


#: Characters that do not show (zero-width spaces and joiners, bidi marks, soft hyphen, BOM): a number
#: is read as it shows on screen, "5\u200b0" as 50.
_ASTRAL_FORMAT_BLOCKS = (
    (0x110BD, 0x110CE),
    (0x13430, 0x13440),
    (0x1BCA0, 0x1BCA4),
    (0x1D173, 0x1D17B),
    (0xE0001, 0xE0002),
    (0xE0020, 0xE0080),
)
_INVISIBLE = {
    cp: None
    for cp in itertools.chain(range(0x10000), *(range(a, b) for a, b in _ASTRAL_FORMAT_BLOCKS))
    if unicodedata.category(chr(cp)) == "Cf"
}


def tokenize(text: str) -> list[Token]:
    """Split a message into :class:`Token` objects.

    Digits glued to letters are split ("23ng" -> "23", "ng"); the token after
    keeps ``space_before=False`` so callers can tell "9a" from "9 a".
    Characters that do not show are dropped first.
    """
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE).translate(_PRE_MAP))
    text = _VNEID_RE.sub(lambda m: "VNeID" + " " * (len(m.group(0)) - 5), text)
    tokens: list[Token] = []
    prev_end = 0
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "punct"
        if kind == "sep":  # pragma: no cover - group name of the date separator
            kind = "date"
        tok = _make(text, m, kind, prev_end)
        if kind == "date":
            parts = tuple(int(p) for p in re.split(r"[/.\-]", tok.orig))
            tok.parts = parts
        elif kind in ("ctime", "htime"):
            tok.kind = "time"
            if kind == "ctime":
                tok.parts = tuple(int(p) for p in tok.orig.split(":"))
        elif kind == "sci":
            pass  # never a count: kept whole so "1e18" is not read as 18
        elif kind == "num":
            digits = tok.orig
            if "." in digits or "," in digits:
                whole = re.sub(r"[.,]", "", digits)
                if _THOUSANDS.match(digits) and len(whole) <= 9:
                    tok.value = int(whole)
                else:
                    tok.kind = "dec"
                    if _THOUSANDS.match(digits):
                        tok.meta["huge"] = True  # "1.000.000.000.000": whole, but far past any count
            else:
                tok.value = int(digits) if len(digits) <= 9 else None
                if tok.value is None:
                    tok.kind = "dec"
        tokens.append(tok)
        prev_end = m.end()
    if tokens:
        tokens[0].space_before = True
    _mark_negatives(tokens)
    return tokens


def _mark_negatives(tokens: list[Token]) -> None:
    """Turn a number with a minus sign into a ``neg`` token (see module docstring)."""
    for i in range(1, len(tokens)):
        tok, sign = tokens[i], tokens[i - 1]
        if tok.kind not in ("num", "dec") or tok.space_before or sign.kind != "punct":
            continue
        if sign.orig not in MINUS_SIGNS:
            continue
        glued_after_text = i >= 2 and not sign.space_before and tokens[i - 2].kind in _GLUE_KINDS
        if glued_after_text:
            continue  # "VNeID-20", "15-20": a separator, not a sign
        tok.kind = "neg"
        tok.meta["sign"] = sign.orig
        if tok.value is not None:
            tok.value = -tok.value


def span_text(tokens: Sequence[Token], start: int, end: int) -> str:
    """The text of tokens ``start..end-1`` as typed, spaces kept where they were."""
    out: list[str] = []
    for k in range(max(start, 0), min(end, len(tokens))):
        if out and tokens[k].space_before:
            out.append(" ")
        out.append(tokens[k].orig)
    return "".join(out)
