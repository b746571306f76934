"""items: the all-owners and department default-order indexes become partial

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

Only unscoped lists (superusers, platform services) state `id > 0`, so only they can
use the all-owners index; only department-wide lists state `id >= 0`, so an owner's
list cannot use the department's. Before, when one owner held most of the rows,
PostgreSQL walked the all-owners index backwards for that owner's first page,
filtering out everyone else's newer items (growth bench: 16,455 rows read for a page
of 51, 2.8-8.2 ms of PostgreSQL CPU per call instead of ~0.3 ms) rather than seek the
owner's own (owner_id, department_id, create_time, id) index; with only that index
made partial, it walked the department's index the same way (22,908 rows).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name, columns, the predicate only the statements that should use it state
INDEXES = (
    ("ix_items_create_time_id", ["create_time", "id"], "id > 0"),
    ("ix_items_department_id_create_time_id", ["department_id", "create_time", "id"], "id >= 0"),
)


def upgrade() -> None:
    for name, columns, predicate in INDEXES:
        op.drop_index(name, table_name="items")
        op.create_index(
            name,
            "items",
            columns,
            postgresql_where=sa.text(predicate),
            sqlite_where=sa.text(predicate),
        )


def downgrade() -> None:
    for name, columns, _predicate in INDEXES:
        op.drop_index(name, table_name="items")
        op.create_index(name, "items", columns)
