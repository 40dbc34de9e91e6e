"""A bot per province in the sandbox, with the whole application (demo data, the real bot) driven through the page's
JSON API: the demo people of Hà Tĩnh talk to Hà Tĩnh's bot and the Hà Nội admin to the country's, each answered
by their own bot's fake only; a newcomer picks the bot they write to, and a Hà Tĩnh code sent to the country's bot
is refused with a pointer to Hà Tĩnh's."""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlmodel import select

from bot.app import BotApplication
from bot.clock import FixedClock
from bot.config import Config
from bot.sandbox.bots import sandbox_config
from bot.sandbox.demo import seed_demo
from storage import invites
from storage.db import Database
from storage.migrate import upgrade
from storage.models import ChannelAccount, GroupChat, OutboxMessage
from tests.sandbox.conftest import FROZEN_AT

MAI, THANH = 900002, 900101  # Thôn 1's team lead (Hà Tĩnh); Phường Hoàn Kiếm's commune admin (Hà Nội)


async def send(client: aiohttp.ClientSession, user_id: int, text: str, **more: Any) -> Any:
    async with client.post("/sandbox/api/send", json={"user_id": user_id, "text": text, **more}) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def chat(client: aiohttp.ClientSession, user_id: int, **more: Any) -> Any:
    query = "&".join(f"{key}={value}" for key, value in {"user_id": user_id, **more}.items())
    async with client.get(f"/sandbox/api/chat?{query}") as response:
        assert response.status == 200
        return await response.json()


def account_bots(app: BotApplication) -> dict[str, str | None]:
    with app.database.session(readonly=True) as session:
        return {a.user_id: a.bot for a in session.exec(select(ChannelAccount)) if a.channel == "telegram"}


async def test_each_demo_person_is_answered_by_their_provinces_bot(sandbox) -> None:
    app, client = sandbox
    ha_tinh, country = app.fake_telegrams["ha-tinh"], app.fake_telegrams["ca-nuoc"]
    async with client.get("/sandbox/api/personas") as response:
        people = {p["user_id"]: p for p in await response.json()}
    assert people[MAI]["bot"] == "ha-tinh" and people[THANH]["bot"] == "ca-nuoc"
    assert people[THANH]["area"] == "Phường Hoàn Kiếm, Thành phố Hà Nội"
    async with client.get("/sandbox/api/groups") as response:
        assert {g["bot"] for g in await response.json()} == {"ha-tinh"}

    await send(client, MAI, "/help")
    await send(client, THANH, "/help")
    await ha_tinh.wait_for_bot_messages(MAI, 1)
    await country.wait_for_bot_messages(THANH, 1)
    assert await app.sender.drain()
    assert not country.messages(MAI), "Hà Tĩnh's person wrote to the country's bot"
    assert not ha_tinh.messages(THANH), "the Hà Nội admin wrote to Hà Tĩnh's bot"
    # The page shows each chat as the one with the person's bot.
    mai, thanh = await chat(client, MAI), await chat(client, THANH)
    assert mai["bot"] == "ha-tinh" and thanh["bot"] == "ca-nuoc"
    assert [m["sender"] for m in mai["messages"]][:2] == ["user", "bot"]
    assert [m["sender"] for m in thanh["messages"]][:2] == ["user", "bot"]
    # Their accounts name their bot (None: the default one), which reminders and notices go out through; their
    # command menus, set by the demo setup, went out through it too.
    assert account_bots(app)[str(MAI)] == "ha-tinh" and account_bots(app)[str(THANH)] is None
    with app.database.session(readonly=True) as session:
        menus = {
            row.chat_id: (row.bot, row.status)
            for row in session.exec(select(OutboxMessage))
            if row.kind == "set_commands"
        }
    assert menus[str(MAI)] == ("ha-tinh", "sent") and menus[str(THANH)] == (None, "sent")


async def test_a_newcomer_with_a_ha_tinh_code_is_pointed_from_the_countrys_bot_to_ha_tinhs(sandbox) -> None:
    app, client = sandbox
    ha_tinh, country = app.fake_telegrams["ha-tinh"], app.fake_telegrams["ca-nuoc"]
    with app.database.session() as session:
        code = invites.create_invite(
            session,
            role="commune_admin",
            now=app.clock.now(),
            days=14,
            max_uses=1,
            province_code=42,
            commune_code=18196,
        ).code
    async with client.post("/sandbox/api/personas/new", json={"bot": "ca-nuoc"}) as response:
        newcomer = await response.json()
    assert newcomer["is_new"] and newcomer["bot"] == "ca-nuoc"
    user_id = newcomer["user_id"]

    await send(client, user_id, f"/start {code}")  # to the country's bot: the newcomer's own
    [refusal] = await country.wait_for_bot_messages(user_id, 1)
    assert "tỉnh có bot riêng" in refusal["text"]
    assert f"https://t.me/bdhvs_hatinh_bot?start={code}" in refusal["text"]
    assert str(user_id) not in account_bots(app), "nothing joined, nothing used up"
    assert not ha_tinh.messages(user_id)

    # The newcomer writes to Hà Tĩnh's bot instead (the page names it): the same code joins them there.
    await send(client, user_id, f"/start {code}", bot="ha-tinh")
    [welcome, *_] = await ha_tinh.wait_for_bot_messages(user_id, 1)
    assert "Chào mừng" in welcome["text"] and "Sơn Kim 1" in welcome["text"]
    assert account_bots(app)[str(user_id)] == "ha-tinh"
    assert (await chat(client, user_id, bot="ha-tinh"))["bot"] == "ha-tinh"
    assert len((await chat(client, user_id, bot="ca-nuoc"))["messages"]) == 2, "the first chat stays as it was"


async def test_a_bot_no_one_runs_is_refused(sandbox) -> None:
    _app, client = sandbox
    async with client.post("/sandbox/api/send", json={"user_id": MAI, "text": "chào", "bot": "ha-noi"}) as response:
        assert response.status == 400
    async with client.post("/sandbox/api/personas/new", json={"bot": "ha-noi"}) as response:
        assert response.status == 400
    async with client.get(f"/sandbox/api/chat?user_id={MAI}&bot=ha-noi") as response:
        assert response.status == 400


def test_an_older_demo_database_is_bound_to_the_provinces_bots(db_url: str) -> None:
    """A demo database made when the sandbox ran one bot names no bot anywhere: seeded again with the sandbox's
    bots, Hà Tĩnh's people and Telegram groups are bound to Hà Tĩnh's bot (the Hà Nội admin stays on the default
    one)."""
    database = Database(db_url)
    upgrade(database)
    clock = FixedClock(FROZEN_AT)
    try:
        seed_demo(database, clock, Config(database_url=db_url))  # no bots: every row names none
        with database.session(readonly=True) as session:
            assert {a.bot for a in session.exec(select(ChannelAccount))} == {None}
            assert {g.bot for g in session.exec(select(GroupChat))} == {None}
        personas = seed_demo(database, clock, sandbox_config(Config(database_url=db_url)))
        assert {p["user_id"]: p["bot"] for p in personas}[MAI] == "ha-tinh"
        with database.session(readonly=True) as session:
            telegram = {a.user_id: a.bot for a in session.exec(select(ChannelAccount)) if a.channel == "telegram"}
            assert telegram[str(MAI)] == "ha-tinh" and telegram[str(THANH)] is None
            assert {(g.channel, g.bot) for g in session.exec(select(GroupChat))} == {
                ("telegram", "ha-tinh"),
                ("zalo", None),
            }
    finally:
        database.dispose()
