"""Importing a commune's spreadsheets: its villages, and its team members as personal invites.

A file is read elsewhere into a `Sheet` (`storage.sheets`: a header row and numbered rows of text). Here every
row is checked first (`check_villages`, `check_members`): an unknown commune, an empty or duplicate name, a
village that does not exist, an unknown role are reported by row number, and nothing is applied unless every row
is valid; then `apply_villages` / `apply_members` write it all in the caller's one transaction. Importing the
same file again changes nothing: a village already there is left alone, a person who already has an invite (or
has joined) keeps it.

Privacy (Decree 13/2023/NĐ-CP): a file with a column that looks like phone or ID (CCCD/CMND) numbers is refused
whole, before any row is read; only a team member's name, village and role are ever kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from storage import invites
from storage.areas import MAX_VILLAGE_NAME, add_villages, get_province
from storage.models import Commune, Invite, Member, Village
from storage.sheets import (
    COMMUNE_HEADERS,
    NAME_HEADERS,
    ROLE_HEADERS,
    VILLAGE_HEADERS,
    Sheet,
    cell,
    column,
    header_key,
    personal_column,
)
from storage.text import fold, tidy_name
from storage.vocab import N_, ROLE_MEMBER, ROLE_TEAM_LEAD

MAX_PERSON_NAME = 100
MAX_ROWS = 5000  # a province's whole team list fits; a larger file is surely not one commune's sheet

# Roles as people write them in a team list (folded); an empty cell is a team member.
ROLE_WORDS = {
    "": ROLE_MEMBER,
    "thanh vien": ROLE_MEMBER,
    "thanh vien to": ROLE_MEMBER,
    "thanh vien to cnscd": ROLE_MEMBER,
    "to vien": ROLE_MEMBER,
    "member": ROLE_MEMBER,
    "to truong": ROLE_TEAM_LEAD,
    "to truong to cnscd": ROLE_TEAM_LEAD,
    "team lead": ROLE_TEAM_LEAD,
    "team_lead": ROLE_TEAM_LEAD,
    "lead": ROLE_TEAM_LEAD,
}
_COMMUNE_KIND = re.compile(r"^(xa|phuong|dac khu|thi tran)\s+")

# What a row's problem says, translated where it is shown ({value}: what the row holds).
PROBLEMS: dict[str, str] = {
    "missing_column": N_("Thiếu cột «{value}»."),
    "unknown_commune": N_("Không tìm thấy xã «{value}»."),
    "commune_needs_province": N_("Xã «{value}» ghi bằng tên: cần cho biết tỉnh (mã tỉnh) để tìm."),
    "ambiguous_commune": N_("Có nhiều xã tên «{value}» trong tỉnh: bạn ghi mã xã thay cho tên."),
    "commune_not_yours": N_("Xã «{value}» không phải xã bạn phụ trách."),
    "empty_village": N_("Chưa ghi tên thôn."),
    "unknown_village": N_("Không có thôn «{value}» trong xã (thêm thôn trước, rồi nhập lại)."),
    "empty_name": N_("Chưa ghi tên."),
    "name_too_long": N_("Tên «{value}» dài quá."),
    "duplicate_name": N_("«{value}» trùng với một dòng ở trên."),
    "unknown_role": N_("Không rõ vai trò «{value}»: ghi «thành viên» hoặc «tổ trưởng»."),
    "too_many_rows": N_("Tệp có hơn {value} dòng: bạn chia nhỏ tệp giúp nhé."),
    "no_rows": N_("Tệp không có dòng nào để nhập."),
}

# What the import does with a person's row.
NEW, RENEWED, UNCHANGED, JOINED = "new", "renewed", "unchanged", "joined"


@dataclass(frozen=True)
class RowProblem:
    """Why one row (by its number in the file) cannot be imported: a code of `PROBLEMS` and the row's value."""

    row: int
    code: str
    value: str = ""


@dataclass(frozen=True)
class VillageRow:
    """A village of the file: where, its name, and whether the commune has it already."""

    row: int
    commune_code: int
    commune_name: str
    name: str
    exists: bool


@dataclass(frozen=True)
class MemberRow:
    """A person of the file, and what the import does: a new invite, a renewed one (the last expired), their
    live invite kept, or nothing (they have joined)."""

    row: int
    commune_code: int
    commune_name: str
    village_id: int
    village_name: str
    name: str
    role: str
    status: str
    invite: Invite | None = None  # the invite they have (kept), or after `apply_members` the one made


@dataclass
class Check:
    """The outcome of checking a file: refused whole (a column of personal numbers), or its rows and problems."""

    personal_column: str | None = None
    problems: list[RowProblem] = field(default_factory=list)
    villages: list[VillageRow] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file may be applied: not refused and no row with a problem."""
        return self.personal_column is None and not self.problems


class _Communes:
    """Communes as a file names them: by official code, or by name within the province given."""

    def __init__(self, session: Session, province_code: int | None) -> None:
        self.session = session
        self.province_code = province_code
        self.by_name: dict[str, list[Commune]] = {}
        if province_code is not None:
            get_province(session, province_code)
            for commune in session.exec(select(Commune).where(Commune.province_code == province_code)):
                key = fold(commune.name)
                self.by_name.setdefault(key, []).append(commune)
                self.by_name.setdefault(_COMMUNE_KIND.sub("", key), []).append(commune)

    def find(self, text: str) -> Commune | str:
        """The commune, or the problem's code."""
        if text.isdigit():
            commune = self.session.get(Commune, int(text))
            if commune is None or (self.province_code is not None and commune.province_code != self.province_code):
                return "unknown_commune"
            return commune
        if self.province_code is None:
            return "commune_needs_province"
        found = {c.code: c for c in self.by_name.get(fold(text), [])}
        if len(found) > 1:
            return "ambiguous_commune"
        return next(iter(found.values()), "unknown_commune")


def _rows_and_limits(sheet: Sheet, problems: list[RowProblem], max_rows: int) -> list[tuple[int, list[str]]]:
    rows = [(number, row) for number, row in sheet.rows if any(cell.strip() for cell in row)]
    if not rows:
        problems.append(RowProblem(1, "no_rows"))
    if len(rows) > max_rows:
        problems.append(RowProblem(1, "too_many_rows", str(max_rows)))
        return []
    return rows


def _commune_of(
    communes: _Communes, text: str, row: int, scope: int | None, problems: list[RowProblem]
) -> Commune | None:
    """The row's commune (the one in `scope` when the file has no commune column), or a problem recorded."""
    if not text and scope is not None:
        text = str(scope)
    found = communes.find(text) if text else "unknown_commune"
    if isinstance(found, str):
        problems.append(RowProblem(row, found, text))
        return None
    if scope is not None and found.code != scope:
        problems.append(RowProblem(row, "commune_not_yours", found.name))
        return None
    return found


def _start(sheet: Sheet, required: Iterable[tuple[str, str]]) -> tuple[Check, dict[str, int | None]]:
    """The refusal or the missing columns, and where each field's column is."""
    check = Check(personal_column=personal_column(sheet))
    columns: dict[str, int | None] = {
        "commune": column(sheet, COMMUNE_HEADERS),
        "village": column(sheet, VILLAGE_HEADERS),
        "name": column(sheet, NAME_HEADERS),
        "role": column(sheet, ROLE_HEADERS),
    }
    for label, key in required:
        if columns[key] is None:
            check.problems.append(RowProblem(1, "missing_column", label))
    return check, columns


def check_villages(
    session: Session,
    sheet: Sheet,
    *,
    province_code: int | None = None,
    commune_scope: int | None = None,
    max_rows: int = MAX_ROWS,
) -> Check:
    """Every row of a villages file checked: commune (code, or name in the province), village name, duplicates.

    `commune_scope` is the commune of an admin importing in chat: rows of another commune are refused, and a
    file with no commune column is that commune's."""
    check, columns = _start(sheet, [("thôn / village", "village")])
    if check.personal_column is not None or check.problems:
        return check
    if columns["commune"] is None and commune_scope is None:
        check.problems.append(RowProblem(1, "missing_column", "xã / commune"))
        return check
    communes = _Communes(session, province_code)
    seen: dict[tuple[int, str], int] = {}
    for number, row in _rows_and_limits(sheet, check.problems, max_rows):
        commune = _commune_of(communes, cell(row, columns["commune"]), number, commune_scope, check.problems)
        name = tidy_name(cell(row, columns["village"]))
        if not name:
            check.problems.append(RowProblem(number, "empty_name"))
            continue
        if len(name) > MAX_VILLAGE_NAME:
            check.problems.append(RowProblem(number, "name_too_long", name[:30] + "…"))
            continue
        if commune is None:
            continue
        key = (commune.code, fold(name))
        if key in seen:
            check.problems.append(RowProblem(number, "duplicate_name", name))
            continue
        seen[key] = number
        exists = session.exec(
            select(Village.id).where(Village.commune_code == commune.code, Village.name_key == key[1])
        ).first()
        check.villages.append(VillageRow(number, commune.code, commune.name, name, exists is not None))
    return check


def apply_villages(session: Session, check: Check, *, now: dt.datetime, actor_id: int | None) -> int:
    """Add the checked file's new villages (audited); returns how many were added. Only a file without problems."""
    if not check.ok:
        raise ValueError("a file with problems is never applied")
    added = 0
    by_commune: dict[int, list[str]] = {}
    for row in check.villages:
        if not row.exists:
            by_commune.setdefault(row.commune_code, []).append(row.name)
    for commune_code, names in by_commune.items():
        made, _existing = add_villages(session, commune_code, names, now=now, actor_id=actor_id)
        added += len(made)
    return added


def check_members(
    session: Session,
    sheet: Sheet,
    *,
    now: dt.datetime,
    province_code: int | None = None,
    commune_scope: int | None = None,
    max_rows: int = MAX_ROWS,
) -> Check:
    """Every row of a members file checked (commune, village of that commune, name, role, duplicates), and what
    importing it would do for each person (see `MemberRow`)."""
    check, columns = _start(sheet, [("thôn / village", "village"), ("họ tên / name", "name")])
    if check.personal_column is not None or check.problems:
        return check
    if columns["commune"] is None and commune_scope is None:
        check.problems.append(RowProblem(1, "missing_column", "xã / commune"))
        return check
    communes = _Communes(session, province_code)
    seen: set[tuple[int, str]] = set()
    for number, row in _rows_and_limits(sheet, check.problems, max_rows):
        commune = _commune_of(communes, cell(row, columns["commune"]), number, commune_scope, check.problems)
        village_text, name = cell(row, columns["village"]), tidy_name(cell(row, columns["name"]))
        role = ROLE_WORDS.get(header_key(cell(row, columns["role"])))
        problems_before = len(check.problems)
        village = None
        if not village_text:
            check.problems.append(RowProblem(number, "empty_village"))
        elif commune is not None:
            village = session.exec(
                select(Village).where(Village.commune_code == commune.code, Village.name_key == fold(village_text))
            ).first()
            if village is None:
                check.problems.append(RowProblem(number, "unknown_village", village_text))
        if not name:
            check.problems.append(RowProblem(number, "empty_name"))
        elif len(name) > MAX_PERSON_NAME:
            check.problems.append(RowProblem(number, "name_too_long", name[:30] + "…"))
        if role is None:
            check.problems.append(RowProblem(number, "unknown_role", cell(row, columns["role"])))
        if len(check.problems) > problems_before or commune is None or village is None or village.id is None:
            continue
        if role is None:
            continue
        key = (village.id, fold(name))
        if key in seen:
            check.problems.append(RowProblem(number, "duplicate_name", name))
            continue
        seen.add(key)
        status, invite = _person_status(session, village.id, name, role, now)
        check.members.append(
            MemberRow(number, commune.code, commune.name, village.id, village.name, name, role, status, invite)
        )
    return check


def _person_status(
    session: Session, village_id: int, name: str, role: str, now: dt.datetime
) -> tuple[str, Invite | None]:
    """What importing this person does: joined already (a member of the village by that name, or their invite
    used), their invite still live (kept), their invite expired or revoked unused (a new one), or new."""
    key = fold(name)
    members = session.exec(
        select(Member.display_name).where(Member.village_id == village_id, col(Member.removed_at).is_(None))
    )
    if any(fold(display) == key for display in members):
        return JOINED, None
    mine = [
        invite
        for invite in session.exec(
            select(Invite)
            .where(Invite.village_id == village_id, Invite.kind == invites.KIND_PERSONAL, Invite.role == role)
            .where(col(Invite.invitee_name).is_not(None))
            .order_by(col(Invite.created_at).desc(), col(Invite.code))
        )
        if fold(invite.invitee_name or "") == key
    ]
    if not mine:
        return NEW, None
    if any(invite.uses > 0 for invite in mine):
        return JOINED, next(invite for invite in mine if invite.uses > 0)
    live = next((i for i in mine if not i.revoked and i.expires_at > now and i.uses < i.max_uses), None)
    if live is not None:
        return UNCHANGED, live
    return RENEWED, None


def apply_members(
    session: Session, check: Check, *, now: dt.datetime, days: int, actor_id: int | None
) -> list[MemberRow]:
    """Make a one-use personal invite, naming the person, for each new or renewed row (audited); returns every
    row with the invite it now has (none for who has joined). Only a file without problems."""
    if not check.ok:
        raise ValueError("a file with problems is never applied")
    done: list[MemberRow] = []
    for row in check.members:
        invite = row.invite
        if row.status in (NEW, RENEWED):
            invite = invites.create_invite(
                session,
                role=row.role,
                now=now,
                days=days,
                max_uses=1,
                commune_code=row.commune_code,
                village_id=row.village_id,
                created_by=actor_id,
                invitee_name=row.name,
            )
        done.append(
            MemberRow(
                row.row,
                row.commune_code,
                row.commune_name,
                row.village_id,
                row.village_name,
                row.name,
                row.role,
                row.status,
                invite,
            )
        )
    return done


def changes(check: Check) -> dict[str, int]:
    """How many rows of each outcome: villages added or already there; people new, renewed, kept, joined."""
    if check.villages:
        added = sum(1 for row in check.villages if not row.exists)
        return {"new": added, "existing": len(check.villages) - added}
    counts = {NEW: 0, RENEWED: 0, UNCHANGED: 0, JOINED: 0}
    for row in check.members:
        counts[row.status] += 1
    return counts


def plan_digest(check: Check) -> str:
    """A short fingerprint of what applying a checked file would do, row by row: the same digest at the preview
    and at the confirmation means the person is confirming exactly what they were shown."""
    plan: list[list[Any]] = [[r.row, r.commune_code, r.name, r.exists] for r in check.villages]
    plan += [[r.row, r.village_id, r.name, r.role, r.status] for r in check.members]
    return hashlib.sha256(json.dumps(plan, ensure_ascii=False).encode()).hexdigest()[:16]
