"""The bots' channels of the running bot: each configured bot's channel built, its renderer given to the sender,
started, its webhook route and its polling (a leader role).

Part of the wiring (`bot/app.py` holds one `BotChannels` and hands it what the channels are built with): kept apart
so that the application's lifecycle reads in one place and the per-bot details (a bot per province, several bots
on one channel, shared token rates) in another.

A bot is its own `TelegramChannel` / `ZaloChannel` (`channels`, by channel and key); `telegram` / `zalo` are each
channel's default bot's. When a channel has several bots, their renderers go to the sender through the channel's
`BotRenderers` once every bot of the channel is in (`give_renderers`); a single bot's goes to the sender at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.channels.bots import BotRenderers
from bot.channels.photos import image_type
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.delivery.shared import token_key
from bot.leadership import Leadership
from bot.metrics import Metrics
from bot.outbox_sender import OutboxSender
from bot.settings import BotConfig, Config

Channel = TelegramChannel | ZaloChannel


class BotChannels:
    """Every bot's channel by (channel, key), with how each is built, started, polled and reached by webhook."""

    def __init__(
        self,
        config: Config,
        sender: OutboxSender,
        leadership: Leadership,
        metrics: Metrics,
        *,
        telegram_options: dict[str, Any],
        zalo_options: dict[str, Any],
        api_base_url: Callable[[BotConfig], str],
        files_base_url: Callable[[], str],
    ) -> None:
        self.config = config
        self._sender = sender
        self.leadership = leadership
        self.metrics = metrics
        self.telegram_options = telegram_options
        self.zalo_options = zalo_options
        self._api_base_url = api_base_url
        self._files_base_url = files_base_url
        self.telegram: TelegramChannel | None = None
        self.zalo: ZaloChannel | None = None
        # Every bot's channel by (channel, key); `telegram` and `zalo` above are each channel's default bot's.
        self.channels: dict[tuple[str, str], Channel] = {}
        self._bot_renderers: dict[str, BotRenderers] = {}

    def bots(self) -> list[BotConfig]:
        """The bots to run: the configured ones (in the sandbox, its own: `sandbox_config`)."""
        return list(self.config.all_bots)

    def telegram_tokens(self) -> tuple[str, ...]:
        """The tokens a Telegram Mini App's initData may be signed with: every Telegram bot's (a Mini App opened
        from a province's own bot is signed with that bot's token; in the sandbox the fakes' bots)."""
        return tuple(bot.token for bot in self.config.all_bots if bot.channel == "telegram")

    async def fetch_photo(self, channel: str, file_id: str) -> tuple[bytes, str] | None:
        """A session's evidence photo from the messenger it was sent on (the spot checks show it), only when its
        bytes are a picture (`image_type`): Telegram's by getFile; Zalo's by the URL it is kept as, fetched by a Zalo
        channel (bot/channels/photos.py). A Telegram file id is valid only for the bot that received the photo,
        which the session does not record: each Telegram bot is asked in turn, the default one first."""
        if not file_id:
            return None
        if channel == "zalo":
            zalo = self.zalo or next((bot for bot in self.channels.values() if isinstance(bot, ZaloChannel)), None)
            return None if zalo is None else await zalo.fetch_photo(file_id)
        if channel != "telegram":
            return None
        bots = [bot for bot in self.channels.values() if isinstance(bot, TelegramChannel)]
        bots.sort(key=lambda bot: bot is not self.telegram)
        for bot in bots:
            content = await bot.fetch_photo(file_id)
            mime = None if content is None else image_type(content)
            if content is not None and mime is not None:
                return content, mime
        return None

    def webhook_route(self, bot: BotConfig) -> Callable[[web.Application], None]:
        """The route a bot's platform posts its updates to (`BotConfig.webhook_path`)."""

        async def receive(request: web.Request) -> web.StreamResponse:
            channel = self.channels.get((bot.channel, bot.key))
            if channel is None:
                return web.Response(status=503, text="starting")
            return await channel.handle_webhook(request)

        def add(app: web.Application) -> None:
            app.router.add_post(bot.webhook_path, receive)

        return add

    async def start_bot(self, bot: BotConfig, options: dict[str, Any]) -> None:
        """Build one bot's channel with `options` (what every channel is built with: the engine, the database, the
        clock...), give its renderer to the sender (or, when the channel has several bots, to the channel's
        `BotRenderers`, given to the sender by `give_renderers` once all are in) and start it."""
        options = {
            **options,
            "token": bot.token,
            "mode": bot.mode,
            "secret_token": bot.secret_token,
        }
        key = self.config.bot_ref(bot)
        options.update(bot_key=key, webhook_path=bot.webhook_path, name_setting=self.config.name_setting(bot))
        channel: Channel
        if bot.channel == "telegram":
            pool = {"connection_pool_size": self._sender.worker_count + 2, **self.telegram_options}
            channel = TelegramChannel(base_url=self._api_base_url(bot), **options, **pool)
            if key is None:
                self.telegram = channel
        else:
            limit = {"connection_limit": self._sender.worker_count + 4, **self.zalo_options}
            channel = ZaloChannel(
                base_url=self._api_base_url(bot),
                **options,
                file_base=self._files_base_url,
                tz=self.config.tz,
                photo_hosts=self.config.zalo_photo_hosts,
                **limit,
            )
            if key is None:
                self.zalo = channel
        self.channels[(bot.channel, bot.key)] = channel
        if sum(1 for other in self.bots() if other.channel == bot.channel) > 1:
            # given to the sender once every bot of the channel is in it (`give_renderers`): before that, an item
            # of a bot not yet added would fail as naming no configured bot
            self._bot_renderers.setdefault(bot.channel, BotRenderers(bot.channel)).add(key, channel.renderer)
        else:
            self._sender.add_renderer(channel.renderer)
        await self._start_channel(channel, bot)

    def give_renderers(self) -> None:
        """Once every bot is started: each channel with several bots gives the sender its `BotRenderers`."""
        for renderers in self._bot_renderers.values():
            self._sender.add_renderer(renderers)

    async def _start_channel(self, channel: Channel, bot: BotConfig) -> None:
        """Introduce a bot's channel; its token's rate is shared (under the name the sender paces it by: the
        channel for the default bot, `channel:key` for another), and polling it is a leader role (one instance)."""
        key = token_key(bot.channel, bot.token)
        bot_key = self.config.bot_ref(bot)
        pace_name = bot.channel if bot_key is None else f"{bot.channel}:{bot_key}"
        if self._sender.shared_pace is not None:
            self._sender.shared_pace.add(pace_name, key)
        await channel.start(poll=False)
        if bot.mode == "polling":
            role = f"polling:{bot.channel}" + (f":{bot_key}" if bot_key else "")
            self.leadership.want(
                f"polling:{key}", lambda: self._poll(channel, role, True), lambda: self._poll(channel, role, False)
            )

    async def _poll(self, channel: Channel, role: str, held: bool) -> None:
        """This instance took (or lost) the token's polling role: poll here (or stop)."""
        self.metrics.hold_role(role, held)
        await (channel.start_polling() if held else channel.stop())
