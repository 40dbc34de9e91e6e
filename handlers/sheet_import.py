"""A commune admin imports a spreadsheet in chat: sends the file, sees what will change, «Đúng» applies it.

The same checks as `bdhvs import villages|members` (storage/imports.py), scoped to the admin's own commune: a row
naming another commune is a problem, a file without a commune column is their commune's. The file's kind comes
from its headers (a name column: team members; else a village column: villages). A column of phone or ID numbers
refuses the file whole; any bad row is named by its row number and nothing is imported. The file's bytes were
fetched by the channel before this turn (bot/channels/telegram.py): nothing here waits on the network.

What is kept between the preview and «Đúng»: the parsed rows, only the columns an import reads (commune, village,
name, role), each with its row number, in the conversation state, never the file's bytes. A file in chat has at
most `MAX_CHAT_ROWS` rows of four short cells, so the state stays within a few hundred kilobytes at worst
(measured: 2,000 rows of long Vietnamese names are about 250 KB of JSON as stored, its letters escaped; a
commune's usual list of a few dozen rows, a few kilobytes). It is written at the preview, read once more at the
press, and cleared at «Đúng» or «Huỷ» (or by any command), so a table of drafts with its own key and its own
clean-up of abandoned previews would add a migration and buy nothing. At «Đúng» the
rows are checked again against the database, and applied only if the plan is the one shown (`plan_digest`):
when the commune changed meanwhile, the person is shown the new preview instead. Applying is one transaction
(the engine's), audited like the CLI's; the same file again changes nothing.
"""

from __future__ import annotations

from bot.imports_files import (
    FILE_PROBLEMS,
    MAX_FILE_BYTES,
    UnreadableFile,
    invite_list_xlsx,
    is_spreadsheet_name,
    listed,
    problem_text,
    read_sheet,
)
from bot.messages import IncomingFile
from handlers.base import Turn
from handlers.common import go_button, main_menu, please_choose
from handlers.invite_links import invite_link
from handlers.reporting import send_file
from storage import imports, sheets
from storage.areas import get_commune
from storage.imports import Check
from storage.sheets import KIND_MEMBERS, KIND_VILLAGES, Sheet
from storage.vocab import ROLE_COMMUNE_ADMIN

FLOW = "im"  # payloads: im:<nonce>:<action>
CONFIRM = "im.confirm"
MAX_CHAT_ROWS = 2000  # a commune's list; a province's goes through `bdhvs import`
SHOWN_PROBLEMS = 10  # bad rows listed in one message (the rest counted): it must fit a phone screen
SHOWN_NAMES = 10


def on_file(turn: Turn) -> None:
    """A file sent as a document: a commune admin's spreadsheet is checked and previewed; anyone else is told."""
    _ = turn._
    incoming, member = turn.incoming, turn.member
    document = incoming.document
    if document is None:
        return
    if incoming.chat_type == "group":
        turn.say(_("Bạn gửi tệp danh sách cho bot trong chat riêng nhé: bot không nhập tệp gửi trong nhóm."))
        return
    if member is None:
        turn.say(
            _(
                "Cảm ơn bạn đã gửi tệp. Bot chỉ nhận tệp danh sách thôn hoặc thành viên tổ do cán bộ xã gửi, và "
                "không lưu lại tệp này. Bạn chưa tham gia: bạn gõ mã mời do cán bộ xã gửi (ví dụ: ABCD2345) để "
                "bắt đầu."
            )
        )
        return
    if member.role != ROLE_COMMUNE_ADMIN or member.commune_code is None:
        turn.say(
            _(
                "Cảm ơn bạn đã gửi tệp. Bot chỉ nhận tệp danh sách thôn hoặc thành viên tổ do cán bộ xã gửi để "
                "nhập; với tài khoản của bạn, bot không dùng đến tệp và không lưu lại gì. Bạn ghi hoạt động bằng "
                "tin nhắn chữ nhé (gõ /help để xem hướng dẫn)."
            ),
            main_menu(turn),
        )
        return
    turn.end_flow()  # a file starts afresh, as a command does
    sheet = _read(turn, document)
    if sheet is None:
        return
    column = sheets.personal_column(sheet)
    if column is not None:
        turn.say(_(sheets.PERSONAL_DATA).format(column=column))
        return
    kind = sheets.sheet_kind(sheet)
    if kind is None:
        turn.say(
            _(
                "Bot chưa nhận ra tệp này. Dòng đầu của tệp cần có tên cột: «Thôn» cho danh sách thôn; «Thôn» "
                "và «Họ tên» (thêm «Vai trò» nếu có) cho danh sách thành viên tổ."
            )
        )
        return
    kept = sheets.recognised_columns(sheet)
    check = _check(turn, kind, kept)
    if not check.ok:
        _show_problems(turn, check, document.file_name)
        return
    _preview(turn, kind, kept, check, document.file_name)


def _read(turn: Turn, document: IncomingFile) -> Sheet | None:
    """The file's first sheet, or None after telling the person why it cannot be read."""
    _ = turn._
    if document.problem == "file_too_big" or (document.size or 0) > MAX_FILE_BYTES:
        turn.say(_(FILE_PROBLEMS["file_too_big"]))
        return None
    if not is_spreadsheet_name(document.file_name):
        turn.say(_(FILE_PROBLEMS["file_kind"]))
        return None
    if document.content is None:
        turn.say(_("Bot chưa tải được tệp này về. Bạn gửi lại tệp giúp nhé."))
        return None
    try:
        return read_sheet(document.content, document.file_name)
    except UnreadableFile as error:
        turn.say(_(FILE_PROBLEMS[error.code]))
        return None


def _check(turn: Turn, kind: str, sheet: Sheet) -> Check:
    """Every row checked against the database, within the admin's commune (communes named within its province)."""
    commune = get_commune(turn.session, turn.require_commune())
    if kind == KIND_VILLAGES:
        return imports.check_villages(
            turn.session,
            sheet,
            province_code=commune.province_code,
            commune_scope=commune.code,
            max_rows=MAX_CHAT_ROWS,
        )
    return imports.check_members(
        turn.session,
        sheet,
        now=turn.now,
        province_code=commune.province_code,
        commune_scope=commune.code,
        max_rows=MAX_CHAT_ROWS,
    )


def _show_problems(turn: Turn, check: Check, filename: str, changed: bool = False) -> None:
    """Each bad row by its number and why (the first few, the rest counted); nothing was imported."""
    _ = turn._
    tr = turn.tr
    bad_rows = len({p.row for p in check.problems})
    lines = []
    if changed:
        lines.append(_("Dữ liệu của xã đã thay đổi từ lúc bạn xem trước, nên bot chưa nhập gì."))
    lines.append(
        _("📄 «{file}»: có {n} dòng chưa đúng, nên bot chưa nhập dòng nào.").format(
            file=filename, n=tr.number(bad_rows)
        )
    )
    for problem in check.problems[:SHOWN_PROBLEMS]:
        lines.append(_("• Dòng {row}: {reason}").format(row=tr.number(problem.row), reason=problem_text(problem, tr)))
    rest = len(check.problems) - SHOWN_PROBLEMS
    if rest > 0:
        lines.append(_("… và {n} lỗi khác.").format(n=tr.number(rest)))
    lines.append(_("Bạn sửa các dòng trên rồi gửi lại cả tệp nhé."))
    turn.say("\n".join(lines))


def _preview(turn: Turn, kind: str, sheet: Sheet, check: Check, filename: str, changed: bool = False) -> None:
    """What applying the file would change, with «Đúng, nhập» and «Huỷ»; a villages file that changes nothing
    is said so, without buttons."""
    _ = turn._
    tr = turn.tr
    commune = get_commune(turn.session, turn.require_commune())
    counts = imports.changes(check)
    lines = [_("Dữ liệu của xã đã thay đổi từ lúc bạn xem trước. Bạn xem lại nhé:")] if changed else []
    if kind == KIND_VILLAGES:
        new = [row.name for row in check.villages if not row.exists]
        if not new:
            turn.say(
                _("📄 «{file}»: cả {n} thôn trong tệp đều đã có ở {commune}. Không có gì thay đổi.").format(
                    file=filename, n=tr.number(len(check.villages)), commune=commune.name
                ),
                main_menu(turn),
            )
            return
        lines.append(
            _("📄 «{file}»: danh sách thôn, {n} dòng, đều hợp lệ.").format(
                file=filename, n=tr.number(len(check.villages))
            )
        )
        lines.append(
            _("Sẽ thêm {n} thôn mới vào {commune}: {names}").format(
                n=tr.number(len(new)), commune=commune.name, names=_names(turn, new)
            )
        )
        if counts["existing"]:
            lines.append(_("{n} thôn đã có, giữ nguyên.").format(n=tr.number(counts["existing"])))
    else:
        lines.append(
            _("📄 «{file}»: danh sách thành viên tổ, {n} người, đều hợp lệ.").format(
                file=filename, n=tr.number(len(check.members))
            )
        )
        new = [row.name for row in check.members if row.status == imports.NEW]
        lines.append(
            _("Sẽ tạo {n} mã mời mới (mỗi người một mã, dùng một lần) ở {commune}.").format(
                n=tr.number(counts[imports.NEW]), commune=commune.name
            )
            + (" " + _names(turn, new) if new else "")
        )
        if counts[imports.RENEWED]:
            lines.append(
                _("{n} người được làm mã mới vì mã trước đã hết hạn hoặc bị thu hồi.").format(
                    n=tr.number(counts[imports.RENEWED])
                )
            )
        if counts[imports.UNCHANGED]:
            lines.append(
                _("{n} người đã có mã còn dùng được, giữ nguyên.").format(n=tr.number(counts[imports.UNCHANGED]))
            )
        if counts[imports.JOINED]:
            lines.append(_("{n} người đã tham gia, không cần mã.").format(n=tr.number(counts[imports.JOINED])))
        lines.append(_("Sau khi nhập, bot gửi bạn tệp Excel có link mời riêng của từng người."))
    lines.append(_("Bạn kiểm tra rồi bấm «Đúng, nhập» nhé."))
    turn.start_flow(
        CONFIRM, kind=kind, file=filename, sheet=sheets.sheet_to_data(sheet), plan=imports.plan_digest(check)
    )
    turn.say(
        "\n".join(lines),
        [[turn.button(_("✅ Đúng, nhập"), FLOW, "ok"), turn.button(_("❌ Huỷ"), FLOW, "cancel")]],
    )


def _names(turn: Turn, names: list[str]) -> str:
    """Names in one line: the first few, the rest counted."""
    shown = ", ".join(names[:SHOWN_NAMES])
    rest = len(names) - SHOWN_NAMES
    if rest > 0:
        shown += " " + turn._("và {n} tên khác").format(n=turn.tr.number(rest))
    return shown + "."


def _confirm(turn: Turn) -> None:
    """«Đúng»: the kept rows checked again; applied in this turn's transaction only if the plan is the one shown."""
    _ = turn._
    member = turn.require_member()
    kind, filename = str(turn.data.get("kind")), str(turn.data.get("file") or "")
    if member.role != ROLE_COMMUNE_ADMIN or kind not in (KIND_VILLAGES, KIND_MEMBERS):
        turn.end_flow()
        turn.say(_("Bot chưa nhập gì: việc nhập tệp chỉ dành cho cán bộ xã."), main_menu(turn))
        return
    sheet = sheets.sheet_from_data(turn.data.get("sheet") or {})
    check = _check(turn, kind, sheet)
    if not check.ok:
        turn.end_flow()
        _show_problems(turn, check, filename, changed=True)
        return
    if imports.plan_digest(check) != turn.data.get("plan"):
        _preview(turn, kind, sheet, check, filename, changed=True)
        return
    turn.end_flow()
    if kind == KIND_VILLAGES:
        added = imports.apply_villages(turn.session, check, now=turn.now, actor_id=member.id)
        turn.say(
            _("✅ Đã nhập {n} thôn mới từ «{file}».").format(n=turn.tr.number(added), file=filename),
            [[go_button(_("🏘️ Thôn"), "thon"), go_button(_("🔑 Tạo mã mời"), "moi")]],
        )
        return
    done = imports.apply_members(
        turn.session, check, now=turn.now, days=turn.config.limits.invite_days, actor_id=member.id
    )
    links = {
        row.invite.code: invite_link(turn.session, row.invite.code, config=turn.config) or ""
        for row in done
        if row.invite
    }
    made = sum(1 for row in done if row.status in (imports.NEW, imports.RENEWED))
    content = invite_list_xlsx(listed(done, links, turn.config, turn.tr), turn.tr, people=True)
    send_file(
        turn,
        content=content,
        filename=_("ma-moi-thanh-vien.xlsx"),
        kind="document",
        caption=_(
            "✅ Đã nhập «{file}»: {made} mã mời mới. Tệp kèm theo có link mời riêng của từng người: bạn gửi "
            "đúng link cho đúng người; mỗi link dùng được một lần, đến hạn ghi trong tệp."
        ).format(file=filename, made=turn.tr.number(made)),
    )


def on_button(turn: Turn, action: str, arg: str) -> None:
    """«Đúng, nhập» or «Huỷ» under a preview (the router checked it is this person's current preview)."""
    if action == "ok" and turn.step == CONFIRM:
        return _confirm(turn)
    turn.end_flow()
    turn.say(turn._("Đã huỷ, bot chưa nhập gì từ tệp này."), main_menu(turn))


def on_text(turn: Turn) -> None:
    """Typing while a preview waits: ask for a press."""
    please_choose(turn)
