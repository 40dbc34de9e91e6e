"""The chart and workbook makers, loaded at the first chart or workbook asked for.

`bot.reports.charts` imports matplotlib (about 2 s) and `bot.reports.xlsx` imports openpyxl (about 1 s) when
they load, against under 1 s for all the handlers: every engine process is spawned (not forked) and would pay
that at start-up for files few people ask for. So these modules (and `bot.reports.programme_charts`, drawn
with matplotlib too), and only they, are loaded on first use, through `importlib`; everything else in the
handlers is imported at module level.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from bot.i18n import Translator
from storage.progress import CommuneProgress, ProvinceRollup


def progress_chart(progress: CommuneProgress, tr: Translator, title: str) -> bytes:
    """A commune's or a village's progress as a PNG (bot.reports.charts)."""
    chart: bytes = importlib.import_module("bot.reports.charts").progress_chart(progress, tr, title)
    return chart


def province_chart(rollup: ProvinceRollup, tr: Translator, title: str) -> bytes:
    """A province's month as a PNG (bot.reports.charts)."""
    chart: bytes = importlib.import_module("bot.reports.charts").province_chart(rollup, tr, title)
    return chart


def programmes_chart(series: list[tuple[dt.date, list[Any]]], tr: Translator, title: str) -> bytes:
    """The province's programmes month by month against their targets (bot.reports.programme_charts)."""
    chart: bytes = importlib.import_module("bot.reports.programme_charts").programmes_chart(series, tr, title)
    return chart


def commune_workbook(data: dict[str, Any], tr: Translator, today: dt.date) -> bytes:
    """A commune's monthly report form as XLSX (bot.reports.xlsx)."""
    book: bytes = importlib.import_module("bot.reports.xlsx").commune_workbook(data, tr, today=today)
    return book


def province_workbook(data: dict[str, Any], tr: Translator, today: dt.date) -> bytes:
    """A province's consolidated monthly report form as XLSX (bot.reports.xlsx)."""
    book: bytes = importlib.import_module("bot.reports.xlsx").province_workbook(data, tr, today=today)
    return book
