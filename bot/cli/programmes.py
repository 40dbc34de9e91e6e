"""`bdhvs programme enable|disable|list` and `bdhvs indicator add|list`: a province's programmes (from the
catalog shipped in `storage/programmes/`) and its own monthly indicators."""

from __future__ import annotations

import argparse
import json
from typing import Any

from sqlmodel import Session

from bot.cli.common import Commands, config_of, migrated_session
from bot.clock import SystemClock, local_today
from bot.settings import Config
from storage import province_indicators
from storage.areas import get_province
from storage.programmes import provinces
from storage.programmes.catalog import shipped


def _year(args: argparse.Namespace, config: Config) -> int:
    """The year of `--year`, else this year in the teams' time zone."""
    return int(args.year) if args.year is not None else local_today(SystemClock(), config.tz).year


def programme_rows(session: Session, province_code: int, year: int) -> list[dict[str, Any]]:
    """Every programme of the catalog and the province's choice, as `programme list --json` prints them."""
    get_province(session, province_code)
    return [
        {
            "id": s.programme.id,
            "name": s.programme.name_vi,
            "name_en": s.programme.name_en,
            "unit": s.programme.unit,
            "rule": s.programme.target.rule,
            "entered_by": s.programme.entered_by,
            "enabled": s.enabled,
            "year": year,
            "target": s.target,
        }
        for s in provinces.province_programmes(session, province_code, year)
    ]


def cmd_programme_list(args: argparse.Namespace) -> int:
    """The catalog's programmes, which the province runs, and the targets of the year; nothing is changed."""
    shipped()  # a malformed catalog stops here, with its one line
    config = config_of(args)
    year = _year(args, config)
    with migrated_session(config) as session:
        rows = programme_rows(session, args.province, year)
        name = get_province(session, args.province).name
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(f"{name} ({args.province}): {sum(r['enabled'] for r in rows)} of {len(rows)} programme(s) on, {year}")
    for row in rows:
        target = "" if row["target"] is None else f", target {row['target']:g}{'%' if row['rule'] == 'percent' else ''}"
        print(
            f"[{'on' if row['enabled'] else 'off'}] {row['id']}: {row['name']} ({row['unit']}, {row['rule']}{target})"
        )
    return 0


def cmd_programme_enable(args: argparse.Namespace) -> int:
    """Turn a programme on for a province, and set its target of the year when `--target` is given."""
    catalog = shipped()
    config = config_of(args)
    year = _year(args, config)
    now = SystemClock().now()
    with migrated_session(config) as session:
        changed = provinces.enable(session, actor=None, province_code=args.province, programme_id=args.id, now=now)
        programme = provinces.get_programme(args.id, catalog)
        target = None
        if args.target is not None:
            value = provinces.parse_target(programme, args.target)
            target = provinces.set_target(
                session,
                actor=None,
                province_code=args.province,
                programme_id=args.id,
                year=year,
                value=value,
                now=now,
            ).value
    print(f"{args.id}: {'turned on' if changed else 'already on'} for province {args.province}")
    if target is not None:
        print(f"{args.id}: target {year} = {target:g}{'%' if programme.target.rule == 'percent' else ''}")
    return 0


def cmd_programme_disable(args: argparse.Namespace) -> int:
    """Turn a programme off for a province (its targets are kept)."""
    shipped()
    with migrated_session(config_of(args)) as session:
        changed = provinces.disable(
            session, actor=None, province_code=args.province, programme_id=args.id, now=SystemClock().now()
        )
    print(f"{args.id}: {'turned off' if changed else 'already off'} for province {args.province}")
    return 0


def indicator_rows(session: Session, province_code: int) -> list[dict[str, Any]]:
    """A province's own indicators, as `indicator list --json` prints them."""
    get_province(session, province_code)
    return [
        {"id": i.indicator, "name": i.name, "name_en": i.name_en, "unit": i.unit, "target": i.target}
        for i in province_indicators.indicators_of(session, province_code)
    ]


def cmd_indicator_add(args: argparse.Namespace) -> int:
    """Add a province's own monthly indicator (or change the name, unit and target of one it has)."""
    with migrated_session(config_of(args)) as session:
        _row, added = province_indicators.add_indicator(
            session,
            province_code=args.province,
            indicator_id=args.id,
            name=args.name,
            name_en=args.name_en,
            unit=args.unit,
            target=args.target,
            now=SystemClock().now(),
        )
    print(f"{args.id}: {'added' if added else 'updated'} for province {args.province}")
    return 0


def cmd_indicator_list(args: argparse.Namespace) -> int:
    """A province's own indicators; nothing is changed."""
    with migrated_session(config_of(args)) as session:
        rows = indicator_rows(session, args.province)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(f"{len(rows)} own indicator(s) of province {args.province}")
    for row in rows:
        target = "" if row["target"] is None else f", target {row['target']}"
        print(f"{row['id']}: {row['name']} ({row['unit']}{target})")
    return 0


def add_programme_commands(commands: Commands) -> None:
    """`programme enable|disable|list` and `indicator add|list` on the top-level subcommands."""
    programme = commands.add_parser("programme", help="a province's programmes (Đại sứ số, Gia đình số, ...)")
    actions = programme.add_subparsers(dest="programme_command", required=True)
    listing = actions.add_parser("list", help="the catalog's programmes, which the province runs, their targets")
    listing.add_argument("--province", type=int, required=True, help="official province code")
    listing.add_argument("--year", type=int, help="the targets' year (default: this year)")
    listing.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array: id, name, name_en, unit, rule, entered_by, enabled, year, target",
    )
    listing.set_defaults(func=cmd_programme_list)
    enable = actions.add_parser("enable", help="turn a programme on for a province, optionally with a target")
    enable.add_argument("--province", type=int, required=True)
    enable.add_argument("id", metavar="ID", help="a programme of the catalog (`programme list` names them)")
    enable.add_argument(
        "--target", help="the year's target: a percent (80, 92.5%%) for a percent rule, else a whole number"
    )
    enable.add_argument("--year", type=int, help="the target's year (default: this year)")
    enable.set_defaults(func=cmd_programme_enable)
    disable = actions.add_parser("disable", help="turn a programme off for a province (its targets are kept)")
    disable.add_argument("--province", type=int, required=True)
    disable.add_argument("id", metavar="ID")
    disable.set_defaults(func=cmd_programme_disable)

    indicator = commands.add_parser("indicator", help="a province's own monthly indicators")
    indicator_actions = indicator.add_subparsers(dest="indicator_command", required=True)
    add = indicator_actions.add_parser("add", help="add a province's own indicator, entered by its communes (/chiso)")
    add.add_argument("--province", type=int, required=True)
    add.add_argument("--id", required=True, help="lower-case id: letters, digits, _ (e.g. cho_khong_tien_mat)")
    add.add_argument("--name", required=True, help="the name in Vietnamese")
    add.add_argument("--name-en", dest="name_en", help="the name in English")
    add.add_argument("--unit", required=True, help="people, households, traders, markets, ... or a word (chợ)")
    add.add_argument("--target", type=int, help="the yearly target, a whole number in the unit")
    add.set_defaults(func=cmd_indicator_add)
    indicator_list = indicator_actions.add_parser("list", help="a province's own indicators")
    indicator_list.add_argument("--province", type=int, required=True)
    indicator_list.add_argument(
        "--json", action="store_true", help="print a JSON array: id, name, name_en, unit, target"
    )
    indicator_list.set_defaults(func=cmd_indicator_list)
