"""The spot-check page (kiểm tra đột xuất): a button that draws a random sample of recent sessions, and each drawn
session with its evidence and a form to confirm or question it. Every form carries the session's CSRF token."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.i18n import Translator
from bot.webpages.csrf import hidden_field
from bot.webpages.html import layout
from storage.models import Member
from storage.supervision.spot_checks import CONFIRMED, NOTE_LIMIT, QUESTIONED, RECENT_DAYS, SAMPLE_SIZE, Drawn
from storage.vocab import N_, ROLE_COMMUNE_ADMIN, ROLE_PROVINCE_VIEWER, TOPICS

SUPERVISORS = (ROLE_COMMUNE_ADMIN, ROLE_PROVINCE_VIEWER)

WORDS = {
    "title": N_("Kiểm tra đột xuất"),
    "open": N_("🔎 Kiểm tra đột xuất"),
    "hint": N_(
        "Bấm nút để chọn ngẫu nhiên {n} buổi sinh hoạt trong {days} ngày qua (chưa từng được chọn). Xem ảnh minh "
        "chứng, rồi ghi nhận «Xác nhận» hoặc «Cần làm rõ» kèm ghi chú nếu cần. Khi một buổi cần làm rõ, bot báo "
        "tổ trưởng của thôn."
    ),
    "draw": N_("Chọn ngẫu nhiên {n} buổi"),
    "none": N_("Chưa có buổi nào được chọn trong {days} ngày qua."),
    "entry": N_("{village}, ngày {date}: {attendees} người dự. Nội dung: {topics}."),
    "photos": N_("Ảnh minh chứng: {n}"),
    "no_photo": N_("Chưa có ảnh minh chứng."),
    "photo_alt": N_("Ảnh minh chứng {n} của buổi sinh hoạt"),
    "confirm": N_("Xác nhận"),
    "question": N_("Cần làm rõ"),
    "note": N_("Ghi chú (không bắt buộc)"),
    "save": N_("Ghi nhận"),
    "state_open": N_("Chưa kiểm tra"),
    "state_confirmed": N_("Đã xác nhận"),
    "state_questioned": N_("Cần làm rõ"),
    "back": N_("Về trang của xã"),
    "empty_draw": N_("Không còn buổi sinh hoạt nào trong {days} ngày qua để chọn."),
}


def spot_check_link(tr: Translator, member: Member, commune_code: int) -> str:
    """The button to the spot-check page, for those who may check (a commune admin, a province viewer)."""
    if member.role not in SUPERVISORS:
        return ""
    return (
        f'<p class="downloads"><a data-testid="spot-check" href="/web/commune/{commune_code}/spot-check">'
        f"{escape(tr.gettext(WORDS['open']))}</a></p>"
    )


def _state(tr: Translator, verdict: str | None) -> str:
    kind = {CONFIRMED: "ok", QUESTIONED: "late"}.get(verdict or "", "wait")
    state = tr.gettext(WORDS["state_" + (verdict or "open")])
    return f'<span class="{kind}">{escape(state)}</span>'


def _drawn(tr: Translator, base: str, token: str, drawn: Drawn, photos_shown: bool) -> str:
    _ = tr.gettext
    check, entry = drawn.check, drawn.entry
    what = _(WORDS["entry"]).format(
        village=drawn.village.name,
        date=tr.date(entry.session_date),
        attendees=tr.number(entry.attendees),
        topics="; ".join(_(TOPICS[t]) for t in entry.topics if t in TOPICS) or "–",
    )
    count = len(entry.evidence or [])
    if not count:
        evidence = f"<p>{escape(_(WORDS['no_photo']))}</p>"
    else:
        images = ""
        if photos_shown:
            images = "".join(
                f'<a href="{base}/{check.id}/photo/{n}"><img src="{base}/{check.id}/photo/{n}" width="160" '
                f'loading="lazy" alt="{escape(_(WORDS["photo_alt"]).format(n=n + 1))}"></a>'
                for n in range(count)
            )
        evidence = f"<p>{escape(_(WORDS['photos']).format(n=tr.number(count)))}</p>{images}"
    checked = {CONFIRMED: "", QUESTIONED: ""}
    if check.verdict in checked:
        checked[check.verdict] = " checked"
    form = (
        f'<form method="post" action="{base}/{check.id}">{hidden_field(token)}'
        f'<label><input type="radio" name="verdict" value="{CONFIRMED}" required{checked[CONFIRMED]}> '
        f"{escape(_(WORDS['confirm']))}</label> "
        f'<label><input type="radio" name="verdict" value="{QUESTIONED}"{checked[QUESTIONED]}> '
        f"{escape(_(WORDS['question']))}</label>"
        f'<p><label>{escape(_(WORDS["note"]))}<br><input type="text" name="note" maxlength="{NOTE_LIMIT}" '
        f'value="{escape(check.note or "")}"></label></p>'
        f'<p><button type="submit">{escape(_(WORDS["save"]))}</button></p></form>'
    )
    return (
        f'<li data-check="{check.id}" data-session="{entry.id}" data-verdict="{check.verdict or ""}">'
        f"<p><b>{escape(what)}</b> {_state(tr, check.verdict)}</p>{evidence}{form}</li>"
    )


def spot_check_page(
    tr: Translator,
    member: Member,
    commune_code: int,
    commune_name: str,
    checks: Sequence[Drawn],
    token: str,
    photos_shown: bool,
    empty_draw: bool = False,
) -> str:
    """The commune's spot checks of the last days, newest first, and the button that draws more."""
    _ = tr.gettext
    base = f"/web/commune/{commune_code}/spot-check"
    title = f"{_(WORDS['title'])} – {commune_name}"
    hint = _(WORDS["hint"]).format(n=tr.number(SAMPLE_SIZE), days=tr.number(RECENT_DAYS))
    draw = (
        f'<form method="post" action="{base}">{hidden_field(token)}'
        f'<p><button type="submit" data-testid="draw">{escape(_(WORDS["draw"]).format(n=tr.number(SAMPLE_SIZE)))}'
        "</button></p></form>"
    )
    notice = f"<p>{escape(_(WORDS['empty_draw']).format(days=tr.number(RECENT_DAYS)))}</p>" if empty_draw else ""
    items = "".join(_drawn(tr, base, token, d, photos_shown) for d in checks)
    listing = (
        f'<ol data-testid="checks">{items}</ol>'
        if items
        else f"<p>{escape(_(WORDS['none']).format(days=tr.number(RECENT_DAYS)))}</p>"
    )
    body = (
        f'<p><a href="/web/commune/{commune_code}">‹ {escape(_(WORDS["back"]))}</a></p>'
        f"<h1>{escape(title)}</h1>"
        f'<section><p class="legend">{escape(hint)}</p>{draw}{notice}</section>'
        f"<section>{listing}</section>"
    )
    return layout(tr, title, body, member, token)
