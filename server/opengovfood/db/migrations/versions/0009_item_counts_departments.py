"""item_counts by department, owner and status (ListItems' total_size for every scope)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

0006 keyed the counts by owner and status; since departments (0008) every scope but
a superuser's names a department (an inspector: owner and department; a supervisor or
a department's service: the department), so those lists counted their items again.
Keyed by department too, every scope's status/owner filter is a sum of a few rows.

The table is rebuilt and backfilled while `items` is locked against writes on
PostgreSQL (SQLite has one writer: the migration's), then the triggers come back
with department_id in their key. They work as 0006's did (statement-level with
transition tables on PostgreSQL, slot `pg_backend_pid() % 64`; row triggers on
SQLite); an UPDATE that moves an item to another department, owner or status moves
its count. The old columns stay, so code of the previous release (summing by owner
and status) still reads right sums during a rolling upgrade.

A later migration that rebuilds `items` on SQLite must create THESE triggers again
(`create_triggers` here, not 0006's).
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOTS = 64
_KEY = "department_id, owner_id, status"

_PG_FUNCTIONS = {
    # Transition tables: inserted_rows / deleted_rows / old_rows + new_rows. Rows are
    # taken in key order so two writers never lock the same pair in opposite orders.
    "item_counts_inserted": f"""
        INSERT INTO item_counts AS c ({_KEY}, slot, n)
        SELECT {_KEY}, pg_backend_pid() % {SLOTS}, count(*) FROM inserted_rows
        GROUP BY {_KEY} ORDER BY {_KEY}
        ON CONFLICT ({_KEY}, slot) DO UPDATE SET n = c.n + excluded.n""",
    "item_counts_deleted": f"""
        INSERT INTO item_counts AS c ({_KEY}, slot, n)
        SELECT {_KEY}, pg_backend_pid() % {SLOTS}, -count(*) FROM deleted_rows
        GROUP BY {_KEY} ORDER BY {_KEY}
        ON CONFLICT ({_KEY}, slot) DO UPDATE SET n = c.n + excluded.n""",
    "item_counts_updated": f"""
        INSERT INTO item_counts AS c ({_KEY}, slot, n)
        SELECT {_KEY}, pg_backend_pid() % {SLOTS}, sum(d) FROM (
            SELECT {_KEY}, -1 AS d FROM old_rows
            UNION ALL SELECT {_KEY}, 1 AS d FROM new_rows
        ) AS moved
        GROUP BY {_KEY} HAVING sum(d) <> 0 ORDER BY {_KEY}
        ON CONFLICT ({_KEY}, slot) DO UPDATE SET n = c.n + excluded.n""",
    "item_counts_truncated": "DELETE FROM item_counts",
}
_PG_TRIGGERS = {
    "item_counts_inserted": "AFTER INSERT ON items REFERENCING NEW TABLE AS inserted_rows",
    "item_counts_deleted": "AFTER DELETE ON items REFERENCING OLD TABLE AS deleted_rows",
    # PostgreSQL allows no column list with transition tables: the function skips
    # updates that move nothing (HAVING sum(d) <> 0).
    "item_counts_updated": (
        "AFTER UPDATE ON items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    ),
    "item_counts_truncated": "AFTER TRUNCATE ON items",
}

_SQLITE_ADD = (
    f"INSERT INTO item_counts ({_KEY}, slot, n)"
    " VALUES ({row}.department_id, {row}.owner_id, {row}.status, 0, {delta})"
    f" ON CONFLICT ({_KEY}, slot) DO UPDATE SET n = n + ({{delta}});"
)
_SQLITE_TRIGGERS = {
    "item_counts_inserted": (
        "AFTER INSERT ON items BEGIN " + _SQLITE_ADD.format(row="NEW", delta=1) + " END"
    ),
    "item_counts_deleted": (
        "AFTER DELETE ON items BEGIN " + _SQLITE_ADD.format(row="OLD", delta=-1) + " END"
    ),
    "item_counts_updated": (
        "AFTER UPDATE OF department_id, owner_id, status ON items"
        " WHEN OLD.department_id IS NOT NEW.department_id"
        " OR OLD.owner_id IS NOT NEW.owner_id OR OLD.status IS NOT NEW.status BEGIN "
        + _SQLITE_ADD.format(row="OLD", delta=-1)
        + " "
        + _SQLITE_ADD.format(row="NEW", delta=1)
        + " END"
    ),
}


def _revision_0006() -> ModuleType:
    """0006's table and triggers: what this revision replaces and a downgrade restores."""
    path = Path(__file__).with_name("0006_item_counts.py")
    spec = importlib.util.spec_from_file_location("item_counts_0006", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_triggers() -> None:
    if _postgresql():
        for name, body in _PG_FUNCTIONS.items():
            op.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {body}; RETURN NULL; END $$"
            )
        for name, when in _PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
    else:
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def drop_triggers() -> None:
    postgresql = _postgresql()
    for name in _PG_TRIGGERS if postgresql else _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON items" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def _lock_items() -> None:
    if _postgresql():
        # No write may slip between the backfill and the triggers.
        op.execute("LOCK TABLE items IN SHARE ROW EXCLUSIVE MODE")


def upgrade() -> None:
    _lock_items()
    _revision_0006().downgrade()  # its triggers and table
    op.create_table(
        "item_counts",
        sa.Column("department_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("owner_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        # Department first: a supervisor's scope is a prefix, an inspector's too
        # (department, owner); a superuser's owner filter has its own index.
        sa.PrimaryKeyConstraint(
            "department_id", "owner_id", "status", "slot", name=op.f("pk_item_counts")
        ),
    )
    op.create_index(op.f("ix_item_counts_owner_id"), "item_counts", ["owner_id"], unique=False)
    op.execute(
        f"INSERT INTO item_counts ({_KEY}, slot, n)"
        f" SELECT {_KEY}, 0, count(*) FROM items GROUP BY {_KEY}"
    )
    create_triggers()


def downgrade() -> None:
    _lock_items()
    drop_triggers()
    op.drop_index(op.f("ix_item_counts_owner_id"), table_name="item_counts")
    op.drop_table("item_counts")
    _revision_0006().upgrade()  # by owner and status again, backfilled, its triggers
