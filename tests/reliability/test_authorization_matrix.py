"""The authorization matrix: every role × every command, plain-words question and forged button × the own
area, another village of the same commune, another commune of the same province and another province.

The real engine runs on a migrated database (SQLite, and PostgreSQL when BDHVS_TEST_DATABASE_URL is set).
Four areas are seeded with distinctive names and counts («Thôn Lạ Xa» with 777 people in Hà Nội, ...). Each
case checks its verdict (answered or refused, by stable markers: the flow of the buttons offered, the own
area's name or figures, a file) and the invariant that holds whatever the verdict or the wording: nothing of
an area the person may not see reaches them (texts, button labels, captions, the cells of an XLSX), and no
row of an area they may not change is written, changed or deleted.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import logging
import os
import re
import traceback
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine, Outcome
from bot.messages import Incoming
from handlers.router import COMMANDS, route
from storage import activity, indicators, invites, reminders
from storage.areas import add_villages
from storage.db import Database
from storage.models import (
    ChannelAccount,
    Commune,
    HelpRecord,
    Invite,
    Member,
    MonthlyReport,
    OutboxMessage,
    ReminderDeadline,
    StoredFile,
    TrainingSession,
    Village,
)
from storage.reports import submit
from tests.conftest import VN

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.reliability

# The areas. Own: Thôn Nhà Mình in Xã Sơn Kim 1 (Hà Tĩnh). V2: another village of that commune. C2: a village
# of Xã Sơn Kim 2, same province. P2: a village of Phường Ba Đình, Hà Nội.
HA_TINH, HA_NOI = 42, 1
SON_KIM_1, SON_KIM_2, BA_DINH = 18196, 18199, 4
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN)  # Wednesday; October is over and submitted
THIS_WEEK, OCTOBER_DAY, OCTOBER = dt.date(2026, 11, 24), dt.date(2026, 10, 15), dt.date(2026, 10, 1)
BOUNDS = activity.Bounds(1000, 2000, 400)

OWN, VILLAGE_2, COMMUNE_2, PROVINCE_2 = "own", "village", "commune", "province"
TARGETS = (OWN, VILLAGE_2, COMMUNE_2, PROVINCE_2)


@dataclass(frozen=True)
class AreaSeed:
    """One seeded area: where it is, what it holds and how it is named in a question."""

    key: str
    province: int
    commune: int
    village: str
    person: str  # a team member of that village
    attendees: int  # per session; one session this week and one in October
    helped: int  # per help record, same days
    numerator: int  # the commune's October VNeID figure (for the village's commune)
    deadline: str  # a one-off deadline of the commune (or the province, for P2)
    commune_name: str
    province_name: str


SEEDS = {
    OWN: AreaSeed(
        OWN,
        HA_TINH,
        SON_KIM_1,
        "Thôn Nhà Mình",
        "Bác Hùng",
        41,
        13,
        1111,
        "Hạn Nhà Mình",
        "Xã Sơn Kim 1",
        "Tỉnh Hà Tĩnh",
    ),
    VILLAGE_2: AreaSeed(
        VILLAGE_2,
        HA_TINH,
        SON_KIM_1,
        "Thôn Kề Bên",
        "Bà Kề Bên",
        173,
        157,
        1111,
        "Hạn Nhà Mình",
        "Xã Sơn Kim 1",
        "Tỉnh Hà Tĩnh",
    ),
    COMMUNE_2: AreaSeed(
        COMMUNE_2,
        HA_TINH,
        SON_KIM_2,
        "Thôn Lạ Gần",
        "Ông Lạ Gần",
        389,
        271,
        2323,
        "Hạn Lạ Gần",
        "Xã Sơn Kim 2",
        "Tỉnh Hà Tĩnh",
    ),
    PROVINCE_2: AreaSeed(
        PROVINCE_2,
        HA_NOI,
        BA_DINH,
        "Thôn Lạ Xa",
        "Ông Lạ Xa",
        777,
        643,
        4747,
        "Hạn Lạ Xa",
        "Phường Ba Đình",
        "Thành phố Hà Nội",
    ),
}

STRANGER, MEMBER, LEAD, ADMIN, LEADER, VIEWER = (
    "stranger",
    "member",
    "team_lead",
    "commune_admin",
    "commune_leader",
    "province_viewer",
)
ROLES = (STRANGER, MEMBER, LEAD, ADMIN, LEADER, VIEWER)
USER_IDS = {STRANGER: 9100, MEMBER: 9101, LEAD: 9102, ADMIN: 9103, LEADER: 9104, VIEWER: 9105}
# Who may see (and change) which areas.
VISIBLE: dict[str, tuple[str, ...]] = {
    STRANGER: (),
    MEMBER: (OWN,),
    LEAD: (OWN,),
    ADMIN: (OWN, VILLAGE_2),
    LEADER: (OWN, VILLAGE_2),
    VIEWER: (OWN, VILLAGE_2, COMMUNE_2),
}
# Own-area figures entered by the people of the own area (besides the member's seeded session and help).
LEAD_HELPED, ADMIN_ATTENDEES = 19, 29


@dataclass
class World:
    """The ids of what was seeded."""

    villages: dict[str, int] = field(default_factory=dict)  # area key -> village id
    members: dict[str, int] = field(default_factory=dict)  # area key or role -> member id
    sessions: dict[str, int] = field(default_factory=dict)  # area key -> a session id (this week)
    helps: dict[str, int] = field(default_factory=dict)  # area key -> a help record id (this week)
    deadlines: dict[str, int] = field(default_factory=dict)  # area key (or VIEWER: the province's) -> deadline id
    admins: dict[str, int] = field(default_factory=dict)  # area key -> the commune admin's member id
    attendees: dict[int, int] = field(default_factory=dict)  # session id -> attendees as seeded
    area_of_member: dict[int, str] = field(default_factory=dict)
    area_of_village: dict[int, str] = field(default_factory=dict)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=VN).astimezone(dt.UTC)


def _person(
    session: Any, name: str, role: str, province: int, commune: int | None, village: int | None, user_id: int | None
) -> Member:
    row = Member(
        display_name=name,
        role=role,
        province_code=province,
        commune_code=commune,
        village_id=village,
        created_at=_at(dt.date(2026, 9, 1)),
    )
    session.add(row)
    session.flush()
    if user_id is not None:
        session.add(
            ChannelAccount(
                member_id=row.id,
                channel="telegram",
                user_id=str(user_id),
                chat_id=str(user_id),
                created_at=_at(dt.date(2026, 9, 1)),
            )
        )
    return row


def _activity(
    session: Any, village: Village, member: Member, attendees: int, helped: int, world: World, key: str
) -> None:
    """A session and a help record this week and in October."""
    for day in (THIS_WEEK, OCTOBER_DAY):
        row = activity.record_session(
            session,
            village=village,
            day=day,
            topics=["vneid"],
            attendees=attendees,
            member=member,
            author=member,
            source="guided",
            now=_at(day),
            today=NOW.date(),
            bounds=BOUNDS,
        )
        helps = activity.record_help(
            session,
            village=village,
            day=day,
            items=[("vneid_level2", helped)],
            member=member,
            author=member,
            source="guided",
            now=_at(day),
            today=NOW.date(),
            bounds=BOUNDS,
        )
        world.attendees[row.id] = attendees  # type: ignore[index]
        if day == THIS_WEEK:
            world.sessions[key] = row.id  # type: ignore[assignment]
            world.helps[key] = helps[0].id  # type: ignore[assignment]


def seed(database: Database) -> World:
    """Four areas with distinctive names and figures, the six people of the own area, reports and deadlines."""
    world = World()
    now = _at(dt.date(2026, 11, 2))
    with database.session() as session:
        for key, area in SEEDS.items():
            (village,), _existing = add_villages(session, area.commune, [area.village], now=now, actor_id=None)
            world.villages[key] = village.id  # type: ignore[assignment]
            world.area_of_village[village.id] = key  # type: ignore[index]
            person = _person(session, area.person, "member", area.province, area.commune, village.id, None)
            world.members[key] = person.id  # type: ignore[assignment]
            world.area_of_member[person.id] = key  # type: ignore[index]
            _activity(session, village, person, area.attendees, area.helped, world, key)
        own = SEEDS[OWN]
        own_village = session.get(Village, world.villages[OWN])
        assert own_village is not None
        people = {
            MEMBER: _person(session, "Bác Hùng Hai", "member", HA_TINH, SON_KIM_1, own_village.id, USER_IDS[MEMBER]),
            LEAD: _person(session, "Chú Tổ Trưởng", "team_lead", HA_TINH, SON_KIM_1, own_village.id, USER_IDS[LEAD]),
            ADMIN: _person(session, "Chị Cán Bộ", "commune_admin", HA_TINH, SON_KIM_1, None, USER_IDS[ADMIN]),
            LEADER: _person(session, "Ông Lãnh Đạo", "commune_leader", HA_TINH, SON_KIM_1, None, USER_IDS[LEADER]),
            VIEWER: _person(session, "Chị Sở", "province_viewer", HA_TINH, None, None, USER_IDS[VIEWER]),
        }
        for role, row in people.items():
            world.members[role] = row.id  # type: ignore[assignment]
            world.area_of_member[row.id] = OWN  # type: ignore[index]
        # Each person who logs has an entry of their own to fix or remove.
        mine = activity.record_session(
            session,
            village=own_village,
            day=THIS_WEEK,
            topics=["online_safety"],
            attendees=own.attendees,
            member=people[MEMBER],
            author=people[MEMBER],
            source="guided",
            now=_at(THIS_WEEK),
            today=NOW.date(),
            bounds=BOUNDS,
        )
        world.sessions[MEMBER] = mine.id  # type: ignore[assignment]
        world.attendees[mine.id] = own.attendees  # type: ignore[index]
        activity.record_help(
            session,
            village=own_village,
            day=THIS_WEEK,
            items=[("e_health", LEAD_HELPED)],
            member=people[LEAD],
            author=people[LEAD],
            source="guided",
            now=_at(THIS_WEEK),
            today=NOW.date(),
            bounds=BOUNDS,
        )
        activity.record_session(
            session,
            village=own_village,
            day=OCTOBER_DAY,
            topics=["online_payment"],
            attendees=ADMIN_ATTENDEES,
            member=people[ADMIN],
            author=people[ADMIN],
            source="guided",
            now=_at(OCTOBER_DAY),
            today=NOW.date(),
            bounds=BOUNDS,
        )
        admins = {OWN: people[ADMIN]}
        for key in (COMMUNE_2, PROVINCE_2):
            area = SEEDS[key]
            admins[key] = _person(
                session, area.person + " Xã", "commune_admin", area.province, area.commune, None, None
            )
            world.area_of_member[admins[key].id] = key  # type: ignore[index]
        viewers = {
            OWN: people[VIEWER],
            PROVINCE_2: _person(session, "Ông Sở Lạ Xa", "province_viewer", HA_NOI, None, None, None),
        }
        world.area_of_member[viewers[PROVINCE_2].id] = PROVINCE_2  # type: ignore[index]
        world.admins = {key: row.id for key, row in admins.items()}  # type: ignore[misc]
        province_deadline = reminders.create_deadline(
            session,
            actor=people[VIEWER],
            title="Hạn Tỉnh Nhà",
            due_date=dt.date(2026, 12, 11),
            roles=["commune_admin"],
            now=now,
            today=dt.date(2026, 11, 2),
        )
        world.deadlines[VIEWER] = province_deadline.id  # type: ignore[assignment]
        for key in (OWN, COMMUNE_2, PROVINCE_2):
            area = SEEDS[key]
            indicators.set_figure(
                session,
                actor=admins[key],
                commune_code=area.commune,
                month=OCTOBER,
                indicator="adults_vneid_confirmed",
                numerator=area.numerator,
                denominator=9000,
                now=now,
            )
            submit(
                session,
                actor=admins[key],
                commune_code=area.commune,
                month=OCTOBER,
                now=now,
                today=dt.date(2026, 11, 2),
            )
            creator = viewers[PROVINCE_2] if key == PROVINCE_2 else admins[key]
            row = reminders.create_deadline(
                session,
                actor=creator,
                title=area.deadline,
                due_date=dt.date(2026, 12, 10),
                roles=["member", "commune_admin"],
                now=now,
                today=dt.date(2026, 11, 2),
            )
            world.deadlines[key] = row.id  # type: ignore[assignment]
    return world


# What a person may see -----------------------------------------------------------------------------

ANSWERED, REFUSED, OWN_ONLY = "answered", "refused", "own area only"
AREA_NAME = {
    MEMBER: "Thôn Nhà Mình",
    LEAD: "Thôn Nhà Mình",
    ADMIN: "Xã Sơn Kim 1",
    LEADER: "Xã Sơn Kim 1",
    VIEWER: "Tỉnh Hà Tĩnh",
}


def hidden_areas(role: str) -> list[str]:
    """The seeded areas this role may not see."""
    return [key for key in TARGETS if key not in VISIBLE[role]]


def _number_forms(n: int) -> set[str]:
    """How a count may be written: 1234, 1.234 (Vietnamese), 1,234 (English)."""
    return {str(n), f"{n:,}".replace(",", "."), f"{n:,}"}


def forbidden_for(role: str) -> tuple[set[str], set[str]]:
    """(names, numbers) of the areas the role may not see: their village, people, deadline, commune and province
    names when those are not the role's own, their counts, and their counts summed with what the role sees."""
    visible = [SEEDS[k] for k in VISIBLE[role]]
    own_communes = {a.commune_name for a in visible}
    own_provinces = {a.province_name for a in visible}
    names: set[str] = set()
    numbers: set[str] = set()
    for key in hidden_areas(role):
        area = SEEDS[key]
        names |= {area.village, area.person, area.person + " Xã"}
        if area.commune_name not in own_communes:
            names |= {area.commune_name, area.deadline}
        if area.province_name not in own_provinces:
            names.add(area.province_name)
        for times in (1, 2):
            for value, seen in (
                (area.attendees, sum(a.attendees for a in visible)),
                (area.helped, sum(a.helped for a in visible)),
            ):
                numbers |= _number_forms(times * value) | _number_forms(times * (value + seen))
        if area.commune_name not in own_communes:
            numbers |= _number_forms(area.numerator)
    if role == VIEWER:
        names.add("Ông Sở Lạ Xa")
    return names, numbers


def _number_pattern(numbers: set[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted((re.escape(n) for n in numbers), key=len, reverse=True))
    return re.compile(rf"(?<![\w.,])(?:{alternatives})(?![\w]|[.,]\d)")


def xlsx_text(content: bytes) -> str:
    """Every string of a workbook (shared strings, inline strings and cell values), for leak checks."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = [archive.read(name).decode("utf-8", "replace") for name in archive.namelist() if name.endswith(".xml")]
    text = re.sub(r"<[^>]+>", " ", "\n".join(parts))
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')


# Rows of the areas a person may not change ---------------------------------------------------------

SKIPPED_TABLES = {
    "province",
    "commune",
    "processedupdate",
    "outboxmessage",
    "conversationstate",
    "offeredchoices",
    "storedfile",
    "botsetting",
    "auditentry",
    "alembic_version",
    # derived bookkeeping, no one's data: a commune's change number (bumped by the database for a write of the
    # commune's) and the reads kept until it changes (storage/kept.py)
    "communechange",
    "keptread",
}
Tag = tuple[str, int]


def _tags(row: dict[str, Any], table: str, member_tags: dict[int, set[Tag]]) -> set[Tag]:
    """The areas a row belongs to: its village, else its commune, else its scope's area, else its province;
    plus the area of the member it is about (an entry logged "on behalf" of someone elsewhere)."""
    tags: set[Tag] = set()
    scope = row.get("scope")
    if row.get("village_id") is not None:
        tags.add(("v", int(row["village_id"])))
    elif row.get("commune_code") is not None:
        tags.add(("c", int(row["commune_code"])))
    elif scope in ("commune", "province") and row.get("area_code") is not None:
        tags.add(("c" if scope == "commune" else "p", int(row["area_code"])))
    elif row.get("province_code") is not None:
        tags.add(("p", int(row["province_code"])))
    if table != "member" and row.get("member_id") is not None:
        tags |= member_tags.get(int(row["member_id"]), set())
    return tags


@dataclass
class Geography:
    """Which commune a village is in and which province a commune is in."""

    village_commune: dict[int, int]
    commune_province: dict[int, int]
    own_village: int


def may_change(role: str, tag: Tag, geo: Geography) -> bool:
    """Whether a row of this area is within the role's own area (where its writes are legitimate)."""
    kind, code = tag
    if role == STRANGER:
        return False
    commune = geo.village_commune.get(code) if kind == "v" else code if kind == "c" else None
    if role in (MEMBER, LEAD):
        return kind == "v" and code == geo.own_village
    if role in (ADMIN, LEADER):
        return commune == SON_KIM_1
    province = code if kind == "p" else geo.commune_province.get(commune or -1)
    return province == HA_TINH


def protected_rows(database: Database, world: World, role: str) -> dict[str, list[str]]:
    """Every row of every area the role may not change, as text, table by table."""
    result: dict[str, list[str]] = {}
    with database.session(readonly=True) as session:
        connection = session.connection()
        tables = {t.name: t for t in SQLModel.metadata.sorted_tables if t.name not in SKIPPED_TABLES}
        rows = {
            name: [dict(r._mapping) for r in connection.execute(sa_select(table))] for name, table in tables.items()
        }
    geo = Geography(
        {r["id"]: r["commune_code"] for r in rows.get("village", [])}, _commune_provinces(database), world.villages[OWN]
    )
    member_tags = {r["id"]: _tags(r, "member", {}) for r in rows.get("member", [])}
    for name, table_rows in rows.items():
        kept = [
            json.dumps(r, sort_keys=True, default=str)
            for r in table_rows
            if any(not may_change(role, tag, geo) for tag in _tags(r, name, member_tags))
        ]
        if kept:
            result[name] = sorted(kept)
    return result


_PROVINCES: dict[str, dict[int, int]] = {}


def _commune_provinces(database: Database) -> dict[int, int]:
    """commune code -> province code (the official list does not change: read once per database)."""
    if database.url not in _PROVINCES:
        with database.session(readonly=True) as session:
            _PROVINCES[database.url] = {c.code: c.province_code for c in session.exec(select(Commune))}
    return _PROVINCES[database.url]


# The person's side ---------------------------------------------------------------------------------

_DATE_LIKE = re.compile(r"(?<!\d)\d{1,2}/\d{1,4}(?!\d)")
FORGED_NONCE = "beef"


@dataclass
class Shown:
    """Everything the bot queued for one chat during a case."""

    texts: list[str] = field(default_factory=list)  # texts, captions, button labels, toasts, file contents
    payloads: list[str] = field(default_factory=list)
    files: int = 0
    failed: list[str] = field(default_factory=list)  # what a handler raised, and where
    typed: list[str] = field(default_factory=list)  # what the person sent (echoes of it are no leak)


class _FailureCatcher(logging.Handler):
    """Keeps what a failing handler raised and the line it raised on (the engine logs it and apologises)."""

    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            last = traceback.extract_tb(error.__traceback__)[-1]
            where = os.path.relpath(last.filename, ROOT)
            self.into.append(f"{type(error).__name__}({error}) at {where}:{last.lineno}")


class Probe:
    """The real engine, driven one person at a time; collects what is queued for that person's chat."""

    def __init__(self, database: Database, config: Config, clock: FixedClock, world: World) -> None:
        self.database = database
        self.world = world
        self.engine = ConversationEngine(database, config, clock, route)
        self._update_ids = itertools.count(1)
        self.shown = Shown()
        self._last_id = self._max_outbox_id()
        self.failures: list[str] = []
        self._catcher = _FailureCatcher(self.failures)
        logging.getLogger("bot.engine").addHandler(self._catcher)

    def close(self) -> None:
        logging.getLogger("bot.engine").removeHandler(self._catcher)

    def _max_outbox_id(self) -> int:
        with self.database.session(readonly=True) as session:
            rows = session.exec(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)).all()  # type: ignore[union-attr]
            return int(rows[0]) if rows else 0

    def begin(self) -> Shown:
        """Start a new case: forget what was shown."""
        self.shown = Shown()
        return self.shown

    def _send(self, role: str, **fields: Any) -> None:
        user = str(USER_IDS[role])
        outcome = self.engine.process(
            Incoming(
                channel="telegram",
                update_id=f"auth{next(self._update_ids)}",
                user_id=user,
                chat_id=user,
                display_name="Người thử",
                **fields,
            )
        )
        if outcome == Outcome.FAILED:
            self.shown.failed.append(self.failures.pop() if self.failures else "?")
        with self.database.session(readonly=True) as session:
            rows = session.exec(
                select(OutboxMessage).where(OutboxMessage.id > self._last_id).order_by(OutboxMessage.id)
            ).all()  # type: ignore[arg-type]
            for row in rows:
                self._last_id = max(self._last_id, int(row.id or 0))
                if row.chat_id == user:
                    self._collect(session, dict(row.payload))

    def _collect(self, session: Any, payload: dict[str, Any]) -> None:
        shown = self.shown
        shown.texts.append(str(payload.get("text") or ""))
        for row in payload.get("buttons") or []:
            for button in row:
                shown.texts.append(str(button.get("label", "")))
                shown.payloads.append(str(button.get("payload", "")))
        token = payload.get("file_token")
        if token:
            shown.files += 1
            stored = session.exec(select(StoredFile).where(StoredFile.token == token)).one()
            if stored.filename.endswith(".xlsx"):
                shown.texts.append(xlsx_text(bytes(stored.content)))

    def say(self, role: str, text: str) -> None:
        self.shown.typed.append(text)
        self._send(role, text=text)

    def press(self, role: str, payload: str) -> None:
        self._send(
            role,
            payload=payload,
            callback_id=f"cb{next(self._update_ids)}",
            message_id="1",
            message_text="…",
            button_label="…",
        )

    def nonce(self, flow: str) -> str:
        """The nonce of the flow's buttons the person was last shown (a forger reads it off their own buttons)."""
        for payload in reversed(self.shown.payloads):
            if payload.startswith(flow + ":"):
                return payload.split(":")[1]
        return FORGED_NONCE


def offers(flow: str) -> Callable[[Probe, str], bool]:
    """Answered: the person was given buttons of this flow."""
    return lambda probe, _role: any(p.startswith(flow + ":") for p in probe.shown.payloads)


def names_own_area(probe: Probe, role: str) -> bool:
    """Answered: the reply names the person's own area."""
    return role in AREA_NAME and any(AREA_NAME[role] in t for t in probe.shown.texts)


def any_reply(probe: Probe, _role: str) -> bool:
    return any(t.strip() for t in probe.shown.texts)


def gives_figures(probe: Probe, _role: str) -> bool:
    """Answered: a file, or a text about a period (a date or month is in every answer, in no refusal)."""
    return probe.shown.files > 0 or any(_DATE_LIKE.search(t) for t in probe.shown.texts)


def honour_roll(probe: Probe, _role: str) -> bool:
    """Answered: the honour roll's heading (its lines name the most regular villages or communes)."""
    return any("🏅" in t for t in probe.shown.texts)


# command -> (how an answer is recognised, verdicts for stranger, member, team lead, commune admin, commune leader,
# province viewer: A answered, R refused)
COMMAND_TABLE: dict[str, tuple[Callable[[Probe, str], bool], str]] = {
    "start": (any_reply, "AAAAAA"),
    "help": (any_reply, "AAAAAA"),
    "huy": (any_reply, "AAAAAA"),
    "lang": (offers("c:-:lang"), "AAAAAA"),
    "lienket": (any_reply, "AAAAAA"),
    "ghibuoi": (offers("s"), "RAAARR"),
    "ghigiup": (offers("h"), "RAAARR"),
    "tuannay": (names_own_area, "RAAAAR"),
    "sua": (offers("x"), "RAAARR"),
    "xoa": (offers("x"), "RAAARR"),
    "thon": (names_own_area, "RRRARR"),
    "moi": (offers("a"), "RRAARR"),  # a team lead: their own village's join link only
    "nhacnho": (offers("rm"), "RAAAAA"),
    "tiendo": (offers("g"), "RAAAAR"),
    "chiso": (offers("i"), "RRRARR"),
    "chitieu": (names_own_area, "RRRAAA"),
    "baocao": (offers("r"), "RRRAAR"),
    "tinh": (offers("pv"), "RRRRRA"),
    "molai": (offers("r"), "RRRRRA"),
    "thanhvien": (offers("mb"), "RRAARR"),  # members of the area: a commune admin, a team lead for their village
    "kiemtra": (names_own_area, "RRRAAA"),  # the entries worth a second look: the commune's people, the province
    "bieuduong": (honour_roll, "RRRAAA"),
}
# The words naming each target area in a command's argument or a question.
TARGET_WORDS = {OWN: "Thôn Nhà Mình", VILLAGE_2: "Thôn Kề Bên", COMMUNE_2: "Xã Sơn Kim 2", PROVINCE_2: "Hà Nội"}
QUESTIONS: dict[str, str] = {
    "thôn nào chưa có buổi học tuần này?": "RAAAAA",
    "xã nào chưa nộp báo cáo?": "RAAAAA",
    "xuất báo cáo tháng 11": "RRRAAA",
}
# Questions naming an area: about the own area they are answered; about another area the answer may only be
# the own area's figures (with a word saying so) or a refusal, whatever the wording.
AREA_QUESTIONS: dict[str, dict[str, str]] = {
    "sessions": {
        OWN: "xã mình tháng này có bao nhiêu buổi?",
        VILLAGE_2: "Thôn Kề Bên có bao nhiêu buổi tháng này?",
        COMMUNE_2: "xã Sơn Kim 2 tháng này có bao nhiêu buổi?",
        PROVINCE_2: "Phường Ba Đình tháng này có bao nhiêu buổi?",
    },
    "helped": {
        OWN: "tháng này bao nhiêu người được hỗ trợ?",
        VILLAGE_2: "tháng này Thôn Kề Bên bao nhiêu người được hỗ trợ?",
        COMMUNE_2: "tháng này Thôn Lạ Gần bao nhiêu người được hỗ trợ?",
        PROVINCE_2: "tháng này Thôn Lạ Xa bao nhiêu người được hỗ trợ?",
    },
    "progress": {
        OWN: "tiến độ quý này thế nào?",
        VILLAGE_2: "tiến độ của Thôn Kề Bên thế nào?",
        COMMUNE_2: "tiến độ của xã Sơn Kim 2 thế nào?",
        PROVINCE_2: "tiến độ của Hà Nội thế nào?",
    },
    "percent": {
        OWN: "xã mình đạt bao nhiêu phần trăm vneid?",
        VILLAGE_2: "Thôn Kề Bên đạt bao nhiêu phần trăm vneid?",
        COMMUNE_2: "xã Sơn Kim 2 đạt bao nhiêu phần trăm vneid?",
        PROVINCE_2: "thành phố Hà Nội đạt bao nhiêu phần trăm vneid?",
    },
}


def _verdict(letters: str, role: str) -> str:
    return ANSWERED if letters[ROLES.index(role)] == "A" else REFUSED


# Forged buttons: real payload formats, another area's ids. Answered = the write happened in the target. --------


def _count(database: Database, model: Any, *conditions: Any) -> int:
    with database.session(readonly=True) as session:
        return len(session.exec(select(model).where(*conditions)).all())


def _target_village(probe: Probe, target: str) -> int:
    return probe.world.villages[target]


def forge_session(probe: Probe, role: str, target: str) -> bool:
    """/ghibuoi, then a village button carrying the target's village id, then through to «Đúng»."""
    village = _target_village(probe, target)
    before = _count(probe.database, TrainingSession, TrainingSession.village_id == village)
    probe.say(role, "/ghibuoi")
    nonce = probe.nonce("s")
    for action in ("date:today", f"village:{village}", "topic:other_platforms", "topics_done"):
        probe.press(role, f"s:{nonce}:{action}")
    probe.say(role, "12")
    probe.press(role, f"s:{nonce}:save")
    probe.press(role, f"s:{nonce}:again")  # a twin of an earlier case's session asks first
    return _count(probe.database, TrainingSession, TrainingSession.village_id == village) > before


def forge_help(probe: Probe, role: str, target: str) -> bool:
    """/ghigiup with the target's village id."""
    village = _target_village(probe, target)
    before = _count(probe.database, HelpRecord, HelpRecord.village_id == village)
    probe.say(role, "/ghigiup")
    nonce = probe.nonce("h")
    for action in ("date:today", f"village:{village}", "kind:digital_signature"):
        probe.press(role, f"h:{nonce}:{action}")
    probe.say(role, "7")
    probe.press(role, f"h:{nonce}:save")
    return _count(probe.database, HelpRecord, HelpRecord.village_id == village) > before


def forge_one_line(probe: Probe, role: str, target: str) -> bool:
    """A one-line report, then the read-back's village button with the target's id, then «Đúng»."""
    village = _target_village(probe, target)
    before = _count(probe.database, TrainingSession, TrainingSession.village_id == village)
    probe.say(role, "hôm nay học thanh toán trực tuyến 11 người")
    nonce = probe.nonce("t")
    for action in (f"village:{village}", "save", "again"):
        probe.press(role, f"t:{nonce}:{action}")
    return _count(probe.database, TrainingSession, TrainingSession.village_id == village) > before


def _entry_for(probe: Probe, role: str, target: str) -> int:
    """The session a case aims at: for the own area one the person may manage, else the target's."""
    if target == OWN and role == MEMBER:
        return probe.world.sessions[MEMBER]
    return probe.world.sessions[target]


def _restore_entry(probe: Probe, entry_id: int) -> TrainingSession:
    with probe.database.session() as session:
        row = session.get(TrainingSession, entry_id)
        assert row is not None
        row.deleted_at = None
        row.attendees = probe.world.attendees[entry_id]
        session.add(row)
        return row


def forge_remove(probe: Probe, role: str, target: str) -> bool:
    """/xoa, then a pick button carrying the target's session id, then «Xoá»."""
    entry = _entry_for(probe, role, target)
    _restore_entry(probe, entry)
    probe.say(role, "/xoa")
    nonce = probe.nonce("x")
    probe.press(role, f"x:{nonce}:pick:s{entry}")
    probe.press(role, f"x:{nonce}:delete")
    with probe.database.session(readonly=True) as session:
        row = session.get(TrainingSession, entry)
        return row is not None and row.deleted_at is not None


def forge_fix(probe: Probe, role: str, target: str) -> bool:
    """/sua, a pick button carrying the target's session id, the count field, 5, «Lưu»."""
    entry = _entry_for(probe, role, target)
    _restore_entry(probe, entry)
    probe.say(role, "/sua")
    nonce = probe.nonce("x")
    probe.press(role, f"x:{nonce}:pick:s{entry}")
    probe.press(role, f"x:{nonce}:field:attendees")
    probe.say(role, "5")
    probe.press(role, f"x:{nonce}:save")
    with probe.database.session(readonly=True) as session:
        row = session.get(TrainingSession, entry)
        return row is not None and row.attendees == 5


def forge_invite(probe: Probe, role: str, target: str) -> bool:
    """/moi, «Thành viên tổ», then a village button carrying the target's village id."""
    village = _target_village(probe, target)
    before = _count(probe.database, Invite, Invite.village_id == village)
    probe.say(role, "/moi")
    nonce = probe.nonce("a")
    probe.press(role, f"a:{nonce}:role:member")
    probe.press(role, f"a:{nonce}:village:{village}")
    return _count(probe.database, Invite, Invite.village_id == village) > before


def forge_village_link(probe: Probe, role: str, target: str) -> bool:
    """/moi, «Mã cho cả thôn», then a village button carrying the target's village id: answered when the person
    is shown the target village's live join link (made now, or the one already there)."""
    village = _target_village(probe, target)
    probe.say(role, "/moi")
    nonce = probe.nonce("a")
    probe.press(role, f"a:{nonce}:vlink_pick")
    probe.press(role, f"a:{nonce}:vlink:{village}")
    with probe.database.session(readonly=True) as session:
        link = invites.village_join_link(session, village, NOW)
    return link is not None and any(link.code in text for text in probe.shown.texts)


def _resubmit_october(probe: Probe) -> None:
    """Every seeded commune's October submitted again (an earlier case may have reopened one)."""
    with probe.database.session() as session:
        for key in (OWN, COMMUNE_2, PROVINCE_2):
            commune = SEEDS[key].commune
            report = session.exec(
                select(MonthlyReport).where(MonthlyReport.commune_code == commune, MonthlyReport.month == OCTOBER)
            ).one()
            if report.status != "submitted":
                admin = session.get(Member, probe.world.admins[key])
                submit(session, actor=admin, commune_code=commune, month=OCTOBER, now=NOW, today=NOW.date())


def forge_reopen(probe: Probe, role: str, target: str) -> bool:
    """/molai, then a commune button carrying the target's commune code, a reason, «Mở lại»."""
    _resubmit_october(probe)
    commune = SEEDS[target].commune
    probe.say(role, "/molai")
    nonce = probe.nonce("r")
    probe.press(role, f"r:{nonce}:commune:{commune}")
    probe.say(role, "Số liệu các thôn cần kiểm tra lại trước khi tổng hợp")
    probe.press(role, f"r:{nonce}:reopen_yes")
    return (
        _count(
            probe.database,
            MonthlyReport,
            MonthlyReport.commune_code == commune,
            MonthlyReport.month == OCTOBER,
            MonthlyReport.status == "submitted",
        )
        == 0
    )


def forge_cancel_deadline(probe: Probe, role: str, target: str) -> bool:
    """/nhacnho, «Huỷ một hạn chót», then a button carrying the target's deadline id."""
    key = (
        (VIEWER if role == VIEWER else OWN)
        if target == OWN
        else COMMUNE_2
        if target == COMMUNE_2
        else PROVINCE_2
        if target == PROVINCE_2
        else OWN
    )
    deadline = probe.world.deadlines[key]
    with probe.database.session() as session:
        row = session.get(ReminderDeadline, deadline)
        assert row is not None
        row.cancelled_at = None
        session.add(row)
    probe.say(role, "/nhacnho")
    nonce = probe.nonce("rm")
    probe.press(role, f"rm:{nonce}:drop")
    probe.press(role, f"rm:{nonce}:drop_one:{deadline}")
    return (
        _count(probe.database, ReminderDeadline, ReminderDeadline.id == deadline, ReminderDeadline.cancelled_at != None)  # noqa: E711 (SQL IS NOT NULL)
        == 1
    )


def forge_behalf(probe: Probe, role: str, target: str) -> bool:
    """/ghibuoi in the own village, then «Ghi thay» with a button carrying the target's member id."""
    owner = probe.world.members[target]
    before = _count(probe.database, TrainingSession, TrainingSession.member_id == owner)
    probe.say(role, "/ghibuoi")
    nonce = probe.nonce("s")
    for action in ("date:today", f"village:{probe.world.villages[OWN]}", "topic:online_shopping", "topics_done"):
        probe.press(role, f"s:{nonce}:{action}")
    probe.say(role, "9")
    for action in (f"behalf_pick:{owner}", "save", "again"):
        probe.press(role, f"s:{nonce}:{action}")
    return _count(probe.database, TrainingSession, TrainingSession.member_id == owner) > before


def forge_remove_member(probe: Probe, role: str, target: str) -> bool:
    """/thanhvien, then a remove button carrying the target's member id, then «Xoá»; the person is put back."""
    person = probe.world.members[target]
    probe.say(role, "/thanhvien")
    nonce = probe.nonce("mb")
    probe.press(role, f"mb:{nonce}:rm:{person}")
    probe.press(role, f"mb:{nonce}:rm_yes")
    with probe.database.session() as session:
        row = session.get(Member, person)
        assert row is not None
        removed = getattr(row, "removed_at", None) is not None
        if removed:  # back in the list for the next cases (the seeded people have no accounts to restore)
            row.removed_at = None  # type: ignore[attr-defined]
            session.add(row)
    return removed


# scenario -> (act, verdicts per role for the targets own, village, commune, province; roles not listed: RRRR)
FORGED: dict[str, tuple[Callable[[Probe, str, str], bool], dict[str, str]]] = {
    "log a session in": (forge_session, {MEMBER: "ARRR", LEAD: "ARRR", ADMIN: "AARR"}),
    "log people helped in": (forge_help, {MEMBER: "ARRR", LEAD: "ARRR", ADMIN: "AARR"}),
    "one-line report moved to": (forge_one_line, {MEMBER: "ARRR", LEAD: "ARRR", ADMIN: "AARR"}),
    "remove a session of": (forge_remove, {MEMBER: "ARRR", LEAD: "ARRR", ADMIN: "AARR"}),
    "fix a session of": (forge_fix, {MEMBER: "ARRR", LEAD: "ARRR", ADMIN: "AARR"}),
    "invite a member into": (forge_invite, {ADMIN: "AARR"}),
    "make the village join link of": (forge_village_link, {LEAD: "ARRR", ADMIN: "AARR"}),
    "reopen the October report of": (forge_reopen, {VIEWER: "AAAR"}),
    "cancel a deadline of": (forge_cancel_deadline, {ADMIN: "AARR", VIEWER: "ARRR"}),
    "log on behalf of a member of": (forge_behalf, {LEAD: "ARRR", ADMIN: "AARR"}),
    "remove from the members a person of": (forge_remove_member, {LEAD: "ARRR", ADMIN: "AARR"}),
}


# The matrix ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One cell: a role does one thing aimed at one area, with the expected verdict."""

    role: str
    kind: str  # command | question | button
    what: str
    target: str
    expected: str  # answered | refused | own area only
    act: Callable[[Probe, str], bool]

    def __str__(self) -> str:
        return f"{self.role} · {self.kind} {self.what!r} · {self.target}"


def _say_and_check(text: str, answered: Callable[[Probe, str], bool]) -> Callable[[Probe, str], bool]:
    def act(probe: Probe, role: str) -> bool:
        probe.say(role, text)
        return answered(probe, role)

    return act


def _press_and_check(payload: str, answered: Callable[[Probe, str], bool]) -> Callable[[Probe, str], bool]:
    def act(probe: Probe, role: str) -> bool:
        probe.press(role, payload)
        return answered(probe, role)

    return act


def _forged(scenario: Callable[[Probe, str, str], bool], target: str) -> Callable[[Probe, str], bool]:
    return lambda probe, role: scenario(probe, role, target)


def command_cases(role: str) -> Iterator[Case]:
    """Every command alone (own area) and with another area's name as its argument; and its menu button."""
    for name, (answered, letters) in COMMAND_TABLE.items():
        if name not in COMMANDS:
            continue  # a command not built yet
        base = _verdict(letters, role)
        yield Case(role, "command", f"/{name}", OWN, base, _say_and_check(f"/{name}", answered))
        for target in TARGETS:  # an area's name as the argument: refused, or answered for the own area only
            expected = REFUSED if base == REFUSED else OWN_ONLY
            text = f"/{name} {TARGET_WORDS[target]}"
            yield Case(role, "command", text, target, expected, _say_and_check(text, answered))
        payload = f"c:-:go:{name}"
        yield Case(role, "button", payload, OWN, base, _press_and_check(payload, answered))


def question_cases(role: str) -> Iterator[Case]:
    for text, letters in QUESTIONS.items():
        yield Case(role, "question", text, OWN, _verdict(letters, role), _say_and_check(text, gives_figures))
    for by_target in AREA_QUESTIONS.values():
        for target, text in by_target.items():
            expected = (
                (REFUSED if role == STRANGER else ANSWERED)
                if target == OWN
                else REFUSED
                if role == STRANGER
                else OWN_ONLY
            )
            yield Case(role, "question", text, target, expected, _say_and_check(text, gives_figures))


def forged_cases(role: str) -> Iterator[Case]:
    for name, (scenario, table) in FORGED.items():
        if scenario is forge_remove_member and "thanhvien" not in COMMANDS:
            continue
        letters = table.get(role, "RRRR")
        for target, letter in zip(TARGETS, letters, strict=False):
            yield Case(role, "button", name, target, ANSWERED if letter == "A" else REFUSED, _forged(scenario, target))


def role_cases(role: str) -> list[Case]:
    """Every command, question and forged button of one role."""
    return list(itertools.chain(command_cases(role), question_cases(role), forged_cases(role)))


_UNIT_WORDS = re.compile(r"^(thành phố|tỉnh|xã|phường|thôn)\s+", re.IGNORECASE)


def _short_name(name: str) -> str:
    """An area's name without its kind («Thành phố Hà Nội» -> «hà nội»): naming back what was asked is no leak."""
    return _UNIT_WORDS.sub("", name).lower()


def leaks(shown: Shown, role: str) -> list[str]:
    """What of the areas the role may not see was shown, leaving out echoes of what the person typed."""
    names, numbers = forbidden_for(role)
    typed = " ".join(shown.typed).lower()
    names = {n for n in names if _short_name(n) not in typed}
    numbers = {n for n in numbers if n not in typed}
    found: list[str] = []
    text = "\n".join(shown.texts)
    found += [n for n in sorted(names) if n.lower() in text.lower()]
    if numbers:
        found += sorted({m.group(0) for m in _number_pattern(numbers).finditer(text)})
    return found


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    """The tables whose protected rows differ."""
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


def run_case(probe: Probe, case: Case) -> list[str]:
    """Play one case; the problems found (a wrong verdict, a leak, a write outside the area)."""
    probe.say(case.role, "/huy")  # each case starts with no flow open
    before = protected_rows(probe.database, probe.world, case.role)
    shown = probe.begin()
    answered = case.act(probe, case.role)
    problems: list[str] = []
    if case.expected != OWN_ONLY and answered != (case.expected == ANSWERED):
        problems.append(
            f"{case}: expected {case.expected}, got {ANSWERED if answered else REFUSED}: "
            f"{[t[:160] for t in shown.texts if t][:3]}"
        )
    leaked = leaks(shown, case.role)
    if leaked:
        problems.append(f"{case}: LEAK {leaked} in {[t[:300] for t in shown.texts if t]}")
    if shown.failed:
        problems.append(f"{case}: a handler FAILED: {'; '.join(shown.failed)}")
    written = changed(before, protected_rows(probe.database, probe.world, case.role))
    if written:
        problems.append(f"{case}: WRITE outside the area in {written}")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_role_command_question_and_forged_button_stays_in_its_area(
    database: Database, config: Config, role: str
) -> None:
    """One role at a time (the test processes share the roles), on a freshly seeded world."""
    world = seed(database)
    probe = Probe(database, config, FixedClock(NOW), world)
    cases = role_cases(role)
    problems: list[str] = []
    try:
        for case in cases:
            problems += run_case(probe, case)
    finally:
        probe.close()
    leaked = sum(1 for p in problems if ": LEAK " in p or ": WRITE " in p)
    failed = sum(1 for p in problems if "handler FAILED" in p)
    print(f"\nauthorization, {role}: {len(cases)} cases, {leaked} leaks")
    wrong = len(problems) - leaked - failed
    print(f"authorization, {role}: {wrong} wrong verdicts, {failed} cases where a handler failed")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:80])


def test_the_checks_see_a_leak_and_a_write(database: Database) -> None:
    """The net itself: another area's name or count in a reply, or a row written there, is caught."""
    world = seed(database)
    shown = Shown(
        texts=["Tháng 11/2026, Thôn Lạ Xa có 777 người", "Mã 19487775", "📄 1.554 lượt"], typed=["tiến độ thế nào?"]
    )
    assert leaks(shown, VIEWER) == ["Thôn Lạ Xa", "1.554", "777"]
    assert leaks(Shown(texts=["Không tìm thấy «Thôn Lạ Xa»"], typed=["/molai Thôn Lạ Xa"]), VIEWER) == []
    before = protected_rows(database, world, ADMIN)
    with database.session() as session:
        village = session.get(Village, world.villages[PROVINCE_2])
        person = session.get(Member, world.members[PROVINCE_2])
        assert village is not None and person is not None
        activity.record_session(
            session,
            village=village,
            day=THIS_WEEK,
            topics=["vneid"],
            attendees=3,
            member=person,
            author=person,
            source="guided",
            now=_at(THIS_WEEK),
            today=NOW.date(),
            bounds=BOUNDS,
        )
    assert changed(before, protected_rows(database, world, ADMIN)) == ["trainingsession"]
