"""The sandbox's demo groups with the whole application (sandbox mode, demo data, the real bot), driven through the
page's JSON API: the village group and the commune group on both messengers, the bot already a member and the
groups bound, the demo people talking together and to the bot."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.sandbox.demo import DEMO_GROUPS, seed_demo
from storage import groups as group_storage

MAI, NAM, TUAN = 900002, 900006, 900003  # Thôn 1's team lead and member; the commune admin
VILLAGE, COMMUNE = DEMO_GROUPS


async def chat(client: aiohttp.ClientSession, group: str, user_id: int, channel: str, version: int = -1) -> Any:
    query = f"group={group}&user_id={user_id}&channel={channel}&version={version}"
    async with client.get(f"/sandbox/api/chat?{query}") as response:
        assert response.status == 200
        return await response.json()


async def say(client: aiohttp.ClientSession, group: str, user_id: int, text: str, **more: Any) -> Any:
    body = {"group": group, "user_id": user_id, "text": text, **more}
    async with client.post("/sandbox/api/send", json=body) as response:
        return response.status, await response.json()


async def test_the_demo_groups_are_listed_with_their_people_and_bound(sandbox) -> None:
    app, client = sandbox
    async with client.get("/sandbox/api/groups") as response:
        listed = await response.json()
    assert [(g["key"], g["kind"], g["title"]) for g in listed] == [
        ("thon-1", "village", "Tổ CNSCĐ Thôn 1"),
        ("xa-son-kim-1", "commune", "Tổ CNSCĐ Xã Sơn Kim 1"),
    ]
    assert [p["name"] for p in listed[0]["people"]] == ["Chị Nguyễn Thị Mai", "Anh Đỗ Văn Nam", "Anh Lê Minh Tuấn"]
    assert app.fake_telegram.group(VILLAGE.telegram_chat_id)["bot_status"] == "member"
    assert app.fake_telegram.group(COMMUNE.telegram_chat_id)["type"] == "supergroup"
    assert app.fake_zalo.group(VILLAGE.zalo_group_id)["bot_in"] is True
    with app.database.session() as session:
        bound = {(g.channel, g.chat_id): g.village_id for g in group_storage.bound_groups(session)}
    assert set(bound) == {
        ("telegram", str(VILLAGE.telegram_chat_id)),
        ("zalo", VILLAGE.zalo_group_id),
        ("telegram", str(COMMUNE.telegram_chat_id)),
        ("zalo", COMMUNE.zalo_group_id),
    }
    assert bound[("telegram", str(COMMUNE.telegram_chat_id))] is None  # the commune's group
    # seeding again (a restart) changes nothing
    assert seed_demo(app.database, app.clock, app.config)
    with app.database.session() as session:
        assert len(group_storage.bound_groups(session)) == 4


async def test_people_talk_in_the_village_group_and_the_bot_hears_only_what_is_for_it(sandbox) -> None:
    app, client = sandbox
    fake = app.fake_telegram
    status, said = await say(client, "thon-1", NAM, "Chị Mai ơi, tối nay mấy giờ học ạ?")
    assert status == 200 and said["update_id"] is None  # privacy mode: the bot does not get it
    status, said = await say(client, "thon-1", MAI, f"@{fake.bot_username} /tuannay")
    assert status == 200 and said["update_id"] is not None
    await fake.wait_for_bot_messages(VILLAGE.telegram_chat_id, 1, timeout=15)
    view = await chat(client, "thon-1", NAM, "telegram")
    people = [(m["from"]["name"], m["delivered"]) for m in view["messages"] if m["sender"] == "user"]
    assert people == [("Anh Đỗ Văn Nam", False), ("Chị Nguyễn Thị Mai", True)]
    [answer] = [m for m in view["messages"] if m["sender"] == "bot"]
    assert answer["from"]["user_id"] is None and "tuần" in answer["text"].lower()
    assert fake.bot_messages(MAI) == []  # nothing in her private chat

    status, refused = await say(client, "thon-1", 900001, "tôi không ở nhóm này")
    assert status == 409 and "not a member" in refused["error"]


async def test_the_commune_group_on_zalo_answers_a_mention(sandbox) -> None:
    app, client = sandbox
    zalo = app.fake_zalo
    status, said = await say(client, "xa-son-kim-1", TUAN, "Cả nhà nhớ báo cáo trước thứ Sáu nhé", channel="zalo")
    assert status == 200 and said["update_id"] is None
    status, said = await say(client, "xa-son-kim-1", TUAN, "/tuannay", channel="zalo", mention=True)
    assert status == 200 and said["update_id"] is not None
    await zalo.wait_for_bot_messages(COMMUNE.zalo_group_id, 1, timeout=15)
    view = await chat(client, "xa-son-kim-1", TUAN, "zalo")
    assert view["channel"] == "zalo" and view["group"] == "xa-son-kim-1"
    people = [m for m in view["messages"] if m["sender"] == "user"]
    assert [(m["from"]["user_id"], m["delivered"]) for m in people] == [(TUAN, False), (TUAN, True)]
    assert any(m["sender"] == "bot" for m in view["messages"])


async def test_answering_the_read_back_by_replying_in_the_zalo_village_group(sandbox) -> None:
    app, client = sandbox
    zalo = app.fake_zalo
    group_id = VILLAGE.zalo_group_id
    status, said = await say(client, "thon-1", MAI, "hôm nay thôn 1 học VNeID 15 người", channel="zalo", mention=True)
    assert status == 200 and said["update_id"] is not None
    [read_back] = await zalo.wait_for_bot_messages(group_id, 1, timeout=15)
    assert "1. ✅ Đúng" in read_back["text"]
    status, said = await say(client, "thon-1", NAM, "1", channel="zalo", reply_to=read_back["message_id"])
    assert said["update_id"] is not None  # a reply to the bot reaches it, whoever sends it
    await say(client, "thon-1", MAI, "1", channel="zalo", reply_to=read_back["message_id"])
    await zalo.wait_for(lambda: any("Đã lưu" in t for t in zalo.bot_texts(group_id)), 15, what="saved")
    view = await chat(client, "thon-1", NAM, "zalo")
    answers = [m for m in view["messages"] if m["sender"] == "user" and m["text"] == "1"]
    assert [m["reply_to"]["message_id"] for m in answers] == [read_back["message_id"]] * 2
    assert [m["from"]["user_id"] for m in answers] == [NAM, MAI]


async def test_unknown_groups_and_bad_replies_are_refused(sandbox) -> None:
    _app, client = sandbox
    async with client.get("/sandbox/api/chat?group=nope&user_id=900002&version=-1") as response:
        assert response.status == 404
    status, _ = await say(client, "thon-1", MAI, "chào", reply_to="not a number")
    assert status == 400
    status, refused = await say(client, "thon-1", MAI, "chào", reply_to=999999)
    assert status == 409 and "no message 999999" in refused["error"]
