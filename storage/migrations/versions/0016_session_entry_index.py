"""an index of the sessions by commune and entry time, for supervision's sessions entered in a period

Revision ID: 0016_session_entry_index
Revises: 0014_shared_instances
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_session_entry_index"
down_revision: str | None = "0014_shared_instances"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_session_commune_created", "trainingsession", ["commune_code", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_session_commune_created", table_name="trainingsession")
