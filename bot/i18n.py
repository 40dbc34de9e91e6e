"""Translations and locale-aware formatting (Babel): Vietnamese first, English second.

Messages are written in Vietnamese in the code (the msgid); the English catalog translates them.
Placeholders are named and filled after translation: `_("Đã lưu {n} buổi").format(n=...)`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import logging
from functools import cache, lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

#: Compiled catalogs shipped inside the package (built when a wheel is built, see setup.py).
PACKAGED_LOCALES_DIR = Path(__file__).resolve().parent / "locale"
#: The catalogs of a source checkout (``make catalogs`` compiles the .mo files beside the .po files).
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED = ("vi", "en")
DEFAULT_LOCALE = "vi"
DOMAIN = "messages"

log = logging.getLogger(__name__)


def _catalog_file(root: Path, locale: str, suffix: str) -> Path:
    """Where a locale's catalog file lies under a locales folder."""
    return root / locale / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def _compile_in_memory(po_path: Path) -> Translations:
    """Compile a .po file in memory: a checkout run without ``make catalogs`` still speaks English."""
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=True)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def load_catalog(locale: str) -> NullTranslations:
    """The translations of ``locale``: the packaged .mo, else the checkout's .mo unless its .po is newer, else
    the checkout's .po compiled in memory.

    A missing catalog is logged, never silent: English falling back to Vietnamese is a bug to see.
    """
    packaged = _catalog_file(PACKAGED_LOCALES_DIR, locale, ".mo")
    source_po = _catalog_file(LOCALES_DIR, locale, ".po")
    source_mo = _catalog_file(LOCALES_DIR, locale, ".mo")
    if source_po.exists():
        # a checkout: its own catalogs win over whatever an older build left in the package folder
        if source_mo.exists() and source_mo.stat().st_mtime >= source_po.stat().st_mtime:
            with source_mo.open("rb") as mo_file:
                return Translations(mo_file, domain=DOMAIN)
        return _compile_in_memory(source_po)
    if packaged.exists():
        with packaged.open("rb") as mo_file:
            return Translations(mo_file, domain=DOMAIN)
    log.error("no message catalog for locale %r: messages will be shown in Vietnamese", locale)
    return NullTranslations()


@cache
def _translations(locale: str) -> NullTranslations:
    """The translations for a locale (none for Vietnamese, the source language)."""
    if locale == "vi":
        return NullTranslations()  # the source strings are Vietnamese
    return load_catalog(locale)


def pick_locale(code: str | None) -> str:
    """The supported locale closest to a platform language code, Vietnamese by default."""
    if code and code.split("-")[0].lower() in SUPPORTED:
        return code.split("-")[0].lower()
    return DEFAULT_LOCALE


# Babel parses the pattern and looks up the locale's symbols on every call; the same few numbers and days
# are formatted over and over (counts, this week's dates), so the results are kept.
@lru_cache(maxsize=4096)
def _number(value: int | float, locale: str) -> str:
    """A number written the locale's way (1.234 in Vietnamese, 1,234 in English)."""
    if isinstance(value, int):
        # Babel rounds in the current decimal context (28 digits): a longer whole number, such as a count
        # someone typed as 1.000.000.000.000.000.000.000.000.000, would raise instead of being shown.
        with decimal.localcontext() as context:
            context.prec = max(context.prec, value.bit_length() // 3 + 2)
            return format_decimal(value, locale=locale)
    return format_decimal(value, locale=locale)


@lru_cache(maxsize=4096)
def _percent(ratio: float, locale: str) -> str:
    """A ratio as a percent the locale's way, one decimal at most (82,5% in Vietnamese).

    Rounded first as Babel rounds it (the ratio's decimal text × 100 to one decimal, half to even), so the
    kept results are few however many ratios are written (a page's charts draw hundreds); a page writes the
    same ratios many times over (a target each month, the charts' ticks), so the ratio's own text is kept too."""
    shown = (decimal.Decimal(str(ratio)) * 100).quantize(_TENTH, rounding=decimal.ROUND_HALF_EVEN)
    # A ratio that rounds to nothing is 0%, never "-0%": -0.0 also equals 0.0, so whichever of the two was
    # formatted first would be kept for both.
    return _percent_of(shown if shown else _ZERO, locale)


_TENTH = decimal.Decimal("0.1")
_ZERO = decimal.Decimal(0)


@lru_cache(maxsize=4096)
def _percent_of(shown: decimal.Decimal, locale: str) -> str:
    """A percent already rounded to one decimal (82.5 for 82,5%), the locale's way."""
    return format_percent(shown / 100, format="#,##0.#%", locale=locale)


@lru_cache(maxsize=4096)
def _date(value: dt.date, pattern: str, locale: str) -> str:
    """A date written with a Babel pattern in the locale."""
    return format_date(value, pattern, locale=locale)


class Translator:
    """Everything a handler needs to speak one person's language."""

    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = locale if locale in SUPPORTED else DEFAULT_LOCALE
        self._t = _translations(self.locale)

    def gettext(self, message: str) -> str:
        """The message in this person's language."""
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The singular or plural message for n, in this person's language."""
        return self._t.ngettext(singular, plural, n)

    def number(self, value: int | float) -> str:
        """1.234 in Vietnamese, 1,234 in English."""
        return _number(value, self.locale)

    def percent(self, ratio: float) -> str:
        """82,5% in Vietnamese."""
        return _percent(ratio, self.locale)

    def date(self, value: dt.date) -> str:
        """26/11/2026 in Vietnamese, 26/11/2026 in English too (the teams' habit)."""
        return _date(value, "dd/MM/yyyy", self.locale)

    def short_date(self, value: dt.date) -> str:
        """Day and month only (dd/MM)."""
        return _date(value, "dd/MM", self.locale)

    def month_short(self, value: dt.date | int) -> str:
        """A month in a chart's few letters: «T10» in Vietnamese (tháng 10), «Oct» in English (Babel's
        abbreviated month name)."""
        month = value if isinstance(value, int) else value.month
        if self.locale == "vi":
            return f"T{month}"
        return _date(dt.date(2000, month, 1), "LLL", self.locale)

    def weekday(self, value: dt.date) -> str:
        """Thứ Năm / Thursday."""
        name = _date(value, "EEEE", self.locale)
        return name[:1].upper() + name[1:]
