"""The catalog of provinces' programmes: one TOML file per programme in this folder, read and checked at start-up.

A programme is data, not code: what is counted and in which unit, against what (a denominator, if any), the
yearly target rule, the words people use for it, and who enters it. A province turns programmes on
(`storage/programmes/provinces.py`); the loggers, the reader and the reports read them from here.

The format of a file (`programmes/<id>.toml`, the file named after its id):

    id = "gia_dinh_so"                  # lower-case letters, digits and "_"; the file's name
    entered_by = "village"              # village (logged by members) | commune (monthly) | both
    plans = ["Quảng Ngãi"]              # optional: the provincial plans it comes from
    indicator = "vneid_level2_activated"  # optional: its figure is this national indicator (/chiso)

    [name]                              # both required
    vi = "Gia đình số"
    en = "Digital family"

    [counted]                           # what is counted: a unit of UNITS, and in words
    unit = "households"
    vi = "..."
    en = "..."

    [[also_counted]]                    # optional, any number: a second figure of the programme (markets)
    unit = "markets"
    vi = "..."
    en = "..."

    [denominator]                       # optional: what a percent is taken of
    source = "village_households"       # village_households (set in /thon) | entered (typed with the figure)
    vi = "..."
    en = "..."

    [target]                            # the yearly target rule
    rule = "percent"                    # percent (of the denominator) | count (absolute) | per_mentor
    percent = 100                       # percent: optional, the plan's own figure, 0-100
    mentees = 5                         # per_mentor: required, each mentor guides at least this many

    [words]                             # how people name it, with diacritics; matched folded later
    vi = ["gia đình số", "hộ gia đình số"]

Any other key, a missing one or a value of the wrong kind stops the start-up with one line naming the file and
the key (:class:`CatalogError`); so does an id or a word used by two programmes.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.indicators import INDICATORS
from storage.text import fold
from storage.vocab import N_

#: the folder of the shipped catalog (package data: a wheel install carries it)
FOLDER = Path(__file__).resolve().parent

ENTERED_BY = ("village", "commune", "both")
RULE_PERCENT, RULE_COUNT, RULE_PER_MENTOR = "percent", "count", "per_mentor"
RULES = (RULE_PERCENT, RULE_COUNT, RULE_PER_MENTOR)
SOURCE_VILLAGE_HOUSEHOLDS, SOURCE_ENTERED = "village_households", "entered"
DENOMINATOR_SOURCES = (SOURCE_VILLAGE_HOUSEHOLDS, SOURCE_ENTERED)

# unit -> its label after a number (translated where shown)
UNITS: dict[str, str] = {
    "people": N_("người"),
    "households": N_("hộ"),
    "traders": N_("tiểu thương, nông dân"),
    "markets": N_("chợ"),
    "mentors": N_("đại sứ số"),
    "party_members": N_("đảng viên"),
}

_ID = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_TOP_KEYS = frozenset(
    {"id", "entered_by", "plans", "indicator", "name", "counted", "also_counted", "denominator", "target", "words"}
)
_TARGET_KEYS = {RULE_PERCENT: {"rule", "percent"}, RULE_COUNT: {"rule"}, RULE_PER_MENTOR: {"rule", "mentees"}}


class CatalogError(Exception):
    """A programme file that cannot be used: the message is one line, `<folder>/<file>: <key> <what is wrong>`."""


@dataclass(frozen=True)
class Measure:
    """One thing a programme counts, in a unit of UNITS."""

    unit: str
    vi: str
    en: str

    def text(self, locale: str) -> str:
        return self.en if locale == "en" else self.vi


@dataclass(frozen=True)
class Denominator:
    """What a programme's percent is taken of, and where that number comes from."""

    source: str  # village_households | entered
    vi: str
    en: str


@dataclass(frozen=True)
class TargetRule:
    """The yearly target rule: a percent of the denominator, an absolute count, or mentees per mentor.

    `percent` is the plan's own figure for a percent rule (None when the plan gives none); `mentees` the
    least number of mentees of each mentor. A province's own yearly target (`ProgrammeTarget.value`) is a
    percent for the percent rule and a whole number otherwise (people, markets, or mentors reaching `mentees`)."""

    rule: str
    percent: float | None = None
    mentees: int | None = None


@dataclass(frozen=True)
class Programme:
    """One programme of the catalog, as its file describes it."""

    id: str
    name_vi: str
    name_en: str
    counted: Measure
    also_counted: tuple[Measure, ...]
    denominator: Denominator | None
    target: TargetRule
    words: tuple[str, ...]
    entered_by: str
    plans: tuple[str, ...] = ()
    indicator: str | None = None  # its figure is this national indicator, entered with /chiso

    @property
    def unit(self) -> str:
        return self.counted.unit

    def name(self, locale: str) -> str:
        """The programme's name in a locale (English, else Vietnamese): names are data, not msgids."""
        return self.name_en if locale == "en" else self.name_vi

    @property
    def logged_by_villages(self) -> bool:
        return self.entered_by in ("village", "both")

    @property
    def entered_by_commune(self) -> bool:
        return self.entered_by in ("commune", "both")


@dataclass(frozen=True)
class Catalog:
    """The programmes in the order of their ids; `get` one by id, `by_word` the folded words people use."""

    programmes: tuple[Programme, ...]

    def __iter__(self) -> Iterator[Programme]:
        return iter(self.programmes)

    def __len__(self) -> int:
        return len(self.programmes)

    def __contains__(self, programme_id: object) -> bool:
        return any(p.id == programme_id for p in self.programmes)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.programmes)

    def get(self, programme_id: str) -> Programme | None:
        return next((p for p in self.programmes if p.id == programme_id), None)

    def by_word(self) -> dict[str, str]:
        """Folded word (and folded name, and id) -> programme id, longest first: what the reader matches."""
        pairs: dict[str, str] = {}
        for programme in self.programmes:
            for word in (*programme.words, programme.name_vi, programme.id.replace("_", " ")):
                pairs.setdefault(fold(word), programme.id)
        return dict(sorted(pairs.items(), key=lambda pair: -len(pair[0])))


class _File:
    """One file being read: every refusal names it and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = f"{path.parent.name}/{path.name}"

    def fail(self, key: str, what: str) -> CatalogError:
        return CatalogError(f"{self.label}: {key} {what}")

    def table(self, data: dict[str, Any], key: str, *, required: bool = True) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table" + (" (missing)" if value is None else ""))
        return value

    def text(self, data: dict[str, Any], key: str, prefix: str = "") -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(prefix + key, "must be a non-empty text" + (" (missing)" if value is None else ""))
        if "\n" in value:
            raise self.fail(prefix + key, "must be one line")
        return value.strip()

    def choice(self, data: dict[str, Any], key: str, choices: tuple[str, ...], prefix: str = "") -> str:
        value = data.get(key)
        if value not in choices:
            raise self.fail(prefix + key, "must be one of " + ", ".join(choices))
        return str(value)

    def no_other_keys(self, data: dict[str, Any], allowed: set[str] | frozenset[str], prefix: str = "") -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(prefix + key, "is not a known key (allowed: " + ", ".join(sorted(allowed)) + ")")

    def measure(self, data: dict[str, Any], prefix: str) -> Measure:
        self.no_other_keys(data, {"unit", "vi", "en"}, prefix)
        unit = self.choice(data, "unit", tuple(UNITS), prefix)
        return Measure(unit, self.text(data, "vi", prefix), self.text(data, "en", prefix))


def _number(value: Any) -> float | None:
    """A TOML number (not a boolean), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _target(file: _File, data: dict[str, Any], denominator: Denominator | None) -> TargetRule:
    rule = file.choice(data, "rule", RULES, "target.")
    file.no_other_keys(data, _TARGET_KEYS[rule], "target.")
    if rule == RULE_PERCENT:
        if denominator is None:
            raise file.fail("target.rule", "percent needs a [denominator] table")
        if "percent" not in data:
            return TargetRule(rule)
        percent = _number(data["percent"])
        if percent is None or not 0 < percent <= 100:
            raise file.fail("target.percent", "must be a number between 0 and 100")
        return TargetRule(rule, percent=percent)
    if rule == RULE_PER_MENTOR:
        mentees = data.get("mentees")
        if isinstance(mentees, bool) or not isinstance(mentees, int) or mentees < 1:
            raise file.fail("target.mentees", "must be a whole number of at least 1")
        return TargetRule(rule, mentees=mentees)
    return TargetRule(rule)


def _words(file: _File, data: dict[str, Any]) -> tuple[str, ...]:
    file.no_other_keys(data, {"vi"}, "words.")
    words = data.get("vi")
    if not isinstance(words, list) or not words:
        raise file.fail("words.vi", "must be a non-empty list of texts")
    seen: set[str] = set()
    for word in words:
        if not isinstance(word, str) or not fold(word):
            raise file.fail("words.vi", "must hold only non-empty texts")
        if fold(word) in seen:
            raise file.fail("words.vi", f"names «{word}» twice")
        seen.add(fold(word))
    return tuple(w.strip() for w in words)


def read_programme(path: Path) -> Programme:
    """One programme file, checked key by key; CatalogError (one line) at the first fault."""
    file = _File(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise file.fail("(the whole file)", "is not valid TOML: " + " ".join(str(error).split())) from None
    file.no_other_keys(data, _TOP_KEYS)
    programme_id = file.text(data, "id")
    if not _ID.match(programme_id):
        raise file.fail("id", "must be 2-40 lower-case letters, digits or '_', starting with a letter")
    if programme_id != path.stem:
        raise file.fail("id", f"must be the file's name ({path.stem})")
    name = file.table(data, "name") or {}
    file.no_other_keys(name, {"vi", "en"}, "name.")
    counted = file.table(data, "counted") or {}
    also = data.get("also_counted", [])
    if not isinstance(also, list) or not all(isinstance(a, dict) for a in also):
        raise file.fail("also_counted", "must be an array of tables ([[also_counted]])")
    denominator_data = file.table(data, "denominator", required=False)
    denominator = None
    if denominator_data is not None:
        file.no_other_keys(denominator_data, {"source", "vi", "en"}, "denominator.")
        denominator = Denominator(
            file.choice(denominator_data, "source", DENOMINATOR_SOURCES, "denominator."),
            file.text(denominator_data, "vi", "denominator."),
            file.text(denominator_data, "en", "denominator."),
        )
    indicator = data.get("indicator")
    if indicator is not None and indicator not in INDICATORS:
        raise file.fail("indicator", "must be one of the national indicators: " + ", ".join(INDICATORS))
    plans = data.get("plans", [])
    if not isinstance(plans, list) or not all(isinstance(p, str) and p.strip() for p in plans):
        raise file.fail("plans", "must be a list of texts")
    return Programme(
        id=programme_id,
        name_vi=file.text(name, "vi", "name."),
        name_en=file.text(name, "en", "name."),
        counted=file.measure(counted, "counted."),
        also_counted=tuple(file.measure(a, f"also_counted[{i}].") for i, a in enumerate(also)),
        denominator=denominator,
        target=_target(file, file.table(data, "target") or {}, denominator),
        words=_words(file, file.table(data, "words") or {}),
        entered_by=file.choice(data, "entered_by", ENTERED_BY),
        plans=tuple(p.strip() for p in plans),
        indicator=indicator,
    )


def load_catalog(folder: Path = FOLDER) -> Catalog:
    """Every `*.toml` of a folder, checked one by one and together (ids and words used once)."""
    programmes: list[Programme] = []
    owners: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        programme = read_programme(path)
        for word in programme.words:
            owner = owners.setdefault(fold(word), programme.id)
            if owner != programme.id:
                raise _File(path).fail("words.vi", f"«{word}» is already a word of {owner}")
        programmes.append(programme)
    # ids are the files' names, so two programmes cannot share one; said here for a folder built otherwise
    if len({p.id for p in programmes}) != len(programmes):
        raise CatalogError(f"{folder.name}: two programmes share an id")
    return Catalog(tuple(programmes))


@functools.cache
def shipped() -> Catalog:
    """The catalog shipped with the project, read once per process (start-up reads it first)."""
    return load_catalog(FOLDER)
