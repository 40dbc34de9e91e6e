"""Photos as evidence (the sign-in sheet, the class): attached to a session by the platform's file reference."""

from __future__ import annotations

import datetime as dt
from typing import Any

from handlers.base import Turn
from handlers.common import main_menu, please_choose
from handlers.errors import explain
from storage import corrections
from storage.activity import recent_sessions
from storage.errors import DomainError
from storage.models import TrainingSession, Village, saved_id

FLOW = "p"
PICK = "p.pick"
RECENT = dt.timedelta(hours=3)  # a photo this soon after saving a session belongs to it


def file_ref(turn: Turn) -> dict[str, Any]:
    """What we keep of a photo: where it lives on the platform, never its bytes."""
    return {"channel": turn.incoming.channel, "file_id": turn.incoming.photo_file_id, "at": turn.now.isoformat()}


def on_photo(turn: Turn) -> None:
    """A photo from a member: into the session being logged, onto the session just saved, or ask which."""
    _ = turn._
    member = turn.require_member()
    # A session being logged (guided, or a one-line report with a session awaiting «Đúng») takes the photo.
    if turn.step.startswith("s.") or (turn.step.startswith("t.") and turn.data.get("has_session")):
        turn.state.data = {**turn.data, "evidence": [*turn.data.get("evidence", []), file_ref(turn)]}
        turn.say(_("📎 Đã nhận ảnh. Ảnh sẽ được đính kèm khi bạn lưu buổi sinh hoạt này."))
        return
    recent = recent_sessions(turn.session, member, since=turn.today - dt.timedelta(days=7))
    if not recent:
        turn.say(
            _("Ảnh cần gắn với một buổi sinh hoạt. Bạn ghi buổi sinh hoạt trước (/ghibuoi), rồi gửi ảnh."),
            main_menu(turn),
        )
        return
    if turn.now - recent[0].created_at <= RECENT:
        return attach(turn, saved_id(recent[0]), file_ref(turn))
    turn.start_flow(PICK, photo=file_ref(turn))
    rows = [[turn.button(_label(turn, s), FLOW, "attach", str(s.id))] for s in recent]
    rows.append([turn.button(_("❌ Không đính kèm"), FLOW, "cancel")])
    turn.say(_("Ảnh này thuộc buổi sinh hoạt nào?"), rows)


def _label(turn: Turn, row: TrainingSession) -> str:
    village = turn.session.get(Village, row.village_id)
    return turn._("{day} · {village} · {n} người").format(
        day=turn.tr.short_date(row.session_date),
        village=village.name if village else "?",
        n=turn.tr.number(row.attendees),
    )


def attach(turn: Turn, session_id: int, ref: dict[str, Any]) -> None:
    member = turn.require_member()
    try:
        row = corrections.attach_evidence(turn.session, member, session_id, ref, turn.now)
    except DomainError as error:
        turn.end_flow()
        turn.say(explain(error, turn.tr))
        return
    turn.end_flow()
    turn.say(
        turn._("📎 Đã đính kèm ảnh vào buổi sinh hoạt {entry} (số {id}, có {n} ảnh).").format(
            entry=_label(turn, row), id=row.id, n=turn.tr.number(len(row.evidence))
        )
    )


def on_button(turn: Turn, action: str, arg: str) -> None:
    if action == "attach" and arg.isdigit() and "photo" in turn.data:
        attach(turn, int(arg), turn.data["photo"])
    else:
        turn.end_flow()
        turn.say(turn._("Đã bỏ qua ảnh."), main_menu(turn))


def on_text(turn: Turn) -> None:
    please_choose(turn)
