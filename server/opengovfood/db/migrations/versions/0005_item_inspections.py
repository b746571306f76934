"""items: the inspection record (establishment_id, kind, result, score, inspect_time)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite rebuilds the table (a foreign key cannot be added in place); existing rows
    # are no inspections and were inspected, if at all, when they were created.
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("establishment_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("kind", sa.String(length=24), nullable=False, server_default="unspecified")
        )
        batch_op.add_column(
            sa.Column("result", sa.String(length=24), nullable=False, server_default="unspecified")
        )
        batch_op.add_column(sa.Column("score", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("inspect_time", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_items_establishment_id_establishments"),
            "establishments",
            ["establishment_id"],
            ["id"],
        )
    op.execute("UPDATE items SET inspect_time = create_time")
    with op.batch_alter_table("items", schema=None) as batch_op:
        # The defaults were for the rows already there; the application sets every value.
        batch_op.alter_column("kind", server_default=None)
        batch_op.alter_column("result", server_default=None)
        batch_op.alter_column("score", server_default=None)
        batch_op.alter_column(
            "inspect_time", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_index(
            "ix_items_establishment_id_inspect_time_id",
            ["establishment_id", "inspect_time", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_items_owner_id_inspect_time_id", ["owner_id", "inspect_time", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_owner_id_inspect_time_id")
        batch_op.drop_index("ix_items_establishment_id_inspect_time_id")
        batch_op.drop_constraint(
            batch_op.f("fk_items_establishment_id_establishments"), type_="foreignkey"
        )
        batch_op.drop_column("inspect_time")
        batch_op.drop_column("score")
        batch_op.drop_column("result")
        batch_op.drop_column("kind")
        batch_op.drop_column("establishment_id")
