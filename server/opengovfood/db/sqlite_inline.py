"""aiosqlite, with short reads run on the event loop instead of its thread.

aiosqlite runs every call (cursor, execute, fetchall, close, rollback) on one
thread per connection. Each hop costs ~90 us of CPU plus a GIL hand-off, and on a
one-core server a GetItem made five of them: more than the rest of the RPC. A
primary-key SELECT itself takes ~3 us. So this connection:

- runs a SELECT inline (on the loop) under a budget: a progress handler aborts it
  after INLINE_BUDGET x PROGRESS_STEPS VM steps and it re-runs on the thread, and its SQL text is
  remembered so it goes to the thread directly next time (a count over a million
  rows never stalls the loop twice);
- only on a database in WAL mode, where readers never wait for writers (a
  rollback-journal database keeps every call on the thread); a read that still
  reports "locked" or "busy" re-runs on the thread;
- creates and closes cursors inline, and skips commit/rollback when no
  transaction is open (the pool's reset-on-return was a hop per checkout);
- sends everything else (INSERT/UPDATE/DELETE, BEGIN, COMMIT, PRAGMA) to the
  thread as before: a writer may wait for SQLite's lock, and the loop must not. A
  statement that returns rows (RETURNING) brings them back in the same hop.

Calls on one connection are sequential (SQLAlchemy awaits each), so the thread and
the loop never use the connection at the same time. Except after a cancellation (a
client's deadline): the cancelled call may still run on the thread (a write waiting
for SQLite's lock keeps waiting; sqlite3's interrupt() does not cut a lock wait short),
and sqlite3's close() does not roll back: with an UPDATE ... RETURNING left unfetched,
the closed connection lived on holding the write lock, and its write. So a cancelled
thread call marks the connection "abandoned": it interrupts a running statement, keeps
every later call off the loop, and the next rollback or close first closes the
abandoned cursors and rolls back on the thread, queued after the cancelled call.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager

# A read may run ~200k SQLite VM steps (about 1-2 ms) on the loop. Counted in steps,
# not seconds, so a busy machine descheduling us does not look like a slow query.
PROGRESS_STEPS = 1000  # VM steps between progress-handler calls
INLINE_BUDGET = 200  # progress-handler calls before a read is sent to the thread
_SLOW_SQL_LIMIT = 512
_slow_sql: dict[str, None] = {}


def _is_select(sql: str) -> bool:
    return sql.lstrip()[:6].upper() == "SELECT"


class InlineCursor(aiosqlite.Cursor):
    def __init__(self, conn: InlineConnection, cursor: sqlite3.Cursor) -> None:
        super().__init__(conn, cursor)
        self._inline_conn = conn
        self._rows: deque[Any] | None = None

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await self._inline_conn._execute(fn, *args, **kwargs)
        except asyncio.CancelledError:
            self._inline_conn.abandon(self._cursor)
            raise

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> InlineCursor:
        params: Any = () if parameters is None else parameters
        self._rows = None
        conn = self._inline_conn
        if _is_select(sql) and sql not in _slow_sql and not conn.abandoned and await conn.is_wal():
            rows = conn.select_inline(self._cursor, sql, params)
            if rows is not None:
                self._rows = deque(rows)
                return self
        rows = await self._execute(self._execute_and_fetch, sql, params)
        if rows is not None:
            self._rows = deque(rows)
        return self

    def _execute_and_fetch(self, sql: str, parameters: Any) -> list[Any] | None:
        """On the thread: run, and fetch any rows in the same hop (SQLAlchemy fetches
        them all next anyway; an INSERT ... RETURNING took two hops of ~170 us)."""
        cursor = self._cursor
        cursor.execute(sql, parameters)
        return cursor.fetchall() if cursor.description is not None else None

    async def fetchone(self) -> Any:
        if self._rows is not None:
            return self._rows.popleft() if self._rows else None
        return await super().fetchone()

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        if self._rows is not None:
            count = self.arraysize if size is None else size
            return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]
        return await super().fetchmany(size)  # type: ignore[return-value]

    async def fetchall(self) -> Sequence[Any]:
        if self._rows is not None:
            rows = list(self._rows)
            self._rows.clear()
            return rows
        return await super().fetchall()  # type: ignore[return-value]

    async def close(self) -> None:
        self._rows = None
        if self._inline_conn.abandoned:
            # The thread may be running this cursor's statement (and holding the
            # connection's mutex, which close needs): the settling closes it.
            self._inline_conn.close_later(self._cursor)
            return
        self._cursor.close()  # finalizes statements; never waits for a lock


class InlineConnection(aiosqlite.Connection):
    def __init__(self, path: str, timeout: float) -> None:
        def connector() -> sqlite3.Connection:
            return sqlite3.connect(path, timeout=timeout, check_same_thread=False)

        super().__init__(connector, iter_chunk_size=64)
        self._thread.daemon = True
        self._wal: bool | None = None
        self.abandoned = False  # a cancelled thread call may still be running there
        self._abandoned_cursors: list[sqlite3.Cursor] = []

    @property
    def is_open(self) -> bool:
        return self._running and self._connection is not None

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        except asyncio.CancelledError:
            self.abandon(None)
            raise

    def abandon(self, cursor: sqlite3.Cursor | None) -> None:
        """A call sent to the thread was cancelled and may still be running there."""
        self.abandoned = True
        if cursor is not None:
            self.close_later(cursor)
        if self._connection is not None:
            # Ends a long statement early (it does not end a wait for the lock).
            self._connection.interrupt()

    def close_later(self, cursor: sqlite3.Cursor) -> None:
        if cursor not in self._abandoned_cursors:
            self._abandoned_cursors.append(cursor)

    async def _settle(self) -> None:
        """Close abandoned cursors and roll back, on the thread: after the cancelled
        call, whatever it did."""
        cursors, self._abandoned_cursors = self._abandoned_cursors, []
        await super()._execute(partial(self._settle_on_thread, cursors))  # type: ignore[no-untyped-call]
        self.abandoned = False

    def _settle_on_thread(self, cursors: list[sqlite3.Cursor]) -> None:
        for cursor in cursors:
            # An unfinished statement (RETURNING rows not fetched, or interrupted)
            # makes ROLLBACK fail and close() leave the connection alive.
            with contextlib.suppress(sqlite3.Error):
                cursor.close()
        connection = self._connection
        if connection is not None and connection.in_transaction:
            connection.rollback()

    def _settle_quietly(self, cursors: list[sqlite3.Cursor]) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._settle_on_thread(cursors)

    async def is_wal(self) -> bool:
        """Whether the database is in WAL mode: asked (on the thread: it may wait for a
        lock) at the first read, after the engine's connect hook has set it."""
        if self._wal is None:
            rows = await self._execute(self._journal_mode)
            self._wal = rows == "wal"
        return self._wal

    def _journal_mode(self) -> str:
        row = self._conn.execute("PRAGMA journal_mode").fetchone()
        return str(row[0]).lower() if row else ""

    @contextmanager
    async def cursor(self) -> InlineCursor:  # type: ignore[override]
        return InlineCursor(self, self._conn.cursor())

    async def commit(self) -> None:
        if self._conn.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self.abandoned:
            # in_transaction says nothing yet: the cancelled write may not have begun.
            await self._settle()
        elif self._conn.in_transaction:
            await super().rollback()

    async def close(self) -> None:
        try:
            if self.is_open:
                # sqlite3's close() does not roll back; with an unfinished statement
                # the connection would outlive it, holding its transaction and lock.
                with contextlib.suppress(sqlite3.Error):
                    await self._settle()
        finally:
            await super().close()

    def stop(self) -> asyncio.Future[Any] | None:
        """SQLAlchemy's terminate() when a graceful close() was cancelled."""
        if self._running and self._connection is not None:
            cursors, self._abandoned_cursors = self._abandoned_cursors, []
            self._tx.put_nowait((None, partial(self._settle_quietly, cursors)))
        return super().stop()

    def select_inline(self, cursor: sqlite3.Cursor, sql: str, parameters: Any) -> list[Any] | None:
        """Rows of a SELECT run right here, or None: run it on the thread instead."""
        return select_within_budget(self._conn, cursor, sql, parameters, _slow_sql)


def select_within_budget(
    conn: sqlite3.Connection,
    cursor: sqlite3.Cursor,
    sql: str,
    parameters: Any,
    slow: dict[str, None],
) -> list[Any] | None:
    """Rows of a SELECT run right here (on the loop) under the VM-step budget, or None:
    run it where waiting is fine. Over budget, `sql` is remembered in `slow` (bounded);
    "locked"/"busy" is not remembered (it passes), nor is "schema has changed" (another
    connection ran DDL, e.g. a migration's index, after this one prepared the statement:
    the thread's run prepares it afresh)."""
    calls = 0

    def over_budget() -> bool:
        nonlocal calls
        calls += 1
        return calls > INLINE_BUDGET

    conn.set_progress_handler(over_budget, PROGRESS_STEPS)
    try:
        cursor.execute(sql, parameters)
        return cursor.fetchall()
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if "interrupted" in message:
            if len(slow) >= _SLOW_SQL_LIMIT:
                slow.clear()
            slow[sql] = None
            return None
        if "locked" in message or "busy" in message or "schema has changed" in message:
            return None
        raise
    finally:
        conn.set_progress_handler(None, 0)


async def connect(path: str, lock_wait: float) -> InlineConnection:
    """An SQLAlchemy `async_creator` for sqlite+aiosqlite engines; `lock_wait` seconds
    is sqlite3's busy timeout."""
    connection = InlineConnection(path, lock_wait)
    await connection
    return connection
