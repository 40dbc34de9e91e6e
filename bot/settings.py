"""Settings: the plain values every layer may read (limits, rates, time zone, modes), and nothing that reads them.

`bot/config.py` fills a `Config` from a TOML file and the environment; everything else only receives one.
Handlers, the schedule, the engine and the edges depend on this module, never on the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DEFAULT_DATABASE_URL = "sqlite:///data/bdhvs.db"
# Sends the outbox has in flight at once, per bot (token). A send waits for the platform's answer (about 0.1 s to
# Telegram from Vietnam, more when it is slow), so a token's 30 messages a second needs several at once; a
# deployment with a bot per province has as many more as it has bots, so that a national reminder uses every
# token at once rather than queueing behind a fixed few (bench/fanout.py --bots 34).
SENDER_WORKERS_PER_BOT = 6
# Update threads on PostgreSQL (bot/engine_lanes.py): an update's transaction mostly waits for the database, so
# chats on different lanes are handled at once; each lane holds a connection while it works. SQLite has one.
ENGINE_LANES = 4
# At most this many: each lane holds one of the database pool's 20 connections while it works (storage/db.py),
# and the outbox sender, the web pages, the scheduler and the leader roles need the rest.
MAX_ENGINE_LANES = 16
ENGINE_MODES = ("auto", "process", "thread")
TELEGRAM_API = "https://api.telegram.org/bot"
ZALO_API = "https://bot-api.zaloplatforms.com/bot"


def host_name(host: str) -> str:
    """A host name as compared: lower case, without the final dot of a fully qualified name (a setting's hosts
    and an address's host are both written this way before they are compared)."""
    return host.strip().lower().rstrip(".")


class ConfigError(ValueError):
    """A configuration value is wrong or missing; the message names the key."""


@dataclass(frozen=True)
class Limits:
    """Sane bounds for what people type."""

    max_attendees: int = 1000
    max_help_count: int = 2000
    max_days_back: int = 62  # how far back a session may be logged
    invite_days: int = 14
    invite_max_uses: int = 50


@dataclass(frozen=True)
class RateLimits:
    """How fast the outbox may send (the platforms' limits)."""

    global_per_second: float = 30.0
    private_chat_per_second: float = 1.0
    private_chat_burst: int = 3
    group_per_minute: float = 20.0


@dataclass(frozen=True)
class FloodLimits:
    """How fast one account (channel, user id) may send updates before the extra ones are set aside.

    A token bucket: `burst` updates at once, then `per_minute` a minute. Beyond it an update is acknowledged
    and dropped before any database work, and the person gets one notice per flood episode (bot/flood.py)."""

    per_minute: float = 30.0
    burst: int = 10


CHANNELS = ("telegram", "zalo")


@dataclass(frozen=True)
class BotConfig:
    """One messenger bot (a token) and the provinces it serves: a deployment may run a bot per province.

    `key` names the bot in the database (outbox rows, accounts), in its webhook path and its settings; the bot
    defined by the `telegram.*` / `zalo.*` keys (the single-bot case) has the empty key. `provinces` None: it
    serves every province (at most one such bot per channel)."""

    channel: str  # telegram | zalo
    token: str = field(repr=False)
    key: str = ""
    mode: str = "polling"
    secret_token: str | None = None
    api_base_url: str = TELEGRAM_API
    provinces: frozenset[int] | None = None

    def serves(self, province_code: int) -> bool:
        """Whether members of this province talk to this bot."""
        return self.provinces is None or province_code in self.provinces

    @property
    def webhook_path(self) -> str:
        """Where the platform posts this bot's updates: `/telegram/webhook`, or `/telegram/webhook/{key}`."""
        return f"/{self.channel}/webhook" + (f"/{self.key}" if self.key else "")


@dataclass(frozen=True)
class Config:
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Asia/Ho_Chi_Minh"
    public_url: str | None = None
    telegram_token: str | None = None
    telegram_api_base_url: str = TELEGRAM_API
    telegram_mode: str = "polling"
    telegram_secret_token: str | None = None
    zalo_token: str | None = None
    zalo_api_base_url: str = ZALO_API
    zalo_mode: str = "polling"
    zalo_secret_token: str | None = None
    # Hosts (and the names under them) a Zalo photo may be fetched from for a spot check, beside Zalo's own
    # (bot/channels/photos.py:ZALO_PHOTO_HOSTS) and the Zalo API's host.
    zalo_photo_hosts: tuple[str, ...] = ()
    # Seconds a send may wait for the platform's answer (bot/outbox_sender.py: why so long, what a time-out does).
    send_timeout: float = 60.0
    # Sends in flight at once for each bot; the sender runs this many times the number of bots (`sender_workers`).
    sender_workers_per_bot: int = SENDER_WORKERS_PER_BOT
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    demo_data: bool = True
    # Where updates are handled: "process" (a child process, a core of its own), "thread" (beside the event
    # loop), or "auto" (a process where there are two cores or more and the database is shared).
    engine_mode: str = "auto"
    # Update lanes on PostgreSQL (`ENGINE_LANES`); SQLite always has one (one writer).
    engine_lanes: int = ENGINE_LANES
    # "text" lines, or "json" lines (one object a line) for a log collector (bot/logs.py).
    log_format: str = "text"
    # GET /metrics (Prometheus) is served only when this is set, to requests carrying it as a bearer token:
    # the figures (queue depths, failures) are not for strangers.
    metrics_token: str | None = None
    limits: Limits = field(default_factory=Limits)
    rate_limits: RateLimits = field(default_factory=RateLimits)
    flood: FloodLimits = field(default_factory=FloodLimits)
    # `[[bots]]` in the config file: several bots, each serving some provinces. Empty: the `telegram.*` and
    # `zalo.*` keys define one bot per channel serving everyone (`all_bots`).
    bots: tuple[BotConfig, ...] = ()
    # Set by the application, never read from the file: `bots` are the sandbox's own fake bots (bot/sandbox/bots.py),
    # put in when no bot was configured so that the sandbox runs a bot per province the way a deployment does.
    sandbox_bots: bool = False

    @property
    def tz(self) -> ZoneInfo:
        """The deployment's timezone as a ZoneInfo."""
        return ZoneInfo(self.timezone)

    @property
    def web_base_url(self) -> str:
        """Where people open the bot's own pages (the leaders' page): the public URL, else the address the web
        server binds (a wildcard bind is reached through loopback). Port 0 has no address to give: set
        `public_url` when the port is chosen by the system."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.web_host in ("0.0.0.0", "", "::") else self.web_host
        return f"http://{host}:{self.web_port}"

    @property
    def sender_workers(self) -> int:
        """The outbox sender's workers: `sender_workers_per_bot` for each bot the deployment runs."""
        return sender_workers(self.sender_workers_per_bot, len(self.all_bots))

    @property
    def sandbox(self) -> bool:
        """With no messenger token configured the bot runs against its own fake Bot APIs (the sandbox's bots)."""
        return self.sandbox_bots or not self.all_bots

    @property
    def all_bots(self) -> tuple[BotConfig, ...]:
        """Every bot this deployment runs: the `[[bots]]`, else one per channel from `telegram.*` / `zalo.*`."""
        if self.bots:
            return self.bots
        single: list[BotConfig] = []
        if self.telegram_token:
            single.append(
                BotConfig(
                    "telegram",
                    self.telegram_token,
                    mode=self.telegram_mode,
                    secret_token=self.telegram_secret_token,
                    api_base_url=self.telegram_api_base_url,
                )
            )
        if self.zalo_token:
            single.append(
                BotConfig(
                    "zalo",
                    self.zalo_token,
                    mode=self.zalo_mode,
                    secret_token=self.zalo_secret_token,
                    api_base_url=self.zalo_api_base_url,
                )
            )
        return tuple(single)

    def default_bot(self, channel: str) -> BotConfig | None:
        """The channel's default bot: the one serving every province, else the first listed. Outbox rows and
        accounts that name no bot are its; it receives at `/{channel}/webhook/{key}` and at `/{channel}/webhook`."""
        bots = [bot for bot in self.all_bots if bot.channel == channel]
        return next((bot for bot in bots if bot.provinces is None), bots[0] if bots else None)

    def bot_ref(self, bot: BotConfig) -> str | None:
        """How rows name a bot: None for its channel's default bot (so a single-bot database names none)."""
        return None if not bot.key or bot == self.default_bot(bot.channel) else bot.key

    def name_setting(self, bot: BotConfig) -> str:
        """The setting holding a bot's name as the platform says it (deep links): `telegram.username` (or
        `zalo.bot_name`) for the channel's default bot, as with one bot; with `.{key}` after it for another."""
        base = "telegram.username" if bot.channel == "telegram" else "zalo.bot_name"
        ref = self.bot_ref(bot)
        return f"{base}.{ref}" if ref else base

    def bot_for(self, channel: str, province_code: int) -> BotConfig | None:
        """The bot members of a province talk to on a channel: the one listing it, else the default one."""
        for bot in self.all_bots:
            if bot.channel == channel and bot.provinces is not None and province_code in bot.provinces:
                return bot
        return self.default_bot(channel)

    def bot_named(self, channel: str, ref: str | None) -> BotConfig | None:
        """The bot a row names (None: the default one); None when no such bot is configured."""
        if ref is None:
            return self.default_bot(channel)
        return next((bot for bot in self.all_bots if bot.channel == channel and bot.key == ref), None)


def sender_workers(per_bot: int, bots: int) -> int:
    """Sends in flight at once over a deployment of `bots` bots, `per_bot` each (at least one bot's worth)."""
    return max(1, per_bot) * max(1, bots)
