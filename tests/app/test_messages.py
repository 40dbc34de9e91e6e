"""The outbox form of a reply: every field goes in and comes back."""

from __future__ import annotations

from dataclasses import fields

from bot.messages import Button, Incoming, Reply


def test_a_reply_survives_the_outbox_with_every_field() -> None:
    reply = Reply(
        text="Đã lưu ✅",
        buttons=[[Button("Đúng", "log:ab12:save"), Button("Huỷ", "log:ab12:cancel")]],
        edit=True,
        file_token="t0k3n",
        file_kind="photo",
        answer_here=True,
        reply_to="812",
    )
    payload = reply.to_payload()
    assert set(payload) == {field.name for field in fields(Reply)}
    assert Reply.from_payload(payload) == reply
    assert Reply.from_payload(Reply("Chào bạn").to_payload()) == Reply("Chào bạn")


def test_an_incoming_message_drops_nul_characters() -> None:
    """PostgreSQL refuses NUL in text; a NUL typed in a code or a name must not fail the update there."""
    incoming = Incoming(
        channel="telegram",
        update_id="1",
        user_id="7",
        chat_id="7",
        display_name="A\x00n",
        text="/start \x00AB",
        payload="a:1:\x00x",
    )
    assert (incoming.text, incoming.payload, incoming.display_name) == ("/start AB", "a:1:x", "An")
