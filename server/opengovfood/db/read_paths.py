"""The repositories' hot reads, each statement shape built and compiled once, run on
the backend's fast path, with the engine as the fallback.

Items, establishments and analyses read the same way (GetItem, the List pages and
their counts): a statement's shape (what the caller's filter, order and scope make of
it) is built into a Core SELECT once, compiled once for the fast path of the backend,
and then run per call with only its values bound:

- SQLite: on the dedicated read connection (db/fast_reads); when it declines (locked,
  over budget, not compilable) the statement runs on the engine;
- PostgreSQL: as an asyncpg prepared statement on a raw connection (db/pg_direct);
- otherwise (no fast path given): on the engine, in AUTOCOMMIT on PostgreSQL (one
  statement needs no transaction: no BEGIN/ROLLBACK round trips).

Each path returns rows of its own type, so the caller says how each becomes a record
(`RowReaders`): sqlite3.Rows carry SQLite's types (timestamps as naive UTC text),
asyncpg Records PostgreSQL's (aware datetimes), and SQLAlchemy rows the engine's.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine

from opengovfood.db.fast_reads import CompiledRead, SqliteFastReads, compile_read
from opengovfood.db.pg_direct import PgDirect, PgStatement, compile_statement

T = TypeVar("T")
Compiled = CompiledRead | PgStatement | None
# Arbitrary filters make arbitrary shapes: the cache is emptied when it reaches this.
CACHE_LIMIT = 512


@dataclass(frozen=True, slots=True)
class RowReaders(Generic[T]):
    """How one row becomes a record, for each path's row type."""

    sqlite: Callable[[Any], T]  # sqlite3.Row from db/fast_reads: SQLite's own types
    asyncpg: Callable[[Any], T]  # asyncpg Record from db/pg_direct: PostgreSQL's types
    engine: Callable[[Any], T]  # SQLAlchemy Row: the engine's result processing


class CompiledReads(Generic[T]):
    """A repository's read statements by shape, and where they run."""

    def __init__(
        self,
        engine: AsyncEngine,
        rows: RowReaders[T],
        fast: SqliteFastReads | None = None,
        direct: PgDirect | None = None,
    ) -> None:
        """`fast` is used on SQLite only, `direct` on PostgreSQL only."""
        dialect = engine.dialect.name
        self._reader = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if dialect == "postgresql"
            else engine
        )
        self._rows = rows
        self._fast = fast if dialect == "sqlite" else None
        self._direct = direct if dialect == "postgresql" else None
        self._statements: dict[Hashable, tuple[Select[Any], Compiled]] = {}

    def statement(
        self, shape: Hashable, build: Callable[[], Select[Any]]
    ) -> tuple[Select[Any], Compiled]:
        """The statement of `shape` (`build` makes it the first time), and its
        compiled form for the fast path (None: the engine runs it)."""
        entry = self._statements.get(shape)
        if entry is None:
            stmt = build()
            compiled: Compiled = None
            if self._fast is not None:
                compiled = compile_read(stmt)
            elif self._direct is not None:
                compiled = compile_statement(stmt)
            if len(self._statements) >= CACHE_LIMIT:
                self._statements.clear()
            entry = self._statements[shape] = (stmt, compiled)
        return entry

    async def fetch(
        self, shape: Hashable, build: Callable[[], Select[Any]], values: Mapping[str, Any]
    ) -> tuple[list[Any], Callable[[Any], T]]:
        """The rows, and how one becomes a record (the reader for the path that ran)."""
        stmt, compiled = self.statement(shape, build)
        if isinstance(compiled, CompiledRead) and self._fast is not None:
            rows = self._fast.fetch(compiled, values)
            if rows is not None:
                return rows, self._rows.sqlite
        elif isinstance(compiled, PgStatement) and self._direct is not None:
            return await self._direct.fetch(compiled, values), self._rows.asyncpg
        async with self._reader.connect() as connection:
            return list((await connection.execute(stmt, values)).all()), self._rows.engine

    async def records(
        self, shape: Hashable, build: Callable[[], Select[Any]], values: Mapping[str, Any]
    ) -> list[T]:
        """The rows as records."""
        rows, record = await self.fetch(shape, build, values)
        return [record(row) for row in rows]
