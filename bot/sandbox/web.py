"""The sandbox web chat: a page where a newcomer chats with the real bot as one of the demo people.

The page talks to a small JSON API; the API plays the user side of ``FakeTelegram`` (and of ``FakeZalo``
when given: the page then has a Telegram | Zalo switch) and reads its transcript. The bot itself is not
involved here: it talks to the same fakes through their Bot APIs. This module holds the routes (the picture and
file ones are bot/sandbox/web_media.py's, the checks of what a request sends bot/sandbox/web_requests.py's); the
state they read and change, and the JSON views of a chat, are bot/sandbox/web_state.py's, the demo groups
bot/sandbox/web_groups.py's.

Every person has a Telegram user id (the page's key for them) and, with Zalo, a Zalo user id
(``zalo_user_id``, a string as on Zalo). The ``channel`` parameter (``telegram`` by default, or ``zalo``)
picks which messenger a request goes through.

With a bot per province the page has several Telegram bots (``bots``: `PageBot`, each with its own fake), and
each person talks to their province's (their ``bot``, a bot's key). The ``bot`` parameter of a private chat's
request names another one: a newcomer may write to any bot (a code of Hà Tĩnh sent to the country's bot is
refused with a pointer to Hà Tĩnh's). A group's messages go to the bot in it.

Routes (all under the app given to ``add_sandbox_routes``):
    GET  /                              the page (static/index.html)
    GET  /sandbox/static/{name}         app.js, style.css
    GET  /sandbox/api/bot               {username, first_name, channels, zalo_name, bots: [{key, username,
                                        first_name, label, serves}]} (username, first_name: the first bot's)
    GET  /sandbox/api/personas          the demo people, then the newcomers made on this server (each with a bot)
    POST /sandbox/api/personas/new      {bot?} a fresh user id ("Người mới") to try an invite code
    GET  /sandbox/api/groups            the demo group chats (see bot/sandbox/web_groups.py)
    POST /sandbox/api/send              {user_id, text, channel?, bot?, group?, reply_to?, mention?}
                                        -> {update_id, version}
    POST /sandbox/api/press             {user_id, message_id, callback_data, bot?, group?} -> {update_id, version}
    POST /sandbox/api/photo             multipart: user_id, photo, caption, channel?, bot?, group?, reply_to?
                                        -> {update_id, version}; on Telegram in a private chat, a file that
                                        is not a picture (an .xlsx or .csv to import) is sent as a document
    GET  /sandbox/api/chat?user_id=&version=N&channel=&bot=&group=   long poll (LONG_POLL_SECONDS) while the
                                        version is N
    GET  /sandbox/api/file/{file_id}?bot=   a file the bot or a user sent (in a chat with that bot)
    POST /sandbox/api/dashboard         {user_id} -> {url}: a one-time sign-in link (a path on this server) to
                                        that person's leaders' page (bot/webpages/), made on click; 404 for
                                        someone who has not joined

With ``group`` (a group's key) a request speaks in that group as ``user_id``, one of its members, and the chat
is the group as that person's app shows it. ``update_id`` is null when the bot did not receive the message
(in a group, only commands, mentions and replies reach it). On Zalo, ``mention`` (or a text starting with
"@<bot name>") is a message that mentions the bot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from .fake_telegram import MAX_TEXT_LENGTH, FakeTelegram
from .fake_zalo import FakeZalo
from .web_groups import PageGroup
from .web_media import send_photo, serve_file
from .web_requests import (
    SANDBOX_KEY,
    bad,
    group_of,
    json_body,
    page_bot_of,
    post_in_group,
    read_channel,
    read_reply_to,
    read_user_id,
    update_id_view,
)
from .web_state import PageBot, SandboxChat, message_view, persona_name, zalo_message_view

STATIC_DIR = Path(__file__).with_name("static")
STATIC_FILES = {
    "app.js": "application/javascript",
    "style.css": "text/css",
}
LONG_POLL_SECONDS = 20.0

# Given by the wiring: a Telegram user id -> a fresh sign-in link to their leaders' page (None: not a member).
DashboardLink = Callable[[int], Awaitable[str | None]]
DASHBOARD_KEY: web.AppKey[DashboardLink] = web.AppKey("bdhvs_sandbox_dashboard")

# An example list in the shape add_sandbox_routes expects; the app passes the people of its demo data.
EXAMPLE_PERSONAS: list[dict[str, Any]] = [
    {"user_id": 1001, "name": "Nguyễn Thị Lan", "role": "Thành viên tổ", "area": "Thôn Đông, xã Sơn Kim 1"},
    {"user_id": 1002, "name": "Trần Văn Hùng", "role": "Tổ trưởng", "area": "Thôn Đông, xã Sơn Kim 1"},
    {"user_id": 1003, "name": "Lê Thu Hà", "role": "Cán bộ xã", "area": "Xã Sơn Kim 1"},
    {"user_id": 1004, "name": "Phạm Quốc Bảo", "role": "Lãnh đạo xã", "area": "Xã Sơn Kim 1"},
    {"user_id": 1005, "name": "Võ Minh Châu", "role": "Sở KH&CN", "area": "Tỉnh Hà Tĩnh"},
]


async def _index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def _static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    return web.FileResponse(
        STATIC_DIR / name, headers={"Cache-Control": "no-cache", "Content-Type": STATIC_FILES[name]}
    )


async def _bot(request: web.Request) -> web.Response:
    sandbox: SandboxChat = request.app[SANDBOX_KEY]
    fake = sandbox.fake
    channels = ["telegram", "zalo"] if sandbox.zalo is not None else ["telegram"]
    return web.json_response(
        {
            "username": fake.bot_username,
            "first_name": fake.bot_first_name,
            "channels": channels,
            "zalo_name": sandbox.zalo.bot_name if sandbox.zalo is not None else None,
            "bots": sandbox.bots_view(),
        }
    )


async def _personas(request: web.Request) -> web.Response:
    return web.json_response(request.app[SANDBOX_KEY].everyone())


async def _new_persona(request: web.Request) -> web.Response:
    sandbox: SandboxChat = request.app[SANDBOX_KEY]
    body = await json_body(request) if request.can_read_body else {}
    return web.json_response(sandbox.new_person(page_bot_of(sandbox, 0, body.get("bot")).key))


async def _send(request: web.Request) -> web.Response:
    sandbox: SandboxChat = request.app[SANDBOX_KEY]
    body = await json_body(request)
    user_id = read_user_id(body.get("user_id"))
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return bad("text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        return bad(f"text is longer than {MAX_TEXT_LENGTH} characters")
    person = sandbox.person(user_id) or {}
    if body.get("group") is not None:
        return _send_in_group(sandbox, group_of(sandbox, body.get("group")), user_id, text, body)
    if read_channel(body.get("channel")) == "zalo":
        if sandbox.zalo is None:
            return bad("Zalo is not part of this sandbox")
        if len(text) > 2000:
            return bad("text is longer than 2000 characters")
        zalo_id = sandbox.zalo_id(user_id)
        message_id = sandbox.zalo.user_says(zalo_id, text, display_name=persona_name(person) if person else None)
        return web.json_response({"update_id": message_id, "version": sandbox.zalo.chat_version(zalo_id)})
    fake = page_bot_of(sandbox, user_id, body.get("bot")).fake
    update_id = fake.user_says(
        user_id,
        text,
        first_name=persona_name(person) if person else None,
        language_code=person.get("language_code", "vi"),
    )
    return web.json_response({"update_id": update_id_view(update_id), "version": fake.chat_version(user_id)})


async def _press(request: web.Request) -> web.Response:
    sandbox: SandboxChat = request.app[SANDBOX_KEY]
    body = await json_body(request)
    user_id = read_user_id(body.get("user_id"))
    callback_data = body.get("callback_data")
    try:
        message_id = int(body.get("message_id"))  # type: ignore[arg-type]  # None or junk: refused just below
    except (TypeError, ValueError):
        return bad("message_id must be a number")
    if not isinstance(callback_data, str) or not callback_data:
        return bad("callback_data is empty")
    person = sandbox.person(user_id) or {}
    group = group_of(sandbox, body["group"]) if body.get("group") is not None else None
    chat_id = group.telegram_chat_id if group is not None else None
    fake = sandbox.groups.fake_of(group) if group is not None else page_bot_of(sandbox, user_id, body.get("bot")).fake
    try:
        # not strict: a press may race with the bot editing the buttons away, as on a phone
        update_id = fake.user_presses(
            user_id,
            message_id,
            callback_data,
            chat_id=chat_id,
            first_name=persona_name(person) if person else None,
            language_code=person.get("language_code", "vi"),
            strict=False,
        )
    except ValueError as exc:
        return bad(str(exc), 404)
    version = fake.chat_version(chat_id if chat_id is not None else user_id)
    return web.json_response({"update_id": update_id_view(update_id), "version": version})


async def _chat(request: web.Request) -> web.Response:
    sandbox: SandboxChat = request.app[SANDBOX_KEY]
    user_id = read_user_id(request.query.get("user_id"))
    try:
        version = int(request.query.get("version", "-1"))
    except ValueError:
        return bad("version must be a number")
    if request.query.get("group"):
        return await _group_chat(sandbox, group_of(sandbox, request.query["group"]), user_id, version, request)
    if read_channel(request.query.get("channel")) == "zalo":
        if sandbox.zalo is None:
            return bad("Zalo is not part of this sandbox")
        zalo_id = sandbox.zalo_id(user_id)
        if version == sandbox.zalo.chat_version(zalo_id):
            await sandbox.zalo.wait_for_chat_change(zalo_id, version, sandbox.long_poll_seconds)
        return web.json_response(sandbox.zalo_chat_view(user_id), headers={"Cache-Control": "no-store"})
    bot = page_bot_of(sandbox, user_id, request.query.get("bot"))
    if version == bot.fake.chat_version(user_id):
        await bot.fake.wait_for_chat_change(user_id, version, sandbox.long_poll_seconds)
    return web.json_response(sandbox.chat_view(user_id, bot), headers={"Cache-Control": "no-store"})


async def _groups(request: web.Request) -> web.Response:
    sandbox: SandboxChat = request.app[SANDBOX_KEY]
    listed = sandbox.groups.listed()
    for group in listed:
        group["people"] = [
            {"user_id": p["user_id"], "name": p["name"], "role": p.get("role", "")}
            for p in (sandbox.person(m) for m in group["members"])
            if p is not None
        ]
    return web.json_response(listed)


def _send_in_group(
    sandbox: SandboxChat, group: PageGroup, user_id: int, text: str, body: dict[str, Any]
) -> web.Response:
    """A member of the group writes in it, on the messenger asked."""
    person = sandbox.person(user_id) or {}
    name = persona_name(person) if person else None
    channel = read_channel(body.get("channel"))
    reply_to = read_reply_to(body.get("reply_to"), channel)
    zalo = sandbox.zalo
    if channel == "zalo" and zalo is not None and len(text) > 2000:
        return bad("text is longer than 2000 characters")
    mention = zalo is not None and (bool(body.get("mention")) or text.startswith(f"@{zalo.bot_name}"))
    return post_in_group(
        sandbox,
        group,
        channel,
        lambda zalo: zalo.user_says(
            sandbox.zalo_id(user_id),
            text,
            display_name=name,
            chat_id=group.zalo_group_id,
            mention=mention,
            reply_to=reply_to,
        ),
        lambda fake: fake.user_says(
            user_id,
            text,
            first_name=name,
            language_code=person.get("language_code", "vi"),
            chat_id=group.telegram_chat_id,
            reply_to=reply_to,
        ),
    )


async def _group_chat(
    sandbox: SandboxChat, group: PageGroup, user_id: int, version: int, request: web.Request
) -> web.Response:
    """The long poll of a group chat, as the member `user_id` sees it."""
    channel = read_channel(request.query.get("channel"))
    if channel == "zalo":
        if sandbox.zalo is None:
            return bad("Zalo is not part of this sandbox")
        if version == sandbox.groups.version(group, channel):
            await sandbox.zalo.wait_for_chat_change(group.zalo_group_id, version, sandbox.long_poll_seconds)
        view = sandbox.groups.zalo_view(group, user_id, zalo_message_view)
    else:
        if version == sandbox.groups.version(group, channel):
            await sandbox.groups.fake_of(group).wait_for_chat_change(
                group.telegram_chat_id, version, sandbox.long_poll_seconds
            )
        view = sandbox.groups.telegram_view(group, user_id, message_view)
    return web.json_response(view, headers={"Cache-Control": "no-store"})


async def _dashboard(request: web.Request) -> web.Response:
    body = await json_body(request)
    link = request.app.get(DASHBOARD_KEY)
    if link is None:
        return bad("the leaders' pages are not served here", 404)
    url = await link(read_user_id(body.get("user_id")))
    if url is None:
        return bad("người này chưa tham gia: chưa có bảng theo dõi", 404)
    return web.json_response({"url": url})


def add_sandbox_routes(
    app: web.Application,
    fake: FakeTelegram,
    personas: list[dict[str, Any]],
    *,
    long_poll_seconds: float = LONG_POLL_SECONDS,
    zalo: FakeZalo | None = None,
    groups: list[dict[str, Any]] | None = None,
    dashboard_link: DashboardLink | None = None,
    bots: list[PageBot] | None = None,
) -> SandboxChat:
    """Serve the web chat page and its JSON API on ``app`` (see the module docstring for routes).

    personas: the demo people, each ``{"user_id", "name", "role", "area"}`` (optional ``language_code``,
    ``first_name``, ``zalo_user_id``); they are registered with the fake(s) as people who opened the chat.
    zalo: the fake Zalo Bot API, to chat through Zalo as well (the page shows a channel switch).
    groups: the demo group chats (bot/sandbox/web_groups.py), made in the fakes with the bot already in them;
    the page lists them beside the people and speaks in them as any of their members.
    dashboard_link: makes a person's sign-in link to the leaders' page («🌐 Bảng theo dõi» on the page).
    bots: the Telegram bots when there are several (a bot per province), each with its own fake, `fake` the
    first's; a person (``bot``: a bot's key) or group (``bot``) naming none talks to the first.
    """
    sandbox = SandboxChat(fake, personas, long_poll_seconds, zalo, groups, bots)
    app[SANDBOX_KEY] = sandbox
    app.router.add_get("/", _index)
    app.router.add_get("/sandbox/static/{name}", _static)
    app.router.add_get("/sandbox/api/bot", _bot)
    app.router.add_get("/sandbox/api/personas", _personas)
    app.router.add_post("/sandbox/api/personas/new", _new_persona)
    app.router.add_get("/sandbox/api/groups", _groups)
    app.router.add_post("/sandbox/api/send", _send)
    app.router.add_post("/sandbox/api/press", _press)
    app.router.add_post("/sandbox/api/photo", send_photo)
    app.router.add_get("/sandbox/api/chat", _chat)
    app.router.add_get("/sandbox/api/file/{file_id}", serve_file)
    app.router.add_post("/sandbox/api/dashboard", _dashboard)
    if dashboard_link is not None:
        app[DASHBOARD_KEY] = dashboard_link

    async def wake_long_polls(app: web.Application) -> None:
        for bot in sandbox.bots.values():
            await bot.fake.wake_waiters()  # the page's pending long polls answer now, so shutdown is quick
        if zalo is not None:
            await zalo.wake_waiters()

    app.on_shutdown.append(wake_long_polls)
    return sandbox
