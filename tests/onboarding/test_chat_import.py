"""Importing a spreadsheet in chat: a commune admin sends the file, sees the preview, «Đúng» applies it.

Through the real engine on SQLite and PostgreSQL: villages previewed then imported, the same file again changes
nothing; team members become personal invites and the invite-links XLSX comes back; every bad row named and
nothing imported; a phone column refused whole; anyone else (a team lead, a stranger, a group) refused with nothing
saved; another person's «Đúng» changes nothing; the commune changing between the preview and «Đúng» shows the new
preview instead of applying an old one.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import func, select

from bot.channels.telegram import to_incoming, wants_content
from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine, Outcome
from bot.imports_files import MAX_FILE_BYTES
from bot.messages import Incoming, IncomingFile
from handlers.base import IDLE
from handlers.router import route
from handlers.sheet_import import MAX_CHAT_ROWS
from storage import invites
from storage.areas import add_villages
from storage.db import Database
from storage.models import AuditEntry, ConversationState, Invite, StoredFile, Village
from storage.settings import set_setting
from tests.chat import ChatDriver, Sent, last_with_buttons

SON_KIM_1, SON_KIM_2 = 18196, 18199
ADMIN, LEAD, OTHER_ADMIN, STRANGER = 7101, 7102, 7103, 7109


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.worksheets[0].append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def counts(database: Database) -> tuple[int, int, int]:
    """Villages, invites and audit entries: what an import may write."""
    with database.session() as session:
        return (
            session.exec(select(func.count()).select_from(Village)).one(),
            session.exec(select(func.count()).select_from(Invite)).one(),
            session.exec(select(func.count()).select_from(AuditEntry)).one(),
        )


def step_of(database: Database, user: int) -> str:
    with database.session() as session:
        state = session.get(ConversationState, ("telegram", str(user), ""))
        return state.name if state is not None else IDLE


def _setup(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    """Xã Sơn Kim 1 with Thôn 1 and its admin and lead; Xã Sơn Kim 2 with its own admin."""
    with database.session() as session:
        villages, _ = add_villages(session, SON_KIM_1, ["Thôn 1"], now=clock.now(), actor_id=None)
        set_setting(session, "telegram.username", "bdhvs_demo_bot", clock.now())
        codes = [
            invites.create_invite(
                session, role="commune_admin", commune_code=code, now=clock.now(), days=14, max_uses=1
            ).code
            for code in (SON_KIM_1, SON_KIM_2)
        ]
        lead = invites.create_invite(
            session,
            role="team_lead",
            commune_code=SON_KIM_1,
            village_id=villages[0].id,
            now=clock.now(),
            days=14,
            max_uses=1,
        ).code
    assert "Chào mừng" in chat.say(ADMIN, f"/start {codes[0]}", name="Chị Lan")[0].text
    assert "Chào mừng" in chat.say(OTHER_ADMIN, f"/start {codes[1]}", name="Anh Nam")[0].text
    assert "Chào mừng" in chat.say(LEAD, f"/start {lead}", name="Bác Hùng")[0].text


VILLAGES = [["Tên thôn"], ["Thôn 1"], ["Thôn 2"], ["thôn  Hà Tân"], ["Bản Nà Sang"]]


def test_villages_previewed_then_imported_and_the_same_file_again_changes_nothing(
    chat: ChatDriver, database: Database, clock: FixedClock
) -> None:
    _setup(chat, database, clock)
    before = counts(database)
    preview = last_with_buttons(chat.document(ADMIN, "thon.xlsx", xlsx(VILLAGES)))
    assert "danh sách thôn, 4 dòng" in preview.text
    assert "Sẽ thêm 3 thôn mới vào Xã Sơn Kim 1: Thôn 2, Thôn Hà Tân, Bản Nà Sang." in preview.text
    assert "1 thôn đã có, giữ nguyên." in preview.text
    assert [b.label for b in preview.buttons] == ["✅ Đúng, nhập", "❌ Huỷ"]
    assert counts(database) == before  # only previewed
    done = chat.press(ADMIN, preview, "Đúng", update_id="import-ok")
    assert "Đã nhập 3 thôn mới từ «thon.xlsx»" in done[-1].text
    with database.session() as session:
        names = session.exec(select(Village.name).where(Village.commune_code == SON_KIM_1).order_by(Village.id)).all()
        audited = session.exec(select(AuditEntry).where(AuditEntry.actor_id.is_not(None))).all()  # type: ignore[union-attr]
    assert names == ["Thôn 1", "Thôn 2", "Thôn Hà Tân", "Bản Nà Sang"]
    assert len(audited) >= 1 and step_of(database, ADMIN) == IDLE
    after = counts(database)
    # The same «Đúng» delivered again does nothing twice.
    chat.press(ADMIN, preview, "Đúng", update_id="import-ok")
    assert chat.last_outcome == Outcome.DUPLICATE and counts(database) == after
    # The same file again: nothing to change, no buttons, nothing written.
    again = chat.document(ADMIN, "thon.xlsx", xlsx(VILLAGES))
    assert "cả 4 thôn trong tệp đều đã có ở Xã Sơn Kim 1. Không có gì thay đổi." in again[-1].text
    assert not any(b.label.startswith("✅") for b in again[-1].buttons)
    assert counts(database) == after


MEMBERS = [
    ["Thôn", "Họ và tên", "Vai trò"],
    ["Thôn 1", "Nguyễn Văn An", "Tổ trưởng"],
    ["Thôn 1", "Trần Thị Bình", ""],
    ["thon 1", "Lê Văn Cường", "thành viên"],
]


def _invite_list(sent: list[Sent], database: Database) -> list[list[Any]]:
    """The rows of the invite-links workbook the bot sent back."""
    document = next(s for s in sent if s.reply.file_token)
    assert document.reply.file_kind == "document"
    with database.session() as session:
        stored = session.exec(select(StoredFile).where(StoredFile.token == document.reply.file_token)).one()
        assert stored.filename.endswith(".xlsx")
        content = stored.content
    return [list(r) for r in load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True)]


def test_members_become_personal_invites_and_the_links_come_back_as_xlsx(
    chat: ChatDriver, database: Database, clock: FixedClock
) -> None:
    _setup(chat, database, clock)
    preview = last_with_buttons(chat.document(ADMIN, "to.xlsx", xlsx(MEMBERS)))
    assert "danh sách thành viên tổ, 3 người" in preview.text
    assert "Sẽ tạo 3 mã mời mới" in preview.text and "Nguyễn Văn An, Trần Thị Bình, Lê Văn Cường." in preview.text
    done = chat.press(ADMIN, preview, "Đúng")
    assert "Đã nhập «to.xlsx»: 3 mã mời mới" in done[-1].text
    rows = _invite_list(done, database)
    assert rows[0][:6] == ["Xã", "Thôn", "Họ tên", "Vai trò", "Mã mời", "Link"]
    links = {r[2]: r[5] for r in rows[1:]}
    assert set(links) == {"Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"}
    assert all(str(link).startswith("https://t.me/bdhvs_demo_bot?start=") for link in links.values())
    with database.session() as session:
        made = session.exec(select(Invite).where(Invite.invitee_name.is_not(None))).all()  # type: ignore[union-attr]
    assert sorted((i.invitee_name, i.role, i.max_uses) for i in made) == [
        ("Lê Văn Cường", "member", 1),
        ("Nguyễn Văn An", "team_lead", 1),
        ("Trần Thị Bình", "member", 1),
    ]
    after = counts(database)
    # The same file again: no new invite, the same links sent again.
    preview = last_with_buttons(chat.document(ADMIN, "to.xlsx", xlsx(MEMBERS)))
    assert "Sẽ tạo 0 mã mời mới" in preview.text and "3 người đã có mã còn dùng được, giữ nguyên." in preview.text
    done = chat.press(ADMIN, preview, "Đúng")
    assert "0 mã mời mới" in done[-1].text
    assert {r[2]: r[5] for r in _invite_list(done, database)[1:]} == links
    assert counts(database) == after


def test_every_bad_row_is_named_and_nothing_is_imported(
    chat: ChatDriver, database: Database, clock: FixedClock
) -> None:
    _setup(chat, database, clock)
    before = counts(database)
    rows: list[list[Any]] = [
        ["Mã xã", "Thôn"],
        [SON_KIM_1, "Thôn 7"],
        [SON_KIM_2, "Thôn 8"],  # another commune: never imported by this admin
        [SON_KIM_1, ""],
        [SON_KIM_1, "thôn 7"],
        ["Xã Không Có", "Thôn 9"],
    ]
    sent = chat.document(ADMIN, "thon.csv", "\n".join(",".join(map(str, r)) for r in rows).encode())
    text = sent[-1].text
    assert "có 4 dòng chưa đúng, nên bot chưa nhập dòng nào" in text
    assert "Dòng 3: Xã «Xã Sơn Kim 2» không phải xã bạn phụ trách." in text
    assert "Dòng 4: Chưa ghi tên." in text
    assert "Dòng 5: «Thôn 7» trùng với một dòng ở trên." in text
    assert "Dòng 6: Không tìm thấy xã «Xã Không Có»." in text
    assert not sent[-1].buttons and counts(database) == before and step_of(database, ADMIN) == IDLE
    # Many bad rows: the first ten are shown, the rest counted.
    many = [["Thôn", "Họ tên"]] + [[f"Thôn {n}", f"Người {n}"] for n in range(20, 33)]
    text = chat.document(ADMIN, "to.xlsx", xlsx(many))[-1].text
    assert "có 13 dòng chưa đúng" in text and text.count("• Dòng ") == 10 and "… và 3 lỗi khác." in text
    assert counts(database) == before


def test_a_phone_column_refuses_the_file_whole(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    _setup(chat, database, clock)
    before = counts(database)
    rows = [["Thôn", "Họ tên", "Số điện thoại"], ["Thôn 1", "Nguyễn Văn An", "0912345678"]]
    sent = chat.document(ADMIN, "to.xlsx", xlsx(rows))
    assert "cột «Số điện thoại»" in sent[-1].text and "Nghị định 13/2023/NĐ-CP" in sent[-1].text
    assert not sent[-1].buttons and counts(database) == before and step_of(database, ADMIN) == IDLE
    # A column of ID numbers without a telling header: refused all the same.
    rows = [["Thôn", "Họ tên", "Ghi chú"], ["Thôn 1", "Nguyễn Văn An", "042198001234"]]
    assert "cột «Ghi chú»" in chat.document(ADMIN, "to.xlsx", xlsx(rows))[-1].text
    assert counts(database) == before


def test_anyone_but_a_commune_admin_is_refused_and_nothing_is_saved(
    chat: ChatDriver, database: Database, clock: FixedClock
) -> None:
    _setup(chat, database, clock)
    before = counts(database)
    lead = chat.document(LEAD, "thon.xlsx", xlsx(VILLAGES))
    assert "Bot chỉ nhận tệp danh sách thôn hoặc thành viên tổ do cán bộ xã gửi" in lead[0].text
    assert not any(b.label.startswith("✅") for b in lead[0].buttons) and step_of(database, LEAD) == IDLE
    stranger = chat.document(STRANGER, "thon.xlsx", xlsx(VILLAGES))
    assert "Bạn chưa tham gia" in stranger[0].text and step_of(database, STRANGER) == IDLE
    # In a group, even from the commune admin: never imported there.
    in_group = Incoming(
        channel="telegram",
        update_id="group-file",
        user_id=str(ADMIN),
        chat_id="-1001",
        chat_type="group",
        chat_title="Thôn 1",
        said_id="5",
        document=IncomingFile("doc", "thon.xlsx", 100, content=xlsx(VILLAGES)),
    )
    sent = chat.send(in_group)
    assert "trong chat riêng" in sent[-1].text and not sent[-1].buttons
    assert counts(database) == before


def test_another_persons_confirm_changes_nothing(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    _setup(chat, database, clock)
    before = counts(database)
    preview = last_with_buttons(chat.document(ADMIN, "thon.xlsx", xlsx(VILLAGES)))
    for other in (OTHER_ADMIN, LEAD, STRANGER):
        pressed = chat.press(other, preview, "Đúng")
        assert "Nút này thuộc một thao tác đã xong hoặc đã huỷ" in pressed[-1].text
        assert counts(database) == before
    assert step_of(database, ADMIN) == "im.confirm"  # the admin's preview still waits for them
    assert "Đã nhập 3 thôn mới" in chat.press(ADMIN, preview, "Đúng")[-1].text


def test_a_change_between_the_preview_and_the_confirm_shows_the_new_preview(
    chat: ChatDriver, database: Database, clock: FixedClock
) -> None:
    _setup(chat, database, clock)
    preview = last_with_buttons(chat.document(ADMIN, "thon.xlsx", xlsx(VILLAGES)))
    with database.session() as session:  # someone adds Thôn 2 meanwhile (/thon)
        add_villages(session, SON_KIM_1, ["Thôn 2"], now=clock.now(), actor_id=None)
    before = counts(database)
    again = last_with_buttons(chat.press(ADMIN, preview, "Đúng"))
    assert "Dữ liệu của xã đã thay đổi từ lúc bạn xem trước" in again.text
    assert "Sẽ thêm 2 thôn mới vào Xã Sơn Kim 1: Thôn Hà Tân, Bản Nà Sang." in again.text
    assert counts(database) == before
    assert "Nút này thuộc một thao tác đã xong" in chat.press(ADMIN, preview, "Đúng")[-1].text  # the old one
    assert "Đã nhập 2 thôn mới" in chat.press(ADMIN, again, "Đúng")[-1].text
    # Huỷ keeps nothing.
    preview = last_with_buttons(chat.document(ADMIN, "thon.xlsx", xlsx([["Thôn"], ["Thôn 10"]])))
    assert "Đã huỷ, bot chưa nhập gì" in chat.press(ADMIN, preview, "Huỷ")[-1].text
    with database.session() as session:
        assert session.exec(select(Village).where(Village.name == "Thôn 10")).first() is None


def test_files_that_cannot_be_imported_in_chat(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    _setup(chat, database, clock)
    before = counts(database)
    too_big = chat.document(ADMIN, "thon.xlsx", None, size=MAX_FILE_BYTES + 1, problem="file_too_big")
    assert "Tệp lớn quá (tối đa 5 MB)" in too_big[-1].text
    assert "tệp Excel (.xlsx) hoặc CSV" in chat.document(ADMIN, "bao-cao.pdf", None, size=1000)[-1].text
    assert "chưa tải được tệp" in chat.document(ADMIN, "thon.xlsx", None, problem="file_not_fetched")[-1].text
    assert "không mở được tệp" in chat.document(ADMIN, "thon.xlsx", b"not a workbook")[-1].text
    unknown = chat.document(ADMIN, "ds.xlsx", xlsx([["Số thứ tự", "Ghi chú"], ["1", "x"]]))
    assert "Bot chưa nhận ra tệp này" in unknown[-1].text
    rows = [["Thôn"]] + [[f"Thôn {n}"] for n in range(MAX_CHAT_ROWS + 1)]
    assert "Tệp có hơn 2.000 dòng" in chat.document(ADMIN, "thon.csv", "\n".join(r[0] for r in rows).encode())[-1].text
    assert counts(database) == before


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_state_kept_for_a_full_file_stays_small(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    """2,000 members rows (the chat's limit) with extra columns: only the four read are kept, in about 250 KB."""
    _setup(chat, database, clock)
    rows = [["STT", "Xã", "Thôn", "Họ và tên", "Vai trò", "Ghi chú dài"]]
    rows += [[n, "Xã Sơn Kim 1", "Thôn 1", f"Nguyễn Thị Người Thứ {n}", "thành viên", "x" * 80] for n in range(2000)]
    preview = last_with_buttons(chat.document(ADMIN, "to.xlsx", xlsx(rows)))
    assert "2.000 người" in preview.text
    with database.session() as session:
        state = session.get(ConversationState, ("telegram", str(ADMIN), ""))
        assert state is not None and state.name == "im.confirm"
        size = len(json.dumps(state.data).encode())  # as the JSON column stores it, letters escaped
    assert state.data["sheet"]["headers"] == ["Xã", "Thôn", "Họ và tên", "Vai trò"]
    assert size < 320 * 1024, size


def _message(chat: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    user = {"id": ADMIN, "is_bot": False, "first_name": "Lan"}
    return {"update_id": 9, "message": {"message_id": 3, "from": user, "chat": chat, "date": 0, "document": document}}


def test_telegram_reads_a_file_sent_as_a_document_and_fetches_only_a_private_spreadsheet() -> None:
    private = {"id": ADMIN, "type": "private"}
    sheet = {"file_id": "BQAC1", "file_unique_id": "u1", "file_name": "thon.xlsx", "file_size": 5120}
    incoming = to_incoming(_message(private, sheet))
    assert incoming is not None and incoming.photo_file_id is None
    assert incoming.document == IncomingFile("BQAC1", "thon.xlsx", 5120)
    assert wants_content(incoming)
    # A picture sent as a file stays a photo (evidence); a PDF is a document the channel does not fetch.
    picture = {**sheet, "file_name": "lop.png", "mime_type": "image/png"}
    incoming = to_incoming(_message(private, picture))
    assert incoming is not None and incoming.photo_file_id == "BQAC1" and incoming.document is None
    incoming = to_incoming(_message(private, {**sheet, "file_name": "bao-cao.pdf"}))
    assert incoming is not None and incoming.document is not None and not wants_content(incoming)
    # In a group the file is never fetched.
    group = {"id": -1001, "type": "supergroup", "title": "Thôn 1"}
    incoming = to_incoming(_message(group, sheet))
    assert incoming is not None and incoming.document is not None and not wants_content(incoming)


def test_on_zalo_help_points_to_telegram_or_the_cli(database: Database, config: Config, clock: FixedClock) -> None:
    """Zalo's Bot API delivers no file event: its /help and /thon say where to send the file instead."""
    zalo = ChatDriver(ConversationEngine(database, config, clock, route), database, channel="zalo")
    with database.session() as session:
        code = invites.create_invite(
            session, role="commune_admin", commune_code=SON_KIM_1, now=clock.now(), days=14, max_uses=1
        ).code
    assert "Chào mừng" in zalo.say("zalo-admin", code, name="Chị Lan")[0].text
    for command in ("/help", "/thon"):
        text = "\n".join(s.text for s in zalo.say("zalo-admin", command))
        assert "Zalo không chuyển tệp cho bot" in text and "trên Telegram" in text, text
