"""Translations and Vietnamese formats."""

from __future__ import annotations

import datetime as dt

from bot.i18n import Translator, pick_locale


def test_vietnamese_number_date_and_percent_formats() -> None:
    tr = Translator("vi")
    assert tr.number(1234) == "1.234"
    assert tr.date(dt.date(2026, 11, 26)) == "26/11/2026"
    assert tr.percent(0.825) == "82,5%"
    assert tr.weekday(dt.date(2026, 11, 26)) == "Thứ Năm"


def test_a_percent_that_rounds_to_nothing_is_zero_whichever_sign_came_first() -> None:
    """-0.0 equals 0.0, so a kept result for one must not be shown for the other as "-0%"."""
    for locale in ("vi", "en"):
        tr = Translator(locale)
        assert tr.percent(-0.0) == "0%"
        assert tr.percent(-0.0001) == "0%"
        assert tr.percent(0.0) == "0%"
        assert tr.percent(-0.25) == "-25%"


def test_english_catalog_is_compiled_and_used() -> None:
    tr = Translator("en")
    assert tr.number(1234) == "1,234"
    assert tr.gettext("Đã chuyển sang tiếng Việt.") == "Switched to English."
    assert tr.gettext("Hướng dẫn sử dụng") != "Hướng dẫn sử dụng"


def test_unknown_locales_fall_back_to_vietnamese() -> None:
    assert pick_locale("fr-FR") == "vi" and pick_locale("en-US") == "en" and pick_locale(None) == "vi"
    assert Translator("fr").locale == "vi"


def test_month_short_is_t10_in_vietnamese_and_babel_s_abbreviation_in_english() -> None:
    assert Translator("vi").month_short(dt.date(2026, 10, 1)) == "T10"
    assert Translator("vi").month_short(1) == "T1"
    assert [Translator("en").month_short(m) for m in (1, 5, 10, 12)] == ["Jan", "May", "Oct", "Dec"]
