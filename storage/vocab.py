"""The domain's fixed vocabularies: roles, session topics and kinds of help, with their labels.

Labels are marked with `N_` for extraction and translated where they are shown.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a string for translation without translating it here."""
    return message


ROLE_MEMBER = "member"
ROLE_TEAM_LEAD = "team_lead"
ROLE_COMMUNE_ADMIN = "commune_admin"
ROLE_COMMUNE_LEADER = "commune_leader"
ROLE_PROVINCE_VIEWER = "province_viewer"

ROLES: dict[str, str] = {
    ROLE_MEMBER: N_("thành viên tổ CNSCĐ"),
    ROLE_TEAM_LEAD: N_("tổ trưởng tổ CNSCĐ"),
    ROLE_COMMUNE_ADMIN: N_("cán bộ xã phụ trách"),
    ROLE_COMMUNE_LEADER: N_("lãnh đạo xã"),
    ROLE_PROVINCE_VIEWER: N_("cán bộ Sở KH&CN"),
}
VILLAGE_ROLES = (ROLE_MEMBER, ROLE_TEAM_LEAD)
COMMUNE_ROLES = (ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER)
LOGGING_ROLES = (ROLE_MEMBER, ROLE_TEAM_LEAD, ROLE_COMMUNE_ADMIN)

# The five basic digital skills taught in community sessions, plus VNeID which most sessions cover.
TOPICS: dict[str, str] = {
    "public_services": N_("Dịch vụ công trực tuyến"),
    "online_shopping": N_("Mua sắm trực tuyến"),
    "online_payment": N_("Thanh toán trực tuyến"),
    "online_safety": N_("An toàn, chống lừa đảo trên mạng"),
    "vneid": N_("Ứng dụng VNeID"),
    "other_platforms": N_("Nền tảng số khác"),
}

# What people are helped with, counted per kind.
HELP_KINDS: dict[str, str] = {
    "vneid_level2": N_("Kích hoạt định danh điện tử mức 2"),
    "vneid_skill_confirmed": N_("Xác nhận phổ cập kỹ năng số trên VNeID"),
    "public_service_filing": N_("Nộp hồ sơ dịch vụ công trực tuyến"),
    "cashless_account": N_("Mở tài khoản, thanh toán không dùng tiền mặt"),
    "digital_signature": N_("Chữ ký số"),
    "social_security_vneid": N_("Tài khoản an sinh xã hội trên VNeID"),
    "e_health": N_("Sổ sức khỏe điện tử"),
    "bdhvs_course": N_("Học khóa Bình dân học vụ số"),
    "other": N_("Hỗ trợ khác"),
}

# Priority groups a session's attendees may be broken down by (the provincial plans' words).
PRIORITY_GROUPS: dict[str, str] = {
    "elderly": N_("người cao tuổi"),
    "disabled": N_("người khuyết tật"),
    "ethnic_minority": N_("người dân tộc thiểu số"),
    "poor": N_("người nghèo"),
}
