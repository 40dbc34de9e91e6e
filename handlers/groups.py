"""The bot in group chats: what happens to the group itself, who may talk to it there, and `/nhom`.

A group chat is bound to an area with `/nhom` (a commune admin: the commune or any of its villages; a team lead:
their own village). In a group the bot answers only what is meant for it (a command, a mention, a reply to it);
each person's conversation there is their own, so a read-back and its buttons belong to whoever started it:
another person's press is answered with a short notice only they see, and nothing changes. Someone who has not
joined is pointed to the village's join link; matters of one person (joining, linking, invites, members) are
sent to the private chat.
"""

from __future__ import annotations

import re

from handlers.base import IDLE, NO_NONCE, ButtonData, Turn
from handlers.common import FLOW as MENU_FLOW
from handlers.errors import explain
from handlers.invite_links import invite_link
from handlers.log_steps import VILLAGES_PER_PAGE
from storage import groups, invites
from storage.areas import get_commune, villages_of
from storage.errors import DomainError
from storage.models import GroupChat, Village
from storage.vocab import ROLE_COMMUNE_ADMIN

FLOW = "gr"  # payloads of /nhom: gr:<nonce>:<action>[:arg]
CHOOSE, CONFIRM_END = "gr.choose", "gr.end"

# Commands about one person or their area's members: done in the private chat, never in front of a group.
_BARE_CHOICE = re.compile(r"(?:số |so )?\d{1,3}")
PRIVATE_ONLY = frozenset({"start", "lienket", "moi", "thanhvien", "lang", "web"})


def handles(turn: Turn) -> bool:
    """Handle what only a group has (its events, talk not meant for the bot, strangers, another person's
    button, private matters); False when the turn goes on to the router as in a private chat."""
    incoming = turn.incoming
    if incoming.chat_type != "group":
        return False
    if incoming.group_event is not None:
        _on_event(turn)
        return True
    turn.group, _ = groups.seen(
        turn.session, incoming.channel, incoming.chat_id, incoming.chat_title, turn.now, incoming.bot
    )
    if incoming.payload:
        return _refused_press(turn, ButtonData.unpack(incoming.payload))
    if not incoming.addressed:
        return True  # the group's own talk: not for the bot
    text = turn.text
    command = text[1:].partition(" ")[0].split("@", 1)[0].lower() if text.startswith("/") else ""
    if turn.member is None:
        _stranger(turn)
        return True
    if turn.step == IDLE and _BARE_CHOICE.fullmatch(text.strip().lower()):
        return True  # «2» answering someone else's numbered choices (Zalo): not this person's, nothing happens
    if command in PRIVATE_ONLY:
        turn.say(turn._("Việc này bạn làm trong chat riêng với bot nhé: bạn bấm vào tên bot rồi chọn «Nhắn tin»."))
        return True
    return False


def after_turn(turn: Turn) -> None:
    """In a group, a flow that waits for typing asks for it as a reply to its question (the bot sees only
    replies, mentions and commands there): its last message, if it has no buttons, says so and answers the
    person's own message, and on Telegram the person's app opens the reply by itself."""
    if turn.incoming.chat_type != "group" or turn.step == IDLE or not turn.replies:
        return
    last = turn.replies[-1]
    if last.edit or last.buttons or last.file_token:
        return
    last.answer_here = True
    last.reply_to = turn.incoming.said_id
    last.text += "\n\n" + turn._("↩️ Bạn trả lời (reply) vào tin nhắn này để tôi đọc được câu trả lời.")


# -- the group itself ------------------------------------------------------------------------------


def _on_event(turn: Turn) -> None:
    """The bot added (hello, once), removed (the binding ends) or the group moved to a new chat id."""
    incoming, session, now = turn.incoming, turn.session, turn.now
    if incoming.group_event == "bot_removed":
        groups.bot_removed(session, incoming.channel, incoming.chat_id, now)
    elif incoming.group_event == "migrated" and incoming.migrated_to:
        groups.migrated(session, incoming.channel, incoming.chat_id, incoming.migrated_to, now)
    elif incoming.group_event == "bot_added":
        group, _ = groups.seen(session, incoming.channel, incoming.chat_id, incoming.chat_title, now, incoming.bot)
        if not group.greeted:
            group.greeted = True
            session.add(group)
            turn.say(_hello(turn))


def _hello(turn: Turn) -> str:
    _ = turn._
    return "\n".join(
        [
            _("Xin chào cả nhóm! Tôi là trợ lý ghi hoạt động của Tổ Công nghệ số cộng đồng."),
            "",
            _("• Cán bộ xã hoặc tổ trưởng gửi /nhom để cho tôi biết đây là nhóm của xã hay của thôn nào."),
            _("• Thành viên ghi buổi sinh hoạt bằng /ghibuoi, ghi người được hỗ trợ bằng /ghigiup,"),
            _("  hoặc nhắc tên tôi kèm một dòng, ví dụ: «hôm nay học cài VNeID 12 người»."),
            _("• Trong nhóm, tôi chỉ đọc tin nhắn có lệnh, có nhắc tên tôi hoặc trả lời tin nhắn của tôi."),
        ]
    )


def _refused_press(turn: Turn, button: ButtonData) -> bool:
    """A press on a flow's button that is not the presser's own flow: a notice to them alone, nothing changes."""
    if button.flow == MENU_FLOW or button.nonce == NO_NONCE:
        return False  # the menu's buttons act for whoever presses them
    own = turn.member is not None and turn.step.split(".", 1)[0] == button.flow
    if own and turn.data.get("nonce") == button.nonce:
        return False
    turn.toast = turn._("Nút này dành cho người đã bắt đầu việc này. Bạn gõ lệnh để bắt đầu việc của mình nhé.")
    turn.leave_pressed = True
    return True


def _stranger(turn: Turn) -> None:
    """Someone who has not joined talks to the bot in a group: point them to the village's join link."""
    _ = turn._
    group = turn.group
    # Only the village's join link, made to be posted there: a personal invite is never shown in a group.
    invite = None
    if group is not None and group.village_id is not None:
        invite = invites.village_join_link(turn.session, group.village_id, turn.now)
    if invite is not None:
        link = invite_link(turn.session, invite.code, turn.incoming.channel, turn.config)
        turn.say(
            _("Chào bạn! Bạn chưa tham gia tổ. Để tham gia thôn, bạn bấm vào đây: {link}").format(link=link)
            if link
            else _("Chào bạn! Bạn chưa tham gia tổ. Để tham gia thôn, bạn nhắn riêng cho bot mã: {code}").format(
                code=invite.code
            )
        )
    else:
        turn.say(_("Chào bạn! Bạn chưa tham gia tổ. Bạn xin tổ trưởng hoặc cán bộ xã mã tham gia của thôn nhé."))


# -- /nhom -----------------------------------------------------------------------------------------


def command(turn: Turn, _argument: str) -> None:
    """/nhom: in a group, show its binding and let who may bind it choose; in private, say how."""
    _ = turn._
    group = turn.group
    if group is None:
        turn.say(_("Lệnh /nhom dùng trong nhóm chat: bạn thêm bot vào nhóm của xã hoặc của thôn rồi gửi /nhom ở đó."))
        return
    member = turn.require_member()
    current = _binding_label(turn, group)
    allowed = groups.may_change(member, group) if group.commune_code is not None else groups.may_bind(member)
    if not allowed:
        if current:
            turn.say(_("Nhóm này là {area}.").format(area=current))
        turn.say(
            _(
                "Chỉ cán bộ xã phụ trách hoặc tổ trưởng mới gắn được nhóm với xã hoặc thôn. "
                "Bạn vẫn ghi hoạt động ở đây như trong chat riêng."
            )
        )
        return
    turn.start_flow(CHOOSE, page=0)
    _offer(turn, current)


def _binding_label(turn: Turn, group: GroupChat) -> str:
    """«nhóm của Thôn 2, Xã Sơn Kim 1», «nhóm của Xã Sơn Kim 1», or "" when not bound."""
    if group.commune_code is None:
        return ""
    commune = get_commune(turn.session, group.commune_code).name
    if group.village_id is None:
        return turn._("nhóm của {commune}").format(commune=commune)
    village = turn.session.get(Village, group.village_id)
    name = village.name if village is not None else "?"
    return turn._("nhóm của {village}, {commune}").format(village=name, commune=commune)


def _offer(turn: Turn, current: str) -> None:
    """The areas this person may bind the group to, a page at a time, and ending the binding when there is one."""
    _ = turn._
    member = turn.require_member()
    rows = []
    if member.role == ROLE_COMMUNE_ADMIN and member.commune_code is not None:
        commune = get_commune(turn.session, member.commune_code)
        rows.append([turn.button(_("🏛️ Nhóm của {commune}").format(commune=commune.name), FLOW, "commune")])
        villages = villages_of(turn.session, member.commune_code)
    else:
        own = turn.session.get(Village, member.village_id) if member.village_id is not None else None
        villages = [own] if own is not None else []
    page = int(turn.data.get("page", 0))
    shown = villages[page * VILLAGES_PER_PAGE : (page + 1) * VILLAGES_PER_PAGE]
    for index in range(0, len(shown), 2):
        rows.append(
            [
                turn.button(_("🏡 {village}").format(village=v.name), FLOW, "village", str(v.id))
                for v in shown[index : index + 2]
            ]
        )
    nav = []
    if page > 0:
        nav.append(turn.button(_("◀️ Trang trước"), FLOW, "page", str(page - 1)))
    if (page + 1) * VILLAGES_PER_PAGE < len(villages):
        nav.append(turn.button(_("Trang sau ▶️"), FLOW, "page", str(page + 1)))
    if nav:
        rows.append(nav)
    last = [turn.button(_("Huỷ"), FLOW, "cancel")]
    if current:
        last.insert(0, turn.button(_("Bỏ gắn nhóm"), FLOW, "end"))
    rows.append(last)
    intro = (
        _("Nhóm này đang là {area}.").format(area=current) if current else _("Nhóm này chưa gắn với xã hay thôn nào.")
    )
    turn.say(intro + "\n" + _("Bạn chọn đây là nhóm của xã hay của thôn nào:"), rows)


def on_button(turn: Turn, action: str, arg: str) -> None:
    """A choice of /nhom: an area, another page, ending the binding (after a confirm), or cancel."""
    _ = turn._
    group, member = turn.group, turn.require_member()
    if group is None or action == "cancel":
        turn.end_flow()
        turn.say(_("Đã huỷ, nhóm giữ như cũ."))
        return
    if action == "page" and arg.isdigit():
        turn.goto(CHOOSE, page=int(arg))
        _offer(turn, _binding_label(turn, group))
        return
    if action == "end":
        turn.goto(CONFIRM_END)
        turn.say(
            _("Bỏ gắn nhóm này? Nhắc nhở và tổng kết tuần sẽ không gửi vào nhóm nữa."),
            [[turn.button(_("✅ Đúng, bỏ gắn"), FLOW, "end_yes"), turn.button(_("Không"), FLOW, "cancel")]],
        )
        return
    try:
        if action == "end_yes" and turn.step == CONFIRM_END:
            groups.unbind(turn.session, group, member, turn.now)
            turn.end_flow()
            turn.say(_("Đã bỏ gắn nhóm. Bạn gửi /nhom khi muốn gắn lại."))
            return
        if action in ("commune", "village") and turn.step == CHOOSE and member.commune_code is not None:
            village_id = int(arg) if action == "village" and arg.isdigit() else None
            if action == "village" and village_id is None:
                return
            groups.bind(turn.session, group, member, member.commune_code, village_id, turn.now)
            turn.end_flow()
            turn.say(_("✅ Đã ghi nhận: đây là {area}.").format(area=_binding_label(turn, group)))
    except DomainError as error:
        turn.end_flow()
        turn.say(explain(error, turn.tr))


def on_text(turn: Turn) -> None:
    """Typing while /nhom waits for a choice: ask for a button."""
    turn.say(turn._("Bạn bấm một nút ở trên để chọn, hoặc gõ /huy để thôi."))
