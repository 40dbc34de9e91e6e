"""Two instances of the whole application on one PostgreSQL database, against one fake Bot API: webhook updates
of one chat at both stay in order; polling and the scheduler pass to the other instance when the leader's
connection dies or it stops; /readyz and the heartbeat rows name the roles each holds."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import aiohttp
from sqlalchemy import text

from bot.app import BotApplication
from bot.channels.telegram import SECRET_HEADER
from bot.sandbox.fake_telegram import FakeTelegram
from handlers.base import Turn
from storage import instances
from storage.db import Database
from tests.app.conftest import wait_until
from tests.helpers import ServedApi, free_port
from tests.multi_instance.conftest import InstanceFactory

SECRET = "s3cret-Token_for-multi"
ALIVE = instances.dt.timedelta(seconds=30)


def update(update_id: int, chat_id: int, said: str) -> dict[str, Any]:
    """A Telegram update: `chat_id` writes `said` in their private chat."""
    person = {"id": chat_id, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1764039600,
            "text": said,
            "chat": {"id": chat_id, "type": "private", "first_name": "Lan"},
            "from": person,
        },
    }


async def post(client: aiohttp.ClientSession, app: BotApplication, body: dict[str, Any]) -> int:
    """Push an update to one instance's webhook, as a load balancer would; the answer's status."""
    headers = {SECRET_HEADER: SECRET}
    async with client.post(f"{app.web_url}/telegram/webhook", json=body, headers=headers) as response:
        return response.status


async def webhook_instance(make_instance: InstanceFactory, **options: Any) -> BotApplication:
    port = free_port()
    return await make_instance(
        telegram_mode="webhook",
        telegram_secret_token=SECRET,
        web_port=port,
        public_url=f"http://127.0.0.1:{port}",
        **options,
    )


def waiting_for_a_lock(database: Database) -> bool:
    """Some transaction waits for an advisory lock (a chat's, held by another instance's transaction)."""
    with database.session() as session:
        found = session.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))
        return bool(found.scalar_one())


async def test_updates_of_one_chat_at_two_instances_are_handled_one_after_the_other(
    make_instance: InstanceFactory, fake_api: ServedApi[FakeTelegram], pg: Database
) -> None:
    entered, release = threading.Event(), threading.Event()
    seen: list[tuple[str, str]] = []

    def router(turn: Turn) -> None:
        seen.append(("start", turn.text))
        if turn.text == "chậm":  # the first update is slow: the second arrives meanwhile at the other instance
            entered.set()
            release.wait(10)
        seen.append(("end", turn.text))
        turn.say(f"echo: {turn.text}")

    first_instance = await webhook_instance(make_instance, router=router)
    second_instance = await webhook_instance(make_instance, router=router)
    fake = fake_api.fake
    fake.add_user(1301, "Lan")
    fake.add_user(1302, "Minh")
    async with aiohttp.ClientSession() as client:
        first = asyncio.create_task(post(client, first_instance, update(9001, 1301, "chậm")))
        assert await asyncio.to_thread(entered.wait, 10)
        # Another person's update is not held up by it.
        assert await post(client, second_instance, update(9002, 1302, "người khác")) == 200
        second = asyncio.create_task(post(client, second_instance, update(9003, 1301, "sau")))
        await wait_until(lambda: waiting_for_a_lock(pg), what="the second update waiting for its chat")
        assert not second.done()
        release.set()
        assert (await first, await second) == (200, 200)
    ones = [step for step in seen if step[1] != "người khác"]
    assert ones == [("start", "chậm"), ("end", "chậm"), ("start", "sau"), ("end", "sau")]
    messages = await fake.wait_for_bot_messages(1301, 2)
    assert [message["text"] for message in messages] == ["echo: chậm", "echo: sau"]


async def test_polling_and_the_scheduler_pass_to_the_other_instance_when_the_leaders_connection_dies(
    make_instance: InstanceFactory, fake_api: ServedApi[FakeTelegram], pg: Database
) -> None:
    leader = await make_instance()
    other = await make_instance()
    assert leader.telegram is not None and other.telegram is not None
    assert leader.telegram.polling and not other.telegram.polling
    assert leader.reminders.scheduler is not None and other.reminders.scheduler is None
    assert "scheduler" in leader.leadership.held() and "scheduler" not in other.leadership.held()
    fake = fake_api.fake
    fake.user_says(1401, "trước")
    assert [m["text"] for m in await fake.wait_for_bot_messages(1401, 1)] == ["echo: trước"]

    # The leader's lock connection ends, as when its process is killed or its machine drops off the network.
    with pg.session() as session:
        session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": leader.leadership.backend_pid()})
    await leader.leadership.run_round()  # it notices and gives every role up at once
    assert not leader.telegram.polling and leader.reminders.scheduler is None
    await other.leadership.run_round()  # the other takes them at its next round
    assert other.telegram.polling and other.reminders.scheduler is not None
    await leader.leadership.run_round()  # and keeps them
    assert not leader.telegram.polling and "scheduler" not in leader.leadership.held()

    fake.user_says(1401, "sau")
    assert [m["text"] for m in await fake.wait_for_bot_messages(1401, 2)] == ["echo: trước", "echo: sau"]
    async with aiohttp.ClientSession() as client, client.get(f"{other.web_url}/readyz") as response:
        body = await response.text()
    assert response.status == 200 and body.startswith("ready\nroles: polling:telegram:")
    assert body.endswith("scheduler, sender")
    with pg.session() as session:
        rows = {row.id: row for row in instances.listed(session, ALIVE)}
    assert "scheduler" in rows[other.leadership.instance_id].roles
    assert rows[leader.leadership.instance_id].roles == ("sender",)


async def test_a_clean_stop_hands_the_roles_over_at_the_next_round(
    make_instance: InstanceFactory, fake_api: ServedApi[FakeTelegram], pg: Database
) -> None:
    leader = await make_instance()
    other = await make_instance()
    await leader.stop()
    with pg.session() as session:
        assert [row.id for row in instances.listed(session, ALIVE)] == [other.leadership.instance_id]
    await other.leadership.run_round()
    assert other.telegram is not None and other.telegram.polling
    assert "scheduler" in other.leadership.held()
    fake_api.fake.user_says(1501, "chào")
    assert [m["text"] for m in await fake_api.fake.wait_for_bot_messages(1501, 1)] == ["echo: chào"]
