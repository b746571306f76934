"""Programmatic Alembic: `opengov-food db upgrade|downgrade` and the tests use this.

On PostgreSQL an upgrade holds an advisory lock (see migrations/env.py), so any
number of processes may run it at once: one migrates, the rest wait and then
find nothing to do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # `%` would be read as interpolation by configparser.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> list[str]:
    """Apply migrations up to `revision`; the revisions applied, in order ([] at head)."""
    from opengovfood.db.engine import make_sqlite_file_private

    make_sqlite_file_private(database_url)  # before Alembic's connection creates it 0644
    config = alembic_config(database_url)
    command.upgrade(config, revision)
    return list(config.attributes.get("applied", []))


def downgrade(database_url: str, revision: str = "base") -> list[str]:
    """Revert migrations down to `revision`; the revisions reverted, in order."""
    config = alembic_config(database_url)
    command.downgrade(config, revision)
    return list(config.attributes.get("applied", []))


async def upgrade_async(database_url: str, revision: str = "head") -> list[str]:
    """Run from inside an event loop (env.py starts its own loop, so use a thread)."""
    return await asyncio.to_thread(upgrade, database_url, revision)


async def downgrade_async(database_url: str, revision: str = "base") -> list[str]:
    return await asyncio.to_thread(downgrade, database_url, revision)


def revisions() -> list[str]:
    """Every revision this release has, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def pending(database_url: str) -> list[str]:
    """Revisions this release has that the database lacks, oldest first ([] when current).

    A database ahead of this release (a newer one migrated it during a rolling
    upgrade) has nothing pending: migrations only add what old code can ignore.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.ext.asyncio import create_async_engine

    script = ScriptDirectory.from_config(alembic_config(database_url))

    async def current() -> tuple[str, ...]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_heads()
                )
        finally:
            await engine.dispose()

    heads = asyncio.run(current())
    known = {rev.revision for rev in script.walk_revisions()}
    if any(head not in known for head in heads):
        return []
    lower = heads[0] if heads else "base"
    steps = list(script.iterate_revisions("heads", lower))
    return [rev.revision for rev in reversed(steps) if rev.revision not in heads]


class SchemaBehind(RuntimeError):
    """The database lacks migrations this release needs."""


def require_current(database_url: str) -> None:
    """Raise SchemaBehind, saying what to run, unless the schema is current (or ahead)."""
    missing = pending(database_url)
    if missing:
        raise SchemaBehind(
            f"the database schema lacks migrations {', '.join(missing)}: run "
            "`opengov-food db upgrade` first (or set OPENGOVFOOD_MIGRATE_ON_START=true)"
        )
