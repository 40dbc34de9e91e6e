"""The sandbox page's pictures and files: a person sends a picture (or, on Telegram, a spreadsheet to import) in
a private chat or a group, and the page fetches a file the bot or a user sent.

Routes (added by bot/sandbox/web.py's ``add_sandbox_routes``):
    POST /sandbox/api/photo             multipart: user_id, photo, caption, channel?, bot?, group?, reply_to?
                                        -> {update_id, version}
    GET  /sandbox/api/file/{file_id}?bot=   a file the bot or a user sent (in a chat with that bot)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.channels.photos import image_type

from .web_groups import PageGroup
from .web_requests import (
    SANDBOX_KEY,
    bad,
    group_of,
    page_bot_of,
    post_in_group,
    read_channel,
    read_reply_to,
    read_user_id,
    update_id_view,
)
from .web_state import SandboxChat, persona_name

MAX_PHOTO_BYTES = 10 * 1024 * 1024


async def send_photo(request: web.Request) -> web.Response:
    sandbox: SandboxChat = request.app[SANDBOX_KEY]
    request = request.clone(client_max_size=MAX_PHOTO_BYTES + 64 * 1024)
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        return bad("photo is larger than 10 MB", 413)
    user_id = read_user_id(form.get("user_id"))
    photo = form.get("photo")
    if not isinstance(photo, web.FileField):
        return bad("photo file expected")
    data = photo.file.read()
    if not data:
        return bad("photo is empty")
    caption = form.get("caption")
    person = sandbox.person(user_id) or {}
    if form.get("group"):
        group = group_of(sandbox, form.get("group"))
        text = caption if isinstance(caption, str) and caption.strip() else None
        return _photo_in_group(sandbox, group, user_id, data, text, photo.content_type, form)
    if read_channel(form.get("channel")) == "zalo":
        if sandbox.zalo is None:
            return bad("Zalo is not part of this sandbox")
        zalo_id = sandbox.zalo_id(user_id)
        message_id = sandbox.zalo.user_sends_photo(
            zalo_id,
            data,
            caption=caption if isinstance(caption, str) and caption.strip() else None,
            mime_type=photo.content_type or "image/jpeg",
            display_name=persona_name(person) if person else None,
        )
        return web.json_response({"update_id": message_id, "version": sandbox.zalo.chat_version(zalo_id)})
    fake = page_bot_of(sandbox, user_id, form.get("bot")).fake
    if image_type(data) is None and not (photo.content_type or "").startswith("image/"):
        # Not a picture (a spreadsheet to import): sent "as a file", as Telegram's apps do.
        update_id = fake.user_sends_document(
            user_id,
            data,
            photo.filename or "tep",
            caption=caption if isinstance(caption, str) and caption.strip() else None,
            first_name=persona_name(person) if person else None,
        )
        return web.json_response({"update_id": update_id_view(update_id), "version": fake.chat_version(user_id)})
    update_id = fake.user_sends_photo(
        user_id,
        data,
        caption=caption if isinstance(caption, str) and caption.strip() else None,
        first_name=persona_name(person) if person else None,
        mime_type=photo.content_type or "image/jpeg",
    )
    return web.json_response({"update_id": update_id_view(update_id), "version": fake.chat_version(user_id)})


def _photo_in_group(
    sandbox: SandboxChat,
    group: PageGroup,
    user_id: int,
    data: bytes,
    caption: str | None,
    mime_type: str | None,
    form: Any,
) -> web.Response:
    """A member of the group sends a picture in it."""
    person = sandbox.person(user_id) or {}
    name = persona_name(person) if person else None
    channel = read_channel(form.get("channel"))
    reply_to = read_reply_to(form.get("reply_to"), channel)
    return post_in_group(
        sandbox,
        group,
        channel,
        lambda zalo: zalo.user_sends_photo(
            sandbox.zalo_id(user_id),
            data,
            caption=caption,
            mime_type=mime_type or "image/jpeg",
            display_name=name,
            chat_id=group.zalo_group_id,
            reply_to=reply_to,
        ),
        lambda fake: fake.user_sends_photo(
            user_id,
            data,
            caption=caption,
            first_name=name,
            mime_type=mime_type or "image/jpeg",
            chat_id=group.telegram_chat_id,
            reply_to=reply_to,
        ),
    )


async def serve_file(request: web.Request) -> web.StreamResponse:
    sandbox: SandboxChat = request.app[SANDBOX_KEY]
    fake = page_bot_of(sandbox, 0, request.query.get("bot")).fake if request.query.get("bot") else sandbox.fake
    stored = fake.file(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound()
    if stored.data is None:
        if stored.url:
            raise web.HTTPFound(stored.url)
        raise web.HTTPNotFound()
    headers = {"Cache-Control": "private, max-age=3600"}
    if stored.kind == "document":
        name = stored.file_name or "tep"
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream", headers=headers)
