"""invite kinds: a village's reusable join link beside personal invites, and an imported invitee's name

Revision ID: 0008_invites
Revises: 0007_groups
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008_invites"
down_revision: str | None = "0007_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every invite made before is a personal one (given by hand); plain columns, added in place on SQLite too.
    op.add_column(
        "invite",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="personal"),
    )
    op.add_column("invite", sa.Column("invitee_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_index("ix_invite_village_kind", "invite", ["village_id", "kind"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_invite_village_kind", table_name="invite")
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_column("invitee_name")
        batch_op.drop_column("kind")
