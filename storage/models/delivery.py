"""The engine and the edges: conversation state, processed updates, the outbox, stored files, choices offered,
settings, instances and the shared send pace."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, LargeBinary, text
from sqlmodel import Field, SQLModel

from storage.models.rows import empty_dict, empty_list


class ConversationState(SQLModel, table=True):
    """Where a person is in a conversation; kept in the database so restarts lose nothing.

    A person has one conversation in their private chat (`group_id` empty) and one in each group chat where
    they talk to the bot: a read-back started in a group belongs to its author, in that group."""

    channel: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    group_id: str = Field(default="", primary_key=True)  # the group chat's id; "" for the private chat
    name: str = "idle"
    data: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON, nullable=False))
    locale: str | None = None  # chosen before joining
    updated_at: dt.datetime


class ProcessedUpdate(SQLModel, table=True):
    """An update already processed: a redelivered one is recognised and does nothing twice."""

    channel: str = Field(primary_key=True)
    update_id: str = Field(primary_key=True)
    processed_at: dt.datetime


class OutboxMessage(SQLModel, table=True):
    """Something to send, written in the same transaction as the change that caused it."""

    __table_args__ = (
        Index("ix_outbox_status_id", "status", "id"),
        # What a claim on PostgreSQL asks of a chat's other rows (leased elsewhere? waiting before this one?):
        # only the rows still to send are indexed, a small part of the table at scale.
        Index(
            "ix_outbox_pending_chat",
            "channel",
            "chat_id",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    # BigInteger at national scale; SQLite only auto-increments an INTEGER primary key.
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    )
    channel: str
    chat_id: str
    kind: str  # message | edit | answer_callback | set_commands
    payload: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON, nullable=False))
    idempotency_key: str | None = Field(default=None, unique=True)
    status: str = "pending"  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    last_error: str | None = None
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    # Several instances on PostgreSQL: which instance holds the row and until when (database time). Another
    # takes it once the lease has run out (the holder died); unused on SQLite, where one instance runs.
    claimed_by: str | None = None
    lease_until: dt.datetime | None = None
    bot: str | None = None  # the bot (its key) that sends it; None: the channel's default bot


class StoredFile(SQLModel, table=True):
    """A generated file (chart, report) kept for sending and for expiring download links."""

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(unique=True)
    filename: str
    mime_type: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime
    expires_at: dt.datetime


class OfferedChoices(SQLModel, table=True):
    """The numbered choices last shown to a person on a channel without buttons (Zalo), to read "2" back."""

    channel: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    group_id: str = Field(default="", primary_key=True)  # as in ConversationState: "" for the private chat
    # [label, payload] of each choice
    choices: list[list[str]] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
    offered_at: dt.datetime


class BotSetting(SQLModel, table=True):
    """Small facts the running bot learns and the CLI needs, e.g. the bot's username for deep links."""

    key: str = Field(primary_key=True)
    value: str
    updated_at: dt.datetime


class BotInstance(SQLModel, table=True):
    """A running `bdhvs run` process on a shared (PostgreSQL) database: its heartbeat and the roles it holds."""

    id: str = Field(primary_key=True)  # host, process id and a random part: unique per start
    host: str
    pid: int
    started_at: dt.datetime
    seen_at: dt.datetime  # database time of its latest heartbeat
    roles: str = ""  # the leader roles it holds, comma-separated (scheduler, polling:telegram:..., sender)


class SendPace(SQLModel, table=True):
    """One bot token's shared rate on PostgreSQL: the earliest moment its next send may go (a GCRA's theoretical
    arrival time, in database seconds since the epoch), moved forward atomically by each instance that sends."""

    key: str = Field(primary_key=True)  # channel and a hash of the token, never the token itself
    next_at: float = 0.0
