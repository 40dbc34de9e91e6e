"""The conversation engine: one incoming update, one database transaction.

dedupe on (channel, update id) -> load member and state -> route to a handler -> save state ->
put the replies in the outbox. Everything is committed together, so a reply is never promised
without the change it reports, and a redelivered update changes and sends nothing twice.

Several instances on one PostgreSQL database (webhook updates reaching any of them): each transaction first
takes a transaction-level advisory lock on its chat (`chat_lock_key`), so two updates of one chat are never
handled at the same time anywhere; the second waits until the first committed, then reads what it wrote. They
are handled in the order they reach the lock, which PostgreSQL grants first come, first served: the order in
which they arrived, whenever one arrived after the other had started. A later update that arrives first (the
platform pushed two of one chat on two connections at the same moment, or the earlier one was retried) is
handled first, and the earlier one right after it, never dropped: a button press meant for a step already
passed is refused as stale by its handler, as it would be from one instance. Within one instance the update
thread already handles one update at a time; on SQLite one instance runs and no lock is taken.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, func
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from bot import choices
from bot.clock import Clock, local_today
from bot.i18n import Translator
from bot.messages import Incoming, Reply, chat_hash
from bot.settings import Config
from handlers.base import IDLE, Turn
from handlers.menu import command_menu
from storage import outbox, outbox_leases, reports, turn_writes
from storage.db import Database, conflict_insert
from storage.models import (
    ChannelAccount,
    ConversationState,
    Member,
    MonthlyReport,
    ProcessedUpdate,
    ProvinceProgramme,
    Village,
    table_of,
)
from storage.outbox import OutboxItem
from storage.periods import month_start
from storage.programmes import provinces

log = logging.getLogger(__name__)

Router = Callable[[Turn], None]


class Outcome(enum.Enum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    FAILED = "failed"  # the handler crashed; the person was told, the update is not retried
    DROPPED = "dropped"  # over the account's flood limit: acknowledged, not processed (bot/flood.py)


class UpdateProcessor(Protocol):
    """What the channels hand updates to: the engine here, or the engine in its own process
    (`bot.engine_process.EngineProcess`). Both block; call them from the update thread only."""

    def process(self, incoming: Incoming) -> Outcome: ...

    def process_each(self, incomings: Sequence[Incoming]) -> Iterator[Outcome]: ...


# Built once: SQLAlchemy then finds the compiled form by the statement's identity, not by walking it.
_LOAD_TURN = (
    select(ChannelAccount, Member, ConversationState, Village)
    .join(Member, col(Member.id) == col(ChannelAccount.member_id))
    .outerjoin(
        ConversationState,
        and_(
            col(ConversationState.channel) == col(ChannelAccount.channel),
            col(ConversationState.user_id) == col(ChannelAccount.user_id),
            col(ConversationState.group_id) == bindparam("group_id"),
        ),
    )
    .outerjoin(Village, col(Village.id) == col(Member.village_id))
    .where(col(ChannelAccount.channel) == bindparam("channel"), col(ChannelAccount.user_id) == bindparam("user_id"))
)


@functools.cache
def _load_turn_statement(dialect: str) -> Any:
    """`_LOAD_TURN`; on PostgreSQL with two more columns that most logging turns read next, each a round trip of
    its own otherwise: the programmes the member's province runs (an array, NULL for none) and the status of
    their commune's report for the month of the `month` parameter (NULL: no report)."""
    if dialect != "postgresql":
        return _LOAD_TURN
    programmes, reports = table_of(ProvinceProgramme), table_of(MonthlyReport)
    enabled = (
        select(func.array_agg(programmes.c.programme))
        .where(programmes.c.province_code == col(Member.province_code), programmes.c.enabled.is_(True))
        .scalar_subquery()
    )
    report_status = (
        select(reports.c.status)
        .where(
            reports.c.commune_code == col(Member.commune_code),
            reports.c.month == bindparam("month", type_=reports.c.month.type),
        )
        .scalar_subquery()
    )
    return _LOAD_TURN.add_columns(enabled, report_status)


# The two-part key of a chat's lock: our own space (any 32-bit number of ours) and the chat's hash.
CHAT_LOCK_SPACE = 0x62646876  # "bdhv"


def chat_lock_key(channel: str, chat_id: str) -> int:
    """The chat's part of its lock key: a signed 32-bit hash of (channel, chat id); a rare collision of two
    chats only makes them wait for each other."""
    key = chat_hash(channel, chat_id)
    return key - (1 << 32) if key >= 1 << 31 else key


@functools.cache
def _state_statement(dialect: str) -> Any:
    """Write a conversation state, new or not: INSERT ... ON CONFLICT DO UPDATE, built once per dialect; its time
    is the `stamped_at` parameter. (With leases, PostgreSQL: storage/turn_writes.py:save_turn instead.)"""
    table = ConversationState.__table__  # type: ignore[attr-defined]  # set by SQLModel, not in its stubs
    stamped_at: Any = bindparam("stamped_at", type_=table.c.updated_at.type)
    upsert = conflict_insert(dialect, table).values(updated_at=stamped_at)
    return upsert.on_conflict_do_update(
        index_elements=["channel", "user_id", "group_id"],
        set_={name: upsert.excluded[name] for name in ("name", "data", "locale", "updated_at")},
    )


@functools.cache
def _claim_statement(dialect: str) -> Any:
    """INSERT INTO processedupdate ... ON CONFLICT DO NOTHING RETURNING, built once per dialect."""
    table = ProcessedUpdate.__table__  # type: ignore[attr-defined]  # set by SQLModel, not in its stubs
    return conflict_insert(dialect, table).on_conflict_do_nothing().returning(table.c.update_id)


def processed_id(incoming: Incoming) -> str:
    """How an update is remembered as processed: update ids are counted per bot token, so another bot's update
    42 is not this one's (the default bot's are kept as they are, as in a single-bot database)."""
    return f"{incoming.bot}:{incoming.update_id}" if incoming.bot else incoming.update_id


class ConversationEngine:
    """Turns incoming updates into state changes and outbox items."""

    def __init__(
        self,
        database: Database,
        config: Config,
        clock: Clock,
        router: Router,
        on_outbox: Callable[[list[OutboxItem]], None] | None = None,
        lease: tuple[str, float] | None = None,
    ) -> None:
        self.database = database
        self.config = config
        self.clock = clock
        self.router = router
        # After each commit: the outbox items it wrote, for the sender to send without reading them back.
        self.on_outbox = on_outbox or (lambda items: None)
        self._shared = not database.is_sqlite  # PostgreSQL: other instances may handle this chat's updates
        # Several instances: (this instance's name in the leases, their life in seconds): the replies are leased
        # to it as they are written when their chat is free, so its sender needs no claim to send them.
        self.lease = lease if self._shared else None

    def process(self, incoming: Incoming, along: Callable[[Connection], None] | None = None) -> Outcome:
        """Handle one update exactly once (blocking; run it off the event loop).

        `along`: other writes to commit in the same transaction, made first (on SQLite, the sender's marks:
        bot/engine_process.py); they are rolled back with it when a handler fails (`Outcome.FAILED`)."""
        try:
            with self.database.session() as session:
                written = session.info
                if along is not None:
                    along(session.connection())
                if not self._claim(session, incoming):
                    return Outcome.DUPLICATE
                # Zalo has no buttons: "2" or a choice's words become that button's payload.
                turn = self._load_turn(session, choices.resolve(session, incoming))
                before = choices.step_of(turn.state)
                self.router(turn)
                choices.after_turn(session, turn.incoming, turn.replies, turn.state, before, self.clock.now())
                self._finish(session, turn)
        except Exception:  # a handler's bug must not stop the update thread: roll back, log, apologise
            log.exception("handler failed on %s update %s", incoming.channel, incoming.update_id)
            self.on_outbox(self._apologise(incoming))
            return Outcome.FAILED
        self.on_outbox(list(written.get(outbox.NEW_ITEMS, ())))
        return Outcome.HANDLED

    def process_each(self, incomings: Sequence[Incoming]) -> Iterator[Outcome]:
        """Handle updates in order, yielding each outcome after its commit (a polled batch)."""
        for incoming in incomings:
            yield self.process(incoming)

    # -- steps ----------------------------------------------------------------------------------

    def _claim(self, session: Session, incoming: Incoming) -> bool:
        """Record the update as processed; False if it already was (one INSERT ... ON CONFLICT DO NOTHING).

        PostgreSQL: the same statement first takes the chat's lock (several instances may hold updates of this
        chat: one at a time). The conflict is decided on the unique index, which sees what committed while the
        statement waited for the lock; the statements after it read the chat as the previous holder left it."""
        connection = session.connection()
        values: dict[str, Any] = {
            "channel": incoming.channel,
            "update_id": processed_id(incoming),
            "processed_at": self.clock.now(),
        }
        if self._shared:  # with leases, the claims' lock too, for the replies' (storage/turn_writes.py)
            key = chat_lock_key(incoming.channel, incoming.chat_id)
            claims = outbox_leases.CLAIM_LOCK if self.lease is not None else None
            return turn_writes.claim_update(connection, **values, space=CHAT_LOCK_SPACE, key=key, claims=claims)
        return connection.execute(_claim_statement(connection.dialect.name), values).first() is not None

    def _load_turn(self, session: Session, incoming: Incoming) -> Turn:
        """The turn for an update: who wrote (if known), their state and language."""
        # Account, member, conversation state and the member's village in one query (the village then comes
        # from the session's identity map when a handler asks for it); a stranger's state on its own.
        params: dict[str, Any] = {
            "channel": incoming.channel,
            "user_id": incoming.user_id,
            "group_id": incoming.group_id,
        }
        if self._shared:
            month = month_start(local_today(self.clock, self.config.tz))
            params["month"] = month
        found = session.exec(_load_turn_statement(self.database.engine.dialect.name), params=params).first()
        account: ChannelAccount | None = None
        member: Member | None = None
        state: ConversationState | None
        if found is not None:
            account, member, state, village, *read_ahead = found
            session.info["bdhvs.engine.village"] = village  # the identity map holds objects weakly: keep it
            if read_ahead:  # PostgreSQL: what the handlers would read next, remembered for this transaction
                enabled, report_status = read_ahead
                if member.province_code is not None:
                    provinces.remember_enabled(session, member.province_code, enabled or ())
                if member.commune_code is not None:
                    reports.remember_status(session, member.commune_code, month, report_status)
        else:
            state = session.get(ConversationState, (incoming.channel, incoming.user_id, incoming.group_id))
        if state is not None:
            # Not tracked by the session: handlers change it freely and `_finish` writes it once.
            session.expunge(state)
        if member is not None and member.unreachable:
            member.unreachable = False  # they wrote to us, so they no longer block the bot
            session.add(member)
        if state is None:
            state = ConversationState(
                channel=incoming.channel,
                user_id=incoming.user_id,
                group_id=incoming.group_id,
                name=IDLE,
                data={},
                locale=None,  # Vietnamese until the person chooses otherwise (/lang)
                updated_at=self.clock.now(),
            )
        locale = member.locale if member else (state.locale or "vi")
        return Turn(
            incoming=incoming,
            session=session,
            config=self.config,
            clock=self.clock,
            state=state,
            member=member,
            account=account,
            tr=Translator(locale),
        )

    def _finish(self, session: Session, turn: Turn) -> None:
        """Write the state once and turn the replies (and a new command menu) into outbox rows."""
        incoming, now = turn.incoming, self.clock.now()
        state = turn.state
        state.updated_at = now
        state_row = {
            "channel": state.channel,
            "user_id": state.user_id,
            "group_id": state.group_id,
            "name": state.name,
            "data": state.data,
            "locale": state.locale,
        }
        chat_id = turn.account.chat_id if turn.account else incoming.chat_id
        items: list[dict[str, Any]] = []
        if incoming.callback_id:
            items.append(
                {
                    "channel": incoming.channel,
                    "chat_id": incoming.chat_id,
                    "kind": outbox.KIND_ANSWER_CALLBACK,
                    "payload": {"callback_id": incoming.callback_id, "text": turn.toast},
                    "bot": incoming.bot,
                }
            )
        replies = list(turn.replies)
        if incoming.payload and incoming.message_id and not turn.leave_pressed and not any(r.edit for r in replies):
            # Close the pressed message: keep its text, drop its buttons, show what was chosen.
            closed = (incoming.message_text or "").rstrip()
            if incoming.button_label:
                closed = f"{closed}\n\n➡️ {incoming.button_label}".strip()
            replies.insert(0, Reply(text=closed or "✔", edit=True))
        for reply in replies:
            payload = reply.to_payload()
            kind = outbox.KIND_MESSAGE
            if reply.edit and incoming.message_id:
                kind = outbox.KIND_EDIT
                payload["message_id"] = incoming.message_id
            items.append(
                {
                    "channel": incoming.channel,
                    "chat_id": incoming.chat_id,
                    "kind": kind,
                    "payload": payload,
                    "bot": incoming.bot,
                }
            )
        if turn.commands_changed and (turn.account is not None or incoming.chat_type == "private"):
            items.append(
                {
                    "channel": incoming.channel,
                    "chat_id": chat_id,
                    "kind": outbox.KIND_SET_COMMANDS,
                    "payload": {"commands": command_menu(turn.member, turn.tr), "language": turn.tr.locale},
                    "bot": incoming.bot,
                }
            )
        if self.lease is None:
            connection = session.connection()
            connection.execute(_state_statement(connection.dialect.name), {**state_row, "stamped_at": now})
            outbox.enqueue_many(session, items, now=now)
        else:
            # Several instances: the state and the replies in one statement, each reply leased to this instance
            # (`lease`: its name, the lease's life in seconds) where its chat is free; the claims' lock was taken
            # with the update's claim.
            owner, seconds = self.lease
            turn_writes.save_turn(session, state_row, items, owner=owner, lease=dt.timedelta(seconds=seconds), now=now)

    def _apologise(self, incoming: Incoming) -> list[OutboxItem]:
        """After a crash: remember the update (so it is not retried forever) and say sorry.

        Returns the outbox items written (the apology, the callback answer)."""
        written: dict[str, Any] = {}
        try:
            with self.database.session() as session:
                written = session.info
                if session.get(ProcessedUpdate, (incoming.channel, processed_id(incoming))) is not None:
                    return []
                session.add(
                    ProcessedUpdate(
                        channel=incoming.channel, update_id=processed_id(incoming), processed_at=self.clock.now()
                    )
                )
                state = session.get(ConversationState, (incoming.channel, incoming.user_id, incoming.group_id))
                tr = Translator((state.locale if state else None) or "vi")
                if state is not None:
                    state.name, state.data = IDLE, {}
                    session.add(state)
                _ = tr.gettext
                outbox.enqueue(
                    session,
                    channel=incoming.channel,
                    chat_id=incoming.chat_id,
                    kind=outbox.KIND_MESSAGE,
                    payload=Reply(
                        _(
                            "Xin lỗi, hệ thống vừa gặp trục trặc nên chưa làm được việc này. "
                            "Những gì bạn đã lưu trước đó vẫn còn nguyên. Bạn vui lòng thử lại sau ít phút."
                        )
                    ).to_payload(),
                    now=self.clock.now(),
                    bot=incoming.bot,
                )
                if incoming.callback_id:
                    outbox.enqueue(
                        session,
                        channel=incoming.channel,
                        chat_id=incoming.chat_id,
                        kind=outbox.KIND_ANSWER_CALLBACK,
                        payload={"callback_id": incoming.callback_id, "text": None},
                        now=self.clock.now(),
                        bot=incoming.bot,
                    )
        except Exception:  # the apology is best effort: the update thread goes on even if the database is down
            log.exception("could not record the failed update %s", incoming.update_id)
            return []
        return list(written.get(outbox.NEW_ITEMS, ()))
