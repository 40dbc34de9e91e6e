"""Reading the sandbox page's requests: the checks every route of bot/sandbox/web.py and
bot/sandbox/web_media.py makes on what the page sends, and the error answers they give.

Kept apart so the routes read as what they do; a bad value is answered with a JSON ``{"error": ...}`` and a
4xx status, as the page expects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from .fake_telegram import FakeTelegram
from .fake_zalo import FakeZalo
from .web_groups import PageGroup
from .web_state import PageBot, SandboxChat

SANDBOX_KEY: web.AppKey[SandboxChat] = web.AppKey("bdhvs_sandbox_chat")


def update_id_view(update_id: int | None) -> int | None:
    """The update's id for the page, or None when the bot did not receive the message (group talk)."""
    return None if update_id is None else int(update_id)


def read_channel(value: Any) -> str:
    """The messenger a request goes through: ``telegram`` (the default) or ``zalo``."""
    channel = str(value or "telegram").lower()
    if channel not in ("telegram", "zalo"):
        raise web.HTTPBadRequest(text='{"error": "channel must be telegram or zalo"}', content_type="application/json")
    return channel


def page_bot_of(sandbox: SandboxChat, user_id: int, key: Any) -> PageBot:
    """The Telegram bot a private chat's request goes to: the one named, else the person's own."""
    try:
        return sandbox.bot_of(user_id, key)
    except LookupError:
        raise web.HTTPBadRequest(text='{"error": "no such bot"}', content_type="application/json") from None


def bad(message: str, status: int = 400) -> web.Response:
    """An error answer the page shows."""
    return web.json_response({"error": message}, status=status)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object."""
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text='{"error": "JSON body expected"}', content_type="application/json") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='{"error": "JSON object expected"}', content_type="application/json")
    return body


def read_user_id(value: Any) -> int:
    """The Telegram user id the request speaks as (a positive number)."""
    try:
        user_id = int(value)
    except (TypeError, ValueError):
        raise web.HTTPBadRequest(
            text='{"error": "user_id must be a number"}', content_type="application/json"
        ) from None
    if user_id <= 0:
        raise web.HTTPBadRequest(text='{"error": "user_id must be positive"}', content_type="application/json")
    return user_id


def group_of(sandbox: SandboxChat, key: Any) -> PageGroup:
    """The demo group a request names."""
    group = sandbox.groups.get(str(key))
    if group is None:
        raise web.HTTPNotFound(text='{"error": "no such group"}', content_type="application/json")
    return group


def read_reply_to(value: Any, channel: str) -> Any:
    """The message a group message answers: a Telegram message id (a number) or a Zalo one (a string)."""
    if value is None or value == "":
        return None
    if channel == "zalo":
        return str(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise web.HTTPBadRequest(
            text='{"error": "reply_to must be a message id"}', content_type="application/json"
        ) from None


def post_in_group(
    sandbox: SandboxChat,
    group: PageGroup,
    channel: str,
    on_zalo: Callable[[FakeZalo], Any],
    on_telegram: Callable[[FakeTelegram], int | None],
) -> web.Response:
    """A member's message or picture in a group, on the messenger asked: `on_zalo` or `on_telegram` puts it on
    that group's fake; the answer is the page's `{update_id, version}` (409 when the fake refuses it)."""
    try:
        if channel == "zalo":
            if sandbox.zalo is None:
                return bad("Zalo is not part of this sandbox")
            message_id = on_zalo(sandbox.zalo)
            return web.json_response({"update_id": message_id, "version": sandbox.groups.version(group, channel)})
        update_id = on_telegram(sandbox.groups.fake_of(group))
    except ValueError as exc:
        return bad(str(exc), 409)
    return web.json_response(
        {"update_id": update_id_view(update_id), "version": sandbox.groups.version(group, channel)}
    )
