"""The kinds of reminder, who receives each, the deployment's default times, and the scopes a rule can have."""

from __future__ import annotations

from storage.vocab import (
    N_,
    ROLE_COMMUNE_ADMIN,
    ROLE_COMMUNE_LEADER,
    ROLE_MEMBER,
    ROLE_PROVINCE_VIEWER,
    ROLE_TEAM_LEAD,
)

WEEKLY_SESSION = "weekly_session"
WEEKLY_SUMMARY = "weekly_summary"
MONTHLY_REPORT = "monthly_report"
MONTHLY_ESCALATION = "monthly_escalation"
PROVINCE_CONSOLIDATION = "province_consolidation"
CUSTOM = "custom"

# kind -> what people call it (N_-marked, translated where shown)
KINDS: dict[str, str] = {
    WEEKLY_SESSION: N_("Nhắc thôn chưa có buổi sinh hoạt trong tuần"),
    WEEKLY_SUMMARY: N_("Tổng kết tuần gửi cán bộ và lãnh đạo xã"),
    MONTHLY_REPORT: N_("Nhắc cán bộ xã nộp báo cáo tháng"),
    MONTHLY_ESCALATION: N_("Báo lãnh đạo xã khi báo cáo tháng chưa nộp"),
    PROVINCE_CONSOLIDATION: N_("Nhắc Sở tổng hợp báo cáo các xã"),
    CUSTOM: N_("Nhắc trước các hạn chót riêng"),
}
# Who receives each kind (for the record and for the chat's explanations).
RECIPIENTS: dict[str, tuple[str, ...]] = {
    WEEKLY_SESSION: (ROLE_TEAM_LEAD, ROLE_MEMBER),
    WEEKLY_SUMMARY: (ROLE_COMMUNE_ADMIN, ROLE_COMMUNE_LEADER),
    MONTHLY_REPORT: (ROLE_COMMUNE_ADMIN,),
    MONTHLY_ESCALATION: (ROLE_COMMUNE_LEADER,),
    PROVINCE_CONSOLIDATION: (ROLE_PROVINCE_VIEWER,),
}
WEEKLY_KINDS = (WEEKLY_SESSION, WEEKLY_SUMMARY)
MONTHLY_KINDS = (MONTHLY_REPORT, MONTHLY_ESCALATION, PROVINCE_CONSOLIDATION)
COMMUNE_KINDS = (WEEKLY_SESSION, WEEKLY_SUMMARY, MONTHLY_REPORT, MONTHLY_ESCALATION, CUSTOM)  # a commune may set
PROVINCE_KINDS = tuple(KINDS)  # a province may set every kind for its communes

DEFAULT_TIMES: dict[str, list[str]] = {
    WEEKLY_SESSION: ["thu 19:00", "sat 08:00"],
    WEEKLY_SUMMARY: ["sun 20:00"],
    MONTHLY_REPORT: ["15 08:00", "18 08:00", "19 08:00"],
    MONTHLY_ESCALATION: ["21 08:00"],
    PROVINCE_CONSOLIDATION: ["21 08:00", "24 08:00"],
    CUSTOM: ["-7 08:00", "-1 08:00"],
}
SCOPE_DEFAULT, SCOPE_PROVINCE, SCOPE_COMMUNE = "default", "province", "commune"
