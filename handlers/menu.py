"""The command menu: one command per thing a person does, by role, in their language."""

from __future__ import annotations

from typing import Optional

from bot.i18n import Translator
from storage.models import Member
from storage.vocab import (
    LOGGING_ROLES,
    N_,
    ROLE_COMMUNE_ADMIN,
    ROLE_COMMUNE_LEADER,
    ROLE_PROVINCE_VIEWER,
)

# command -> description; the order is the menu's order.
COMMANDS: dict[str, str] = {
    "ghibuoi": N_("Ghi buổi sinh hoạt của thôn"),
    "ghigiup": N_("Ghi số người được hỗ trợ"),
    "tuannay": N_("Xem hoạt động tuần này"),
    "sua": N_("Sửa mục vừa ghi"),
    "xoa": N_("Xoá mục vừa ghi"),
    "thon": N_("Danh sách thôn, thêm thôn"),
    "moi": N_("Tạo mã mời thành viên"),
    "huy": N_("Huỷ thao tác đang làm"),
    "lang": N_("Đổi ngôn ngữ / Change language"),
    "help": N_("Hướng dẫn sử dụng"),
    "start": N_("Bắt đầu, tham gia bằng mã mời"),
}

_BY_ROLE: dict[Optional[str], tuple[str, ...]] = {
    None: ("start", "help", "lang"),
    ROLE_COMMUNE_ADMIN: ("ghibuoi", "ghigiup", "tuannay", "sua", "xoa", "thon", "moi", "huy", "help", "lang"),
    ROLE_COMMUNE_LEADER: ("tuannay", "help", "lang"),
    ROLE_PROVINCE_VIEWER: ("help", "lang"),
}
for _role in LOGGING_ROLES:
    _BY_ROLE.setdefault(_role, ("ghibuoi", "ghigiup", "tuannay", "sua", "xoa", "huy", "help", "lang"))


def commands_for(role: Optional[str]) -> tuple[str, ...]:
    """The commands a person with this role (None: not joined yet) can use."""
    return _BY_ROLE.get(role, _BY_ROLE[None])


def command_menu(member: Optional[Member], tr: Translator) -> list[list[str]]:
    """[command, description] pairs for the messenger's menu."""
    return [[name, tr.gettext(COMMANDS[name])] for name in commands_for(member.role if member else None)]


def default_menu(tr: Translator) -> list[list[str]]:
    """The menu shown to people who have not joined yet."""
    return command_menu(None, tr)

