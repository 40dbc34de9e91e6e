"""Unit tests for Vietnamese number words (bot.nlu.numbers)."""

from __future__ import annotations

import pytest

from bot.nlu.normalize import fold
from bot.nlu.numbers import parse_number_text

UNITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def say(n: int, *, linh: str = "linh", lam: str = "lăm", colloquial_units: bool = True) -> str:
    """Spell 1..999 the standard way ("một trăm linh năm", "hai mươi mốt")."""
    assert 1 <= n <= 999

    def below_100(m: int, after_hundred: bool) -> list[str]:
        if m == 0:
            return []
        if m < 10:
            return ([linh] if after_hundred else []) + [UNITS[m]]
        tens, unit = divmod(m, 10)
        out = ["mười"] if tens == 1 else [UNITS[tens], "mươi"]
        if unit == 0:
            return out
        if unit == 5:
            out.append(lam)
        elif unit == 1 and tens > 1 and colloquial_units:
            out.append("mốt")
        elif unit == 4 and tens > 1 and colloquial_units:
            out.append("tư")
        else:
            out.append(UNITS[unit])
        return out

    hundreds, rest = divmod(n, 100)
    words = [UNITS[hundreds], "trăm"] if hundreds else []
    words += below_100(rest, after_hundred=bool(hundreds))
    return " ".join(words)


def test_generator_sanity() -> None:
    assert say(15) == "mười lăm"
    assert say(21) == "hai mươi mốt"
    assert say(34) == "ba mươi tư"
    assert say(105) == "một trăm linh năm"
    assert say(203) == "hai trăm linh ba"
    assert say(999) == "chín trăm chín mươi chín"


@pytest.mark.parametrize("n", range(1, 1000))
def test_round_trip_accented(n: int) -> None:
    assert parse_number_text(say(n)) == n


@pytest.mark.parametrize("n", range(1, 1000))
def test_round_trip_unaccented(n: int) -> None:
    assert parse_number_text(fold(say(n))) == n


@pytest.mark.parametrize("n", range(1, 1000, 7))
def test_round_trip_variants(n: int) -> None:
    text = say(n, linh="lẻ", lam="nhăm", colloquial_units=False)
    assert parse_number_text(text) == n
    assert parse_number_text(fold(text)) == n


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("mười lăm", 15),
        ("muoi lam", 15),
        ("hai mươi mốt", 21),
        ("hai mươi một", 21),
        ("ba mươi tư", 34),
        ("ba mươi bốn", 34),
        ("một trăm lẻ năm", 105),
        ("hai trăm linh ba", 203),
        ("hai chục", 20),
        ("chục", 10),
        ("mươi", 10),
        ("mười tư", 14),
        ("bốn mươi nhăm", 45),
        ("hai mốt", 21),
        ("ba tư", 34),
        ("hai lăm", 25),
        ("hai trăm mốt", 210),
        ("một trăm hai", 120),
        ("hai trăm rưỡi", 250),
        ("hai chục rưỡi", 25),
        ("một nghìn hai trăm", 1200),
        ("một nghìn không trăm linh năm", 1005),
        ("42", 42),
    ],
)
def test_spoken_forms(text: str, value: int) -> None:
    assert parse_number_text(text) == value


@pytest.mark.parametrize("text", ["người", "một mươi", "hai người", "", "bà", "mười hai ba bốn"])
def test_not_a_single_number(text: str) -> None:
    assert parse_number_text(text) is None
