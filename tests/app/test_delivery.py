"""The outbox through the real Telegram renderer: rate limits, 429, 403, 5xx, long texts, edits, callbacks,
files, a restart with items still pending, and sends the platform holds (time-outs, closed connections)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import telegram.error as tg_error
from sqlmodel import select

from bot.app import BotApplication
from bot.channels.telegram import TEXT_LIMIT
from bot.channels.telegram_api import BotApiClient
from bot.config import Config, ConfigError, load_config
from bot.messages import Reply
from storage.db import Database
from storage.models import ChannelAccount, Member, Province, StoredFile
from tests.app.conftest import AppFactory, FakeApi, ShiftedClock, enqueue_to, outbox_rows, status_of, wait_until

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def enqueue(app: BotApplication, chat_id: str, kind: str, payload: dict) -> int:
    return enqueue_to(app, "telegram", chat_id, kind, payload)


async def test_429_pauses_and_retries_after_the_given_time(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake, faults = fake_api.fake, fake_api.faults
    app = await make_app()
    faults.add("sendMessage", 429, "Too Many Requests: retry after 0.3", retry_after=0.3)
    fake.user_says(1101, "twice nhé")
    messages = await fake.wait_for_bot_messages(1101, 2)
    assert [m["text"] for m in messages] == ["first: twice nhé", "second: twice nhé"]  # order kept
    [refused] = faults.times_of("sendMessage", 429)
    first_ok = min(faults.times_of("sendMessage", 200))
    assert first_ok - refused >= 0.29
    assert app.sender.stats["retry_after"] == 1
    assert await app.sender.drain()
    rows = outbox_rows(app.database)
    assert [r.status for r in rows] == ["sent", "sent"]
    assert rows[0].attempts == 0  # a 429 is not a failed attempt


@pytest.mark.parametrize("fake_options", [{"rate_limit_per_second": 3.0, "rate_limit_burst": 3.0}])
async def test_fake_flood_limit_is_respected(make_app: AppFactory, fake_api: FakeApi) -> None:
    """The fake's own flood control (429, retry_after >= 1 s): every message arrives once, in order."""
    fake = fake_api.fake
    app = await make_app()
    for n in range(6):
        fake.user_says(1102, f"n{n}")
    messages = await fake.wait_for_bot_messages(1102, 6, timeout=15)
    assert [m["text"] for m in messages] == [f"echo: n{n}" for n in range(6)]
    assert fake.rate_limited_count >= 1 and app.sender.stats["retry_after"] >= 1


async def test_blocked_person_is_marked_unreachable(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    app = await make_app()
    with app.database.session() as session:
        province = session.exec(select(Province)).first()
        assert province is not None
        member = Member(display_name="Chị Lan", role="member", province_code=province.code, created_at=app.clock.now())
        session.add(member)
        session.flush()
        member_id = member.id
        assert member_id is not None
        session.add(
            ChannelAccount(
                member_id=member_id, channel="telegram", user_id="1103", chat_id="1103", created_at=app.clock.now()
            )
        )
    fake.block(1103)
    fake.user_says(1103, "twice chào")

    def unreachable() -> bool:
        with app.database.session() as session:
            member = session.get(Member, member_id)
            return member is not None and member.unreachable

    await wait_until(unreachable, what="member marked unreachable")
    assert await app.sender.drain()
    rows = outbox_rows(app.database)
    assert [r.status for r in rows] == ["failed", "failed"]  # the second reply is not attempted
    assert all("unreachable" in (r.last_error or "") for r in rows)
    assert len([e for e in fake.errors if e[2] == 403]) == 1
    assert fake.bot_messages(1103) == []


async def test_5xx_is_retried_with_backoff(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake, faults = fake_api.fake, fake_api.faults
    app = await make_app()
    faults.add("sendMessage", 502, "Bad Gateway", times=2)
    fake.user_says(1104, "twice thử lại")
    messages = await fake.wait_for_bot_messages(1104, 2)
    assert [m["text"] for m in messages] == ["first: twice thử lại", "second: twice thử lại"]
    assert await app.sender.drain()
    rows = outbox_rows(app.database)
    assert [(r.status, r.attempts) for r in rows] == [("sent", 2), ("sent", 0)]


async def test_5xx_gives_up_after_max_attempts(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake, faults = fake_api.fake, fake_api.faults
    app = await make_app(sender_options={"max_attempts": 3, "base_backoff": 0.01})
    faults.add("sendMessage", 500, "Internal Server Error", times=3)
    fake.user_says(1105, "twice hỏng")
    await fake.wait_for_bot_messages(1105, 1)
    assert await app.sender.drain(include_waiting=True)
    rows = outbox_rows(app.database)
    assert rows[0].status == "failed" and "gave up after 3 attempts" in (rows[0].last_error or "")
    assert rows[1].status == "sent"  # the chat goes on after the item failed for good
    assert [m["text"] for m in fake.bot_messages(1105)] == ["second: twice hỏng"]


async def test_bad_request_fails_the_item_only(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    fake.add_user(1106)
    app = await make_app()
    bad = enqueue(app, "999999", "message", Reply("to nobody").to_payload())  # chat not found: 400
    good = enqueue(app, "1106", "message", Reply("to somebody").to_payload())
    assert await app.sender.drain()
    assert status_of(app, bad).status == "failed" and "permanent" in (status_of(app, bad).last_error or "")
    assert status_of(app, good).status == "sent"


async def test_long_text_is_split_at_line_breaks(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    app = await make_app()
    fake.user_says(1107, "long 200")
    messages = await fake.wait_for_bot_messages(1107, 3)
    assert await app.sender.drain()
    messages = fake.bot_messages(1107)
    assert len(messages) == 3
    assert all(len(m["text"]) <= TEXT_LIMIT for m in messages)
    lines = [line for m in messages for line in m["text"].split("\n")]
    assert lines == [f"line {i:04d} " + "x" * 40 for i in range(200)]
    assert [bool(m.get("reply_markup")) for m in messages] == [False, False, True]


async def test_edit_and_answer_callback_kinds(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    app = await make_app()
    fake.user_says(1108, "sửa")
    [message] = await fake.wait_for_bot_messages(1108, 1)
    message_id = str(message["message_id"])
    payload = Reply("đã sửa", buttons=[]).to_payload()
    edited = enqueue(app, "1108", "edit", {**payload, "message_id": message_id})
    assert await app.sender.drain()
    [message] = fake.bot_messages(1108)
    assert message["text"] == "đã sửa" and message["edited"] and not message.get("reply_markup")
    same = enqueue(app, "1108", "edit", {**payload, "message_id": message_id})  # "message is not modified"
    gone = enqueue(app, "1108", "edit", {**Reply("mới").to_payload(), "message_id": "424242"})
    too_old = enqueue(app, "1108", "answer_callback", {"callback_id": "987654", "text": None})
    menu = enqueue(app, "1108", "set_commands", {"commands": [["help", "Hướng dẫn"]], "language": "vi"})
    assert await app.sender.drain()
    for item_id in (edited, same, gone, too_old, menu):
        assert status_of(app, item_id).status == "sent", status_of(app, item_id).last_error
    assert [m["text"] for m in fake.bot_messages(1108)] == ["đã sửa", "mới"]  # the lost one sent anew
    assert fake.commands(scope_chat_id=1108) == [{"command": "help", "description": "Hướng dẫn"}]


async def test_files_are_sent_with_caption_or_text(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake = fake_api.fake
    fake.add_user(1109)
    app = await make_app()
    now = app.clock.now()
    with app.database.session() as session:
        session.add(
            StoredFile(
                token="chart1",
                filename="chart.png",
                mime_type="image/png",
                content=PNG,
                created_at=now,
                expires_at=now + dt.timedelta(days=1),
            )
        )
        session.add(
            StoredFile(
                token="report1",
                filename="bao-cao.xlsx",
                mime_type="application/vnd.ms-excel",
                content=b"PK\x03\x04 not really",
                created_at=now,
                expires_at=now + dt.timedelta(days=1),
            )
        )
    enqueue(
        app, "1109", "message", {**Reply("Biểu đồ tuần").to_payload(), "file_token": "chart1", "file_kind": "photo"}
    )
    enqueue(
        app, "1109", "message", {**Reply("x" * 1500).to_payload(), "file_token": "report1", "file_kind": "document"}
    )
    assert await app.sender.drain()
    photo, document, text = fake.bot_messages(1109)
    assert photo["photo"] and photo["caption"] == "Biểu đồ tuần"
    assert document["document"]["file_name"] == "bao-cao.xlsx" and "caption" not in document
    assert text["text"] == "x" * 1500


async def test_restart_delivers_pending_items_once(make_app: AppFactory, fake_api: FakeApi) -> None:
    fake, faults = fake_api.fake, fake_api.faults
    first = await make_app(sender_options={"base_backoff": 30.0})
    fake.user_says(1110, "không")
    await fake.wait_for_bot_messages(1110, 1)
    faults.add("sendMessage", 503, "Service Unavailable", times=1000)
    fake.user_says(1110, "một")
    fake.user_says(1110, "hai")

    def waiting() -> bool:
        rows = outbox_rows(first.database)
        return len(rows) == 3 and rows[1].attempts == 1

    await wait_until(waiting, what="the first reply to fail once")
    await first.stop()
    between = Database(first.config.database_url)  # the stopped app's engine is disposed
    rows = outbox_rows(between)
    between.dispose()
    assert [r.status for r in rows] == ["sent", "pending", "pending"]
    assert rows[2].attempts == 0  # it waited behind the failed one, never sent out of order
    faults.clear()
    second = await make_app(clock=ShiftedClock(dt.timedelta(minutes=5)))  # the retry time has come
    await fake.wait_for_bot_messages(1110, 3)
    assert await second.sender.drain()
    assert [m["text"] for m in fake.bot_messages(1110)] == ["echo: không", "echo: một", "echo: hai"]
    assert [r.status for r in outbox_rows(second.database)] == ["sent", "sent", "sent"]
    await asyncio.sleep(0.05)
    assert len(fake.bot_messages(1110)) == 3


# -- sends the platform holds ----------------------------------------------------------------------


def test_the_send_timeout_is_configurable() -> None:
    """60 s unless set: far above Telegram's usual answer, which has no documented upper bound."""
    assert Config().send_timeout == 60.0
    assert load_config(env={"BDHVS_OUTBOX_SEND_TIMEOUT": "45"}).send_timeout == 45.0
    with pytest.raises(ConfigError, match="BDHVS_OUTBOX_SEND_TIMEOUT"):
        load_config(env={"BDHVS_OUTBOX_SEND_TIMEOUT": "0"})


async def test_a_timed_out_call_closes_its_connection_and_is_not_delivered(fake_api: FakeApi) -> None:
    """The thin client gives up after its time-out and closes that connection; a platform that checks the
    connection before carrying a held call out (the fake's default) then never delivers it."""
    fake = fake_api.fake
    fake.add_user(1120)
    fake.faults.hold_next("sendMessage", 0.8)
    client = BotApiClient(f"{fake_api.base_url}{fake.token}", timeout=0.2)
    try:
        with pytest.raises(tg_error.TimedOut):
            await client.call("sendMessage", {"chat_id": 1120, "text": "chậm"})
        assert client.timed_out == 1
        await fake.wait_for(lambda: fake.faults.outcomes("dropped"), 3, what="the held call to end")
        [held] = fake.faults.held
        assert held.client_connected is False  # the client closed it; nothing reached the chat
        assert fake.bot_messages(1120) == []
        await client.call("sendMessage", {"chat_id": 1120, "text": "nhanh"})  # the pool still works
        assert [m["text"] for m in fake.bot_messages(1120)] == ["nhanh"]
    finally:
        await client.close()


async def test_a_slow_answer_within_the_send_timeout_is_waited_for(make_app: AppFactory, fake_api: FakeApi) -> None:
    """The case found from outside: the platform held a send far longer than usual. Within the send time-out
    the sender waits for it: one copy, in order, no retry."""
    fake = fake_api.fake
    app = await make_app(send_timeout=5.0)
    assert app.telegram is not None and app.telegram.api.timeout.total == 5.0
    fake.faults.hold_next("sendMessage", 0.5, lands_if_disconnected=True)
    fake.user_says(1121, "twice chậm")
    await fake.wait_for_bot_messages(1121, 2)
    assert await app.sender.drain()
    assert [m["text"] for m in fake.bot_messages(1121)] == ["first: twice chậm", "second: twice chậm"]
    [held] = fake.faults.held
    assert (held.outcome, held.client_connected) == ("landed", True)
    assert app.sender.stats["timed_out"] == 0 and app.sender.stats["transient"] == 0


async def test_a_timed_out_send_is_retried_once_closed_and_the_chat_waits(
    make_app: AppFactory, fake_api: FakeApi
) -> None:
    """Held beyond the send time-out: the connection is closed, so the platform drops the held call; the
    retry goes out, and the chat's next message only after it."""
    fake = fake_api.fake
    app = await make_app(send_timeout=0.3, sender_options={"timeout_settle": 0.05})
    fake.faults.hold_next("sendMessage", 1.0)
    fake.user_says(1122, "twice treo")
    await fake.wait_for(lambda: fake.faults.outcomes("dropped"), 5, what="the held call to be dropped")
    await fake.wait_for_bot_messages(1122, 2)
    assert await app.sender.drain()
    assert [m["text"] for m in fake.bot_messages(1122)] == ["first: twice treo", "second: twice treo"]
    assert app.sender.stats["timed_out"] == 1
    rows = outbox_rows(app.database)
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1), ("sent", 0)]


async def test_worst_case_a_timed_out_send_that_lands_anyway_is_doubled_in_order(
    make_app: AppFactory, fake_api: FakeApi
) -> None:
    """A platform that carries a call out although its connection was closed: the one message in flight
    shows twice, and, its retry waiting `timeout_settle`, before the chat's next message, not after it."""
    fake = fake_api.fake
    app = await make_app(send_timeout=0.3, sender_options={"timeout_settle": 2.0})
    fake.faults.hold_next("sendMessage", 0.8, lands_if_disconnected=True)
    fake.user_says(1123, "twice treo")
    await fake.wait_for_bot_messages(1123, 3, timeout=10)
    assert await app.sender.drain()
    assert [m["text"] for m in fake.bot_messages(1123)] == [
        "first: twice treo",
        "first: twice treo",
        "second: twice treo",
    ]
    [held] = fake.faults.held
    assert (held.outcome, held.client_connected) == ("landed", False)
    assert app.sender.stats["timed_out"] == 1


async def test_a_long_text_cut_off_mid_way_resumes_at_the_part_not_accepted(
    make_app: AppFactory, fake_api: FakeApi
) -> None:
    """A text sent in three parts whose second part times out: the retry starts at the second part, so the
    first never shows again after the others."""
    fake = fake_api.fake
    app = await make_app(send_timeout=0.3, sender_options={"timeout_settle": 0.05})

    def hold_the_next_part(method: str, params: dict) -> None:
        if method == "sendMessage" and str(params.get("text", "")).startswith("line 0000"):
            fake.faults.hold_next("sendMessage", 1.0)

    fake.faults.after_carried_out = hold_the_next_part
    fake.user_says(1124, "long 200")
    await fake.wait_for(lambda: fake.faults.outcomes("dropped"), 5, what="the second part to be dropped")
    await fake.wait_for_bot_messages(1124, 3)
    assert await app.sender.drain()
    messages = fake.bot_messages(1124)
    assert len(messages) == 3
    assert [line for m in messages for line in m["text"].split("\n")] == [
        f"line {i:04d} " + "x" * 40 for i in range(200)
    ]
    assert app.sender.stats["timed_out"] == 1
