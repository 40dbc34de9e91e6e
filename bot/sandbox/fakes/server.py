"""The HTTP side a fake Bot API shares between platforms: routes, start and stop, the call log, the flood limit,
planned faults (bot/sandbox/faults.py), the pending updates and the webhook worker.

A platform subclasses `FakeBotApi` with its ``api_<method>`` coroutines (each takes the call's params and returns
the result) and the few ways it differs: how it reads params, words errors and names updates.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Self, TypedDict

from aiohttp import web

from bot.ratelimit import TokenBucket

from ..faults import Fault, PlatformFaults
from .chats import Pending
from .waiting import WaitingHelpers
from .webhook import WebhookWorker

ApiHandler = Callable[[dict[str, Any]], Awaitable[Any]]
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class FakeApiError(Exception):
    """An error answer of a fake Bot API: HTTP status = error_code."""

    def __init__(self, error_code: int, description: str) -> None:
        """The platform's code and wording."""
        super().__init__(description)
        self.error_code = error_code
        self.description = description

    def payload(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        return {"ok": False, "error_code": self.error_code, "description": self.description}


class FakeOptions(TypedDict, total=False):
    """The options every fake platform takes (see `FakeBotApi.__init__`)."""

    rate_limit_per_second: float | None
    rate_limit_burst: float | None
    per_chat_rate_limit_per_second: float | None
    strict_chats: bool
    webhook_max_attempts: int
    webhook_retry_delay: float
    webhook_timeout: float
    clock: Callable[[], float]
    monotonic: Callable[[], float]


def token_shaped(token: str) -> bool:
    """Whether the token looks like ``<digits>:<secret>`` (both platforms' shape)."""
    return bool(_TOKEN_RE.match(token))


class FakeBotApi(WaitingHelpers):
    """A fake Bot API server: the platform-neutral part of FakeTelegram and FakeZalo."""

    api_methods: ClassVar[dict[str, str]] = {}  # lower-case method name -> attribute ("api_sendMessage")
    attempt_key: ClassVar[str] = "update_id"  # how webhook_attempts name the update
    client_max_size: ClassVar[int] = 1024**2
    notify_on_call: ClassVar[bool] = False  # wake waiters as soon as a call is logged (before it is answered)
    handler_cancellation: ClassVar[bool] = False  # start(): a client that hangs up cancels its call's handler
    sending_methods: ClassVar[frozenset[str]] = frozenset()  # the methods that count against the flood limit

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Index the subclass's ``api_`` coroutines by their case-insensitive method name."""
        super().__init_subclass__(**kwargs)
        cls.api_methods = {name[4:].lower(): name for name in dir(cls) if name.startswith("api_")}

    def __init__(
        self,
        token: str,
        *,
        rate_limit_per_second: float | None = None,
        rate_limit_burst: float | None = None,
        per_chat_rate_limit_per_second: float | None = None,
        strict_chats: bool = True,
        webhook_max_attempts: int = 5,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """The common state: flood limits (for the bot, and for one chat), strict or lenient chats, how a
        webhook delivery is retried (attempts, first delay, doubling; time-out of one), and the two clocks."""
        super().__init__()
        self.token = token
        self.rate_limit_per_second = rate_limit_per_second
        self.per_chat_rate_limit_per_second = per_chat_rate_limit_per_second
        self.strict_chats = strict_chats  # sending to a chat nobody opened: 400 "chat not found"
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self._clock = clock
        self._monotonic = monotonic

        # what tests read
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every call with a valid token, in order
        self.errors: list[tuple[str, dict[str, Any], int, str]] = []  # (method, params, code, description)
        self.rate_limited_count = 0
        self.faults = PlatformFaults()  # errors and held calls a test asks for (bot/sandbox/faults.py)
        self.url: str | None = None  # set by start(), or by whoever serves add_route()

        self._updates: dict[Any, dict[str, Any]] = {}  # every update ever made, by id
        self._pending: list[Pending] = []
        self._webhook: dict[str, Any] | None = None
        self._webhooks = WebhookWorker(self, self.attempt_key)
        self._bucket: TokenBucket | None = None
        if rate_limit_per_second:
            burst = rate_limit_burst if rate_limit_burst is not None else rate_limit_per_second
            self._bucket = TokenBucket(rate_limit_per_second, burst, monotonic())
        self._chat_buckets: dict[Any, TokenBucket] = {}
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ serving

    def add_route(self, app: web.Application, prefix: str = "") -> None:
        """Mount the API at ``{prefix}/bot{token}/{method}`` (and the platform's file routes)."""
        prefix = prefix.rstrip("/")
        app.router.add_route("*", prefix + "/bot{token}/{method}", self._handle_api)
        self._add_file_routes(app, prefix)
        app.on_shutdown.append(self._on_shutdown)
        app.on_cleanup.append(self._on_cleanup)

    def _add_file_routes(self, app: web.Application, prefix: str) -> None:
        """Mount the routes files are downloaded from (none by default)."""

    def create_app(self) -> web.Application:
        """A standalone aiohttp application serving only this API."""
        app = web.Application(client_max_size=self.client_max_size)
        self.add_route(app)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve ``create_app()`` on host:port (0 = any free port); return the base URL."""
        runner = web.AppRunner(self.create_app(), shutdown_timeout=1.0, handler_cancellation=self.handler_cancellation)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"
        return self.url

    @property
    def base_url(self) -> str:
        """The API base a bot is configured with, for a server started with start() (or a set ``url``)."""
        if not self.url:
            raise RuntimeError(f"{self.fake_name}.url is not known: call start() or set .url")
        return self.url + "/bot"

    async def close(self) -> None:
        """Wake every long poll, stop webhook delivery, stop the server started by start().

        The fake stays usable (its state is kept): a restarted app can mount it again.
        """
        await self.wake_waiters()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        await self._stop_background()

    async def __aenter__(self) -> Self:
        """Start serving."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop serving."""
        await self.close()

    async def _on_shutdown(self, app: web.Application) -> None:
        """The serving app shuts down: answer every long poll."""
        await self.wake_waiters()

    async def _on_cleanup(self, app: web.Application) -> None:
        """The serving app is gone: stop the fake's own tasks."""
        await self._stop_background()

    async def _stop_background(self) -> None:
        """Cancel the fake's tasks and the webhook worker, and close its HTTP session."""
        await self.notifier.stop(self._webhooks.detach())
        await self._webhooks.close_session()

    # ------------------------------------------------------------------ the call log and the updates

    @property
    def webhook_attempts(self) -> list[dict[str, Any]]:
        """Every webhook delivery attempt: ``{<update id>, attempt, status | error}``."""
        return self._webhooks.attempts

    @property
    def webhook_url(self) -> str | None:
        """The webhook set, or None while the bot polls."""
        return self._webhook["url"] if self._webhook else None

    @property
    def pending_update_count(self) -> int:
        """Updates made but not handed over yet."""
        return len(self._pending)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The params of every call to one method, in order."""
        return [params for name, params in self.calls if name == method]

    def _after_enqueue(self) -> None:
        """A new update waits: wake the long polls, start the webhook worker."""
        self._changed()
        if self._webhook is not None:
            self._webhooks.ensure()

    def _report_state(self) -> list[str]:
        """The pending updates, the last calls and the last error, for a timed-out wait."""
        lines = self._report_pending()
        if self.errors:
            method, _params, code, description = self.errors[-1]
            lines.append(f"  last error answered: {method} -> {code} {description}")
        return lines

    def _report_pending(self) -> list[str]:
        """The pending updates and the last calls, as the platform's report words them."""
        return [f"  pending updates: {len(self._pending)}; last calls: {[n for n, _ in self.calls[-8:]]}"]

    # ------------------------------------------------------------------ HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        """One API call: check the token, log it, apply the flood limit and planned faults, carry it out."""
        refused = self._check_token(request.match_info["token"])
        if refused is not None:
            return self._error_response(refused)
        name = request.match_info["method"]
        handler = self._method_handler(name)
        method = handler.__name__[len("api_") :] if handler else name
        try:
            params = await self._read_params(request)
        except FakeApiError as exc:
            return self._error_response(exc)
        logged = {k: (f"<file {v.filename}>" if isinstance(v, web.FileField) else v) for k, v in params.items()}
        self.calls.append((method, logged))
        if self.notify_on_call:
            await self._notify()  # a waiter may be watching the calls (a long poll holds the answer back)
        try:
            if handler is None:
                raise self._unknown_method(name)
            self._check_rate_limit(method, params)
            fault = self.faults.take(method)
            if fault is not None and fault.status is not None:
                raise self._fault_error(fault)
            if fault is not None:
                found = handler
                return await self.faults.hold(
                    request,
                    fault,
                    method,
                    params,
                    lambda: self._carry_out(found, method, params, logged),
                    self.notifier.spawn,
                    self._notify,
                )
        except FakeApiError as exc:
            self.errors.append((method, logged, exc.error_code, exc.description))
            await self._notify()
            return self._error_response(exc)
        return await self._carry_out(handler, method, params, logged)

    async def _carry_out(
        self, handler: ApiHandler, method: str, params: dict[str, Any], logged: dict[str, Any]
    ) -> web.Response:
        """Run the method and answer as the platform does (a (result, description) pair adds a description)."""
        try:
            result = await handler(params)
            self.faults.carried_out(method, params)
            if isinstance(result, tuple):
                result, description = result
                return web.json_response({"ok": True, "result": result, "description": description})
            return web.json_response({"ok": True, "result": result})
        except FakeApiError as exc:
            self.errors.append((method, logged, exc.error_code, exc.description))
            return self._error_response(exc)
        finally:
            await self._notify()

    def _check_token(self, token: str) -> FakeApiError | None:
        """The error for a call with the wrong token, or None."""
        return None if token == self.token else FakeApiError(401, "Unauthorized")

    def _method_handler(self, name: str) -> ApiHandler | None:
        """The coroutine of an API method (names are case-insensitive), or None."""
        attr = self.api_methods.get(name.lower())
        return getattr(self, attr) if attr is not None else None

    def _unknown_method(self, name: str) -> FakeApiError:
        """The answer to a method the fake does not know."""
        return FakeApiError(404, "Not Found")

    def _fault_error(self, fault: Fault) -> FakeApiError:
        """The error answer a planned fault gives."""
        return FakeApiError(fault.status or 500, fault.description)

    def _flood_error(self, wait: float) -> FakeApiError:
        """The answer to a call over the flood limit, a token being `wait` seconds away."""
        return FakeApiError(429, "Too Many Requests")

    def _error_response(self, exc: FakeApiError) -> web.Response:
        """An error answer, its HTTP status being the error code."""
        return web.json_response(exc.payload(), status=exc.error_code)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """The call's parameters (query, JSON body or form)."""
        raise NotImplementedError

    async def _read_json_body(self, request: web.Request, error: FakeApiError) -> dict[str, Any]:
        """A JSON object body, or `error`."""
        try:
            body = await request.json()
        except ValueError:
            raise error from None
        if not isinstance(body, dict):
            raise error
        return body

    def _check_rate_limit(self, method: str, params: dict[str, Any]) -> None:
        """Refuse a sending call over the flood limit (for the bot, or for one chat)."""
        if method not in self.sending_methods:
            return
        now = self._monotonic()
        waits = []
        if self._bucket is not None:
            waits.append(self._bucket.try_take(now))
        chat_id = params.get("chat_id")
        if self.per_chat_rate_limit_per_second and isinstance(chat_id, int):
            bucket = self._chat_buckets.get(chat_id)
            if bucket is None:
                rate = self.per_chat_rate_limit_per_second
                bucket = self._chat_buckets[chat_id] = TokenBucket(rate, rate, now)
            waits.append(bucket.try_take(now))
        wait = max(waits, default=0.0)
        if wait > 0:
            self.rate_limited_count += 1
            raise self._flood_error(wait)

    # ------------------------------------------------------------------ webhook hooks (see webhook.py)

    def _update_key(self, update: dict[str, Any]) -> Any:
        """The id an update is known by."""
        return update["update_id"]

    def _webhook_headers(self, webhook: dict[str, Any]) -> dict[str, str]:
        """The HTTP headers of a delivery."""
        return {"Content-Type": "application/json"}

    async def _webhook_accepted(self, key: Any, body: bytes) -> None:
        """The bot accepted an update (nothing kept by default)."""

    def _webhook_error_text(self, exc: BaseException) -> str:
        """How a delivery that found no answer is recorded."""
        return f"{type(exc).__name__}: {exc}"

    def _webhook_failed(self, error: str) -> None:
        """One delivery attempt failed (nothing kept by default)."""

    def _webhook_gave_up(self, key: Any) -> None:
        """Every delivery attempt of an update failed (nothing kept by default)."""
