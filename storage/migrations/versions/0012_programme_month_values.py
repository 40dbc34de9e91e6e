"""a commune's monthly figures of the programmes it enters itself, typed in /chiso (table added)

Revision ID: 0012_programme_month_values
Revises: 0011_web_sign_in
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0012_programme_month_values"
down_revision: str | None = "0011_web_sign_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programmemonthvalue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("denominator", sa.Integer(), nullable=True),
        sa.Column("entered_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["commune_code"], ["commune.code"]),
        sa.ForeignKeyConstraint(["entered_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_code", "month", "programme", name="uq_programme_month_value"),
    )


def downgrade() -> None:
    op.drop_table("programmemonthvalue")
