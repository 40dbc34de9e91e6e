"""Domain errors turned into a clear, polite message in the person's language.

Every refusal's message is here, once: a code of `storage.errors.DomainError` (or of a handler's own
refusal) maps to its msgid, translated when it is shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.i18n import Translator
from storage.errors import DomainError
from storage.indicators import INDICATORS
from storage.programmes.catalog import shipped
from storage.vocab import N_

#: error code -> the message's msgid (placeholders filled from the error's params)
MESSAGES: dict[str, str] = {
    "invite_unknown": N_(
        "Mã mời này không đúng. Bạn kiểm tra lại mã (8 ký tự, không phân biệt chữ hoa, "
        "chữ thường) hoặc xin mã mới từ cán bộ xã."
    ),
    "invite_expired": N_("Mã mời này đã hết hạn. Bạn vui lòng xin mã mới từ cán bộ xã."),
    "invite_used_up": N_("Mã mời này đã dùng hết số lượt. Bạn vui lòng xin mã mới từ cán bộ xã."),
    "already_member": N_("Bạn đã tham gia rồi, không cần dùng mã mời nữa."),
    "invite_not_again": N_(
        "Mã mời này bạn đã dùng trước đây nên không dùng lại được. Bạn vui lòng xin mã mới từ cán bộ xã."
    ),
    "invite_not_found": N_("Không tìm thấy mã mời {invite} trong xã của bạn."),
    "invite_already_revoked": N_("Mã mời {invite} đã được thu hồi từ trước."),
    "invite_kind_unknown": N_("Không có loại mã mời «{kind}»."),
    "village_link_members_only": N_("Mã cho cả thôn chỉ dùng để mời thành viên tổ, không ghi tên riêng ai."),
    "invite_limits_positive": N_("Số lượt và số ngày của mã mời phải từ 1 trở lên."),
    "invite_needs_commune_role": N_("Mã mời cho từng xã chỉ dành cho cán bộ xã hoặc lãnh đạo xã."),
    "group_left": N_("Bot không còn ở trong nhóm này nên chưa gắn nhóm được. Bạn thêm bot vào nhóm rồi gửi lại /nhom."),
    "group_not_yours": N_(
        "Chỉ cán bộ xã phụ trách (nhóm của xã hoặc của một thôn trong xã) hoặc tổ trưởng (nhóm của thôn mình) "
        "mới gắn hoặc đổi được nhóm này."
    ),
    "delivery_choice_unknown": N_("Cách gửi nhắc «{choice}» không có. Bạn chọn: nhóm, riêng từng người, hoặc cả hai."),
    "member_not_found": N_("Không tìm thấy người này trong danh sách bạn phụ trách (có thể đã được xoá rồi)."),
    "member_remove_self": N_("Bạn không tự xoá mình được. Nếu cần, bạn nhờ một cán bộ xã khác."),
    "member_remove_not_allowed": N_("Tổ trưởng chỉ xoá được thành viên tổ, không xoá được tổ trưởng hay cán bộ xã."),
    "date_in_future": N_("Ngày {date} chưa tới. Bạn chỉ ghi được những buổi đã diễn ra."),
    "date_too_old": N_("Ngày {date} đã quá {days} ngày, không ghi được nữa. Nếu cần, bạn nhờ cán bộ xã."),
    "count_too_small": N_("Số người phải từ 1 trở lên."),
    "count_too_large": N_("Số {count} có vẻ quá lớn (tối đa {maximum}). Bạn kiểm tra lại giúp nhé."),
    "no_topic": N_("Bạn chọn ít nhất một nội dung của buổi sinh hoạt."),
    "no_help_items": N_("Bạn chưa nhập loại hỗ trợ nào."),
    "unknown_village": N_("Không tìm thấy thôn «{village}» trong xã."),
    "unknown_commune": N_("Không có xã nào mang mã {unit}."),
    "unknown_province": N_("Không có tỉnh nào mang mã {unit}."),
    "invite_needs_village": N_("Mã mời cho thành viên hoặc tổ trưởng cần chọn một thôn."),
    "invite_needs_commune": N_("Mã mời cho vai trò này cần một xã."),
    "invite_needs_province": N_("Mã mời cho cán bộ Sở cần một tỉnh."),
    "unknown_role": N_("Không có vai trò «{role}»."),
    "unknown_topic": N_("Không có nội dung «{topic}»."),
    "unknown_help_kind": N_("Không có loại hỗ trợ «{kind}»."),
    "mentor_not_a_name": N_(
        "«{name}» không phải một tên người hướng dẫn. Bạn chỉ ghi tên thôi, không ghi số điện thoại hay số giấy tờ."
    ),
    "unknown_priority_group": N_("Không có nhóm ưu tiên «{group}»."),
    "priority_group_over_attendees": N_(
        "Số {count} người trong một nhóm ưu tiên nhiều hơn {attendees} người dự buổi. Bạn kiểm tra lại giúp nhé."
    ),
    "month_locked": N_(
        "Tháng {month} xã đã nộp báo cáo nên không sửa, không thêm được nữa. "
        "Nếu cần, cán bộ xã đề nghị Sở KH&CN mở lại tháng này."
    ),
    "entry_not_found": N_("Không tìm thấy mục này, hoặc bạn không có quyền sửa mục này."),
    "village_name_too_long": N_("Tên thôn «{name}» dài quá (tối đa {limit} ký tự)."),
    # indicators, targets and monthly reports
    "unknown_indicator": N_("Không có chỉ số «{indicator}»."),
    "indicator_zero_denominator": N_("«{indicator}»: tổng số (mẫu số) phải lớn hơn 0."),
    "indicator_negative": N_("«{indicator}»: số đạt không được là số âm."),
    "indicator_too_large": N_(
        "«{indicator}»: con số lớn quá (hơn {limit} người), chắc là gõ nhầm. Bạn kiểm tra lại giúp nhé."
    ),
    "indicator_over_denominator": N_(
        "«{indicator}»: số đạt ({numerator}) lớn hơn tổng số ({denominator}), "
        "tỷ lệ sẽ vượt 100%. Bạn kiểm tra lại giúp nhé."
    ),
    "indicator_not_allowed": N_("Chỉ cán bộ xã phụ trách mới nhập được số liệu chỉ số của xã."),
    "target_over_100": N_("«{indicator}»: chỉ tiêu {percent}% vượt quá 100%. Chỉ tiêu là tỷ lệ từ 0 đến 100%."),
    "target_negative": N_("«{indicator}»: chỉ tiêu không được là số âm."),
    "target_not_allowed": N_("Chỉ cán bộ xã phụ trách (cho xã) hoặc cán bộ Sở KH&CN (cho tỉnh) mới đặt được chỉ tiêu."),
    "deadline_day_invalid": N_("Hạn nộp phải là một ngày từ 1 đến 28 của tháng sau."),
    "report_not_allowed": N_("Chỉ cán bộ xã phụ trách mới nộp được báo cáo của xã."),
    "report_month_not_over": N_("Tháng {month} chưa kết thúc: bạn nộp được từ ngày {day}."),
    "report_already_submitted": N_("Báo cáo tháng {month} đã nộp rồi."),
    "reopen_not_allowed": N_("Chỉ cán bộ Sở KH&CN của tỉnh mới mở lại được báo cáo đã nộp của xã."),
    "reopen_reason_required": N_("Bạn cần ghi lý do mở lại (ít nhất {minimum} ký tự)."),
    "report_not_submitted": N_("{commune} chưa nộp báo cáo tháng {month}, không cần mở lại."),
    "out_of_scope": N_("Bạn không xem được số liệu của đơn vị này: ngoài phạm vi phụ trách của bạn."),
    # linking two messengers (handlers/linking.py passes the code's lifetime and the other messenger)
    "link_code_unknown": N_(
        "Mã liên kết không đúng hoặc đã hết hạn (mã dùng được {minutes} phút, một lần). "
        "Bạn gõ /lienket trên ứng dụng đã tham gia để lấy mã mới."
    ),
    "link_already_linked": N_("Tài khoản này đã được liên kết rồi, không cần làm lại."),
    "link_other_member": N_(
        "Tài khoản này đã tham gia với một vai trò khác nên không liên kết được. "
        "Nếu cần gộp hai tài khoản, bạn nhờ cán bộ xã."
    ),
    "link_same_channel": N_("Mã này dùng để liên kết ứng dụng kia ({other}). Bạn mở bot trên {other} và gửi mã ở đó."),
    # reminders and deadlines
    "reminder_not_allowed": N_("Việc này chỉ cán bộ xã phụ trách (cho xã) hoặc cán bộ Sở (cho tỉnh) làm được."),
    "reminder_kind_unknown": N_("Không có loại nhắc việc này."),
    "reminder_time_invalid": N_("Giờ «{text}» không đúng. Bạn gõ giờ dạng 19:00 hoặc 19h."),
    "reminder_day_invalid": N_("Ngày {day} không dùng được (chỉ từ 1 đến {limit})."),
    "reminder_times_unreadable": N_("Tôi chưa đọc được lịch «{text}». Bạn gõ lại theo ví dụ nhé."),
    "reminder_too_many_times": N_("Mỗi loại nhắc việc có tối đa {limit} lần nhắc."),
    "deadline_title_missing": N_("Bạn gõ nội dung công việc cần nhắc."),
    "deadline_title_too_long": N_("Nội dung dài quá (tối đa {limit} ký tự). Bạn viết ngắn lại giúp nhé."),
    "deadline_not_in_future": N_("Hạn chót {date} phải là một ngày sau hôm nay."),
    "deadline_too_far": N_("Hạn chót {date} xa quá (tối đa một năm nữa)."),
    "deadline_roles_missing": N_("Bạn chọn ít nhất một nhóm người được nhắc."),
    "deadline_not_found": N_("Không tìm thấy hạn chót này, hoặc nó đã được huỷ."),
    # the provinces' programmes and own indicators
    "unknown_programme": N_("Không có chương trình «{programme}» trong danh mục."),
    "programme_not_allowed": N_("Chỉ cán bộ Sở KH&CN của tỉnh mới bật, tắt và đặt mục tiêu chương trình của tỉnh."),
    "programme_not_enabled": N_("Chương trình «{programme}» chưa được bật cho tỉnh. Bạn bật chương trình trước nhé."),
    "programme_target_unreadable": N_("Tôi chưa đọc được mục tiêu «{text}». Bạn gõ một con số, ví dụ 80% hoặc 120."),
    "programme_target_not_count": N_(
        "Mục tiêu của chương trình này là một số lượng, không phải phần trăm. Bạn gõ một số nguyên, ví dụ 120."
    ),
    "programme_target_percent": N_("Mục tiêu {percent}% không dùng được: tỷ lệ phải lớn hơn 0 và không quá 100%."),
    "programme_target_count": N_("Mục tiêu phải là một số nguyên từ 1 đến {limit}."),
    "province_target_by_province": N_(
        "Mục tiêu của chương trình và chỉ số riêng của tỉnh do cán bộ Sở KH&CN đặt cho cả tỉnh, xã không đặt riêng."
    ),
    "programme_not_monthly": N_("Xã không nhập số liệu tháng cho chương trình «{programme}»."),
    "programme_figure_needs_denominator": N_(
        "«{programme}»: bạn gõ số đạt/tổng số, ví dụ 4.100/5.000 (tổng số là số người thuộc diện)."
    ),
    "programme_figure_no_denominator": N_("«{programme}»: bạn gõ một số nguyên, không cần tổng số, ví dụ 12."),
    "programme_zero_denominator": N_("«{programme}»: tổng số (mẫu số) phải lớn hơn 0."),
    "programme_over_denominator": N_(
        "«{programme}»: số đạt ({numerator}) lớn hơn tổng số ({denominator}), bạn kiểm tra lại giúp nhé."
    ),
    "own_indicator_bad_id": N_(
        "Mã chỉ số «{indicator_id}» không dùng được: chỉ gồm chữ thường không dấu, số và dấu «_», "
        "bắt đầu bằng chữ, từ 2 đến 40 ký tự."
    ),
    "own_indicator_national_id": N_("Mã «{indicator_id}» là của một chỉ số toàn quốc. Bạn chọn mã khác."),
    "own_indicator_bad_name": N_("Tên chỉ số phải có và không dài quá {limit} ký tự."),
    "own_indicator_bad_unit": N_("Đơn vị tính phải có và không dài quá {limit} ký tự."),
    "own_indicator_bad_target": N_("Chỉ tiêu phải là một số nguyên từ 1 đến {limit}."),
    "own_indicator_not_count": N_("Tôi chưa đọc được số «{text}». Bạn gõ một số nguyên, ví dụ 12."),
    "own_indicator_not_whole": N_("Số «{text}» không dùng được: bạn gõ một số nguyên không âm, ví dụ 12."),
    "own_indicator_too_large": N_("Số này lớn quá (tối đa {limit}). Bạn kiểm tra lại giúp nhé."),
    "unknown_own_indicator": N_("Tỉnh của bạn không có chỉ số «{indicator_id}»."),
    "households_invalid": N_(
        "Số hộ của {village} phải là một số nguyên từ 1 đến {limit}. Bạn gõ lại, ví dụ: {village} có 120 hộ."
    ),
    "households_unreadable": N_(
        "Tôi chưa đọc được số hộ. Bạn gõ tên thôn và số hộ bằng chữ số, ví dụ: Thôn 2 có 120 hộ."
    ),
}
#: a code with no message of its own
UNKNOWN = N_("Không làm được việc này.")
_NUMBER_KEYS = frozenset({"count", "maximum", "limit"})
_FIGURE_KEYS = frozenset({"numerator", "denominator", "percent"})


def _shown(key: str, value: Any, tr: Translator) -> Any:
    """A parameter of an error as it reads in the message: dates and counts in the locale, indicators by name."""
    if isinstance(value, dt.date):
        return tr.date(value)
    if key in _NUMBER_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return tr.number(value)
    if key in _FIGURE_KEYS and isinstance(value, (int, float)):
        return tr.number(value)
    if key == "programme" and isinstance(value, str):
        programme = shipped().get(value)
        return programme.name(tr.locale) if programme is not None else value
    if key == "indicator" and isinstance(value, str):
        return tr.gettext(INDICATORS[value][0]) if value in INDICATORS else value
    return value


def explain(error: DomainError, tr: Translator, **context: Any) -> str:
    """The message for a refused action; ``context`` fills placeholders the error does not carry."""
    params = {key: _shown(key, value, tr) for key, value in error.params.items()}
    return tr.gettext(MESSAGES.get(error.code, UNKNOWN)).format(**{**params, **context})
