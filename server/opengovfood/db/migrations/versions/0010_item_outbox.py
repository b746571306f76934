"""item_outbox: item events committed but not yet announced (WatchItems on PostgreSQL)

Every item write on PostgreSQL inserts its event here in its own transaction; the
writing process then announces it after COMMIT, batched with others, by deleting the
row and NOTIFYing its payload in one transaction (repositories/item_events.py). A row
whose writer died before that is announced by any instance's catch-up sweep: an
acknowledged write's event is never lost. Rows live for milliseconds; the table
stays small. SQLite announces in-process and leaves the table empty.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column(
            "create_time",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_outbox")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # NOTIFY refuses a payload of 8000 bytes or more: such an event fails its write
        # (unreachable with the title/description limits) instead of its batch later.
        op.execute(
            "ALTER TABLE item_outbox ADD CONSTRAINT ck_item_outbox_payload_size"
            " CHECK (octet_length(payload) < 8000)"
        )


def downgrade() -> None:
    op.drop_table("item_outbox")
