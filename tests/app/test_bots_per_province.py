"""A bot per province in one deployment: two Telegram bots (Hà Tĩnh's, and one for every other province) in one
process, each against its own fake Bot API. Each province's people join and talk through their bot, replies and
what the bot starts go through the right token, webhooks are routed per bot and dedupe is per bot."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.app import BotApplication, build_application
from bot.config import Config
from bot.messages import Reply
from bot.sandbox.fake_telegram import FakeTelegram
from bot.settings import BotConfig
from handlers.invite_links import invite_link
from handlers.router import route
from storage import invites, outbox
from storage.db import Database
from storage.migrate import upgrade
from storage.models import ChannelAccount, OutboxMessage, ProcessedUpdate
from tests.app.conftest import FAST_LIMITS, UNLIMITED_FLOOD, FakeApi, free_port, served, wait_until
from tests.web.test_mini_app import init_data

HA_TINH, HA_NOI = 42, 1
SON_KIM_1, HOAN_KIEM = 18196, 70
HT_TOKEN, HN_TOKEN = "7400000001:HaTinh-bot_token", "7400000002:HaNoi-bot_token"
SECRET = "per-bot_Webhook-secret"


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeApi, FakeApi]]:
    """Two bots' fake Bot APIs (both number their updates from 1, as two real tokens do)."""
    async with (
        served(FakeTelegram(HT_TOKEN, "bdhvs_hatinh_bot")) as ht,
        served(FakeTelegram(HN_TOKEN, "bdhvs_hanoi_bot")) as hn,
    ):
        yield ht, hn


async def start_app(db_url: str, ht: FakeApi, hn: FakeApi, mode: str = "polling") -> BotApplication:
    """The application running Hà Tĩnh's bot (key `ht`) and the bot of every other province (`hn`, the default)."""
    port = free_port()
    webhook: dict[str, Any] = {"mode": mode, "secret_token": SECRET if mode == "webhook" else None}
    config = Config(
        database_url=db_url,
        web_port=port,
        public_url=f"http://127.0.0.1:{port}",
        demo_data=False,
        rate_limits=FAST_LIMITS,
        flood=UNLIMITED_FLOOD,
        engine_mode="thread",
        bots=(
            BotConfig(
                "telegram", HT_TOKEN, key="ht", api_base_url=ht.base_url, provinces=frozenset({HA_TINH}), **webhook
            ),
            BotConfig("telegram", HN_TOKEN, key="hn", api_base_url=hn.base_url, **webhook),
        ),
    )
    app = build_application(config, router=route, sender_options={"base_backoff": 0.02}, drain_on_stop=2.0)
    await app.start()
    return app


def make_invites(app: BotApplication) -> tuple[str, str]:
    """A commune admin's code in Hà Tĩnh (Xã Sơn Kim 1) and one in Hà Nội (Phường Hoàn Kiếm)."""
    now = app.clock.now()
    with app.database.session() as session:
        codes = tuple(
            invites.create_invite(
                session,
                role="commune_admin",
                now=now,
                days=14,
                max_uses=1,
                province_code=province,
                commune_code=commune,
            ).code
            for province, commune in ((HA_TINH, SON_KIM_1), (HA_NOI, HOAN_KIEM))
        )
    return codes[0], codes[1]


def accounts(app: BotApplication) -> dict[str, str | None]:
    with app.database.session(readonly=True) as session:
        return {a.user_id: a.bot for a in session.exec(select(ChannelAccount))}


async def test_each_province_talks_to_its_own_bot(db_url: str, fakes: tuple[FakeApi, FakeApi]) -> None:
    ht_api, hn_api = fakes
    ht, hn = ht_api.fake, hn_api.fake
    app = await start_app(db_url, ht_api, hn_api)
    try:
        ha_tinh_code, ha_noi_code = make_invites(app)
        # The links name the bot of the invite's province (each bot recorded its name at start).
        with app.database.session(readonly=True) as session:
            assert invite_link(session, ha_tinh_code, config=app.config) == (
                f"https://t.me/bdhvs_hatinh_bot?start={ha_tinh_code}"
            )
            assert invite_link(session, ha_noi_code, config=app.config) == (
                f"https://t.me/bdhvs_hanoi_bot?start={ha_noi_code}"
            )

        # Update 1 of each bot: both are processed (dedupe is per bot, update ids are per token).
        assert ht.user_says(9001, f"/start {ha_tinh_code}") == 1
        assert hn.user_says(9002, f"/start {ha_noi_code}") == 1
        [welcome_ht, *_] = await ht.wait_for_bot_messages(9001, 1)
        [welcome_hn, *_] = await hn.wait_for_bot_messages(9002, 1)
        assert "Chào mừng" in welcome_ht["text"] and "Sơn Kim 1" in welcome_ht["text"]
        assert "Chào mừng" in welcome_hn["text"] and "Hoàn Kiếm" in welcome_hn["text"]
        with app.database.session(readonly=True) as session:
            assert {u.update_id for u in session.exec(select(ProcessedUpdate))} == {"ht:1", "1"}
        assert accounts(app) == {"9001": "ht", "9002": None}

        # Update 1 of the Hà Tĩnh bot again: nothing twice.
        assert await app.sender.drain()
        before = len(ht.bot_messages(9001))
        ht.redeliver(1)
        await ht.wait_until_acknowledged(1)
        assert await app.sender.drain()
        assert len(ht.bot_messages(9001)) == before

        # A Hà Nội code through the Hà Tĩnh bot: refused politely, with the Hà Nội bot's link; nothing used up.
        third = make_invites(app)[1]
        ht.user_says(9003, f"/start {third}")
        [refusal] = await ht.wait_for_bot_messages(9003, 1)
        assert f"https://t.me/bdhvs_hanoi_bot?start={third}" in refusal["text"]
        assert "9003" not in accounts(app)
        hn.user_says(9003, f"/start {third}")
        [joined] = await hn.wait_for_bot_messages(9003, 1)
        assert "Chào mừng" in joined["text"]

        # What the bot starts (a notice; a reminder would be held in Vietnam's quiet hours, whatever the time the
        # test runs at) goes through the bot of the person's province.
        with app.database.session() as session:
            for chat in ("9001", "9002"):
                outbox.enqueue_once(
                    session,
                    channel="telegram",
                    chat_id=chat,
                    kind=outbox.KIND_MESSAGE,
                    payload=Reply("🔔 Nhắc: tuần này thôn chưa ghi buổi sinh hoạt.").to_payload(),
                    now=app.clock.now(),
                    idempotency_key=f"notice:test:{chat}",
                )
        app.sender.notify()
        await ht.wait_for_bot_messages(9001, before + 1)
        assert await app.sender.drain()
        assert ht.bot_messages(9001)[-1]["text"].startswith("🔔 Nhắc")
        assert hn.bot_messages(9002)[-1]["text"].startswith("🔔 Nhắc")
        assert not hn.bot_messages(9001) and not ht.bot_messages(9002)
        with app.database.session(readonly=True) as session:
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key.startswith("notice:")))  # type: ignore[union-attr]
            assert {(row.chat_id, row.bot, row.status) for row in rows} == {
                ("9001", "ht", "sent"),
                ("9002", None, "sent"),
            }
        # Each token's rate limits are its own: the Hà Tĩnh bot spent its own bucket (on PostgreSQL its own row of
        # the shared pace, the instances' common rate).
        if app.sender.shared_pace is not None:
            keys = app.sender.shared_pace.keys
            assert {"telegram", "telegram:ht"} <= set(keys) and keys["telegram"] != keys["telegram:ht"]
        else:
            assert {"telegram", "telegram:ht"} <= set(app.sender.pacer._channel_buckets)
    finally:
        await app.stop()


async def test_what_waited_in_the_outbox_goes_out_through_each_bot_at_start(
    db_url: str, fakes: tuple[FakeApi, FakeApi]
) -> None:
    """Messages left in the outbox by the last run, for both bots: the sender starts before the channels, and
    an item of a bot whose channel is not up yet waits for it (it used to fail as naming no configured bot)."""
    ht_api, hn_api = fakes
    ht, hn = ht_api.fake, hn_api.fake
    ht.strict_chats = hn.strict_chats = False  # the two people wrote to their bots in the last run
    database = Database(db_url)
    upgrade(database)
    now = dt.datetime.now(dt.UTC)
    with database.session() as session:
        for chat, bot in (("9201", "ht"), ("9202", None)):
            outbox.enqueue(
                session,
                channel="telegram",
                chat_id=chat,
                kind=outbox.KIND_MESSAGE,
                payload=Reply("🔔 Nhắc: tuần này thôn chưa ghi buổi sinh hoạt.").to_payload(),
                now=now,
                bot=bot,
            )
    database.dispose()
    app = await start_app(db_url, ht_api, hn_api)
    try:
        await ht.wait_for_bot_messages(9201, 1)
        await hn.wait_for_bot_messages(9202, 1)
        assert await app.sender.drain()
        with app.database.session(readonly=True) as session:
            assert {(row.chat_id, row.bot, row.status) for row in session.exec(select(OutboxMessage))} == {
                ("9201", "ht", "sent"),
                ("9202", None, "sent"),
            }
        assert not hn.bot_messages(9201) and not ht.bot_messages(9202)
    finally:
        await app.stop()


async def test_webhooks_are_routed_per_bot(db_url: str, fakes: tuple[FakeApi, FakeApi]) -> None:
    ht_api, hn_api = fakes
    ht, hn = ht_api.fake, hn_api.fake
    app = await start_app(db_url, ht_api, hn_api, mode="webhook")
    try:
        assert ht.webhook_url == f"{app.config.public_url}/telegram/webhook/ht"
        assert hn.webhook_url == f"{app.config.public_url}/telegram/webhook/hn"
        assert not ht.calls_to("getUpdates") and not hn.calls_to("getUpdates")
        ha_tinh_code, ha_noi_code = make_invites(app)
        ht.user_says(9101, f"/start {ha_tinh_code}")
        hn.user_says(9102, f"/start {ha_noi_code}")
        assert "Sơn Kim 1" in (await ht.wait_for_bot_messages(9101, 1))[0]["text"]
        assert "Hoàn Kiếm" in (await hn.wait_for_bot_messages(9102, 1))[0]["text"]
        await wait_until(lambda: accounts(app) == {"9101": "ht", "9102": None}, what="both accounts")
        assert all(attempt.get("status") == 200 for attempt in ht.webhook_attempts + hn.webhook_attempts)
    finally:
        await app.stop()


async def test_the_mini_app_signs_in_through_either_bot(db_url: str, fakes: tuple[FakeApi, FakeApi]) -> None:
    """A Mini App opened from a province's own bot is signed with that bot's token: every configured Telegram
    token is accepted, and no other."""
    ht_api, hn_api = fakes
    ht, hn = ht_api.fake, hn_api.fake
    app = await start_app(db_url, ht_api, hn_api)
    try:
        ha_tinh_code, ha_noi_code = make_invites(app)
        ht.user_says(9301, f"/start {ha_tinh_code}")
        hn.user_says(9302, f"/start {ha_noi_code}")
        await ht.wait_for_bot_messages(9301, 1)
        await hn.wait_for_bot_messages(9302, 1)
        now = dt.datetime.now(dt.UTC)
        async with aiohttp.ClientSession() as client:

            async def mini_app(user_id: int, token: str) -> int:
                data = {"init_data": init_data(user_id, now, token=token)}
                async with client.post(f"{app.config.public_url}/web/miniapp", data=data, allow_redirects=False) as r:
                    return r.status

            assert await mini_app(9301, HT_TOKEN) == 303  # Hà Tĩnh's admin, from Hà Tĩnh's bot
            assert await mini_app(9302, HN_TOKEN) == 303  # Hà Nội's admin, from the other bot
            assert await mini_app(9301, "7400000003:Not-our-bot") == 403
    finally:
        await app.stop()


def test_a_single_bot_database_names_no_bot(database: Any) -> None:
    """Rows written for the one bot (or a channel's default bot) name none: a single-bot database is unchanged."""
    now = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
    with database.session() as session:
        item = outbox.enqueue(
            session, channel="telegram", chat_id="5", kind=outbox.KIND_MESSAGE, payload={"text": "x"}, now=now
        )
        assert item is not None and item.bot is None
