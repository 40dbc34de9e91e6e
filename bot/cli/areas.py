"""`bdhvs village add` and `bdhvs province deadline`: the places the teams work in."""

from __future__ import annotations

import argparse

from bot.cli.common import Commands, config_of, migrated_session
from bot.clock import SystemClock
from storage.areas import add_villages, get_province
from storage.reports import deadline_day, set_deadline_day


def cmd_village_add(args: argparse.Namespace) -> int:
    """Add villages to a commune (names already there are listed, not added twice)."""
    with migrated_session(config_of(args)) as session:
        added, existing = add_villages(session, args.commune, list(args.names), now=SystemClock().now(), actor_id=None)
        added_names = [v.name for v in added]
    for name in added_names:
        print(f"added: {name}")
    for name in existing:
        print(f"exists: {name}")
    return 0


def cmd_province_deadline(args: argparse.Namespace) -> int:
    """Show or set the day of the next month by which a province's communes report (20 by default)."""
    with migrated_session(config_of(args)) as session:
        province = get_province(session, args.province)
        if args.day is not None:
            set_deadline_day(session, args.province, args.day, actor_id=None, now=SystemClock().now())
        day = deadline_day(session, args.province)
        name = province.name
    print(f"{name}: communes report month M by day {day} of month M+1")
    return 0


def add_village_commands(commands: Commands) -> None:
    """`village add` on the top-level subcommands."""
    village = commands.add_parser("village", help="villages").add_subparsers(dest="village_command", required=True)
    add = village.add_parser("add", help="add villages to a commune")
    add.add_argument("--commune", type=int, required=True)
    add.add_argument("names", nargs="+", metavar="NAME")
    add.set_defaults(func=cmd_village_add)


def add_province_commands(commands: Commands) -> None:
    """`province deadline` on the top-level subcommands."""
    province = commands.add_parser("province", help="province settings").add_subparsers(
        dest="province_command", required=True
    )
    deadline = province.add_parser("deadline", help="show or set the monthly report deadline day (default 20)")
    deadline.add_argument("--province", type=int, required=True)
    deadline.add_argument("--day", type=int, help="1-28: day of the next month")
    deadline.set_defaults(func=cmd_province_deadline)
