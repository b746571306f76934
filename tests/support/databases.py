"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class TestDatabase:
    __test__ = False  # a helper, not a test class
    url: str
    backend: str  # "sqlite" | "postgresql"


def _admin_sync(server_url: str, statement: str) -> None:
    """Run an admin statement from sync code or from inside a running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _admin(server_url, statement)).result()


async def _admin(server_url: str, statement: str) -> None:
    import asyncpg

    url = make_url(server_url)
    connection = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database="postgres",
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def create_test_database(base: str, tmp: Path) -> Iterator[TestDatabase]:
    if base in ("", "sqlite"):
        yield TestDatabase(f"sqlite+aiosqlite:///{tmp / 'test.db'}", "sqlite")
        return
    url = make_url(base)
    if not url.drivername.startswith("postgresql"):
        raise ValueError(f"unsupported OPENGOVFOOD_TEST_DATABASE_URL: {base}")
    name = f"ogf_test_{uuid.uuid4().hex[:12]}"
    _admin_sync(base, f'CREATE DATABASE "{name}"')
    try:
        db_url = url.set(drivername="postgresql+asyncpg", database=name)
        yield TestDatabase(db_url.render_as_string(hide_password=False), "postgresql")
    finally:
        _admin_sync(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
