"""Demo data for the sandbox: Xã Sơn Kim 1 (Hà Tĩnh, 18196), five villages, six people, a few weeks
of sessions, and two group chats on each messenger (Thôn 1's team and the commune's), so a newcomer can
chat with the real bot as any of them, alone or in a group; and a commune admin of Phường Hoàn Kiếm (Hà Nội, 70),
a province with no bot of its own.

The sandbox runs a bot per province (bot/sandbox/bots.py): each person's Telegram account, and each Telegram
group, is bound to the bot of their province (`Config.bot_for`), as joining through that bot binds it: Hà Tĩnh's
people and groups to Hà Tĩnh's bot, the Hà Nội admin to the country's default one.

The groups are bound by the demo setup itself (as if the commune admin had sent /nhom in each), so the bot
already knows what they are when the page opens; /nhom in a group shows that binding."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from bot.clock import Clock, local_today
from bot.i18n import Translator
from bot.settings import Config
from handlers.menu import command_menu
from storage import groups, indicators, outbox
from storage.areas import add_villages, get_commune, villages_of
from storage.db import Database
from storage.models import ChannelAccount, Commune, HelpRecord, Member, Province, TrainingSession
from storage.reports import previous_month
from storage.settings import get_setting, set_setting
from storage.vocab import HELP_KINDS, ROLES, TOPICS

DEMO_COMMUNE = 18196
HA_TINH = 42  # its province
DEMO_VILLAGES = ["Thôn 1", "Thôn 2", "Thôn 3", "Thôn 4", "Thôn 5"]
# (Telegram user id in the sandbox, name, role, village index or None)
DEMO_PEOPLE: list[tuple[int, str, str, int | None]] = [
    (900001, "Bác Trần Văn Hùng", "member", 1),
    (900002, "Chị Nguyễn Thị Mai", "team_lead", 0),
    (900003, "Anh Lê Minh Tuấn", "commune_admin", None),
    (900004, "Ông Phan Đức Thắng", "commune_leader", None),
    (900005, "Chị Hoàng Thu Hà", "province_viewer", None),
    (900006, "Anh Đỗ Văn Nam", "member", 0),
]
# People of another province, each a commune's first admin: (Telegram user id, name, role, commune code).
OTHER_PEOPLE: list[tuple[int, str, str, int]] = [
    (900101, "Chị Vũ Thị Thanh", "commune_admin", 70),  # Phường Hoàn Kiếm, Hà Nội (province 1)
]
SEEDED_KEY = "demo.seeded"
DEMO_ADMIN_ID = 900003  # the commune admin, who "bound" the demo groups


@dataclass(frozen=True)
class DemoGroup:
    """A demo group chat: the same group on Telegram and on Zalo, bound to the commune or one village."""

    key: str
    title: str
    village_index: int | None  # None: the commune's group
    telegram_chat_id: int
    telegram_type: str  # group | supergroup
    zalo_group_id: str
    members: tuple[int, ...]  # the demo people in it (Telegram user ids), the creator first


DEMO_GROUPS = [
    DemoGroup("thon-1", "Tổ CNSCĐ Thôn 1", 0, -5_181_960_001, "group", "5181960000000000001", (900002, 900006, 900003)),
    DemoGroup(
        "xa-son-kim-1",
        "Tổ CNSCĐ Xã Sơn Kim 1",
        None,
        -1_001_819_600_002,
        "supergroup",
        "5181960000000000002",
        (900003, 900004, 900002, 900001, 900006),
    ),
]


def demo_zalo_id(telegram_user_id: int) -> str:
    """The demo person's Zalo user id (Zalo ids are strings)."""
    return f"zalo{telegram_user_id}"


def telegram_bot(config: Config, province_code: int) -> tuple[str, str | None]:
    """The Telegram bot a province's people talk to: its key (how the page names it) and how rows name it."""
    bot = config.bot_for("telegram", province_code)
    return (bot.key, config.bot_ref(bot)) if bot is not None else ("", None)


def seed_demo(database: Database, clock: Clock, config: Config) -> list[dict[str, Any]]:
    """Create the demo commune once (idempotent) and return the personas for the sandbox page.

    An older demo database gets what it lacks: people added since, their Zalo accounts, the groups, each Telegram
    account and group bound to the bot of its province."""
    now = clock.now()
    with database.session() as session:
        commune = get_commune(session, DEMO_COMMUNE)
        key, ref = telegram_bot(config, commune.province_code)
        if get_setting(session, SEEDED_KEY) is None:
            added, _ = add_villages(session, DEMO_COMMUNE, DEMO_VILLAGES, now=now, actor_id=None)
            _ensure_people(session, commune, ref, now)
            team_lead = _member_of(session, "telegram", 900002)
            _seed_activity(session, added, team_lead, local_today(clock, config.tz), now)
            set_setting(session, SEEDED_KEY, now.isoformat(), now)
        _ensure_people(session, commune, ref, now)
        others = _ensure_other_people(session, config, now)
        _ensure_zalo_accounts(session, now)
        _ensure_indicators(session, local_today(clock, config.tz), now)
        _ensure_groups(session, ref, now)
        accounts = {a.user_id: a for a in session.exec(select(ChannelAccount))}
        personas = []
        for user_id, name, role, village_index in DEMO_PEOPLE:
            if str(user_id) not in accounts:
                continue
            area = commune.name if village_index is None else f"{DEMO_VILLAGES[village_index]}, {commune.name}"
            if role == "province_viewer":
                area = "Tỉnh Hà Tĩnh"
            personas.append(_persona(user_id, name, role, area, key))
        personas += others
    return personas


def _persona(user_id: int, name: str, role: str, area: str, bot: str) -> dict[str, Any]:
    """A demo person as the page lists them; `bot`: the key of the Telegram bot they talk to."""
    label = ROLES[role]
    return {
        "user_id": user_id,
        "name": name,
        "role": label[:1].upper() + label[1:],
        "area": area,
        "zalo_user_id": demo_zalo_id(user_id),
        "bot": bot,
    }


def demo_groups(config: Config | None = None) -> list[dict[str, Any]]:
    """The demo group chats in the shape the sandbox page takes (bot/sandbox/web.py, ``groups``); with the
    sandbox's `config`, each names the Telegram bot in it (the commune's province's)."""
    bot = telegram_bot(config, HA_TINH)[0] if config is not None else ""
    return [
        {
            "key": group.key,
            "title": group.title,
            "kind": "commune" if group.village_index is None else "village",
            "area": "Xã Sơn Kim 1"
            if group.village_index is None
            else f"{DEMO_VILLAGES[group.village_index]}, Xã Sơn Kim 1",
            "telegram_chat_id": group.telegram_chat_id,
            "telegram_type": group.telegram_type,
            "zalo_group_id": group.zalo_group_id,
            "members": list(group.members),
            "bot": bot,
        }
        for group in DEMO_GROUPS
    ]


def _ensure_people(session: Any, commune: Any, bot: str | None, now: dt.datetime) -> None:
    """Every demo person a member with a Telegram account (with `bot`, their province's) and their role's
    command menu (once each)."""
    villages = {v.name: v for v in villages_of(session, DEMO_COMMUNE)}
    for user_id, name, role, village_index in DEMO_PEOPLE:
        if _bind_to(session, user_id, bot):
            continue
        village = villages.get(DEMO_VILLAGES[village_index]) if village_index is not None else None
        member = Member(
            display_name=name,
            role=role,
            province_code=commune.province_code,
            commune_code=None if role == "province_viewer" else DEMO_COMMUNE,
            village_id=village.id if village else None,
            created_at=now,
        )
        _add_person(session, member, user_id, bot, now)
    session.flush()


def _add_person(session: Any, member: Member, user_id: int, bot: str | None, now: dt.datetime) -> None:
    """A new demo member with their Telegram account (with `bot`) and their role's command menu."""
    session.add(member)
    session.flush()
    session.add(
        ChannelAccount(
            member_id=_id_of(member),
            channel="telegram",
            user_id=str(user_id),
            chat_id=str(user_id),
            created_at=now,
            bot=bot,
        )
    )
    # They never join through chat, so give them their role's command menu here (through their bot).
    outbox.enqueue(
        session,
        channel="telegram",
        chat_id=str(user_id),
        kind=outbox.KIND_SET_COMMANDS,
        payload={"commands": command_menu(member, Translator("vi")), "language": "vi"},
        now=now,
        bot=bot,
    )


def _bind_to(session: Any, user_id: int, bot: str | None) -> bool:
    """Whether the demo person is there already; if so, their Telegram account is bound to `bot` (a demo database
    made before the sandbox ran a bot per province has it unbound)."""
    account = session.exec(
        select(ChannelAccount).where(ChannelAccount.channel == "telegram", ChannelAccount.user_id == str(user_id))
    ).first()
    if account is None or session.get(Member, account.member_id) is None:
        return False
    if account.bot != bot:
        account.bot = bot
        session.add(account)
    return True


def _ensure_other_people(session: Any, config: Config, now: dt.datetime) -> list[dict[str, Any]]:
    """The people of other provinces (each a commune's admin, bound to their province's bot), made once; their
    personas for the page. A commune missing from the area data is skipped."""
    personas = []
    for user_id, name, role, commune_code in OTHER_PEOPLE:
        commune = session.get(Commune, commune_code)
        if commune is None:
            continue
        key, ref = telegram_bot(config, commune.province_code)
        if not _bind_to(session, user_id, ref):
            member = Member(
                display_name=name,
                role=role,
                province_code=commune.province_code,
                commune_code=commune_code,
                created_at=now,
            )
            _add_person(session, member, user_id, ref, now)
        province = session.get(Province, commune.province_code)
        area = commune.name + (f", {province.name}" if province is not None else "")
        personas.append(_persona(user_id, name, role, area, key))
    session.flush()
    return personas


def _member_of(session: Any, channel: str, user_id: int, *, required: bool = True) -> Any:
    """The demo person's member row, found by their Telegram account (None if missing and not required)."""
    account = session.exec(
        select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.user_id == str(user_id))
    ).first()
    member = session.get(Member, account.member_id) if account is not None else None
    if member is None and required:
        raise ValueError(f"demo person {user_id} is missing")
    return member


def _ensure_groups(session: Any, bot: str | None, now: dt.datetime) -> None:
    """The demo groups, on both messengers, bound by the commune admin and already greeted (once each); on
    Telegram the bot in them is `bot` (the province's)."""
    admin = _member_of(session, "telegram", DEMO_ADMIN_ID)
    villages = {v.name: v for v in villages_of(session, DEMO_COMMUNE)}
    for group in DEMO_GROUPS:
        village = villages[DEMO_VILLAGES[group.village_index]] if group.village_index is not None else None
        for channel, chat_id in (("telegram", str(group.telegram_chat_id)), ("zalo", group.zalo_group_id)):
            in_it = bot if channel == "telegram" else None
            found = groups.find(session, channel, chat_id)
            if found is not None:
                if found.bot != in_it and found.left_at is None:
                    found.bot = in_it
                    session.add(found)
                continue
            row, _fresh = groups.seen(session, channel, chat_id, group.title, now, bot=in_it)
            groups.bind(session, row, admin, DEMO_COMMUNE, village.id if village else None, now)
            row.greeted = True
            session.add(row)


def _id_of(member: Member) -> int:
    """A flushed member's id (the database gave it one; None only before the flush)."""
    if member.id is None:
        raise ValueError(f"{member.display_name} has not been written to the database yet")
    return member.id


def _ensure_zalo_accounts(session: Any, now: dt.datetime) -> None:
    """Each demo person on Zalo too: the same member, a second ChannelAccount (also for older demo databases)."""
    for user_id in [person[0] for person in DEMO_PEOPLE] + [person[0] for person in OTHER_PEOPLE]:
        telegram = session.exec(
            select(ChannelAccount).where(ChannelAccount.channel == "telegram", ChannelAccount.user_id == str(user_id))
        ).first()
        zalo_id = demo_zalo_id(user_id)
        if (
            telegram is None
            or session.exec(
                select(ChannelAccount).where(ChannelAccount.channel == "zalo", ChannelAccount.user_id == zalo_id)
            ).first()
            is not None
        ):
            continue
        session.add(
            ChannelAccount(
                member_id=telegram.member_id, channel="zalo", user_id=zalo_id, chat_id=zalo_id, created_at=now
            )
        )


def _seed_activity(session: Any, villages: list[Any], author: Member, today: dt.date, now: dt.datetime) -> None:
    """Four past weeks of weekly sessions and help counts; this week Thôn 5 has none yet."""
    rng = random.Random(DEMO_COMMUNE)
    author_id = _id_of(author)
    topics = list(TOPICS)
    kinds = list(HELP_KINDS)[:7]
    for weeks_back in range(4, -1, -1):
        for village in villages:
            if weeks_back == 0 and village.name in ("Thôn 4", "Thôn 5"):
                continue
            day = today - dt.timedelta(days=7 * weeks_back + rng.randint(0, 2))
            if day > today:
                day = today
            session.add(
                TrainingSession(
                    commune_code=DEMO_COMMUNE,
                    village_id=village.id,
                    session_date=day,
                    topics=rng.sample(topics, k=rng.randint(1, 2)),
                    attendees=rng.randint(12, 35),
                    member_id=author_id,
                    author_id=author_id,
                    source="import",
                    created_at=now,
                    updated_at=now,
                )
            )
            for kind in rng.sample(kinds, k=2):
                session.add(
                    HelpRecord(
                        commune_code=DEMO_COMMUNE,
                        village_id=village.id,
                        record_date=day,
                        kind=kind,
                        count=rng.randint(2, 15),
                        member_id=author_id,
                        author_id=author_id,
                        source="import",
                        created_at=now,
                        updated_at=now,
                    )
                )


INDICATORS_KEY = "demo.indicators"
# Xã Sơn Kim 1's plan for 2026 (seeds/): 100 / 100 / 90 / 80 / 100 %.
DEMO_TARGETS = {
    "officials_digital_skills": 100,
    "students_digital_skills": 100,
    "adults_digital_skills": 90,
    "adults_vneid_confirmed": 80,
    "workers_digital_skills": 100,
}
# Last month's figures; this month's are a little higher (the commune admin enters them with /chiso).
DEMO_FIGURES = {
    "officials_digital_skills": (118, 120),
    "students_digital_skills": (905, 960),
    "adults_digital_skills": (2870, 4150),
    "adults_vneid_confirmed": (2410, 4150),
    "workers_digital_skills": (96, 140),
    "vneid_level2_activated": (3320, 4150),
}


def _ensure_indicators(session: Any, today: dt.date, now: dt.datetime) -> None:
    """The demo commune's targets and two months of indicator figures, once (also for older demo databases)."""
    if get_setting(session, INDICATORS_KEY) is not None:
        return
    for indicator, percent in DEMO_TARGETS.items():
        indicators.set_target(
            session,
            actor=None,
            year=today.year,
            indicator=indicator,
            percent=percent,
            scope=indicators.SCOPE_COMMUNE,
            area_code=DEMO_COMMUNE,
            now=now,
        )
    for month, extra in ((previous_month(today), 0.0), (today.replace(day=1), 0.03)):
        for indicator, (numerator, denominator) in DEMO_FIGURES.items():
            value = min(denominator, int(numerator + extra * denominator))
            indicators.set_figure(
                session,
                actor=None,
                commune_code=DEMO_COMMUNE,
                month=month,
                indicator=indicator,
                numerator=value,
                denominator=denominator,
                now=now,
            )
    set_setting(session, INDICATORS_KEY, now.isoformat(), now)
