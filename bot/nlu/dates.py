"""Which day a report is about.

Recognised (on folded tokens, so accents are optional):

* relative days: ``hôm nay``/``hnay``/``nay`` (first word), ``sáng|trưa|chiều|
  tối|đêm nay``; ``hôm qua``/``hqua``/``bữa qua``, ``sáng|trưa|chiều|tối|đêm
  (hôm) qua``; ``hôm kia``; ``ngày mai``/``tối mai`` (future);
* weekdays ``thứ 2..7``, ``thứ hai..bảy``, ``t2..t7``, ``chủ nhật``, ``cn``:
  the most recent such day on or before today (today itself when it is that
  weekday); with ``tuần trước``/``tuần rồi`` the day of the previous
  Monday-based week;
* numeric ``12/11``, ``12-11``, ``12.11``, ``12/11/2026``, ``12/11/26``,
  optionally after ``ngày``/``hôm``; ``ngày 12 tháng 11 (năm 2026)``,
  ``12 tháng 11``; ``ngày 12`` alone = that day of the current month, or of
  the previous month when that would be in the future.  A day/month with no
  year that would be in the future refers to last year.

Digits used by a date, a month (``tháng 11``), a year (``năm 2026``) or an
ordinal (``buổi thứ 2``) are claimed here so they never become counts.
Problems reported: ``future_date`` (an explicit date after today, or
"mai"), ``invalid_date`` (a day that is not on the calendar).

An impossible day is never turned into another one: ``30/02``, ``31/04``,
``ngày 31 tháng 4``, ``ngày 32``, ``32 tháng 1``, ``15/13`` after ``ngày``
or at the start of the message, ``30/13/2026``, ``tháng 13``, ``thứ 8``
give ``invalid_date`` and no date (their text in
:attr:`DateResult.invalid_texts`), and their digits are claimed so they
never become counts.  Out-of-range pairs elsewhere stay pairs ("23/30
người"); a dotted pair before a people unit is a decimal ("3.5 người").
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.nlu.lexicon import ORDINAL_PREV
from bot.nlu.normalize import Token, span_text, tokenize

__all__ = ["DateResult", "find_dates", "read_day", "resolve_day_month", "resolve_weekday"]

_WEEKDAY_WORDS: dict[str, int] = {
    # value = Python weekday(): Monday=0 .. Sunday=6
    "hai": 0,
    "ba": 1,
    "tu": 2,
    "bon": 2,
    "nam": 3,
    "sau": 4,
    "bay": 5,
}
_WEEKDAY_NUM: dict[int, int] = {2: 0, 3: 1, 4: 2, 5: 3, 6: 4, 7: 5, 8: 6}
#: "thứ 8", "thứ 1", "thứ 0", "thứ 9": named like a weekday, but there is no such day
_NOT_WEEKDAYS = frozenset({0, 1, 8, 9})

_PART_OF_DAY = frozenset({"sang", "trua", "chieu", "toi", "dem", "khuya"})
_DAY_WORDS = frozenset({"hom", "bua", "ngay"})
#: "hôm nay", "tối qua", "hôm kia", "tối mai": days after today
_RELATIVE_DAYS = {"nay": 0, "qua": -1, "kia": -2, "mai": 1}
_ORDINAL_NOUNS = frozenset(
    {
        "buoi",
        "lan",
        "dot",
        "tuan",
        "khoa",
        "lop",
        "nhom",
        "tiet",
        "phan",
        "bai",
        "hang",
        "muc",
        "cap",
        "giai",
        "doan",
        "chuong",
        "cau",
        "nguoi",
        "ten",
        "so",
        "dung",
        "xep",
    }
)
_VILLAGE_WORDS = frozenset({"thon", "xom", "to", "tdp", "ban", "ap", "kp", "khu", "khoi", "doi", "lang", "pho"})
_NUMBER_TAKERS = _VILLAGE_WORDS | ORDINAL_PREV
#: Folded words a day rule can start at (besides numbers and numeric dates); the others are skipped at once.
_RULE_WORDS = (
    _DAY_WORDS
    | _PART_OF_DAY
    | {"thang", "nam", "hnay", "homnay", "nay", "hn", "hqua", "homqua", "mai", "thu", "t", "chu", "cn", "chunhat"}
)
#: what is counted in "2-3 buổi", "2-3 lần", "2-3 lớp", "2-3 đợt"
_RANGE_COUNT_NOUNS = frozenset({"buoi", "lan", "lop", "dot"})
_PEOPLE_UNIT_FOLDS = frozenset({"nguoi", "ng", "luot", "ho", "hv", "ba", "hs", "tk"})


@dataclass(slots=True)
class DateResult:
    """Outcome of :func:`find_dates`."""

    date: _dt.date | None = None
    named: bool = False
    problems: list[str] = field(default_factory=list)
    #: the text of each impossible day named ("30/02", "ngày 31 tháng 4")
    invalid_texts: list[str] = field(default_factory=list)


def resolve_weekday(today: _dt.date, weekday: int, weeks_back: int = 0) -> _dt.date:
    """Most recent ``weekday`` (Mon=0) on or before ``today``.

    With ``weeks_back`` = 1 the day of the previous Monday-based week.
    """
    if weeks_back:
        monday = today - _dt.timedelta(days=today.weekday())
        return monday - _dt.timedelta(days=7 * weeks_back) + _dt.timedelta(days=weekday)
    delta = (today.weekday() - weekday) % 7
    return today - _dt.timedelta(days=delta)


def resolve_day_month(today: _dt.date, day: int, month: int, year: int | None) -> tuple[_dt.date | None, str | None]:
    """Build a date from parts; a year-less date in the future is last year's.

    Returns (date, problem) where problem is ``invalid_date`` or
    ``future_date`` (only possible with an explicit year).
    """
    if year is not None and year < 100:
        year += 2000
    y = year if year is not None else today.year
    try:
        d = _dt.date(y, month, day)
    except ValueError:
        if year is None:
            try:  # e.g. 29/02 named in a non-leap year: try last year
                d = _dt.date(y - 1, month, day)
                if d <= today:
                    return d, None
            except ValueError:
                pass
        return None, "invalid_date"
    if d > today:
        if year is None:
            try:
                return _dt.date(y - 1, month, day), None
            except ValueError:
                return None, "invalid_date"
        return d, "future_date"
    return d, None


def _resolve_day_only(today: _dt.date, day: int) -> tuple[_dt.date | None, str | None]:
    """``ngày N``: this month, or last month when N is after today."""
    y, m = today.year, today.month
    if day > today.day:
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    try:
        return _dt.date(y, m, day), None
    except ValueError:
        return None, "invalid_date"


def _w(tokens: Sequence[Token], i: int) -> str:
    """Folded word at ``i`` if it is a free word token, else ''."""
    if 0 <= i < len(tokens):
        t = tokens[i]
        if t.kind == "word" and t.role is None:
            return t.fold
    return ""


def _num(tokens: Sequence[Token], i: int) -> int | None:
    """The value of a free number token at ``i``, else None."""
    if 0 <= i < len(tokens):
        t = tokens[i]
        if t.kind == "num" and t.role is None:
            return t.value
    return None


def _claim(tokens: Sequence[Token], a: int, b: int, role: str = "date") -> None:
    """Mark tokens ``a..b-1`` as used by a day (or a month, year, ordinal) so no count takes them."""
    for k in range(max(a, 0), min(b, len(tokens))):
        tokens[k].role = role


def _next_is_people_unit(tokens: Sequence[Token], i: int) -> bool:
    """Whether a people unit ("người", "lượt", "bà con") starts at ``i``: the number before it is a count."""
    if i < len(tokens) and tokens[i].kind == "word":
        f = tokens[i].fold
        if f in _PEOPLE_UNIT_FOLDS:
            # "ba" only as "bà con"
            return f != "ba" or _w(tokens, i + 1) == "con"
    return False


def _is_count_range(tokens: Sequence[Token], i: int) -> bool:
    """Whether the dashed day-month token at ``i`` is a range of things counted ("2-3 buổi", "2-3 lần"), not a
    day: a count noun follows it, and not a part of the day ("12-11 buổi sáng" is a day)."""
    if "-" not in tokens[i].orig or _w(tokens, i + 1) not in _RANGE_COUNT_NOUNS:
        return False
    return _w(tokens, i + 2) not in _PART_OF_DAY


def _weeks_back_after(tokens: Sequence[Token], i: int) -> tuple[int, int]:
    """``tuần trước``/``tuần rồi``/``tuần qua`` right after a weekday."""
    if _w(tokens, i) == "tuan" and _w(tokens, i + 1) in ("truoc", "roi", "qua"):
        return 1, i + 2
    if _w(tokens, i) == "tuan" and _w(tokens, i + 1) == "nay":
        return 0, i + 2
    return 0, i


def find_dates(tokens: Sequence[Token], today: _dt.date) -> DateResult:
    """Find the day a report names; claims the date tokens (role ``date``).

    The first named day wins.  Month/year mentions and ordinals ("buổi thứ
    2") are claimed too (roles ``month``, ``year``, ``ordinal``) but do not
    set a date.
    """
    return _DateReader(tokens, today).read()


class _DateReader:
    """One pass over the tokens: each rule reads the day words at ``i`` and says where to go on."""

    def __init__(self, tokens: Sequence[Token], today: _dt.date) -> None:
        """Start reading ``tokens`` with ``today`` as the anchor of relative days."""
        self.tokens = tokens
        self.today = today
        self.res = DateResult()
        self.found: list[tuple[_dt.date, bool]] = []  # (date, future)

    def read(self) -> DateResult:
        """Run every rule at each free token; the first day named wins."""
        rules = (self._numeric, self._ngay, self._day_month, self._month_or_year, self._relative, self._weekday)
        tokens = self.tokens
        i = 0
        while i < len(tokens):
            t = tokens[i]
            if t.role is not None:
                i += 1
                continue
            f = t.fold if t.kind == "word" else ""
            if t.kind not in ("date", "num") and f not in _RULE_WORDS:
                i += 1  # no rule starts here: most words of a message
                continue
            nxt: int | None = None
            for rule in rules:
                nxt = rule(i, t, f)
                if nxt is not None:
                    break
            i = nxt if nxt is not None else i + 1
        res = self.res
        if self.found:
            res.date, future = self.found[0]
            res.named = True
            if not future and "future_date" in res.problems:
                res.problems.remove("future_date")
            if len({d for d, _ in self.found}) > 1 and "two_dates" not in res.problems:
                res.problems.append("two_dates")  # which day is meant is asked, never picked
        return res

    def add(self, d: _dt.date | None, problem: str | None, span: tuple[int, int] | None = None) -> None:
        """Record a day named (or its problem, with the text of an impossible one)."""
        if problem and problem not in self.res.problems:
            self.res.problems.append(problem)
        if problem == "invalid_date" and span is not None:
            self.res.invalid_texts.append(span_text(self.tokens, *span))
        if d is not None:
            self.found.append((d, problem == "future_date"))

    def invalid(self, a: int, b: int) -> None:
        """An impossible day: reported, and its digits claimed so they are never a count."""
        self.add(None, "invalid_date", (a, b))
        _claim(self.tokens, a, b)

    def _numeric(self, i: int, t: Token, f: str) -> int | None:
        """A numeric date token: 12/11, 12-11, 12.11.2026 (or a range, share or decimal it turns out to be)."""
        if t.kind != "date":
            return None
        tokens = self.tokens
        parts = t.parts
        day, month = parts[0], parts[1]
        year = parts[2] if len(parts) > 2 else None
        start = i - 1 if _w(tokens, i - 1) in _DAY_WORDS else i
        if _next_is_people_unit(tokens, i + 1) or (start == i and year is None and _is_count_range(tokens, i)):
            # "15-20 người", "23/30 người": a range or a share; "3.5 người": a decimal; "2-3 buổi": a range
            t.kind = "dec" if "." in t.orig else "pair"
            return i + 1
        if not (1 <= month <= 12 and 1 <= day <= 31):
            if _meant_as_date(tokens, i, start, day, month, year):
                self.invalid(start, i + 1)
            else:  # "23/30", "4.0": not a date
                t.kind = "dec" if "." in t.orig else "pair"
            return i + 1
        self.add(*resolve_day_month(self.today, day, month, year), span=(start, i + 1))
        _claim(tokens, start, i + 1)
        return i + 1

    def _ngay(self, i: int, t: Token, f: str) -> int | None:
        """``ngày N [tháng M [năm Y]]``, ``ngày mai``; ``ngày hôm qua`` is left to the "hôm" rule."""
        if f != "ngay":
            return None
        tokens = self.tokens
        d = _num(tokens, i + 1)
        if d is not None and 1 <= d <= 31 and not _next_is_people_unit(tokens, i + 2):
            j = i + 2
            month: int | None = None
            year: int | None = None
            if _w(tokens, j) == "thang" and _num(tokens, j + 1) is not None:
                month = _num(tokens, j + 1)
                j += 2
                if _w(tokens, j) == "nam" and _num(tokens, j + 1) is not None:
                    year = _num(tokens, j + 1)
                    j += 2
            if month is not None:
                self.add(*resolve_day_month(self.today, d, month, year), span=(i, j))
            else:
                self.add(*_resolve_day_only(self.today, d), span=(i, j))
            _claim(tokens, i, j)
            return j
        if d is not None and d <= 99 and not _next_is_people_unit(tokens, i + 2):
            self.invalid(i, _month_year_end(tokens, i + 2))  # "ngày 32", "ngày 0 tháng 5"
            return _month_year_end(tokens, i + 2)
        if _w(tokens, i + 1) == "mai":
            self.add(self.today + _dt.timedelta(days=1), "future_date")
            _claim(tokens, i, i + 2)
            return i + 2
        if _w(tokens, i + 1) == "hom" and _w(tokens, i + 2) in ("qua", "nay", "kia"):
            tokens[i].role = "date"  # "ngày hôm qua": let the "hôm" rule handle it
            return i + 1
        return None

    def _day_month(self, i: int, t: Token, f: str) -> int | None:
        """``N tháng M [năm Y]`` (day, month), or an impossible one ("32 tháng 1", "15 tháng 13")."""
        tokens = self.tokens
        if not (
            t.kind == "num"
            and _w(tokens, i + 1) == "thang"
            and _num(tokens, i + 2) is not None
            and (i == 0 or tokens[i - 1].fold not in _NUMBER_TAKERS)
        ):
            return None
        d, m = t.value or 0, _num(tokens, i + 2) or 0
        if 1 <= d <= 31 and 1 <= m <= 12:
            j = i + 3
            year = None
            if _w(tokens, j) == "nam" and _num(tokens, j + 1) is not None:
                year = _num(tokens, j + 1)
                j += 2
            self.add(*resolve_day_month(self.today, d, m, year), span=(i, j))
            _claim(tokens, i, j)
            return j
        if d <= 99 and m <= 99 and not _next_is_people_unit(tokens, i + 3):
            j = _month_year_end(tokens, i + 1)
            self.invalid(i, j)
            return j
        return None

    def _month_or_year(self, i: int, t: Token, f: str) -> int | None:
        """``tháng M`` and ``năm YYYY``: claimed, not a day; ``tháng 13`` is an impossible one."""
        tokens = self.tokens
        if f == "thang" and _num(tokens, i + 1) is not None and 1 <= (_num(tokens, i + 1) or 0) <= 12:
            _claim(tokens, i, i + 2, "month")
            return i + 2
        month_named = _num(tokens, i + 1) if f == "thang" else None
        if (
            month_named is not None
            and (month_named == 0 or 13 <= month_named <= 99)
            and not _next_is_people_unit(tokens, i + 2)
        ):
            self.invalid(i, i + 2)  # "tháng 13"
            return i + 2
        if f == "nam" and (_num(tokens, i + 1) or 0) >= 1900:
            _claim(tokens, i, i + 2, "year")
            return i + 2
        return None

    def _relative(self, i: int, t: Token, f: str) -> int | None:
        """``hôm nay``, ``tối qua``, ``hôm kia``, ``tối mai``, ``hnay``; a part of the day before a weekday."""
        tokens, today = self.tokens, self.today
        if f in _DAY_WORDS or f in _PART_OF_DAY:
            j = i + 1
            if f in _PART_OF_DAY and _w(tokens, j) in _DAY_WORDS:
                j += 1
            nxt = _w(tokens, j)
            if nxt in _RELATIVE_DAYS and not (nxt == "mai" and f == "hom"):
                shift = _RELATIVE_DAYS[nxt]
                self.add(today + _dt.timedelta(days=shift), "future_date" if shift > 0 else None)
                _claim(tokens, i, j + 1)
                return j + 1
            # "tối thứ 7", "sáng chủ nhật", "hôm thứ 2": fall through to weekday
            if _w(tokens, j) in ("thu", "chu", "cn", "t"):
                _claim(tokens, i, j)
                return j
        if f in ("hnay", "homnay") or (f in ("nay", "hn") and i == _first_word_index(tokens)):
            self.add(today, None)
        elif f in ("hqua", "homqua"):
            self.add(today - _dt.timedelta(days=1), None)
        elif f == "mai" and t.plain and i == _first_word_index(tokens):
            self.add(today + _dt.timedelta(days=1), "future_date")
        else:
            return None
        _claim(tokens, i, i + 1)
        return i + 1

    def _weekday(self, i: int, t: Token, f: str) -> int | None:
        """``thứ 2..7``, ``thứ hai``, ``t2``, ``chủ nhật``, ``cn`` [``tuần trước``]; ``buổi thứ 2`` is an ordinal."""
        tokens = self.tokens
        wd: int | None = None
        j = i
        if f == "thu" and t.raw in ("thu", "thứ"):
            prev = tokens[i - 1].fold if i > 0 else ""
            # "buổi thứ 2": an ordinal, never a count nor a date
            if prev in _ORDINAL_NOUNS and (_num(tokens, i + 1) is not None or _w(tokens, i + 1) in _WEEKDAY_WORDS):
                _claim(tokens, i, i + 2, "ordinal")
                return i + 2
            nv = _num(tokens, i + 1)
            if nv is not None and nv in _WEEKDAY_NUM and nv != 8:
                wd, j = _WEEKDAY_NUM[nv], i + 2
            elif nv is not None and nv in _NOT_WEEKDAYS:
                self.invalid(i, i + 2)  # "thứ 8", "thứ 1": no such day
                return i + 2
            elif _w(tokens, i + 1) in _WEEKDAY_WORDS:
                w2 = tokens[i + 1]
                if w2.plain or w2.raw in ("hai", "ba", "tư", "bốn", "năm", "sáu", "bảy", "bẩy"):
                    wd, j = _WEEKDAY_WORDS[w2.fold], i + 2
        elif f == "t" and _num(tokens, i + 1) in _WEEKDAY_NUM and not tokens[i + 1].space_before:
            wd, j = _WEEKDAY_NUM[_num(tokens, i + 1) or 0], i + 2
        elif f == "chu" and _w(tokens, i + 1) == "nhat":
            wd, j = 6, i + 2
        elif f in ("cn", "chunhat"):
            wd, j = 6, i + 1
        if wd is None:
            return None
        back, j2 = _weeks_back_after(tokens, j)
        day = resolve_weekday(self.today, wd, back)
        self.add(day, "future_date" if day > self.today else None)
        _claim(tokens, i, j2)
        return j2


def _meant_as_date(tokens: Sequence[Token], i: int, start: int, day: int, month: int, year: int | None) -> bool:
    """Whether an out-of-range day/month token was meant as a day (so it is an impossible one).

    A year ("30/13/2026"), a day word before it ("ngày 15/20") or, at the
    start of the message, a month or day just off the calendar ("32/1",
    "15/13", "0/5") mark a date; "23/30" elsewhere stays a share.
    """
    if year is not None or start < i:
        return True
    if any(t.kind != "punct" for t in tokens[:i]):
        return False
    return (1 <= month <= 12 and (day == 0 or day > 31)) or (1 <= day <= 31 and month in (0, 13))


def _month_year_end(tokens: Sequence[Token], j: int) -> int:
    """End of an optional "tháng M [năm Y]" starting at ``j``."""
    if _w(tokens, j) == "thang" and _num(tokens, j + 1) is not None:
        j += 2
        if _w(tokens, j) == "nam" and _num(tokens, j + 1) is not None:
            j += 2
    return j


def read_day(text: str, today: _dt.date) -> DateResult:
    """The day a short typed answer names ("12/11", "hôm kia", "thứ 5"); an impossible one gives no date."""
    result = find_dates(tokenize(text), today)
    if "invalid_date" in result.problems or "two_dates" in result.problems:
        result.date = None
    return result


def _first_word_index(tokens: Sequence[Token]) -> int:
    """Index of the first word of the message, -1 when there is none."""
    for k, t in enumerate(tokens):
        if t.kind == "word":
            return k
    return -1
