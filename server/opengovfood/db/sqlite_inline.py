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
  thread as before: a writer may wait for SQLite's lock, and the loop must not.

Calls on one connection are sequential (SQLAlchemy awaits each), so the thread and
the loop never use the connection at the same time.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
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

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> InlineCursor:
        params: Any = () if parameters is None else parameters
        self._rows = None
        conn = self._inline_conn
        if _is_select(sql) and sql not in _slow_sql and await conn.is_wal():
            rows = conn.select_inline(self._cursor, sql, params)
            if rows is not None:
                self._rows = deque(rows)
                return self
        await self._execute(self._cursor.execute, sql, params)  # type: ignore[no-untyped-call]
        return self

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
        self._cursor.close()  # finalizes statements; never waits for a lock


class InlineConnection(aiosqlite.Connection):
    def __init__(self, path: str, timeout: float) -> None:
        def connector() -> sqlite3.Connection:
            return sqlite3.connect(path, timeout=timeout, check_same_thread=False)

        super().__init__(connector, iter_chunk_size=64)
        self._thread.daemon = True
        self._wal: bool | None = None

    async def is_wal(self) -> bool:
        """Whether the database is in WAL mode: asked (on the thread: it may wait for a
        lock) at the first read, after the engine's connect hook has set it."""
        if self._wal is None:
            rows = await self._execute(self._journal_mode)  # type: ignore[no-untyped-call]
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
        if self._conn.in_transaction:
            await super().rollback()

    def select_inline(self, cursor: sqlite3.Cursor, sql: str, parameters: Any) -> list[Any] | None:
        """Rows of a SELECT run right here, or None: run it on the thread instead."""
        conn = self._conn
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
                if len(_slow_sql) >= _SLOW_SQL_LIMIT:
                    _slow_sql.clear()
                _slow_sql[sql] = None
                return None
            if "locked" in message or "busy" in message:
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
