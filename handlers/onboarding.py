"""Joining with an invite: `/start CODE`, a deep link, or the code typed alone."""

from __future__ import annotations

from handlers.base import Turn
from handlers.common import area_label, role_label, show_help
from handlers.errors import explain
from handlers.invite_links import bot_link
from storage import invites
from storage.errors import DomainError
from storage.models import Invite
from storage.settings import get_setting

AWAIT_CODE = "join.code"


def start(turn: Turn, argument: str) -> None:
    """/start [CODE]: join with a code, or greet a member who is already in."""
    _ = turn._
    turn.end_flow()
    if turn.member is not None:
        if argument:
            turn.say(
                _("Bạn đã tham gia với vai trò {role} — {area}. Mã mời này không cần dùng nữa.").format(
                    role=role_label(turn.member, turn.tr), area=area_label(turn.session, turn.member)
                )
            )
        show_help(turn)
        return
    if argument:
        join(turn, argument)
        return
    turn.goto(AWAIT_CODE)
    turn.say(
        _(
            "Chào bạn! Đây là trợ lý của Tổ Công nghệ số cộng đồng — phong trào «Bình dân học vụ số».\n\n"
            "Bạn gõ mã mời do cán bộ xã gửi (ví dụ: ABCD2345) để tham gia."
        )
    )


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
    """Redeem an invite and welcome the new member; an account that keeps trying wrong codes waits."""
    _ = turn._
    incoming = turn.incoming
    if invites.code_wait_until(turn.session, incoming.channel, incoming.user_id, turn.now) is not None:
        # Told once, when the wait began; during it codes (even right ones) are neither checked nor answered.
        turn.goto(AWAIT_CODE)
        return
    invite = turn.session.get(Invite, invites.normalize_code(code))
    if invite is not None and _other_provinces_bot(turn, invite):
        return
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
            bot=incoming.bot,
        )
    except DomainError as error:
        turn.goto(AWAIT_CODE)
        text = explain(error, turn.tr)
        if error.code != "already_member" and invites.record_wrong_code(
            turn.session, incoming.channel, incoming.user_id, turn.now
        ):
            text += "\n\n" + wait_notice(turn)
        turn.say(text)
        return
    turn.member = member
    turn.end_flow()
    turn.commands_changed = True
    turn.say(
        _("Chào mừng {name}! Bạn đã tham gia với vai trò {role} — {area}.").format(
            name=member.display_name, role=role_label(member, turn.tr), area=area_label(turn.session, member)
        )
    )
    show_help(turn)


def _other_provinces_bot(turn: Turn, invite: Invite) -> bool:
    """A code of a province served by another bot of this channel: the person is pointed to that bot (with the
    code in its link) and nothing is used up; True when so. A deployment with one bot never refuses."""
    config, incoming = turn.config, turn.incoming
    right = config.bot_for(incoming.channel, invite.province_code)
    if right is None or config.bot_ref(right) == incoming.bot:
        return False
    _ = turn._
    link = (
        bot_link(get_setting(turn.session, config.name_setting(right)), invite.code)
        if right.channel == "telegram"
        else None
    )
    turn.goto(AWAIT_CODE)
    turn.say(
        _(
            "Mã mời này dành cho một tỉnh có bot riêng. Bạn vui lòng tham gia qua bot của tỉnh mình: "
            "bấm vào đây {link} (mã mời đã có sẵn trong link)."
        ).format(link=link)
        if link
        else _(
            "Mã mời này dành cho một tỉnh có bot riêng. Bạn vui lòng tìm bot của tỉnh mình (hỏi cán bộ xã) "
            "rồi nhắn mã {code} cho bot đó."
        ).format(code=invite.code)
    )
    return True


def wait_notice(turn: Turn) -> str:
    """What an account that tried too many wrong codes is told, once."""
    minutes = int(invites.WRONG_CODE_WAIT.total_seconds() // 60)
    return turn._("Bạn đã nhập sai mã nhiều lần. Bạn vui lòng đợi {minutes} phút rồi thử lại nhé.").format(
        minutes=turn.tr.number(minutes)
    )
