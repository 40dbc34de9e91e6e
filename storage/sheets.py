"""A commune's spreadsheet as read, and what its columns are: the header words people write for commune, village,
name and role; the refusal of a file holding phone or ID numbers (Decree 13/2023/NĐ-CP); what kind of file it is;
and the form a sheet is kept in between a preview and its confirmation. `storage.imports` checks and applies it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from storage.text import fold
from storage.vocab import N_

# Column headers, folded (no diacritics, lower case, "_" read as a space), for each field.
COMMUNE_HEADERS = frozenset(
    {
        "xa",
        "ten xa",
        "ma xa",
        "xa phuong",
        "xa/phuong",
        "xa, phuong",
        "phuong",
        "xa/phuong/dac khu",
        "don vi",
        "commune",
        "commune code",
        "commune name",
        "ward",
    }
)
VILLAGE_HEADERS = frozenset(
    {
        "thon",
        "ten thon",
        "thon/to dan pho",
        "thon, to dan pho",
        "thon/to",
        "to dan pho",
        "thon/ban",
        "thon, ban",
        "ban",
        "ap",
        "village",
        "village name",
    }
)
NAME_HEADERS = frozenset({"ho ten", "ho va ten", "ten", "ten thanh vien", "name", "full name", "member name"})
ROLE_HEADERS = frozenset({"vai tro", "chuc vu", "nhiem vu", "role"})
# A header naming personal numbers: the file is refused whole.
_PERSONAL_HEADER = re.compile(
    r"dien thoai|\bsdt\b|\bso dt\b|\bdt\b|phone|mobile|\bcccd\b|\bcmnd\b|can cuoc|chung minh|dinh danh|"
    r"\bso id\b|id number|national id|passport|ho chieu"
)
# A cell that looks like a Vietnamese phone number (0 or +84, 9 or 10 more digits) or an ID number (9 or 12).
_PHONE = re.compile(r"(?:\+?84|0)\d{9,10}")
_ID_NUMBER = re.compile(r"\d{9}|\d{12}")
_NUMBER_SEPARATORS = re.compile(r"[\s.\-()]")

#: the whole file refused: a column of phone or ID numbers ({column}: its header)
PERSONAL_DATA = N_(
    "Tệp có cột «{column}» trông giống số điện thoại hoặc số CCCD/CMND. Để bảo vệ thông tin cá nhân "
    "(Nghị định 13/2023/NĐ-CP), bot không nhận tệp này và chưa đọc dòng nào. Bạn xoá cột đó rồi gửi lại nhé: "
    "chỉ cần xã, thôn, họ tên và vai trò."
)


@dataclass(frozen=True)
class Sheet:
    """A spreadsheet as read: its header cells and its rows of text, each with its row number in the file."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]


def header_key(text: str) -> str:
    """A header cell as matched: folded, «_» and «*» read as spaces, a trailing colon dropped."""
    return fold(text.replace("_", " ").replace("*", " ").rstrip(": "))


def personal_column(sheet: Sheet) -> str | None:
    """The first column that names or holds phone or ID numbers (its header as written), or None."""
    for index, header in enumerate(sheet.headers):
        if _PERSONAL_HEADER.search(header_key(header)):
            return header or str(index + 1)
        cells = [_NUMBER_SEPARATORS.sub("", row[index]) for _, row in sheet.rows if index < len(row) and row[index]]
        numbers = [c for c in cells if _PHONE.fullmatch(c) or _ID_NUMBER.fullmatch(c)]
        if numbers and len(numbers) * 2 >= len(cells):
            return header or str(index + 1)
    return None


def column(sheet: Sheet, names: frozenset[str]) -> int | None:
    """Where the column whose header is one of `names` is, or None."""
    for index, header in enumerate(sheet.headers):
        if header_key(header) in names:
            return index
    return None


def cell(row: list[str], index: int | None) -> str:
    """The row's cell in that column, stripped; empty when the column or the cell is missing."""
    return row[index].strip() if index is not None and index < len(row) else ""


KIND_VILLAGES, KIND_MEMBERS = "villages", "members"


def sheet_kind(sheet: Sheet) -> str | None:
    """What a file is, from its headers: a members file has a name column (and a village column), a villages
    file a village column and no name column; None when neither."""
    has_village = column(sheet, VILLAGE_HEADERS) is not None
    if column(sheet, NAME_HEADERS) is not None:
        return KIND_MEMBERS
    return KIND_VILLAGES if has_village else None


def recognised_columns(sheet: Sheet) -> Sheet:
    """The sheet with only the columns an import reads (commune, village, name, role), rows keeping their
    numbers: what is kept between a preview and its confirmation, and nothing else the file held."""
    indexes = [
        index
        for index in (column(sheet, names) for names in (COMMUNE_HEADERS, VILLAGE_HEADERS, NAME_HEADERS, ROLE_HEADERS))
        if index is not None
    ]
    return Sheet(
        headers=[sheet.headers[i] for i in indexes],
        rows=[(number, [row[i] if i < len(row) else "" for i in indexes]) for number, row in sheet.rows],
    )


def sheet_to_data(sheet: Sheet) -> dict[str, Any]:
    """A sheet as JSON-ready data (for a conversation's state)."""
    return {"headers": list(sheet.headers), "rows": [[number, list(row)] for number, row in sheet.rows]}


def sheet_from_data(data: dict[str, Any]) -> Sheet:
    """The sheet back from `sheet_to_data`'s form."""
    return Sheet(
        headers=[str(h) for h in data.get("headers", [])],
        rows=[(int(number), [str(cell) for cell in row]) for number, row in data.get("rows", [])],
    )
