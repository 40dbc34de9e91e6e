"""One member on both messengers: both channels run in one process, and /lienket links a Zalo account to the
member who joined on Telegram (and the other way round), with a one-time, short-lived code."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from bot.app import BotApplication, build_application
from bot.config import Config
from storage import invites
from storage.activity import export_commune
from storage.areas import add_villages
from storage.models import AuditEntry, ChannelAccount, LinkCode
from tests.app.conftest import FAST_LIMITS, FakeApi, wait_until
from tests.zalo.conftest import SON_KIM_1, MovableClock, ZaloApi, ZaloPerson, admin_code, processed

TG_ADMIN, TG_MEMBER = 5101, 5102
ZALO_MEMBER, ZALO_STRANGER = "zalo-member-0001", "zalo-stranger-0002"


@pytest.fixture
async def both(db_url: str, fake_api: FakeApi, zalo_api: ZaloApi, clock: MovableClock) -> AsyncIterator[BotApplication]:
    config = Config(
        database_url=db_url,
        telegram_token=fake_api.fake.token,
        telegram_api_base_url=fake_api.base_url,
        zalo_token=zalo_api.fake.token,
        zalo_api_base_url=zalo_api.base_url,
        web_port=0,
        demo_data=False,
        rate_limits=FAST_LIMITS,
    )
    app = build_application(
        config, clock, sender_options={"base_backoff": 0.02}, zalo_options={"poll_timeout": 5}, drain_on_stop=2.0
    )
    await app.start()
    yield app
    await app.stop()


async def telegram_says(app: BotApplication, fake: Any, user: int, text: str) -> list[str]:
    before = fake.bot_message_count(user)
    update_id = fake.user_says(user, text, first_name="Bác Hùng")
    await wait_until(lambda: processed(app.database, "telegram", str(update_id)), what="telegram update")
    assert await app.sender.drain(10)
    return [m.get("text") or "" for m in fake.bot_messages(user)[before:] if not m.get("edited")]


async def test_both_channels_in_one_process_and_linking(
    both: BotApplication, fake_api: FakeApi, zalo_api: ZaloApi, clock: MovableClock
) -> None:
    app, telegram, zalo = both, fake_api.fake, zalo_api.fake
    assert app.telegram is not None and app.zalo is not None
    # The member joins on Telegram with an invite, then asks for a link code.
    with app.database.session() as session:
        villages, _ = add_villages(session, SON_KIM_1, ["Thôn 1", "Thôn 2"], now=app.clock.now(), actor_id=None)
        code = invites.create_invite(
            session,
            role="member",
            commune_code=SON_KIM_1,
            village_id=villages[1].id,
            now=app.clock.now(),
            days=7,
            max_uses=1,
        ).code
    assert "Chào mừng" in (await telegram_says(app, telegram, TG_MEMBER, f"/start {code}"))[0]
    replies = await telegram_says(app, telegram, TG_MEMBER, "/lienket")
    link_code = re.search(r"Mã liên kết của bạn: (\d{8})", replies[-1]).group(1)  # type: ignore[union-attr]
    assert "Zalo" in replies[-1] and "10 phút" in replies[-1]
    assert any(c["command"] == "lienket" for c in telegram.commands(scope_chat_id=TG_MEMBER))

    # On Zalo, a new account sends the code alone: it becomes the same member.
    member_on_zalo = ZaloPerson(app, zalo, ZALO_MEMBER, "Hùng Zalo")
    replies = await member_on_zalo.says(link_code[:4] + " " + link_code[4:])
    assert "Đã liên kết" in replies[0] and "Telegram" in replies[0] and "Thôn 2" in replies[0]
    assert "1. 📝 Ghi buổi sinh hoạt" in replies[-1]  # the member's menu, as numbered choices
    notice = await telegram.wait_for(
        lambda: [m for m in telegram.bot_messages(TG_MEMBER) if "vừa được liên kết" in (m.get("text") or "")]
    )
    assert "Zalo" in notice[0]["text"]
    with app.database.session() as session:
        accounts = session.exec(select(ChannelAccount).order_by(ChannelAccount.id)).all()
        by_channel = {(a.channel, a.user_id): a.member_id for a in accounts}
        assert by_channel[("zalo", ZALO_MEMBER)] == by_channel[("telegram", str(TG_MEMBER))]
        [audit] = session.exec(select(AuditEntry).where(AuditEntry.action == "link")).all()
        assert audit.after["channel"] == "zalo" and audit.after["code_from_channel"] == "telegram"
        assert session.get(LinkCode, link_code).used_at is not None  # type: ignore[union-attr]

    # What the member logs on Zalo is theirs, whichever messenger they use.
    await member_on_zalo.says("tối qua học cài VNeID 15 người")
    await member_on_zalo.says("1")
    with app.database.session() as session:
        [row] = export_commune(session, SON_KIM_1)["sessions"]
    assert row["member_id"] == by_channel[("telegram", str(TG_MEMBER))] and row["village"] == "Thôn 2"
    replies = await telegram_says(app, telegram, TG_MEMBER, "/tuannay")
    assert replies

    # The code worked once; a stranger cannot reuse it, nor guess one.
    stranger = ZaloPerson(app, zalo, ZALO_STRANGER, "Người lạ")
    assert "không đúng hoặc đã hết hạn" in (await stranger.says(link_code))[0]
    assert "không đúng hoặc đã hết hạn" in (await stranger.says("/lienket 12345678"))[0]
    # An account already linked is told so.
    replies = await telegram_says(app, telegram, TG_MEMBER, "/lienket")
    again = re.search(r"(\d{8})", replies[-1]).group(1)  # type: ignore[union-attr]
    assert "đã được liên kết rồi" in (await member_on_zalo.says(f"/lienket {again}"))[0]


async def test_link_code_expires_and_only_works_on_the_other_messenger(
    both: BotApplication, fake_api: FakeApi, zalo_api: ZaloApi, clock: MovableClock
) -> None:
    app, zalo = both, zalo_api.fake
    joined = ZaloPerson(app, zalo, ZALO_MEMBER, "Chị Lan")
    await joined.says(admin_code(app.database, app.clock, role="commune_leader"))
    replies = await joined.says("/lienket")
    code = re.search(r"(\d{8})", replies[-1]).group(1)  # type: ignore[union-attr]
    assert "Telegram" in replies[-1]
    other_zalo = ZaloPerson(app, zalo, ZALO_STRANGER, "Zalo khác")
    assert "ứng dụng kia" in (await other_zalo.says(code))[0]  # a Zalo code is for Telegram
    telegram = fake_api.fake
    clock.shift = dt.timedelta(minutes=11)
    replies = await telegram_says(app, telegram, TG_MEMBER, f"/start {code}")
    assert "không đúng hoặc đã hết hạn" in replies[0]
    clock.shift = dt.timedelta(0)
    replies = await telegram_says(app, telegram, TG_MEMBER, "/lienket")
    assert "gõ /lienket để lấy mã" in replies[0]  # not joined on Telegram: how it works
    replies = await joined.says("/lienket")
    fresh = re.search(r"(\d{8})", replies[-1]).group(1)  # type: ignore[union-attr]
    replies = await telegram_says(app, telegram, TG_MEMBER, f"/start {fresh}")  # the deep-link form works too
    assert "Đã liên kết" in replies[0] and "lãnh đạo xã" in replies[0]
    with app.database.session() as session:
        assert session.get(LinkCode, code).used_at is None  # type: ignore[union-attr]
