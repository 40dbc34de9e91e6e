"""/thanhvien: a commune admin's (or a team lead's village) members, and removing one after a confirm.

A removed member's entries stay; their Telegram and Zalo accounts stop working until they join again with
a new invite (storage.members). They are told politely through the outbox, in their own language.
"""

from __future__ import annotations

from bot.i18n import Translator
from bot.messages import Button, Reply
from handlers.base import Turn
from handlers.common import area_label, go_button, main_menu, not_allowed, please_choose, role_label, stale_button
from handlers.errors import explain
from handlers.menu import default_menu
from storage import outbox
from storage.areas import get_commune
from storage.errors import DomainError
from storage.members import (
    MANAGER_ROLES,
    AreaMember,
    FormerAccount,
    area_members,
    removable_member,
    removal_refusal,
    remove_member,
)
from storage.models import Member, Village
from storage.vocab import ROLE_COMMUNE_ADMIN, ROLE_TEAM_LEAD, ROLES

FLOW = "mb"
LIST, CONFIRM = "mb.list", "mb.confirm"
PER_PAGE = 15  # people (and remove buttons) per message


def _is_manager(turn: Turn) -> bool:
    """Whether the person looks after a list of members (a commune admin or a team lead)."""
    return turn.member is not None and turn.member.role in MANAGER_ROLES


def show(turn: Turn, _argument: str = "") -> None:
    """/thanhvien: the people of the area, grouped by village and role, each removable with a button."""
    if not _is_manager(turn):
        return not_allowed(turn)
    turn.start_flow(LIST)
    _show_page(turn, 0)


def _area_name(turn: Turn) -> str:
    """The name of the area the list covers: the lead's village or the admin's commune."""
    member = turn.member
    if member is None:
        return ""
    if member.role == ROLE_TEAM_LEAD and member.village_id is not None:
        village = turn.session.get(Village, member.village_id)
        return village.name if village else ""
    return get_commune(turn.session, member.commune_code).name if member.commune_code else ""


def _show_page(turn: Turn, page: int, edit: bool = False) -> None:
    """One page of the list: the text grouped by village, and a remove button for each person one may remove."""
    _ = turn._
    actor = turn.member
    if actor is None:
        return
    people = area_members(turn.session, actor)
    pages = max(1, (len(people) + PER_PAGE - 1) // PER_PAGE)
    page = min(max(page, 0), pages - 1)
    first = page * PER_PAGE
    shown = people[first : first + PER_PAGE]
    lines = [_("👥 Thành viên của {area} ({n} người):").format(area=_area_name(turn), n=turn.tr.number(len(people)))]
    rows: list[list[Button]] = []
    group: object = False
    for person in shown:
        heading = person.village.name if person.village else _("Cấp xã")
        if heading != group:
            group = heading
            lines += ["", heading]
        lines.append(_person_line(turn, person))
        if removal_refusal(actor, person.member) is None:
            rows.append([turn.button(_remove_label(turn, person), FLOW, "rm", str(person.member.id))])
    if pages > 1:
        lines += ["", _("Trang {page}/{pages}").format(page=turn.tr.number(page + 1), pages=turn.tr.number(pages))]
    nav = []
    if page > 0:
        nav.append(turn.button(_("◀️ Trang trước"), FLOW, "page", str(page - 1)))
    if page + 1 < pages:
        nav.append(turn.button(_("Trang sau ▶️"), FLOW, "page", str(page + 1)))
    if rows:
        lines += ["", _("Bấm «Xoá» khi một người không còn trong tổ: những gì họ đã ghi vẫn được giữ.")]
    turn.say("\n".join(lines), [*rows, nav, [turn.button(_("❌ Đóng"), FLOW, "close")]], edit=edit)


def _person_line(turn: Turn, person: AreaMember) -> str:
    """ "• Bác Hùng — tổ trưởng tổ CNSCĐ (bạn)"."""
    _ = turn._
    line = "• " + _("{name} — {role}").format(name=person.member.display_name, role=role_label(person.member, turn.tr))
    if turn.member is not None and person.member.id == turn.member.id:
        line += " " + _("(bạn)")
    return line


def _remove_label(turn: Turn, person: AreaMember) -> str:
    """The remove button: the name, and the village in a commune-wide list (no list number: on Zalo the
    choices are numbered themselves)."""
    name = person.member.display_name[:30]
    if person.village is not None and turn.member is not None and turn.member.role == ROLE_COMMUNE_ADMIN:
        return turn._("🗑️ Xoá {name} · {village}").format(name=name, village=person.village.name[:20])
    return turn._("🗑️ Xoá {name}").format(name=name)


def on_button(turn: Turn, action: str, arg: str) -> None:
    """A button of the members list: a page, a person to remove, the confirm."""
    _ = turn._
    if not _is_manager(turn):
        return not_allowed(turn)
    if action == "page" and arg.isdigit():
        _show_page(turn, int(arg), edit=True)
    elif action == "rm" and arg.isdigit():
        _ask_remove(turn, int(arg))
    elif action == "rm_yes" and turn.step == CONFIRM:
        _remove(turn, int(turn.data.get("target", 0)))
    elif action in ("rm_no", "close"):
        turn.end_flow()
        turn.say(_("Không xoá ai.") if action == "rm_no" else _("Đã đóng."), main_menu(turn))
    else:
        stale_button(turn)


def _ask_remove(turn: Turn, target_id: int) -> None:
    """Name the person and what removing does; remove only on «Xoá»."""
    _ = turn._
    actor = turn.member
    if actor is None:
        return
    try:
        target = removable_member(turn.session, actor, target_id)
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return
    turn.goto(CONFIRM, target=target.id)
    turn.say(
        _("Xoá {name} ({role} — {area}) khỏi danh sách?").format(
            name=target.display_name, role=role_label(target, turn.tr), area=area_label(turn.session, target)
        )
        + "\n\n"
        + _(
            "Những gì người này đã ghi vẫn được giữ. Tài khoản Telegram và Zalo của họ sẽ không dùng bot được "
            "nữa; muốn tham gia lại, họ cần mã mời mới. Bot sẽ báo cho họ biết."
        ),
        [[turn.button(_("🗑️ Xoá"), FLOW, "rm_yes"), turn.button(_("Không xoá"), FLOW, "rm_no")]],
    )


def _remove(turn: Turn, target_id: int) -> None:
    """Remove the confirmed member (checked again), tell them, and say what was done."""
    _ = turn._
    actor = turn.member
    turn.end_flow()
    if actor is None:
        return
    try:
        target, former = remove_member(turn.session, actor, target_id, turn.now)
    except DomainError as error:
        turn.say(explain(error, turn.tr), main_menu(turn))
        return
    _tell_removed(turn, target, former)
    turn.say(
        _("✅ Đã xoá {name} khỏi danh sách. Những gì họ đã ghi vẫn được giữ; bot đã báo cho họ.").format(
            name=target.display_name
        )
        if former
        else _("✅ Đã xoá {name} khỏi danh sách. Những gì họ đã ghi vẫn được giữ.").format(name=target.display_name),
        [[go_button(_("👥 Thành viên"), "thanhvien")]],
    )


def _tell_removed(turn: Turn, target: Member, former: list[FormerAccount]) -> None:
    """A polite message to each of the removed person's accounts, and the menu of someone not joined."""
    tr = Translator(target.locale)
    who = (
        tr.gettext(ROLES[ROLE_COMMUNE_ADMIN])
        if turn.member and turn.member.role == ROLE_COMMUNE_ADMIN
        else tr.gettext(ROLES[ROLE_TEAM_LEAD])
    )
    text = tr.gettext(
        "Chào {name}, {who} đã cập nhật danh sách: bạn không còn là {role} — {area} trên bot nữa. "
        "Những gì bạn đã ghi vẫn được giữ nguyên. Nếu cần tham gia lại, bạn vui lòng xin mã mời mới "
        "từ cán bộ xã. Cảm ơn bạn đã đóng góp cho phong trào!"
    ).format(name=target.display_name, who=who, role=role_label(target, tr), area=area_label(turn.session, target))
    for account in former:
        outbox.enqueue(
            turn.session,
            channel=account.channel,
            chat_id=account.chat_id,
            kind=outbox.KIND_MESSAGE,
            payload=Reply(text).to_payload(),
            now=turn.now,
        )
        outbox.enqueue(
            turn.session,
            channel=account.channel,
            chat_id=account.chat_id,
            kind=outbox.KIND_SET_COMMANDS,
            payload={"commands": default_menu(tr), "language": tr.locale},
            now=turn.now,
        )


def on_text(turn: Turn) -> None:
    """Typed text while the list or the confirm is shown."""
    please_choose(turn)
