"""The `bdhvs` command: run the bot, migrate the database, set up communes, export, parse."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any, Optional

from bot.clock import SystemClock
from sqlmodel import col, select

from bot.config import Config, ConfigError, load_config
from storage.db import Database
from storage.errors import DomainError


def _config(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None))


def _database(config: Config) -> Database:
    from storage.migrate import upgrade

    database = Database(config.database_url)
    upgrade(database)
    return database


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    from bot.app import build_application

    config = _config(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "apscheduler"):  # a line per HTTP request or timer tick drowns what matters
        logging.getLogger(noisy).setLevel(logging.WARNING)
    application = build_application(config)
    asyncio.run(application.run_forever())
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    database = _database(_config(args))
    database.dispose()
    print("Database is up to date.")
    return 0


def _learn_bot_username(config: Config, database: Database) -> None:
    """Ask the Bot API who we are (getMe) when the running bot has not recorded it yet."""
    import asyncio

    from storage.settings import get_setting, set_setting

    with database.session() as session:
        if get_setting(session, "telegram.username"):
            return
    if config.sandbox:
        from bot.sandbox.fake_telegram import FakeTelegram

        username: Optional[str] = FakeTelegram().bot_username
    elif config.telegram_token:
        import telegram

        async def get_me() -> str:
            async with telegram.Bot(config.telegram_token, base_url=config.telegram_api_base_url) as bot:
                return (await bot.get_me()).username

        try:
            username = asyncio.run(asyncio.wait_for(get_me(), timeout=15))
        except Exception as error:  # noqa: BLE001 - the code is still printed, only the link is missing
            print(f"Could not ask the Bot API for the bot's username: {error}", file=sys.stderr)
            username = None
    else:
        username = None
    if username:
        with database.session() as session:
            set_setting(session, "telegram.username", username, SystemClock().now())


def _invite_link(config: Config, database: Database, code: str) -> Optional[str]:
    from handlers.admin import invite_link

    _learn_bot_username(config, database)
    with database.session() as session:
        return invite_link(session, code)


def cmd_invite_create(args: argparse.Namespace) -> int:
    from storage import invites
    from storage.areas import find_village

    config = _config(args)
    database = _database(config)
    now = SystemClock().now()
    with database.session() as session:
        village_id = None
        if args.village:
            if args.commune is None:
                raise DomainError("invite_needs_commune")
            village = find_village(session, args.commune, args.village)
            if village is None:
                raise DomainError("unknown_village", village=args.village)
            village_id = village.id
        invite = invites.create_invite(
            session, role=args.role, now=now, days=args.days or config.limits.invite_days,
            max_uses=args.uses or (1 if args.role in ("commune_admin", "province_viewer", "commune_leader")
                                   else config.limits.invite_max_uses),
            province_code=args.province, commune_code=args.commune, village_id=village_id)
        code, expires, uses = invite.code, invite.expires_at, invite.max_uses
    link = _invite_link(config, database, code)
    database.dispose()
    if args.json:
        print(json.dumps({"code": code, "link": link, "role": args.role, "expires_at": expires.isoformat(),
                          "max_uses": uses}, ensure_ascii=False))
    else:
        local = expires.astimezone(config.tz)
        print(f"Mã mời / invite code: {code}\nLink: {link or '-'}\n"
              f"Hết hạn / expires: {local:%d/%m/%Y %H:%M} ({config.timezone})\nSố lượt / uses: {uses}")
    return 0


def _invite_row(invite: Any, villages: dict[int, str], config: Config) -> dict[str, Any]:
    """One live invite as the JSON of `bdhvs invite list`."""
    return {"code": invite.code, "role": invite.role, "province_code": invite.province_code,
            "commune_code": invite.commune_code,
            "village": villages.get(invite.village_id) if invite.village_id is not None else None,
            "uses": invite.uses, "max_uses": invite.max_uses, "uses_left": invite.max_uses - invite.uses,
            "expires_at": invite.expires_at.astimezone(config.tz).isoformat(),
            "created_at": invite.created_at.astimezone(config.tz).isoformat()}


def cmd_invite_list(args: argparse.Namespace) -> int:
    """The invite codes of a commune (or a province) that can still be used."""
    from storage import invites
    from storage.areas import get_commune, get_province
    from storage.models import Village

    if args.commune is None and args.province is None:
        print("bdhvs invite list: give --commune CODE (or --province CODE)", file=sys.stderr)
        return 2
    config = _config(args)
    database = _database(config)
    with database.session() as session:
        if args.commune is not None:
            commune = get_commune(session, args.commune)
            if args.province is not None and commune.province_code != args.province:
                raise DomainError("unknown_commune", unit=f"{args.commune} ({args.province})")
        if args.province is not None:
            get_province(session, args.province)
        live = invites.active_invites(session, now=SystemClock().now(), commune_code=args.commune,
                                      province_code=args.province)
        ids = {i.village_id for i in live if i.village_id is not None}
        villages = {v.id: v.name for v in session.exec(select(Village).where(col(Village.id).in_(ids)))} if ids else {}
        rows = [_invite_row(i, villages, config) for i in live]
    database.dispose()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        expires = dt.datetime.fromisoformat(row["expires_at"])
        print(f"{row['code']}  {row['role']:<15} {row['village'] or '-':<20} uses left {row['uses_left']:>3}  "
              f"expires {expires:%d/%m/%Y %H:%M}")
    print(f"{len(rows)} active invite code(s)")
    return 0


def cmd_invite_revoke(args: argparse.Namespace) -> int:
    """Revoke a code from the shell (audited with no member as actor, via "shell")."""
    from storage import invites

    database = _database(_config(args))
    with database.session() as session:
        invite = invites.revoke_invite(session, args.code, now=SystemClock().now(), actor=None, via="shell")
        code, uses = invite.code, invite.uses
    database.dispose()
    print(f"revoked: {code} (people who joined with it stay members: {uses})")
    return 0


def cmd_village_add(args: argparse.Namespace) -> int:
    from storage.areas import add_villages

    database = _database(_config(args))
    with database.session() as session:
        added, existing = add_villages(session, args.commune, list(args.names), now=SystemClock().now(),
                                       actor_id=None)
        added_names = [v.name for v in added]
    database.dispose()
    for name in added_names:
        print(f"added: {name}")
    for name in existing:
        print(f"exists: {name}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from storage.activity import export_commune
    from storage.areas import get_commune

    database = _database(_config(args))
    with database.session() as session:
        commune = get_commune(session, args.commune)
        data: dict[str, Any] = {"commune": {"code": commune.code, "name": commune.name},
                                **export_commune(session, args.commune)}
    database.dispose()
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    writer = csv.writer(sys.stdout)
    writer.writerow(["record", "id", "date", "village", "topics_or_kind", "count", "member_id", "author_id",
                     "source"])
    for s in data["sessions"]:
        writer.writerow(["session", s["id"], s["date"], s["village"], "|".join(s["topics"]), s["attendees"],
                         s["member_id"], s["author_id"], s["source"]])
    for h in data["help_records"]:
        writer.writerow(["help", h["id"], h["date"], h["village"], h["kind"], h["count"], h["member_id"],
                         h["author_id"], h["source"]])
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    from bot.nlu.cli import main as parse_main

    argv = (["--today", args.today] if args.today else []) + list(args.text)
    return parse_main(argv)


def _moment(text: str, config: Config) -> Any:
    """An ISO date-time; without an offset it is a local time in the deployment's timezone."""
    import datetime as dt

    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"--at: not an ISO date-time (e.g. 2026-11-26T19:00:00+07:00): {text!r}") from None
    return moment.replace(tzinfo=config.tz) if moment.tzinfo is None else moment


def cmd_reminders_preview(args: argparse.Namespace) -> int:
    """The reminders due at a moment, from the current database; nothing is sent or written."""
    from bot.reminders.planner import preview, queued_keys

    config = _config(args)
    database = _database(config)
    at = _moment(args.at, config)
    with database.session() as session:
        dues = preview(session, config.tz, at)
        queued = queued_keys(session, [d.key for d in dues])
        rows = [{**d.to_json(config.tz), "queued": d.key in queued} for d in dues]
        session.rollback()  # a preview changes nothing
    database.dispose()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    local = at.astimezone(config.tz)
    print(f"{len(rows)} reminder(s) due at {local:%Y-%m-%d %H:%M} ({config.timezone})")
    for row in rows:
        who = row["recipient"]
        print(f"\n[{row['rule']}] {row['channel']}:{row['chat_id']} — {who['name']} ({who['role']}, {who['area']})"
              + (" [already queued]" if row["queued"] else ""))
        print(row["text"])
    return 0


def _month_arg(text: str) -> Any:
    """--month YYYY-MM as the first day of that month."""
    import datetime as dt

    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, e.g. 2026-11, got {text!r}") from None


def cmd_report(args: argparse.Namespace) -> int:
    """A commune's or a province's monthly report as JSON (the public contract), CSV or XLSX."""
    from bot.clock import local_today
    from bot.reports.data import commune_report, file_name, province_report, to_csv
    from bot.reports.xlsx import commune_workbook, province_workbook
    from storage.progress import Scope

    config = _config(args)
    database = _database(config)
    clock = SystemClock()
    today, now = local_today(clock, config.tz), clock.now()
    with database.session() as session:
        if args.commune is not None:
            data = commune_report(session, Scope.operator(), args.commune, args.month, today=today, tz=config.tz,
                                  now=now)
        else:
            data = province_report(session, Scope.operator(), args.province, args.month, tz=config.tz, now=now)
    database.dispose()
    if args.format == "json":
        content = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    elif args.format == "csv":
        content = to_csv(data).encode("utf-8")
    else:
        build = commune_workbook if data["kind"] == "commune" else province_workbook
        content = build(data, today=today)
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


def cmd_province_deadline(args: argparse.Namespace) -> int:
    """Show or set the day of the next month by which a province's communes report (20 by default)."""
    from storage.areas import get_province
    from storage.reports import deadline_day, set_deadline_day

    database = _database(_config(args))
    with database.session() as session:
        province = get_province(session, args.province)
        if args.day is not None:
            set_deadline_day(session, args.province, args.day, actor_id=None, now=SystemClock().now())
        day = deadline_day(session, args.province)
        name = province.name
    database.dispose()
    print(f"{name}: communes report month M by day {day} of month M+1")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bdhvs", description="bdhvs-bot: chatbot của Tổ Công nghệ số cộng đồng")
    parser.add_argument("--config", help="TOML config file (or BDHVS_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the bot (the sandbox when no token is configured)")
    run.add_argument("--config", default=argparse.SUPPRESS, help="TOML config file (or BDHVS_CONFIG)")
    run.set_defaults(func=cmd_run)

    db = commands.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    upgrade = db.add_parser("upgrade", help="apply migrations and load provinces and communes")
    upgrade.set_defaults(func=cmd_db_upgrade)

    invite = commands.add_parser("invite", help="invites").add_subparsers(dest="invite_command", required=True)
    create = invite.add_parser("create", help="create an invite code and its deep link")
    area = create.add_mutually_exclusive_group(required=True)
    area.add_argument("--commune", type=int, help="official commune code, e.g. 18196")
    area.add_argument("--province", type=int, help="official province code, e.g. 42")
    create.add_argument("--role", required=True,
                        choices=["member", "team_lead", "commune_admin", "commune_leader", "province_viewer"])
    create.add_argument("--village", help="village name (for member and team_lead)")
    create.add_argument("--days", type=int, help="days the code stays valid")
    create.add_argument("--uses", type=int, help="how many people may join with it")
    create.add_argument("--json", action="store_true", help="print a JSON object with code and link")
    create.set_defaults(func=cmd_invite_create)
    listing = invite.add_parser("list", help="invite codes that can still be used: role, village, uses left, expiry")
    listing.add_argument("--commune", type=int, help="official commune code, e.g. 18196")
    listing.add_argument("--province", type=int, help="official province code, e.g. 42 (all its communes' codes)")
    listing.add_argument("--json", action="store_true", help="print a JSON array: code, role, province_code, "
                                                             "commune_code, village, uses, max_uses, uses_left, "
                                                             "expires_at, created_at")
    listing.set_defaults(func=cmd_invite_list)
    revoke = invite.add_parser("revoke", help="revoke an invite code: nobody else can join with it")
    revoke.add_argument("code", metavar="CODE")
    revoke.set_defaults(func=cmd_invite_revoke)

    village = commands.add_parser("village", help="villages").add_subparsers(dest="village_command", required=True)
    add = village.add_parser("add", help="add villages to a commune")
    add.add_argument("--commune", type=int, required=True)
    add.add_argument("names", nargs="+", metavar="NAME")
    add.set_defaults(func=cmd_village_add)

    export = commands.add_parser("export", help="every session and help record of a commune")
    export.add_argument("--commune", type=int, required=True)
    export.add_argument("--format", choices=["json", "csv"], default="json")
    export.set_defaults(func=cmd_export)

    reminders = commands.add_parser("reminders", help="reminders").add_subparsers(dest="reminders_command",
                                                                                 required=True)
    preview = reminders.add_parser("preview", help="print the reminders due at a moment, without sending")
    preview.add_argument("--at", required=True, help="ISO date-time, e.g. 2026-11-26T19:00:00+07:00 "
                                                     "(local time of the deployment when no offset is given)")
    preview.add_argument("--json", action="store_true", help="print a JSON array: rule, channel, chat_id, text, "
                                                             "recipient, at, period, idempotency_key, queued")
    preview.set_defaults(func=cmd_reminders_preview)

    report = commands.add_parser("report", help="a commune's or a province's monthly report (json, csv, xlsx)")
    unit = report.add_mutually_exclusive_group(required=True)
    unit.add_argument("--commune", type=int, help="official commune code, e.g. 18196")
    unit.add_argument("--province", type=int, help="official province code, e.g. 42")
    report.add_argument("--month", type=_month_arg, required=True, help="YYYY-MM, e.g. 2026-11")
    report.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
    report.add_argument("-o", "--output", help="file to write (default: standard output)")
    report.set_defaults(func=cmd_report)

    province = commands.add_parser("province", help="province settings").add_subparsers(dest="province_command",
                                                                                       required=True)
    deadline = province.add_parser("deadline", help="show or set the monthly report deadline day (default 20)")
    deadline.add_argument("--province", type=int, required=True)
    deadline.add_argument("--day", type=int, help="1-28: day of the next month")
    deadline.set_defaults(func=cmd_province_deadline)

    parse = commands.add_parser("parse", help="parse a one-line report and print it as JSON")
    parse.add_argument("--today", help="YYYY-MM-DD (default: today in Vietnam)")
    parse.add_argument("text", nargs="+")
    parse.set_defaults(func=cmd_parse)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    except DomainError as error:
        from bot.i18n import Translator
        from handlers.errors import explain

        print(f"Error: {explain(error, Translator('vi'))} ({error.code})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
