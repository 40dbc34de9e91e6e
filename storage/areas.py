"""Provinces, communes and villages: the areas roles are scoped to."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from storage import audit
from storage.errors import DomainError
from storage.models import Commune, Province, Village
from storage.text import fold, tidy_name

MAX_VILLAGE_NAME = 80


def get_commune(session: Session, code: int) -> Commune:
    commune = session.get(Commune, code)
    if commune is None:
        raise DomainError("unknown_commune", unit=code)
    return commune


def get_province(session: Session, code: int) -> Province:
    province = session.get(Province, code)
    if province is None:
        raise DomainError("unknown_province", unit=code)
    return province


_VILLAGES_OF = select(Village).where(Village.commune_code == bindparam("commune")).order_by(col(Village.id))


def villages_of(session: Session, commune_code: int) -> list[Village]:
    """A commune's villages, in the order they were added (a prebuilt statement: asked on every free text)."""
    return list(session.exec(_VILLAGES_OF, params={"commune": commune_code}))


_VILLAGE_NAMES = select(Village.name).where(Village.commune_code == bindparam("commune")).order_by(col(Village.id))


def village_names(session: Session, commune_code: int) -> list[str]:
    """The names of a commune's villages, in the order they were added: what the one-line reader matches a
    message against. Only the names are read, not each village as an object (a third of the cost)."""
    return list(session.exec(_VILLAGE_NAMES, params={"commune": commune_code}))


def find_village(session: Session, commune_code: int, name: str) -> Village | None:
    """A village of the commune by name, ignoring case and diacritics."""
    return session.exec(
        select(Village).where(Village.commune_code == commune_code, Village.name_key == fold(name))
    ).first()


def village_in_commune(session: Session, commune_code: int, village_id: int) -> Village:
    """A village by id, only if it belongs to the commune (scope check)."""
    village = session.get(Village, village_id)
    if village is None or village.commune_code != commune_code:
        raise DomainError("unknown_village", village=str(village_id))
    return village


def add_villages(
    session: Session, commune_code: int, names: list[str], *, now: dt.datetime, actor_id: int | None
) -> tuple[list[Village], list[str]]:
    """Add villages to a commune; returns (added, names already there). Names are tidied, not guessed."""
    get_commune(session, commune_code)
    added: list[Village] = []
    existing: list[str] = []
    seen: set[str] = set()
    for raw in names:
        name = tidy_name(raw)
        if not name:
            continue
        if len(name) > MAX_VILLAGE_NAME:
            raise DomainError("village_name_too_long", name=name[:30] + "…", limit=MAX_VILLAGE_NAME)
        key = fold(name)
        if key in seen:
            continue
        seen.add(key)
        found = find_village(session, commune_code, name)
        if found is not None:
            existing.append(found.name)
            continue
        village = Village(commune_code=commune_code, name=name, name_key=key, created_at=now)
        audit.save(
            session,
            village,
            actor_id=actor_id,
            entity="village",
            now=now,
            before=None,
            after={"name": name, "commune_code": commune_code},
        )
        added.append(village)
    return added, existing


#: more households than any village has: a figure above it is a typing slip
MAX_HOUSEHOLDS = 100_000


# «Thôn 2 có 120 hộ», «thon 2: 120 ho», «Bản Nà Sang có 85 hộ gia đình»: a village's name, then the number of
# its households. The number is whatever stands before «hộ», so that «120,5», «-3» or «mười» are refused
# with the reason rather than read as a village name.
_HOUSEHOLDS = re.compile(
    r"^(?P<village>.+?)\s*(?:[:=]|\s(?:có|co)\s)\s*(?P<number>\S+(?:\s\S+)*?)\s*(?:hộ|ho)(?:\s+(?:gia\s+đình|gia\s+dinh))?\s*\.?$"
    r"|^(?P<village2>.+?)\s+(?P<number2>[-−]?\d[\d.,]*)\s*(?:hộ|ho)(?:\s+(?:gia\s+đình|gia\s+dinh))?\s*\.?$",
    re.IGNORECASE,
)


def read_households(line: str) -> tuple[str, int] | None:
    """A line giving a village's household count, as (village name, households); None when the line is not of
    that form. A number that is not a whole number from 1 is refused (DomainError), never guessed."""
    match = _HOUSEHOLDS.match(unicodedata.normalize("NFC", line.strip()))
    if match is None:
        return None
    village = (match.group("village") or match.group("village2") or "").strip()
    typed = (match.group("number") or match.group("number2") or "").strip().replace("−", "-")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", typed):
        typed = typed.replace(".", "")
    if typed.isascii() and typed.isdigit():
        households = int(typed)
        if 1 <= households <= MAX_HOUSEHOLDS:
            return village, households
    if re.fullmatch(r"-?\d+(?:[.,]\d+)?", typed):
        raise DomainError("households_invalid", village=tidy_name(village), limit=MAX_HOUSEHOLDS)
    raise DomainError("households_unreadable")


def set_households(
    session: Session, commune_code: int, village_id: int, households: int, *, now: dt.datetime, actor_id: int | None
) -> Village:
    """Set how many households a village has (the commune's admin in /thon): a whole number from 1, never
    guessed; the denominator of a household programme (Gia đình số)."""
    village = village_in_commune(session, commune_code, village_id)
    if isinstance(households, bool) or not isinstance(households, int) or not 1 <= households <= MAX_HOUSEHOLDS:
        raise DomainError("households_invalid", village=village.name, limit=MAX_HOUSEHOLDS)
    before = village.households
    if before == households:
        return village
    village.households = households
    session.add(village)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="update",
        entity="village",
        entity_id=village.id,
        now=now,
        before={"households": before},
        after={"households": households},
    )
    return village


# Areas named in a question -----------------------------------------------------------------------
# «xã Thành Sen», «phuong thanh sen», «tỉnh Hà Nội», «TP HCM», «Hà Nội»: a prefix word followed by the name
# of a real unit, or a province's name of two words or more on its own. Ordinary words are never taken for a
# name: «xã mình», «tỉnh nào» match no unit; in a message typed with diacritics, the tones must match too
# («xã ta học» is not Xã Tà Học).

COMMUNE_KINDS = ("xa", "phuong", "dac_khu")
_COMMUNE_PREFIXES: tuple[tuple[str, ...], ...] = (("dac", "khu"), ("xa",), ("phuong",))
_PROVINCE_PREFIXES: tuple[tuple[str, ...], ...] = (("thanh", "pho"), ("tinh",), ("tp",))
_PREFIX_SPELLINGS = {
    "xa": "xã",
    "phuong": "phường",
    "dac": "đặc",
    "khu": "khu",
    "tinh": "tỉnh",
    "thanh": "thành",
    "pho": "phố",
    "tp": "tp",
}
# Words that follow a prefix without naming anything, typed without diacritics: «xa ta hoc» is «our commune
# studies», not Xã Tà Học. Not «minh», «nha», «do»: «xa minh tan», «phuong nha trang», «xa do luong» are names.
_NOT_A_NAME = frozenset({"nao", "nay", "ta", "toi", "khac", "kia", "ay", "day"})
_PROVINCE_ALIASES = {"hcm": "ho_chi_minh", "tphcm": "ho_chi_minh", "sai_gon": "ho_chi_minh"}
_APOSTROPHES = str.maketrans("", "", "’'ʼ`")
_LONGEST_NAME = 6  # words after the prefix («Văn Miếu - Quốc Tử Giám»)
_MOST_COMMUNES = 8  # communes looked up in one text (a query's parameters stay few, whatever is pasted)


@dataclass(frozen=True)
class NamedArea:
    """A province or a commune named in some words, where (word positions) and which unit."""

    kind: str  # "province" | "commune"
    code: int
    name: str
    province_code: int
    start: int
    end: int


@dataclass(frozen=True)
class _Word:
    typed: str  # lower case NFC as typed
    folded: str
    marks: tuple[str, ...]


def _marks(word: str) -> tuple[str, ...]:
    """The tone and vowel marks of a word, in any order of typing («hòa» = «hoà»)."""
    return tuple(sorted(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) == "Mn"))


def _words(text: str) -> list[_Word]:
    """The words of a text, with their folded form and their marks."""
    clean = unicodedata.normalize("NFC", text).lower().translate(_APOSTROPHES)
    return [_Word(w, fold(w), _marks(w)) for w in re.findall(r"\w+", clean)]


def _same_word(typed: _Word, stored: _Word, accented: bool) -> bool:
    """Same word: folded forms equal, and in a text typed with diacritics, the same marks."""
    return typed.folded == stored.folded and (not accented or typed.marks == stored.marks)


def _prefix_at(words: list[_Word], i: int, prefixes: tuple[tuple[str, ...], ...]) -> int:
    """How many words a prefix at position i takes (0: none); a prefix typed with other marks is another word."""
    for prefix in prefixes:
        span = words[i : i + len(prefix)]
        if len(span) == len(prefix) and all(
            w.folded == p and (not w.marks or w.marks == _marks(_PREFIX_SPELLINGS[p]))
            for w, p in zip(span, prefix, strict=True)
        ):
            return len(prefix)
    return 0


def _name_matches(words: list[_Word], start: int, stored_name: str, length: int, accented: bool) -> bool:
    """Whether the words from start spell the stored name's last `length` words (its name without the prefix)."""
    stored = _words(stored_name)[-length:]
    span = words[start : start + length]
    if not len(span) == length == len(stored):
        return False
    return all(_same_word(t, s, accented) for t, s in zip(span, stored, strict=True))


def _candidates(words: list[_Word], start: int) -> list[str]:
    """Underscored folded names of 1.._LONGEST_NAME words from start, longest first."""
    if start >= len(words) or (not words[start].marks and words[start].folded in _NOT_A_NAME):
        return []
    return [
        "_".join(w.folded for w in words[start:end]) for end in range(min(len(words), start + _LONGEST_NAME), start, -1)
    ]


def areas_named(session: Session, text: str) -> list[NamedArea]:
    """Provinces and communes named in a text (every unit a name fits, in the order they are named)."""
    words = _words(text)
    accented = any(w.marks or "đ" in w.typed for w in words)
    provinces = list(session.exec(select(Province)))
    by_codename = {p.codename: p for p in provinces}
    found: list[NamedArea] = []
    commune_spans: list[tuple[int, list[str]]] = []
    i = 0
    while i < len(words):
        taken = _prefix_at(words, i, _COMMUNE_PREFIXES)
        if taken and len(commune_spans) < _MOST_COMMUNES:
            commune_spans.append((i + taken, _candidates(words, i + taken)))
            i += taken
            continue
        taken = _prefix_at(words, i, _PROVINCE_PREFIXES)
        match = _province_at(words, i + taken, by_codename, accented) if taken else None
        if match is None and not taken and (i == 0 or not _after_unit_word(words[i - 1])):
            match = _province_at(words, i, by_codename, accented, bare=True)
        if match is not None:
            province, length = match
            found.append(NamedArea("province", province.code, province.name, province.code, i, i + taken + length))
            i += taken + length
            continue
        i += 1
    found += _communes_at(session, words, commune_spans, accented)
    return sorted(found, key=lambda a: (a.start, a.kind, a.code))


def _after_unit_word(word: _Word) -> bool:
    """A word that makes what follows a commune or village name, not a province («phường Hà Giang»)."""
    return word.folded in {"xa", "phuong", "khu", "thon", "ban", "ap", "xom", "to", "pho", "lang", "buon"}


def _province_at(
    words: list[_Word], start: int, by_codename: dict[str, Province], accented: bool, bare: bool = False
) -> tuple[Province, int] | None:
    """The province named from start, and how many words its name takes."""
    for key in _candidates(words, start):
        codename = _PROVINCE_ALIASES.get(key, key)
        province = by_codename.get(codename)
        if province is None:
            continue
        length = key.count("_") + 1
        if codename != key or (
            _name_matches(words, start, province.name, length, accented) and (not bare or length >= 2)
        ):
            return province, length
    return None


def _communes_at(
    session: Session, words: list[_Word], spans: list[tuple[int, list[str]]], accented: bool
) -> list[NamedArea]:
    """The communes named after each commune prefix (one query for all of them)."""
    wanted = {f"{kind}_{key}" for _start, keys in spans for key in keys for kind in COMMUNE_KINDS}
    if not wanted:
        return []
    communes = list(session.exec(select(Commune).where(col(Commune.codename).in_(sorted(wanted)))))
    found: list[NamedArea] = []
    for start, keys in spans:
        for key in keys:  # the longest name that fits
            length = key.count("_") + 1
            fits = [
                c
                for c in communes
                if c.codename.split("_", 1 + c.codename.startswith("dac_"))[-1] == key
                and _name_matches(words, start, c.name, length, accented)
            ]
            if fits:
                found += [NamedArea("commune", c.code, c.name, c.province_code, start, start + length) for c in fits]
                break
    return found


def villages_named(session: Session, name: str) -> list[Village]:
    """Villages of any commune with this name, ignoring case and diacritics (to tell «not yours» from «none»)."""
    return list(session.exec(select(Village).where(Village.name_key == fold(name)).order_by(col(Village.id))))
