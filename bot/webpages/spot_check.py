"""The spot-check routes (kiểm tra đột xuất), below a commune's page:

- `GET  /web/commune/{code}/spot-check`: the checks of the last 30 days and the button that draws more;
- `POST /web/commune/{code}/spot-check`: draw a random sample of recent sessions;
- `POST /web/commune/{code}/spot-check/{id}`: confirm or question one drawn session (`verdict`, `note`);
- `GET  /web/commune/{code}/spot-check/{id}/photo/{n}`: a drawn session's n-th photo, fetched from the messenger
  it was sent on (`fetch_photo`; without one, a page saying the photo is seen in the chat).

Only a commune's admin and its province's viewer check (others get 403, another commune 403); every POST
carries the session's CSRF token (`bot/webpages/csrf.py`), refused with 403 without it. A questioned session
is told to the village's team lead through the outbox, once per check whatever is posted again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from aiohttp import web
from sqlmodel import Session

from bot.i18n import Translator
from bot.messages import Reply
from bot.webpages import csrf
from bot.webpages.spot_check_html import SUPERVISORS, spot_check_page
from storage import outbox
from storage.areas import get_commune
from storage.errors import DomainError
from storage.models import Member
from storage.supervision import spot_checks
from storage.supervision.spot_checks import QUESTIONED, Drawn
from storage.vocab import ROLES

T = TypeVar("T")
# Fetch a photo from its messenger: (channel, file id) -> (bytes, MIME type), or None when it cannot be had.
PhotoFetcher = Callable[[str, str], Awaitable[tuple[bytes, str] | None]]
NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class Pages(Protocol):
    """What the spot checks use of the leaders' pages (bot/webpages/routes.py)."""

    @property
    def today(self) -> dt.date: ...

    def now(self) -> dt.datetime: ...

    async def _read(self, work: Callable[[Session], T], readonly: bool = True) -> T: ...

    async def _signed_in(self, request: web.Request) -> tuple[Member, Translator] | web.Response: ...

    def _page(self, text: str, status: int = 200) -> web.Response: ...

    def _message(self, tr: Translator, status: int, title: str, *lines: str) -> web.Response: ...

    def _forbidden(self, tr: Translator) -> web.Response: ...

    def _not_found(self, tr: Translator) -> web.Response: ...


def questioned_text(tr: Translator, supervisor: Member, lead: Member, drawn: Drawn) -> str:
    """The polite message to a team lead whose village's session a supervisor asked to clarify."""
    _ = tr.gettext
    lines = [
        _(
            "Chào {name}, {who} đã kiểm tra đột xuất buổi sinh hoạt của {village} ngày {date} ({n} người dự) "
            "và đề nghị làm rõ thêm."
        ).format(
            name=lead.display_name,
            who=_(ROLES.get(supervisor.role, supervisor.role)),
            village=drawn.village.name,
            date=tr.date(drawn.entry.session_date),
            n=tr.number(drawn.entry.attendees),
        )
    ]
    if drawn.check.note:
        lines.append(_("Ghi chú: {note}").format(note=drawn.check.note))
    lines.append(
        _(
            "Bạn vui lòng xem lại: nếu cần, gửi thêm ảnh minh chứng hoặc sửa số liệu (/sua), và trao đổi với cán bộ "
            "xã. Cảm ơn bạn!"
        )
    )
    return "\n".join(lines)


class SpotChecks:
    """The spot-check routes, on the leaders' pages' helpers."""

    def __init__(
        self,
        pages: Pages,
        may_see_commune: Callable[[Member, int, int], bool],
        cookie: str,
        fetch_photo: PhotoFetcher | None = None,
    ) -> None:
        self.pages = pages
        self.may_see_commune = may_see_commune
        self.cookie = cookie
        self.fetch_photo = fetch_photo

    def register(self, app: web.Application) -> None:
        """Add the routes."""
        base = "/web/commune/{code:\\d+}/spot-check"
        app.router.add_get(base, self.show)
        app.router.add_post(base, self.draw)
        app.router.add_post(base + "/{check:\\d+}", self.decide)
        app.router.add_get(base + "/{check:\\d+}/photo/{n:\\d+}", self.photo)

    async def _supervisor(self, request: web.Request) -> tuple[Member, Translator, str] | web.Response:
        """The signed-in supervisor of the commune asked for, and its name; else the page refusing."""
        signed = await self.pages._signed_in(request)
        if isinstance(signed, web.Response):
            return signed
        member, tr = signed
        code = int(request.match_info["code"])

        def work(session: Session) -> str | int:
            try:
                commune = get_commune(session, code)
            except DomainError:
                return 404
            if member.role not in SUPERVISORS or not self.may_see_commune(member, code, commune.province_code):
                return 403
            return commune.name

        name = await self.pages._read(work)
        if name == 404:
            return self.pages._not_found(tr)
        if isinstance(name, int):
            return self.pages._forbidden(tr)
        return member, tr, name

    async def _posted(self, request: web.Request) -> tuple[Member, Translator, dict[str, str]] | web.Response:
        """A supervisor's POST with the session's CSRF token, and its fields; else the page refusing."""
        found = await self._supervisor(request)
        if isinstance(found, web.Response):
            return found
        member, tr, _name = found
        form = await request.post()
        if not csrf.form_ok(request.cookies.get(self.cookie), form.get(csrf.FIELD)):
            _ = tr.gettext
            return self.pages._message(
                tr,
                403,
                _("Không gửi được biểu mẫu"),
                _("Trang đã cũ hoặc phiên đăng nhập đã đổi. Bạn mở lại trang rồi thử lại."),
            )
        return member, tr, {k: v for k, v in form.items() if isinstance(v, str)}

    @staticmethod
    def _back(code: int, query: str = "") -> web.Response:
        location = f"/web/commune/{code}/spot-check{query}"
        return web.Response(status=303, headers={**NO_STORE, "Location": location})

    async def show(self, request: web.Request) -> web.Response:
        """GET: the commune's checks of the last days and the button that draws more."""
        found = await self._supervisor(request)
        if isinstance(found, web.Response):
            return found
        member, tr, name = found
        code = int(request.match_info["code"])
        now = self.pages.now()
        checks = await self.pages._read(lambda session: spot_checks.recent_checks(session, code, now))
        token = csrf.token_for(request.cookies.get(self.cookie, ""))
        empty = request.query.get("drawn") == "0"
        page = spot_check_page(tr, member, code, name, checks, token, self.fetch_photo is not None, empty)
        return self.pages._page(page)

    async def draw(self, request: web.Request) -> web.Response:
        """POST: draw a random sample of the commune's recent sessions."""
        posted = await self._posted(request)
        if isinstance(posted, web.Response):
            return posted
        member, _tr, _form = posted
        code = int(request.match_info["code"])
        today, now = self.pages.today, self.pages.now()
        drawn = await self.pages._read(
            lambda session: len(spot_checks.draw(session, member, code, today, now)), readonly=False
        )
        return self._back(code, "" if drawn else "?drawn=0")

    async def decide(self, request: web.Request) -> web.Response:
        """POST: confirm or question a drawn session; a questioned one is told to the village's team lead, once."""
        posted = await self._posted(request)
        if isinstance(posted, web.Response):
            return posted
        member, tr, form = posted
        code, check_id = int(request.match_info["code"]), int(request.match_info["check"])
        verdict, note = form.get("verdict", ""), form.get("note", "")
        now = self.pages.now()

        def work(session: Session) -> str | None:
            try:
                drawn = spot_checks.decide(session, member, code, check_id, verdict, note, now)
            except DomainError as error:
                return error.code
            if drawn.check.verdict == QUESTIONED:
                for lead, account in spot_checks.to_tell(session, drawn):
                    outbox.enqueue_once(
                        session,
                        channel=account.channel,
                        chat_id=account.chat_id,
                        kind=outbox.KIND_MESSAGE,
                        payload=Reply(questioned_text(Translator(lead.locale), member, lead, drawn)).to_payload(),
                        now=now,
                        idempotency_key=spot_checks.tell_key(drawn.check, account),
                    )
            return None

        problem = await self.pages._read(work, readonly=False)
        if problem == "spot_check_unknown":
            return self.pages._forbidden(tr)
        if problem is not None:
            _ = tr.gettext
            return self.pages._message(
                tr, 400, _("Chưa ghi nhận được"), _("Bạn chọn «Xác nhận» hoặc «Cần làm rõ» rồi bấm «Ghi nhận».")
            )
        return self._back(code)

    async def photo(self, request: web.Request) -> web.StreamResponse:
        """GET: a drawn session's photo, fetched from its messenger for a supervisor of its commune only."""
        found = await self._supervisor(request)
        if isinstance(found, web.Response):
            return found
        _member, tr, _name = found
        code, check_id, n = (int(request.match_info[k]) for k in ("code", "check", "n"))

        def work(session: Session) -> dict[str, str] | int:
            try:
                evidence = spot_checks.check_of(session, code, check_id).entry.evidence or []
            except DomainError:
                return 403
            return evidence[n] if n < len(evidence) else 404

        ref = await self.pages._read(work)
        if ref == 403:
            return self.pages._forbidden(tr)
        fetched = None
        if isinstance(ref, dict) and self.fetch_photo is not None:
            fetched = await self.fetch_photo(str(ref.get("channel", "")), str(ref.get("file_id", "")))
        if fetched is None:
            _ = tr.gettext
            return self.pages._message(
                tr,
                404,
                _("Không mở được ảnh"),
                _("Ảnh này được lưu trên ứng dụng nhắn tin; bạn xem trong nhóm chat của thôn."),
            )
        content, mime = fetched
        return web.Response(body=content, content_type=mime, headers=NO_STORE)
