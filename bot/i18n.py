"""Translations and locale-aware formatting (Babel): Vietnamese first, English second.

Messages are written in Vietnamese in the code (the msgid); the English catalog translates them.
Placeholders are named and filled after translation: `_("Đã lưu {n} buổi").format(n=...)`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED = ("vi", "en")
DEFAULT_LOCALE = "vi"


@lru_cache(maxsize=None)
def _translations(locale: str) -> NullTranslations:
    if locale == "vi":
        return NullTranslations()  # the source strings are Vietnamese
    return Translations.load(str(LOCALES_DIR), [locale], domain="messages")


def pick_locale(code: str | None) -> str:
    """The supported locale closest to a platform language code, Vietnamese by default."""
    if code and code.split("-")[0].lower() in SUPPORTED:
        return code.split("-")[0].lower()
    return DEFAULT_LOCALE


# Babel parses the pattern and looks up the locale's symbols on every call; the same few numbers and days
# are formatted over and over (counts, this week's dates), so the results are kept.
@lru_cache(maxsize=4096)
def _number(value: int | float, locale: str) -> str:
    return format_decimal(value, locale=locale)


@lru_cache(maxsize=4096)
def _date(value: dt.date, pattern: str, locale: str) -> str:
    return format_date(value, pattern, locale=locale)


class Translator:
    """Everything a handler needs to speak one person's language."""

    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        self.locale = locale if locale in SUPPORTED else DEFAULT_LOCALE
        self._t = _translations(self.locale)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def number(self, value: int | float) -> str:
        """1.234 in Vietnamese, 1,234 in English."""
        return _number(value, self.locale)

    def percent(self, ratio: float) -> str:
        """82,5% in Vietnamese."""
        return format_percent(ratio, format="#,##0.#%", locale=self.locale)

    def date(self, value: dt.date) -> str:
        """26/11/2026 in Vietnamese, 26/11/2026 in English too (the teams' habit)."""
        return _date(value, "dd/MM/yyyy", self.locale)

    def short_date(self, value: dt.date) -> str:
        return _date(value, "dd/MM", self.locale)

    def weekday(self, value: dt.date) -> str:
        """Thứ Năm / Thursday."""
        name = _date(value, "EEEE", self.locale)
        return name[:1].upper() + name[1:]
