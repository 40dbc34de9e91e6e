"""How far a village, a commune, a province or the country is: activity and indicators, computed in SQL.

Every read is scoped (`storage/scope.py`): a team member sees their village, a commune admin or leader their
commune, a province viewer their province; the operator (CLI) sees all. Periods are `storage/periods.py`.
Each roll-up is one statement (`sql.py` says how they are built and run) whose lines are read into the
results: `commune.py` (a commune or a village over a period), `province.py` (a province's month) and
`national.py` (every province's month).
"""

from storage.periods import PERIOD_MONTH, PERIOD_QUARTER, PERIOD_WEEK, Period, weeks_between
from storage.progress.commune import CommuneProgress, SessionLine, VillageProgress, commune_progress, sessions_in
from storage.progress.figures import IndicatorProgress
from storage.progress.national import ProvinceTotals, national_rollup
from storage.progress.province import (
    CommuneTotals,
    ProvinceRollup,
    ReportingMonth,
    province_rollup,
    reporting_by_month,
)
from storage.scope import Scope

__all__ = [
    "PERIOD_MONTH",
    "PERIOD_QUARTER",
    "PERIOD_WEEK",
    "CommuneProgress",
    "CommuneTotals",
    "IndicatorProgress",
    "Period",
    "ProvinceRollup",
    "ProvinceTotals",
    "ReportingMonth",
    "Scope",
    "SessionLine",
    "VillageProgress",
    "commune_progress",
    "national_rollup",
    "province_rollup",
    "reporting_by_month",
    "sessions_in",
    "weeks_between",
]
