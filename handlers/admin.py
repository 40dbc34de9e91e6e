"""/moi in chat: invites for members, team leads and leaders, and the admin flow's routing.

/moi is a commune admin's (every role, any village of the commune) and a team lead's (their own village's join
link only): «Mã cho cả thôn» gives the village's live join link, or makes one, to post in the village's group.
The admin flow also carries /thon's steps (handlers.villages); its buttons and text come here.
"""

from __future__ import annotations

from bot.messages import Button
from handlers.base import Turn
from handlers.common import go_button, main_menu, not_allowed, please_choose, stale_button
from handlers.errors import explain
from handlers.invite_links import describe_invite
from handlers.log_steps import keep_village_page, village_buttons
from handlers.villages import ADMIN_FLOW, VILLAGE_NAMES, is_admin, on_village_names, save_villages
from storage import invites
from storage.areas import village_in_commune, villages_of
from storage.errors import DomainError
from storage.invites import normalize_code
from storage.models import Invite
from storage.vocab import (
    ROLE_COMMUNE_ADMIN,
    ROLE_COMMUNE_LEADER,
    ROLE_MEMBER,
    ROLE_TEAM_LEAD,
    ROLES,
    VILLAGE_ROLES,
)

FLOW = ADMIN_FLOW  # one flow for /moi and /thon: its buttons and text come here
INVITE_ROLE, INVITE_VILLAGE = "a.invite_role", "a.invite_village"
INVITE_REVOKE = "a.invite_revoke"
CODES_PER_PAGE = 10  # revoke buttons per message: a page fits a phone screen


def _is_lead(turn: Turn) -> bool:
    """A team lead of a village: /moi gives them their village's join link."""
    return turn.member is not None and turn.member.role == ROLE_TEAM_LEAD and turn.member.village_id is not None


def _invite_line(turn: Turn, invite: Invite, village_names: dict[int, str]) -> str:
    """One code still in use: code, role, village, uses left, last day (local)."""
    _ = turn._
    who = _(ROLES[invite.role])
    if invite.village_id is not None:
        who += ", " + village_names.get(invite.village_id, "?")
    if invite.kind == invites.KIND_VILLAGE:
        who = _("mã cho cả thôn {village}").format(village=village_names.get(invite.village_id or 0, "?"))
    last_day = invite.expires_at.astimezone(turn.config.tz).date()
    return _("{code} — {who} · còn {n} lượt · hết hạn {day}").format(
        code=invite.code, who=who, n=turn.tr.number(invite.max_uses - invite.uses), day=turn.tr.date(last_day)
    )


def _codes_page(turn: Turn, page: int) -> tuple[str, list[list[Button]]]:
    """A page of the commune's live codes and their revoke buttons ("" and none when there are none)."""
    _ = turn._
    member = turn.member
    if member is None or member.commune_code is None:
        return "", []
    if member.role == ROLE_TEAM_LEAD:  # a lead looks after their village's join links only
        active = invites.active_invites(
            turn.session, now=turn.now, village_id=member.village_id, kind=invites.KIND_VILLAGE
        )
    else:
        active = invites.active_invites(turn.session, now=turn.now, commune_code=member.commune_code)
    if not active:
        return "", []
    pages = (len(active) + CODES_PER_PAGE - 1) // CODES_PER_PAGE
    page = min(max(page, 0), pages - 1)
    shown = active[page * CODES_PER_PAGE : (page + 1) * CODES_PER_PAGE]
    names = {v.id: v.name for v in villages_of(turn.session, member.commune_code) if v.id is not None}
    text = _("🔑 Mã mời đang dùng được ({n}):").format(n=turn.tr.number(len(active)))
    text += "\n" + "\n".join("• " + _invite_line(turn, i, names) for i in shown)
    if pages > 1:
        text += "\n" + _("Trang {page}/{pages}").format(page=turn.tr.number(page + 1), pages=turn.tr.number(pages))
    rows = [[turn.button(_("🚫 Thu hồi mã {code}").format(code=i.code), FLOW, "revoke", i.code)] for i in shown]
    nav = []
    if page > 0:
        nav.append(turn.button(_("◀️ Trang trước"), FLOW, "codes", str(page - 1)))
    if page + 1 < pages:
        nav.append(turn.button(_("Trang sau ▶️"), FLOW, "codes", str(page + 1)))
    return text, [*rows, nav]


def _on_codes_button(turn: Turn, action: str, arg: str) -> None:
    """Paging the codes, asking to revoke one, and the answer to that question."""
    _ = turn._
    if action == "codes" and arg.isdigit() and turn.step == INVITE_ROLE:
        return _invite_menu(turn, int(arg), edit=True)
    if action == "revoke" and invites.looks_like_code(arg) and turn.step == INVITE_ROLE:
        return _ask_revoke(turn, normalize_code(arg))
    if action == "revoke_yes" and turn.step == INVITE_REVOKE:
        return _revoke(turn, str(turn.data.get("code", "")))
    if action == "revoke_no" and turn.step == INVITE_REVOKE:
        turn.end_flow()
        turn.say(_("Không thu hồi mã nào."), [[go_button(_("🔑 Mã mời"), "moi")]])
        return
    stale_button(turn)


def _ask_revoke(turn: Turn, code: str) -> None:
    """Read the code back and ask before revoking (it cannot be undone)."""
    _ = turn._
    member = turn.member
    invite = turn.session.get(Invite, code)
    if member is None or invite is None or invite.commune_code is None or not invites.may_revoke(member, invite):
        turn.say(explain(DomainError("invite_not_found", invite=code), turn.tr))
        return
    names = {v.id: v.name for v in villages_of(turn.session, invite.commune_code) if v.id is not None}
    turn.goto(INVITE_REVOKE, code=code)
    turn.say(
        _("Thu hồi mã này?")
        + "\n"
        + _invite_line(turn, invite, names)
        + "\n\n"
        + _(
            "Sau khi thu hồi, không ai tham gia được bằng mã này nữa. Những người đã tham gia vẫn là "
            "thành viên. Việc này không hoàn tác được."
        ),
        [[turn.button(_("🚫 Thu hồi"), FLOW, "revoke_yes"), turn.button(_("Không"), FLOW, "revoke_no")]],
    )


def _revoke(turn: Turn, code: str) -> None:
    """Revoke the confirmed code (scope-checked again in storage) and say what was done."""
    _ = turn._
    member = turn.member
    turn.end_flow()
    try:
        revoked = invites.revoke_invite(turn.session, code, now=turn.now, actor=member)
    except DomainError as error:
        turn.say(explain(error, turn.tr), main_menu(turn))
        return
    turn.say(
        _(
            "✅ Đã thu hồi mã {code} ({role}). Không ai tham gia được bằng mã này nữa; {n} người đã tham gia "
            "bằng mã này vẫn là thành viên."
        ).format(code=revoked.code, role=_(ROLES[revoked.role]), n=turn.tr.number(revoked.uses)),
        [[go_button(_("🔑 Mã mời"), "moi")]],
    )


def invite(turn: Turn) -> None:
    """/moi: a new invite for a role (a lead: their village's join link), and the codes still in use in the
    person's care, each with a revoke button."""
    if not (is_admin(turn) or _is_lead(turn)):
        return not_allowed(turn)
    turn.start_flow(INVITE_ROLE)
    _invite_menu(turn, 0)


def _invite_menu(turn: Turn, page: int, edit: bool = False) -> None:
    """One message (on Zalo, one numbered list): the roles to invite, then a page of live codes to revoke."""
    _ = turn._
    codes_text, code_rows = _codes_page(turn, page)
    village_link = [turn.button(_("🏘️ Mã cho cả thôn"), FLOW, "vlink_pick")]
    if _is_lead(turn):
        question = _("Mã cho cả thôn: một link để bạn đăng vào nhóm của thôn, ai bấm sẽ tham gia thôn.")
        rows = [village_link]
    else:
        question = _("Tạo mã mời cho ai?")
        rows = [
            [
                turn.button(_("Thành viên tổ"), FLOW, "role", ROLE_MEMBER),
                turn.button(_("Tổ trưởng"), FLOW, "role", ROLE_TEAM_LEAD),
            ],
            [
                turn.button(_("Lãnh đạo xã"), FLOW, "role", ROLE_COMMUNE_LEADER),
                turn.button(_("Cán bộ xã"), FLOW, "role", ROLE_COMMUNE_ADMIN),
            ],
            village_link,
        ]
    turn.say(
        codes_text + "\n\n" + question if codes_text else question,
        [*rows, *code_rows, [turn.button(_("❌ Huỷ"), FLOW, "cancel")]],
        edit=edit,
    )


def _pick_village_for_link(turn: Turn) -> None:
    """«Mã cho cả thôn»: a lead's own village at once; a commune admin picks one of the commune's villages."""
    member = turn.require_member()
    if _is_lead(turn) and member.village_id is not None:
        return _village_link(turn, member.village_id)
    _ask_village(turn, role=ROLE_MEMBER, whole_village=True)


def _ask_village(turn: Turn, role: str, whole_village: bool) -> None:
    """Which village the invite (or the whole village's link) is for: the commune's villages, a page at a time
    (a commune may have hundreds, past the platforms' button limits)."""
    _ = turn._
    if not villages_of(turn.session, turn.require_commune()):
        turn.end_flow()
        turn.say(_("Xã chưa có thôn nào. Bạn thêm thôn bằng lệnh /thon trước nhé."))
        return
    turn.goto(INVITE_VILLAGE, role=role, whole_village=whole_village, village_page=0)
    _ask_village_again(turn)


def _ask_village_again(turn: Turn, edit: bool = False) -> None:
    """The village question of the current step, on the page kept in the flow's data."""
    _ = turn._
    rows = villages_of(turn.session, turn.require_commune())
    question = _("Mã cho cả thôn nào?") if turn.data.get("whole_village") else _("Mời vào thôn nào?")
    turn.say(question, village_buttons(turn, FLOW, rows), edit=edit)


def _village_link(turn: Turn, village_id: int) -> None:
    """The village's live join link, or a new one: one link per village at a time, posted in its group."""
    _ = turn._
    member = turn.require_member()
    turn.end_flow()
    try:
        village = village_in_commune(turn.session, turn.require_commune(), village_id)
        if _is_lead(turn) and member.village_id != village.id:
            raise DomainError("unknown_village", village=str(village_id))
        link = invites.village_join_link(turn.session, village_id, turn.now)
        reused = link is not None
        if link is None:
            limits = turn.config.limits
            link = invites.create_invite(
                turn.session,
                role=ROLE_MEMBER,
                kind=invites.KIND_VILLAGE,
                now=turn.now,
                days=limits.invite_days,
                max_uses=limits.invite_max_uses,
                commune_code=village.commune_code,
                village_id=village.id,
                created_by=member.id,
            )
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return
    head = (
        _("🏘️ Mã cho cả {village} đang dùng được, bạn dùng lại mã này:")
        if reused
        else _("🏘️ Đã tạo mã cho cả {village}:")
    ).format(village=village.name)
    turn.say(
        head
        + "\n"
        + describe_invite(turn.session, link, turn.tr, turn.config.tz, turn.config)
        + "\n\n"
        + _(
            "Bạn đăng link này vào nhóm chat của thôn: ai bấm vào sẽ tham gia thôn với vai trò thành viên tổ, "
            "và có tên trong /thanhvien. Muốn dừng, bạn thu hồi mã trong /moi."
        )
    )


def _choose_role(turn: Turn, role: str) -> None:
    turn.require_commune()
    if role not in ROLES or role == "province_viewer":
        return invite(turn)
    if role in VILLAGE_ROLES:
        return _ask_village(turn, role=role, whole_village=False)
    _create(turn, role, None)


def _create(turn: Turn, role: str, village_id: int | None) -> None:
    member = turn.require_member()
    commune_code = turn.require_commune()
    limits = turn.config.limits
    try:
        created = invites.create_invite(
            turn.session,
            role=role,
            now=turn.now,
            days=limits.invite_days,
            max_uses=1 if role in (ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER) else limits.invite_max_uses,
            commune_code=commune_code,
            village_id=village_id,
            created_by=member.id,
        )
    except DomainError as error:
        turn.end_flow()
        turn.say(explain(error, turn.tr))
        return
    turn.end_flow()
    turn.say(describe_invite(turn.session, created, turn.tr, turn.config.tz, turn.config))


# What a team lead may press in /moi: their village's join link, and its revoking.
_LEAD_ACTIONS = frozenset({"codes", "revoke", "revoke_yes", "revoke_no", "cancel", "vlink_pick", "vlink"})


def on_button(turn: Turn, action: str, arg: str) -> None:
    """A button of the admin flows (a team lead: only those of their village's join link)."""
    if not (is_admin(turn) or (_is_lead(turn) and action in _LEAD_ACTIONS)):
        return not_allowed(turn)
    if action in ("codes", "revoke", "revoke_yes", "revoke_no"):
        return _on_codes_button(turn, action, arg)
    if action == "cancel":
        turn.end_flow()
        turn.say(turn._("Đã đóng."), main_menu(turn))
    elif action == "vlink_pick" and turn.step == INVITE_ROLE:
        _pick_village_for_link(turn)
    elif action == "vlink" and turn.step == INVITE_VILLAGE and arg.isdigit():  # buttons sent before paging
        _village_link(turn, int(arg))
    elif action == "village_page" and turn.step == INVITE_VILLAGE:
        keep_village_page(turn, arg)
        _ask_village_again(turn, edit=True)
    elif action == "villages_save":
        save_villages(turn)
    elif action == "role" and turn.step == INVITE_ROLE:
        _choose_role(turn, arg)
    elif action == "village" and turn.step == INVITE_VILLAGE and arg.isdigit():
        if turn.data.get("whole_village"):
            return _village_link(turn, int(arg))
        commune_code = turn.require_commune()
        try:
            village_in_commune(turn.session, commune_code, int(arg))
        except DomainError as error:
            turn.say(explain(error, turn.tr))
            return
        _create(turn, turn.data["role"], int(arg))


def on_text(turn: Turn) -> None:
    if turn.step == VILLAGE_NAMES and is_admin(turn):
        on_village_names(turn)
    else:
        please_choose(turn)
