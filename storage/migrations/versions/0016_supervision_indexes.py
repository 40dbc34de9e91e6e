"""indexes of the sessions for supervision: by commune and entry time (the sessions entered in a period), by village
and day (a session's village's weeks before it, for the crowds)

Revision ID: 0016_supervision_indexes
Revises: 0015_bots_per_province
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_supervision_indexes"
down_revision: str | None = "0015_bots_per_province"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_session_commune_created", "trainingsession", ["commune_code", "created_at"], unique=False)
    op.create_index("ix_session_village_date", "trainingsession", ["village_id", "session_date"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_session_village_date", table_name="trainingsession")
    op.drop_index("ix_session_commune_created", table_name="trainingsession")
