"""`bdhvs parse`: read a one-line report the way the bot does and print it as JSON."""

from __future__ import annotations

import argparse

from bot.cli.common import Commands
from bot.nlu.cli import main as parse_main


def cmd_parse(args: argparse.Namespace) -> int:
    """Hand the text (and --today) to the reader's own command line."""
    argv = (["--today", args.today] if args.today else []) + list(args.text)
    return parse_main(argv)


def add_parse_commands(commands: Commands) -> None:
    """`parse` on the top-level subcommands."""
    parse = commands.add_parser("parse", help="parse a one-line report and print it as JSON")
    parse.add_argument("--today", help="YYYY-MM-DD (default: today in Vietnam)")
    parse.add_argument("text", nargs="+")
    parse.set_defaults(func=cmd_parse)
