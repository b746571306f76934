"""Hot SQLite reads without SQLAlchemy's per-execution work or aiosqlite's thread.

Profiling GetItem with py-spy (bench/, `--profile`) showed most of the RPC's server
CPU in SQLAlchemy's machinery around a ~3 us primary-key lookup: session, pool
checkout and reset, execution context, result and type processing. The few hot
reads (GetItem, ListItems and its count) therefore compile their Core statement
once per shape (`compile_read`) and run it here, on one dedicated sqlite3
connection, synchronously on the event loop:

- only while the database is in WAL mode, where a reader never waits for a writer;
- with a busy timeout of 0 and a VM-step budget (as `sqlite_inline`), so the loop is
  never held: a read that finds the database locked or busy, or runs over budget,
  returns None and the caller runs it the normal way (session, aiosqlite thread).
  An over-budget statement is remembered and not tried here again;
- each SELECT is its own read transaction (autocommit), so it sees every commit
  made before it, like a fresh pooled connection would.

Statements with values expanded at execution time (`IN` lists) are not compiled
here (`compile_read` returns None); they run the normal way.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.sql import Select

from opengovfood.db.sqlite_functions import register_functions
from opengovfood.db.sqlite_inline import select_within_budget

logger = logging.getLogger("opengovfood.db")

_DIALECT = sqlite_dialect.dialect()
Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class CompiledRead:
    """A SELECT compiled for SQLite, with its parameters' order, default values and
    bind processors (e.g. aware datetime -> stored UTC text)."""

    sql: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]
    processors: tuple[Processor, ...]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        defaults = self.defaults
        for name, process in zip(self.names, self.processors, strict=True):
            value = values[name] if name in values else defaults[name]
            out.append(value if process is None or value is None else process(value))
        return tuple(out)


def compile_read(stmt: Select[Any]) -> CompiledRead | None:
    """Compile `stmt` once. Its bindparams without a value are supplied per execution;
    the others (filter literals, LIMIT) keep the value compiled in."""
    compiled = stmt.compile(dialect=_DIALECT)
    if "POSTCOMPILE" in compiled.string or compiled.positiontup is None:
        return None
    names = tuple(compiled.positiontup)
    if any(name not in compiled.binds for name in names):
        return None  # an escaped name we cannot map back; not worth handling
    placeholders = {name: None for name, bind in compiled.binds.items() if bind.required}
    defaults = compiled.construct_params(params=placeholders)
    processors = tuple(
        compiled.binds[name].type.dialect_impl(_DIALECT).bind_processor(_DIALECT) for name in names
    )
    return CompiledRead(compiled.string, names, defaults, processors)


class SqliteFastReads:
    """The dedicated connection; `fetch` returns rows (sqlite3.Row: by column name), or
    None: run it the normal way."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._usable = True
        self._slow: dict[str, None] = {}  # over budget once: never tried here again
        self.served = 0  # reads answered here
        self.declined = 0  # reads sent back to the normal path

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is not None:
            return self._conn
        if not self._usable or not os.path.exists(self._path):
            return None  # not migrated yet: connecting would create an empty database
        try:
            conn = sqlite3.connect(
                self._path, timeout=0, check_same_thread=False, isolation_level=None
            )
            row = conn.execute("PRAGMA journal_mode").fetchone()
        except sqlite3.Error:
            return None  # locked right now (e.g. a migration): try again next time
        if not row or str(row[0]).lower() != "wal":
            # A rollback-journal database makes readers wait for writers: never inline.
            conn.close()
            self._usable = False
            return None
        conn.execute("PRAGMA query_only=ON")  # a bug here can never write
        conn.row_factory = sqlite3.Row  # rows are read by column name
        register_functions(conn)
        self._conn = conn
        return conn

    def fetch(self, read: CompiledRead, values: Mapping[str, Any]) -> list[Any] | None:
        rows = self._fetch(read, values)
        if rows is None:
            self.declined += 1
        else:
            self.served += 1
        return rows

    def _fetch(self, read: CompiledRead, values: Mapping[str, Any]) -> list[Any] | None:
        if read.sql in self._slow:
            return None
        conn = self._connection()
        if conn is None:
            return None
        cursor = conn.cursor()
        try:
            return select_within_budget(conn, cursor, read.sql, read.parameters(values), self._slow)
        finally:
            cursor.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
