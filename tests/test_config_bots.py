"""`[[bots]]`: several bots in one deployment, each serving some provinces, checked at load with one line naming
the table and its key; the single-bot keys keep defining one bot serving everyone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from bot.app import build_application
from bot.cli import main
from bot.config import ConfigError, load_config
from bot.settings import BotConfig, Config
from storage.db import Database
from storage.migrate import upgrade
from storage.settings import set_setting

TWO_BOTS = """
public_url = "https://bdhvs.example.gov.vn"

[[bots]]
key = "ht"
channel = "telegram"
token = "1:HATINH"
provinces = [42]

[[bots]]
key = "all"
channel = "telegram"
token = "2:ALL"
provinces = "all"
mode = "webhook"
secret_token = "a-long-secret"

[[bots]]
key = "zht"
channel = "zalo"
token = "3:ZALO"
provinces = [42, 1]
"""


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Config:
    file = tmp_path / "c.toml"
    file.write_text(text, encoding="utf-8")
    return load_config(file, env=env or {})


def test_several_bots_and_who_serves_whom(tmp_path: Path) -> None:
    config = load(tmp_path, TWO_BOTS)
    ht, every, zalo = config.bots
    assert (ht.key, ht.channel, ht.provinces, ht.mode) == ("ht", "telegram", frozenset({42}), "polling")
    assert every.provinces is None and every.webhook_path == "/telegram/webhook/all"
    assert zalo.api_base_url.startswith("https://bot-api.zaloplatforms.com")
    assert not config.sandbox and config.all_bots == config.bots
    assert config.bot_for("telegram", 42) == ht and config.bot_for("telegram", 1) == every
    assert config.bot_for("zalo", 1) == zalo and config.bot_for("zalo", 79) == zalo  # the first: no "all" bot
    assert config.default_bot("telegram") == every
    # Rows name a bot by its key, the default one by none (as a single-bot database does).
    assert config.bot_ref(ht) == "ht" and config.bot_ref(every) is None
    assert config.name_setting(ht) == "telegram.username.ht" and config.name_setting(every) == "telegram.username"
    assert "1:HATINH" not in repr(ht)  # a token never reaches a log line


def test_the_sender_runs_sends_in_flight_for_every_bot(tmp_path: Path) -> None:
    """A national reminder through a bot per province uses every token at once: the sender has
    `outbox.workers_per_bot` sends in flight for each bot, not a fixed few for the whole deployment."""
    assert load(tmp_path, TWO_BOTS).sender_workers == 3 * 6
    assert load(tmp_path, TWO_BOTS + "\n[outbox]\nworkers_per_bot = 4\n").sender_workers == 3 * 4
    from_env = load(tmp_path, TWO_BOTS, env={"BDHVS_OUTBOX_WORKERS_PER_BOT": "2"})
    assert from_env.sender_workers == 3 * 2
    with pytest.raises(ConfigError, match="workers_per_bot"):
        load(tmp_path, "[outbox]\nworkers_per_bot = 0\n")
    single = load(tmp_path, "[telegram]\ntoken = '1:ONE'\n")
    assert single.sender_workers == 6
    app = build_application(dataclasses.replace(load(tmp_path, TWO_BOTS), database_url=f"sqlite:///{tmp_path}/a.db"))
    assert app.sender.worker_count == 3 * 6


def test_tokens_and_secrets_from_the_environment(tmp_path: Path) -> None:
    text = TWO_BOTS.replace('token = "1:HATINH"\n', "")
    with pytest.raises(ConfigError, match=r"bots\[0\] key='ht' \(config file\)\.token: missing .*BDHVS_BOT_HT_TOKEN"):
        load(tmp_path, text)
    config = load(tmp_path, text, {"BDHVS_BOT_HT_TOKEN": "9:FROM-ENV", "BDHVS_BOT_ALL_SECRET_TOKEN": "env-secret-1"})
    assert config.bots[0].token == "9:FROM-ENV" and config.bots[1].secret_token == "env-secret-1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("provinces = [42, 1]", "provinces = [42]\nchannel_x = 1"),
            r"bots\[2\] key='zht'.*unknown setting 'channel_x'",
        ),
        (('key = "zht"', 'key = "ZHT!"'), r"bots\[2\] \(config file\)\.key: must be 1 to 32"),
        (('channel = "zalo"', 'channel = "viber"'), r"bots\[2\] key='zht' \(config file\)\.channel"),
        (('key = "zht"\nchannel = "zalo"', 'key = "zht"\nchannel = "telegram"'), r"province 42 is already served"),
        (('key = "zht"', 'key = "ht"'), r"bots\[2\] key='ht'.*another bot has the key"),
        (('token = "3:ZALO"', 'token = "1:HATINH"'), r"bots\[2\] key='zht'.*same token as bot 'ht'"),
        (("provinces = [42, 1]", 'provinces = "some"'), r"bots\[2\] key='zht'.*provinces: must be \"all\""),
        (("provinces = [42, 1]", "provinces = [42, 100]"), r"bots\[2\] key='zht'.*whole numbers 1 to 99"),
        (("provinces = [42, 1]\n", ""), r"bots\[2\] key='zht'.*provinces: missing"),
        (('secret_token = "a-long-secret"', ""), r"bots\[1\] key='all'.*secret_token: required"),
        (('public_url = "https://bdhvs.example.gov.vn"', ""), r"BDHVS_PUBLIC_URL: required when bots\[1\] key='all'"),
        (
            (
                'key = "ht"\nchannel = "telegram"\ntoken = "1:HATINH"\nprovinces = [42]',
                'key = "ht"\nchannel = "telegram"\ntoken = "1:HATINH"\nprovinces = "all"',
            ),
            r"every province is already served on telegram by bot 'ht'",
        ),
    ],
)
def test_a_mistake_names_the_table_and_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in TWO_BOTS
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, TWO_BOTS.replace(old, new, 1))


def test_bots_and_the_single_bot_token_exclude_each_other(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"BDHVS_TELEGRAM_TOKEN: the config file lists \[\[bots\]\]"):
        load(tmp_path, TWO_BOTS, {"BDHVS_TELEGRAM_TOKEN": "5:SINGLE"})


def test_the_environment_alone_defines_one_bot_for_everyone() -> None:
    config = load_config(
        env={"BDHVS_TELEGRAM_TOKEN": "5:SINGLE", "BDHVS_ZALO_TOKEN": "6:ZALO", "BDHVS_TELEGRAM_MODE": "polling"}
    )
    assert config.bots == ()
    telegram, zalo = config.all_bots
    assert telegram == BotConfig("telegram", "5:SINGLE") and zalo.channel == "zalo" and zalo.key == ""
    assert telegram.webhook_path == "/telegram/webhook" and config.bot_ref(telegram) is None
    assert config.bot_for("telegram", 42) == telegram and config.name_setting(telegram) == "telegram.username"


def test_invite_create_prints_the_link_of_the_provinces_bot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bdhvs invite create` names the bot of the invite's province (the names the running bots recorded)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    file = tmp_path / "c.toml"
    file.write_text(TWO_BOTS + f'\n[database]\nurl = "{url}"\n', encoding="utf-8")
    for name in ("BDHVS_TELEGRAM_TOKEN", "BDHVS_DATABASE_URL", "BDHVS_ZALO_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BDHVS_CONFIG", str(file))
    database = Database(url)
    upgrade(database)
    with database.session() as session:
        set_setting(session, "telegram.username.ht", "bdhvs_hatinh_bot", dt.datetime.now(dt.UTC))
        set_setting(session, "telegram.username", "bdhvs_ca_nuoc_bot", dt.datetime.now(dt.UTC))
    database.dispose()
    links = {}
    for commune in ("18196", "70"):  # Xã Sơn Kim 1 (Hà Tĩnh), Phường Hoàn Kiếm (Hà Nội)
        assert main(["invite", "create", "--commune", commune, "--role", "commune_admin", "--json"]) == 0
        made = json.loads(capsys.readouterr().out)
        links[commune] = made["link"].replace(made["code"], "CODE")
    assert links == {
        "18196": "https://t.me/bdhvs_hatinh_bot?start=CODE",
        "70": "https://t.me/bdhvs_ca_nuoc_bot?start=CODE",
    }
