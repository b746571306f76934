"""Alembic environment: runs migrations on the async engine of the configured URL.

On PostgreSQL the whole upgrade runs under a transaction-scoped advisory lock, so
replicas that start `db upgrade` together cannot race: one migrates, the others
wait for its commit, then find the schema at head and do nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from opengovfood.db.models import Base

config = context.config
target_metadata = Base.metadata
logger = logging.getLogger("opengovfood.migrate")

# Any fixed 64-bit number; advisory locks are per database, so only our own
# migrations of the same database contend for it.
MIGRATION_LOCK_KEY = 0x6F67665F6D696772  # "ogf_migr"


def _lock(connection: Connection) -> None:
    """Wait for the migration lock; released when the migration transaction ends."""
    if connection.dialect.name != "postgresql":
        return  # SQLite serializes writers itself
    key = {"key": MIGRATION_LOCK_KEY}
    if not connection.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), key):
        logger.warning("another process is migrating this database; waiting for it")
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), key)


def _run(connection: Connection) -> None:
    applied: list[str] = config.attributes.setdefault("applied", [])

    def record(
        ctx: MigrationContext,
        step: MigrationInfo,
        heads: Collection[Any],
        run_args: Mapping[str, Any],
    ) -> None:
        applied.append(str(step.up_revision_id))  # on a downgrade: the one reverted

    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
        on_version_apply=record,
    )
    with context.begin_transaction():
        # Under the lock before alembic reads the current version: a waiter reads
        # the version its predecessor committed (READ COMMITTED: a fresh snapshot
        # per statement).
        _lock(connection)
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is required"
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
