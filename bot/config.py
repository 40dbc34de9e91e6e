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
    ENGINE_MODES,
    Config,
    ConfigError,
    FloodLimits,
    Limits,
    RateLimits,
)
from storage.db import in_memory_database

__all__ = ["Config", "ConfigError", "FloodLimits", "Limits", "RateLimits", "env_name", "load_config"]


def _text(value: Any) -> str:
    """A text value, stripped; anything else is refused."""
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value.strip()


def _optional_text(value: Any) -> str | None:
    """A text value, or None when it is empty."""
    text = _text(value)
    return text or None


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
    ("web.host", "web_host", _text),
    ("web.port", "web_port", _port),
    ("engine.mode", "engine_mode", _engine_mode),
    ("outbox.send_timeout", "send_timeout", _positive_float),
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
    config = Config(**values)
    _check(config)
    return config


def _check(config: Config) -> None:
    """Cross-key rules: a webhook needs a public URL and a secret; a separate engine process a shared database."""
    if config.engine_mode == "process" and in_memory_database(config.database_url):
        raise ConfigError("BDHVS_ENGINE_MODE: 'process' needs a database file or server, not an in-memory database")
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
