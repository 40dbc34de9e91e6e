"""Sandbox mode (no messenger token): the app serves the fake Bot API itself and polls it with the real adapter."""

from __future__ import annotations

import aiohttp

from bot.app import BotApplication, build_application
from bot.config import Config
from tests.app.conftest import FAST_LIMITS, echo_router


async def test_sandbox_mode_runs_the_real_adapter_against_its_own_fake(db_url: str) -> None:
    config = Config(database_url=db_url, web_port=0, demo_data=False, rate_limits=FAST_LIMITS)
    assert config.sandbox
    app: BotApplication = build_application(config, router=echo_router)
    await app.start()
    try:
        fake = app.fake_telegram
        assert app.telegram is not None and app.telegram.mode == "polling"
        assert app.telegram_base_url == f"{app.web_url}/sandbox/bot"
        fake.user_says(1301, "thử sandbox")
        [reply] = await fake.wait_for_bot_messages(1301, 1)
        assert reply["text"] == "echo: thử sandbox"
        async with aiohttp.ClientSession() as client:
            async with client.get(f"{app.web_url}/healthz") as response:
                assert response.status == 200 and await response.text() == "ok"
            async with client.get(f"{app.web_url}/sandbox/api/bot") as response:
                assert response.status == 200
                assert (await response.json())["username"] == "bdhvs_sandbox_bot"
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
    finally:
        await app.stop()
