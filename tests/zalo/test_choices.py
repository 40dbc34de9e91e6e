"""Numbered choices (bot/choices.py) and the 2,000-character split (bot/channels/text.py), without a network."""

from __future__ import annotations

from bot.channels.text import split_text, utf16_len
from bot.choices import key, match, numbered_text
from bot.i18n import Translator
from bot.messages import Button

DAYS = [
    ("Hôm nay (25/11)", "s:ab:date:today"),
    ("Hôm qua (24/11)", "s:ab:date:yesterday"),
    ("📅 Ngày khác", "s:ab:date:other"),
    ("❌ Huỷ", "s:ab:cancel"),
]
TOPICS = [
    ("▫️ Dịch vụ công trực tuyến", "t1"),
    ("✅ Mua sắm trực tuyến", "t2"),
    ("▫️ Thanh toán trực tuyến", "t3"),
    ("▫️ An toàn, chống lừa đảo trên mạng", "t4"),
    ("▫️ Ứng dụng VNeID", "t5"),
    ("Xong ➡️", "done"),
]


def test_numbers_in_the_ways_people_write_them() -> None:
    for answer in ("2", " 2 ", "2.", "số 2", "Số 2", "so 2", "SO 2", "số2", "chọn 2", "#2", "2️⃣"):
        assert match(answer, DAYS) == 1, answer
    for answer in ("0", "5", "22", "-1", "2 3", "số", ""):
        assert match(answer, DAYS) is None, answer


def test_words_without_diacritics_and_without_the_emoji() -> None:
    assert match("hôm qua", DAYS) == 1
    assert match("hom qua", DAYS) == 1
    assert match("Hôm nay (25/11)", DAYS) == 0
    assert match("ngay khac", DAYS) == 2
    assert match("huỷ", DAYS) == 3 and match("hủy", DAYS) == 3 and match("huy", DAYS) == 3
    assert match("vneid", TOPICS) == 4
    assert match("mua sắm", TOPICS) == 1
    assert match("an toan", TOPICS) == 3
    assert match("xong", TOPICS) == 5
    assert match("trực tuyến", TOPICS) is None  # three choices say it: ambiguous, so not a choice
    assert match("hôm", DAYS) is None  # two choices start with it
    assert match("tối qua thôn 3 học cài VNeID cho 23 người dân trong xóm", TOPICS) is None  # a report, not a choice
    assert match("không biết", DAYS) is None


def test_numbered_text_and_hint_in_both_languages() -> None:
    rows = [[Button("Có", "y"), Button("Không", "n")], [Button("❌ Huỷ", "c")]]
    assert numbered_text("Lưu lại?", rows, Translator("vi")) == (
        "Lưu lại?\n\n1. Có\n2. Không\n3. ❌ Huỷ\nBạn trả lời bằng số, ví dụ 1."
    )
    assert numbered_text("Save?", rows, Translator("en")).endswith("\n3. ❌ Huỷ\nReply with a number, for example 1.")
    assert numbered_text("Không có nút", [], Translator("vi")) == "Không có nút"
    assert numbered_text("", [[{"label": "A", "payload": "a"}]], Translator("vi")).startswith("1. A\n")


def test_split_at_line_breaks_never_mid_line() -> None:
    lines = [f"• Thôn {n}: {n * 7} người, {n % 5} buổi" for n in range(400)]
    text = "\n".join(lines)
    parts = split_text(text, 2000)
    assert len(parts) > 1 and all(utf16_len(p) <= 2000 for p in parts)
    assert "\n".join(parts) == text
    assert all(set(p.split("\n")) <= set(lines) for p in parts)


def test_a_single_line_longer_than_the_limit_is_cut_at_spaces() -> None:
    words = " ".join(f"từ{n}" for n in range(900))
    text = "Đầu\n" + words + "\nCuối"
    parts = split_text(text, 2000)
    assert all(utf16_len(p) <= 2000 for p in parts)
    assert parts[0].startswith("Đầu") and parts[-1].endswith("Cuối")
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())  # nothing lost, words kept whole
    emoji = "😀" * 1500  # two UTF-16 units each: 3,000 units
    assert [utf16_len(p) for p in split_text(emoji, 2000)] == [2000, 1000]


def test_key_folds_vietnamese() -> None:
    assert key("Đúng, lưu lại ✅") == "dung luu lai"
    assert key("  Thôn  Hà Tân ") == "thon ha tan"
