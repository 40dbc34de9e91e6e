"""The deployment files under deploy/ stay in step with the code: the proxy forwards every public address the
bot serves (and nothing of the sandbox), the units start the installed `bdhvs` command, and the environment
example names only keys the configuration knows."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

from aiohttp import web

from bot import config
from bot.channels.telegram import WEBHOOK_PATH as TELEGRAM_WEBHOOK
from bot.channels.zalo import WEBHOOK_PATH as ZALO_WEBHOOK
from bot.clock import FixedClock
from bot.config import env_name
from bot.webpages.routes import add_leaders_routes
from storage.db import Database

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = (DEPLOY / "nginx" / "bdhvs.conf").read_text()


def _forwarded(path: str) -> bool:
    """Whether the nginx example hands `path` to the bot: an exact location, or a prefix location that is not
    the catch-all."""
    for kind, prefix, body in re.findall(r"location\s+(=?)\s*(\S+)\s*\{([^}]*)\}", NGINX):
        if "proxy_pass http://bdhvs;" not in body:
            continue
        if (kind == "=" and path == prefix) or (kind == "" and prefix != "/" and path.startswith(prefix)):
            return True
    return False


def test_the_proxy_forwards_the_webhooks_health_metrics_and_every_leaders_page(tmp_path: Path) -> None:
    app = web.Application()
    database = Database(f"sqlite:///{tmp_path / 'deploy.db'}")
    add_leaders_routes(
        app,
        database,
        config.load_config(env={}),
        FixedClock(dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC)),
        lambda: (),
    )
    pages = {resource.canonical for resource in app.router.resources()}
    assert any(p.startswith("/web/province") for p in pages)
    for path in sorted(pages | {TELEGRAM_WEBHOOK, ZALO_WEBHOOK, "/healthz", "/readyz", "/metrics"}):
        assert _forwarded(path), f"deploy/nginx/bdhvs.conf does not forward {path}"
    for sandbox in ("/", "/sandbox/api/bot", "/bot123:abc/getUpdates"):
        assert not _forwarded(sandbox), f"the proxy must not expose the local sandbox's {sandbox}"
    database.dispose()


def test_the_units_start_the_installed_command() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "bdhvs" in scripts
    instance = (DEPLOY / "systemd" / "bdhvs@.service").read_text()
    assert re.search(r"^ExecStart=\S+/\.venv/bin/bdhvs run$", instance, re.MULTILINE)
    backup = (DEPLOY / "systemd" / "bdhvs-backup.service").read_text()
    assert "/.venv/bin/bdhvs backup -o " in backup
    assert "%%Y%%m%%d" in backup, "a literal % in a unit is written %%"
    assert "OnCalendar=" in (DEPLOY / "systemd" / "bdhvs-backup.timer").read_text()


def test_the_environment_example_names_only_known_keys_and_loads() -> None:
    text = (DEPLOY / "bdhvs.env.example").read_text()
    names = re.findall(r"^#?\s*(BDHVS_[A-Z_]+)=", text, re.MULTILINE)
    known = {
        env_name(path)
        for keys in (config._KEYS, config._LIMIT_KEYS, config._RATE_KEYS, config._FLOOD_KEYS)
        for path, _, _ in keys
    }
    unknown = [n for n in names if n not in known]
    assert names and not unknown, f"deploy/bdhvs.env.example names keys the configuration does not know: {unknown}"
    env = dict(re.findall(r"^(BDHVS_[A-Z_]+)=(.*)$", text, re.MULTILINE))
    env.update(BDHVS_TELEGRAM_TOKEN="123:abc", BDHVS_TELEGRAM_SECRET_TOKEN="a-secret", BDHVS_METRICS_TOKEN="m")
    loaded = config.load_config(env=env)
    assert loaded.telegram_mode == "webhook" and loaded.log_format == "json" and loaded.web_host == "127.0.0.1"
    assert loaded.database_url.startswith("postgresql://") and not loaded.demo_data
