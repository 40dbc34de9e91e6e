"""SQLModel tables of the domain.

Timestamps are timezone-aware and stored in UTC (SQLModel's UTCDateTime);
calendar dates of sessions are local dates in the deployment's timezone. People helped are stored
as counts only, never as names, phone or ID numbers (Decree 13/2023/NĐ-CP).

The tables are written in modules by concern (areas, activity, reporting, delivery, oversight); importing this
package registers them all on `SQLModel.metadata`, and every table is imported from here.
"""

from __future__ import annotations

from storage.models.activity import HelpRecord, ProgrammeRecord, SessionPriorityGroup, TrainingSession
from storage.models.areas import (
    ChannelAccount,
    CodeAttempt,
    Commune,
    CommuneSetting,
    GroupChat,
    Invite,
    LinkCode,
    Member,
    Province,
    RemovedAccount,
    Village,
)
from storage.models.delivery import (
    BotInstance,
    BotSetting,
    ConversationState,
    OfferedChoices,
    OutboxMessage,
    ProcessedUpdate,
    SendPace,
    StoredFile,
)
from storage.models.oversight import (
    AuditEntry,
    CommuneChange,
    KeptRead,
    ReminderDeadline,
    ReminderRule,
    SpotCheck,
    WebSession,
    WebSignIn,
)
from storage.models.reporting import (
    IndicatorTarget,
    IndicatorValue,
    MonthlyReport,
    ProgrammeMonthValue,
    ProgrammeTarget,
    ProvinceIndicator,
    ProvinceIndicatorValue,
    ProvinceProgramme,
    ProvinceSetting,
)
from storage.models.rows import saved_id, table_of

__all__ = [
    "AuditEntry",
    "BotInstance",
    "BotSetting",
    "ChannelAccount",
    "CodeAttempt",
    "Commune",
    "CommuneChange",
    "CommuneSetting",
    "ConversationState",
    "GroupChat",
    "HelpRecord",
    "IndicatorTarget",
    "IndicatorValue",
    "Invite",
    "KeptRead",
    "LinkCode",
    "Member",
    "MonthlyReport",
    "OfferedChoices",
    "OutboxMessage",
    "ProcessedUpdate",
    "ProgrammeMonthValue",
    "ProgrammeRecord",
    "ProgrammeTarget",
    "Province",
    "ProvinceIndicator",
    "ProvinceIndicatorValue",
    "ProvinceProgramme",
    "ProvinceSetting",
    "ReminderDeadline",
    "ReminderRule",
    "RemovedAccount",
    "SendPace",
    "SessionPriorityGroup",
    "SpotCheck",
    "StoredFile",
    "TrainingSession",
    "Village",
    "WebSession",
    "WebSignIn",
    "saved_id",
    "table_of",
]
