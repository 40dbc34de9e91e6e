"""the leaders' page: one-time sign-in links and browser sessions, both kept as hashes (tables added)

Revision ID: 0011_web_sign_in
Revises: 0010_programme_records
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0011_web_sign_in"
down_revision: str | None = "0010_programme_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _table(name: str, last: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column(last, sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f(f"ix_{name}_member_id"), name, ["member_id"], unique=False)


def upgrade() -> None:
    _table("websignin", "used_at")
    _table("websession", "ended_at")


def downgrade() -> None:
    op.drop_index(op.f("ix_websession_member_id"), table_name="websession")
    op.drop_table("websession")
    op.drop_index(op.f("ix_websignin_member_id"), table_name="websignin")
    op.drop_table("websignin")
