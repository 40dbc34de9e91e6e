"""The wrong-code limit: a burst of guessed invite codes from one account is checked 5 times, then waits.

60 wrong codes (as `/start CODE` and typed alone) from one account, through two engines sharing the database
(two processes, or a restart): only 5 are checked, the account is told once to wait 10 minutes, nothing else
is answered, the right code is not accepted during the wait, and once the clock has moved 10 minutes it is.
Prints «wrong-codes: N tried, M checked».
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from handlers.router import route
from storage import invites
from storage.db import Database
from storage.invites import ALPHABET
from storage.models import Member
from tests.chat import ChatDriver, Sent

pytestmark = pytest.mark.reliability

SON_KIM_1 = 18196
GUESSER = "7700"
BURST = 60
WRONG = "Mã mời này không đúng"
WAIT_NOTICE = "Bạn đã nhập sai mã nhiều lần. Bạn vui lòng đợi 10 phút rồi thử lại nhé."


def guesses(right: str) -> list[str]:
    """BURST random codes of the invite alphabet, never the right one, in both shapes the bot reads."""
    out: list[str] = []
    while len(out) < BURST:
        code = "".join(secrets.choice(ALPHABET) for _ in range(invites.CODE_LENGTH))
        if code != right:
            out.append(f"/start {code}" if len(out) % 2 == 0 else code.lower())
    return out


def test_a_burst_of_wrong_codes_is_checked_five_times_then_waits(
    database: Database, config: Config, clock: FixedClock
) -> None:
    with database.session() as session:
        right = invites.create_invite(
            session, role="commune_leader", commune_code=SON_KIM_1, now=clock.now(), days=7, max_uses=1
        ).code
    drivers = [ChatDriver(ConversationEngine(database, config, clock, route), database) for _ in range(2)]
    turn = itertools.cycle(drivers)
    answers: list[list[Sent]] = []
    sent_at: list[dt.datetime] = []
    for text in guesses(right):
        sent_at.append(clock.now())
        answers.append(next(turn).say(GUESSER, text))
        clock.advance(dt.timedelta(milliseconds=200))  # a burst: 60 codes in 12 seconds
    texts = [sent.text for replies in answers for sent in replies]
    checked = sum(WRONG in text for text in texts)
    notices = sum(WAIT_NOTICE in text for text in texts)
    print(f"\nwrong-codes: {len(answers)} tried, {checked} checked", flush=True)
    assert checked == invites.WRONG_CODE_LIMIT and notices == 1 and len(texts) == checked
    assert all(replies == [] for replies in answers[checked:])  # nothing answered after the notice

    assert next(turn).say(GUESSER, f"/start {right}") == []  # the right code waits too
    wait_ends = sent_at[checked - 1] + invites.WRONG_CODE_WAIT  # ten minutes from the code that was one too many
    clock.set(wait_ends - dt.timedelta(seconds=1))
    assert next(turn).say(GUESSER, right) == []
    clock.set(wait_ends)
    welcome = next(turn).say(GUESSER, f"/start {right}")
    assert "Chào mừng" in welcome[0].text
    with database.session() as session:
        assert session.exec(select(Member).where(Member.joined_with == right)).one().role == "commune_leader"


LINK_WRONG = "Mã liên kết không đúng"


def test_guessed_link_codes_wait_like_invite_codes(database: Database, config: Config, clock: FixedClock) -> None:
    """An 8-digit link code lives 10 minutes: guessing it is limited by the same counter as invite codes."""
    driver = ChatDriver(ConversationEngine(database, config, clock, route), database)
    guesses_made = [f"{n:08d}" if n % 2 else f"/lienket {n:08d}" for n in range(10_000_000, 10_000_000 + BURST)]
    texts = [sent.text for text in guesses_made for sent in driver.say(GUESSER, text)]
    checked = sum(LINK_WRONG in text for text in texts)
    print(f"\nwrong-link-codes: {len(guesses_made)} tried, {checked} checked", flush=True)
    assert checked == invites.WRONG_CODE_LIMIT and sum(WAIT_NOTICE in text for text in texts) == 1
    assert len(texts) == checked
