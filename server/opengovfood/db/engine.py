"""Async engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from functools import partial
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool

from opengovfood.config import Settings
from opengovfood.db import sqlite_inline
from opengovfood.db.fast_reads import SqliteFastReads
from opengovfood.db.pg_direct import PgDirect, asyncpg_connect
from opengovfood.db.sqlite_functions import register_functions
from opengovfood.db.sqlite_writes import SqliteWrites

logger = logging.getLogger("opengovfood.db")

COMMAND_TIMEOUT = 30  # seconds a PostgreSQL statement may run


def make_sqlite_file_private(database_url: str) -> None:
    """Create a SQLite database file with mode 0600 before SQLite does, and tighten an
    existing one of ours (and its -wal/-shm/-journal) that others could read: it holds
    password hashes, refresh-token hashes and chat text. SQLite creates the -wal and
    -shm files with the database file's mode, so they follow."""
    url = make_url(database_url)
    path = url.database or ""
    if not url.drivername.startswith("sqlite") or not path or path == ":memory:":
        return
    if url.query.get("mode") == "memory" or path.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # no folder: SQLite says
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    for name in (path, path + "-wal", path + "-shm", path + "-journal"):
        try:
            info = os.lstat(name)
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and info.st_mode & 0o077:
            os.chmod(name, 0o600)
            logger.warning("made %s private (mode 0600; it was %04o)", name, info.st_mode & 0o777)


def create_fast_reads(settings: Settings) -> SqliteFastReads | None:
    """The hot-read connection for a SQLite database file (see db/fast_reads)."""
    if not settings.is_sqlite:
        return None
    url = make_url(settings.database_url)
    path = url.database or ""
    if not path or path == ":memory:" or url.query.get("mode") == "memory":
        return None  # another connection would see another database
    return SqliteFastReads(path)


def create_sqlite_writes(settings: Settings) -> SqliteWrites | None:
    """The item writes' connection and thread for a SQLite file (db/sqlite_writes)."""
    if not settings.is_sqlite:
        return None
    url = make_url(settings.database_url)
    path = url.database or ""
    if not path or path == ":memory:" or url.query.get("mode") == "memory":
        return None  # another connection would see another database
    return SqliteWrites(path, settings.sqlite_busy_timeout_ms, settings.db_pool_timeout)


def create_pg_direct(settings: Settings) -> PgDirect | None:
    """PostgreSQL's raw connections for the hot statements (see db/pg_direct): as many
    as the engine may open (pool size + overflow), kept open once opened."""
    if settings.is_sqlite:
        return None
    dsn = make_url(settings.database_url).set(drivername="postgresql")
    connect = asyncpg_connect(
        dsn.render_as_string(hide_password=False),
        timeout=settings.db_connect_timeout,
        command_timeout=COMMAND_TIMEOUT,
        application_name="opengovfood",
    )
    return PgDirect(
        connect, settings.db_pool_size + settings.db_max_overflow, settings.db_pool_timeout
    )


def create_probe_engine(settings: Settings) -> AsyncEngine:
    """A pool-less engine for the health check: a busy or exhausted request pool must
    not make a reachable database look down (health would flap under load)."""
    connect_args: dict[str, Any] = (
        {"timeout": settings.sqlite_busy_timeout_ms / 1000}
        if settings.is_sqlite
        else {"timeout": settings.db_connect_timeout}
    )
    return create_async_engine(settings.database_url, poolclass=NullPool, connect_args=connect_args)


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the engine for `settings.database_url` with the backend's sane options."""
    if settings.is_sqlite:
        make_sqlite_file_private(settings.database_url)
        path = make_url(settings.database_url).database or ""
        timeout = settings.sqlite_busy_timeout_ms / 1000
        engine = create_async_engine(
            settings.database_url,
            # aiosqlite with short reads on the event loop (see sqlite_inline).
            async_creator=partial(sqlite_inline.connect, path, timeout),
            # One aiosqlite connection = one thread; a small pool lets readers run in
            # parallel under WAL while writers queue on SQLite's lock (busy timeout).
            poolclass=AsyncAdaptedQueuePool,
            pool_size=5,
            max_overflow=0,
            pool_timeout=settings.db_pool_timeout,
        )
        _configure_sqlite(engine, settings.sqlite_busy_timeout_ms)
        return engine
    connect_args: dict[str, Any] = {
        "timeout": settings.db_connect_timeout,
        "command_timeout": COMMAND_TIMEOUT,
        "server_settings": {"application_name": "opengovfood"},
    }
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        register_functions(dbapi_connection)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
