"""``parse [--today YYYY-MM-DD] [--village NAME ...] TEXT...`` - debug the parser.

Prints ``json.dumps(parse_report(...).to_json(), ensure_ascii=False)``: intent, date (null when the
day named is impossible, e.g. 30/02), village, session, help (a count null when the number written was
refused), ``problems`` (e.g. ``invalid_date``, ``negative_count``, ``not_a_whole_number``) and
``unreadable`` (each refused day or number with its text); only when read, ``programmes`` (``id``, ``count``,
``unit``, ``mentor`` when named) and ``priority_groups`` (attendees by group: elderly, disabled, ethnic_minority).
The text may be given as several arguments; they are joined with spaces.
Without ``--today`` the current date in Asia/Ho_Chi_Minh is used.
The lead wires this as ``bdhvs parse``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.nlu.parser import parse_report

__all__ = ["build_arg_parser", "main"]

_TZ = "Asia/Ho_Chi_Minh"


def _today_vn() -> _dt.date:
    """Current calendar date in Vietnam (UTC+7, no DST, if tzdata is missing)."""
    try:
        tz: _dt.tzinfo = ZoneInfo(_TZ)
    except ZoneInfoNotFoundError:  # pragma: no cover - minimal containers
        tz = _dt.timezone(_dt.timedelta(hours=7))
    return _dt.datetime.now(tz).date()


def _iso_date(value: str) -> _dt.date:
    """A day given on the command line as YYYY-MM-DD, or argparse's error."""
    try:
        return _dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from exc


def build_arg_parser() -> argparse.ArgumentParser:
    """Argument parser for the ``parse`` command (reusable by the main CLI)."""
    ap = argparse.ArgumentParser(prog="parse", description="Parse one report message and print JSON.")
    ap.add_argument("--today", type=_iso_date, default=None, help="reference date, YYYY-MM-DD")
    ap.add_argument(
        "--village",
        action="append",
        default=[],
        metavar="NAME",
        help="a village of the commune (repeatable) to match names against",
    )
    ap.add_argument("text", nargs="+", help="the message (several words are joined with spaces)")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the process exit code."""
    args = build_arg_parser().parse_args(argv)
    today = args.today or _today_vn()
    text = " ".join(args.text)
    result = parse_report(text, today, tuple(args.village))
    sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
