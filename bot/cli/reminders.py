"""`bdhvs reminders preview`: the reminders due at a moment, read from the database, nothing sent; a reminder to a
group chat is listed with the group's chat id."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from bot.cli.common import Commands, config_of, migrated_session
from bot.reminders.planner import preview, queued_keys
from bot.settings import Config, ConfigError


def _moment(text: str, config: Config) -> dt.datetime:
    """An ISO date-time; without an offset it is a local time in the deployment's timezone."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"--at: not an ISO date-time (e.g. 2026-11-26T19:00:00+07:00): {text!r}") from None
    return moment.replace(tzinfo=config.tz) if moment.tzinfo is None else moment


def _print_dues(rows: list[dict[str, Any]], at: dt.datetime, config: Config) -> None:
    """The preview for a person: one block per reminder, its recipient and its text."""
    local = at.astimezone(config.tz)
    print(f"{len(rows)} reminder(s) due at {local:%Y-%m-%d %H:%M} ({config.timezone})")
    for row in rows:
        who = row["recipient"]
        to = (
            f"group «{who['name']}» ({who['area']})"
            if row["group"]
            else f"{who['name']} ({who['role']}, {who['area']})"
        )
        print(
            f"\n[{row['rule']}] {row['channel']}:{row['chat_id']} — {to}"
            + (" [already queued]" if row["queued"] else "")
        )
        print(row["text"])


def cmd_reminders_preview(args: argparse.Namespace) -> int:
    """The reminders due at a moment, from the current database; nothing is sent or written."""
    config = config_of(args)
    with migrated_session(config) as session:
        at = _moment(args.at, config)
        dues = preview(session, config.tz, at)
        queued = queued_keys(session, [d.key for d in dues])
        rows = [{**d.to_json(config.tz), "queued": d.key in queued} for d in dues]
        session.rollback()  # a preview changes nothing
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        _print_dues(rows, at, config)
    return 0


def add_reminder_commands(commands: Commands) -> None:
    """`reminders preview` on the top-level subcommands."""
    reminders = commands.add_parser("reminders", help="reminders").add_subparsers(
        dest="reminders_command", required=True
    )
    preview_parser = reminders.add_parser("preview", help="print the reminders due at a moment, without sending")
    preview_parser.add_argument(
        "--at",
        required=True,
        help="ISO date-time, e.g. 2026-11-26T19:00:00+07:00 (local time of the deployment when no offset is given)",
    )
    preview_parser.add_argument(
        "--json",
        action="store_true",
        help=(
            "print a JSON array: rule, channel, chat_id, group (true for a group chat), text, recipient, at, "
            "period, idempotency_key, queued"
        ),
    )
    preview_parser.set_defaults(func=cmd_reminders_preview)
