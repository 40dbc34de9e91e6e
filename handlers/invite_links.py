"""An invite as an admin forwards it: its deep link (the bot of its province) and the text around it.

Shared by /moi, the groups, the spreadsheet import and the command line, none of which needs a chat turn for it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.i18n import Translator
from bot.settings import Config
from storage.areas import get_commune, village_in_commune
from storage.invites import normalize_code
from storage.models import Invite
from storage.settings import get_setting
from storage.vocab import ROLES


def invite_link(session: Session, code: str, channel: str = "telegram", config: Config | None = None) -> str | None:
    """The deep link that joins with a code, if the bot's username is known: the bot of the invite's province
    when the deployment runs a bot per province (`config`), else the one bot."""
    setting = f"{channel}.username"
    if config is not None:
        invite = session.get(Invite, normalize_code(code))
        bot = config.bot_for(channel, invite.province_code) if invite else config.default_bot(channel)
        if bot is not None:
            setting = config.name_setting(bot)
    return bot_link(get_setting(session, setting), code) if channel == "telegram" else None


def bot_link(username: str | None, code: str | None = None) -> str | None:
    """A Telegram bot's link (t.me), opening it with a code when one is given; None when the name is unknown."""
    if not username:
        return None
    return f"https://t.me/{username}" + (f"?start={code}" if code else "")


def describe_invite(
    session: Session, invite: Invite, tr: Translator, tz: ZoneInfo | None = None, config: Config | None = None
) -> str:
    """The text an admin forwards: code, link, role, area and validity (the last day in `tz`, the teams')."""
    _ = tr.gettext
    expires = invite.expires_at.astimezone(tz) if tz is not None else invite.expires_at
    area = get_commune(session, invite.commune_code).name if invite.commune_code else ""
    if invite.village_id is not None and invite.commune_code is not None:
        area = village_in_commune(session, invite.commune_code, invite.village_id).name + ", " + area
    lines = [
        _("🔑 Mã mời: {code}").format(code=invite.code),
        _("Vai trò: {role}").format(role=_(ROLES[invite.role])),
        _("Nơi: {area}").format(area=area),
        _("Dùng được {n} lần, đến hết ngày {day}.").format(n=tr.number(invite.max_uses), day=tr.date(expires.date())),
    ]
    link = invite_link(session, invite.code, config=config)
    if link:
        lines.append(_("Link tham gia: {link}").format(link=link))
    lines.append(_("Người được mời bấm link, hoặc nhắn mã này cho bot."))
    return "\n".join(lines)


# Villages ---------------------------------------------------------------------------------------
