"""The reader's folding (bot.nlu.normalize) and the stored keys' folding (storage.text) agree on names.

Village, commune and province names are stored with ``storage.text.fold`` as their key and read in messages
with ``bot.nlu.normalize.fold``; both must strip the same marks, or a name typed in a message would not find
its row. What differs is said here: the stored key also collapses and trims spaces, and the reader first
mends look-alike characters that old phone keyboards type (eth "Ð" for "Đ", "’" for "'", a no-break space).
"""

from __future__ import annotations

import pytest

from bot.nlu.normalize import fold, fold_text
from storage import text

NAMES = [
    "Thôn Đồng Tâm",
    "Xóm Nà Sang",
    "Bản Khuổi Lừa",
    "Tổ dân phố số 5",
    "Thôn 3A",
    "Làng Hạ Vị",
    "Ấp Phước Hưng",
    "Khu phố Quyết Thắng",
    "Xã Sơn Kim 1",
    "Phường Điện Biên",
    "Thị trấn Yên Thế",
    "Đặc khu Phú Quốc",
    "Tỉnh Thừa Thiên Huế",
    "Xã Ia Grai",
    "Buôn Ma Thuột",
    "Thôn Hoà Bình",
    "Thôn Hòa Bình",
    "Xóm Khoẻ",
    "THÔN ĐÔNG HƯNG",
    "Bản Pắc Ngòi",
    "Thôn Ỷ La",
    "Xã Ngọc Sơn",
    "Thôn Ðồng Xuân",
]
SPACED = ["  Thôn  Hà   Tân ", "Xóm\u00a0Trại", "Thôn\tMới"]


@pytest.mark.parametrize("name", NAMES)
def test_the_same_marks_are_stripped(name: str) -> None:
    if "Ð" in name:
        # eth: the reader mends it to "d", a stored key keeps it ("ð"): a key must not change under its rows
        assert fold(name) == text.fold(name).replace("ð", "d")
    else:
        assert fold(name) == text.fold(name)


@pytest.mark.parametrize("name", SPACED)
def test_only_the_stored_key_collapses_spaces(name: str) -> None:
    assert " ".join(fold(name).split()) == text.fold(name)
    assert fold_text(name) == text.fold(name)


def test_the_reader_keeps_text_as_typed_apart_from_marks() -> None:
    assert fold("  Hà-Tân!! ") == "  ha-tan!! "
    assert text.fold("  Hà-Tân!! ") == "ha-tan!!"
    assert fold_text("  Thôn  Hà-Tân!! ") == "thon ha tan"
    assert fold("l\u2019ong") == "l'ong"
