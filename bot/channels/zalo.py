"""The Zalo channel: updates in (polling or webhook) through the shared base, outbox items out through
`ZaloRenderer`, over the Zalo Bot Platform HTTP API (bot/channels/zalo_api.py).

getUpdates has no offset: each call hands out (and forgets) one update. So the poll loop processes the update it
got — committed by the engine — before it asks for the next one; if processing fails it is retried from memory,
not re-fetched. An empty long poll answers 408 "Request timeout" (or `result: null`): not an error.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any, Unpack

from aiohttp import web
from yarl import URL

from bot.channels.channel import Backoff, NotAnUpdate, PollFailed, PollingWebhookChannel, Receiving
from bot.channels.photos import ZALO_PHOTO_HOSTS, PhotoDownloads
from bot.channels.zalo_api import RETRY_AFTER_429, ZaloApiError, ZaloClient, api_url
from bot.channels.zalo_render import TEXT_LIMIT, VIETNAM, ZaloRenderer
from bot.channels.zalo_updates import CHANNEL, strip_mention, to_incoming, unwrap
from bot.messages import Incoming
from bot.settings import ConfigError

# What tests import from here; each lives in the module its name says.
__all__ = [
    "CHANNEL",
    "TEXT_LIMIT",
    "ZaloApiError",
    "ZaloChannel",
    "ZaloClient",
    "api_url",
    "strip_mention",
    "to_incoming",
]

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/webhook"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
BOT_NAME_SETTING = "zalo.bot_name"
NO_UPDATE = 408  # the long poll ended with nothing


class ZaloChannel(
    PollingWebhookChannel, channel=CHANNEL, label="Zalo", webhook_path=WEBHOOK_PATH, secret_header=SECRET_HEADER
):
    """Owns the Zalo client; receives updates and hands them to the engine."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        file_base: Callable[[], str] | None = None,
        tz: dt.tzinfo = VIETNAM,
        quota_pause: float = RETRY_AFTER_429,
        poll_timeout: int = 30,
        request_timeout: float = 10.0,
        send_timeout: float = 60.0,
        connection_limit: int = 16,
        photo_hosts: Iterable[str] = (),
        **receiving: Unpack[Receiving],
    ) -> None:
        super().__init__(poll_timeout=poll_timeout, **receiving)
        self.request_timeout = request_timeout
        self.client = ZaloClient(token, base_url, request_timeout=request_timeout, connection_limit=connection_limit)
        self.group_chats: set[str] = set()
        public_url = self.public_url or ""
        base = file_base or (lambda: public_url)
        self.renderer = ZaloRenderer(
            self.client,
            self.database,
            self.clock,
            base,
            self.group_chats,
            tz=tz,
            quota_pause=quota_pause,
            send_timeout=send_timeout,
        )
        self.quota_pause = quota_pause
        self.bot_info: dict[str, Any] = {}
        self.bot_names: tuple[str, ...] = ()
        # the spot checks' evidence photos, by the URL Zalo gave: only from Zalo's hosts, its API's, and the
        # deployment's `zalo.photo_hosts`
        self.photos = PhotoDownloads((*ZALO_PHOTO_HOSTS, URL(base_url).host or "", *photo_hosts))

    # start and stop

    async def introduce(self) -> None:
        """Check the token (getMe) and remember the bot's names (a group message mentions one of them)."""
        try:
            info = await self.client.call("getMe")
        except ZaloApiError as error:
            if error.code in (401, 404):
                raise ConfigError("BDHVS_ZALO_TOKEN: the Zalo Bot API rejected the token") from None
            raise
        self.bot_info = info if isinstance(info, dict) else {}
        self.bot_names = tuple(
            str(self.bot_info[k]) for k in ("display_name", "account_name", "name") if self.bot_info.get(k)
        )
        await self.remember_setting(
            self.name_setting or BOT_NAME_SETTING, self.bot_names[0] if self.bot_names else None
        )

    async def delete_webhook(self) -> None:
        """Polling: a webhook set earlier would take the updates."""
        try:
            await self.client.call("deleteWebhook")
        except ZaloApiError as error:
            log.warning("deleteWebhook failed (%s); polling anyway", error)

    async def set_webhook(self, url: str) -> None:
        """Webhook: Zalo posts each update to `url`, with our secret in a header."""
        await self.client.call("setWebhook", {"url": url, "secret_token": self.secret_token})

    async def close(self) -> None:
        """Close the HTTP clients."""
        await self.client.close()
        await self.photos.close()

    async def fetch_photo(self, url: str) -> tuple[bytes, str] | None:
        """A photo a person sent, by the URL Zalo gave (bot/channels/photos.py: only a picture, capped), for a
        supervisor's spot check; None when it cannot be had."""
        return await self.photos.fetch(url)

    # updates in

    def to_incoming(self, data: Any) -> Incoming | None:
        """The channel-neutral form of an update (bot/channels/zalo_updates.py)."""
        return self.stamped(to_incoming(data, self.bot_names))

    def read_pushed(self, data: Any) -> Incoming | None:
        """A webhook body: a Zalo update, bare or wrapped, with well-formed fields."""
        if unwrap(data) is None:
            raise NotAnUpdate("not a Zalo update")
        return self.stamped(to_incoming(data, self.bot_names))

    def update_ref(self, data: Any) -> str:
        """An update is named by its message id when it has one."""
        update = unwrap(data)
        message_id = update["message"].get("message_id") if update is not None else None
        return str(message_id)[:40] if message_id is not None else "?"

    def webhook_answer(self, status: int, description: str) -> web.Response:
        """Zalo's own answer shape: `{ok, description}`."""
        if status == 200:
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "description": description}, status=status)

    async def fetch_updates(self) -> list[Any]:
        """One long poll: at most one update (a 408 or a null result when none came)."""
        try:
            result = await self.client.call(
                "getUpdates", {"timeout": self.poll_timeout}, timeout=self.poll_timeout + self.request_timeout
            )
        except ZaloApiError as error:
            if error.code == NO_UPDATE:
                return []
            if error.code == 429:
                raise PollFailed(str(error), retry_after=self.quota_pause) from error
            raise PollFailed(str(error)) from error
        return result if isinstance(result, list) else [result] if result else []

    async def process_polled(self, updates: list[Any], backoff: Backoff) -> None:
        """Each update in turn; getUpdates forgot it, so it is retried from memory until the engine committed
        it (or we are told to stop)."""
        for update in updates:
            retry = Backoff()
            while True:
                try:
                    await self.handle_update(update)
                    break
                except Exception:  # the engine could not commit (database down?): the update must not be lost
                    seconds = retry.next()
                    log.exception("processing a Zalo update failed; trying it again in %.0f s", seconds)
                    await self.pause(seconds)
                    if self.stopping:
                        return

    async def _process(self, incoming: Incoming | None) -> None:
        """Note a group chat (stricter sending limit), then hand the update to the engine."""
        if incoming is not None and incoming.chat_type == "group":
            self.group_chats.add(incoming.chat_id)
        await super()._process(incoming)
