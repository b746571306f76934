"""SQLite writes in one thread hop, without SQLAlchemy's per-execution work.

Through the engine, a CreateItem on SQLite was a pool checkout, BEGIN, INSERT ...
RETURNING and COMMIT, each an aiosqlite thread hop (~90 us of CPU plus a GIL
hand-off) wrapped in SQLAlchemy's execution machinery: three times the CPU of a read.
Here a write is one function (`work`) that runs whole on a dedicated thread, on a
dedicated connection: BEGIN IMMEDIATE (the write lock up front), the statements
(compiled once, db/fast_reads.compile_read), COMMIT; an exception from `work` rolls
back. One thread per process: SQLite has one writer at a time anyway, and a writer
waiting for the lock (busy timeout) holds no event loop.

- A caller cancelled (a client's deadline) before its write's turn: it never runs;
  while it waits for SQLite's lock or runs: it rolls back (the lock is waited for
  here, in short sleeps, so a cancelled write stops waiting). `on_commit` runs on the
  event loop once the transaction has committed, even if the caller was cancelled
  meanwhile: a committed write is always announced.
- sqlite3's errors become SQLAlchemy's (`OperationalError` for "database is locked",
  `IntegrityError`), as the engine path raises them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import exc as sa_exc

from opengovfood.db.fast_reads import CompiledRead

T = TypeVar("T")


class SqliteTransaction:
    """The statements of one write, on the writer thread."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def fetch(self, stmt: CompiledRead, values: Mapping[str, Any]) -> list[sqlite3.Row]:
        cursor = self._connection.execute(stmt.sql, stmt.parameters(values))
        try:
            return cursor.fetchall()
        finally:
            cursor.close()


class _Abandoned(Exception):
    """The caller was cancelled before COMMIT: roll back."""


def translate(error: BaseException) -> BaseException:
    if isinstance(error, sqlite3.IntegrityError):
        return sa_exc.IntegrityError("", None, error)
    if isinstance(error, sqlite3.OperationalError):
        return sa_exc.OperationalError("", None, error)
    return error


class SqliteWrites:
    def __init__(self, path: str, busy_timeout_ms: int, queue_timeout: float) -> None:
        """`queue_timeout`: seconds a write may wait for its turn before it fails with
        SQLAlchemy's TimeoutError (UNAVAILABLE), as a wait for a pooled connection."""
        self._path = path
        self._busy_timeout = busy_timeout_ms / 1000
        self._queue_timeout = queue_timeout
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="sqlite-writes"
        )
        self._connection: sqlite3.Connection | None = None  # used on the thread only
        self.served = 0

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            # timeout=0: the lock is waited for in `_begin`, which can stop waiting.
            connection = sqlite3.connect(self._path, timeout=0, isolation_level=None)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._connection = connection
        return self._connection

    def _begin(self, connection: sqlite3.Connection, cancelled: threading.Event) -> None:
        """BEGIN IMMEDIATE, waiting up to the busy timeout for the write lock."""
        deadline = time.monotonic() + self._busy_timeout
        pause = 0.001
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                message = str(error)
                if "locked" not in message and "busy" not in message:
                    raise
                if cancelled.is_set():
                    raise _Abandoned() from None
                if time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.02)

    def _transaction(
        self,
        work: Callable[[SqliteTransaction], T],
        started: Callable[[], None],
        cancelled: threading.Event,
    ) -> T:
        started()
        connection = self._connect()
        self._begin(connection, cancelled)
        try:
            result = work(SqliteTransaction(connection))
            if cancelled.is_set():
                raise _Abandoned()
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        try:
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        return result

    async def run(
        self,
        work: Callable[[SqliteTransaction], T],
        on_commit: Callable[[T], None] | None = None,
    ) -> T:
        """Run `work` in one transaction on the writer thread; its result."""
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()

        def begin() -> None:
            if not turn.done():
                turn.set_result(None)

        def started() -> None:
            loop.call_soon_threadsafe(begin)

        cancelled = threading.Event()
        future = self._executor.submit(self._transaction, work, started, cancelled)
        if on_commit is not None:

            def committed(done: concurrent.futures.Future[T]) -> None:
                if not done.cancelled() and done.exception() is None:
                    loop.call_soon_threadsafe(on_commit, done.result())

            future.add_done_callback(committed)
        try:
            # Not wait_for: on Python 3.11 it returns the result when a cancel arrives
            # just as the turn comes, and the write would then run for a caller gone.
            async with asyncio.timeout(self._queue_timeout):
                await asyncio.shield(turn)
        except TimeoutError:
            if future.cancel():  # still queued: it never runs
                raise sa_exc.TimeoutError(
                    f"no turn to write within {self._queue_timeout:g}s"
                ) from None
        except asyncio.CancelledError:
            cancelled.set()
            future.cancel()  # never runs if it has not started
            raise
        try:
            result = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            cancelled.set()  # rolls back unless it is committing already
            raise
        except sqlite3.Error as error:
            raise translate(error) from error
        self.served += 1
        return result

    async def close(self) -> None:
        """Finish the writes already started (off the loop), then close."""

        def close_connection() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        with contextlib.suppress(RuntimeError):  # already shut down
            self._executor.submit(close_connection)
        await asyncio.to_thread(self._executor.shutdown, True)
