"""a bot per province: the bot an outbox row goes through, an account talks to, a group was seen by (columns added)

NULL names the channel's default bot (a single-bot deployment names none), so existing rows keep their meaning.

Revision ID: 0015_bots_per_province
Revises: 0014_shared_instances
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0015_bots_per_province"
down_revision: str | None = "0014_shared_instances"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("outboxmessage", "channelaccount", "groupchat")


def upgrade() -> None:
    for table in TABLES:  # a nullable column: both databases add it without rewriting the table
        op.add_column(table, sa.Column("bot", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("bot")
