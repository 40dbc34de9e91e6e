"""Domain errors turned into a clear, polite message in the person's language."""

from __future__ import annotations

import datetime as dt

from bot.i18n import Translator
from storage.errors import DomainError
from storage.indicators import INDICATORS


def explain(error: DomainError, tr: Translator) -> str:
    """The message for a refused action."""
    _ = tr.gettext
    p = dict(error.params)
    for key, value in list(p.items()):
        if isinstance(value, dt.date):
            p[key] = tr.date(value)
        elif isinstance(value, int) and not isinstance(value, bool) and key in ("count", "maximum"):
            p[key] = tr.number(value)
        elif key in ("numerator", "denominator", "percent") and isinstance(value, (int, float)):
            p[key] = tr.number(value)
        elif key == "indicator" and isinstance(value, str):
            p[key] = _(INDICATORS[value][0]) if value in INDICATORS else value
    messages = {
        "invite_unknown": _("Mã mời này không đúng. Bạn kiểm tra lại mã (8 ký tự, không phân biệt chữ hoa, "
                            "chữ thường) hoặc xin mã mới từ cán bộ xã."),
        "invite_expired": _("Mã mời này đã hết hạn. Bạn vui lòng xin mã mới từ cán bộ xã."),
        "invite_used_up": _("Mã mời này đã dùng hết số lượt. Bạn vui lòng xin mã mới từ cán bộ xã."),
        "already_member": _("Bạn đã tham gia rồi, không cần dùng mã mời nữa."),
        "invite_not_again": _("Mã mời này bạn đã dùng trước đây nên không dùng lại được. "
                              "Bạn vui lòng xin mã mới từ cán bộ xã."),
        "invite_not_found": _("Không tìm thấy mã mời {invite} trong xã của bạn."),
        "invite_already_revoked": _("Mã mời {invite} đã được thu hồi từ trước."),
        "member_not_found": _("Không tìm thấy người này trong danh sách bạn phụ trách "
                              "(có thể đã được xoá rồi)."),
        "member_remove_self": _("Bạn không tự xoá mình được. Nếu cần, bạn nhờ một cán bộ xã khác."),
        "member_remove_not_allowed": _("Tổ trưởng chỉ xoá được thành viên tổ, không xoá được tổ trưởng "
                                       "hay cán bộ xã."),
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
        # indicators, targets and monthly reports
        "unknown_indicator": _("Không có chỉ số «{indicator}»."),
        "indicator_zero_denominator": _("«{indicator}»: tổng số (mẫu số) phải lớn hơn 0."),
        "indicator_negative": _("«{indicator}»: số đạt không được là số âm."),
        "indicator_over_denominator": _("«{indicator}»: số đạt ({numerator}) lớn hơn tổng số ({denominator}), "
                                        "tỷ lệ sẽ vượt 100%. Bạn kiểm tra lại giúp nhé."),
        "indicator_not_allowed": _("Chỉ cán bộ xã phụ trách mới nhập được số liệu chỉ số của xã."),
        "target_over_100": _("«{indicator}»: chỉ tiêu {percent}% vượt quá 100%. Chỉ tiêu là tỷ lệ từ 0 đến 100%."),
        "target_negative": _("«{indicator}»: chỉ tiêu không được là số âm."),
        "target_not_allowed": _("Chỉ cán bộ xã phụ trách (cho xã) hoặc cán bộ Sở KH&CN (cho tỉnh) mới đặt được "
                                "chỉ tiêu."),
        "deadline_day_invalid": _("Hạn nộp phải là một ngày từ 1 đến 28 của tháng sau."),
        "report_not_allowed": _("Chỉ cán bộ xã phụ trách mới nộp được báo cáo của xã."),
        "report_month_not_over": _("Tháng {month} chưa kết thúc: bạn nộp được từ ngày {day}."),
        "report_already_submitted": _("Báo cáo tháng {month} đã nộp rồi."),
        "reopen_not_allowed": _("Chỉ cán bộ Sở KH&CN của tỉnh mới mở lại được báo cáo đã nộp của xã."),
        "reopen_reason_required": _("Bạn cần ghi lý do mở lại (ít nhất {minimum} ký tự)."),
        "report_not_submitted": _("{commune} chưa nộp báo cáo tháng {month}, không cần mở lại."),
        "out_of_scope": _("Bạn không xem được số liệu của đơn vị này: ngoài phạm vi phụ trách của bạn."),
    }
    template = messages.get(error.code, _("Không làm được việc này."))
    return template.format(**p)
