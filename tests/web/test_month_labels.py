"""The leaders' pages label a chart's months the translator's way: «T10» in Vietnamese, «Oct» in English."""

from __future__ import annotations

import datetime as dt
import re

from bot.i18n import Translator
from bot.webpages.svg import line_chart


def _labels(locale: str) -> list[str]:
    months = [dt.date(2026, m, 1) for m in (9, 10, 11)]
    svg = line_chart(Translator(locale), "sessions", "Buổi", months, [("value", "x", "#000", False, [1, 2, 3])], False)
    return re.findall(r'text-anchor="middle">([^<]+)</text>', svg)


def test_month_labels_follow_the_locale() -> None:
    assert _labels("vi") == ["T9", "T10", "T11"]
    assert _labels("en") == ["Sep", "Oct", "Nov"]
