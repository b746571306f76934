"""Replicas that run `opengov-food db upgrade` together cannot race (PostgreSQL).

Three real processes start against one empty database while the test holds the
migration lock, so all three are seen waiting; once it is released exactly one
applies the migrations, the other two wait for its commit and find nothing to do.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from opengovfood.db import migrate
from opengovfood.db.models import Base
from support.databases import create_test_database

CLI = Path(sys.executable).with_name("opengov-food")
BASE = os.environ.get("OPENGOVFOOD_TEST_DATABASE_URL", "sqlite")
MIGRATION_LOCK_KEY = 0x6F67665F6D696772  # migrations/env.py
ALL_REVISIONS = migrate.revisions()
HEAD = ALL_REVISIONS[-1]

pytestmark = pytest.mark.skipif(
    not BASE.startswith("postgresql"),
    reason="advisory locks are PostgreSQL's; set OPENGOVFOOD_TEST_DATABASE_URL=postgresql+asyncpg://...",
)


async def _connect(url: str) -> asyncpg.Connection:
    parts = make_url(url)
    return await asyncpg.connect(
        host=parts.host, port=parts.port, user=parts.username, database=parts.database
    )


async def _waiting_for_lock(admin: asyncpg.Connection) -> int:
    return int(
        await admin.fetchval(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()"
        )
    )


async def test_three_concurrent_upgrades_one_migrates_two_wait(tmp_path: Path) -> None:
    with create_test_database(BASE, tmp_path) as database:
        admin = await _connect(database.url)
        try:
            await admin.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
            env = {
                **os.environ,
                "OPENGOVFOOD_DATABASE_URL": database.url,
                "OPENGOVFOOD_LOG_FORMAT": "console",
            }
            processes = [
                await asyncio.create_subprocess_exec(
                    str(CLI),
                    "db",
                    "upgrade",
                    env=env,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
                for _ in range(3)
            ]
            deadline = time.monotonic() + 60
            while await _waiting_for_lock(admin) < 3:
                assert all(p.returncode is None for p in processes), "an upgrade did not wait"
                assert time.monotonic() < deadline, "the upgrades never queued for the lock"
                await asyncio.sleep(0.1)
            await admin.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)

            outcomes = await asyncio.wait_for(
                asyncio.gather(*(p.communicate() for p in processes)), 120
            )
            assert [p.returncode for p in processes] == [0, 0, 0], outcomes
            said = sorted(out.decode().strip() for out, _ in outcomes)
            assert said == [
                "database already at head: nothing to do",
                "database already at head: nothing to do",
                f"database upgraded to head ({', '.join(ALL_REVISIONS)})",
            ]
            for _, err in outcomes:
                assert b"waiting for it" in err  # each one queued behind the lock

            assert await admin.fetchval("SELECT version_num FROM alembic_version") == HEAD
        finally:
            await admin.close()
        assert await _model_drift(database.url) == []


async def _model_drift(url: str) -> list[object]:
    """What differs between the ORM models and the migrated schema (nothing, when right)."""
    engine = create_async_engine(url)

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as connection:
            return await connection.run_sync(diff)
    finally:
        await engine.dispose()
