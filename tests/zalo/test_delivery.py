"""The outbox through the real Zalo renderer: numbered choices, 2,000-character splits, pictures and documents
as expiring links served by our own web server, edits as new messages, no-op menu and callbacks, the
Zalo errors (429, 403, 5xx), and sends the platform holds (time-outs, closed connections)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlmodel import select

from bot.app import BotApplication
from bot.channels.zalo import ZaloApiError, ZaloClient
from bot.messages import Button, Reply
from storage import outbox
from storage.files import save_file
from storage.models import ChannelAccount, Member, Province
from tests.app.conftest import enqueue_to, outbox_rows, status_of, wait_until
from tests.zalo.conftest import MovableClock, ZaloApi

VN = ZoneInfo("Asia/Ho_Chi_Minh")

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)
USER = "0a0b0c0d0e0f10111213"


def enqueue(app: BotApplication, chat_id: str, kind: str, payload: dict, key: str | None = None) -> int:
    return enqueue_to(app, "zalo", chat_id, kind, payload, key)


def stored(app: BotApplication, name: str, mime: str, content: bytes, days: int = 1) -> str:
    with app.database.session() as session:
        return save_file(session, filename=name, mime_type=mime, content=content, now=app.clock.now(), days=days).token


async def test_chart_is_sent_as_a_link_that_loads_as_png_and_expires(
    make_zalo_app, zalo_api: ZaloApi, clock: MovableClock
) -> None:
    fake = zalo_api.fake
    app = await make_zalo_app(public_url="https://bdhvs.example.vn")
    fake.add_user(USER, "Chị Mai")
    token = stored(app, "tien-do.png", "image/png", PNG)
    assert len(token) >= 32
    enqueue(
        app, USER, outbox.KIND_MESSAGE, Reply("📊 Tiến độ tháng 11", file_token=token, file_kind="photo").to_payload()
    )
    [photo] = await fake.wait_for_bot_messages(USER, 1)
    assert photo["photo"] == f"https://bdhvs.example.vn/files/{token}"  # the public base, for Zalo to fetch
    assert photo["caption"] == "📊 Tiến độ tháng 11"
    local = f"{app.web_url}/files/{token}"
    async with aiohttp.ClientSession() as client:
        async with client.get(local) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "image/png"
            assert await response.read() == PNG
        near_miss = token[:-1] + ("y" if token.endswith("x") else "x")
        async with client.get(f"{app.web_url}/files/{near_miss}") as response:
            assert response.status == 404  # unguessable: a near miss finds nothing
        clock.shift = dt.timedelta(hours=25)
        async with client.get(local) as response:
            assert response.status == 404  # expired


async def test_photo_with_a_long_text_and_a_document_link(make_zalo_app, zalo_api: ZaloApi) -> None:
    fake = zalo_api.fake
    app = await make_zalo_app()
    fake.add_user(USER, "Chị Mai")
    chart = stored(app, "bieu-do.png", "image/png", PNG)
    report = stored(
        app,
        "bao-cao-11-2026.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        b"PK\x03\x04 xlsx",
    )
    long_text = "\n".join(f"Thôn {n}: {n * 3} người" for n in range(200))
    enqueue(app, USER, outbox.KIND_MESSAGE, Reply(long_text, file_token=chart, file_kind="photo").to_payload())
    enqueue(
        app,
        USER,
        outbox.KIND_MESSAGE,
        Reply("Báo cáo tháng 11/2026", file_token=report, file_kind="document").to_payload(),
    )
    await wait_until(lambda: all(r.status == "sent" for r in outbox_rows(app.database)), what="all sent")
    messages = fake.bot_messages(USER)
    assert messages[0]["photo"] == f"{app.web_url}/files/{chart}" and "caption" not in messages[0]
    texts = [m["text"] for m in messages[1:]]
    assert "\n".join(texts[:-1]) == long_text and all(len(t) <= 2000 for t in texts)
    document = texts[-1]
    assert document.startswith("Báo cáo tháng 11/2026\n\n📎 bao-cao-11-2026.xlsx: ")
    assert f"{app.web_url}/files/{report}" in document and "Đường dẫn dùng được đến" in document
    async with aiohttp.ClientSession() as client, client.get(f"{app.web_url}/files/{report}") as response:
        assert response.status == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert await response.read() == b"PK\x03\x04 xlsx"


async def test_expired_file_sends_the_text_alone(make_zalo_app, zalo_api: ZaloApi) -> None:
    fake = zalo_api.fake
    app = await make_zalo_app()
    fake.add_user(USER)
    token = stored(app, "cu.png", "image/png", PNG, days=-1)
    enqueue(app, USER, outbox.KIND_MESSAGE, Reply("Biểu đồ cũ", file_token=token, file_kind="photo").to_payload())
    [message] = await fake.wait_for_bot_messages(USER, 1)
    assert message["text"] == "Biểu đồ cũ" and "photo" not in message


async def test_edits_become_new_messages_and_menu_and_callbacks_are_no_ops(make_zalo_app, zalo_api: ZaloApi) -> None:
    fake = zalo_api.fake
    app = await make_zalo_app()
    fake.add_user(USER)
    ids = [
        enqueue(
            app, USER, outbox.KIND_MESSAGE, Reply("Câu hỏi", [[Button("Có", "a"), Button("Không", "b")]]).to_payload()
        ),
        enqueue(app, USER, outbox.KIND_EDIT, {**Reply("Đã sửa", edit=True).to_payload(), "message_id": "x"}),
        enqueue(app, USER, outbox.KIND_ANSWER_CALLBACK, {"callback_id": "1", "text": "ok"}),
        enqueue(app, USER, outbox.KIND_SET_COMMANDS, {"commands": [["help", "Hướng dẫn"]], "language": "vi"}),
    ]
    await wait_until(lambda: all(status_of(app, i).status == "sent" for i in ids), what="all sent")
    assert [m["text"] for m in fake.bot_messages(USER)] == [
        "Câu hỏi\n\n1. Có\n2. Không\nBạn trả lời bằng số, ví dụ 1.",
        "Đã sửa",
    ]
    assert {name for name, _ in fake.calls} == {"getMe", "deleteWebhook", "getUpdates", "sendMessage"}


async def test_choices_of_a_reminder_are_remembered_when_delivered(
    make_zalo_app, zalo_api: ZaloApi, clock: MovableClock
) -> None:
    """A message from outside a turn (a reminder, with an idempotency key): "1" still answers it."""
    fake = zalo_api.fake
    # Daytime in Việt Nam, whatever the hour this runs at: a reminder is held in the quiet hours.
    local = clock.now().astimezone(VN)
    clock.shift = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(10, 0), VN) - local
    app = await make_zalo_app()
    fake.add_user(USER)
    with app.database.session() as session:
        province = session.exec(select(Province)).first()
        assert province is not None
        member = Member(display_name="Chị Mai", role="member", province_code=province.code, created_at=app.clock.now())
        session.add(member)
        session.flush()
        session.add(
            ChannelAccount(member_id=member.id, channel="zalo", user_id=USER, chat_id=USER, created_at=app.clock.now())
        )
    enqueue(
        app,
        USER,
        outbox.KIND_MESSAGE,
        Reply("⏰ Tuần này thôn chưa ghi buổi sinh hoạt.", [[Button("📊 Tuần này", "c:-:go:tuannay")]]).to_payload(),
        key="reminder:weekly:2026-W48:1",
    )
    await fake.wait_for_bot_messages(USER, 1)
    fake.user_says(USER, "1")
    messages = await fake.wait_for_bot_messages(USER, 2)
    assert "tuần" in messages[1]["text"].lower() and "⏰" not in messages[1]["text"]


async def test_quota_429_pauses_and_retries(make_zalo_app, zalo_api: ZaloApi) -> None:
    fake, faults = zalo_api.fake, zalo_api.faults
    app = await make_zalo_app()
    fake.add_user(USER)
    faults.add("sendMessage", 429, "Quota exceeded")
    first = enqueue(app, USER, outbox.KIND_MESSAGE, Reply("một").to_payload())
    second = enqueue(app, USER, outbox.KIND_MESSAGE, Reply("hai").to_payload())
    messages = await fake.wait_for_bot_messages(USER, 2)
    assert [m["text"] for m in messages] == ["một", "hai"]  # order kept
    [refused] = faults.times_of("sendMessage", 429)
    assert min(faults.times_of("sendMessage", 200)) - refused >= 0.19  # the configured pause (5 s by default)
    assert app.sender.stats["retry_after"] == 1
    assert await app.sender.drain()
    assert status_of(app, first).attempts == 0 and status_of(app, second).status == "sent"


async def test_server_errors_are_retried_and_a_bad_request_is_given_up(make_zalo_app, zalo_api: ZaloApi) -> None:
    fake, faults = zalo_api.fake, zalo_api.faults
    app = await make_zalo_app()
    fake.add_user(USER)
    faults.add("sendMessage", 502, "Bad Gateway", times=2)
    retried = enqueue(app, USER, outbox.KIND_MESSAGE, Reply("sau hai lần lỗi").to_payload())
    await fake.wait_for_bot_messages(USER, 1, timeout=10)
    assert status_of(app, retried).attempts == 2
    refused = enqueue(app, "khong-co-chat-nay", outbox.KIND_MESSAGE, Reply("không tới").to_payload())
    await wait_until(lambda: status_of(app, refused).status == "failed", what="the 400 to be given up")
    assert "permanent" in (status_of(app, refused).last_error or "")


async def test_blocked_person_is_marked_unreachable(make_zalo_app, zalo_api: ZaloApi) -> None:
    fake = zalo_api.fake
    app = await make_zalo_app()
    fake.add_user(USER)
    fake.block(USER)
    with app.database.session() as session:
        province = session.exec(select(Province)).first()
        assert province is not None
        member = Member(display_name="Anh Ba", role="member", province_code=province.code, created_at=app.clock.now())
        session.add(member)
        session.flush()
        session.add(
            ChannelAccount(member_id=member.id, channel="zalo", user_id=USER, chat_id=USER, created_at=app.clock.now())
        )
        member_id = member.id
    item = enqueue(app, USER, outbox.KIND_MESSAGE, Reply("nhắc việc").to_payload())
    await wait_until(lambda: status_of(app, item).status == "failed", what="the 403")

    def unreachable() -> bool:
        with app.database.session() as session:
            return bool(session.get(Member, member_id).unreachable)  # type: ignore[union-attr]

    await wait_until(unreachable, what="the member marked unreachable")


async def test_errors_as_http_200_with_ok_false_are_understood(make_zalo_app, zalo_api: ZaloApi) -> None:
    """Some Zalo answers carry the error in the body only (HTTP 200, ok=false, error_code)."""
    fake = zalo_api.fake
    fake.http_errors = False
    app = await make_zalo_app()
    refused = enqueue(app, "khong-co-chat-nay", outbox.KIND_MESSAGE, Reply("không tới").to_payload())
    await wait_until(lambda: status_of(app, refused).status == "failed", what="the 400 to be given up")
    fake.add_user(USER)
    ok = enqueue(app, USER, outbox.KIND_MESSAGE, Reply("tới").to_payload())
    await wait_until(lambda: status_of(app, ok).status == "sent", what="sent")


# -- sends the platform holds ----------------------------------------------------------------------


async def test_a_timed_out_call_closes_its_connection_and_is_not_delivered(zalo_api: ZaloApi) -> None:
    """The client gives up after its time-out and closes that connection: the held call is dropped."""
    fake = zalo_api.fake
    fake.add_user(USER)
    fake.faults.hold_next("sendMessage", 0.8)
    client = ZaloClient(fake.token, zalo_api.base_url)
    try:
        with pytest.raises(ZaloApiError) as raised:
            await client.call("sendMessage", {"chat_id": USER, "text": "chậm"}, timeout=0.2)
        assert raised.value.timed_out and raised.value.code is None
        await fake.wait_for(lambda: fake.faults.outcomes("dropped"), 3, what="the held call to end")
        assert fake.faults.held[0].client_connected is False
        assert fake.bot_messages(USER) == []
        await client.call("sendMessage", {"chat_id": USER, "text": "nhanh"})
        assert fake.bot_texts(USER) == ["nhanh"]
    finally:
        await client.close()


async def test_a_timed_out_send_is_retried_and_the_chat_waits(make_zalo_app, zalo_api: ZaloApi) -> None:
    """Held beyond the send time-out: dropped as its connection closed, sent again, the next message after."""
    fake = zalo_api.fake
    app = await make_zalo_app(send_timeout=0.3)
    app.sender.timeout_settle = 0.05
    fake.add_user(USER)
    fake.faults.hold_next("sendMessage", 1.0)
    first = enqueue(app, USER, outbox.KIND_MESSAGE, Reply("một").to_payload())
    enqueue(app, USER, outbox.KIND_MESSAGE, Reply("hai").to_payload())
    await fake.wait_for_bot_messages(USER, 2, timeout=10)
    await fake.wait_for(lambda: fake.faults.outcomes("dropped"), 5, what="the held call to be dropped")
    assert await app.sender.drain()
    assert fake.bot_texts(USER) == ["một", "hai"]
    assert status_of(app, first).attempts == 1 and app.sender.stats["timed_out"] == 1


async def test_worst_case_a_timed_out_send_that_lands_anyway_is_doubled_in_order(
    make_zalo_app, zalo_api: ZaloApi
) -> None:
    """A platform that finishes a call whose connection closed: the one message shows twice, before the next."""
    fake = zalo_api.fake
    app = await make_zalo_app(send_timeout=0.3)
    app.sender.timeout_settle = 2.0
    fake.add_user(USER)
    fake.faults.hold_next("sendMessage", 0.8, lands_if_disconnected=True)
    enqueue(app, USER, outbox.KIND_MESSAGE, Reply("một").to_payload())
    enqueue(app, USER, outbox.KIND_MESSAGE, Reply("hai").to_payload())
    await fake.wait_for_bot_messages(USER, 3, timeout=10)
    assert await app.sender.drain()
    assert fake.bot_texts(USER) == ["một", "một", "hai"]
    assert [call.outcome for call in fake.faults.held] == ["landed"]
