"""Configuration: a TOML file, every key overridable from the environment.

Each key has a dotted path in the TOML file and an environment name derived from it
(`telegram.api_base_url` -> `BDHVS_TELEGRAM_API_BASE_URL`). The environment names are a public
contract. A wrong or missing value stops start-up with one line naming the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.settings import (
    CHANNELS,
    ENGINE_MODES,
    MAX_ENGINE_LANES,
    TELEGRAM_API,
    ZALO_API,
    BotConfig,
    Config,
    ConfigError,
    FloodLimits,
    Limits,
    RateLimits,
    host_name,
)
from storage.db import in_memory_database

__all__ = ["BotConfig", "Config", "ConfigError", "FloodLimits", "Limits", "RateLimits", "env_name", "load_config"]


def _text(value: Any) -> str:
    """A text value, stripped; anything else is refused."""
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value.strip()


def _optional_text(value: Any) -> str | None:
    """A text value, or None when it is empty."""
    text = _text(value)
    return text or None


def _hosts(value: Any) -> tuple[str, ...]:
    """Host names: a TOML list, or a comma-separated line (from the environment); each a bare name, no scheme,
    port or path (zdn.vn, photo.example.vn)."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError(f"must be a list of host names, got {value!r}")
    hosts: list[str] = []
    for item in items:
        name = host_name(_text(item))
        if not name:
            continue
        if any(c in name for c in "/:@ ") or name.startswith("."):
            raise ValueError(f"must be host names without a scheme, port or path, got {item!r}")
        hosts.append(name)
    return tuple(hosts)


def _url(value: Any) -> str:
    """An http(s) URL with a host."""
    text = _text(value)
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"must be an http(s) URL, got {text!r}")
    return text


def _optional_url(value: Any) -> str | None:
    """An http(s) URL without its trailing slash, or None when empty."""
    return _url(value).rstrip("/") if _text(value) else None


def _port(value: Any) -> int:
    """A TCP port (0 lets the system choose one)."""
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a whole number between 1 and 65535, got {value!r}") from None
    if not 0 <= port <= 65535:  # 0 lets the system choose, for tests
        raise ValueError(f"must be a whole number between 1 and 65535, got {value!r}")
    return port


def _mode(value: Any) -> str:
    """How a channel receives updates: polling or webhook."""
    text = _text(value).lower()
    if text not in ("polling", "webhook"):
        raise ValueError(f"must be 'polling' or 'webhook', got {value!r}")
    return text


def _engine_mode(value: Any) -> str:
    """Where the engine runs: auto, process or thread."""
    text = _text(value).lower()
    if text not in ENGINE_MODES:
        raise ValueError(f"must be 'auto', 'process' or 'thread', got {value!r}")
    return text


def _engine_lanes(value: Any) -> int:
    """Update lanes on PostgreSQL: a whole number from 1 to `MAX_ENGINE_LANES`."""
    number = _positive_int(value)
    if number > MAX_ENGINE_LANES:
        raise ValueError(
            f"must be at most {MAX_ENGINE_LANES} (each lane holds one of the database pool's connections), "
            f"got {value!r}"
        )
    return number


def _log_format(value: Any) -> str:
    """How the log is written: text or json."""
    text = _text(value).lower()
    if text not in ("text", "json"):
        raise ValueError(f"must be 'text' or 'json', got {value!r}")
    return text


def _timezone(value: Any) -> str:
    """An IANA timezone name the system knows."""
    text = _text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"is not a known timezone: {text!r}") from None
    return text


def _database_url(value: Any) -> str:
    """A SQLite or PostgreSQL URL."""
    text = _text(value)
    if not (text.startswith("sqlite") or text.startswith("postgres")):
        raise ValueError(f"must be a sqlite:/// or postgresql:// URL, got {text!r}")
    return text


def _bool(value: Any) -> bool:
    """A yes/no value, from TOML or from the environment's words (1, true, yes, on, ...)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"must be true or false, got {value!r}")


def _positive_int(value: Any) -> int:
    """A whole number above zero."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a positive whole number, got {value!r}") from None
    if number <= 0:
        raise ValueError(f"must be a positive whole number, got {value!r}")
    return number


def _positive_float(value: Any) -> float:
    """A number above zero."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a positive number, got {value!r}") from None
    if number <= 0:
        raise ValueError(f"must be a positive number, got {value!r}")
    return number


# (dotted TOML path, Config field, parser)
_KEYS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("database.url", "database_url", _database_url),
    ("timezone", "timezone", _timezone),
    ("public_url", "public_url", _optional_url),
    ("demo_data", "demo_data", _bool),
    ("telegram.token", "telegram_token", _optional_text),
    ("telegram.api_base_url", "telegram_api_base_url", _url),
    ("telegram.mode", "telegram_mode", _mode),
    ("telegram.secret_token", "telegram_secret_token", _optional_text),
    ("zalo.token", "zalo_token", _optional_text),
    ("zalo.api_base_url", "zalo_api_base_url", _url),
    ("zalo.mode", "zalo_mode", _mode),
    ("zalo.secret_token", "zalo_secret_token", _optional_text),
    ("zalo.photo_hosts", "zalo_photo_hosts", _hosts),
    ("web.host", "web_host", _text),
    ("web.port", "web_port", _port),
    ("engine.mode", "engine_mode", _engine_mode),
    ("engine.lanes", "engine_lanes", _engine_lanes),
    ("outbox.send_timeout", "send_timeout", _positive_float),
    ("outbox.workers_per_bot", "sender_workers_per_bot", _positive_int),
    ("log.format", "log_format", _log_format),
    ("metrics.token", "metrics_token", _optional_text),
]
_LIMIT_KEYS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("limits.max_attendees", "max_attendees", _positive_int),
    ("limits.max_help_count", "max_help_count", _positive_int),
    ("limits.max_days_back", "max_days_back", _positive_int),
    ("limits.invite_days", "invite_days", _positive_int),
    ("limits.invite_max_uses", "invite_max_uses", _positive_int),
]
_RATE_KEYS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("rate_limits.global_per_second", "global_per_second", _positive_float),
    ("rate_limits.private_chat_per_second", "private_chat_per_second", _positive_float),
    ("rate_limits.private_chat_burst", "private_chat_burst", _positive_int),
    ("rate_limits.group_per_minute", "group_per_minute", _positive_float),
]

_FLOOD_KEYS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("flood.per_minute", "per_minute", _positive_float),
    ("flood.burst", "burst", _positive_int),
]


def env_name(path: str) -> str:
    """The environment variable that overrides a TOML key."""
    return "BDHVS_" + path.replace(".", "_").upper()


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of the TOML data, or None when it is not there."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _read(
    keys: list[tuple[str, str, Callable[[Any], Any]]], data: Mapping[str, Any], env: Mapping[str, str]
) -> dict[str, Any]:
    """Each key's value, from the environment first, then the TOML file, else its default; parsed and checked."""
    values: dict[str, Any] = {}
    for path, name, parse in keys:
        raw = env.get(env_name(path))
        where = env_name(path)
        if raw is None:
            raw = _lookup(data, path)
            where = f"{path} (config file)"
        if raw is None:
            continue
        try:
            values[name] = parse(raw)
        except ValueError as error:
            raise ConfigError(f"{where}: {error}") from None
    return values


def load_config(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the TOML file (if any), apply environment overrides, and check the result."""
    env = os.environ if env is None else env
    path = path or env.get("BDHVS_CONFIG") or None
    data: dict[str, Any] = {}
    if path:
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"BDHVS_CONFIG: no such config file: {file}")
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"BDHVS_CONFIG: {file} is not valid TOML: {error}") from None
    values = _read(_KEYS, data, env)
    values["limits"] = Limits(**_read(_LIMIT_KEYS, data, env))
    values["rate_limits"] = RateLimits(**_read(_RATE_KEYS, data, env))
    values["flood"] = FloodLimits(**_read(_FLOOD_KEYS, data, env))
    values["bots"] = _read_bots(data.get("bots"), env)
    config = Config(**values)
    _check(config)
    return config


BOT_FIELDS = ("key", "channel", "token", "secret_token", "mode", "api_base_url", "provinces")
KEY_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


def _bot_key(value: Any) -> str:
    """A bot's short name: 1 to 32 lower-case letters, digits, '-' or '_' (it is part of a URL path)."""
    text = _text(value)
    if not 1 <= len(text) <= 32 or not set(text) <= KEY_CHARACTERS:
        raise ValueError(f"must be 1 to 32 lower-case letters, digits, '-' or '_', got {value!r}")
    return text


def _provinces(value: Any) -> frozenset[int] | None:
    """`"all"`, or a non-empty list of province codes (Hà Nội 1, Hà Tĩnh 42, ...)."""
    if isinstance(value, str) and value.strip().lower() == "all":
        return None
    if not isinstance(value, list) or not value:
        raise ValueError(f'must be "all" or a list of province codes such as [42, 1], got {value!r}')
    codes: set[int] = set()
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= 99:
            raise ValueError(f"must hold province codes (whole numbers 1 to 99), got {item!r}")
        codes.add(item)
    return frozenset(codes)


def _read_bot(index: int, table: Any, env: Mapping[str, str]) -> BotConfig:
    """One `[[bots]]` table, checked; its token and secret may come from `BDHVS_BOT_<KEY>_TOKEN` and
    `BDHVS_BOT_<KEY>_SECRET_TOKEN` instead of the file."""
    where = f"bots[{index}] (config file)"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: must be a table ([[bots]])")
    try:
        key = _bot_key(table.get("key"))
    except ValueError as error:
        raise ConfigError(f"{where}.key: {error}") from None
    where = f"bots[{index}] key={key!r} (config file)"
    unknown = sorted(set(table) - set(BOT_FIELDS))
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(BOT_FIELDS)})")
    channel = str(table.get("channel", "")).strip().lower()
    if channel not in CHANNELS:
        raise ConfigError(f"{where}.channel: must be 'telegram' or 'zalo', got {table.get('channel')!r}")
    prefix = "BDHVS_BOT_" + key.upper().replace("-", "_")
    values: dict[str, Any] = {"key": key, "channel": channel}
    readers: list[tuple[str, Callable[[Any], Any], str | None]] = [
        ("token", _optional_text, f"{prefix}_TOKEN"),
        ("secret_token", _optional_text, f"{prefix}_SECRET_TOKEN"),
        ("mode", _mode, None),
        ("api_base_url", _url, None),
        ("provinces", _provinces, None),
    ]
    for name, parse, env_key in readers:
        raw, source = table.get(name), f"{where}.{name}"
        if env_key is not None and env.get(env_key) is not None:
            raw, source = env[env_key], env_key
        if raw is None:
            continue
        try:
            values[name] = parse(raw)
        except ValueError as error:
            raise ConfigError(f"{source}: {error}") from None
    if not values.get("token"):
        raise ConfigError(f"{where}.token: missing (or set {prefix}_TOKEN)")
    if "provinces" not in table:
        raise ConfigError(f'{where}.provinces: missing: a list of province codes, or "all"')
    values.setdefault("api_base_url", TELEGRAM_API if channel == "telegram" else ZALO_API)
    return BotConfig(**values)


def _read_bots(tables: Any, env: Mapping[str, str]) -> tuple[BotConfig, ...]:
    """The `[[bots]]` tables, each checked, then checked together: keys and tokens unique, no province claimed
    by two bots of one channel, at most one bot serving every province on a channel."""
    if tables is None:
        return ()
    if not isinstance(tables, list):
        raise ConfigError("bots (config file): must be an array of tables ([[bots]])")
    bots = tuple(_read_bot(index, table, env) for index, table in enumerate(tables))
    seen_keys: set[str] = set()
    seen_tokens: dict[str, str] = {}
    claimed: dict[tuple[str, int | None], str] = {}
    for index, bot in enumerate(bots):
        where = f"bots[{index}] key={bot.key!r} (config file)"
        if bot.key in seen_keys:
            raise ConfigError(f"{where}.key: another bot has the key {bot.key!r}")
        seen_keys.add(bot.key)
        if bot.token in seen_tokens:
            raise ConfigError(f"{where}.token: the same token as bot {seen_tokens[bot.token]!r}")
        seen_tokens[bot.token] = bot.key
        for code in sorted(bot.provinces) if bot.provinces is not None else [None]:
            other = claimed.get((bot.channel, code))
            if other is not None:
                what = "every province" if code is None else f"province {code}"
                raise ConfigError(f"{where}.provinces: {what} is already served on {bot.channel} by bot {other!r}")
            claimed[(bot.channel, code)] = bot.key
    return bots


def _check(config: Config) -> None:
    """Cross-key rules: a webhook needs a public URL and a secret; a separate engine process a shared database."""
    if config.engine_mode == "process" and in_memory_database(config.database_url):
        raise ConfigError("BDHVS_ENGINE_MODE: 'process' needs a database file or server, not an in-memory database")
    if config.bots:
        _check_bots(config)
        return
    for channel in ("telegram", "zalo"):
        token = getattr(config, f"{channel}_token")
        if token and getattr(config, f"{channel}_mode") == "webhook":
            if not config.public_url:
                raise ConfigError(f"BDHVS_PUBLIC_URL: required when BDHVS_{channel.upper()}_MODE is webhook")
            secret = getattr(config, f"{channel}_secret_token")
            if not secret:
                raise ConfigError(
                    f"BDHVS_{channel.upper()}_SECRET_TOKEN: required when BDHVS_{channel.upper()}_MODE is webhook"
                )
            if channel == "zalo" and not 8 <= len(secret) <= 256:
                raise ConfigError("BDHVS_ZALO_SECRET_TOKEN: must be 8 to 256 characters")


def _check_bots(config: Config) -> None:
    """`[[bots]]` and the single-bot keys exclude each other; a webhook bot needs the public URL and a secret."""
    for channel in CHANNELS:
        if getattr(config, f"{channel}_token"):
            raise ConfigError(
                f"BDHVS_{channel.upper()}_TOKEN: the config file lists [[bots]]; give this token as a [[bots]] entry"
            )
    for index, bot in enumerate(config.bots):
        where = f"bots[{index}] key={bot.key!r} (config file)"
        if bot.mode != "webhook":
            continue
        if not config.public_url:
            raise ConfigError(f"BDHVS_PUBLIC_URL: required when {where} has mode = 'webhook'")
        if not bot.secret_token:
            raise ConfigError(f"{where}.secret_token: required in webhook mode")
        if bot.channel == "zalo" and not 8 <= len(bot.secret_token) <= 256:
            raise ConfigError(f"{where}.secret_token: must be 8 to 256 characters")
