"""Migrations are the only way the schema is made: they go up and down cleanly on
SQLite and PostgreSQL, and the ORM models match them exactly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from opengovfood.db import migrate
from opengovfood.db.models import Base
from support.databases import create_test_database

EXPECTED_TABLES = {
    "users",
    "refresh_tokens",
    "items",
    "item_requests",
    "item_counts",
    "inspection_analyses",
    "conversations",
    "conversation_messages",
    "establishments",
    "establishment_requests",
    "import_records",
}


def _backends() -> list[str]:
    backends = ["sqlite"]
    base = os.environ.get("OPENGOVFOOD_TEST_DATABASE_URL", "sqlite")
    if base.startswith("postgresql"):
        backends.append(base)
    return backends


COUNT_TRIGGERS = {"item_counts_inserted", "item_counts_deleted", "item_counts_updated"}


def _triggers(connection: Connection) -> set[str]:
    """The item_counts triggers on `items` (a SQLite rebuild of the table drops them)."""
    if connection.dialect.name == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'items'::regclass"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'items'"
    return {name for (name,) in connection.exec_driver_sql(sql)}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _inspect(url: str) -> tuple[set[str], list[object]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(_tables)
            diff = await connection.run_sync(_diff) if tables else []
            if tables:
                assert await connection.run_sync(_triggers) >= COUNT_TRIGGERS
    finally:
        await engine.dispose()
    return tables, diff


@pytest.mark.parametrize("base", _backends())
async def test_upgrade_downgrade_upgrade_and_no_model_drift(base: str, tmp_path: Path) -> None:
    with create_test_database(base, tmp_path) as database:
        await migrate.upgrade_async(database.url)
        tables, diff = await _inspect(database.url)
        assert tables == EXPECTED_TABLES
        assert diff == [], f"models and migrations differ: {diff}"

        await migrate.downgrade_async(database.url, "base")
        tables, _ = await _inspect(database.url)
        assert tables == set()

        await migrate.upgrade_async(database.url)
        tables, diff = await _inspect(database.url)
        assert tables == EXPECTED_TABLES
        assert diff == []
