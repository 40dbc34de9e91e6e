"""/web: a one-time link to the leaders' page (bot/webpages/), valid for 10 minutes, for the person's own area.

The link is built from the configured public URL (`Config.web_base_url`); it is given only in a private chat
(handlers/groups.py keeps /web out of groups), because whoever opens it first is signed in as its person.
"""

from __future__ import annotations

from dataclasses import replace

from bot.messages import Button
from handlers.base import Turn
from handlers.common import go_button, not_allowed
from storage.web_access import LINK_MINUTES, issue_link

SIGN_IN_PATH = "/web/signin/"
MINI_APP_PATH = "/web/miniapp"


def mini_app_url(turn: Turn) -> str | None:
    """The Mini App's address when this turn can open one: Telegram, in a private chat, with an https public
    URL (Telegram opens only https pages as Mini Apps); None elsewhere (Zalo, plain http, a LAN address)."""
    public_url = turn.config.public_url or ""
    if turn.incoming.channel != "telegram" or turn.incoming.chat_type != "private":
        return None
    if not public_url.startswith("https://"):
        return None
    return public_url.rstrip("/") + MINI_APP_PATH


def dashboard_buttons(turn: Turn) -> list[list[Button]]:
    """«🌐 Mở bảng theo dõi» as a row under a progress or report answer, in a private chat only: a link given in
    a group would sign in whoever opens it first. On Telegram with an https public URL it opens the page as a
    Mini App, signed in by Telegram's initData; elsewhere it runs /web, which answers with a one-time link."""
    if turn.incoming.chat_type != "private" or turn.member is None:
        return []
    button = go_button(turn._("🌐 Mở bảng theo dõi"), "web")
    url = mini_app_url(turn)
    return [[replace(button, web_app=url) if url else button]]


def command(turn: Turn, _argument: str) -> None:
    """/web: a link that signs the person in to their area's page, once, within 10 minutes."""
    _ = turn._
    member = turn.member
    if member is None:
        return not_allowed(turn)
    if turn.incoming.chat_type != "private":  # a button pressed in a group: the link is never shown there
        turn.say(_("Việc này bạn làm trong chat riêng với bot nhé: bạn bấm vào tên bot rồi chọn «Nhắn tin»."))
        return None
    token = issue_link(turn.session, member, turn.now)
    url = turn.config.web_base_url + SIGN_IN_PATH + token
    turn.say(
        "\n".join(
            [
                _("🌐 Bảng theo dõi của bạn:"),
                url,
                "",
                _("Liên kết dùng được một lần, trong {minutes} phút. Đừng chuyển cho người khác.").format(
                    minutes=turn.tr.number(LINK_MINUTES)
                ),
            ]
        )
    )
