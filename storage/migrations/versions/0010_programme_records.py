"""programme figures logged by village teams, and the priority groups of a session's attendees (tables added)

Revision ID: 0010_programme_records
Revises: 0009_programmes
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010_programme_records"
down_revision: str | None = "0009_programmes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programmerecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("record_date", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("mentor", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["commune_code"], ["commune.code"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["trainingsession.id"]),
        sa.ForeignKeyConstraint(["village_id"], ["village.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_programme_record_commune_date", "programmerecord", ["commune_code", "record_date"])
    op.create_index(op.f("ix_programmerecord_member_id"), "programmerecord", ["member_id"])
    op.create_index(op.f("ix_programmerecord_village_id"), "programmerecord", ["village_id"])
    op.create_table(
        "sessionprioritygroup",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("group", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["trainingsession.id"]),
        sa.PrimaryKeyConstraint("session_id", "group"),
    )


def downgrade() -> None:
    op.drop_table("sessionprioritygroup")
    op.drop_index(op.f("ix_programmerecord_village_id"), table_name="programmerecord")
    op.drop_index(op.f("ix_programmerecord_member_id"), table_name="programmerecord")
    op.drop_index("ix_programme_record_commune_date", table_name="programmerecord")
    op.drop_table("programmerecord")
