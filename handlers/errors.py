"""Domain errors turned into a clear, polite message in the person's language."""

from __future__ import annotations

import datetime as dt

from bot.i18n import Translator
from storage.errors import DomainError


def explain(error: DomainError, tr: Translator) -> str:
    """The message for a refused action."""
    _ = tr.gettext
    p = dict(error.params)
    for key, value in list(p.items()):
        if isinstance(value, dt.date):
            p[key] = tr.date(value)
        elif isinstance(value, int) and not isinstance(value, bool) and key in ("count", "maximum"):
            p[key] = tr.number(value)
    messages = {
        "invite_unknown": _("Mã mời này không đúng. Bạn kiểm tra lại mã (8 ký tự, không phân biệt chữ hoa, "
                            "chữ thường) hoặc xin mã mới từ cán bộ xã."),
        "invite_expired": _("Mã mời này đã hết hạn. Bạn vui lòng xin mã mới từ cán bộ xã."),
        "invite_used_up": _("Mã mời này đã dùng hết số lượt. Bạn vui lòng xin mã mới từ cán bộ xã."),
        "already_member": _("Bạn đã tham gia rồi, không cần dùng mã mời nữa."),
        "date_in_future": _("Ngày {date} chưa tới. Bạn chỉ ghi được những buổi đã diễn ra."),
        "date_too_old": _("Ngày {date} đã quá {days} ngày, không ghi được nữa. Nếu cần, bạn nhờ cán bộ xã."),
        "count_too_small": _("Số người phải từ 1 trở lên."),
        "count_too_large": _("Số {count} có vẻ quá lớn (tối đa {maximum}). Bạn kiểm tra lại giúp nhé."),
        "no_topic": _("Bạn chọn ít nhất một nội dung của buổi sinh hoạt."),
        "no_help_items": _("Bạn chưa nhập loại hỗ trợ nào."),
        "unknown_village": _("Không tìm thấy thôn «{village}» trong xã."),
        "unknown_commune": _("Không có xã nào mang mã {unit}."),
        "unknown_province": _("Không có tỉnh nào mang mã {unit}."),
        "invite_needs_village": _("Mã mời cho thành viên hoặc tổ trưởng cần chọn một thôn."),
        "invite_needs_commune": _("Mã mời cho vai trò này cần một xã."),
        "invite_needs_province": _("Mã mời cho cán bộ Sở cần một tỉnh."),
        "unknown_role": _("Không có vai trò «{role}»."),
        "unknown_topic": _("Không có nội dung «{topic}»."),
        "unknown_help_kind": _("Không có loại hỗ trợ «{kind}»."),
        "month_locked": _("Tháng {month} xã đã nộp báo cáo nên không sửa, không thêm được nữa. "
                          "Nếu cần, cán bộ xã đề nghị Sở KH&CN mở lại tháng này."),
        "entry_not_found": _("Không tìm thấy mục này, hoặc bạn không có quyền sửa mục này."),
        "village_name_too_long": _("Tên thôn «{name}» dài quá (tối đa {limit} ký tự)."),
    }
    template = messages.get(error.code, _("Không làm được việc này."))
    return template.format(**p)
