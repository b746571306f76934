"""Migrations are the only way the schema is made: they go up and down cleanly on
SQLite and PostgreSQL, and the ORM models match them exactly."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from opengovfood.db import migrate
from opengovfood.db.models import Base
from support.databases import create_test_database

EXPECTED_TABLES = {
    "departments",
    "users",
    "refresh_tokens",
    "items",
    "item_requests",
    "item_counts",
    "establishment_counts",
    "inspection_analyses",
    "conversations",
    "conversation_messages",
    "establishments",
    "establishment_requests",
    "import_records",
    "item_outbox",
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


@pytest.mark.parametrize("base", _backends())
async def test_departments_migration_keeps_what_everyone_sees(base: str, tmp_path: Path) -> None:
    """0008 puts every existing user, item and analysis into one default department and
    makes every user an inspector (superusers stay superusers): an inspector sees their
    own rows, as every non-superuser did before. Downgrading drops it all again."""
    with create_test_database(base, tmp_path) as database:
        before = migrate.revisions()[migrate.revisions().index("0008") - 1]
        await migrate.upgrade_async(database.url, before)
        engine = create_async_engine(database.url)
        now = datetime(2026, 11, 30, 12, tzinfo=UTC)
        try:
            async with engine.begin() as connection:
                for user_id, superuser in ((1, False), (2, True)):
                    await connection.execute(
                        text(
                            "INSERT INTO users (id, email, hashed_password, full_name, "
                            "is_active, is_superuser, create_time, update_time) VALUES "
                            "(:id, :email, 'x', '', :t, :su, :now, :now)"
                        ),
                        {
                            "id": user_id,
                            "email": f"u{user_id}@example.org",
                            "t": True,
                            "su": superuser,
                            "now": now,
                        },
                    )
                await connection.execute(
                    text(
                        "INSERT INTO items (id, title, description, status, owner_id, "
                        "create_time, update_time, version, kind, result, score, inspect_time) "
                        "VALUES (7, 'Cooler', '', 'pending', 1, :now, :now, 1, 'unspecified', "
                        "'unspecified', 0, :now)"
                    ),
                    {"now": now},
                )
                # Licence numbers were per owner: both owners recorded L-SAME.
                for place_id, owner, number in (
                    (1, 1, "L-SAME"),
                    (2, 2, "L-SAME"),
                    (3, 1, "L-ONE"),
                ):
                    await connection.execute(
                        text(
                            "INSERT INTO establishments (id, owner_id, name, name_folded, street, "
                            "city, state, postal_code, license_number, license_scope, "
                            "facility_type, risk_category, create_time, update_time, version) "
                            "VALUES (:id, :owner, 'P', 'p', '', '', '', '', :number, :owner, '', "
                            "0, :now, :now, 1)"
                        ),
                        {"id": place_id, "owner": owner, "number": number, "now": now},
                    )
            await migrate.upgrade_async(database.url)
            async with engine.connect() as connection:
                departments = (
                    await connection.execute(text("SELECT id, name FROM departments"))
                ).all()
                assert [name for _, name in departments] == ["Default department"]
                default = departments[0][0]
                users = (
                    await connection.execute(
                        text("SELECT id, department_id, role, is_superuser FROM users ORDER BY id")
                    )
                ).all()
                assert [(u[0], u[1], u[2], bool(u[3])) for u in users] == [
                    (1, default, "inspector", False),
                    (2, default, "inspector", True),
                ]
                item = (await connection.execute(text("SELECT department_id FROM items"))).one()
                assert item[0] == default
                # Per department now, except the number two owners share (kept per owner).
                places = (
                    await connection.execute(
                        text(
                            "SELECT id, department_id, license_scope FROM establishments "
                            "ORDER BY id"
                        )
                    )
                ).all()
                assert [tuple(p) for p in places] == [
                    (1, default, 1),
                    (2, default, 2),
                    (3, default, default),
                ]
                # A new department gets the next id (PostgreSQL's sequence was not skipped).
                await connection.execute(
                    text("INSERT INTO departments (name, create_time) VALUES ('B', :now)"),
                    {"now": now},
                )
            await migrate.downgrade_async(database.url, before)
            async with engine.connect() as connection:
                tables = await connection.run_sync(_tables)
                assert "departments" not in tables
                count = (await connection.execute(text("SELECT count(*) FROM items"))).scalar()
                assert count == 1
        finally:
            await engine.dispose()


@pytest.mark.parametrize("base", _backends())
async def test_item_counts_by_department_backfilled_and_kept(base: str, tmp_path: Path) -> None:
    """0009 rebuilds item_counts with the department in its key: the items already
    there are counted per department, owner and status, the triggers keep counting
    (an item moved between departments moves its count), and a downgrade goes back to
    0006's per-owner sums."""
    with create_test_database(base, tmp_path) as database:
        await migrate.upgrade_async(database.url, "0008")
        engine = create_async_engine(database.url)
        now = datetime(2026, 12, 1, 12, tzinfo=UTC)
        grouped = (
            "SELECT department_id, owner_id, status, {n} FROM {table}"
            " GROUP BY department_id, owner_id, status HAVING {n} <> 0"
        )

        async def rows(connection: object, sql: str) -> set[tuple[int, ...]]:
            result = await connection.execute(text(sql))  # type: ignore[attr-defined]
            return {tuple(row) for row in result.all()}

        try:
            async with engine.begin() as connection:
                await connection.execute(
                    text("INSERT INTO departments (id, name, create_time) VALUES (2, 'B', :now)"),
                    {"now": now},
                )
                for user_id, department in ((1, 1), (2, 2)):
                    await connection.execute(
                        text(
                            "INSERT INTO users (id, email, hashed_password, full_name, "
                            "is_active, is_superuser, create_time, update_time, department_id, "
                            "role) VALUES (:id, :email, 'x', '', :t, :f, :now, :now, :d, "
                            "'inspector')"
                        ),
                        {
                            "id": user_id,
                            "email": f"u{user_id}@example.org",
                            "t": True,
                            "f": False,
                            "now": now,
                            "d": department,
                        },
                    )
                # Owner 1 has items in both departments (moved after making some).
                for item_id, owner, department, status in (
                    (1, 1, 1, "pending"),
                    (2, 1, 1, "pending"),
                    (3, 1, 2, "pending"),
                    (4, 2, 2, "completed"),
                    (5, 1, 2, "completed"),
                ):
                    await connection.execute(
                        text(
                            "INSERT INTO items (id, title, description, status, owner_id, "
                            "create_time, update_time, version, kind, result, score, "
                            "inspect_time, department_id) VALUES (:id, 'x', '', :s, :o, :now, "
                            ":now, 1, 'unspecified', 'unspecified', 0, :now, :d)"
                        ),
                        {"id": item_id, "s": status, "o": owner, "now": now, "d": department},
                    )
            await migrate.upgrade_async(database.url, "0009")
            counted = grouped.format(n="count(*)", table="items")
            summed = grouped.format(n="sum(n)", table="item_counts")
            async with engine.begin() as connection:
                assert (
                    await rows(connection, summed)
                    == await rows(connection, counted)
                    == {
                        (1, 1, "pending", 2),
                        (2, 1, "pending", 1),
                        (2, 2, "completed", 1),
                        (2, 1, "completed", 1),
                    }
                )
                await connection.execute(text("UPDATE items SET department_id = 2 WHERE id = 1"))
                await connection.execute(text("DELETE FROM items WHERE id = 4"))
            async with engine.connect() as connection:
                assert await rows(connection, summed) == await rows(connection, counted)
                assert (1, 1, "pending", 1) in await rows(connection, summed)
            await migrate.downgrade_async(database.url, "0008")
            async with engine.connect() as connection:
                assert await rows(
                    connection,
                    "SELECT owner_id, status, sum(n) FROM item_counts"
                    " GROUP BY owner_id, status HAVING sum(n) <> 0",
                ) == {(1, "pending", 3), (1, "completed", 1)}
                assert await connection.run_sync(_triggers) >= COUNT_TRIGGERS
        finally:
            await engine.dispose()


@pytest.mark.parametrize("base", _backends())
async def test_establishment_counts_backfilled_and_kept(base: str, tmp_path: Path) -> None:
    """0011 counts the establishments already there per department and owner, its
    triggers keep counting, and a downgrade drops the table and its triggers."""
    with create_test_database(base, tmp_path) as database:
        await migrate.upgrade_async(database.url, "0010")
        engine = create_async_engine(database.url)
        now = datetime(2026, 12, 1, 12, tzinfo=UTC)
        summed = (
            "SELECT department_id, owner_id, sum(n) FROM establishment_counts"
            " GROUP BY department_id, owner_id HAVING sum(n) <> 0"
        )
        counted = (
            "SELECT department_id, owner_id, count(*) FROM establishments"
            " GROUP BY department_id, owner_id"
        )

        async def rows(connection: object, sql: str) -> set[tuple[int, ...]]:
            result = await connection.execute(text(sql))  # type: ignore[attr-defined]
            return {tuple(row) for row in result.all()}

        try:
            async with engine.begin() as connection:
                await connection.execute(
                    text("INSERT INTO departments (id, name, create_time) VALUES (2, 'B', :now)"),
                    {"now": now},
                )
                await connection.execute(
                    text(
                        "INSERT INTO users (id, email, hashed_password, full_name, is_active, "
                        "is_superuser, create_time, update_time, department_id, role) VALUES "
                        "(1, 'u1@example.org', 'x', '', :t, :f, :now, :now, 1, 'inspector')"
                    ),
                    {"t": True, "f": False, "now": now},
                )
                for place_id, department in ((1, 1), (2, 1), (3, 2)):
                    await connection.execute(
                        text(
                            "INSERT INTO establishments (id, owner_id, name, name_folded, "
                            "street, city, state, postal_code, license_scope, facility_type, "
                            "risk_category, create_time, update_time, version, department_id) "
                            "VALUES (:id, 1, 'P', 'p', '', '', '', '', :d, '', 0, :now, :now, 1, "
                            ":d)"
                        ),
                        {"id": place_id, "d": department, "now": now},
                    )
            await migrate.upgrade_async(database.url, "0011")
            async with engine.begin() as connection:
                assert await rows(connection, summed) == await rows(connection, counted)
                assert await rows(connection, summed) == {(1, 1, 2), (2, 1, 1)}
                await connection.execute(text("UPDATE establishments SET department_id = 2"))
                await connection.execute(text("DELETE FROM establishments WHERE id = 3"))
            async with engine.connect() as connection:
                assert await rows(connection, summed) == await rows(connection, counted)
                assert await rows(connection, summed) == {(2, 1, 2)}
            await migrate.downgrade_async(database.url, "0010")
            async with engine.connect() as connection:
                assert "establishment_counts" not in await connection.run_sync(_tables)
                # Its triggers went with it: establishments can still be written.
                await connection.execute(text("DELETE FROM establishments"))
        finally:
            await engine.dispose()
