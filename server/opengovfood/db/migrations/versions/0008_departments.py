"""departments: users, items, analyses and establishments belong to one; users have a role

Every existing row goes into one department, "Default department", and every existing
user becomes an inspector there (superusers stay superusers): an inspector sees only
their own items and analyses, exactly what every non-superuser saw before. Licence
numbers become unique per department (they were per owner): a number that two owners
both recorded keeps its per-owner scope, so the upgrade never fails on old data.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import importlib.util
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_NAME = "Default department"
# Owner indexes that gain department_id right after owner_id, so the inspector's scope
# (owner and department) is an index prefix: old name -> (new name, columns).
_OWNER_INDEXES: dict[str, dict[str, tuple[str, list[str]]]] = {
    "items": {
        "ix_items_owner_id_create_time_id": (
            "ix_items_owner_id_department_id_create_time_id",
            ["owner_id", "department_id", "create_time", "id"],
        ),
        "ix_items_owner_id_status": (
            "ix_items_owner_id_department_id_status",
            ["owner_id", "department_id", "status"],
        ),
    },
    "inspection_analyses": {
        "ix_inspection_analyses_owner_id_create_time_id": (
            "ix_inspection_analyses_owner_id_department_id_create_time_id",
            ["owner_id", "department_id", "create_time", "id"],
        ),
        "ix_inspection_analyses_owner_id_item_id": (
            "ix_inspection_analyses_owner_id_department_id_item_id",
            ["owner_id", "department_id", "item_id"],
        ),
    },
}
# table -> the index a department-wide list in the default order uses (None: plain index)
_MEMBERS: dict[str, tuple[str, list[str]]] = {
    "users": ("ix_users_department_id", ["department_id"]),
    "items": ("ix_items_department_id_create_time_id", ["department_id", "create_time", "id"]),
    "inspection_analyses": (
        "ix_inspection_analyses_department_id_create_time_id",
        ["department_id", "create_time", "id"],
    ),
    "establishments": (
        "ix_establishments_department_id_name_id",
        ["department_id", "name", "id"],
    ),
}


def _item_count_triggers() -> Callable[[], None]:
    """0006's create_triggers: rebuilding `items` on SQLite (batch_alter_table) drops its
    triggers, so they are made again after (PostgreSQL alters the table in place)."""
    path = Path(__file__).with_name("0006_item_counts.py")
    spec = importlib.util.spec_from_file_location("item_counts_0006", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    create: Callable[[], None] = module.create_triggers
    return create


def _rebuilt_items() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _item_count_triggers()()


def upgrade() -> None:
    departments = op.create_table(
        "departments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("name", name=op.f("uq_departments_name")),
    )
    # No explicit id: PostgreSQL's sequence must hand out the next one itself.
    now = datetime.now(UTC)
    op.bulk_insert(departments, [{"name": DEFAULT_NAME, "create_time": now}])
    default = sa.select(sa.func.min(departments.c.id)).scalar_subquery()

    for table, (index, columns) in _MEMBERS.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("department_id", sa.BigInteger(), nullable=True))
        op.execute(
            sa.table(table, sa.column("department_id")).update().values(department_id=default)
        )
        with op.batch_alter_table(table) as batch:  # SQLite rebuilds the table
            batch.alter_column("department_id", existing_type=sa.BigInteger(), nullable=False)
            batch.create_foreign_key(
                f"fk_{table}_department_id_departments", "departments", ["department_id"], ["id"]
            )
            batch.create_index(index, columns, unique=False)
            for old, (new, new_columns) in _OWNER_INDEXES.get(table, {}).items():
                batch.drop_index(old)
                batch.create_index(new, new_columns)
        if table == "items":
            _rebuilt_items()

    # Licence numbers: unique per department now, unless two owners recorded the same one.
    places = sa.table(
        "establishments",
        sa.column("license_number"),
        sa.column("license_scope"),
        sa.column("department_id"),
    )
    repeated = (
        sa.select(places.c.license_number)
        .where(places.c.license_number.is_not(None))
        .group_by(places.c.license_number)
        .having(sa.func.count() > 1)
    )
    op.execute(
        places.update()
        .where(places.c.license_number.is_(None) | places.c.license_number.not_in(repeated))
        .values(license_scope=places.c.department_id)
    )

    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="inspector")
        )
    with op.batch_alter_table("users") as batch:  # the model sets it; no server default
        batch.alter_column("role", existing_type=sa.String(length=16), server_default=None)


def downgrade() -> None:
    # Licence numbers back to unique per owner (where the owner has the number once).
    places = sa.table(
        "establishments",
        sa.column("owner_id"),
        sa.column("license_number"),
        sa.column("license_scope"),
    )
    repeated = (
        sa.select(places.c.license_number)
        .where(places.c.license_number.is_not(None))
        .group_by(places.c.owner_id, places.c.license_number)
        .having(sa.func.count() > 1)
    )
    op.execute(
        places.update()
        .where(places.c.license_number.is_(None) | places.c.license_number.not_in(repeated))
        .values(license_scope=places.c.owner_id)
    )
    with op.batch_alter_table("users") as batch:
        batch.drop_column("role")
    for table, (index, _columns) in _MEMBERS.items():
        with op.batch_alter_table(table) as batch:
            for old, (new, new_columns) in _OWNER_INDEXES.get(table, {}).items():
                batch.drop_index(new)
                batch.create_index(old, [c for c in new_columns if c != "department_id"])
            batch.drop_index(index)
            batch.drop_constraint(f"fk_{table}_department_id_departments", type_="foreignkey")
            batch.drop_column("department_id")
        if table == "items":
            _rebuilt_items()
    op.drop_table("departments")
