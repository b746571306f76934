"""establishments and their idempotency records (EstablishmentService)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "establishments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_folded", sa.String(length=800), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=50), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("license_number", sa.String(length=64), nullable=True),
        sa.Column("license_scope", sa.BigInteger(), nullable=False),
        sa.Column("facility_type", sa.String(length=100), nullable=False),
        sa.Column("risk_category", sa.Integer(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_establishments_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_establishments")),
        sa.UniqueConstraint(
            "license_scope",
            "license_number",
            name=op.f("uq_establishments_license_scope_license_number"),
        ),
    )
    with op.batch_alter_table("establishments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_establishments_owner_id_name_id", ["owner_id", "name", "id"], unique=False
        )
        batch_op.create_index("ix_establishments_name_id", ["name", "id"], unique=False)
        batch_op.create_index(
            "ix_establishments_owner_id_create_time_id",
            ["owner_id", "create_time", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_establishments_create_time_id", ["create_time", "id"], unique=False
        )

    op.create_table(
        "establishment_requests",
        sa.Column("id", _ID, nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("establishment_id", sa.BigInteger(), nullable=True),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishments.id"],
            name=op.f("fk_establishment_requests_establishment_id_establishments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_establishment_requests_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_establishment_requests")),
        sa.UniqueConstraint(
            "owner_id",
            "request_id",
            name=op.f("uq_establishment_requests_owner_id_request_id"),
        ),
    )
    with op.batch_alter_table("establishment_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_establishment_requests_create_time"), ["create_time"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("establishment_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_establishment_requests_create_time"))
    op.drop_table("establishment_requests")
    with op.batch_alter_table("establishments", schema=None) as batch_op:
        batch_op.drop_index("ix_establishments_create_time_id")
        batch_op.drop_index("ix_establishments_owner_id_create_time_id")
        batch_op.drop_index("ix_establishments_name_id")
        batch_op.drop_index("ix_establishments_owner_id_name_id")
    op.drop_table("establishments")
