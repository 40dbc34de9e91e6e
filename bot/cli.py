"""The `bdhvs` command: run the bot, migrate the database, set up communes, export, parse."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any, Optional

from bot.clock import SystemClock
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
    logging.getLogger("httpx").setLevel(logging.WARNING)
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

    village = commands.add_parser("village", help="villages").add_subparsers(dest="village_command", required=True)
    add = village.add_parser("add", help="add villages to a commune")
    add.add_argument("--commune", type=int, required=True)
    add.add_argument("names", nargs="+", metavar="NAME")
    add.set_defaults(func=cmd_village_add)

    export = commands.add_parser("export", help="every session and help record of a commune")
    export.add_argument("--commune", type=int, required=True)
    export.add_argument("--format", choices=["json", "csv"], default="json")
    export.set_defaults(func=cmd_export)

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
