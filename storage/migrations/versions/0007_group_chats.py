"""group chats bound to an area, a conversation per person and group, a commune's reminder delivery choice

Revision ID: 0007_groups
Revises: 0006_members
Create Date: 2026-12-04
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007_groups"
down_revision: str | None = "0006_members"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose primary key gains the group: (channel, user_id) -> (channel, user_id, group_id).
_PER_CHAT = ("conversationstate", "offeredchoices")


def upgrade() -> None:
    op.create_table(
        "groupchat",
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=True),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("bound_by", sa.Integer(), nullable=True),
        sa.Column("bound_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("joined_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("greeted", sa.Boolean(), nullable=False),
        sa.Column("left_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["bound_by"], ["member.id"]),
        sa.ForeignKeyConstraint(["commune_code"], ["commune.code"]),
        sa.ForeignKeyConstraint(["village_id"], ["village.id"]),
        sa.PrimaryKeyConstraint("channel", "chat_id"),
    )
    op.create_index(op.f("ix_groupchat_commune_code"), "groupchat", ["commune_code"], unique=False)
    op.create_index(op.f("ix_groupchat_village_id"), "groupchat", ["village_id"], unique=False)
    op.create_table(
        "communesetting",
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("reminder_delivery", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["commune_code"], ["commune.code"]),
        sa.ForeignKeyConstraint(["updated_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("commune_code"),
    )
    for table in _PER_CHAT:
        _set_primary_key(table, ["channel", "user_id", "group_id"], add_group=True)


def downgrade() -> None:
    for table in _PER_CHAT:
        op.execute(sa.text(f"DELETE FROM {table} WHERE group_id <> ''"))
        _set_primary_key(table, ["channel", "user_id"], add_group=False)
    op.drop_table("communesetting")
    op.drop_index(op.f("ix_groupchat_village_id"), table_name="groupchat")
    op.drop_index(op.f("ix_groupchat_commune_code"), table_name="groupchat")
    op.drop_table("groupchat")


def _columns(table: str, *, with_group: bool) -> list[sa.Column[Any]]:
    """The columns of a per-chat table as they were (0001, 0005), with `group_id` after `user_id` if asked."""
    keys: list[sa.Column[Any]] = [
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    ]
    if with_group:
        keys.append(sa.Column("group_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False))
    if table == "conversationstate":
        return [
            *keys,
            sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
            sa.Column("data", sa.JSON(), nullable=False),
            sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
            sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        ]
    return [
        *keys,
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("offered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    ]


def _set_primary_key(table: str, columns: list[str], *, add_group: bool) -> None:
    """Add (or drop) `group_id` and make `columns` the primary key. Existing rows are private-chat
    conversations: group_id "". PostgreSQL alters in place; SQLite, which cannot change a primary key, copies
    the rows into a table of the new shape."""
    if op.get_bind().dialect.name == "postgresql":
        if add_group:
            op.add_column(table, sa.Column("group_id", sa.String(), nullable=False, server_default=""))
            op.alter_column(table, "group_id", server_default=None)
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, columns)
        if not add_group:
            op.drop_column(table, "group_id")
        return
    rebuilt = f"_rebuilt_{table}"
    new_columns = _columns(table, with_group=add_group)
    op.create_table(rebuilt, *new_columns, sa.PrimaryKeyConstraint(*columns))
    names = [column.name for column in new_columns]
    selected = ["''" if name == "group_id" else name for name in names]
    op.execute(sa.text(f"INSERT INTO {rebuilt} ({', '.join(names)}) SELECT {', '.join(selected)} FROM {table}"))
    op.drop_table(table)
    op.rename_table(rebuilt, table)
