"""FakeTelegram's groups as Telegram shows them to a bot: negative ids, privacy mode, my_chat_member, removal,
migration to a supergroup, the 20-a-minute group limit, getChatMember, per-person notices, ForceReply and
allowed_updates. Driven by python-telegram-bot's real Bot, which parses every answer as Telegram's."""

from __future__ import annotations

from typing import Any

import pytest
import telegram
from telegram import ChatMemberAdministrator, ChatMemberLeft, ChatMemberMember, ChatMemberOwner, ForceReply
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from bot.sandbox import FakeTelegram

LAN, HUNG, MAI = 5001, 5002, 5003  # Lan created the group; Hùng and Mai are members


async def updates(bot: telegram.Bot) -> list[telegram.Update]:
    """Everything pending, confirmed at once (the next call starts after it)."""
    got = await bot.get_updates(timeout=0)
    if got:
        await bot.get_updates(offset=got[-1].update_id + 1, timeout=0)
    return list(got)


def village_group(fake: FakeTelegram, kind: str = "group", *, admin: bool = False) -> int:
    """A village group of three with the bot added by its creator; the additions already handed out."""
    chat_id = fake.create_group("Tổ CNSCĐ Thôn 2", kind, members=[LAN, HUNG, MAI])
    fake.bot_added_to_group(chat_id, by_user_id=LAN, admin=admin)
    return chat_id


# ---------------------------------------------------------------------------------- ids, kinds, adding the bot


async def test_groups_have_negative_ids_and_say_their_type_and_title(bot: telegram.Bot, fake: FakeTelegram) -> None:
    group = fake.create_group("Tổ CNSCĐ Thôn 1", members=[LAN])
    supergroup = fake.create_group("Xã Sơn Kim 1", "supergroup", members=[LAN])
    assert group < 0 and str(supergroup).startswith("-100") and len(str(supergroup)) == 14
    fake.bot_added_to_group(group, by_user_id=LAN)
    fake.bot_added_to_group(supergroup, by_user_id=LAN)
    got = await updates(bot)
    kinds = [(u.effective_chat.id, u.effective_chat.type, u.effective_chat.title) for u in got if u.effective_chat]
    assert (group, "group", "Tổ CNSCĐ Thôn 1") in kinds
    assert (supergroup, "supergroup", "Xã Sơn Kim 1") in kinds
    assert fake.group(group)["members"] == {LAN: "creator"}


async def test_adding_the_bot_sends_my_chat_member_and_the_service_message(
    bot: telegram.Bot, fake: FakeTelegram
) -> None:
    chat_id = fake.create_group("Tổ CNSCĐ Thôn 2", members=[LAN, HUNG])
    update_id = fake.bot_added_to_group(chat_id, by_user_id=HUNG)
    first, service = await updates(bot)
    assert first.update_id == update_id
    change = first.my_chat_member
    assert change is not None and change.from_user.id == HUNG and change.chat.id == chat_id
    assert isinstance(change.old_chat_member, ChatMemberLeft)
    assert isinstance(change.new_chat_member, ChatMemberMember)
    assert change.new_chat_member.user.id == fake.bot_id
    assert service.message is not None and [u.id for u in service.message.new_chat_members] == [fake.bot_id]
    assert fake.group(chat_id)["bot_status"] == "member"

    other = fake.create_group("Xã", "supergroup", members=[LAN])
    fake.bot_added_to_group(other, by_user_id=LAN, admin=True)
    change = (await updates(bot))[0].my_chat_member
    assert change is not None and isinstance(change.new_chat_member, ChatMemberAdministrator)
    assert change.new_chat_member.can_delete_messages is True


async def test_only_members_act_in_a_group(fake: FakeTelegram) -> None:
    chat_id = fake.create_group("Tổ", members=[LAN])
    with pytest.raises(ValueError, match="not a member"):
        fake.bot_added_to_group(chat_id, by_user_id=HUNG)
    fake.bot_added_to_group(chat_id, by_user_id=LAN)
    with pytest.raises(ValueError, match="user_joins_group"):
        fake.user_says(HUNG, "/start", chat_id=chat_id)
    with pytest.raises(ValueError, match="already"):
        fake.bot_added_to_group(chat_id, by_user_id=LAN)


# ---------------------------------------------------------------------------------- privacy mode


async def test_privacy_mode_hands_over_only_commands_mentions_and_replies(
    bot: telegram.Bot, fake: FakeTelegram
) -> None:
    chat_id = village_group(fake)
    await updates(bot)
    assert fake.user_says(HUNG, "chiều nay mấy giờ họp?", chat_id=chat_id) is None
    assert fake.user_says(HUNG, "/start@some_other_bot", chat_id=chat_id) is None
    assert fake.user_says(HUNG, "nhắn @some_other_bot giúp", chat_id=chat_id) is None
    command = fake.user_says(HUNG, "/ghibuoi", chat_id=chat_id)
    addressed = fake.user_says(HUNG, f"/nhom@{fake.bot_username}", chat_id=chat_id)
    mention = fake.user_says(MAI, f"@{fake.bot_username} thôn 2 học VNeID 12 người", chat_id=chat_id)
    got = {u.update_id: u.message for u in await updates(bot)}
    assert set(got) == {command, addressed, mention}
    mention_message = got[mention]
    assert mention_message is not None
    [entity] = mention_message.entities
    assert entity.type == "mention" and mention_message.parse_entity(entity) == f"@{fake.bot_username}"
    assert got[command] is not None and got[command].chat.type == "group"

    sent = await bot.send_message(chat_id, "Chào cả tổ")
    reply = fake.user_says(MAI, "dạ vâng", chat_id=chat_id, reply_to=sent.message_id)
    people = fake.user_says(HUNG, "đồng ý", chat_id=chat_id, reply_to=got[command].message_id)
    assert reply is not None and people is None
    [answer] = await updates(bot)
    assert answer.message is not None and answer.message.reply_to_message is not None
    assert answer.message.reply_to_message.from_user.id == fake.bot_id

    transcript = fake.group_transcript(chat_id)
    said = [(m["text"], m["delivered"]) for m in transcript if m["sender"] == "user" and "text" in m]
    assert ("chiều nay mấy giờ họp?", False) in said and ("dạ vâng", True) in said


async def test_privacy_off_or_an_admin_bot_receives_everything(bot: telegram.Bot) -> None:
    async with FakeTelegram(privacy_mode=False) as open_fake:
        chat_id = village_group(open_fake)
        assert open_fake.user_says(HUNG, "chuyện phiếm", chat_id=chat_id) is not None
    async with FakeTelegram() as fake:
        chat_id = village_group(fake, admin=True)
        assert fake.user_says(HUNG, "chuyện phiếm", chat_id=chat_id) is not None


async def test_photos_in_a_group_follow_the_same_rule(bot: telegram.Bot, fake: FakeTelegram) -> None:
    chat_id = village_group(fake)
    assert fake.user_sends_photo(HUNG, chat_id=chat_id) is None
    assert fake.user_sends_photo(HUNG, caption=f"@{fake.bot_username} buổi tối", chat_id=chat_id) is not None
    sent = await bot.send_message(chat_id, "Gửi ảnh buổi học vào đây")
    assert fake.user_sends_photo(HUNG, chat_id=chat_id, reply_to=sent.message_id) is not None


async def test_an_unknown_negative_id_is_a_group_the_bot_already_administers(
    bot: telegram.Bot, fake: FakeTelegram
) -> None:
    update_id = fake.user_says(1005, "chào nhóm", chat_id=-100500, chat_title="Tổ CNS thôn 1")
    assert update_id is not None
    [got] = await updates(bot)
    assert got.effective_chat is not None and got.effective_chat.type == "group"
    assert got.effective_chat.title == "Tổ CNS thôn 1"
    assert fake.group(-100500)["bot_status"] == "administrator"
    assert fake.user_says(1006, "tôi nữa", chat_id=-100500) is not None  # anyone may write in such a group
    fake.user_says(1007, "siêu nhóm", chat_id=-1001234567890)
    assert fake.group(-1001234567890)["type"] == "supergroup"


# ---------------------------------------------------------------------------------- removal, joining, migration


async def test_removing_the_bot_sends_my_chat_member_and_sends_are_forbidden(
    bot: telegram.Bot, fake: FakeTelegram
) -> None:
    chat_id = village_group(fake)
    supergroup = village_group(fake, "supergroup")
    await updates(bot)
    fake.bot_removed_from_group(chat_id, by_user_id=LAN)
    fake.bot_removed_from_group(supergroup, by_user_id=LAN)
    first, second = await updates(bot)
    assert first.my_chat_member is not None and first.my_chat_member.new_chat_member.status == "left"
    assert second.my_chat_member is not None and second.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(chat_id, "Còn ai không?")
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(supergroup, "Còn ai không?")
    assert fake.user_says(LAN, "/nhom", chat_id=chat_id) is None  # the bot is not there to receive it
    fake.bot_added_to_group(chat_id, by_user_id=HUNG)  # and back again
    await bot.send_message(chat_id, "Xin chào lại")


async def test_the_bot_leaving_by_itself(bot: telegram.Bot, fake: FakeTelegram) -> None:
    chat_id = village_group(fake)
    await updates(bot)
    assert await bot.leave_chat(chat_id) is True
    [left] = await updates(bot)
    assert left.my_chat_member is not None and left.my_chat_member.from_user.id == fake.bot_id
    with pytest.raises(Forbidden):
        await bot.send_message(chat_id, "?")


async def test_a_person_joining_is_a_service_message_and_a_chat_member_update_for_an_admin_that_asks(
    bot: telegram.Bot, fake: FakeTelegram
) -> None:
    chat_id = village_group(fake)
    await updates(bot)
    joined = fake.user_joins_group(chat_id, 5009, first_name="Bác Tư")
    [service] = await updates(bot)
    assert service.update_id == joined and service.message is not None
    assert [u.first_name for u in service.message.new_chat_members] == ["Bác Tư"]
    assert fake.user_says(5009, "/start", chat_id=chat_id) is not None  # a member now

    admin_group = village_group(fake, admin=True)
    await bot.get_updates(timeout=0, allowed_updates=["message", "chat_member", "my_chat_member"])
    await updates(bot)
    fake.user_joins_group(admin_group, 5010, added_by=LAN)
    kinds = [("chat_member" if u.chat_member else "message") for u in await updates(bot)]
    assert kinds == ["chat_member", "message"]
    fake.user_leaves_group(admin_group, 5010)
    [gone] = await updates(bot)
    assert gone.message is not None and gone.message.left_chat_member is not None


async def test_a_group_becoming_a_supergroup(bot: telegram.Bot, fake: FakeTelegram) -> None:
    chat_id = village_group(fake)
    await updates(bot)
    new_id = fake.migrate_group(chat_id)
    assert str(new_id).startswith("-100") and fake.group(new_id)["type"] == "supergroup"
    assert fake.group(chat_id)["migrated_to"] == new_id
    assert fake.group(new_id)["members"] == fake.group(chat_id)["members"]
    to, came_from = await updates(bot)
    assert to.message is not None and to.message.migrate_to_chat_id == new_id and to.message.chat.id == chat_id
    assert came_from.message is not None and came_from.message.migrate_from_chat_id == chat_id
    assert came_from.message.chat.id == new_id and came_from.message.chat.type == "supergroup"
    with pytest.raises(ChatMigrated) as moved:
        await bot.send_message(chat_id, "Chào")
    assert moved.value.new_chat_id == new_id
    await bot.send_message(new_id, "Chào")
    assert fake.user_says(HUNG, "/tuannay", chat_id=new_id) is not None
    with pytest.raises(ValueError):
        fake.migrate_group(new_id)


# ---------------------------------------------------------------------------------- limits and members


async def test_twenty_new_messages_a_minute_per_group() -> None:
    now = [1000.0]
    async with (
        FakeTelegram(group_messages_per_minute=20, monotonic=lambda: now[0]) as fake,
        telegram.Bot(fake.token, base_url=fake.base_url) as bot,
    ):
        chat_id = village_group(fake)
        other = village_group(fake)
        fake.add_user(LAN, "Lan")
        sent = [await bot.send_message(chat_id, f"tin {n}") for n in range(20)]
        with pytest.raises(RetryAfter) as limited:
            await bot.send_message(chat_id, "tin 21")
        assert "Retry in 3 seconds" in str(limited.value)  # a message every 3 seconds
        await bot.edit_message_text("đã sửa", chat_id=chat_id, message_id=sent[0].message_id)  # edits: not counted
        await bot.send_message(other, "nhóm khác vẫn được")
        for n in range(25):
            await bot.send_message(LAN, f"riêng {n}")  # private chats: not this limit
        now[0] += 3.0
        await bot.send_message(chat_id, "sau ba giây")
        raw = [e for e in fake.errors if e[2] == 429]
        assert len(raw) == 1 and "retry after 3" in raw[0][3]


async def test_get_chat_member(bot: telegram.Bot, fake: FakeTelegram) -> None:
    chat_id = village_group(fake)
    assert isinstance(await bot.get_chat_member(chat_id, LAN), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(chat_id, HUNG), ChatMemberMember)
    assert isinstance(await bot.get_chat_member(chat_id, fake.bot_id), ChatMemberMember)
    fake.add_user(5020, "Người ngoài")
    assert isinstance(await bot.get_chat_member(chat_id, 5020), ChatMemberLeft)
    with pytest.raises(BadRequest, match=r"(?i)user not found"):
        await bot.get_chat_member(chat_id, 999999)
    fake.bot_made_admin(chat_id, by_user_id=LAN)
    assert isinstance(await bot.get_chat_member(chat_id, fake.bot_id), ChatMemberAdministrator)


async def test_a_person_seen_only_in_a_group_cannot_be_written_to_privately(
    bot: telegram.Bot, fake: FakeTelegram
) -> None:
    chat_id = village_group(fake)
    fake.user_says(HUNG, "/start", chat_id=chat_id)
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(HUNG, "Chào anh")
    fake.user_says(HUNG, "/start")  # he opens the private chat
    await bot.send_message(HUNG, "Chào anh")


# ---------------------------------------------------------------------------------- notices, ForceReply


async def test_a_callback_notice_shows_only_to_the_person_who_pressed(bot: telegram.Bot, fake: FakeTelegram) -> None:
    chat_id = village_group(fake)
    await updates(bot)
    markup = telegram.InlineKeyboardMarkup([[telegram.InlineKeyboardButton("Đúng", callback_data="log:1:ok")]])
    sent = await bot.send_message(chat_id, "Ghi buổi học?", reply_markup=markup)
    fake.user_presses(MAI, sent.message_id, "log:1:ok", chat_id=chat_id)
    [press] = await updates(bot)
    assert press.callback_query is not None and press.callback_query.from_user.id == MAI
    await press.callback_query.answer("Nút này của người khác.", show_alert=True)
    [notice] = await fake.wait_for_notices(MAI, 1)
    assert notice == {
        "callback_query_id": press.callback_query.id,
        "text": "Nút này của người khác.",
        "show_alert": True,
        "user_id": MAI,
        "chat_id": chat_id,
    }
    assert fake.notices_for(HUNG) == [] and fake.chat_state(chat_id, HUNG)["notices"] == []
    assert fake.chat_state(chat_id, MAI)["notices"][0]["text"] == "Nút này của người khác."
    assert fake.notices_for(MAI, chat_id=chat_id) == [notice]


async def test_force_reply_and_reply_parameters_are_recorded_and_the_app_answers_them(
    bot: telegram.Bot, fake: FakeTelegram
) -> None:
    chat_id = village_group(fake)
    await updates(bot)
    asked = fake.user_says(HUNG, "/ghibuoi", chat_id=chat_id)
    [update] = await updates(bot)
    assert update.update_id == asked and update.message is not None
    question = await bot.send_message(
        chat_id,
        "Buổi học có bao nhiêu người?",
        reply_markup=ForceReply(selective=True),
        reply_parameters=telegram.ReplyParameters(update.message.message_id, allow_sending_without_reply=True),
    )
    shown = fake.group_transcript(chat_id)[-1]
    assert shown["force_reply"] == {"force_reply": True, "selective": True}
    assert shown["reply_parameters"]["message_id"] == update.message.message_id
    assert "force_reply" not in question.api_kwargs and question.reply_markup is None  # Telegram does not echo it
    assert fake.force_reply_for(chat_id, HUNG) == question.message_id
    assert fake.force_reply_for(chat_id, MAI) is None  # selective: only the person it answers
    await bot.send_message(chat_id, "Nhắc cả tổ: thứ Bảy họp.")  # a later message leaves his reply open
    assert fake.force_reply_for(chat_id, HUNG) == question.message_id

    assert fake.user_says(MAI, "12 chứ nhỉ", chat_id=chat_id) is None  # her app shows no reply: the bot sees nothing
    answer = fake.user_says(HUNG, "12", chat_id=chat_id)  # his app opened the reply by itself
    [got] = await updates(bot)
    assert got.update_id == answer and got.message is not None
    assert got.message.reply_to_message is not None and got.message.reply_to_message.message_id == question.message_id
    assert fake.force_reply_for(chat_id, HUNG) is None  # answered


# ---------------------------------------------------------------------------------- allowed_updates


async def test_allowed_updates_are_honoured(bot: telegram.Bot, fake: FakeTelegram) -> None:
    assert fake.allows("my_chat_member") and not fake.allows("chat_member")  # Telegram's default
    await bot.get_updates(timeout=0, allowed_updates=["message"])
    chat_id = fake.create_group("Tổ", members=[LAN])
    assert fake.bot_added_to_group(chat_id, by_user_id=LAN) is None  # my_chat_member: not asked for
    [service] = await updates(bot)  # getUpdates without allowed_updates keeps the previous choice
    assert service.message is not None and service.message.new_chat_members
    assert [list(body) for body in fake.not_made] == [["my_chat_member"]]
    sent = await bot.send_message(
        chat_id,
        "Chọn",
        reply_markup=telegram.InlineKeyboardMarkup([[telegram.InlineKeyboardButton("A", callback_data="a")]]),
    )
    assert fake.user_presses(LAN, sent.message_id, "a", chat_id=chat_id) is None

    await bot.get_updates(timeout=0, allowed_updates=[])  # an empty list: the default types again
    assert fake.user_presses(LAN, sent.message_id, "a", chat_id=chat_id) is not None
    await updates(bot)

    await bot.set_webhook("http://127.0.0.1:9/hook", allowed_updates=["callback_query"])
    assert fake.user_says(LAN, "/start") is None
    info = await bot.get_webhook_info()
    assert info.allowed_updates == ("callback_query",)
    await bot.delete_webhook()


async def test_lenient_chats_still_take_unknown_groups(bot: telegram.Bot) -> None:
    async with (
        FakeTelegram(strict_chats=False) as fake,
        telegram.Bot(fake.token, base_url=fake.base_url) as lenient,
    ):
        sent: Any = await lenient.send_message(-4242, "Chào nhóm")
        assert sent.chat.type == "group" and fake.group(-4242)["bot_status"] == "administrator"
