"""`bdhvs groups list|delivery`: the group chats bound to a commune and its villages, and where the commune's
reminders and Sunday summary go (its group chats, each person privately, or both)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sqlmodel import Session

from bot.cli.common import Commands, config_of, migrated_session
from bot.clock import SystemClock
from storage import groups
from storage.areas import get_commune
from storage.models import Commune, Village

DEFAULT = "default"  # `groups delivery --commune CODE default`: back to the default
_DESCRIBED = {
    None: "default: to the area's group chats when one is bound, else to each person privately",
    groups.DELIVERY_GROUP: "to the group chats (each person privately where no group is bound)",
    groups.DELIVERY_DIRECT: "to each person privately, not to the group chats",
    groups.DELIVERY_BOTH: "to the group chats and to each person privately",
}


def bound_rows(session: Session, commune_code: int | None) -> list[dict[str, Any]]:
    """The bound groups (of one commune, or all) as `groups list --json` prints them."""
    codes = None
    if commune_code is not None:
        get_commune(session, commune_code)  # an unknown commune is refused, not listed as empty
        codes = [commune_code]
    rows = []
    for group in groups.bound_groups(session, commune_codes=codes):
        village = session.get(Village, group.village_id) if group.village_id is not None else None
        rows.append(
            {
                "channel": group.channel,
                "chat_id": group.chat_id,
                "title": group.title,
                "commune": group.commune_code,
                "village": village.name if village is not None else None,
            }
        )
    return rows


def cmd_groups_list(args: argparse.Namespace) -> int:
    """The group chats bound to a commune (or every commune) and its villages; nothing is changed."""
    with migrated_session(config_of(args)) as session:
        rows = bound_rows(session, args.commune)
        names = {
            code: (c.name if (c := session.get(Commune, code)) else str(code)) for code in {r["commune"] for r in rows}
        }
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(f"{len(rows)} group chat(s) bound")
    for row in rows:
        area = names[row["commune"]] + (f" / {row['village']}" if row["village"] else " (the commune's group)")
        print(f"{row['channel']}:{row['chat_id']}  «{row['title']}»  {area}")
    return 0


def cmd_groups_delivery(args: argparse.Namespace) -> int:
    """Show, or set, where a commune's weekly session reminders and Sunday summary go."""
    with migrated_session(config_of(args)) as session:
        commune = get_commune(session, args.commune)
        if args.choice is not None:
            choice = None if args.choice == DEFAULT else args.choice
            groups.set_delivery_choice(session, args.commune, choice, None, SystemClock().now())
        current = groups.delivery_choice(session, args.commune)
        bound = len(groups.bound_groups(session, commune_codes=[args.commune]))
        name = commune.name
    print(f"{name} ({args.commune}): reminders and the Sunday summary go {_DESCRIBED[current]}")
    print(f"{bound} group chat(s) bound to the commune and its villages")
    return 0


def add_group_commands(commands: Commands) -> None:
    """`groups list` and `groups delivery` on the top-level subcommands."""
    group = commands.add_parser("groups", help="group chats bound to communes and villages").add_subparsers(
        dest="groups_command", required=True
    )
    listing = group.add_parser("list", help="the group chats bound to a commune and its villages")
    listing.add_argument("--commune", type=int, help="official commune code (all communes when omitted)")
    listing.add_argument(
        "--json", action="store_true", help="print a JSON array: channel, chat_id, title, commune, village"
    )
    listing.set_defaults(func=cmd_groups_list)
    delivery = group.add_parser(
        "delivery", help="show or set where a commune's reminders go: group, direct or both (default: show)"
    )
    delivery.add_argument("--commune", type=int, required=True)
    delivery.add_argument("choice", nargs="?", choices=[*groups.DELIVERY_CHOICES, DEFAULT])
    delivery.set_defaults(func=cmd_groups_delivery)
