"""SQLite connections that run short reads on the event loop (db/sqlite_inline.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from opengovfood.db import sqlite_inline
from opengovfood.db.sqlite_inline import InlineConnection

BUSY_MS = 5000


@pytest.fixture
async def connection(tmp_path: Path) -> AsyncIterator[InlineConnection]:
    path = str(tmp_path / "inline.db")
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        setup.executemany("INSERT INTO t (v) VALUES (?)", [(f"v{i}",) for i in range(100)])
    conn = await sqlite_inline.connect(path, BUSY_MS / 1000)
    yield conn
    await conn.close()


async def _select(
    conn: InlineConnection, sql: str, params: tuple[object, ...] = ()
) -> list[tuple[object, ...]]:
    async with conn.cursor() as cursor:
        await cursor.execute(sql, params)
        return list(await cursor.fetchall())


def _block_thread(conn: InlineConnection) -> threading.Event:
    """Park the connection's worker thread until the returned event is set."""
    release = threading.Event()
    future = asyncio.get_running_loop().create_future()
    conn._tx.put_nowait((future, release.wait))
    return release


async def test_a_short_select_runs_on_the_loop_not_the_thread(connection: InlineConnection) -> None:
    await _select(connection, "SELECT 1")  # the first read learns the journal mode
    release = _block_thread(connection)
    try:
        # The thread is parked: only an inline read can finish.
        rows = await asyncio.wait_for(_select(connection, "SELECT v FROM t WHERE id = ?", (7,)), 2)
    finally:
        release.set()
    assert rows == [("v6",)]


async def test_a_long_select_moves_to_the_thread_and_the_loop_keeps_running(
    connection: InlineConnection,
) -> None:
    slow = "SELECT count(*) FROM t a, t b, t c, (SELECT 1 UNION ALL SELECT 2) d"  # 2M rows
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        rows = await _select(connection, slow)
    finally:
        task.cancel()
    assert rows == [(2_000_000,)]
    assert slow in sqlite_inline._slow_sql
    assert ticks >= 1  # the loop ran while the thread counted


async def test_writes_go_to_the_thread_and_the_transaction_sees_them(
    connection: InlineConnection,
) -> None:
    async with connection.cursor() as cursor:
        await cursor.execute("INSERT INTO t (v) VALUES (?)", ("new",))
    assert connection._conn.in_transaction
    # The read inside the open transaction sees the uncommitted row.
    assert await _select(connection, "SELECT count(*) FROM t WHERE v = 'new'") == [(1,)]
    await connection.rollback()
    assert await _select(connection, "SELECT count(*) FROM t WHERE v = 'new'") == [(0,)]
    async with connection.cursor() as cursor:
        await cursor.execute("INSERT INTO t (v) VALUES (?)", ("kept",))
    await connection.commit()
    assert not connection._conn.in_transaction
    assert await _select(connection, "SELECT count(*) FROM t WHERE v = 'kept'") == [(1,)]


async def test_without_wal_a_read_that_waits_for_a_lock_waits_on_the_thread(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "journal.db")
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")  # rollback journal, not WAL
        setup.execute("INSERT INTO t VALUES (1)")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # readers must wait for this
    conn = await sqlite_inline.connect(path, 5.0)
    try:
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, holder.execute, "COMMIT")
        started = loop.time()
        rows = await asyncio.wait_for(_select(conn, "SELECT id FROM t"), 5)
        assert rows == [(1,)]
        assert loop.time() - started >= 0.25  # it waited (on the thread) for the lock
    finally:
        await conn.close()
        holder.close()


async def test_fetchone_and_fetchmany_read_prefetched_rows(connection: InlineConnection) -> None:
    async with connection.cursor() as cursor:
        await cursor.execute("SELECT id FROM t WHERE id <= 5 ORDER BY id")
        assert await cursor.fetchone() == (1,)
        assert await cursor.fetchmany(2) == [(2,), (3,)]
        assert await cursor.fetchall() == [(4,), (5,)]
        assert await cursor.fetchone() is None


async def _cancel_on_the_thread(conn: InlineConnection, sql: str, after: float) -> float:
    """Run `sql` until `after` seconds, then cancel it (as a client's deadline would);
    returns when the cancellation came back."""
    loop = asyncio.get_running_loop()

    async def run() -> None:
        async with conn.cursor() as cursor:
            await cursor.execute(sql)

    task = asyncio.create_task(run())
    await asyncio.sleep(after)
    task.cancel()
    started = loop.time()
    with pytest.raises(asyncio.CancelledError):
        await task
    return loop.time() - started


def _write_lock_is_free(path: str) -> bool:
    probe = sqlite3.connect(path, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.rollback()
        probe.close()


@pytest.mark.parametrize("end", ["close", "rollback"])
async def test_a_write_cancelled_while_waiting_for_the_lock_leaves_nothing_behind(
    connection: InlineConnection, tmp_path: Path, end: str
) -> None:
    """The cancelled UPDATE keeps waiting on the thread and gets the lock when the holder
    lets go; then close (SQLAlchemy invalidates a cancelled connection) or rollback (the
    pool's reset) must undo it and free the lock. RETURNING left unfetched made
    sqlite3's close() keep the connection, and its transaction, alive."""
    path = str(tmp_path / "inline.db")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        waited = await _cancel_on_the_thread(
            connection, "UPDATE t SET v = 'cancelled' WHERE id = 1 RETURNING id", 0.3
        )
        assert waited < 0.5  # the caller is not held until the lock comes free
        assert connection.abandoned
    finally:
        holder.execute("COMMIT")  # the cancelled UPDATE now gets the lock, on the thread
        holder.close()
    if end == "close":
        await connection.close()
    else:
        await connection.rollback()
        assert not connection.abandoned
        # The connection is usable again, inline reads included.
        assert await _select(connection, "SELECT v FROM t WHERE id = 1") == [("v0",)]
    assert _write_lock_is_free(path)
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT v FROM t WHERE id = 1").fetchone() == ("v0",)


async def test_a_cancelled_long_statement_is_interrupted(connection: InlineConnection) -> None:
    slow = "SELECT count(*) FROM t a, t b, t c, t d"  # 100M rows: many seconds
    await _cancel_on_the_thread(connection, slow, 0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(connection.rollback(), 5)  # queued after the interrupted count
    assert loop.time() - started < 1.0
    assert await _select(connection, "SELECT count(*) FROM t") == [(100,)]


@pytest.mark.parametrize(
    ("message", "goes_to_thread"),
    [
        ("database schema has changed", True),
        ("database is locked", True),
        ("no such table: t2", False),
    ],
)
def test_a_read_that_cannot_run_inline_goes_to_the_thread_and_is_not_remembered_as_slow(
    tmp_path: Path, message: str, goes_to_thread: bool
) -> None:
    # A cursor standing in for sqlite3's failure: "schema has changed" is what a statement
    # prepared before another connection's DDL reports when its re-prepare gives up.
    class Failing:
        def execute(self, sql: str, parameters: object) -> None:
            raise sqlite3.OperationalError(message)

    slow: dict[str, None] = {}
    with sqlite3.connect(str(tmp_path / "schema.db")) as conn:
        cursor: Any = Failing()
        if goes_to_thread:
            assert sqlite_inline.select_within_budget(conn, cursor, "SELECT 1", (), slow) is None
        else:
            with pytest.raises(sqlite3.OperationalError, match="no such table"):
                sqlite_inline.select_within_budget(conn, cursor, "SELECT 1", (), slow)
    assert slow == {}
