"""Folding text for matching names without caring for diacritics: the one folding of the project.

Storage keys names with :func:`fold`; the one-line reader (``bot/nlu/normalize.py``) folds each word of a
message with :func:`strip_marks`, after mending the look-alike letters old keyboards type.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_D_WITH_STROKE = str.maketrans({"đ": "d"})


def strip_marks(text: str) -> str:
    """Lower-case and drop every Vietnamese mark (đ -> d), keeping spaces and punctuation as typed."""
    low = unicodedata.normalize("NFC", text).lower().translate(_D_WITH_STROKE)
    decomposed = unicodedata.normalize("NFD", low)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics (đ -> d) and collapse spaces: the key a name is stored under."""
    return _SPACES.sub(" ", strip_marks(text)).strip()


def tidy_name(text: str) -> str:
    """A name as typed, in NFC with single spaces and a capital first letter."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return text[:1].upper() + text[1:]
