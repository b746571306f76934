"""item_counts: items per owner and status, kept by triggers (ListItems' total_size)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Counting a large owner's items took seconds per first page; the sums of these rows
take microseconds. Triggers keep them in the writes' transactions, whoever writes
(the server, `db seed`, bulk SQL):

- PostgreSQL: statement-level triggers with transition tables (a bulk INSERT adds one
  row per owner and status, not one per item), writing into the slot
  `pg_backend_pid() % 64` so concurrent writers of one owner rarely share a row lock;
  TRUNCATE empties the counts.
- SQLite (one writer at a time): row triggers on slot 0.

A later migration that rebuilds `items` on SQLite (`batch_alter_table`) drops its
triggers: it must create them again (`create_triggers`); tests/e2e/db checks that
they exist at head on both backends.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOTS = 64

_PG_FUNCTIONS = {
    # Transition tables: inserted_rows / deleted_rows / old_rows + new_rows.
    "item_counts_inserted": """
        INSERT INTO item_counts AS c (owner_id, status, slot, n)
        SELECT owner_id, status, pg_backend_pid() % {slots}, count(*) FROM inserted_rows
        GROUP BY owner_id, status ORDER BY owner_id, status
        ON CONFLICT (owner_id, status, slot) DO UPDATE SET n = c.n + excluded.n""",
    "item_counts_deleted": """
        INSERT INTO item_counts AS c (owner_id, status, slot, n)
        SELECT owner_id, status, pg_backend_pid() % {slots}, -count(*) FROM deleted_rows
        GROUP BY owner_id, status ORDER BY owner_id, status
        ON CONFLICT (owner_id, status, slot) DO UPDATE SET n = c.n + excluded.n""",
    "item_counts_updated": """
        INSERT INTO item_counts AS c (owner_id, status, slot, n)
        SELECT owner_id, status, pg_backend_pid() % {slots}, sum(d) FROM (
            SELECT owner_id, status, -1 AS d FROM old_rows
            UNION ALL SELECT owner_id, status, 1 AS d FROM new_rows
        ) AS moved
        GROUP BY owner_id, status HAVING sum(d) <> 0 ORDER BY owner_id, status
        ON CONFLICT (owner_id, status, slot) DO UPDATE SET n = c.n + excluded.n""",
    "item_counts_truncated": "DELETE FROM item_counts",
}
_PG_TRIGGERS = {
    "item_counts_inserted": "AFTER INSERT ON items REFERENCING NEW TABLE AS inserted_rows",
    "item_counts_deleted": "AFTER DELETE ON items REFERENCING OLD TABLE AS deleted_rows",
    "item_counts_updated": (
        "AFTER UPDATE ON items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    ),
    "item_counts_truncated": "AFTER TRUNCATE ON items",
}

_SQLITE_ADD = (
    "INSERT INTO item_counts (owner_id, status, slot, n) VALUES ({row}.owner_id, {row}.status,"
    " 0, {delta}) ON CONFLICT (owner_id, status, slot) DO UPDATE SET n = n + ({delta});"
)
_SQLITE_TRIGGERS = {
    "item_counts_inserted": (
        "AFTER INSERT ON items BEGIN " + _SQLITE_ADD.format(row="NEW", delta=1) + " END"
    ),
    "item_counts_deleted": (
        "AFTER DELETE ON items BEGIN " + _SQLITE_ADD.format(row="OLD", delta=-1) + " END"
    ),
    "item_counts_updated": (
        "AFTER UPDATE OF owner_id, status ON items"
        " WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.status IS NOT NEW.status BEGIN "
        + _SQLITE_ADD.format(row="OLD", delta=-1)
        + " "
        + _SQLITE_ADD.format(row="NEW", delta=1)
        + " END"
    ),
}


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, body in _PG_FUNCTIONS.items():
            op.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {body.format(slots=SLOTS)}; RETURN NULL; END $$"
            )
        for name, when in _PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
    else:
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def drop_triggers() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in _PG_TRIGGERS if postgresql else _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON items" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def upgrade() -> None:
    op.create_table(
        "item_counts",
        sa.Column("owner_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "status", "slot", name=op.f("pk_item_counts")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # No write may slip between the backfill and the triggers.
        op.execute("LOCK TABLE items IN SHARE ROW EXCLUSIVE MODE")
    op.execute(
        "INSERT INTO item_counts (owner_id, status, slot, n)"
        " SELECT owner_id, status, 0, count(*) FROM items GROUP BY owner_id, status"
    )
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table("item_counts")
