"""Unit tests for bot.nlu.normalize."""

from __future__ import annotations

from bot.nlu.normalize import fold, fold_text, has_diacritics, title_word, tokenize, tone_sig


def test_fold_strips_marks_and_d() -> None:
    assert fold("Đường Hồ Chí Minh") == "duong ho chi minh"
    assert fold("HỖ TRỢ Kích Hoạt") == "ho tro kich hoat"
    assert fold("Ðông") == "dong"  # Icelandic eth typed for Đ
    assert fold("ngừơi") == fold("người") == "nguoi"


def test_fold_handles_decomposed_input() -> None:
    decomposed = "ho\u0302\u0300ng"  # "hồng" typed as base + combining marks
    assert fold(decomposed) == "hong"


def test_fold_text_collapses_punctuation_and_spaces() -> None:
    assert fold_text("  Thôn  Hà-Tân!!  ") == "thon ha tan"
    assert fold_text("Bản\tNà\nSang") == "ban na sang"


def test_has_diacritics() -> None:
    assert has_diacritics("người")
    assert has_diacritics("đc")
    assert not has_diacritics("nguoi")


def test_tone_sig_ignores_tone_position_only() -> None:
    assert tone_sig("hoà") == tone_sig("hòa")
    assert tone_sig("khoẻ") == tone_sig("khỏe")
    assert tone_sig("họp") != tone_sig("hợp")
    assert tone_sig("cài") != tone_sig("cái")


def test_title_word() -> None:
    assert title_word("nà") == "Nà"
    assert title_word("HÀ") == "Hà"
    assert title_word("3a") == "3A"


def test_tokenize_splits_glued_numbers() -> None:
    toks = tokenize("23ng muc2 tdp5")
    assert [(t.kind, t.fold) for t in toks] == [
        ("num", "23"),
        ("word", "ng"),
        ("word", "muc"),
        ("num", "2"),
        ("word", "tdp"),
        ("num", "5"),
    ]
    assert toks[1].space_before is False
    assert toks[0].value == 23


def test_tokenize_dates_times_percentages() -> None:
    toks = tokenize("12/11 12.11.2026 19h30 7:45 80% 1.200 4,5")
    kinds = [t.kind for t in toks]
    assert kinds == ["date", "date", "time", "time", "pct", "num", "dec"]
    assert toks[0].parts == (12, 11)
    assert toks[1].parts == (12, 11, 2026)
    assert toks[5].value == 1200


def test_tokenize_keeps_case_and_accents() -> None:
    (tok,) = tokenize("Hà")
    assert (tok.orig, tok.raw, tok.fold, tok.plain) == ("Hà", "hà", "ha", False)
    (tok,) = tokenize("ha")
    assert tok.plain


def test_teencode_is_folded_to_the_real_word() -> None:
    assert [t.fold for t in tokenize("hôm wa hum nay jup")] == ["hom", "qua", "hom", "nay", "giup"]


def test_vneid_spellings_are_unified() -> None:
    for s in ("VNeID", "vneid", "VN-eID", "vn eid", "V-NeID"):
        assert [t.fold for t in tokenize(s)] == ["vneid"], s
