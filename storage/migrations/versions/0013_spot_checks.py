"""supervision: spot checks of sessions drawn at random, and what the supervisor found (table added)

Revision ID: 0013_spot_checks
Revises: 0012_programme_month_values
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0013_spot_checks"
down_revision: str | None = "0012_programme_month_values"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spotcheck",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("drawn_by", sa.Integer(), nullable=False),
        sa.Column("drawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["commune_code"], ["commune.code"]),
        sa.ForeignKeyConstraint(["session_id"], ["trainingsession.id"]),
        sa.ForeignKeyConstraint(["drawn_by"], ["member.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_spotcheck_commune_code"), "spotcheck", ["commune_code"], unique=False)
    op.create_index(op.f("ix_spotcheck_session_id"), "spotcheck", ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_spotcheck_session_id"), table_name="spotcheck")
    op.drop_index(op.f("ix_spotcheck_commune_code"), table_name="spotcheck")
    op.drop_table("spotcheck")
