"""Unit tests for village mentions (bot.nlu.villages)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.nlu.normalize import fold_text, tokenize
from bot.nlu.villages import AREA_PREFIXES, claim_area_numbers, find_village, match_village_name, village_key


def v(text: str, names: Sequence[str] = ()) -> str | None:
    return find_village(tokenize(text), names)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thôn 3 học VNeID", "Thôn 3"),
        ("Thôn 3", "Thôn 3"),
        ("thon 3", "Thôn 3"),
        ("thôn3", "Thôn 3"),
        ("thôn 03", "Thôn 3"),
        ("thôn số 7", "Thôn 7"),
        ("tdp 5", "Tổ dân phố 5"),
        ("tổ dân phố 5", "Tổ dân phố 5"),
        ("tổ 5 giúp", "Tổ 5"),
        ("xóm 2", "Xóm 2"),
        ("ấp 4", "Ấp 4"),
        ("khu phố 2", "Khu phố 2"),
        ("kp 2", "Khu phố 2"),
        ("kp2", "Khu phố 2"),
        ("ban na sang hoc", "Bản Na Sang"),
        ("bản Nà Sang học", "Bản Nà Sang"),
        ("thôn Hà Tân học VNeID", "Thôn Hà Tân"),
        ("thôn hà tân tối qua", "Thôn Hà Tân"),
        ("xóm 3a", "Xóm 3A"),
        ("Làng Mới học", "Làng Mới"),
        ("Khối 3 học", "Khối 3"),
        ("nhà văn hóa thôn 6, 40 người", "Thôn 6"),
    ],
)
def test_named_forms(text: str, expected: str) -> None:
    assert v(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "tổ chức lớp học",
        "bán hàng online",
        "học kỹ năng số cơ bản 21 người",
        "bảo vệ bản thân trên mạng",
        "họp thôn 65 người",
        "ban ngày",
        "áp dụng",
        "khu vực",
        "3 thôn học VNeID",
        "thôn nào chưa báo cáo",
    ],
)
def test_not_villages(text: str) -> None:
    assert v(text) is None


def test_village_names_return_stored_spelling() -> None:
    names = ["Bản Nà Sang", "Bản Khuổi Phầy", "Thôn Tân Lập"]
    assert v("ban na sang hoc vneid", names) == "Bản Nà Sang"
    assert v("BẢN KHUỔI PHẦY", names) == "Bản Khuổi Phầy"
    assert v("thon tan lap", names) == "Thôn Tân Lập"
    assert v("thôn Nà Sang", names) == "Bản Nà Sang"  # unique name, other prefix
    assert v("Nà Sang học VNeID", names) == "Bản Nà Sang"  # bare name
    assert v("thôn 9 học", names) == "Thôn 9"  # not in the list: as named


def test_numbered_village_names() -> None:
    names = ["Tổ dân phố 1", "Tổ dân phố 2", "Tổ dân phố 3"]
    assert v("tổ 2", names) == "Tổ dân phố 2"
    assert v("tdp 03", names) == "Tổ dân phố 3"
    assert v("tổ dân phố 1", names) == "Tổ dân phố 1"


def test_village_key_and_match() -> None:
    assert village_key("Tổ dân phố 05") == ("to", "5")
    assert village_key("Bản Nà Sang") == ("ban", "na sang")
    assert village_key("Nà Sang") == (None, "na sang")
    assert match_village_name(("thon", "3"), ["Thôn 1", "Thôn 3"]) == "Thôn 3"
    assert match_village_name(("thon", "5"), ["Thôn 1", "Thôn 3"]) is None
    # ambiguous rest under several prefixes: no guess
    assert match_village_name(("thon", "2"), ["Xóm 2", "Tổ dân phố 2"]) is None


def test_village_numbers_are_claimed() -> None:
    toks = tokenize("thôn 3 học 20 người")
    find_village(toks)
    assert [t.role for t in toks][:2] == ["village", "village"]
    assert toks[3].role is None


@pytest.mark.parametrize("prefix", [accented for _, accented in AREA_PREFIXES], ids=lambda words: " ".join(words))
@pytest.mark.parametrize("toned", [True, False], ids=["toned", "plain"])
def test_the_number_ending_an_area_name_is_a_label_after_every_prefix(prefix: tuple[str, ...], toned: bool) -> None:
    """ "xã Sơn Kim 1 đã nộp chưa": the 1 is the commune's name, for each prefix, typed with tones or none."""
    text = " ".join(prefix) + " Sơn Kim 1 đã nộp chưa"
    tokens = tokenize(text if toned else fold_text(text))
    claim_area_numbers(tokens, accented_text=toned)
    number = next(token for token in tokens if token.kind == "num")
    assert number.role == "noncount"
    counted = tokenize(" ".join(prefix) + " Sơn Kim 30 người")  # followed by a people unit: still a count
    claim_area_numbers(counted, accented_text=True)
    assert next(token for token in counted if token.kind == "num").role is None
