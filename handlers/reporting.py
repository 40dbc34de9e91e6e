"""Pieces shared by the progress, indicator, monthly-report and province handlers: reading a month or a
period out of plain words, labels, indicator lines, and sending a generated file."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

from bot.i18n import Translator
from bot.messages import Reply
from handlers.base import Turn
from storage import outbox
from storage.files import MIME_PNG, MIME_XLSX, save_file
from storage.indicators import INDICATORS, short_label
from storage.models import ChannelAccount, Member, MonthlyReport
from storage.progress import PERIOD_MONTH, PERIOD_QUARTER, PERIOD_WEEK, IndicatorProgress, Period
from storage.reports import accounts_of, month_start, previous_month
from storage.text import fold

_MONTH_WORDS = re.compile(r"\b(?:thang|th|t)\s*(\d{1,2})(?:\s*(?:/|-|nam)\s*(\d{4}))?\b")
_MONTH_NUMBERS = re.compile(r"^\s*(\d{1,2})(?:\s*[/-]\s*(\d{4}))?\s*$")
_ISO_MONTH = re.compile(r"\b(\d{4})-(\d{1,2})\b")
_QUARTER = re.compile(r"\bquy\s*(\d|i{1,3}|iv)\b")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def month_from_text(text: str, today: dt.date) -> dt.date | None:
    """The month named in some words: "tháng 10", "thang 10/2026", "10", "2026-10", "tháng này", "tháng trước".

    A month without a year is the latest one not after this month (in November, "tháng 12" is last December).
    """
    key = fold(text)
    if "thang nay" in key or "this month" in key:
        return month_start(today)
    if "thang truoc" in key or "last month" in key:
        return previous_month(today)
    match = _ISO_MONTH.search(key)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
    else:
        match = _MONTH_WORDS.search(key) or _MONTH_NUMBERS.match(key)
        if not match:
            return None
        month = int(match.group(1))
        year = int(match.group(2)) if match.group(2) else today.year
        if not match.group(2) and 1 <= month <= 12 and dt.date(year, month, 1) > today:
            year -= 1
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        return None
    return dt.date(year, month, 1)


def period_from_text(text: str, today: dt.date) -> Period | None:
    """The period named in some words: this/last week, a month, this/a quarter; None if none is named."""
    key = fold(text)
    if "tuan truoc" in key or "last week" in key:
        return Period.holding(PERIOD_WEEK, today - dt.timedelta(days=7))
    if "tuan" in key or "week" in key:
        return Period.holding(PERIOD_WEEK, today)
    quarter = _QUARTER.search(key)
    if quarter:
        raw = quarter.group(1)
        number = int(raw) if raw.isdigit() else _ROMAN[raw]
        if 1 <= number <= 4:
            year = today.year if 3 * number - 2 <= today.month else today.year - 1
            return Period.holding(PERIOD_QUARTER, dt.date(year, 3 * number - 2, 1))
    if "quy truoc" in key:
        return Period.holding(PERIOD_QUARTER, Period.holding(PERIOD_QUARTER, today).start - dt.timedelta(days=1))
    if "quy" in key or "quarter" in key:
        return Period.holding(PERIOD_QUARTER, today)
    month = month_from_text(text, today)
    if month is not None:
        return Period.month(month)
    if "thang" in key or "month" in key:
        return Period.holding(PERIOD_MONTH, today)
    return None


def period_kind(text: str) -> str | None:
    """tuần / tháng / quý (with or without diacritics) as a period kind."""
    key = fold(text)
    for words, kind in (
        (("tuan", "week"), PERIOD_WEEK),
        (("thang", "month"), PERIOD_MONTH),
        (("quy", "quarter"), PERIOD_QUARTER),
    ):
        if key in words or any(key.startswith(w + " ") for w in words):
            return kind
    return None


def month_label(turn: Turn, month: dt.date) -> str:
    """11/2026."""
    return turn._("{month}/{year}").format(month=f"{month.month:02d}", year=month.year)


def period_label(turn: Turn, period: Period) -> str:
    """«tuần 23/11 – 29/11/2026», «tháng 11/2026», «quý 4/2026»."""
    _ = turn._
    if period.kind == PERIOD_WEEK:
        return _("tuần {start} – {end}").format(start=turn.tr.short_date(period.start), end=turn.tr.date(period.end))
    if period.kind == PERIOD_QUARTER:
        return _("quý {quarter}/{year}").format(quarter=period.quarter, year=period.start.year)
    return _("tháng {month}").format(month=month_label(turn, period.start))


def percent_text(turn: Turn, value: float | None) -> str:
    return "—" if value is None else turn.tr.percent(value / 100)


def indicator_icon(item: IndicatorProgress) -> str:
    if item.percent is None:
        return "⚪"
    if item.target is not None and item.percent >= item.target:
        return "✅"
    if item.on_track is None:
        return "🔵"
    return "🟢" if item.on_track else "🔴"


def indicator_line(turn: Turn, item: IndicatorProgress, with_change: bool = True, full: bool = False) -> str:
    """«🔴 Xác nhận trên VNeID: 24,7% (1.234/5.000) · chỉ tiêu 80% · chậm tiến độ · +4,7 điểm»."""
    _ = turn._
    tr = turn.tr
    name = _(INDICATORS[item.id][0]) if full else _(short_label(item.id))
    if item.percent is None:
        return _("{icon} {name}: chưa nhập").format(icon=indicator_icon(item), name=name)
    parts = [
        _("{icon} {name}: {percent} ({n}/{d})").format(
            icon=indicator_icon(item),
            name=name,
            percent=percent_text(turn, item.percent),
            n=tr.number(item.numerator or 0),
            d=tr.number(item.denominator or 0),
        )
    ]
    if item.target is not None:
        parts.append(_("chỉ tiêu {target}").format(target=percent_text(turn, item.target)))
        if item.percent >= item.target:
            parts.append(_("đã đạt"))
        elif item.on_track:
            parts.append(_("đúng tiến độ"))
        else:
            parts.append(_("chậm tiến độ"))
    change = item.change
    if with_change and change is not None:
        sign = "+" if change > 0 else ("−" if change < 0 else "±")
        parts.append(
            _("{sign}{points} điểm so với tháng trước").format(sign=sign, points=tr.number(round(abs(change), 1)))
        )
    return " · ".join(parts)


def send_file(turn: Turn, *, content: bytes, filename: str, kind: str, caption: str) -> None:
    """Keep a generated file and reply with it (a picture or a document)."""
    mime = MIME_PNG if kind == "photo" else MIME_XLSX
    stored = save_file(turn.session, content=content, filename=filename, mime_type=mime, now=turn.now)
    turn.replies.append(Reply(text=caption, file_token=stored.token, file_kind=kind))


def notify(
    turn: Turn, recipients: Sequence[tuple[Member, ChannelAccount]], text: Callable[[Translator], str], key: str
) -> int:
    """Tell other people, each in their own language, through the outbox (once per key and account)."""
    count = 0
    for person, account in recipients:
        if turn.member is not None and person.id == turn.member.id:
            continue
        message = text(Translator(person.locale))
        item = outbox.enqueue(
            turn.session,
            channel=account.channel,
            chat_id=account.chat_id,
            kind=outbox.KIND_MESSAGE,
            payload=Reply(text=message).to_payload(),
            now=turn.now,
            idempotency_key=f"{key}:{account.id}",
        )
        count += 1 if item is not None else 0
    return count


def tell_about_report(
    turn: Turn,
    report: MonthlyReport,
    event: str,
    text: Callable[[Translator], str],
    *,
    role: str,
    province_code: int | None = None,
    commune_code: int | None = None,
) -> int:
    """Tell the members with `role` in an area that a commune's monthly report was `event` (submitted,
    reopened), once per account for this event at this time; how many were told."""
    recipients = accounts_of(turn.session, role=role, province_code=province_code, commune_code=commune_code)
    return notify(turn, recipients, text, key=f"report-{event}:{report.id}:{turn.now.isoformat()}")
