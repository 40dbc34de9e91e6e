"""Signing in and out of the leaders' pages: `/web` (to one's own area), `/web/signin/{token}` (the one-time
link `/web` gives in chat: a GET that asks for a press, a POST that opens the session), `/web/miniapp` (the
Telegram Mini App's entry, by its signed initData), `/web/signout`, and the one stylesheet."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session

from bot.i18n import Translator
from bot.webpages import csrf, html
from bot.webpages.base import COOKIE, HEADERS, PageBase, home_of
from bot.webpages.initdata import telegram_user_id
from storage.web_access import (
    LINK_EXPIRED,
    LINK_USED,
    check_link,
    end_session,
    open_session,
    telegram_member,
    use_link,
)


class SignInRoutes(PageBase):
    """The routes that open and end a web session."""

    async def style(self, request: web.Request) -> web.Response:
        """The one stylesheet, served by the bot (no CDN: the pages work on a LAN with no internet)."""
        return web.Response(text=html.STYLE, content_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    def _link_refused(self, tr: Translator, problem: str) -> web.Response:
        _ = tr.gettext
        if problem == LINK_USED:
            why = _("Liên kết này đã được dùng. Mỗi liên kết chỉ mở được một lần.")
        elif problem == LINK_EXPIRED:
            why = _("Liên kết này đã hết hạn (chỉ dùng được trong 10 phút).")
        else:
            why = _("Liên kết này không đúng.")
        return self._message(
            tr,
            410 if problem in (LINK_USED, LINK_EXPIRED) else 404,
            _("Không mở được bảng theo dõi"),
            why,
            _("Bạn gõ /web trong chat với bot để nhận liên kết mới."),
        )

    async def sign_in_form(self, request: web.Request) -> web.Response:
        """GET /web/signin/{token}: a refused link is said at once; a good one asks for a press (a POST)."""
        token = request.match_info["token"]
        now = self.clock.now()
        check = await self._read(lambda session: check_link(session, token, now))
        tr = Translator(check.member.locale if check.member else "vi")
        if check.problem is not None:
            return self._link_refused(tr, check.problem)
        return self._posting_page(html.sign_in_page(tr, request.path))

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        """POST /web/signin/{token}: use the link (once) and open a 12-hour session, then go to /web."""
        if not self.same_origin(request):
            return self._cross_site()
        token = request.match_info["token"]
        now = self.clock.now()

        def work(session: Session) -> tuple[str | None, str | None, str]:
            check = use_link(session, token, now)
            locale = check.member.locale if check.member else "vi"
            if check.problem is not None or check.member is None:
                return None, check.problem, locale
            return open_session(session, check.member, now), None, locale

        cookie, problem, locale = await self._read(work, readonly=False)
        if cookie is None:
            return self._link_refused(Translator(locale), problem or "unknown")
        return self._with_cookie(self._to_home(), cookie)

    async def sign_out(self, request: web.Request) -> web.Response:
        """POST /web/signout with the session's form token: end the session and forget the cookie. Without the
        token (a form of another site, an old page) the session and the cookie stay and a page says why; with no
        cookie there is nothing to end (and nothing is touched). A GET is not allowed (405)."""
        token = request.cookies.get(COOKIE)
        member = await self._member(request)
        form = await request.post()
        if token and not csrf.form_ok(token, form.get(csrf.FIELD)):
            tr = Translator(member.locale if member else "vi")
            _ = tr.gettext
            return self._message(
                tr,
                403,
                _("Chưa đăng xuất được"),
                _("Trang đã cũ hoặc phiên đăng nhập đã đổi. Bạn mở lại trang rồi thử lại."),
            )
        if token:
            now = self.clock.now()
            await self._read(lambda session: end_session(session, token, now), readonly=False)
        tr = Translator(member.locale if member else "vi")
        _ = tr.gettext
        response = self._message(
            tr, 200, _("Bạn đã đăng xuất"), _("Muốn xem lại, bạn gõ /web trong chat với bot để nhận liên kết mới.")
        )
        if token:
            response.del_cookie(COOKIE, path="/")
        return response

    async def mini_app_form(self, request: web.Request) -> web.Response:
        """GET /web/miniapp: the page Telegram opens as a Mini App; it posts the signed initData back."""
        return self._posting_page(html.mini_app_page(Translator()))

    async def mini_app(self, request: web.Request) -> web.StreamResponse:
        """POST /web/miniapp: initData checked with our bots' tokens (and not older than 12 hours) opens a session."""
        if not self.same_origin(request):
            return self._cross_site()
        form = await request.post()
        init_data = form.get("init_data")
        now = self.clock.now()
        user_id = None
        if isinstance(init_data, str):
            # Signed by one of our Telegram bots: the person's Telegram id is the same whichever bot they opened.
            user_id = next(
                (found for token in self.telegram_tokens() if (found := telegram_user_id(init_data, token, now))),
                None,
            )

        def work(session: Session) -> str | None:
            member = telegram_member(session, user_id) if user_id else None
            return open_session(session, member, now) if member is not None else None

        cookie = await self._read(work, readonly=False) if user_id else None
        if cookie is None:
            tr = Translator()
            _ = tr.gettext
            return self._message(
                tr,
                403,
                _("Không mở được bảng theo dõi"),
                _("Telegram không xác nhận được bạn, hoặc tài khoản chưa tham gia. Bạn gõ /web trong chat với bot."),
            )
        return self._with_cookie(self._to_home(), cookie, mini_app=True)

    async def home(self, request: web.Request) -> web.StreamResponse:
        """GET /web: to the person's own area's page."""
        member = await self._member(request)
        if member is None:
            return self._not_signed_in()
        raise web.HTTPSeeOther(home_of(member), headers=HEADERS)
