"""`bdhvs invite create|list|revoke|bulk`: invite codes and their deep links.

`invite create --role member --village NAME` makes the village's join link (one code for the whole village, to
post in its group) unless `--personal` is given; `invite bulk` makes one invite per commune of a province.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import telegram
from sqlmodel import col, select

from bot.cli.common import Commands, config_of, migrated_session, open_database
from bot.clock import SystemClock
from bot.i18n import Translator
from bot.imports_files import ListedInvite, invite_list_xlsx
from bot.sandbox.bots import SANDBOX_BOTS, sandbox_config
from bot.settings import BotConfig, Config
from handlers.invite_links import invite_link
from storage import invites
from storage.areas import find_village, get_commune, get_province
from storage.db import Database
from storage.errors import DomainError
from storage.models import Invite, Village
from storage.settings import get_setting, set_setting
from storage.vocab import ROLES

ONE_USE_ROLES = ("commune_admin", "province_viewer", "commune_leader")  # a code for one person only


async def _telegram_username(token: str, base_url: str) -> str | None:
    """The bot's username, as the Bot API's getMe says."""
    async with telegram.Bot(token, base_url=base_url) as bot:
        me = await bot.get_me()
        return me.username


def _ask_username(bot: BotConfig) -> str | None:
    """The bot's username from the Bot API (the sandbox's fake one is known); None when it cannot be asked."""
    try:
        return asyncio.run(asyncio.wait_for(_telegram_username(bot.token, bot.api_base_url), timeout=15))
    except Exception as error:  # any failure only loses the link: the code itself is still printed
        name = f"bot {bot.key!r}" if bot.key else "the bot"
        print(f"Could not ask the Bot API for the username of {name}: {error}", file=sys.stderr)
        return None


def learn_bot_username(config: Config, database: Database) -> Config:
    """Ask the Bot API who each Telegram bot is (getMe) when the running bot has not recorded it yet: the links
    name the bot of the invite's province. Returns the config the links are made with: with no bot configured,
    the sandbox's (its bots' names are known)."""
    if config.sandbox:
        config = config if config.sandbox_bots else sandbox_config(config)
        with database.session() as session:
            for known in SANDBOX_BOTS:
                setting = config.name_setting(known.config())
                if known.channel == "telegram" and get_setting(session, setting) != known.username:
                    set_setting(session, setting, known.username, SystemClock().now())
        return config
    for bot in config.all_bots:
        if bot.channel != "telegram":
            continue
        with database.session() as session:
            if get_setting(session, config.name_setting(bot)):
                continue
        username = _ask_username(bot)
        if username:
            with database.session() as session:
                set_setting(session, config.name_setting(bot), username, SystemClock().now())
    return config


def _invite_link(config: Config, database: Database, code: str) -> str | None:
    """The deep link that opens the bot with the code (None when the bot's username is unknown); with no bot
    configured, the sandbox's bot of the invite's province."""
    config = learn_bot_username(config, database)
    with database.session() as session:
        return invite_link(session, code, config=config)


def _kind_of(args: argparse.Namespace) -> str:
    """A member invite for a village is the village's join link, unless asked for one person."""
    if args.role == "member" and args.village and not args.personal:
        return invites.KIND_VILLAGE
    return invites.KIND_PERSONAL


def cmd_invite_create(args: argparse.Namespace) -> int:
    """Create an invite code (and its deep link) for a role in a commune, a village or a province."""
    config = config_of(args)
    database = open_database(config)
    now = SystemClock().now()
    kind = _kind_of(args)
    with database.session() as session:
        village_id = None
        village_name = None
        if args.village:
            if args.commune is None:
                raise DomainError("invite_needs_commune")
            village = find_village(session, args.commune, args.village)
            if village is None:
                raise DomainError("unknown_village", village=args.village)
            village_id, village_name = village.id, village.name
        invite = invites.create_invite(
            session,
            role=args.role,
            kind=kind,
            now=now,
            days=args.days or config.limits.invite_days,
            max_uses=args.uses or (1 if args.role in ONE_USE_ROLES else config.limits.invite_max_uses),
            province_code=args.province,
            commune_code=args.commune,
            village_id=village_id,
        )
        code, expires, uses = invite.code, invite.expires_at, invite.max_uses
    link = _invite_link(config, database, code)
    database.dispose()
    if args.json:
        print(
            json.dumps(
                {
                    "code": code,
                    "link": link,
                    "role": args.role,
                    "kind": kind,
                    "village": village_name,
                    "expires_at": expires.astimezone(config.tz).isoformat(),
                    "max_uses": uses,
                },
                ensure_ascii=False,
            )
        )
    else:
        local = expires.astimezone(config.tz)
        print(
            f"Mã mời / invite code: {code}{' (cả thôn / village link)' if kind == invites.KIND_VILLAGE else ''}\n"
            f"Link: {link or '-'}\n"
            f"Hết hạn / expires: {local:%d/%m/%Y %H:%M} ({config.timezone})\nSố lượt / uses: {uses}"
        )
    return 0


def _invite_row(invite: Invite, villages: dict[int, str], config: Config) -> dict[str, Any]:
    """One live invite as the JSON of `bdhvs invite list`."""
    return {
        "code": invite.code,
        "role": invite.role,
        "kind": invite.kind,
        "province_code": invite.province_code,
        "commune_code": invite.commune_code,
        "village": villages.get(invite.village_id) if invite.village_id is not None else None,
        "uses": invite.uses,
        "max_uses": invite.max_uses,
        "uses_left": invite.max_uses - invite.uses,
        "expires_at": invite.expires_at.astimezone(config.tz).isoformat(),
        "created_at": invite.created_at.astimezone(config.tz).isoformat(),
    }


def _live_invites(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    """The live invites of the commune or province asked for, as JSON rows (the area is checked first)."""
    with migrated_session(config) as session:
        if args.commune is not None:
            commune = get_commune(session, args.commune)
            if args.province is not None and commune.province_code != args.province:
                raise DomainError("unknown_commune", unit=f"{args.commune} ({args.province})")
        if args.province is not None:
            get_province(session, args.province)
        live = invites.active_invites(
            session, now=SystemClock().now(), commune_code=args.commune, province_code=args.province
        )
        ids = {i.village_id for i in live if i.village_id is not None}
        villages: dict[int, str] = {}
        if ids:
            villages = {
                v.id: v.name for v in session.exec(select(Village).where(col(Village.id).in_(ids))) if v.id is not None
            }
        rows = [_invite_row(i, villages, config) for i in live]
    return rows


def cmd_invite_list(args: argparse.Namespace) -> int:
    """The invite codes of a commune (or a province) that can still be used."""
    if args.commune is None and args.province is None:
        print("bdhvs invite list: give --commune CODE (or --province CODE)", file=sys.stderr)
        return 2
    rows = _live_invites(args, config_of(args))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        expires = dt.datetime.fromisoformat(row["expires_at"])
        print(
            f"{row['code']}  {row['role']:<15} {row['village'] or '-':<20} uses left {row['uses_left']:>3}  "
            f"expires {expires:%d/%m/%Y %H:%M}"
        )
    print(f"{len(rows)} active invite code(s)")
    return 0


def cmd_invite_bulk(args: argparse.Namespace) -> int:
    """One invite per commune of a province (code, name, link, expiry) written to an XLSX for the province
    office to send out; a commune's unused, valid one-person invite of that role is kept, not made again."""
    config = config_of(args)
    database = open_database(config)
    tr = Translator("vi")
    try:
        with database.session() as session:
            made = invites.commune_invites(
                session, args.province, args.role, now=SystemClock().now(), days=args.days or config.limits.invite_days
            )
            rows = [
                (commune.code, commune.name, invite.code, invite.expires_at.astimezone(config.tz).date(), kept)
                for commune, invite, kept in made
            ]
        config = learn_bot_username(config, database)
        with database.session(readonly=True) as session:
            links = {code: invite_link(session, code, config=config) or "" for _, _, code, _, _ in rows}
    finally:
        database.dispose()
    role = tr.gettext(ROLES[args.role])
    listed = [
        ListedInvite(
            code, name, "", "", role, invite, links[invite], expires, "mã làm lần trước, vẫn dùng được" if kept else ""
        )
        for code, name, invite, expires, kept in rows
    ]
    Path(args.output).write_bytes(invite_list_xlsx(listed, tr, people=False))
    new = sum(1 for *_, kept in rows if not kept)
    if args.json:
        print(
            json.dumps(
                {
                    "province": args.province,
                    "role": args.role,
                    "communes": len(rows),
                    "new": new,
                    "kept": len(rows) - new,
                    "output": args.output,
                    "invites": [
                        {
                            "commune": c,
                            "name": n,
                            "code": i,
                            "link": links[i] or None,
                            "expires": e.isoformat(),
                            "kept": k,
                        }
                        for c, n, i, e, k in rows
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(f"{len(rows)} commune(s): {new} new invite(s), {len(rows) - new} kept from before -> {args.output}")
    return 0


def cmd_invite_revoke(args: argparse.Namespace) -> int:
    """Revoke a code from the shell (audited with no member as actor, via "shell")."""
    with migrated_session(config_of(args)) as session:
        invite = invites.revoke_invite(session, args.code, now=SystemClock().now(), actor=None, via="shell")
        code, uses = invite.code, invite.uses
    print(f"revoked: {code} (people who joined with it stay members: {uses})")
    return 0


def add_invite_commands(commands: Commands) -> None:
    """`invite create|list|revoke` on the top-level subcommands."""
    invite = commands.add_parser("invite", help="invites").add_subparsers(dest="invite_command", required=True)
    create = invite.add_parser("create", help="create an invite code and its deep link")
    area = create.add_mutually_exclusive_group(required=True)
    area.add_argument("--commune", type=int, help="official commune code, e.g. 18196")
    area.add_argument("--province", type=int, help="official province code, e.g. 42")
    create.add_argument(
        "--role", required=True, choices=["member", "team_lead", "commune_admin", "commune_leader", "province_viewer"]
    )
    create.add_argument("--village", help="village name (for member and team_lead)")
    create.add_argument("--days", type=int, help="days the code stays valid")
    create.add_argument("--uses", type=int, help="how many people may join with it")
    create.add_argument(
        "--personal",
        action="store_true",
        help="a member invite for one person (without it, a member invite for a village is the village's join link)",
    )
    create.add_argument("--json", action="store_true", help="print a JSON object with code, link, kind and village")
    create.set_defaults(func=cmd_invite_create)
    listing = invite.add_parser("list", help="invite codes that can still be used: role, village, uses left, expiry")
    listing.add_argument("--commune", type=int, help="official commune code, e.g. 18196")
    listing.add_argument("--province", type=int, help="official province code, e.g. 42 (all its communes' codes)")
    listing.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array: code, role, province_code, "
        "commune_code, village, uses, max_uses, uses_left, "
        "expires_at, created_at",
    )
    listing.set_defaults(func=cmd_invite_list)
    bulk = invite.add_parser("bulk", help="one invite per commune of a province, written to an XLSX to send out")
    bulk.add_argument("--province", type=int, required=True, help="official province code, e.g. 27 (Bắc Ninh)")
    bulk.add_argument("--role", required=True, choices=["commune_admin", "commune_leader"])
    bulk.add_argument("-o", "--output", required=True, metavar="FILE.xlsx", help="where to write the list")
    bulk.add_argument("--days", type=int, help="days each new code stays valid")
    bulk.add_argument("--json", action="store_true", help="print a JSON summary with every commune's code and link")
    bulk.set_defaults(func=cmd_invite_bulk)
    revoke = invite.add_parser("revoke", help="revoke an invite code: nobody else can join with it")
    revoke.add_argument("code", metavar="CODE")
    revoke.set_defaults(func=cmd_invite_revoke)
