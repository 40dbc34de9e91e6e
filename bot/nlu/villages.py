"""Village mentions: ``thôn 3``, ``tdp 5``, ``bản Nà Sang``, ``xóm 2``, ``kp 2``.

A village is a *prefix* (thôn, tổ dân phố/tdp, tổ + number, bản, xóm, ấp,
khu phố/kp, khu, khối, làng, đội, buôn) followed by a number ("3", "03",
"3a") or by name words.  Name words run until the next keyword, number,
date, punctuation or function word, at most four words.

The result is the village *as named in the text*, in a readable form: the
canonical accented, capitalised prefix plus the rest with each word
capitalised ("ban na sang" -> "Bản Na Sang", "tdp 05" -> "Tổ dân phố 5").
When the caller passes the commune's ``village_names`` and one matches
diacritic-insensitively, that stored spelling is returned instead
("Bản Nà Sang").  Matching tolerates prefix variants (tổ 5 = Tổ dân phố 5;
thôn Nà Sang = Bản Nà Sang when only one village has that name) and, with
``village_names``, bare names of two or more words ("Nà Sang học ...").
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlu import lexicon
from bot.nlu.normalize import Token, fold, fold_text, title_word, tokenize, tone_sig, word_list
from bot.nlu.numbers import read_number

__all__ = [
    "AREA_PREFIXES",
    "PREFIXES",
    "Prefix",
    "claim_area_numbers",
    "find_village",
    "match_village_name",
    "village_key",
]


@dataclass(slots=True, frozen=True)
class Prefix:
    """A village-type prefix.

    ``mode``: ``any`` (number or any name), ``cap`` (number, or a name typed
    with a capital letter / found in ``village_names``), ``digits`` (number
    only, e.g. "tổ 5" - "tổ" alone is too common a word).
    """

    words: tuple[str, ...]  # folded
    display: str
    group: str
    mode: str
    accented: tuple[str, ...]  # accepted accented spellings of the words


PREFIXES: tuple[Prefix, ...] = (
    Prefix(("to", "dan", "pho"), "Tổ dân phố", "to", "any", ("tổ", "dân", "phố")),
    Prefix(("khu", "pho"), "Khu phố", "kp", "any", ("khu", "phố")),
    Prefix(("khu", "dan", "cu"), "Khu dân cư", "kdc", "any", ("khu", "dân", "cư")),
    Prefix(("thon",), "Thôn", "thon", "any", ("thôn",)),
    Prefix(("tdp",), "Tổ dân phố", "to", "any", ("tdp",)),
    Prefix(("kp",), "Khu phố", "kp", "any", ("kp",)),
    Prefix(("kdc",), "Khu dân cư", "kdc", "any", ("kdc",)),
    Prefix(("xom",), "Xóm", "xom", "any", ("xóm",)),
    Prefix(("ban",), "Bản", "ban", "any", ("bản",)),
    Prefix(("ap",), "Ấp", "ap", "any", ("ấp",)),
    Prefix(("to",), "Tổ", "to", "digits", ("tổ",)),
    Prefix(("khu",), "Khu", "kp", "cap", ("khu",)),
    Prefix(("khoi",), "Khối", "khoi", "cap", ("khối",)),
    Prefix(("lang",), "Làng", "lang", "cap", ("làng",)),
    Prefix(("doi",), "Đội", "doi", "digits", ("đội",)),
    Prefix(("buon",), "Buôn", "buon", "cap", ("buôn",)),
)

_PREFIX_SIGS: dict[str, str] = {w: tone_sig(w) for p in PREFIXES for w in p.accented}
_BY_FIRST: dict[str, list[Prefix]] = {}
for _p in PREFIXES:
    _BY_FIRST.setdefault(_p.words[0], []).append(_p)
for _lst in _BY_FIRST.values():
    _lst.sort(key=lambda p: -len(p.words))

# Words that end a village name.  Accented tokens are compared by tone
# signature; unaccented tokens by folded form, except that folded forms that
# are also common village-name syllables (sang, ha, nam, dong ...) do not
# stop an unaccented name.
_STOP_WORDS = word_list(
    """
nay này qua hôm tối sáng chiều trưa đêm ngày thứ có đã được đc dc là và với vs cho tại ở
của cũng nhé nha ạ em anh chị đến từ trong ngoài gồm thì mà đó kia rồi xong thêm tổng tất cả
mới vừa đang sẽ không ko k xin gửi tổ người ng lúc khi bà con các những mọi đi về lên vào ra
tới hết nữa luôn đều bạn mình chúng tôi họ ông cùng theo để nên vì do bởi nhưng còn đạt đủ
tham nhà hội trường xã huyện tỉnh phường thị xóm thôn bản tdp kp khu tổng số có lớp buổi học
hoc giúp hỗ trợ kích hoạt cài nộp mở đăng ký hướng dẫn tuyên truyền sinh tập dạy họp bao
nào mấy gì ai chưa báo cáo xem tiến độ xuất thống kê hd ht dvc vneid zalo sáng tổ chức
"""
)
_NAMEY_FOLDS = frozenset(
    word_list(
        """sang trua chieu dem toi ha an nam dong tay bac trung tan hoa son thuy my loc xuan
    thanh phu hung yen quang minh van vinh kim lac hong luong na tien thinh long cau ho
    do dai phong hai thuong phuc binh khe che pa coc lung nghia hop thai hien"""
    )
)
_STOP_SIG = frozenset(tone_sig(w) for w in _STOP_WORDS)
_STOP_FOLD = frozenset(fold(w) for w in _STOP_WORDS) - _NAMEY_FOLDS
_NAME_STOP_ROLES = frozenset({"helpverb", "session", "session_weak", "action", "object", "query"})


def _is_stop(tok: Token) -> bool:
    """Whether a word ends a village name (a keyword or function word)."""
    if tok.plain:
        return tok.fold in _STOP_FOLD
    return tok.sig in _STOP_SIG


def _prefix_at(tokens: Sequence[Token], i: int) -> Prefix | None:
    """The village prefix ("thôn", "xóm", "tdp") starting at ``i``, longest first."""
    t = tokens[i]
    if t.kind != "word" or t.role is not None:
        return None
    for p in _BY_FIRST.get(t.fold, ()):
        L = len(p.words)
        if i + L > len(tokens):
            continue
        ok = True
        for off in range(L):
            u = tokens[i + off]
            if u.kind != "word" or u.role is not None or u.fold != p.words[off]:
                ok = False
                break
            if not u.plain and u.sig != _PREFIX_SIGS[p.accented[off]]:
                ok = False
                break
        if ok:
            return p
    return None


@dataclass(slots=True)
class _Mention:
    prefix: Prefix | None
    number: str | None
    name_tokens: list[Token]
    start: int
    end: int
    label: str | None = None  # a number ending a name ("Thôn Yên Lạc 2")

    @property
    def rest_fold(self) -> str:
        """The folded name (or number) after the prefix."""
        if self.number is not None:
            return self.number
        return " ".join([t.fold for t in self.name_tokens] + ([self.label] if self.label else []))

    @property
    def display(self) -> str:
        """The mention spelled for display ("Thôn 3", "Xóm Nà Sang")."""
        rest = (
            self.number.upper()
            if self.number is not None
            else " ".join([title_word(t.orig) for t in self.name_tokens] + ([self.label.upper()] if self.label else []))
        )
        if self.prefix is None:
            return rest
        return f"{self.prefix.display} {rest}"


def _number_after(tokens: Sequence[Token], j: int) -> tuple[str, int] | None:
    """ "3", "03", "3a", "số 3" after a prefix -> ("3", next index)."""
    n = len(tokens)
    if j + 1 < n and tokens[j].kind == "word" and tokens[j].fold == "so" and tokens[j + 1].kind == "num":
        j += 1  # "thôn số 3"
    if j < n and tokens[j].kind == "num" and tokens[j].role is None and tokens[j].value is not None:
        num = str(tokens[j].value)
        k = j + 1
        if (
            k < n
            and tokens[k].kind == "word"
            and not tokens[k].space_before
            and len(tokens[k].fold) == 1
            and tokens[k].fold in "abcdeh"
        ):
            num += tokens[k].fold
            k += 1
        return num, k
    return None


def _name_not_time(tokens: Sequence[Token], j: int) -> bool:
    """A part-of-day word claimed as "sáng hôm kia" that is really a name.

    Only when the day is still named without it (the next word is "hôm"),
    and the word is capitalised or is the unaccented "sang" (as in the
    common name "Nà Sang"): the date is the same either way.
    """
    t = tokens[j]
    if t.fold not in ("sang", "trua", "chieu", "toi", "dem") or j + 1 >= len(tokens):
        return False
    nxt = tokens[j + 1]
    if nxt.role != "date" or nxt.fold not in ("hom", "bua"):
        return False
    titled = t.orig[:1].isupper() and not t.orig.isupper()
    return titled or (t.plain and t.fold == "sang")


def _name_after(tokens: Sequence[Token], j: int, accented_text: bool) -> list[Token]:
    """The village name words after a prefix, up to four, until a stop word."""
    out: list[Token] = []
    n = len(tokens)
    while j < n and len(out) < 4:
        t = tokens[j]
        if t.kind == "word" and t.role == "date" and out and _name_not_time(tokens, j):
            out.append(t)  # "Nà Sang hôm kia": "Sang" is the name, the day is "hôm kia"
            j += 1
            continue
        if t.kind != "word" or t.role is not None:
            break
        # a Capitalised word inside a name ("Làng Mới") is a name word even
        # if it is also a function word; ALL-CAPS text gets no such pass
        titled = t.orig[:1].isupper() and not t.orig.isupper()
        if _is_stop(t) and not titled:
            break
        m = lexicon.match_at(tokens, j)
        if (
            m is not None
            and m.entry.role in _NAME_STOP_ROLES
            # an unaccented one-word keyword that is also a common name
            # syllable ("hop", "ho") does not end the name
            and not (t.plain and t.fold in _NAMEY_FOLDS and m.end - m.start == 1)
        ):
            break
        num = read_number(tokens, j, accented_text)
        if num is not None and (num.end - num.start > 1 or (not num.ambiguous and t.fold in ("hai", "muoi"))):
            break  # "thon ha tan hai muoi nguoi": the count starts here
        out.append(t)
        j += 1
    return out


def _inside_phrase(tokens: Sequence[Token], i: int, plen: int) -> bool:
    """Whether the prefix at ``i`` belongs to a longer lexicon phrase."""
    for k in (i - 2, i - 1, i):
        if k < 0:
            continue
        m = lexicon.match_at(tokens, k)
        if m is None:
            continue
        if k < i and m.end > i:
            return True
        if k == i and m.end - m.start > plen:
            return True
    return False


def _people_unit_at(tokens: Sequence[Token], k: int) -> bool:
    """Whether a people unit starts at ``j``: the number before it is a count, not a village."""
    if k >= len(tokens) or tokens[k].kind != "word":
        return False
    m = lexicon.match_at(tokens, k)
    return m is not None and m.entry.role == "unit"


def _scan(tokens: Sequence[Token], accented_text: bool) -> list[_Mention]:
    """Every village mention in the message, in text order."""
    mentions: list[_Mention] = []
    n = len(tokens)
    i = 0
    while i < n:
        p = _prefix_at(tokens, i)
        if p is None:
            i += 1
            continue
        # part of a longer keyword: "bán hàng", "tổ chức" (starting here) or
        # "cơ bản", "bảo vệ bản thân", "mua bán" (starting before)
        if _inside_phrase(tokens, i, len(p.words)):
            i += 1
            continue
        if i > 0 and _area_prefix_at(tokens, i - 1) == ("dac", "khu"):
            i += 1  # "Đặc khu Cồn Cỏ" is a commune, not the village "Khu Cồn Cỏ"
            continue
        j = i + len(p.words)
        numb = _number_after(tokens, j)
        if numb is not None:
            if _people_unit_at(tokens, numb[1]):
                i += 1  # "họp thôn 65 người": the number is a head count
                continue
            mentions.append(_Mention(p, numb[0], [], i, numb[1]))
            i = numb[1]
            continue
        # "3 thôn ..." counts villages
        if i > 0 and tokens[i - 1].kind == "num" and tokens[i - 1].role is None:
            i += 1
            continue
        if p.mode == "digits":
            i += 1
            continue
        name = _name_after(tokens, j, accented_text)
        if not name:
            i += 1
            continue
        if p.mode == "cap" and not name[0].orig[:1].isupper():
            i += 1
            continue
        end = j + len(name)
        label = _label_after_name(tokens, end)
        mentions.append(_Mention(p, None, name, i, label[1] if label else end, label[0] if label else None))
        i = label[1] if label else end
    return mentions


def _label_after_name(tokens: Sequence[Token], k: int) -> tuple[str, int] | None:
    """A number ending a village's name ("thôn Yên Lạc 2 đã học chưa"): followed by a word that is not a
    people unit. Followed by a unit, a comma or nothing, it stays a count ("thôn Hà Tân 25 người")."""
    numbered = _number_after(tokens, k)
    if numbered is None or numbered[1] >= len(tokens) or _people_unit_at(tokens, numbered[1]):
        return None
    return numbered if tokens[numbered[1]].kind == "word" else None


#: words before the name of a commune, a province or a former district (folded, accented): the number that
#: ends such a name ("xã Sơn Kim 1", "Phường 3") is part of the name, not a count
AREA_PREFIXES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("dac", "khu"), ("đặc", "khu")),
    (("thi", "tran"), ("thị", "trấn")),
    (("thi", "xa"), ("thị", "xã")),
    (("thanh", "pho"), ("thành", "phố")),
    (("xa",), ("xã",)),
    (("phuong",), ("phường",)),
    (("tinh",), ("tỉnh",)),
    (("tp",), ("tp",)),
    (("huyen",), ("huyện",)),
    (("quan",), ("quận",)),
)
#: prefixes whose units were numbered without a name ("Phường 3", "Quận 10")
_NUMBERED_AREAS = frozenset({("phuong",), ("quan",)})


def _area_prefixes_by_first_word() -> dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]]:
    """The prefixes (folded words, tone signatures) by their first folded word, longest first within each: a
    token is looked up once instead of tried against every prefix (the scan runs at every token of a message)."""
    by_first: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    for words, accented in AREA_PREFIXES:
        by_first.setdefault(words[0], []).append((words, tuple(tone_sig(a) for a in accented)))
    return by_first


_AREA_SIGS = _area_prefixes_by_first_word()


def _area_prefix_at(tokens: Sequence[Token], i: int) -> tuple[str, ...] | None:
    """The area prefix starting at ``i`` (longest first), typed with the right tones or none at all."""
    for words, sigs in _AREA_SIGS.get(tokens[i].fold, ()):
        span = tokens[i : i + len(words)]
        if len(span) == len(words) and all(
            t.kind == "word" and t.role is None and t.fold == w and (t.plain or t.sig == sig)
            for t, w, sig in zip(span, words, sigs, strict=True)
        ):
            return words
    return None


def claim_area_numbers(tokens: Sequence[Token], accented_text: bool = False) -> None:
    """Mark the number ending a commune's or province's name ("xã Sơn Kim 1 đã nộp chưa") as a label.

    The number is a label when it follows the prefix and the name directly and no people unit follows it
    ("thành phố Hà Tĩnh 30 người" is still 30 people), the way village numbers are claimed by the scan.
    """
    i = 0
    while i < len(tokens):
        prefix = _area_prefix_at(tokens, i)
        if prefix is None:
            i += 1
            continue
        j = i + len(prefix)
        name = _name_after(tokens, j, accented_text)
        k = j + len(name)
        numbered = _number_after(tokens, k) if name or prefix in _NUMBERED_AREAS else None
        if numbered is not None and not _people_unit_at(tokens, numbered[1]):
            for t in tokens[k : numbered[1]]:
                t.role = "noncount"
            k = numbered[1]
        i = max(k, i + 1)


@functools.lru_cache(maxsize=8192)
def village_key(name: str) -> tuple[str | None, str]:
    """(prefix group, folded rest) of a village name; numbers lose leading zeros.

    ``"Tổ dân phố 05"`` -> ``("to", "5")``; ``"Bản Nà Sang"`` -> ``("ban", "na sang")``.
    """
    toks = [t for t in tokenize(name) if t.kind in ("word", "num")]
    i = 0
    group: str | None = None
    if toks:
        for p in _BY_FIRST.get(toks[0].fold, ()):
            L = len(p.words)
            if len(toks) > L and all(toks[k].fold == p.words[k] for k in range(L)):
                group = p.group
                i = L
                break
    rest_toks = toks[i:]
    if rest_toks and rest_toks[0].kind == "word" and rest_toks[0].fold == "so" and len(rest_toks) > 1:
        rest_toks = rest_toks[1:]
    parts: list[str] = []
    for t in rest_toks:
        parts.append(str(t.value) if t.kind == "num" and t.value is not None else t.fold)
    rest = " ".join(parts)
    rest = rest.replace(" ", "") if rest_toks and rest_toks[0].kind == "num" else rest
    return group, rest or fold_text(name)


def match_village_name(key: tuple[str | None, str], village_names: Sequence[str]) -> str | None:
    """The stored village matching ``key`` (see :func:`village_key`), if any.

    Exact (prefix group, rest) first; otherwise a unique stored village with
    the same rest under any prefix.
    """
    group, rest = key
    keyed = [(village_key(v), v) for v in village_names]
    for (g, r), v in keyed:
        if g == group and r == rest:
            return v
    same_rest = [v for (g, r), v in keyed if r == rest]
    if len(same_rest) == 1:
        return same_rest[0]
    return None


def _bare_names(tokens: Sequence[Token], village_names: Sequence[str]) -> tuple[str, int, int] | None:
    """Find a stored village named without its prefix ("Nà Sang học ...")."""
    best: tuple[str, int, int] | None = None
    for v in village_names:
        _, rest = village_key(v)
        name_words = rest.split()
        if len(name_words) < 2 or any(w.isdigit() for w in name_words):
            continue
        keys = [lexicon.key_of(w) for w in name_words]
        L = len(keys)
        for i in range(len(tokens) - L + 1):
            if all(
                tokens[i + k].kind == "word"
                and tokens[i + k].role is None
                and lexicon.key_of(tokens[i + k].fold) == keys[k]
                for k in range(L)
            ):
                if best is None or i < best[1] or (i == best[1] and i + L > best[2]):
                    best = (v, i, i + L)
                break
    return best


def find_village(tokens: Sequence[Token], village_names: Sequence[str] = (), accented_text: bool = False) -> str | None:
    """Return the first village named in ``tokens`` (claiming all mentions).

    Tokens of every village mention get role ``village`` so their numbers
    are never counted.
    """
    mentions = _scan(tokens, accented_text)
    for m in mentions:
        for k in range(m.start, m.end):
            tokens[k].role = "village"
    if mentions:
        first = mentions[0]
        if village_names:
            group = first.prefix.group if first.prefix else None
            stored = match_village_name((group, first.rest_fold), village_names)
            if stored is not None:
                return stored
        return first.display
    if village_names:
        bare = _bare_names(tokens, village_names)
        if bare is not None:
            v, a, b = bare
            for k in range(a, b):
                tokens[k].role = "village"
            return v
    return None
