"""The monthly report as data: the JSON of the public contract (`bdhvs report --format json`) and its CSV.

Commune report, at least: `villages` (`name`, `sessions`, `attendees`, `help` {kind: count, kinds with a
count only}, `weeks_with_session`), `indicators` (`id`, `numerator`, `denominator`, `percent` in 0–100
rounded to 2 decimals, `target` percent), `submitted_at` (null until submitted), `on_time` (true, false or
null). Province report, at least: `communes` (`code`, `name`, `submitted`, `on_time` and the same totals),
`reporting_rate` and `on_time_rate` (percent of the communes expected, 0–100). Keys are only ever added.

Where the province runs programmes of the catalog (`storage/programmes/`), the commune report, the province
report and each of its communes carry `programmes` (`id`, `figure`, `denominator`, `percent`, `target`,
`on_track`, then `name`, `unit`, `rule`, `month_figure` and the rule's details; `storage/progress/programmes.py`
says what each rule counts); where it has its own indicators, `own_indicators` (`id`, `name`, `unit`, `value`
of the month, `year_to_date`, `target`, `on_track`). A province with neither gets neither key.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage.areas import get_commune, get_province
from storage.indicators import INDICATORS, percent_of
from storage.indicators import label as indicator_label
from storage.models import MonthlyReport
from storage.periods import Period, month_start, weeks_between
from storage.progress import CommuneProgress, IndicatorProgress, commune_progress, province_rollup, sessions_in
from storage.progress.own_indicators import commune_own_indicators, province_own_indicators
from storage.progress.programmes import commune_programmes, province_programmes
from storage.reports import deadline_day, due_date, report_for, reports_of_month
from storage.scope import Scope
from storage.vocab import HELP_KINDS

SCHEMA_VERSION = 1


def _local(moment: dt.datetime | None, tz: ZoneInfo) -> str | None:
    """A moment as local ISO time to the second, or None when there is none."""
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None


def _indicator(item: IndicatorProgress) -> dict[str, Any]:
    """An indicator's progress as the JSON the reports share."""
    return {
        "id": item.id,
        "label": indicator_label(item.id),
        "numerator": item.numerator,
        "denominator": item.denominator,
        "percent": item.percent,
        "target": item.target,
        "target_scope": item.target_scope,
        "on_track": item.on_track,
        "previous_percent": item.previous_percent,
        "change": item.change,
    }


def _report_fields(report: MonthlyReport | None, tz: ZoneInfo) -> dict[str, Any]:
    """The submission part of a commune's report: status, when submitted, on time, reopened and why."""
    submitted = report is not None and report.status == "submitted"
    return {
        "status": "submitted" if submitted else "draft",
        "submitted_at": _local(report.submitted_at, tz) if submitted and report else None,
        "on_time": report.on_time if submitted and report else None,
        "reopened_at": _local(report.reopened_at, tz) if report else None,
        "reopen_reason": report.reopen_reason if report else None,
    }


def commune_report(
    session: Session,
    scope: Scope,
    commune_code: int,
    month: dt.date,
    *,
    today: dt.date,
    tz: ZoneInfo,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """A commune's month: villages, totals, indicators, sessions, and the submission."""
    commune = get_commune(session, commune_code)
    scope.check_commune(commune_code, commune.province_code)
    province = get_province(session, commune.province_code)
    period = Period.month(month_start(month))
    progress = commune_progress(session, scope, commune_code, period, max(today, period.end))
    report = report_for(session, commune_code, period.start)
    due = due_date(period.start, deadline_day(session, commune.province_code))
    lines = sessions_in(session, scope, commune_code, commune.province_code, period.start, period.end)
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "kind": "commune",
        "month": period.start.strftime("%Y-%m"),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "commune": {"code": commune.code, "name": commune.name},
        "province": {"code": province.code, "name": province.name},
        "deadline": due.isoformat(),
        **_report_fields(report, tz),
        "weeks_in_month": weeks_between(period.start, period.end),
        "totals": _commune_totals(progress),
        "villages": [
            {
                "id": v.village_id,
                "name": v.name,
                "sessions": v.sessions,
                "attendees": v.attendees,
                "help": dict(sorted(v.help.items())),
                "helped": v.helped,
                "weeks_with_session": v.weeks_with_session,
            }
            for v in progress.villages
        ],
        "indicators": [_indicator(i) for i in progress.indicators],
        "sessions": [
            {"id": s.id, "date": s.day.isoformat(), "village": s.village, "topics": s.topics, "attendees": s.attendees}
            for s in lines
        ],
        "generated_at": _local(now, tz) if now else None,
    }
    programmes = commune_programmes(session, scope, commune_code, period.start)
    if programmes:
        data["programmes"] = [p.as_json() for p in programmes]
    own = commune_own_indicators(session, scope, commune_code, period.start)
    if own:
        data["own_indicators"] = [o.as_json() for o in own]
    return data


def _commune_totals(progress: CommuneProgress) -> dict[str, Any]:
    """The commune's totals over its villages, for the commune report."""
    return {
        "villages": len(progress.villages),
        "villages_with_session": sum(1 for v in progress.villages if v.sessions),
        "sessions": progress.sessions,
        "attendees": progress.attendees,
        "help": dict(sorted(progress.help.items())),
        "helped": progress.helped,
        "weeks_with_session": progress.weeks_with_session,
    }


def province_report(
    session: Session, scope: Scope, province_code: int, month: dt.date, *, tz: ZoneInfo, now: dt.datetime | None = None
) -> dict[str, Any]:
    """A province's month: who reported (on time or late), the roll-up, every commune's totals."""
    rollup = province_rollup(session, scope, province_code, month)
    period = rollup.period
    reports = reports_of_month(session, [c.code for c in rollup.communes if c.submitted], period.start)
    sums = rollup.indicator_sums()
    programmes = province_programmes(session, scope, province_code, period.start, [c.code for c in rollup.communes])
    own = province_own_indicators(session, scope, province_code, period.start, [c.code for c in rollup.communes])
    communes = []
    for c in rollup.communes:
        report = reports.get(c.code)
        communes.append(
            {
                "code": c.code,
                "name": c.name,
                "submitted": c.submitted,
                "submitted_at": _local(report.submitted_at, tz) if report and c.submitted else None,
                "on_time": c.on_time if c.submitted else None,
                "villages": c.villages,
                "villages_with_session": c.villages_with_session,
                "sessions": c.sessions,
                "attendees": c.attendees,
                "help": dict(sorted(c.help.items())),
                "helped": c.helped,
                "weeks_with_session": c.weeks_with_session,
                "village_weeks": c.village_weeks,
                "indicators": [
                    {
                        "id": i,
                        "numerator": c.figures[i][0],
                        "denominator": c.figures[i][1],
                        "percent": percent_of(*c.figures[i]),
                        "target": c.targets.get(i),
                    }
                    for i in INDICATORS
                    if i in c.figures
                ],
            }
        )
        if programmes:
            communes[-1]["programmes"] = [p.as_json() for p in programmes.communes.get(c.code, [])]
        if own:
            communes[-1]["own_indicators"] = [o.as_json() for o in own.communes.get(c.code, [])]
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "kind": "province",
        "month": period.start.strftime("%Y-%m"),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "province": {"code": rollup.province_code, "name": rollup.province_name},
        "deadline": due_date(period.start, deadline_day(session, province_code)).isoformat(),
        "communes_expected": rollup.expected,
        "communes_submitted": rollup.submitted,
        "communes_on_time": rollup.on_time_count,
        "communes_late": rollup.submitted - rollup.on_time_count,
        "reporting_rate": rollup.reporting_rate,
        "on_time_rate": rollup.on_time_rate,
        "totals": {
            "villages": sum(c.villages for c in rollup.communes),
            "villages_with_session": sum(c.villages_with_session for c in rollup.communes),
            "sessions": rollup.sessions,
            "attendees": rollup.attendees,
            "help": dict(sorted(rollup.help.items())),
            "helped": sum(rollup.help.values()),
        },
        "indicators": [{**_indicator(i), "communes_reporting": rollup.reporting_figures(i.id)} for i in sums],
        "furthest_behind": [c.code for c in rollup.furthest_behind()],
        "communes": communes,
        "generated_at": _local(now, tz) if now else None,
    }
    if programmes:
        data["programmes"] = [p.as_json() for p in programmes.total]
    if own:
        data["own_indicators"] = [{**o.as_json(), "communes_reporting": o.communes_entered} for o in own.total]
    return data


Rows = list[list[Any]]


def to_csv(data: dict[str, Any]) -> str:
    """The report as CSV: one table per section, separated by an empty line, one header row each; the
    programmes' and own indicators' tables last, only where the province has them."""
    if data["kind"] == "commune":
        sections = [_commune_csv_head(data), _villages_csv(data), _indicators_csv(data), _sessions_csv(data)]
    else:
        sections = [_province_csv_head(data), _communes_csv(data), _indicators_csv(data)]
    if "programmes" in data:
        sections.append(_programmes_csv(data))
    if "own_indicators" in data:
        sections.append(_own_indicators_csv(data))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for number, rows in enumerate(sections):
        if number:
            writer.writerow([])
        writer.writerows(rows)
    return out.getvalue()


def _commune_csv_head(data: dict[str, Any]) -> Rows:
    """The commune, the month and the submission: one header row and one value row."""
    return [
        ["commune_code", "commune", "month", "status", "submitted_at", "on_time", "deadline"],
        [
            data["commune"]["code"],
            data["commune"]["name"],
            data["month"],
            data["status"],
            data["submitted_at"] or "",
            _flag(data["on_time"]),
            data["deadline"],
        ],
    ]


def activity_figures(row: dict[str, Any]) -> list[Any]:
    """Activity columns of a village or the commune total (sessions … helped), shared by the CSV and the XLSX."""
    return [
        row["sessions"],
        row["attendees"],
        row["weeks_with_session"],
        *[row["help"].get(k, 0) for k in HELP_KINDS],
        row["helped"],
    ]


def _villages_csv(data: dict[str, Any]) -> Rows:
    """One row per village, then the commune's TOTAL row."""
    return [
        ["village", "sessions", "attendees", "weeks_with_session", *HELP_KINDS, "helped"],
        *[[v["name"], *activity_figures(v)] for v in data["villages"]],
        ["TOTAL", *activity_figures(data["totals"])],
    ]


PROVINCE_CSV_HEADER = [
    "province_code",
    "province",
    "month",
    "communes_expected",
    "communes_submitted",
    "communes_on_time",
    "reporting_rate",
    "on_time_rate",
    "deadline",
]


def _province_csv_head(data: dict[str, Any]) -> Rows:
    """The province, the month and who reported: one header row and one value row."""
    return [
        PROVINCE_CSV_HEADER,
        [
            data["province"]["code"],
            data["province"]["name"],
            data["month"],
            data["communes_expected"],
            data["communes_submitted"],
            data["communes_on_time"],
            _num(data["reporting_rate"]),
            _num(data["on_time_rate"]),
            data["deadline"],
        ],
    ]


COMMUNES_CSV_HEADER = [
    "code",
    "commune",
    "submitted",
    "submitted_at",
    "on_time",
    "villages",
    "villages_with_session",
    "sessions",
    "attendees",
    "weeks_with_session",
    *HELP_KINDS,
    "helped",
]


def _communes_csv(data: dict[str, Any]) -> Rows:
    """One row per commune of the province: its submission and its totals."""
    return [COMMUNES_CSV_HEADER, *[_commune_csv_row(c) for c in data["communes"]]]


def _commune_csv_row(c: dict[str, Any]) -> list[Any]:
    """A commune's row in the province CSV."""
    return [
        c["code"],
        c["name"],
        _flag(c["submitted"]),
        c["submitted_at"] or "",
        _flag(c["on_time"]),
        c["villages"],
        c["villages_with_session"],
        c["sessions"],
        c["attendees"],
        c["weeks_with_session"],
        *[c["help"].get(k, 0) for k in HELP_KINDS],
        c["helped"],
    ]


def _indicators_csv(data: dict[str, Any]) -> Rows:
    """One row per indicator: its figures, the target and whether it is on track."""
    header = ["indicator", "numerator", "denominator", "percent", "target", "on_track"]
    return [
        header,
        *[
            [
                i["id"],
                _num(i["numerator"]),
                _num(i["denominator"]),
                _num(i["percent"]),
                _num(i["target"]),
                _flag(i["on_track"]),
            ]
            for i in data["indicators"]
        ],
    ]


PROGRAMMES_CSV_HEADER = [
    "commune_code",
    "commune",
    "programme",
    "figure",
    "month_figure",
    "denominator",
    "percent",
    "target",
    "on_track",
    "commune_month_figure",
    "logged_month_figure",
    "logged_figure",
    "communes_entered",
]


def _area_rows(data: dict[str, Any], key: str) -> list[tuple[Any, str, dict[str, Any]]]:
    """(commune code, name, item) of a report's list `key`: the commune's, or the province's TOTAL then
    each commune's."""
    if data["kind"] == "commune":
        return [(data["commune"]["code"], data["commune"]["name"], item) for item in data[key]]
    rows = [("", "TOTAL", item) for item in data[key]]
    for commune in data["communes"]:
        rows += [(commune["code"], commune["name"], item) for item in commune.get(key, [])]
    return rows


def _programmes_csv(data: dict[str, Any]) -> Rows:
    """One row per programme of the commune (or of the province, then of each commune)."""
    return [
        PROGRAMMES_CSV_HEADER,
        *[
            [
                code,
                name,
                p["id"],
                _num(p["figure"]),
                _num(p["month_figure"]),
                _num(p["denominator"]),
                _num(p["percent"]),
                _num(p["target"]),
                _flag(p["on_track"]),
                *(_num(p.get(key)) for key in PROGRAMMES_CSV_HEADER[-4:]),
            ]
            for code, name, p in _area_rows(data, "programmes")
        ],
    ]


def _own_indicators_csv(data: dict[str, Any]) -> Rows:
    """One row per own indicator of the province, as the programmes."""
    header = ["commune_code", "commune", "own_indicator", "unit", "value", "year_to_date", "target", "on_track"]
    return [
        header,
        *[
            [
                code,
                name,
                o["id"],
                o["unit"],
                _num(o["value"]),
                o["year_to_date"],
                _num(o["target"]),
                _flag(o["on_track"]),
            ]
            for code, name, o in _area_rows(data, "own_indicators")
        ],
    ]


def _sessions_csv(data: dict[str, Any]) -> Rows:
    """One row per session of the commune's month, topics joined with |."""
    rows = [[s["date"], s["village"], "|".join(s["topics"]), s["attendees"]] for s in data["sessions"]]
    return [["date", "village", "topics", "attendees"], *rows]


def _flag(value: bool | None) -> str:
    """A yes/no for CSV: true, false, or empty when unknown."""
    return "" if value is None else ("true" if value else "false")


def _num(value: Any) -> str:
    """A number for CSV, empty when there is none."""
    return "" if value is None else str(value)


def file_name(data: dict[str, Any], extension: str) -> str:
    """bao-cao-18196-2026-11.xlsx, bao-cao-tinh-42-2026-11.json."""
    if data["kind"] == "commune":
        return f"bao-cao-{data['commune']['code']}-{data['month']}.{extension}"
    return f"bao-cao-tinh-{data['province']['code']}-{data['month']}.{extension}"
