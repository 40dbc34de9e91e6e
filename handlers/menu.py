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
    ROLE_MEMBER,
    ROLE_PROVINCE_VIEWER,
    ROLE_TEAM_LEAD,
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
    "lienket": N_("Liên kết tài khoản Telegram / Zalo"),
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
# /lienket for every member: a code to use the bot on the other messenger too (the code itself is sent
# there by someone not joined yet: the code alone works, so their menu stays short).
for _role, _names in list(_BY_ROLE.items()):
    if _role is not None and "lienket" not in _names:
        _BY_ROLE[_role] = _names + ("lienket",)
# /nhacnho for everyone who joined: pause or resume reminders; admins also set times and deadlines.
COMMANDS["nhacnho"] = N_("Nhắc việc: tạm dừng, lịch nhắc, hạn chót")
for _role, _names in list(_BY_ROLE.items()):
    if _role is not None and "nhacnho" not in _names:
        _at = _names.index("help") if "help" in _names else len(_names)
        _BY_ROLE[_role] = _names[:_at] + ("nhacnho",) + _names[_at:]
# Progress and reports, right after /tuannay: /tiendo for villages and communes, /baocao /chiso /chitieu for
# the commune, /tinh and /molai for the province.
COMMANDS.update({
    "tiendo": N_("Tiến độ: các thôn, chỉ tiêu, biểu đồ"),
    "baocao": N_("Báo cáo tháng: xem, nộp, tải Excel"),
    "chiso": N_("Nhập số liệu chỉ tiêu hằng tháng"),
    "chitieu": N_("Chỉ tiêu năm: xem, đặt"),
    "tinh": N_("Tình hình báo cáo các xã trong tỉnh"),
    "molai": N_("Mở lại báo cáo đã nộp của xã"),
})
_REPORTING: dict[Optional[str], tuple[str, ...]] = {
    ROLE_MEMBER: ("tiendo",),
    ROLE_TEAM_LEAD: ("tiendo",),
    ROLE_COMMUNE_ADMIN: ("tiendo", "baocao", "chiso", "chitieu"),
    ROLE_COMMUNE_LEADER: ("tiendo", "baocao", "chitieu"),
    ROLE_PROVINCE_VIEWER: ("tinh", "chitieu", "molai"),
}
for _role, _extra in _REPORTING.items():
    _names = _BY_ROLE.get(_role, ())
    _at = _names.index("tuannay") + 1 if "tuannay" in _names else 0
    _BY_ROLE[_role] = _names[:_at] + tuple(n for n in _extra if n not in _names) + _names[_at:]


def commands_for(role: Optional[str]) -> tuple[str, ...]:
    """The commands a person with this role (None: not joined yet) can use."""
    return _BY_ROLE.get(role, _BY_ROLE[None])


def command_menu(member: Optional[Member], tr: Translator) -> list[list[str]]:
    """[command, description] pairs for the messenger's menu."""
    return [[name, tr.gettext(COMMANDS[name])] for name in commands_for(member.role if member else None)]


def default_menu(tr: Translator) -> list[list[str]]:
    """The menu shown to people who have not joined yet."""
    return command_menu(None, tr)

