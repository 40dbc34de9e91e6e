"""Sandbox mode (no messenger token): the app serves its fake Bot APIs itself and polls them with the real adapters:
a bot per province as a deployment may run, Hà Tĩnh's Telegram bot and the country's default one, each with its
own fake, and one Zalo bot."""

from __future__ import annotations

import aiohttp
from sqlmodel import select

from bot.app import BotApplication, build_application
from bot.config import Config
from storage.models import ChannelAccount, GroupChat
from storage.settings import get_setting
from tests.app.conftest import FAST_LIMITS, echo_router

HA_TINH_PERSON, HA_NOI_PERSON = 900002, 900101


async def test_sandbox_mode_runs_the_real_adapter_against_its_own_fake(db_url: str) -> None:
    config = Config(database_url=db_url, web_port=0, demo_data=False, rate_limits=FAST_LIMITS)
    assert config.sandbox
    app: BotApplication = build_application(config, router=echo_router)
    await app.start()
    try:
        assert app.config.sandbox and app.config.sandbox_bots, "still the sandbox, with its own bots configured"
        assert set(app.channels) == {("telegram", "ha-tinh"), ("telegram", "ca-nuoc"), ("zalo", "zalo")}
        ha_tinh, country = app.fake_telegrams["ha-tinh"], app.fake_telegrams["ca-nuoc"]
        assert app.fake_telegram is ha_tinh, "the demo people's bot"
        # The country's bot is the default one (it serves every other province), polled like the other.
        assert app.telegram is app.channels[("telegram", "ca-nuoc")] and app.telegram.mode == "polling"
        assert app.telegram_base_url == f"{app.web_url}/sandbox/ca-nuoc/bot"
        assert app.config.bot_for("telegram", 42).key == "ha-tinh"  # type: ignore[union-attr]
        assert app.config.bot_for("telegram", 1).key == "ca-nuoc"  # type: ignore[union-attr]
        # Each bot answers what was written to it, through its own token: not a word in the other's fake.
        ha_tinh.user_says(1301, "thử bot Hà Tĩnh")
        country.user_says(1302, "thử bot cả nước")
        [reply] = await ha_tinh.wait_for_bot_messages(1301, 1)
        assert reply["text"] == "echo: thử bot Hà Tĩnh"
        [reply] = await country.wait_for_bot_messages(1302, 1)
        assert reply["text"] == "echo: thử bot cả nước"
        assert await app.sender.drain()
        assert not ha_tinh.messages(1302) and not country.messages(1301)
        with app.database.session(readonly=True) as session:  # each bot recorded its name where links look
            assert get_setting(session, "telegram.username") == "bdhvs_canuoc_bot"
            assert get_setting(session, "telegram.username.ha-tinh") == "bdhvs_hatinh_bot"
        async with aiohttp.ClientSession() as client:
            async with client.get(f"{app.web_url}/healthz") as response:
                assert response.status == 200 and await response.text() == "ok"
            async with client.get(f"{app.web_url}/sandbox/api/bot") as response:
                assert response.status == 200
                bots = (await response.json())["bots"]
                assert [(b["key"], b["username"], b["label"]) for b in bots] == [
                    ("ha-tinh", "bdhvs_hatinh_bot", "Bot Hà Tĩnh"),
                    ("ca-nuoc", "bdhvs_canuoc_bot", "Bot cả nước"),
                ]
    finally:
        await app.stop()


async def test_sandbox_with_demo_people(db_url: str) -> None:
    config = Config(database_url=db_url, web_port=0, demo_data=True, rate_limits=FAST_LIMITS)
    app = build_application(config, router=echo_router)
    await app.start()
    try:
        assert app.personas, "the demo data gives the sandbox its people"
        async with aiohttp.ClientSession() as client:
            async with client.get(f"{app.web_url}/sandbox/api/personas") as response:
                assert response.status == 200
            async with client.get(f"{app.web_url}/") as response:
                assert response.status == 200
        person = app.personas[0]["user_id"]
        app.fake_telegram.user_says(person, "chào bot")
        [reply] = await app.fake_telegram.wait_for_bot_messages(person, 1)
        assert reply["text"] == "echo: chào bot"
        # Hà Tĩnh's people and groups are bound to Hà Tĩnh's bot, the Hà Nội admin to the default one (no name).
        bots = {p["user_id"]: p["bot"] for p in app.personas}
        assert bots[HA_TINH_PERSON] == "ha-tinh" and bots[HA_NOI_PERSON] == "ca-nuoc"
        with app.database.session(readonly=True) as session:
            telegram = {a.user_id: a.bot for a in session.exec(select(ChannelAccount)) if a.channel == "telegram"}
            assert telegram[str(HA_TINH_PERSON)] == "ha-tinh" and telegram[str(HA_NOI_PERSON)] is None
            groups = {(g.channel, g.bot) for g in session.exec(select(GroupChat))}
            assert groups == {("telegram", "ha-tinh"), ("zalo", None)}
    finally:
        await app.stop()
