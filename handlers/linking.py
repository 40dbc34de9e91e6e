"""/lienket: one member on both messengers (Telegram and Zalo), linked with a one-time code.

On the messenger where the person already joined, `/lienket` gives a code that works once, for 10 minutes.
Sent on the other messenger (the code alone, `/lienket CODE` or `/start CODE`), it links that account to the
same member: same role, same area, same entries. The link is audited, and the first account is told.
"""

from __future__ import annotations

from sqlmodel import select

from bot.i18n import Translator
from bot.messages import Reply
from handlers import onboarding
from handlers.base import Turn
from handlers.common import area_label, role_label, show_help
from handlers.errors import explain
from storage import invites, outbox
from storage.errors import DomainError
from storage.invites import normalize_code as normalize_invite
from storage.linking import LIFETIME, create_link_code, live_link_code, looks_like_link_code, redeem_link_code
from storage.models import ChannelAccount, Invite

MESSENGERS = {"telegram": "Telegram", "zalo": "Zalo"}


def _other(channel: str) -> str:
    return "Zalo" if channel == "telegram" else "Telegram"


def command(turn: Turn, argument: str) -> None:
    """/lienket [CODE]: get a code for the other messenger, or link this account with one."""
    _ = turn._
    if argument:
        return redeem(turn, argument)
    if turn.member is None:
        turn.say(
            _(
                "Để dùng bot trên cả Telegram và Zalo với cùng một tài khoản: trên ứng dụng bạn đã tham gia, "
                "gõ /lienket để lấy mã liên kết, rồi gửi mã đó vào đây."
            )
        )
        return
    link = create_link_code(
        turn.session, turn.member, channel=turn.incoming.channel, user_id=turn.incoming.user_id, now=turn.now
    )
    turn.say(
        _(
            "🔗 Mã liên kết của bạn: {code}\n\n"
            "Trong {minutes} phút, bạn mở bot trên {other} và gửi mã này (chỉ cần gửi 8 chữ số). "
            "Mã chỉ dùng được một lần.\n"
            "Không đưa mã cho người khác: ai có mã sẽ dùng được tài khoản của bạn."
        ).format(
            code=link.code,
            minutes=turn.tr.number(int(LIFETIME.total_seconds() // 60)),
            other=_other(turn.incoming.channel),
        )
    )


def start(turn: Turn, argument: str) -> None:
    """/start [CODE]: a link code links this account; anything else is onboarding's /start."""
    if argument and turn.member is None and _is_link_code(turn, argument):
        turn.end_flow()
        return redeem(turn, argument)
    onboarding.start(turn, argument)


def on_code_text(turn: Turn) -> None:
    """A message from someone who has not joined: a link code, else an invite code (onboarding)."""
    if _is_link_code(turn, turn.text):
        return redeem(turn, turn.text)
    onboarding.on_code_text(turn)


def _is_link_code(turn: Turn, text: str) -> bool:
    """8 digits that are a live link code, or at least not an invite (an invite code may be all digits)."""
    if not looks_like_link_code(text):
        return False
    if live_link_code(turn.session, text, turn.now) is not None:
        return True
    return turn.session.get(Invite, normalize_invite(text)) is None


def redeem(turn: Turn, code: str) -> None:
    """Link this account to the member who asked for the code."""
    _ = turn._
    incoming = turn.incoming
    if invites.code_wait_until(turn.session, incoming.channel, incoming.user_id, turn.now) is not None:
        # Same rule as invite codes: told once when the wait began, then codes are neither checked nor answered.
        return
    try:
        member, link = redeem_link_code(
            turn.session,
            code,
            channel=incoming.channel,
            user_id=incoming.user_id,
            chat_id=incoming.chat_id,
            now=turn.now,
            bot=incoming.bot,
        )
    except DomainError as error:
        text = _explain(turn, error)
        # An 8-digit code lives 10 minutes: without a limit it could be guessed by trying many.
        if error.code == "link_code_unknown" and invites.record_wrong_code(
            turn.session, incoming.channel, incoming.user_id, turn.now
        ):
            text += "\n\n" + onboarding.wait_notice(turn)
        turn.say(text)
        return
    invites.clear_wrong_codes(turn.session, incoming.channel, incoming.user_id)
    turn.member = member
    turn.tr = Translator(member.locale)
    _ = turn._
    turn.end_flow()
    turn.commands_changed = True
    here, there = MESSENGERS.get(incoming.channel, incoming.channel), MESSENGERS.get(link.channel, link.channel)
    turn.say(
        _("✅ Đã liên kết. Tài khoản {here} này dùng chung với tài khoản {there} của {name}: {role} — {area}.").format(
            here=here,
            there=there,
            name=member.display_name,
            role=role_label(member, turn.tr),
            area=area_label(turn.session, member),
        )
    )
    show_help(turn)
    first = turn.session.exec(
        select(ChannelAccount).where(ChannelAccount.channel == link.channel, ChannelAccount.user_id == link.user_id)
    ).first()
    if first is not None:
        # Tell the first account: if this was not them, they can act at once.
        outbox.enqueue(
            turn.session,
            channel=first.channel,
            chat_id=first.chat_id,
            kind=outbox.KIND_MESSAGE,
            payload=Reply(
                _(
                    "🔗 Tài khoản {here} vừa được liên kết với bạn. Từ nay bạn dùng bot trên cả "
                    "hai ứng dụng. Nếu không phải bạn làm việc này, hãy báo ngay cho cán bộ xã."
                ).format(here=here)
            ).to_payload(),
            now=turn.now,
        )


def _explain(turn: Turn, error: DomainError) -> str:
    """A refused link code, with the code's lifetime and the other messenger for the messages that name them."""
    return explain(
        error, turn.tr, minutes=turn.tr.number(int(LIFETIME.total_seconds() // 60)), other=_other(turn.incoming.channel)
    )
