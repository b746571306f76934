"""items: the all-owners default-order index becomes partial (`WHERE id > 0`)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

Only unscoped lists (superusers, platform services) state `id > 0`, so only they can
use it. Before, when one owner or department held most of the rows, PostgreSQL chose
to walk this index backwards for that scope's first page, filtering out the newer
items of everyone else (measured in the growth bench: 16,455 rows read for a page of
51, 2.8-8.2 ms of PostgreSQL CPU per call instead of ~0.3 ms), rather than seek the
scope's own (owner_id, department_id, create_time, id) index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_items_create_time_id"


def upgrade() -> None:
    op.drop_index(NAME, table_name="items")
    op.create_index(
        NAME,
        "items",
        ["create_time", "id"],
        postgresql_where=sa.text("id > 0"),
        sqlite_where=sa.text("id > 0"),
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="items")
    op.create_index(NAME, "items", ["create_time", "id"])
