"""`bdhvs export` and `bdhvs report`: a commune's records, and the monthly reports as files."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from typing import Any

from bot.cli.common import Commands, config_of, migrated_session
from bot.clock import SystemClock, local_today
from bot.reports.data import commune_report, file_name, province_report, to_csv
from bot.reports.xlsx import commune_workbook, province_workbook
from storage.activity import export_commune
from storage.areas import get_commune
from storage.progress import Scope

EXPORT_COLUMNS = ["record", "id", "date", "village", "topics_or_kind", "count", "member_id", "author_id", "source"]


def cmd_export(args: argparse.Namespace) -> int:
    """Every session and help record of a commune, as JSON or CSV on standard output."""
    with migrated_session(config_of(args)) as session:
        commune = get_commune(session, args.commune)
        data: dict[str, Any] = {
            "commune": {"code": commune.code, "name": commune.name},
            **export_commune(session, args.commune),
        }
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    writer = csv.writer(sys.stdout)
    writer.writerow(EXPORT_COLUMNS)
    for s in data["sessions"]:
        writer.writerow(
            [
                "session",
                s["id"],
                s["date"],
                s["village"],
                "|".join(s["topics"]),
                s["attendees"],
                s["member_id"],
                s["author_id"],
                s["source"],
            ]
        )
    for h in data["help_records"]:
        writer.writerow(
            [
                "help",
                h["id"],
                h["date"],
                h["village"],
                h["kind"],
                h["count"],
                h["member_id"],
                h["author_id"],
                h["source"],
            ]
        )
    return 0


def _month_arg(text: str) -> dt.date:
    """--month YYYY-MM as the first day of that month."""
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, e.g. 2026-11, got {text!r}") from None


def _report_content(data: dict[str, Any], file_format: str, today: dt.date) -> bytes:
    """The report in the format asked for: JSON (the public contract), CSV or an XLSX workbook."""
    if file_format == "json":
        return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if file_format == "csv":
        return to_csv(data).encode("utf-8")
    build = commune_workbook if data["kind"] == "commune" else province_workbook
    return build(data, today=today)


def cmd_report(args: argparse.Namespace) -> int:
    """A commune's or a province's monthly report as JSON (the public contract), CSV or XLSX."""
    config = config_of(args)
    clock = SystemClock()
    today, now = local_today(clock, config.tz), clock.now()
    with migrated_session(config) as session:
        if args.commune is not None:
            data = commune_report(
                session, Scope.operator(), args.commune, args.month, today=today, tz=config.tz, now=now
            )
        else:
            data = province_report(session, Scope.operator(), args.province, args.month, tz=config.tz, now=now)
    content = _report_content(data, args.format, today)
    output = args.output
    if output is None and args.format == "xlsx" and sys.stdout.isatty():
        output = file_name(data, "xlsx")  # never spill a binary file onto a terminal
    if output and output != "-":
        with open(output, "wb") as handle:
            handle.write(content)
        print(f"written: {output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    return 0


def add_export_commands(commands: Commands) -> None:
    """`export` on the top-level subcommands."""
    export = commands.add_parser("export", help="every session and help record of a commune")
    export.add_argument("--commune", type=int, required=True)
    export.add_argument("--format", choices=["json", "csv"], default="json")
    export.set_defaults(func=cmd_export)


def add_report_commands(commands: Commands) -> None:
    """`report` on the top-level subcommands."""
    report = commands.add_parser("report", help="a commune's or a province's monthly report (json, csv, xlsx)")
    unit = report.add_mutually_exclusive_group(required=True)
    unit.add_argument("--commune", type=int, help="official commune code, e.g. 18196")
    unit.add_argument("--province", type=int, help="official province code, e.g. 42")
    report.add_argument("--month", type=_month_arg, required=True, help="YYYY-MM, e.g. 2026-11")
    report.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
    report.add_argument("-o", "--output", help="file to write (default: standard output)")
    report.set_defaults(func=cmd_report)
