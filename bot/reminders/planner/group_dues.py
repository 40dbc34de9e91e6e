"""Reminders to group chats: one message to a village's group instead of one to each member, and the Sunday
summary to a commune's group, as the commune's delivery choice says (storage/group_reminders.py).

A group has no one language: its messages are in Vietnamese. Each carries the group's own idempotency key
(rule, period, slot, channel and chat id), so a group hears a firing once, whatever fires it twice.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from bot.i18n import Translator
from bot.messages import Button
from bot.reminders import texts
from bot.reminders.planner.dues import GROUP_ROLE, Due, group_key
from bot.reminders.planner.firings import Firing
from storage.activity import VillageWeek
from storage.group_reminders import Routes, team_leads, to_groups
from storage.groups import BoundGroup
from storage.models import Village
from storage.settings import get_setting

GROUP_LOCALE = "vi"
# Where each channel keeps its default bot's name (the channels store it at start-up), to show how to mention it;
# another bot's (a province's own) is under the same name with `.{its key}` after it.
_BOT_NAME_SETTINGS = {"telegram": "telegram.username", "zalo": "zalo.bot_name"}


def bot_mention(session: Session, channel: str, bot: str | None = None) -> str:
    """How people mention the bot that is in a group of this channel (`bot`: its key, None the default bot):
    «@its_name», or «@tên bot» when not known yet."""
    key = _BOT_NAME_SETTINGS.get(channel)
    if key and bot:
        key = f"{key}.{bot}"
    name = get_setting(session, key) if key else None
    _ = Translator(GROUP_LOCALE).gettext
    return f"@{name}" if name else "@" + _("tên bot")


def _group_due(
    firing: Firing, period: str, group: BoundGroup, area: str, message: tuple[str, list[list[Button]]]
) -> Due:
    """A firing's message to one group chat."""
    text, buttons = message
    return Due(
        rule=firing.kind,
        key=group_key(firing.kind, period, firing.slot, group.channel, group.chat_id),
        period=period,
        at=firing.at.astimezone(dt.UTC),
        member_id=None,
        name=group.title,
        role=GROUP_ROLE,
        locale=GROUP_LOCALE,
        channel=group.channel,
        chat_id=group.chat_id,
        area=area,
        text=text,
        buttons=buttons,
        group=True,
    )


def weekly_session(
    session: Session,
    firing: Firing,
    villages: list[Village],
    communes: dict[int, str],
    routes: Routes,
    monday: dt.date,
) -> list[Due]:
    """One message to each bound group of the villages (none logged this week) whose delivery includes groups."""
    chosen = [v for v in villages if v.id is not None and to_groups(routes.for_village(v.commune_code, v.id))]
    if not chosen:
        return []
    leads = team_leads(session, [v.id for v in chosen if v.id is not None])
    tr = Translator(GROUP_LOCALE)
    sunday = monday + dt.timedelta(days=6)
    mentions: dict[tuple[str, str | None], str] = {}  # by channel and bot: each group names its own bot
    out = []
    for village in chosen:
        for group in routes.village_groups.get(village.id or 0, []):
            bot = (group.channel, group.bot)
            if bot not in mentions:
                mentions[bot] = bot_mention(session, group.channel, group.bot)
            message = texts.group_weekly_session(
                tr,
                village=village.name,
                leads=leads.get(village.id or 0, []),
                mention=mentions[bot],
                monday=monday,
                sunday=sunday,
                nth=firing.nth,
            )
            area = f"{village.name}, {communes.get(village.commune_code, '')}"
            out.append(_group_due(firing, monday.isoformat(), group, area, message))
    return out


def weekly_summary(
    firing: Firing, commune_code: int, commune: str, rows: list[VillageWeek], routes: Routes, monday: dt.date
) -> list[Due]:
    """The week's summary to each of the commune's own groups, when its delivery includes groups."""
    if not to_groups(routes.for_commune(commune_code)):
        return []
    message = texts.group_weekly_summary(
        Translator(GROUP_LOCALE),
        commune=commune,
        monday=monday,
        sunday=monday + dt.timedelta(days=6),
        villages=len(rows),
        held=[r.village.name for r in rows if r.sessions > 0],
        missing=[r.village.name for r in rows if r.sessions == 0],
        sessions=sum(r.sessions for r in rows),
        attendees=sum(r.attendees for r in rows),
        helped=sum(r.helped for r in rows),
    )
    return [
        _group_due(firing, monday.isoformat(), group, commune, message)
        for group in routes.commune_groups.get(commune_code, [])
    ]
