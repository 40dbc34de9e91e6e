"""Text folding shared by storage and handlers: matching names without caring for diacritics."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics (đ -> d) and collapse spaces."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().lower()


def tidy_name(text: str) -> str:
    """A name as typed, in NFC with single spaces and a capital first letter."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return text[:1].upper() + text[1:]
