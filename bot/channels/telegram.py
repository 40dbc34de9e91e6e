"""The Telegram channel: updates in (polling or webhook) through the shared base, outbox items out through
`TelegramRenderer`, with python-telegram-bot's `Bot` for start-up, files and menus.

We use PTB's `Bot` (HTTP client and types) but not its `Application`/`Updater`: the Updater confirms an
update's offset before our handler has committed, so a crash would lose it. Here the offset only moves past
an update after `engine.process` returned (its transaction committed); a crash re-fetches the update, and the
engine's dedupe on (channel, update id) makes the second time harmless. A polled batch goes to the update
thread in one trip (bot/channels/channel.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Generator
from typing import Any, Unpack

import telegram.error as tg_error
from aiohttp import web
from telegram import Bot, BotCommandScopeAllGroupChats
from telegram.request import HTTPXRequest

from bot.channels.channel import Backoff, PollFailed, PollingWebhookChannel, Receiving
from bot.channels.telegram_api import BotApiClient
from bot.channels.telegram_render import (
    TEXT_LIMIT,
    TelegramRenderer,
    file_url_for,
    keyboard,
    keyboard_json,
    map_error,
    retry_seconds,
    split_text,
)
from bot.channels.telegram_updates import CHANNEL, NOBODY, BotIdentity, to_incoming
from bot.channels.text import utf16_len
from bot.channels.update_shape import MalformedUpdate
from bot.i18n import Translator
from bot.imports_files import MAX_FILE_BYTES, is_spreadsheet_name
from bot.messages import Incoming
from bot.settings import ConfigError
from handlers.menu import default_menu, group_menu

# What tests and benchmarks import from here; each lives in the module its name says.
__all__ = [
    "CHANNEL",
    "SECRET_HEADER",
    "TEXT_LIMIT",
    "TelegramChannel",
    "TelegramRenderer",
    "keyboard",
    "keyboard_json",
    "map_error",
    "split_text",
    "to_incoming",
    "utf16_len",
]

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
USERNAME_SETTING = "telegram.username"
CONFIRM_TIMEOUT = 5.0  # the last getUpdates at stop, which only confirms the offset


class TelegramChannel(
    PollingWebhookChannel, channel=CHANNEL, label="Telegram", webhook_path=WEBHOOK_PATH, secret_header=SECRET_HEADER
):
    """Owns the PTB `Bot` and the thin clients; receives updates and hands them to the engine."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        base_file_url: str | None = None,
        poll_timeout: int = 25,
        connection_pool_size: int = 16,
        request_timeout: float = 10.0,
        send_timeout: float = 60.0,
        set_default_commands: bool = True,
        **receiving: Unpack[Receiving],
    ) -> None:
        super().__init__(poll_timeout=poll_timeout, **receiving)
        self.set_default_commands = set_default_commands
        self.bot = Bot(
            token,
            base_url=base_url,
            base_file_url=base_file_url or file_url_for(base_url),
            # Files and menus go through PTB's client: a send waits as long as the thin client's sends do.
            request=HTTPXRequest(
                connection_pool_size=connection_pool_size,
                read_timeout=send_timeout,
                write_timeout=send_timeout,
                connect_timeout=request_timeout,
                pool_timeout=request_timeout,
            ),
            # getUpdates adds its long-poll `timeout` to this read time-out.
            get_updates_request=HTTPXRequest(
                connection_pool_size=1, read_timeout=request_timeout, connect_timeout=request_timeout
            ),
        )
        # Sends wait well beyond Telegram's slowest usual answer: a call given up may still land (bot/outbox_sender.py).
        self.api = BotApiClient(f"{base_url}{token}", timeout=send_timeout, connections=connection_pool_size)
        # Long polls on a connection of their own, with room for the poll's own time-out.
        self.poll_api = BotApiClient(f"{base_url}{token}", timeout=poll_timeout + request_timeout, connections=1)
        self.renderer = TelegramRenderer(self.bot, self.database, api=self.api)
        self.username: str | None = None
        self.identity = NOBODY  # who the bot is, once getMe answered: to read mentions and replies in groups
        self.offset: int | None = None

    # start and stop

    async def introduce(self) -> None:
        """Check the token (getMe), remember the username, set the default command menu."""
        try:
            await self.bot.initialize()
        except tg_error.InvalidToken:
            # PTB's message repeats the token; ours names the setting instead.
            raise ConfigError("BDHVS_TELEGRAM_TOKEN: the Bot API rejected the token") from None
        self.username = self.bot.username
        self.identity = BotIdentity(self.bot.id, self.username)
        await self.remember_setting(self.name_setting or USERNAME_SETTING, self.username)
        if self.set_default_commands:
            await self._set_default_commands()

    async def _set_default_commands(self) -> None:
        """The command menu in Vietnamese (everyone) and in English (English-speaking clients)."""
        try:
            await self.bot.set_my_commands(_commands("vi"))
            await self.bot.set_my_commands(_commands("en"), language_code="en")
            groups = BotCommandScopeAllGroupChats()
            await self.bot.set_my_commands(_commands("vi", group_menu), scope=groups)
            await self.bot.set_my_commands(_commands("en", group_menu), scope=groups, language_code="en")
        except tg_error.TelegramError as error:
            log.warning("could not set the default command menu: %s", error)

    async def delete_webhook(self) -> None:
        """Polling: Telegram refuses getUpdates while a webhook is set."""
        await self.bot.delete_webhook()

    async def set_webhook(self, url: str) -> None:
        """Webhook: Telegram posts the update kinds we read to `url`, with our secret in a header."""
        await self.bot.set_webhook(url=url, secret_token=self.secret_token, allowed_updates=ALLOWED_UPDATES)

    async def after_polling(self) -> None:
        """Tell Telegram what we processed, so the next start does not fetch it again."""
        if self.offset is None:
            return
        params = {"offset": self.offset, "timeout": 0, "limit": 1}
        with contextlib.suppress(Exception):  # best effort: not confirmed, the updates come again and are deduped
            await asyncio.wait_for(self.poll_api.call("getUpdates", params), CONFIRM_TIMEOUT)

    async def close(self) -> None:
        """Close the Bot's HTTP clients."""
        await self.api.close()
        await self.poll_api.close()
        await self.bot.shutdown()

    # updates in

    async def complete(self, incoming: Incoming) -> Incoming:
        """A spreadsheet sent in a private chat comes with its bytes (a webhook call, or one update)."""
        if not wants_content(incoming):
            return incoming
        return await self.fetch_document(incoming)

    async def _fetch_documents(self, updates: list[Any]) -> dict[int, Incoming]:
        """The polled updates that carry a spreadsheet to fetch, read and completed with its bytes, by update id.

        Fetched on the event loop before the batch goes to the update thread: the engine's transaction never
        waits on a download. A redelivered update fetches its file again, and the engine's dedupe then does
        nothing twice."""
        fetched: dict[int, Incoming] = {}
        for update in updates:
            if not _carries_document(update) or not isinstance(update.get("update_id"), int):
                continue
            incoming = self.read_polled(update)
            if incoming is not None and wants_content(incoming):
                fetched[update["update_id"]] = await self.fetch_document(incoming)
        return fetched

    async def fetch_document(self, incoming: Incoming) -> Incoming:
        """The update with its file's bytes (getFile, then the file's download URL), or with the reason there
        are none: over `MAX_FILE_BYTES` (never downloaded), or the platform did not give it (told, not retried)."""
        document = incoming.document
        if document is None:
            return incoming
        problem: str | None = None
        content: bytes | None = None
        if document.size is not None and document.size > MAX_FILE_BYTES:
            problem = "file_too_big"
        else:
            try:
                file = await self.bot.get_file(document.file_id)
                if file.file_size is not None and file.file_size > MAX_FILE_BYTES:
                    problem = "file_too_big"
                else:
                    content = bytes(await file.download_as_bytearray())
            except tg_error.BadRequest as error:  # Telegram's «file is too big» past 20 MB, a gone file_id
                problem = "file_too_big" if "too big" in str(error).lower() else "file_not_fetched"
            except tg_error.TelegramError as error:  # network, time-out: the person is asked to send it again
                log.warning("could not fetch the file of Telegram update %s: %s", incoming.update_id, error)
                problem = "file_not_fetched"
        if content is not None and len(content) > MAX_FILE_BYTES:
            content, problem = None, "file_too_big"
        return dataclasses.replace(incoming, document=dataclasses.replace(document, content=content, problem=problem))

    async def fetch_photo(self, file_id: str) -> bytes | None:
        """A photo's bytes by its file id (getFile, then its download URL), for a supervisor's spot check; None
        when Telegram does not give it (gone, too big, the network)."""
        try:
            file = await self.bot.get_file(file_id)
            if file.file_size is not None and file.file_size > MAX_FILE_BYTES:
                return None
            return bytes(await file.download_as_bytearray())
        except tg_error.TelegramError as error:
            log.warning("could not fetch a photo from Telegram: %s", error)
            return None

    def to_incoming(self, data: Any) -> Incoming | None:
        """The channel-neutral form of an update (bot/channels/telegram_updates.py)."""
        return self.stamped(to_incoming(data, self.identity))

    def read_pushed(self, data: Any) -> Incoming | None:
        """A webhook body: a JSON object that is a well-formed update."""
        if not isinstance(data, dict):
            raise MalformedUpdate("not a JSON object")
        return self.stamped(to_incoming(data, self.identity))

    def update_ref(self, data: Any) -> str:
        """An update is named by its update_id."""
        return str(data.get("update_id")) if isinstance(data, dict) else "?"

    def webhook_answer(self, status: int, description: str) -> web.Response:
        """Telegram reads only the status; the body says it in a few words."""
        return super().webhook_answer(status, "not a well-formed Telegram update" if status == 400 else description)

    async def fetch_updates(self) -> list[Any]:
        """getUpdates from the offset past the last update processed."""
        params: dict[str, Any] = {"timeout": self.poll_timeout, "allowed_updates": ALLOWED_UPDATES}
        if self.offset is not None:
            params["offset"] = self.offset
        try:
            updates = await self.poll_api.call("getUpdates", params)
        except tg_error.RetryAfter as error:
            raise PollFailed(str(error), retry_after=retry_seconds(error)) from error
        except tg_error.TelegramError as error:
            raise PollFailed(str(error)) from error
        if not isinstance(updates, list):
            raise PollFailed("getUpdates did not answer with a list")
        return updates

    async def process_polled(self, updates: list[Any], backoff: Backoff) -> None:
        """The whole batch in one trip to the update thread (one hand-over instead of one per update); it
        stops early on a failed commit or when we are told to stop, and the offset moves past what committed."""
        loop = asyncio.get_running_loop()
        fetched = await self._fetch_documents(updates)
        done, failed = await asyncio.shield(
            loop.run_in_executor(self.process_executor, self._process_batch, updates, fetched)
        )
        if done:
            self.offset = done
        if failed:
            await self.pause(backoff.next())

    def _process_batch(self, updates: list[Any], fetched: dict[int, Incoming]) -> tuple[int | None, bool]:
        """Process updates in order on the update thread: (the next offset, whether a commit failed). `fetched`:
        the updates already read, with the files they carry (`_fetch_documents`)."""
        readable: list[tuple[int, Incoming | None]] = []  # (update id, what it says; None: nothing for us)
        for update in updates:
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                log.warning("skipping a getUpdates entry that is not an update: %.200r", update)
                continue
            update_id = update["update_id"]
            incoming = fetched[update_id] if update_id in fetched else self.read_polled(update)  # malformed: None
            readable.append((update_id, incoming))
        outcomes = self.engine.process_each([incoming for _, incoming in readable if incoming is not None])
        offset: int | None = None
        try:
            for update_id, incoming in readable:
                if self.stopping:
                    break
                if incoming is not None:
                    try:
                        next(outcomes)
                    except Exception:  # the engine could not commit (database down?): fetch it again later
                        log.exception("processing Telegram update %s failed; it will be fetched again", update_id)
                        return offset, True
                offset = update_id + 1
        finally:
            if isinstance(outcomes, Generator):  # the engines' process_each are generators
                outcomes.close()  # stopped early: what the engine already took still finishes and is handed over
        return offset, False


def wants_content(incoming: Incoming) -> bool:
    """Whether the channel fetches a sent file before the engine sees it: a spreadsheet (by its name), in a
    private chat (a file is never imported from a group), not fetched or refused yet."""
    document = incoming.document
    return (
        document is not None
        and document.content is None
        and document.problem is None
        and incoming.chat_type == "private"
        and is_spreadsheet_name(document.file_name)
    )


def _carries_document(update: Any) -> bool:
    """A cheap look at the raw update: a message with a document (read properly only then)."""
    message = update.get("message") if isinstance(update, dict) else None
    return isinstance(message, dict) and isinstance(message.get("document"), dict)


def _commands(language: str, menu: Callable[[Translator], list[list[str]]] = default_menu) -> list[tuple[str, str]]:
    """A command menu (the default one, or the groups') in one language, as (command, description) pairs."""
    return [(command, description) for command, description in menu(Translator(language))]
