"""Configuration: TOML file, environment overrides, one clear line naming a wrong key."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.pool import QueuePool

from bot.config import ConfigError, env_name, load_config
from bot.settings import MAX_ENGINE_LANES
from storage.db import Database


def test_defaults_without_file_or_environment() -> None:
    config = load_config(env={})
    assert config.database_url == "sqlite:///data/bdhvs.db"
    assert config.telegram_mode == "polling" and config.web_host == "127.0.0.1" and config.web_port == 8080
    assert config.timezone == "Asia/Ho_Chi_Minh" and config.sandbox
    assert config.engine_mode == "auto"


def test_engine_mode_from_file_and_environment(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[engine]\nmode = "thread"\n', encoding="utf-8")
    assert load_config(file, env={}).engine_mode == "thread"
    assert load_config(file, env={"BDHVS_ENGINE_MODE": "Process"}).engine_mode == "process"
    assert load_config(file, env={}).engine_lanes == 4
    assert load_config(file, env={"BDHVS_ENGINE_LANES": "8"}).engine_lanes == 8
    assert load_config(file, env={"BDHVS_ENGINE_LANES": str(MAX_ENGINE_LANES)}).engine_lanes == MAX_ENGINE_LANES
    with pytest.raises(ConfigError, match=rf"^BDHVS_ENGINE_LANES: must be at most {MAX_ENGINE_LANES} "):
        load_config(file, env={"BDHVS_ENGINE_LANES": str(MAX_ENGINE_LANES + 1)})


def test_the_most_lanes_leave_connections_of_the_pool_for_the_rest() -> None:
    """Each lane holds a connection while it works: the PostgreSQL pool keeps some for the sender, the web
    pages and the scheduler when every lane is busy (the engine is built without connecting)."""
    engine = Database("postgresql://nobody@127.0.0.1:9/none").engine
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.size() + pool._max_overflow >= MAX_ENGINE_LANES + 4
    engine.dispose()


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[telegram]\ntoken = "from-file"\n[web]\nport = 9000\n', encoding="utf-8")
    config = load_config(file, env={"BDHVS_WEB_PORT": "9100", "BDHVS_TELEGRAM_API_BASE_URL": "http://127.0.0.1:1/bot"})
    assert config.telegram_token == "from-file" and config.web_port == 9100
    assert config.telegram_api_base_url == "http://127.0.0.1:1/bot" and not config.sandbox


def test_config_path_from_environment(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('timezone = "Asia/Bangkok"\n', encoding="utf-8")
    assert load_config(env={"BDHVS_CONFIG": str(file)}).timezone == "Asia/Bangkok"


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"BDHVS_WEB_PORT": "abc"}, "BDHVS_WEB_PORT"),
        ({"BDHVS_WEB_PORT": "70000"}, "BDHVS_WEB_PORT"),
        ({"BDHVS_TELEGRAM_MODE": "push"}, "BDHVS_TELEGRAM_MODE"),
        ({"BDHVS_TIMEZONE": "Mars/Olympus"}, "BDHVS_TIMEZONE"),
        ({"BDHVS_DATABASE_URL": "mysql://x"}, "BDHVS_DATABASE_URL"),
        ({"BDHVS_TELEGRAM_API_BASE_URL": "not a url"}, "BDHVS_TELEGRAM_API_BASE_URL"),
        (
            {"BDHVS_TELEGRAM_TOKEN": "t", "BDHVS_TELEGRAM_MODE": "webhook", "BDHVS_TELEGRAM_SECRET_TOKEN": "s"},
            "BDHVS_PUBLIC_URL",
        ),
        (
            {"BDHVS_TELEGRAM_TOKEN": "t", "BDHVS_TELEGRAM_MODE": "webhook", "BDHVS_PUBLIC_URL": "https://x.vn"},
            "BDHVS_TELEGRAM_SECRET_TOKEN",
        ),
        ({"BDHVS_CONFIG": "/nonexistent/bdhvs.toml"}, "BDHVS_CONFIG"),
        ({"BDHVS_ENGINE_MODE": "fast"}, "BDHVS_ENGINE_MODE"),
        ({"BDHVS_ENGINE_MODE": "process", "BDHVS_DATABASE_URL": "sqlite://"}, "BDHVS_ENGINE_MODE"),
        ({"BDHVS_FLOOD_PER_MINUTE": "0"}, "BDHVS_FLOOD_PER_MINUTE"),
        ({"BDHVS_FLOOD_BURST": "many"}, "BDHVS_FLOOD_BURST"),
        ({"BDHVS_ENGINE_LANES": "0"}, "BDHVS_ENGINE_LANES"),
        ({"BDHVS_ZALO_PHOTO_HOSTS": "https://photo.example.vn/"}, "BDHVS_ZALO_PHOTO_HOSTS"),
        ({"BDHVS_ZALO_PHOTO_HOSTS": "photo.example.vn:8443"}, "BDHVS_ZALO_PHOTO_HOSTS"),
    ],
)
def test_wrong_values_name_the_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(env=env)
    message = str(error.value)
    assert message.startswith(key) and "\n" not in message


def test_flood_limits_default_and_from_file_and_environment(tmp_path: Path) -> None:
    defaults = load_config(env={}).flood
    assert (defaults.per_minute, defaults.burst) == (30.0, 10)
    file = tmp_path / "c.toml"
    file.write_text("[flood]\nper_minute = 12\nburst = 4\n", encoding="utf-8")
    flood = load_config(file, env={"BDHVS_FLOOD_BURST": "6"}).flood
    assert (flood.per_minute, flood.burst) == (12.0, 6)


def test_zalo_photo_hosts_from_file_and_environment(tmp_path: Path) -> None:
    assert load_config(env={}).zalo_photo_hosts == ()
    file = tmp_path / "c.toml"
    file.write_text('[zalo]\nphoto_hosts = ["Photo.Example.VN.", "cdn.example.vn"]\n', encoding="utf-8")
    assert load_config(file, env={}).zalo_photo_hosts == ("photo.example.vn", "cdn.example.vn")
    from_env = load_config(file, env={"BDHVS_ZALO_PHOTO_HOSTS": "a.example.vn, b.example.vn"})
    assert from_env.zalo_photo_hosts == ("a.example.vn", "b.example.vn")


def test_example_config_loads_with_the_documented_defaults() -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    assert load_config(example, env={}).flood == load_config(env={}).flood


def test_wrong_value_in_file_names_the_toml_key(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[web]\nport = "eighty"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^web.port \(config file\)"):
        load_config(file, env={})


def test_env_names_are_the_public_contract() -> None:
    assert env_name("telegram.api_base_url") == "BDHVS_TELEGRAM_API_BASE_URL"
    assert env_name("database.url") == "BDHVS_DATABASE_URL"
    assert env_name("public_url") == "BDHVS_PUBLIC_URL"
