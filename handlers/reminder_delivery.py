"""Where a commune's reminders go, chosen by its commune admin in their private chat with /nhom: the weekly session
reminder and the Sunday summary go to the bound group chats (`group`), to each person privately (`direct`), or
both. In a group, /nhom binds the group itself (handlers/groups.py); anyone else in private hears how to bind one.

The choice is stored per commune (storage/groups.py, audited) and read by the reminder planner
(storage/group_reminders.py); `bdhvs groups delivery` sets the same choice from the command line.
"""

from __future__ import annotations

from handlers import groups as group_handlers
from handlers.base import ROUTE_AGAIN, Routing, Turn
from storage import groups
from storage.areas import get_commune
from storage.groups import DELIVERY_BOTH, DELIVERY_CHOICES, DELIVERY_DIRECT, DELIVERY_GROUP, BoundGroup
from storage.models import Village
from storage.vocab import ROLE_COMMUNE_ADMIN

FLOW = "rd"  # payloads: rd:<nonce>:<group|direct|both|close>
CHOOSE = "rd.choose"


def command(turn: Turn, argument: str) -> None:
    """/nhom: a commune admin in their private chat sees the commune's groups and chooses where reminders go;
    in a group (or for anyone else) it is the binding of group chats."""
    member = turn.member
    private = turn.incoming.chat_type != "group" and turn.group is None
    if not private or member is None or member.role != ROLE_COMMUNE_ADMIN or member.commune_code is None:
        return group_handlers.command(turn, argument)
    show(turn)


def _described(turn: Turn, choice: str | None) -> str:
    """Where reminders go under a choice (None: the default), as the admin reads it."""
    _ = turn._
    return {
        DELIVERY_GROUP: _("vào nhóm chat (thôn chưa có nhóm thì nhắn riêng từng người)"),
        DELIVERY_DIRECT: _("nhắn riêng từng người, không gửi vào nhóm"),
        DELIVERY_BOTH: _("vào nhóm chat và nhắn riêng từng người"),
    }.get(choice or "", _("theo mặc định (vào nhóm chat nếu thôn, xã đã gắn nhóm; nếu chưa, nhắn riêng từng người)"))


def _group_line(turn: Turn, group: BoundGroup) -> str:
    """«• «Tổ CNSCĐ Thôn 2» — Thôn 2 (Zalo)»."""
    _ = turn._
    if group.village_id is None:
        area = _("nhóm của xã")
    else:
        village = turn.session.get(Village, group.village_id)
        area = village.name if village is not None else "?"
    return _("• «{title}» — {area} ({channel})").format(
        title=group.title or group.chat_id, area=area, channel=group.channel.capitalize()
    )


def show(turn: Turn) -> None:
    """The commune's bound groups, where its reminders go now, and the three choices."""
    _ = turn._
    code = turn.require_commune()
    commune = get_commune(turn.session, code).name
    bound = groups.bound_groups(turn.session, commune_codes=[code])
    choice = groups.delivery_choice(turn.session, code)
    lines = [_("👥 Nhóm chat của {commune}").format(commune=commune)]
    if bound:
        lines.append(_("Các nhóm đã gắn:"))
        lines += [_group_line(turn, group) for group in bound]
    else:
        lines.append(_("Chưa có nhóm nào được gắn."))
    lines += [
        _("Để gắn một nhóm: thêm bot vào nhóm của xã hoặc của thôn, rồi gửi /nhom trong nhóm đó."),
        "",
        _("Nhắc thôn chưa sinh hoạt và tổng kết tuần hiện gửi: {where}.").format(where=_described(turn, choice)),
        _("Anh/chị chọn cách gửi:"),
    ]
    turn.start_flow(CHOOSE)
    labels = {
        DELIVERY_GROUP: _("👥 Vào nhóm chat"),
        DELIVERY_DIRECT: _("👤 Nhắn riêng từng người"),
        DELIVERY_BOTH: _("👥👤 Cả hai"),
    }
    rows = [
        [turn.button(("✅ " if option == choice else "") + labels[option], FLOW, option)] for option in DELIVERY_CHOICES
    ]
    rows.append([turn.button(_("❌ Đóng"), FLOW, "close")])
    turn.say("\n".join(lines), rows)


def on_button(turn: Turn, action: str, arg: str) -> None:
    """A choice is saved (audited), or the view is closed."""
    _ = turn._
    member = turn.require_member()
    turn.end_flow()
    if action not in DELIVERY_CHOICES or member.role != ROLE_COMMUNE_ADMIN:
        turn.say(_("Đã đóng."))
        return
    code = turn.require_commune()
    groups.set_delivery_choice(turn.session, code, action, member, turn.now)
    turn.say(
        _("✅ Đã lưu. Nhắc thôn chưa sinh hoạt và tổng kết tuần của {commune} sẽ gửi {where}.").format(
            commune=get_commune(turn.session, code).name, where=_described(turn, action)
        )
    )


def on_text(turn: Turn) -> Routing:
    """The view takes no typing: the message is read anew."""
    return ROUTE_AGAIN
