"""The command menu: one command per thing a person does, by role, in their language."""

from __future__ import annotations

from bot.i18n import Translator
from storage.models import Member
from storage.vocab import (
    N_,
    ROLE_COMMUNE_ADMIN,
    ROLE_COMMUNE_LEADER,
    ROLE_MEMBER,
    ROLE_PROVINCE_VIEWER,
    ROLE_TEAM_LEAD,
)

# command -> description (what a person does with it).
COMMANDS: dict[str, str] = {
    "ghibuoi": N_("Ghi buổi sinh hoạt của thôn"),
    "ghigiup": N_("Ghi số người được hỗ trợ"),
    "tuannay": N_("Xem hoạt động tuần này"),
    "tiendo": N_("Tiến độ: các thôn, chỉ tiêu, biểu đồ"),
    "baocao": N_("Báo cáo tháng: xem, nộp, tải Excel"),
    "chiso": N_("Nhập số liệu chỉ tiêu hằng tháng"),
    "chitieu": N_("Chỉ tiêu năm: xem, đặt"),
    "tinh": N_("Tình hình báo cáo các xã trong tỉnh"),
    "molai": N_("Mở lại báo cáo đã nộp của xã"),
    "sua": N_("Sửa mục vừa ghi"),
    "xoa": N_("Xoá mục vừa ghi"),
    "thon": N_("Danh sách thôn, thêm thôn"),
    "moi": N_("Tạo mã mời thành viên"),
    "thanhvien": N_("Thành viên: xem danh sách, xoá người đã nghỉ"),
    "huy": N_("Huỷ thao tác đang làm"),
    "nhacnho": N_("Nhắc việc: tạm dừng, lịch nhắc, hạn chót"),
    "help": N_("Hướng dẫn sử dụng"),
    "lang": N_("Đổi ngôn ngữ / Change language"),
    "lienket": N_("Liên kết tài khoản Telegram / Zalo"),
    "start": N_("Bắt đầu, tham gia bằng mã mời"),
    "nhom": N_("Gắn nhóm chat này với xã hoặc thôn"),
    "chuongtrinh": N_("Chương trình của tỉnh: bật, tắt, mục tiêu"),
    "web": N_("Mở bảng theo dõi trên trình duyệt"),
    "kiemtra": N_("Mục nên xem lại trong tháng"),
    "bieuduong": N_("Biểu dương: thôn, xã sinh hoạt đều đặn"),
}

# In a private chat a command may do another thing than in a group: /nhom there is where reminders go.
_PRIVATE_DESCRIPTIONS: dict[str, str] = {"nhom": N_("Nhóm chat của xã, nơi gửi nhắc việc")}

# The menu shown in group chats: what a team does together there.
GROUP_COMMANDS = ("ghibuoi", "ghigiup", "tuannay", "tiendo", "huy", "nhom", "help")

# Each role's menu, most used first. People who have not joined see only how to join (None).
# /lienket is for every member: it gives a code to use the bot on the other messenger too.
_VILLAGE_TEAM = (
    "ghibuoi",
    "ghigiup",
    "tuannay",
    "tiendo",
    "web",
    "sua",
    "xoa",
    "huy",
    "nhacnho",
    "help",
    "lang",
    "lienket",
)
_BY_ROLE: dict[str | None, tuple[str, ...]] = {
    None: ("start", "help", "lang"),
    ROLE_MEMBER: _VILLAGE_TEAM,
    ROLE_TEAM_LEAD: (
        "ghibuoi",
        "ghigiup",
        "tuannay",
        "tiendo",
        "web",
        "sua",
        "xoa",
        "moi",
        "thanhvien",
        "huy",
        "nhacnho",
        "help",
        "lang",
        "lienket",
    ),
    ROLE_COMMUNE_ADMIN: (
        "ghibuoi",
        "ghigiup",
        "tuannay",
        "tiendo",
        "baocao",
        "web",
        "chiso",
        "chitieu",
        "sua",
        "xoa",
        "thon",
        "moi",
        "thanhvien",
        "kiemtra",
        "bieuduong",
        "huy",
        "nhacnho",
        "nhom",
        "help",
        "lang",
        "lienket",
    ),
    ROLE_COMMUNE_LEADER: (
        "tuannay",
        "tiendo",
        "baocao",
        "web",
        "kiemtra",
        "bieuduong",
        "chitieu",
        "nhacnho",
        "help",
        "lang",
        "lienket",
    ),
    ROLE_PROVINCE_VIEWER: (
        "tinh",
        "web",
        "kiemtra",
        "bieuduong",
        "chitieu",
        "chuongtrinh",
        "molai",
        "nhacnho",
        "help",
        "lang",
        "lienket",
    ),
}


def commands_for(role: str | None) -> tuple[str, ...]:
    """The commands a person with this role (None: not joined yet) can use."""
    return _BY_ROLE.get(role, _BY_ROLE[None])


def command_menu(member: Member | None, tr: Translator) -> list[list[str]]:
    """[command, description] pairs for the messenger's menu."""
    return [
        [name, tr.gettext(_PRIVATE_DESCRIPTIONS.get(name, COMMANDS[name]))]
        for name in commands_for(member.role if member else None)
    ]


def default_menu(tr: Translator) -> list[list[str]]:
    """The menu shown to people who have not joined yet."""
    return command_menu(None, tr)


def group_menu(tr: Translator) -> list[list[str]]:
    """The menu shown in every group chat (Telegram's `all_group_chats` scope)."""
    return [[name, tr.gettext(COMMANDS[name])] for name in GROUP_COMMANDS]
