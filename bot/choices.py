"""Numbered choices for channels without buttons (Zalo): offer them as numbered lines, read the answer back.

A Reply's buttons are rendered by the channel as "1. Hôm nay (25/11)" lines. What was offered is remembered
per (channel, user) in the database (`OfferedChoices`), and an answer — `2`, `số 2`, `so 2`, or the words of
a choice, diacritics optional — becomes an `Incoming` with that button's payload before routing, so the
handlers see exactly what a button press on Telegram gives them.

What counts as "offered": the last reply with buttons of a turn (the engine records it in the turn's
transaction). A turn without buttons that moves the conversation to another step (e.g. "how many people?
type a number") forgets the old choices, so a typed "2" is then a number, not choice 2; a turn without
buttons that stays on the same step (a re-prompt after a wrong answer) keeps them. Messages sent outside a
turn (reminders, which carry an idempotency key) are recorded by the renderer when they are delivered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import Session, select

from bot.i18n import Translator
from bot.messages import Button, Incoming
from storage.models import ChannelAccount, ConversationState, OfferedChoices

NUMBERED_CHANNELS = frozenset({"zalo"})
MAX_WORDS = 8  # a longer message is something to read, never a choice

_NON_WORD = re.compile(r"[^0-9a-z]+")
_NUMBER_ANSWER = re.compile(r"^(?:(?:so|chon|lua chon|phuong an|muc|number|no|option|choice)\s*)?(\d{1,3})$")
_PARENTHESES = re.compile(r"\([^)]*\)")

Choice = tuple[str, str]  # (label, payload)


def key(text: str) -> str:
    """Lower case, no diacritics (đ -> d), no emoji or punctuation, single spaces."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) not in ("Mn", "Me"))
    return _NON_WORD.sub(" ", stripped.lower()).strip()


def flatten(rows: Sequence[Sequence[Any]] | None) -> list[Choice]:
    """The choices of a Reply's buttons (Button objects or their outbox form), row by row, left to right."""
    choices: list[Choice] = []
    for row in rows or []:
        for button in row or []:
            if isinstance(button, Button):
                choices.append((button.label, button.payload))
            elif isinstance(button, dict):
                choices.append((str(button.get("label", "")), str(button.get("payload", ""))))
    return choices


def numbered_text(text: str, rows: Sequence[Sequence[Any]] | None, tr: Translator) -> str:
    """The text with its buttons as numbered lines and a one-line hint on how to answer."""
    choices = flatten(rows)
    if not choices:
        return text
    lines = [f"{index}. {label}" for index, (label, _payload) in enumerate(choices, start=1)]
    hint = tr.gettext("Bạn trả lời bằng số, ví dụ {example}.").format(example=1)
    head = text.rstrip()
    return (head + "\n\n" if head else "") + "\n".join(lines) + "\n" + hint


def match(text: str, choices: Sequence[Choice]) -> int | None:
    """The index of the choice an answer names, or None (not an answer, or ambiguous)."""
    answer = key(text)
    if not answer or not choices:
        return None
    number = _NUMBER_ANSWER.match(answer)
    if number and not text.strip().startswith("-"):  # "-1" is a (wrong) count, not choice 1
        value = int(number.group(1))
        return value - 1 if 1 <= value <= len(choices) else None
    words = answer.split()
    if len(words) > MAX_WORDS:
        return None
    labels = [key(label) for label, _payload in choices]
    cores = [key(_PARENTHESES.sub(" ", label)) for label, _payload in choices]

    def unique(hits: list[int]) -> int | None:
        """The one choice all hits point to, or None when they disagree."""
        return hits[0] if len(set(hits)) == 1 else None

    exact = [i for i, (full, core) in enumerate(zip(labels, cores, strict=True)) if answer in (full, core)]
    if exact:
        return unique(exact)
    prefix = [i for i, core in enumerate(cores) if core.split()[: len(words)] == words]
    if prefix:
        return unique(prefix)
    if not any(len(word) >= 3 for word in words):
        return None  # "2 3", "a": too little to go on
    contained = [i for i, core in enumerate(cores) if set(words) <= set(core.split())]
    return unique(contained) if contained else None


# -- remembering what was offered -----------------------------------------------------------------


def remember(
    session: Session, channel: str, user_id: str, choices: Iterable[Choice], now: dt.datetime, group_id: str = ""
) -> None:
    """Replace the choices offered to a person (in their private chat, or in one group)."""
    data = [[label, payload] for label, payload in choices]
    row = session.get(OfferedChoices, (channel, user_id, group_id))
    if row is None:
        session.add(OfferedChoices(channel=channel, user_id=user_id, group_id=group_id, choices=data, offered_at=now))
    else:
        row.choices, row.offered_at = data, now
        session.add(row)


def forget(session: Session, channel: str, user_id: str, group_id: str = "") -> None:
    """Drop the choices offered to a person (a new step offers its own)."""
    row = session.get(OfferedChoices, (channel, user_id, group_id))
    if row is not None:
        session.delete(row)


def offered(session: Session, channel: str, user_id: str, group_id: str = "") -> list[Choice]:
    """The (label, payload) choices last offered to a person (in a chat), in order."""
    row = session.get(OfferedChoices, (channel, user_id, group_id))
    return [(label, payload) for label, payload in (row.choices if row else [])]


def remember_for_chat(
    session: Session, channel: str, chat_id: str, rows: Sequence[Sequence[Any]] | None, now: dt.datetime
) -> None:
    """Choices of a message sent outside a turn (a reminder): offered to the people whose chat it is."""
    choices = flatten(rows)
    if not choices:
        return
    accounts = session.exec(
        select(ChannelAccount).where(ChannelAccount.channel == channel, ChannelAccount.chat_id == chat_id)
    ).all()
    for user_id in {account.user_id for account in accounts} or {chat_id}:
        remember(session, channel, user_id, choices, now)


def step_of(state: ConversationState) -> tuple[str, Any]:
    """Where a conversation is: the step and the flow's nonce."""
    return state.name, (state.data or {}).get("nonce")


def resolve(session: Session, incoming: Incoming) -> Incoming:
    """An answer to offered choices becomes the chosen button's payload; anything else is left alone."""
    if incoming.channel not in NUMBERED_CHANNELS or incoming.payload or not incoming.text:
        return incoming
    if incoming.text.strip().startswith("/"):
        return incoming  # a command is never a choice
    choices = offered(session, incoming.channel, incoming.user_id, incoming.group_id)
    index = match(incoming.text, choices)
    if index is None:
        return incoming
    label, payload = choices[index]
    return dataclasses.replace(incoming, payload=payload, button_label=label)


def after_turn(
    session: Session,
    incoming: Incoming,
    replies: Sequence[Any],
    state: ConversationState,
    before: tuple[str, Any],
    now: dt.datetime,
) -> None:
    """Record the choices a turn offered (see the module docstring for the rule)."""
    if incoming.channel not in NUMBERED_CHANNELS:
        return
    with_buttons = [reply for reply in replies if flatten(getattr(reply, "buttons", None))]
    if with_buttons:
        remember(session, incoming.channel, incoming.user_id, flatten(with_buttons[-1].buttons), now, incoming.group_id)
    elif step_of(state) != before:
        forget(session, incoming.channel, incoming.user_id, incoming.group_id)
