"""The outbox form of a reply: every field goes in and comes back."""

from __future__ import annotations

from dataclasses import fields

from bot.messages import Button, Reply


def test_a_reply_survives_the_outbox_with_every_field() -> None:
    reply = Reply(text="Đã lưu ✅", buttons=[[Button("Đúng", "log:ab12:save"), Button("Huỷ", "log:ab12:cancel")]],
                  edit=True, file_token="t0k3n", file_kind="photo")
    payload = reply.to_payload()
    assert set(payload) == {field.name for field in fields(Reply)}
    assert Reply.from_payload(payload) == reply
    assert Reply.from_payload(Reply("Chào bạn").to_payload()) == Reply("Chào bạn")
