"""inspection_analyses: the computed score, its grade and scheme, a version for etags,
update_time for the inspector's review, and whether the model's narrative is missing.

Analyses stored before this read as before: score = round(compliance_score * 100), no
grade or scheme, version 1, update_time = create_time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inspection_analyses") as batch:
        batch.add_column(sa.Column("score", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("grade", sa.String(64), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("scoring_scheme", sa.String(64), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("update_time", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("narrative_missing", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("inspection_analyses") as batch:  # SQLite rebuilds the table
        for column in (
            "narrative_missing",
            "update_time",
            "version",
            "scoring_scheme",
            "grade",
            "score",
        ):
            batch.drop_column(column)
