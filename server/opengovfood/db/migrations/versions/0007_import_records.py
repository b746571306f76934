"""import_records (what `opengov-food import` loaded, so a second run skips it) and an
index for the latest analysis of an item (export, report)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("external_key", sa.String(length=400), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_import_records_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_records")),
        sa.UniqueConstraint(
            "owner_id",
            "source",
            "kind",
            "external_key",
            name=op.f("uq_import_records_owner_id_source_kind_external_key"),
        ),
    )
    with op.batch_alter_table("inspection_analyses", schema=None) as batch_op:
        batch_op.create_index("ix_inspection_analyses_item_id_id", ["item_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inspection_analyses", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_analyses_item_id_id")
    op.drop_table("import_records")
