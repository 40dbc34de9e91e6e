"""One reminder due to one recipient (a person, or a group chat bound to an area), and its idempotency key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.messages import Button, Reply
from storage.outbox import TO_GROUP

KEY_PREFIX = "reminder:"  # every reminder's idempotency key starts so (the sender holds them at night)
GROUP_ROLE = "group"  # a group recipient's "role" in the preview


@dataclass
class Due:
    """One reminder to one person, or to one group chat (`group`: then `member_id` is None, `name` the group's
    title and `locale` Vietnamese, since a group has no one language)."""

    rule: str
    key: str  # the outbox idempotency key: (rule, period, slot, recipient)
    period: str
    at: dt.datetime  # when it goes out, UTC
    member_id: int | None
    name: str
    role: str
    locale: str
    channel: str
    chat_id: str
    area: str
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    group: bool = False

    def reply(self) -> Reply:
        """The reminder as the message the outbox sends."""
        return Reply(text=self.text, buttons=self.buttons)

    def payload(self) -> dict[str, Any]:
        """The outbox payload: the message, marked as going to a group when it does."""
        payload = self.reply().to_payload()
        if self.group:
            payload[TO_GROUP] = True
        return payload

    def to_json(self, tz: dt.tzinfo) -> dict[str, Any]:
        """The public form printed by `bdhvs reminders preview --json`."""
        return {
            "rule": self.rule,
            "channel": self.channel,
            "chat_id": self.chat_id,
            "group": self.group,
            "text": self.text,
            "recipient": {
                "member_id": self.member_id,
                "name": self.name,
                "role": self.role,
                "locale": self.locale,
                "area": self.area,
            },
            "at": self.at.astimezone(tz).isoformat(),
            "period": self.period,
            "idempotency_key": self.key,
        }


def member_key(kind: str, period: str, slot: str, member_id: int) -> str:
    """The idempotency key (rule, period, slot, recipient) that makes a reminder go out once."""
    return f"{KEY_PREFIX}{kind}:{period}:{slot}:m{member_id}"


def group_key(kind: str, period: str, slot: str, channel: str, chat_id: str) -> str:
    """The idempotency key of a reminder to a group chat (rule, period, slot, the group)."""
    return f"{KEY_PREFIX}{kind}:{period}:{slot}:g:{channel}:{chat_id}"
