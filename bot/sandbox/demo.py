"""Demo data for the sandbox: Xã Sơn Kim 1 (Hà Tĩnh, 18196), five villages, six people, a few weeks
of sessions, and two group chats on each messenger (Thôn 1's team and the commune's), so a newcomer can
chat with the real bot as any of them, alone or in a group.

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
from storage.models import ChannelAccount, HelpRecord, Member, TrainingSession
from storage.reports import previous_month
from storage.settings import get_setting, set_setting
from storage.vocab import HELP_KINDS, ROLES, TOPICS

DEMO_COMMUNE = 18196
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


def seed_demo(database: Database, clock: Clock, config: Config) -> list[dict[str, Any]]:
    """Create the demo commune once (idempotent) and return the personas for the sandbox page.

    An older demo database gets what it lacks: people added since, their Zalo accounts, the groups."""
    now = clock.now()
    with database.session() as session:
        commune = get_commune(session, DEMO_COMMUNE)
        if get_setting(session, SEEDED_KEY) is None:
            added, _ = add_villages(session, DEMO_COMMUNE, DEMO_VILLAGES, now=now, actor_id=None)
            _ensure_people(session, commune, now)
            team_lead = _member_of(session, "telegram", 900002)
            _seed_activity(session, added, team_lead, local_today(clock, config.tz), now)
            set_setting(session, SEEDED_KEY, now.isoformat(), now)
        _ensure_people(session, commune, now)
        _ensure_zalo_accounts(session, now)
        _ensure_indicators(session, local_today(clock, config.tz), now)
        _ensure_groups(session, now)
        accounts = {a.user_id: a for a in session.exec(select(ChannelAccount))}
        personas = []
        for user_id, name, role, village_index in DEMO_PEOPLE:
            if str(user_id) not in accounts:
                continue
            area = commune.name if village_index is None else f"{DEMO_VILLAGES[village_index]}, {commune.name}"
            if role == "province_viewer":
                area = "Tỉnh Hà Tĩnh"
            label = ROLES[role]
            personas.append(
                {
                    "user_id": user_id,
                    "name": name,
                    "role": label[:1].upper() + label[1:],
                    "area": area,
                    "zalo_user_id": demo_zalo_id(user_id),
                }
            )
    return personas


def demo_groups() -> list[dict[str, Any]]:
    """The demo group chats in the shape the sandbox page takes (bot/sandbox/web.py, ``groups``)."""
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
        }
        for group in DEMO_GROUPS
    ]


def _ensure_people(session: Any, commune: Any, now: dt.datetime) -> None:
    """Every demo person a member with a Telegram account and their role's command menu (once each)."""
    villages = {v.name: v for v in villages_of(session, DEMO_COMMUNE)}
    for user_id, name, role, village_index in DEMO_PEOPLE:
        if _member_of(session, "telegram", user_id, required=False) is not None:
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
        session.add(member)
        session.flush()
        session.add(
            ChannelAccount(
                member_id=_id_of(member), channel="telegram", user_id=str(user_id), chat_id=str(user_id), created_at=now
            )
        )
        # They never join through chat, so give them their role's command menu here.
        outbox.enqueue(
            session,
            channel="telegram",
            chat_id=str(user_id),
            kind=outbox.KIND_SET_COMMANDS,
            payload={"commands": command_menu(member, Translator("vi")), "language": "vi"},
            now=now,
        )
    session.flush()


def _member_of(session: Any, channel: str, user_id: int, *, required: bool = True) -> Any:
    """The demo person's member row, found by their Telegram account (None if missing and not required)."""
    account = session.exec(
        select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.user_id == str(user_id))
    ).first()
    member = session.get(Member, account.member_id) if account is not None else None
    if member is None and required:
        raise ValueError(f"demo person {user_id} is missing")
    return member


def _ensure_groups(session: Any, now: dt.datetime) -> None:
    """The demo groups, on both messengers, bound by the commune admin and already greeted (once each)."""
    admin = _member_of(session, "telegram", DEMO_ADMIN_ID)
    villages = {v.name: v for v in villages_of(session, DEMO_COMMUNE)}
    for group in DEMO_GROUPS:
        village = villages[DEMO_VILLAGES[group.village_index]] if group.village_index is not None else None
        for channel, chat_id in (("telegram", str(group.telegram_chat_id)), ("zalo", group.zalo_group_id)):
            if groups.find(session, channel, chat_id) is not None:
                continue
            row, _fresh = groups.seen(session, channel, chat_id, group.title, now)
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
    for user_id, _name, _role, _village in DEMO_PEOPLE:
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
