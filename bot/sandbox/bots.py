"""The sandbox's bots: what runs when no bot is configured, shaped like a deployment with a bot per province.

Two Telegram bots, each against a fake Bot API of its own on the bot's own web server: Hà Tĩnh's (the demo
commune's province, 42) and the country's default one serving every other province; and one Zalo bot serving
everyone. `sandbox_config` puts them in the config as real `BotConfig`s (`Config.sandbox_bots` keeps the sandbox
switch on), so `bot_for`, `bot_ref`, `name_setting`, the accounts' and outbox rows' `bot` and the per-bot polling,
pacing and renderers run as in production; only their `api_base_url` is a path on the bot's own server, whose
address is known once it is bound (`BotApplication` puts it in front).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.settings import BotConfig, Config

HA_TINH = 42  # the demo commune's province (Xã Sơn Kim 1, 18196)


@dataclass(frozen=True)
class SandboxBot:
    """One of the sandbox's bots: its config entry and how the page names it."""

    key: str
    channel: str  # telegram | zalo
    token: str
    prefix: str  # where its fake API is mounted on the bot's web server
    username: str  # the Telegram username (the Zalo bot's name on Zalo)
    first_name: str  # the name chats show
    label: str  # the page's short name for it
    serves: str  # the page's words for whom it serves
    provinces: frozenset[int] | None = None

    def config(self) -> BotConfig:
        """Its `[[bots]]` entry: polled, its API at `{prefix}/bot` on the bot's own server."""
        return BotConfig(
            self.channel, self.token, key=self.key, provinces=self.provinces, api_base_url=f"{self.prefix}/bot"
        )


HA_TINH_BOT = SandboxBot(
    key="ha-tinh",
    channel="telegram",
    token="123456:SANDBOX-TOKEN",
    prefix="/sandbox",
    username="bdhvs_hatinh_bot",
    first_name="Bình dân học vụ số Hà Tĩnh",
    label="Bot Hà Tĩnh",
    serves="Tỉnh Hà Tĩnh",
    provinces=frozenset({HA_TINH}),
)
COUNTRY_BOT = SandboxBot(
    key="ca-nuoc",
    channel="telegram",
    token="654321:SANDBOX-CA-NUOC-TOKEN",
    prefix="/sandbox/ca-nuoc",
    username="bdhvs_canuoc_bot",
    first_name="Bình dân học vụ số",
    label="Bot cả nước",
    serves="Các tỉnh khác",
)
ZALO_BOT = SandboxBot(
    key="zalo",
    channel="zalo",
    token="1459232241454765289:SANDBOX-ZALO-TOKEN",
    prefix="/sandbox/zalo",
    username="Bình dân học vụ số",
    first_name="Bình dân học vụ số",
    label="Bot Zalo",
    serves="Mọi tỉnh",
)
# Hà Tĩnh's first: the demo people's bot, the one the page and `BotApplication.fake_telegram` start from.
SANDBOX_BOTS = (HA_TINH_BOT, COUNTRY_BOT, ZALO_BOT)


def sandbox_config(config: Config, bots: tuple[SandboxBot, ...] = SANDBOX_BOTS) -> Config:
    """The config the sandbox runs with: `config` (no bot configured) with the sandbox's bots in it."""
    if not config.sandbox:
        raise ValueError("the sandbox's bots are for a config with no bot of its own")
    return replace(config, bots=tuple(bot.config() for bot in bots), sandbox_bots=True)
