"""Reading Telegram group updates: what is addressed to the bot, the text handlers see, and group events."""

from __future__ import annotations

from typing import Any

from bot.channels.telegram_updates import BotIdentity, to_incoming

BOT = BotIdentity(5550001, "bdhvs_bot")
GROUP = {"id": -100123, "type": "supergroup", "title": "Tổ CNSCĐ Thôn 2"}
PERSON = {"id": 77, "is_bot": False, "first_name": "Mai"}


def _message(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "update_id": 9,
        "message": {"message_id": 31, "date": 0, "chat": GROUP, "from": PERSON, "text": text, **extra},
    }


def test_commands_mentions_and_replies_are_for_the_bot() -> None:
    command = to_incoming(_message("/ghibuoi@bdhvs_bot"), BOT)
    assert command is not None and command.addressed and command.text == "/ghibuoi"
    assert command.chat_type == "group" and command.group_id == "-100123" and command.said_id == "31"
    assert command.chat_title == "Tổ CNSCĐ Thôn 2"
    other_bot = to_incoming(_message("/start@other_bot"), BOT)
    assert other_bot is not None and not other_bot.addressed
    # «@bdhvs_bot» is 10 UTF-16 units after «Chào » (5): the entity says where; the text loses the mention.
    text = "Chào @bdhvs_bot hôm nay học VNeID 12 người"
    mention = to_incoming(_message(text, entities=[{"type": "mention", "offset": 5, "length": 10}]), BOT)
    assert mention is not None and mention.addressed and mention.text == "Chào  hôm nay học VNeID 12 người".strip()
    bot_message = {"message_id": 30, "date": 0, "chat": GROUP, "from": {"id": 5550001, "is_bot": True}, "text": "?"}
    reply = to_incoming(_message("12", reply_to_message=bot_message), BOT)
    assert reply is not None and reply.addressed and reply.text == "12"
    to_person = {**bot_message, "from": PERSON}
    chatter = to_incoming(_message("12", reply_to_message=to_person), BOT)
    assert chatter is not None and not chatter.addressed
    private = to_incoming(
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 77, "type": "private"},
                "from": PERSON,
                "text": "12",
            },
        },
        BOT,
    )
    assert private is not None and private.addressed and private.group_id == "" and private.said_id is None


def test_the_bot_added_removed_and_the_group_migrated() -> None:
    def change(status: str) -> dict[str, Any]:
        bot_user = {"id": 5550001, "is_bot": True, "username": "bdhvs_bot"}
        return {
            "update_id": 10,
            "my_chat_member": {
                "chat": GROUP,
                "from": PERSON,
                "date": 0,
                "old_chat_member": {"status": "left", "user": bot_user},
                "new_chat_member": {"status": status, "user": bot_user},
            },
        }

    added = to_incoming(change("member"), BOT)
    assert added is not None and added.group_event == "bot_added" and added.user_id == "77"
    kicked = to_incoming(change("kicked"), BOT)
    assert kicked is not None and kicked.group_event == "bot_removed"
    old_group = {"id": -4242, "type": "group", "title": "Thôn 2"}
    moved = to_incoming(
        {
            "update_id": 11,
            "message": {"message_id": 5, "date": 0, "chat": old_group, "from": PERSON, "migrate_to_chat_id": -1004242},
        },
        BOT,
    )
    assert moved is not None and (moved.group_event, moved.chat_id, moved.migrated_to) == (
        "migrated",
        "-4242",
        "-1004242",
    )
    came = to_incoming(
        {
            "update_id": 12,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {**GROUP, "id": -1004242},
                "from": PERSON,
                "migrate_from_chat_id": -4242,
            },
        },
        BOT,
    )
    assert came is not None and (came.chat_id, came.migrated_to) == ("-4242", "-1004242")
