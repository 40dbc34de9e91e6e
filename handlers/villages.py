"""/thon: the commune's villages, adding villages and setting their households, in chat.

Part of the admin flow (its buttons carry the admin flow's key): `handlers.admin` routes them, and /moi's
invites live there.
"""

from __future__ import annotations

import re

from handlers.base import Turn
from handlers.common import go_button, import_hint, main_menu, not_allowed
from handlers.errors import explain
from storage.areas import add_villages, find_village, get_commune, read_households, set_households, villages_of
from storage.errors import DomainError
from storage.models import Village
from storage.programmes.catalog import SOURCE_VILLAGE_HOUSEHOLDS
from storage.programmes.provinces import enabled_programmes
from storage.text import fold, tidy_name
from storage.vocab import ROLE_COMMUNE_ADMIN

ADMIN_FLOW = "a"  # the flow /thon shares with /moi: handlers.admin routes its buttons (as its FLOW)
VILLAGE_NAMES, VILLAGE_CONFIRM = "a.village_names", "a.village_confirm"
_SPLIT = re.compile(r"[\n;,]+")


def is_admin(turn: Turn) -> bool:
    """A commune admin: the one who sets up villages and invites anyone."""
    return turn.member is not None and turn.member.role == ROLE_COMMUNE_ADMIN


def _village_line(turn: Turn, village: Village) -> str:
    """A village of the list, with its households once the commune has set them (else as it always read)."""
    if village.households is None:
        return f"• {village.name}"
    return turn._("• {village} — {n} hộ").format(village=village.name, n=turn.tr.number(village.households))


def _counts_households(turn: Turn) -> bool:
    """Whether the province runs a programme whose percent is of a village's households (Gia đình số)."""
    member = turn.require_member()
    return any(
        p.denominator is not None and p.denominator.source == SOURCE_VILLAGE_HOUSEHOLDS
        for p in enabled_programmes(turn.session, member.province_code)
    )


def villages(turn: Turn, argument: str = "") -> None:
    """/thon: list the commune's villages; the admin can add more, and set a village's households
    («/thon Thôn 2 có 120 hộ», or typed after /thon)."""
    _ = turn._
    member = turn.member
    if member is None or member.commune_code is None:
        return not_allowed(turn)
    if argument and is_admin(turn):  # only households are read from the command's words, never villages to add
        turn.start_flow(VILLAGE_NAMES)
        if _households_lines(turn, argument):
            return None
    rows = villages_of(turn.session, member.commune_code)
    commune = get_commune(turn.session, member.commune_code)
    if rows:
        text = _("Các thôn của {commune} ({n}):").format(commune=commune.name, n=turn.tr.number(len(rows)))
        text += "\n" + "\n".join(_village_line(turn, v) for v in rows)
    else:
        text = _("{commune} chưa có thôn nào.").format(commune=commune.name)
    if not is_admin(turn):
        turn.say(text, main_menu(turn))
        return
    turn.start_flow(VILLAGE_NAMES)
    turn.say(
        text
        + "\n\n"
        + _(
            "Để thêm thôn, bạn gõ tên thôn, mỗi thôn một dòng (hoặc cách nhau bằng dấu phẩy), "
            "ví dụ:\nThôn 1\nThôn Hà Tân\nBản Nà Sang"
        )
        + (
            "\n\n" + _("Để ghi số hộ của một thôn (cho chương trình Gia đình số), bạn gõ ví dụ: Thôn 2 có 120 hộ")
            if _counts_households(turn)
            else ""
        )
        + "\n\n"
        + import_hint(turn),
        [[turn.button(_("❌ Đóng"), ADMIN_FLOW, "cancel")]],
    )


def _households_lines(turn: Turn, text: str) -> bool:
    """Lines giving villages' households («Thôn 2 có 120 hộ»): all saved, or none with the reason. False when
    the message is not of that form (then it names villages to add)."""
    _ = turn._
    lines = [line for line in re.split(r"[\n;]+", text) if line.strip()]
    try:
        read = [read_households(line) for line in lines]
        if not any(read):
            return False
        if not all(read):
            raise DomainError("households_unreadable")
        member = turn.require_member()
        commune_code = turn.require_commune()
        saved = []
        with turn.session.begin_nested():
            for name, households in (r for r in read if r is not None):
                village = find_village(turn.session, commune_code, name)
                if village is None or village.id is None:
                    raise DomainError("unknown_village", village=tidy_name(name))
                set_households(turn.session, commune_code, village.id, households, now=turn.now, actor_id=member.id)
                saved.append(_village_line(turn, village))
    except DomainError as error:
        turn.say(explain(error, turn.tr))
        return True
    turn.say(
        _("✅ Đã ghi số hộ:") + "\n" + "\n".join(saved) + "\n\n" + _("Bạn gõ tiếp, hoặc bấm «Đóng» khi xong."),
        [[turn.button(_("❌ Đóng"), ADMIN_FLOW, "cancel")]],
    )
    return True


def on_village_names(turn: Turn, text: str | None = None) -> None:
    """Villages to add (one a line), or villages' households («Thôn 2 có 120 hộ»)."""
    _ = turn._
    text = turn.text if text is None else text
    if _households_lines(turn, text):
        return
    names = list({fold(n): tidy_name(n) for n in _SPLIT.split(text) if n.strip()}.values())
    if not names or len(names) > 50:
        turn.say(_("Bạn gõ từ 1 đến 50 tên thôn, mỗi thôn một dòng."))
        return
    turn.goto(VILLAGE_CONFIRM, names=names)
    turn.say(
        _("Thêm {n} thôn sau vào xã?").format(n=turn.tr.number(len(names))) + "\n" + "\n".join(f"• {n}" for n in names),
        [
            [
                turn.button(_("✅ Đúng, thêm"), ADMIN_FLOW, "villages_save"),
                turn.button(_("❌ Huỷ"), ADMIN_FLOW, "cancel"),
            ]
        ],
    )


def save_villages(turn: Turn) -> None:
    """«Đúng, thêm»: add the villages read back, and say which were new."""
    _ = turn._
    member = turn.require_member()
    commune_code = turn.require_commune()
    if turn.step != VILLAGE_CONFIRM:
        return
    try:
        added, existing = add_villages(
            turn.session, commune_code, list(turn.data.get("names", [])), now=turn.now, actor_id=member.id
        )
    except DomainError as error:
        turn.goto(VILLAGE_NAMES)
        turn.say(explain(error, turn.tr))
        return
    turn.end_flow()
    lines = []
    if added:
        lines.append(
            _("✅ Đã thêm {n} thôn: {names}.").format(
                n=turn.tr.number(len(added)), names=", ".join(v.name for v in added)
            )
        )
    if existing:
        lines.append(_("Đã có sẵn, không thêm lại: {names}.").format(names=", ".join(existing)))
    turn.say("\n".join(lines), [[go_button(_("🔑 Tạo mã mời"), "moi")]])


# Invites ----------------------------------------------------------------------------------------
