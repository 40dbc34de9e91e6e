"""covering indexes of the sessions: by commune and day, by village and day, and by commune and entry time, each
carrying the columns the roll-ups, the leaders' pages and supervision read (village, day, attendees, who entered
it, whether deleted), so those reads never visit the table's rows; they replace the narrower (commune, day),
(village, day) and (commune, entry time) indexes

Revision ID: 0017_covering_session_indexes
Revises: 0016_supervision_indexes
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_covering_session_indexes"
down_revision: str | None = "0016_supervision_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMUNE_DAY = ["commune_code", "session_date", "village_id", "attendees", "deleted_at"]
VILLAGE_DAY = ["village_id", "session_date", "attendees", "deleted_at"]
COMMUNE_ENTERED = ["commune_code", "created_at", "deleted_at", "village_id", "session_date", "author_id"]


def upgrade() -> None:
    op.create_index("ix_session_commune_day_cover", "trainingsession", COMMUNE_DAY, unique=False)
    op.create_index("ix_session_village_day_cover", "trainingsession", VILLAGE_DAY, unique=False)
    op.create_index("ix_session_commune_entered_cover", "trainingsession", COMMUNE_ENTERED, unique=False)
    op.drop_index("ix_session_commune_created", table_name="trainingsession")
    op.drop_index("ix_session_village_date", table_name="trainingsession")
    op.drop_index("ix_session_commune_date", table_name="trainingsession")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's planner weighs indexes by the statistics ANALYZE leaves (PostgreSQL gathers its own).
        op.execute("ANALYZE trainingsession")


def downgrade() -> None:
    op.create_index("ix_session_commune_date", "trainingsession", ["commune_code", "session_date"], unique=False)
    op.create_index("ix_session_village_date", "trainingsession", ["village_id", "session_date"], unique=False)
    op.create_index("ix_session_commune_created", "trainingsession", ["commune_code", "created_at"], unique=False)
    op.drop_index("ix_session_commune_entered_cover", table_name="trainingsession")
    op.drop_index("ix_session_village_day_cover", table_name="trainingsession")
    op.drop_index("ix_session_commune_day_cover", table_name="trainingsession")
