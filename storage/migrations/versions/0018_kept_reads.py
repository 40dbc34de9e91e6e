"""reads of a commune kept until what they were read from changes (`keptread`: its flags, its days, its
months), and the number that says they still hold (`communechange`), bumped by triggers in the transaction of
every change such a read reads: a commune's sessions, people helped and villages (its own row), a member's
name or a province's deadline day (the row of commune 0, every commune)

Revision ID: 0018_kept_reads
Revises: 0017_covering_session_indexes
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0018_kept_reads"
down_revision: str | None = "0017_covering_session_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables whose rows carry the commune they belong to: a change bumps that commune (before and after).
OF_A_COMMUNE = ("trainingsession", "helprecord", "village")

# SQLite: one trigger per table and event; an UPSERT bumps the row (created at its first change).
_SQLITE_BUMP = (
    "INSERT INTO communechange (commune_code, version) VALUES ({code}, 1) "
    "ON CONFLICT (commune_code) DO UPDATE SET version = version + 1;"
)

# PostgreSQL: two trigger functions, one for the tables of a commune, one for every commune.
_PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION bdhvs_bump_commune(code integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO communechange (commune_code, version) VALUES (code, 1)
    ON CONFLICT (commune_code) DO UPDATE SET version = communechange.version + 1
$$;
CREATE OR REPLACE FUNCTION bdhvs_commune_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM bdhvs_bump_commune(NEW.commune_code);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM bdhvs_bump_commune(OLD.commune_code);
    ELSE
        PERFORM bdhvs_bump_commune(NEW.commune_code);
        IF NEW.commune_code IS DISTINCT FROM OLD.commune_code THEN
            PERFORM bdhvs_bump_commune(OLD.commune_code);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION bdhvs_every_commune_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bdhvs_bump_commune(0);
    RETURN NULL;
END
$$;
"""


def _sqlite_triggers() -> list[str]:
    statements = []
    for table in OF_A_COMMUNE:
        statements += [
            f"CREATE TRIGGER {table}_changed_insert AFTER INSERT ON {table} BEGIN "
            f"{_SQLITE_BUMP.format(code='NEW.commune_code')} END",
            f"CREATE TRIGGER {table}_changed_delete AFTER DELETE ON {table} BEGIN "
            f"{_SQLITE_BUMP.format(code='OLD.commune_code')} END",
            f"CREATE TRIGGER {table}_changed_update AFTER UPDATE ON {table} BEGIN "
            f"{_SQLITE_BUMP.format(code='NEW.commune_code')} END",
            f"CREATE TRIGGER {table}_moved AFTER UPDATE OF commune_code ON {table} "
            f"WHEN OLD.commune_code IS NOT NEW.commune_code BEGIN {_SQLITE_BUMP.format(code='OLD.commune_code')} END",
        ]
    every = _SQLITE_BUMP.format(code="0")
    statements += [
        "CREATE TRIGGER member_renamed AFTER UPDATE OF display_name ON member "
        f"WHEN OLD.display_name IS NOT NEW.display_name BEGIN {every} END",
        f"CREATE TRIGGER provincesetting_changed_insert AFTER INSERT ON provincesetting BEGIN {every} END",
        f"CREATE TRIGGER provincesetting_changed_update AFTER UPDATE ON provincesetting BEGIN {every} END",
        f"CREATE TRIGGER provincesetting_changed_delete AFTER DELETE ON provincesetting BEGIN {every} END",
    ]
    return statements


def _postgresql_triggers() -> list[str]:
    statements = [_PG_FUNCTIONS]
    for table in OF_A_COMMUNE:
        statements.append(
            f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION bdhvs_commune_changed()"
        )
    statements += [
        "CREATE TRIGGER member_renamed AFTER UPDATE OF display_name ON member FOR EACH ROW "
        "WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name) EXECUTE FUNCTION bdhvs_every_commune_changed()",
        "CREATE TRIGGER provincesetting_changed AFTER INSERT OR UPDATE OR DELETE ON provincesetting "
        "FOR EACH ROW EXECUTE FUNCTION bdhvs_every_commune_changed()",
    ]
    return statements


def upgrade() -> None:
    op.create_table(
        "communechange",
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("commune_code"),
    )
    op.create_table(
        "keptread",
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("first", sa.Date(), nullable=False),
        sa.Column("last", sa.Date(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("commune_code", "what", "first", "last"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _postgresql_triggers() if postgres else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in OF_A_COMMUNE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_changed ON {table}")
        op.execute("DROP TRIGGER IF EXISTS member_renamed ON member")
        op.execute("DROP TRIGGER IF EXISTS provincesetting_changed ON provincesetting")
        op.execute("DROP FUNCTION IF EXISTS bdhvs_commune_changed()")
        op.execute("DROP FUNCTION IF EXISTS bdhvs_every_commune_changed()")
        op.execute("DROP FUNCTION IF EXISTS bdhvs_bump_commune(integer)")
    else:
        for table in OF_A_COMMUNE:
            for suffix in ("changed_insert", "changed_delete", "changed_update", "moved"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
        for name in ("member_renamed", "provincesetting_changed_insert", "provincesetting_changed_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TRIGGER IF EXISTS provincesetting_changed_delete")
    op.drop_table("keptread")
    op.drop_table("communechange")
