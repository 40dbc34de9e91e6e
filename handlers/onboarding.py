"""Joining with an invite: `/start CODE`, a deep link, or the code typed alone."""

from __future__ import annotations

from handlers.base import Turn
from handlers.common import area_label, role_label, show_help
from handlers.errors import explain
from storage import invites
from storage.errors import DomainError

AWAIT_CODE = "join.code"


def start(turn: Turn, argument: str) -> None:
    """/start [CODE]: join with a code, or greet a member who is already in."""
    _ = turn._
    turn.end_flow()
    if turn.member is not None:
        if argument:
            turn.say(_("Bạn đã tham gia với vai trò {role} — {area}. Mã mời này không cần dùng nữa.").format(
                role=role_label(turn.member, turn.tr), area=area_label(turn.session, turn.member)))
        show_help(turn)
        return
    if argument:
        join(turn, argument)
        return
    turn.goto(AWAIT_CODE)
    turn.say(_("Chào bạn! Đây là trợ lý của Tổ Công nghệ số cộng đồng — phong trào «Bình dân học vụ số».\n\n"
               "Bạn gõ mã mời do cán bộ xã gửi (ví dụ: ABCD2345) để tham gia."))


def on_code_text(turn: Turn) -> None:
    """A message from someone who has not joined: try it as an invite code."""
    _ = turn._
    text = turn.text
    if invites.looks_like_code(text):
        join(turn, text)
    else:
        turn.goto(AWAIT_CODE)
        turn.say(_("Bạn chưa tham gia. Bạn gõ mã mời do cán bộ xã gửi (8 ký tự, ví dụ: ABCD2345)."))


def join(turn: Turn, code: str) -> None:
    """Redeem an invite and welcome the new member."""
    _ = turn._
    incoming = turn.incoming
    try:
        member = invites.redeem(
            turn.session,
            code,
            channel=incoming.channel,
            user_id=incoming.user_id,
            chat_id=incoming.chat_id,
            display_name=incoming.display_name,
            locale=turn.tr.locale,
            now=turn.now,
        )
    except DomainError as error:
        turn.goto(AWAIT_CODE)
        turn.say(explain(error, turn.tr))
        return
    turn.member = member
    turn.end_flow()
    turn.commands_changed = True
    turn.say(_("Chào mừng {name}! Bạn đã tham gia với vai trò {role} — {area}.").format(
        name=member.display_name, role=role_label(member, turn.tr), area=area_label(turn.session, member)))
    show_help(turn)
