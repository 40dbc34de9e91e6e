"""Questions in plain words ("thôn nào chưa có buổi học tuần này?"): answered, or the list of what can be asked."""

from __future__ import annotations

from typing import Any

from handlers.base import Turn
from handlers.common import main_menu
from storage.text import fold

_WEEK_WORDS = ("tuan nay", "tuan", "chua co buoi", "thon nao")


def answer(turn: Turn, parsed: Any) -> None:
    """Answer what the bot can answer today; otherwise say what can be asked."""
    _ = turn._
    text = fold(turn.text)
    if turn.member is not None and turn.member.commune_code is not None and any(w in text for w in _WEEK_WORDS):
        from handlers.week import show_week

        return show_week(turn)
    turn.say(_("Tôi chưa trả lời được câu này. Bạn có thể hỏi:") + "\n"
             + "\n".join([_("• «thôn nào chưa có buổi học tuần này?»"), _("• «tuần này thế nào?»")])
             + "\n" + _("hoặc gõ /tuannay."), main_menu(turn))
