"""One base for a messenger channel that receives updates by long polling or by webhook.

It holds what every platform does alike: start and stop, the polling loop with its backoff and pauses, the
webhook route with its constant-time secret check, and the hand-off of each read update to the update thread
(one thread: per-chat order is kept and SQLite sees one writer). A platform's channel adds only its
differences: how it introduces itself and sets or deletes its webhook, how it fetches and reads updates, how
it answers a webhook call.

An update counts as received only once `engine.process` returned (its transaction committed); a crash before
that has it delivered again, and the engine's dedupe on (channel, update id) makes the second time harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import json
import logging
from concurrent.futures import Executor
from typing import Any, NotRequired, TypedDict, Unpack

from aiohttp import web

from bot.channels.update_shape import MalformedUpdate
from bot.clock import Clock
from bot.engine import UpdateProcessor
from bot.messages import Incoming
from storage.db import Database
from storage.settings import set_setting

log = logging.getLogger(__name__)

MODES = ("polling", "webhook")
LONGEST_BACKOFF = 60.0


class NotAnUpdate(MalformedUpdate):
    """A webhook body that is JSON but not an update of the platform at all."""


class PollFailed(Exception):
    """A long poll that brought nothing usable; `retry_after` when the platform said how long to wait."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Backoff:
    """Waits that double after each failure in a row (1 s, 2 s, 4 s, ... up to a minute)."""

    def __init__(self) -> None:
        self.seconds = 1.0

    def next(self) -> float:
        """The wait for this failure; the next one waits twice as long."""
        seconds = self.seconds
        self.seconds = min(seconds * 2, LONGEST_BACKOFF)
        return seconds

    def reset(self) -> None:
        """A success: the next failure waits a second again."""
        self.seconds = 1.0


def secret_matches(expected: str | None, given: str) -> bool:
    """Whether a webhook call carries our secret, compared in constant time; no secret set refuses all."""
    return bool(expected) and hmac.compare_digest(given.encode(), (expected or "").encode())


class Receiving(TypedDict):
    """What every channel is built with to receive updates (a platform's channel adds its own settings)."""

    mode: str  # "polling" or "webhook"
    engine: UpdateProcessor
    process_executor: Executor  # the update thread
    database: Database
    clock: Clock
    public_url: NotRequired[str | None]  # webhook mode: where the platform reaches us
    secret_token: NotRequired[str | None]  # webhook mode: what the platform's calls must carry
    # With several bots on the channel (a bot per province): this one's key, stamped on its updates (None: the
    # channel's default bot), its own webhook path and the setting its name is kept in.
    bot_key: NotRequired[str | None]
    webhook_path: NotRequired[str]
    name_setting: NotRequired[str]


class PollingWebhookChannel:
    """Receives a platform's updates (polling or webhook) and hands them to the engine, one at a time."""

    channel: str  # the channel's name in the database ("telegram", "zalo")
    label: str  # the platform's name in log lines ("Telegram", "Zalo")
    webhook_path: str  # where the platform posts updates (a bot of several adds its key: `Receiving`)
    secret_header: str  # the header a webhook call carries our secret in

    def __init_subclass__(cls, *, channel: str, label: str, webhook_path: str, secret_header: str) -> None:
        """A platform's channel names itself in its class line: `class ZaloChannel(PollingWebhookChannel,
        channel="zalo", label="Zalo", webhook_path="/zalo/webhook", secret_header="X-...")`."""
        super().__init_subclass__()
        cls.channel, cls.label, cls.webhook_path, cls.secret_header = channel, label, webhook_path, secret_header

    def __init__(self, *, poll_timeout: int, **receiving: Unpack[Receiving]) -> None:
        mode, public_url, secret_token = receiving["mode"], receiving.get("public_url"), receiving.get("secret_token")
        if mode not in MODES:
            raise ValueError(f"unknown {self.label} mode {mode!r}")
        if mode == "webhook" and not (public_url and secret_token):
            raise ValueError("webhook mode needs a public URL and a secret token")
        self.mode = mode
        self.engine = receiving["engine"]
        self.process_executor = receiving["process_executor"]
        self.database = receiving["database"]
        self.clock = receiving["clock"]
        self.public_url = public_url
        self.secret_token = secret_token
        self.poll_timeout = poll_timeout
        self.bot_key = receiving.get("bot_key")
        self.webhook_path = receiving.get("webhook_path") or self.webhook_path
        self.name_setting: str | None = receiving.get("name_setting")
        self._poller: asyncio.Task[None] | None = None
        self._fetch: asyncio.Future[list[Any]] | None = None
        self._stop_event = asyncio.Event()

    # what a platform defines

    async def introduce(self) -> None:
        """Check the token with the platform and remember what it says about the bot."""
        raise NotImplementedError

    async def delete_webhook(self) -> None:
        """Stop the platform pushing updates (polling and webhook exclude each other)."""
        raise NotImplementedError

    async def set_webhook(self, url: str) -> None:
        """Have the platform push updates to `url`, with our secret."""
        raise NotImplementedError

    async def fetch_updates(self) -> list[Any]:
        """One long poll: the updates it brought (maybe none); `PollFailed` when it failed."""
        raise NotImplementedError

    async def process_polled(self, updates: list[Any], backoff: Backoff) -> None:
        """Process what one long poll brought, until committed or told to stop."""
        raise NotImplementedError

    def to_incoming(self, data: Any) -> Incoming | None:
        """The channel-neutral form of an update; None when it is not for the bot; `MalformedUpdate`."""
        raise NotImplementedError

    def read_pushed(self, data: Any) -> Incoming | None:
        """A webhook body read as an update; `NotAnUpdate` or `MalformedUpdate` when it is refused."""
        return self.to_incoming(data)

    def update_ref(self, data: Any) -> str:
        """How log lines name an update."""
        return "?"

    def webhook_answer(self, status: int, description: str) -> web.Response:
        """The answer to a webhook call, in the form the platform expects."""
        return web.Response(status=status, text=description)

    async def after_polling(self) -> None:
        """Anything to tell the platform once polling stopped."""

    async def complete(self, incoming: Incoming) -> Incoming:
        """What the update needs from the platform before the engine takes it (a sent file's bytes), fetched
        here on the event loop so that no download is ever held inside the engine's transaction."""
        return incoming

    def stamped(self, incoming: Incoming | None) -> Incoming | None:
        """The update marked with the bot it came through (replies go back through it; dedupe is per bot)."""
        if incoming is None or not self.bot_key:
            return incoming
        return dataclasses.replace(incoming, bot=self.bot_key)

    # lifecycle

    async def start(self, *, poll: bool = True) -> None:
        """Check the token, then start polling (unless `poll` is False: several instances share a database and
        the one holding the token's polling role polls, bot/leadership.py) or set the webhook."""
        await self.introduce()
        self._stop_event = asyncio.Event()
        if self.mode == "polling":
            if poll:
                await self.start_polling()
        else:
            url = f"{self.public_url}{self.webhook_path}"
            await self.set_webhook(url)
            log.info("%s webhook set to %s", self.label, url)

    async def start_polling(self) -> None:
        """Start the polling loop (polling mode; nothing if it runs already)."""
        if self.mode != "polling" or self._poller is not None:
            return
        self._stop_event = asyncio.Event()
        await self.delete_webhook()
        self._poller = asyncio.create_task(self._poll_loop(), name=f"{self.channel}-polling")

    @property
    def polling(self) -> bool:
        """Whether the polling loop runs."""
        return self._poller is not None

    async def stop(self) -> None:
        """Stop polling: the update being processed finishes, the long poll is cancelled."""
        self._stop_event.set()
        if self._fetch is not None and not self._fetch.done():
            self._fetch.cancel()
        if self._poller is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
            await self.after_polling()

    def add_routes(self, app: web.Application) -> None:
        """The webhook route on our web server."""
        app.router.add_post(self.webhook_path, self.handle_webhook)

    @property
    def stopping(self) -> bool:
        """Whether we were told to stop."""
        return self._stop_event.is_set()

    async def remember_setting(self, key: str, value: str | None) -> None:
        """Store a fact about the bot (its name) in the settings table, off the event loop."""
        if value:
            await asyncio.to_thread(self._store_setting, key, value)

    def _store_setting(self, key: str, value: str) -> None:
        """Write the setting in a transaction of its own (runs in a thread)."""
        with self.database.session() as session:
            set_setting(session, key, value, self.clock.now())

    # polling

    async def _poll_loop(self) -> None:
        """Long-poll until stopped: a failed poll waits (as long as the platform asks, or a doubling backoff)."""
        backoff = Backoff()
        while not self.stopping:
            try:
                self._fetch = asyncio.ensure_future(self.fetch_updates())
                updates = await self._fetch
            except asyncio.CancelledError:
                if self.stopping:
                    return
                raise
            except PollFailed as failure:
                if failure.retry_after is not None:
                    await self.pause(failure.retry_after)
                    continue
                seconds = backoff.next()
                log.warning("%s getUpdates failed (%s); trying again in %.0f s", self.label, failure, seconds)
                await self.pause(seconds)
                continue
            finally:
                self._fetch = None
            backoff.reset()
            await self.process_polled(updates, backoff)

    async def pause(self, seconds: float) -> None:
        """Wait `seconds`, or less when told to stop."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), seconds)

    def read_polled(self, data: Any) -> Incoming | None:
        """A polled update read; one that cannot be read is skipped with one log line (None)."""
        try:
            return self.to_incoming(data)
        except MalformedUpdate as error:
            log.warning("skipping malformed %s update %s: %s", self.label, self.update_ref(data), error)
        except Exception:  # a bug in reading one update must not stop polling: logged, the update skipped
            log.exception("could not read %s update %s; skipping it", self.label, self.update_ref(data))
        return None

    async def handle_update(self, data: Any) -> None:
        """Process one update; returns after its transaction committed."""
        await self._process(self.read_polled(data))

    async def _process(self, incoming: Incoming | None) -> None:
        """Hand one read update to the engine (through the flood gate); returns after its commit."""
        if incoming is None:
            return
        incoming = await self.complete(incoming)
        loop = asyncio.get_running_loop()
        # Shielded: once handed to the engine the update finishes even if our caller is cancelled.
        await asyncio.shield(loop.run_in_executor(self.process_executor, self.engine.process, incoming))

    # webhook

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """POST to the webhook path: 403 without the secret, 400 for what is not a well-formed update, 200
        once committed (or set aside: not for us, or over the sender's flood limit).

        Platforms repeat a call answered with anything but 2xx a few times, then give up; only a fault on our
        side (the database down) answers 500, so that the update comes again."""
        if not secret_matches(self.secret_token, request.headers.get(self.secret_header, "")):
            return self.webhook_answer(403, "forbidden")
        try:
            data = await request.json(loads=json.loads)
        except Exception as error:  # a body that cannot be read as JSON, whatever the reason: refused
            log.warning("refused a malformed %s webhook update: %s", self.label, error)
            return self.webhook_answer(400, "not JSON")
        try:
            incoming = self.read_pushed(data)
        except NotAnUpdate as error:
            return self.webhook_answer(400, str(error))
        except Exception as error:  # a field of the wrong type (or a bug in reading): refused before any handler
            log.warning("refused a malformed %s webhook update: %s", self.label, error)
            return self.webhook_answer(400, f"not a well-formed {self.label} update")
        try:
            await self._process(incoming)
        except Exception:  # the engine could not commit (database down?): the platform sends the update again
            log.exception("processing %s update %s failed; it will be sent again", self.label, self.update_ref(data))
            return self.webhook_answer(500, "try again")
        return self.webhook_answer(200, "ok")
