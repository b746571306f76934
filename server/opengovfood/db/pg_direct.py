"""Hot PostgreSQL statements on raw asyncpg connections, without SQLAlchemy's
per-execution work.

Profiling GetItem on PostgreSQL (bench/, `--profile`) showed the RPC's server CPU
mostly in SQLAlchemy around a sub-millisecond primary-key lookup: pool checkout
with its pre-ping (a `SELECT 1` round trip), the execution context, result and type
processing, and, under 32 callers, overflow connections opened and closed per
request. The hot statements (the item repository's reads and writes) therefore run
here instead, compiled once per shape (`compile_statement`), as asyncpg prepared
statements (asyncpg keeps them per connection, by SQL text):

- a small pool of its own (`PgDirect`): connections are opened on demand up to
  `size` and then kept (no overflow churn); one that the server closed (a restart,
  a cut) is noticed at checkout and replaced, and a read that fails on a connection
  that had been idle runs again on another, as a pre-ping would have;
- a single statement runs in autocommit (no BEGIN/COMMIT round trips); a write
  that needs a decision before COMMIT uses `transaction()`;
- asyncpg's errors become SQLAlchemy's (`OperationalError`, `IntegrityError`,
  `TimeoutError` when no connection frees up in time), so callers and the error
  interceptor see what the ORM path raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

logger = logging.getLogger("opengovfood.db")

_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
Processor = Callable[[Any], Any] | None
Connect = Callable[[], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class PgStatement:
    """A statement compiled for asyncpg (`$1` placeholders), with its parameters'
    order, their compiled-in values and bind processors."""

    sql: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]
    processors: tuple[Processor, ...]

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        out = []
        defaults = self.defaults
        for name, process in zip(self.names, self.processors, strict=True):
            value = values[name] if name in values else defaults[name]
            out.append(value if process is None or value is None else process(value))
        return out


def compile_statement(stmt: ClauseElement) -> PgStatement:
    """Compile once. Bindparams without a value are supplied per execution; the
    others (filter literals, LIMIT, IN lists) keep the value compiled in."""
    compiled = cast(SQLCompiler, stmt.compile(dialect=_DIALECT))
    placeholders = {name: None for name, bind in compiled.binds.items() if bind.required}
    # IN lists (expanding parameters) are rendered with their compiled-in values.
    state = compiled.construct_expanded_state(placeholders)
    names = tuple(state.positiontup or ())
    processors = tuple(
        compiled.binds[name].type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
        if name in compiled.binds
        else state.processors.get(name)
        for name in names
    )
    return PgStatement(state.statement, names, dict(state.parameters), processors)


def _connection_error(error: BaseException) -> bool:
    import asyncpg  # type: ignore[import-untyped]

    return isinstance(
        error,
        (
            asyncpg.InterfaceError,  # connection closed / does not exist
            # A connection the server ended while idle can answer this before it
            # reads as closed (a FATAL message it had not processed yet).
            asyncpg.exceptions._base.InternalClientError,
            asyncpg.PostgresConnectionError,
            asyncpg.CannotConnectNowError,
            asyncpg.exceptions.AdminShutdownError,
            asyncpg.exceptions.CrashShutdownError,
            ConnectionError,
            OSError,
            TimeoutError,
        ),
    )


def translate(error: BaseException, sql: str = "") -> BaseException:
    """asyncpg's error as the SQLAlchemy exception the ORM path would have raised
    (the error interceptor maps those: UNAVAILABLE, ABORTED); others unchanged."""
    import asyncpg

    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        return sa_exc.IntegrityError(sql, None, error)
    if isinstance(error, asyncpg.QueryCanceledError) or _connection_error(error):
        return sa_exc.OperationalError(sql, None, error)
    return error


class PgDirect:
    """Raw asyncpg connections for single statements (autocommit) and short
    transactions. At most `size` connections; a caller waits up to `timeout` for
    one, then gets SQLAlchemy's TimeoutError (UNAVAILABLE)."""

    def __init__(self, connect: Connect, size: int, timeout: float) -> None:
        self._connect = connect
        self.size = size
        self._timeout = timeout
        self._idle: deque[Any] = deque()
        self._opened = 0  # connections open or being opened
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False
        self._draining: set[asyncio.Task[None]] = set()

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def opened(self) -> int:
        return self._opened

    async def _acquire(self) -> tuple[Any, bool]:
        """(connection, fresh): fresh if opened for this call."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        while True:
            if self._closed:
                raise sa_exc.OperationalError("", None, ConnectionError("pool closed"))
            while self._idle:
                connection = self._idle.pop()  # the most recently used: warm caches
                if not connection.is_closed():
                    return connection, False
                self._forget(connection)
            if self._opened < self.size:
                self._opened += 1
                try:
                    return await self._connect(), True
                except BaseException as error:
                    self._opened -= 1
                    self._wake()
                    raise translate(error) from error
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise sa_exc.TimeoutError(
                    f"no database connection free within {self._timeout:g}s (pool of {self.size})"
                )
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _forget(self, connection: Any) -> None:
        self._opened -= 1
        if not connection.is_closed():
            connection.terminate()

    def _release(self, connection: Any, broken: bool = False) -> None:
        if broken or self._closed or connection.is_closed():
            self._forget(connection)
        else:
            self._idle.append(connection)
        self._wake()

    def _release_cancelled(self, connection: Any) -> None:
        """A statement cancelled mid-flight (a deadline, a client gone). asyncpg sends
        PostgreSQL the CancelRequest from a task of its own, which terminate() would
        cancel, leaving the statement running on the server (waiting on a row lock,
        say) after its caller has given up. So the connection is drained on the side:
        its next command waits for the cancel to land; then it is pooled again."""
        if self._closed or connection.is_closed():
            self._release(connection, broken=True)
            return
        task = asyncio.get_running_loop().create_task(self._drain(connection))
        self._draining.add(task)
        task.add_done_callback(self._draining.discard)

    async def _drain(self, connection: Any) -> None:
        try:
            # An autocommit connection: nothing to roll back; ROLLBACK only warns.
            await asyncio.wait_for(connection.execute("ROLLBACK"), self._timeout)
        except asyncio.CancelledError:
            self._release(connection, broken=True)
            raise
        except Exception:  # noqa: BLE001 - the cancel did not land: drop the connection
            self._release(connection, broken=True)
        else:
            self._release(connection)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A connection for this caller alone (not in a transaction)."""
        connection, _fresh = await self._acquire()
        broken = False
        try:
            yield connection
        except asyncio.CancelledError:
            self._release_cancelled(connection)
            raise
        except BaseException as error:
            broken = _connection_error(error)
            self._release(connection, broken)
            raise
        else:
            self._release(connection)

    async def fetch(self, stmt: PgStatement, values: Mapping[str, Any]) -> list[Any]:
        """The statement's rows, run alone (autocommit). Only for statements that can
        be repeated safely (reads): a pooled connection found broken is dropped and
        the statement runs on another."""
        arguments = stmt.arguments(values)
        # Every pooled connection may have been ended meanwhile (a restart): try each
        # at most once, then a fresh one.
        for _attempt in range(self.size + 1):
            connection, fresh = await self._acquire()
            try:
                rows: list[Any] = await connection.fetch(stmt.sql, *arguments)
            except asyncio.CancelledError:
                self._release_cancelled(connection)
                raise
            except BaseException as error:
                broken = _connection_error(error)
                self._release(connection, broken)
                if broken and not fresh:
                    continue
                raise translate(error, stmt.sql) from error
            self._release(connection)
            return rows
        raise sa_exc.OperationalError(stmt.sql, None, ConnectionError("no usable connection"))

    async def fetch_once(self, stmt: PgStatement, values: Mapping[str, Any]) -> list[Any]:
        """The statement's rows, run alone (autocommit) and never retried (writes)."""
        arguments = stmt.arguments(values)
        async with self.connection() as connection:
            try:
                rows: list[Any] = await connection.fetch(stmt.sql, *arguments)
            except Exception as error:
                raise translate(error, stmt.sql) from error
        return rows

    async def _begin(self) -> Any:
        """A connection with BEGIN done. BEGIN changes nothing, so a pooled connection
        found broken there is dropped and another tried."""
        for _attempt in range(self.size + 1):
            connection, fresh = await self._acquire()
            try:
                await connection.execute("BEGIN")
            except BaseException as error:
                cancelled = isinstance(error, asyncio.CancelledError)
                broken = cancelled or _connection_error(error)
                self._release(connection, broken)
                if broken and not fresh and not cancelled:
                    continue
                raise translate(error) from error
            return connection
        raise sa_exc.OperationalError("BEGIN", None, ConnectionError("no usable connection"))

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN ... COMMIT on one connection; an exception rolls back."""
        connection = await self._begin()
        broken = False
        try:
            try:
                yield Transaction(connection)
            except BaseException:
                if not connection.is_closed():
                    # A connection whose rollback fails is dropped below.
                    try:
                        await connection.execute("ROLLBACK")
                    except Exception as error:
                        raise translate(error) from error
                raise
            try:
                await connection.execute("COMMIT")
            except Exception as error:
                raise translate(error) from error
        except BaseException as error:
            cause = error.__cause__ if error.__cause__ is not None else error
            broken = isinstance(error, asyncio.CancelledError) or _connection_error(cause)
            raise
        finally:
            self._release(connection, broken)

    async def close(self) -> None:
        self._closed = True
        if self._draining:
            await asyncio.wait(list(self._draining), timeout=2)
        for task in list(self._draining):
            task.cancel()
        idle, self._idle = list(self._idle), deque()
        for connection in idle:
            self._opened -= 1
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=2)
            if not connection.is_closed():
                connection.terminate()
        self._wake()


class Transaction:
    """Statements inside `PgDirect.transaction()`."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def fetch(self, stmt: PgStatement, values: Mapping[str, Any]) -> list[Any]:
        try:
            rows: list[Any] = await self._connection.fetch(stmt.sql, *stmt.arguments(values))
        except Exception as error:
            raise translate(error, stmt.sql) from error
        return rows


def asyncpg_connect(
    dsn: str, timeout: float, command_timeout: float, application_name: str
) -> Connect:
    async def connect() -> Any:
        import asyncpg

        return await asyncpg.connect(
            dsn,
            timeout=timeout,
            command_timeout=command_timeout,
            server_settings={"application_name": application_name},
        )

    return connect
