"""`bdhvs import villages|members FILE`: a commune's spreadsheets checked row by row, applied only with --apply.

Nothing is written unless `--apply` is given and every row is valid, and then in one transaction; the same file
imported twice changes nothing. `import members` writes the personal invite links to an XLSX to send out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import Commands, config_of, open_database
from bot.cli.invites import learn_bot_username
from bot.clock import SystemClock
from bot.i18n import Translator
from bot.imports_files import FILE_PROBLEMS, UnreadableFile, invite_list_xlsx, listed, problem_text, read_sheet
from bot.settings import Config
from handlers.invite_links import invite_link
from storage import imports, sheets
from storage.db import Database
from storage.imports import Check, MemberRow
from storage.sheets import Sheet

_TR = Translator("vi")


def _read(path: str) -> Sheet:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise UnreadableFile("file_unreadable") from error
    return read_sheet(data, path)


def _report(args: argparse.Namespace, kind: str, check: Check, applied: bool, output: str | None) -> int:
    """Print what was checked (and done): JSON with --json, else a line per problem and a summary."""
    refused = (
        {
            "column": check.personal_column,
            "message": _TR.gettext(sheets.PERSONAL_DATA).format(column=check.personal_column),
        }
        if check.personal_column is not None
        else None
    )
    rows = len(check.villages) + len(check.members)
    result: dict[str, Any] = {
        "file": args.file,
        "kind": kind,
        "valid": check.ok,
        "applied": applied,
        "refused": refused,
        "rows": rows,
        "problems": [
            {"row": p.row, "problem": p.code, "value": p.value, "message": problem_text(p, _TR)} for p in check.problems
        ],
        "changes": imports.changes(check) if check.ok else {},
        "output": output,
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0 if check.ok else 1
    if refused is not None:
        print(f"Refused / không nhận tệp: {refused['message']}", file=sys.stderr)
        return 1
    for problem in check.problems:
        print(f"row {problem.row}: {problem_text(problem, _TR)} ({problem.code})")
    if check.problems:
        bad = len({p.row for p in check.problems})
        print(f"Nothing imported: {bad} row(s) with problems. Fix them and run again.", file=sys.stderr)
        return 1
    counts = ", ".join(f"{name} {n}" for name, n in result["changes"].items())
    if applied:
        print(f"Imported {rows} row(s) in one transaction: {counts}" + (f"\nList: {output}" if output else ""))
    else:
        print(f"All {rows} row(s) are valid: {counts}\nNothing imported yet: run again with --apply.")
    return 0


def _unreadable(args: argparse.Namespace, error: UnreadableFile) -> int:
    message = _TR.gettext(FILE_PROBLEMS[error.code])
    if args.json:
        print(
            json.dumps({"file": args.file, "valid": False, "applied": False, "error": error.code, "message": message})
        )
    else:
        print(f"Error: {message} ({error.code})", file=sys.stderr)
    return 1


def cmd_import_villages(args: argparse.Namespace) -> int:
    """Check a villages file; with --apply and no problem, add its new villages."""
    try:
        sheet = _read(args.file)
    except UnreadableFile as error:
        return _unreadable(args, error)
    database = open_database(config_of(args))
    try:
        with database.session() as session:
            check = imports.check_villages(session, sheet, province_code=args.province)
            applied = check.ok and args.apply
            if applied:
                imports.apply_villages(session, check, now=SystemClock().now(), actor_id=None)
    finally:
        database.dispose()
    return _report(args, "villages", check, applied, None)


def _links(config: Config, database: Database, codes: list[str]) -> dict[str, str]:
    config = learn_bot_username(config, database)
    with database.session(readonly=True) as session:
        return {code: invite_link(session, code, config=config) or "" for code in codes}


def cmd_import_members(args: argparse.Namespace) -> int:
    """Check a members file; with --apply and no problem, make their invites and write the list to send out."""
    try:
        sheet = _read(args.file)
    except UnreadableFile as error:
        return _unreadable(args, error)
    config = config_of(args)
    database = open_database(config)
    output = None
    try:
        now = SystemClock().now()
        with database.session() as session:
            check = imports.check_members(session, sheet, now=now, province_code=args.province)
            applied = check.ok and args.apply
            done: list[MemberRow] = []
            if applied:
                days = args.days or config.limits.invite_days
                done = imports.apply_members(session, check, now=now, days=days, actor_id=None)
        if applied:
            links = _links(config, database, [row.invite.code for row in done if row.invite is not None])
            path = Path(args.output or Path(args.file).with_name(Path(args.file).stem + "-ma-moi.xlsx"))
            path.write_bytes(invite_list_xlsx(listed(done, links, config, _TR), _TR, people=True))
            output = str(path)
    finally:
        database.dispose()
    return _report(args, "members", check, applied, output)


def add_import_commands(commands: Commands) -> None:
    """`import villages|members FILE` on the top-level subcommands."""
    group = commands.add_parser("import", help="import a commune's villages or team members from XLSX or CSV")
    kinds = group.add_subparsers(dest="import_command", required=True)
    for name, func, what in (
        ("villages", cmd_import_villages, "villages: columns xã/commune and thôn/village"),
        ("members", cmd_import_members, "team members: columns xã/commune, thôn/village, họ tên/name, vai trò/role"),
    ):
        parser = kinds.add_parser(name, help=what)
        parser.add_argument("file", metavar="FILE", help="an .xlsx or .csv file (headers in Vietnamese or English)")
        parser.add_argument("--province", type=int, help="official province code: communes may then be named")
        parser.add_argument("--apply", action="store_true", help="import when every row is valid (else only check)")
        parser.add_argument("--json", action="store_true", help="print the checks as JSON")
        parser.set_defaults(func=func)
        if name == "members":
            parser.add_argument("-o", "--output", help="the XLSX of invite links (default: FILE-ma-moi.xlsx)")
            parser.add_argument("--days", type=int, help="days each new invite stays valid")
