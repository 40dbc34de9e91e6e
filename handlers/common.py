"""Help, cancel, language, and what the bot says when it did not understand."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from bot.i18n import SUPPORTED, Translator
from bot.messages import Button
from handlers.base import IDLE, NO_NONCE, ButtonData, Turn
from storage.areas import get_commune, get_province
from storage.models import Member, Village
from storage.vocab import ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER, ROLE_PROVINCE_VIEWER, ROLES

FLOW = "c"  # payloads of this module: c:-:<action>[:arg]


def go_button(label: str, command: str) -> Button:
    """A button that runs a command (``c:-:go:<command>``), as if it were typed."""
    return Button(label, ButtonData(FLOW, NO_NONCE, "go", command).pack())


def area_label(session: Session, member: Member) -> str:
    """Where a member works, e.g. "Thôn 2, Xã Sơn Kim 1" or "Tỉnh Hà Tĩnh"."""
    parts: list[str] = []
    if member.village_id is not None:
        village = session.get(Village, member.village_id)
        if village is not None:
            parts.append(village.name)
    if member.commune_code is not None:
        parts.append(get_commune(session, member.commune_code).name)
    else:
        parts.append(get_province(session, member.province_code).name)
    return ", ".join(parts)


def role_label(member: Member, tr: Translator) -> str:
    return tr.gettext(ROLES[member.role])


def main_menu(turn: Turn) -> list[list[Button]]:
    """The buttons for what this person does most."""
    _ = turn._
    member = turn.member
    if member is None:
        return []
    rows: list[list[Button]] = []
    if member.role in ("member", "team_lead", ROLE_COMMUNE_ADMIN):
        rows.append(
            [go_button(_("📝 Ghi buổi sinh hoạt"), "ghibuoi"), go_button(_("🤝 Ghi người được hỗ trợ"), "ghigiup")]
        )
    if member.role != ROLE_PROVINCE_VIEWER:
        rows.append([go_button(_("📊 Tuần này"), "tuannay"), go_button(_("📈 Tiến độ"), "tiendo")])
    if member.role in (ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER):
        rows.append([go_button(_("📋 Báo cáo tháng"), "baocao")])
    if member.role == ROLE_COMMUNE_ADMIN:
        rows.append([go_button(_("🏘️ Thôn"), "thon"), go_button(_("🔑 Tạo mã mời"), "moi")])
    if member.role == ROLE_PROVINCE_VIEWER:
        rows.append([go_button(_("🏛️ Tình hình các xã"), "tinh")])
    return rows


def show_help(turn: Turn, running_programmes: Callable[[Turn], str | None] | None = None) -> None:
    """/help: what this person can do, in plain words; `running_programmes` gives the line naming the programmes
    the person's province runs (handlers/programmes.py, handed in by the router), None when it runs none."""
    _ = turn._
    member = turn.member
    if member is None:
        turn.say(
            _(
                "Chào bạn! Đây là trợ lý của Tổ Công nghệ số cộng đồng (Bình dân học vụ số).\n\n"
                "Để bắt đầu, bạn cần mã mời do cán bộ xã gửi. Bạn gõ mã mời vào đây "
                "(ví dụ: ABCD2345) hoặc bấm vào đường link mời.\n\n"
                "/lang — đổi ngôn ngữ (Tiếng Việt / English)"
            )
        )
        return
    lines = [
        _("Bạn là {role} — {area}.").format(role=role_label(member, turn.tr), area=area_label(turn.session, member)),
        "",
    ]
    if member.role in ("member", "team_lead", ROLE_COMMUNE_ADMIN):
        lines += [
            _("/ghibuoi — ghi một buổi sinh hoạt: ngày, nội dung, số người tham dự"),
            _("/ghigiup — ghi số người được hỗ trợ (kích hoạt VNeID mức 2, nộp hồ sơ dịch vụ công…)"),
            _("Hoặc gõ một dòng, ví dụ: «tối qua học VNeID 23 người, giúp 10 người kích hoạt mức 2»"),
            _("/sua, /xoa — sửa hoặc xoá mục vừa ghi"),
        ]
    if member.role != ROLE_PROVINCE_VIEWER:
        lines.append(_("/tuannay — xem hoạt động tuần này"))
        lines.append(_("/tiendo — tiến độ tuần, tháng, quý: các thôn, chỉ tiêu, biểu đồ"))
    if member.role in (ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER):
        lines.append(
            _("/baocao — báo cáo tháng: xem, tải file Excel")
            if member.role == ROLE_COMMUNE_LEADER
            else _("/baocao — báo cáo tháng: xem, nộp, tải file Excel")
        )
    if member.role == ROLE_COMMUNE_ADMIN:
        lines += [
            _("/chiso — nhập số liệu các chỉ tiêu hằng tháng (ví dụ: vneid 1234/5000)"),
            _("/chitieu — xem và đặt chỉ tiêu năm của xã"),
        ]
        lines += [
            _("/thon — xem và thêm thôn của xã"),
            _("/moi — tạo, xem và thu hồi mã mời cho tổ viên, tổ trưởng, lãnh đạo xã"),
            _("/thanhvien — danh sách thành viên của xã, xoá người đã nghỉ"),
            import_hint(turn),
        ]
    if member.role == "team_lead":
        lines.append(_("/thanhvien — danh sách thành viên của thôn, xoá người đã nghỉ"))
    if member.role == ROLE_COMMUNE_LEADER:
        lines.append(_("Bạn xem được tiến độ của các thôn trong xã."))
        lines.append(_("/chitieu — xem chỉ tiêu năm của xã"))
    if member.role == ROLE_PROVINCE_VIEWER:
        lines += [
            _("/tinh — các xã đã nộp báo cáo chưa, đúng hạn hay muộn; chỉ tiêu toàn tỉnh; biểu đồ, Excel"),
            _("/chitieu — xem và đặt chỉ tiêu năm của tỉnh"),
            _("/molai — mở lại báo cáo đã nộp của một xã (ghi lý do)"),
        ]
    if member.role == ROLE_PROVINCE_VIEWER:
        lines.append(_("/chuongtrinh — bật, tắt các chương trình của tỉnh (Đại sứ số, Gia đình số…), đặt mục tiêu"))
    elif running_programmes is not None and (line := running_programmes(turn)) is not None:
        lines.append(line)  # only where the province runs a programme: elsewhere /help reads as before
    lines.append(
        _("Bạn cũng có thể hỏi bằng lời, ví dụ: «xã nào chưa nộp báo cáo?»")
        if member.role == ROLE_PROVINCE_VIEWER
        else _("Bạn cũng có thể hỏi bằng lời, ví dụ: «thôn nào chưa có buổi học tuần này?»")
    )
    lines += [
        "",
        _("/nhacnho — nhắc việc: tạm dừng, bật lại, đặt giờ nhắc"),
        _("/huy — huỷ việc đang làm dở"),
        _("/lang — đổi ngôn ngữ (Tiếng Việt / English)"),
        "",
        choose_hint(turn),
    ]
    turn.say("\n".join(lines), main_menu(turn))


def cancel(turn: Turn) -> None:
    """/huy: drop whatever flow is in progress; nothing unsaved is kept."""
    _ = turn._
    if turn.step == IDLE:
        turn.say(_("Hiện không có việc gì đang làm dở."), main_menu(turn))
    else:
        turn.end_flow()
        turn.say(_("Đã huỷ. Những gì chưa bấm «Lưu» sẽ không được ghi."), main_menu(turn))


def choose_language(turn: Turn) -> None:
    """/lang: switch between Vietnamese and English."""
    turn.say(
        turn._("Chọn ngôn ngữ / Choose a language:"),
        [
            [
                Button("🇻🇳 Tiếng Việt", ButtonData(FLOW, NO_NONCE, "lang", "vi").pack()),
                Button("🇬🇧 English", ButtonData(FLOW, NO_NONCE, "lang", "en").pack()),
            ]
        ],
    )


def set_language(turn: Turn, locale: str) -> None:
    if locale not in SUPPORTED:
        return choose_language(turn)
    if turn.member is not None:
        turn.member.locale = locale
        turn.session.add(turn.member)
    turn.state.locale = locale
    turn.tr = Translator(locale)
    turn.commands_changed = True
    turn.say(turn._("Đã chuyển sang tiếng Việt."), main_menu(turn))


def not_understood(turn: Turn) -> None:
    """A message the bot could not place: say so plainly and offer the buttons."""
    _ = turn._
    if turn.member is None:
        turn.say(_("Bạn chưa tham gia. Bạn gõ mã mời do cán bộ xã gửi (ví dụ: ABCD2345) để bắt đầu."))
        return
    turn.say(
        _("Xin lỗi, tôi chưa hiểu tin nhắn này. Bạn chọn việc cần làm bên dưới, hoặc gõ /help để xem hướng dẫn."),
        main_menu(turn),
    )


def unknown_command(turn: Turn) -> None:
    _ = turn._
    turn.say(_("Tôi không có lệnh này. Bạn gõ /help để xem các lệnh dùng được."), main_menu(turn))


def not_allowed(turn: Turn) -> None:
    """A command outside the person's role."""
    _ = turn._
    if turn.member is None:
        turn.say(_("Bạn cần tham gia trước: gõ mã mời do cán bộ xã gửi (ví dụ: ABCD2345)."))
    else:
        turn.say(
            _("Việc này không thuộc vai trò của bạn ({role}).").format(role=role_label(turn.member, turn.tr)),
            main_menu(turn),
        )


def stale_button(turn: Turn) -> None:
    """A button of a flow that has ended or been replaced."""
    turn.toast = turn._("Nút này đã cũ.")
    turn.say(turn._("Nút này thuộc một thao tác đã xong hoặc đã huỷ. Bạn chọn lại việc cần làm nhé."), main_menu(turn))


def has_buttons(turn: Turn) -> bool:
    """Whether the person's messenger shows buttons (Telegram) or numbered choices (Zalo)."""
    return turn.incoming.channel != "zalo"


def receives_files(turn: Turn) -> bool:
    """Whether the person's messenger hands the bot a file they send: Telegram does; Zalo's Bot API delivers no
    file event at all."""
    return turn.incoming.channel != "zalo"


def import_hint(turn: Turn) -> str:
    """How a commune admin imports a list of villages or team members from a spreadsheet on this messenger."""
    _ = turn._
    if receives_files(turn):
        return _(
            "📎 Nhập danh sách thôn hoặc thành viên tổ: gửi tệp Excel (.xlsx) hoặc CSV vào đây; bot cho xem trước "
            "những gì sẽ thay đổi, bạn bấm «Đúng» mới nhập."
        )
    return _(
        "📎 Nhập danh sách thôn hoặc thành viên tổ từ tệp Excel: Zalo không chuyển tệp cho bot, nên bạn gửi tệp "
        "cho bot trên Telegram (dùng /lienket để dùng chung tài khoản), hoặc nhờ người quản trị hệ thống nhập."
    )


def choose_hint(turn: Turn) -> str:
    """How to pick a choice on this messenger."""
    _ = turn._
    if has_buttons(turn):
        return _("Bấm nút bên dưới tin nhắn để chọn, không cần gõ nhiều.")
    return _("Trả lời bằng số của lựa chọn (ví dụ 1) để chọn, không cần gõ nhiều.")


def please_choose(turn: Turn) -> None:
    """A typed message where the flow waits for a choice."""
    _ = turn._
    if has_buttons(turn):
        turn.say(_("Bạn bấm một nút ở tin nhắn trên để chọn, hoặc gõ /huy để huỷ."))
    else:
        turn.say(_("Bạn trả lời bằng số của một lựa chọn ở tin nhắn trên, hoặc gõ /huy để huỷ."))
