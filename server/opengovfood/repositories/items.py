"""Item and item-request rows (SQLAlchemy Core for speed; no rules, no protobuf).

Callers pass visibility/filter conditions in; every write is one statement with
RETURNING, so a conditional update is atomic on both backends.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Row, Select, Table, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from opengovfood.db.fast_reads import CompiledRead, SqliteFastReads, compile_read
from opengovfood.db.models import Item, ItemRequest

items = cast(Table, Item.__table__)
requests = cast(Table, ItemRequest.__table__)
AnyRow = Row[*tuple[Any, ...]]

# ListItems' filter and order fields (services/items.py) -> columns.
LIST_COLUMNS: Mapping[str, ColumnElement[Any]] = {
    "status": items.c.status,
    "owner_id": items.c.owner_id,
    "create_time": items.c.create_time,
    "update_time": items.c.update_time,
    "title": items.c.title,
    "description": items.c.description,
    "id": items.c.id,
}

COLUMNS = (
    items.c.id,
    items.c.title,
    items.c.description,
    items.c.status,
    items.c.owner_id,
    items.c.create_time,
    items.c.update_time,
    items.c.version,
)


async def insert_item(session: AsyncSession, values: dict[str, Any]) -> AnyRow:
    result = await session.execute(insert(items).values(**values).returning(*COLUMNS))
    return result.one()


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _from_sqlite(raw: Sequence[Any]) -> tuple[Any, ...]:
    """A raw sqlite3 row of COLUMNS as SQLAlchemy would return it (UTC datetimes)."""
    id_, title, description, status, owner_id, create_time, update_time, version = raw
    return (
        id_,
        title,
        description,
        status,
        owner_id,
        _utc(create_time),
        _utc(update_time),
        version,
    )


class ItemReads:
    """The hot reads (GetItem, ListItems and its count). Each statement shape is built
    once (`shape` names it; `build` makes it, with named bindparams for what varies per
    call) and, on SQLite, compiled once and run on the fast path (db/fast_reads);
    through an engine connection otherwise, or when the fast path declines. Rows are tuples in
    COLUMNS order."""

    _CACHE_LIMIT = 512

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], fast: SqliteFastReads | None
    ) -> None:
        # Core connections, not sessions: these reads need no unit of work, and a
        # session's setup and teardown cost more than the query.
        engine: AsyncEngine = sessions.kw["bind"]
        self.dialect: str = engine.dialect.name
        if self.dialect == "postgresql":
            # One statement needs no transaction: no BEGIN/ROLLBACK round trips.
            engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._engine = engine
        self._fast = fast
        self._statements: dict[Hashable, tuple[Select[Any], CompiledRead | None]] = {}

    def _statement(
        self, shape: Hashable, build: Callable[[], Select[Any]]
    ) -> tuple[Select[Any], CompiledRead | None]:
        entry = self._statements.get(shape)
        if entry is None:
            stmt = build()
            compiled = None
            if self._fast is not None:
                compiled = compile_read(stmt)
            if len(self._statements) >= self._CACHE_LIMIT:
                self._statements.clear()  # arbitrary filters must not grow it forever
            entry = self._statements[shape] = (stmt, compiled)
        return entry

    async def _rows(
        self, shape: Hashable, build: Callable[[], Select[Any]], values: Mapping[str, Any]
    ) -> tuple[list[Any], bool]:
        """(rows, raw): raw rows came from the fast path and hold SQLite's text types."""
        stmt, compiled = self._statement(shape, build)
        if compiled is not None and self._fast is not None:
            rows = self._fast.fetch(compiled, values)
            if rows is not None:
                return rows, True
        async with self._engine.connect() as connection:
            return list((await connection.execute(stmt, values)).all()), False

    async def items(
        self, shape: Hashable, build: Callable[[], Select[Any]], values: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """Rows of a statement selecting COLUMNS."""
        rows, raw = await self._rows(shape, build, values)
        return [_from_sqlite(row) for row in rows] if raw else [tuple(row) for row in rows]

    async def scalar(
        self, shape: Hashable, build: Callable[[], Select[Any]], values: Mapping[str, Any]
    ) -> Any:
        rows, _raw = await self._rows(shape, build, values)
        return rows[0][0]

    async def get_visible_item(self, item_id: int, owner_id: int | None) -> tuple[Any, ...] | None:
        """The item if it exists and (with `owner_id`) belongs to that owner."""
        if owner_id is None:
            found = await self.items("get", _get_any, {"item_id": item_id})
        else:
            found = await self.items(
                "get-owned", _get_owned, {"item_id": item_id, "owner_id": owner_id}
            )
        return found[0] if found else None


def _get_any() -> Select[Any]:
    return select(*COLUMNS).where(items.c.id == bindparam("item_id"))


def _get_owned() -> Select[Any]:
    return _get_any().where(items.c.owner_id == bindparam("owner_id"))


async def get_item(
    session: AsyncSession, item_id: int, where: Sequence[ColumnElement[bool]] = ()
) -> AnyRow | None:
    result = await session.execute(select(*COLUMNS).where(items.c.id == item_id, *where))
    return result.one_or_none()


def list_statement(
    where: Sequence[ColumnElement[bool]], order_by: Sequence[ColumnElement[Any]], limit: int
) -> Select[Any]:
    return select(*COLUMNS).where(*where).order_by(*order_by).limit(limit)


def count_statement(where: Sequence[ColumnElement[bool]]) -> Select[Any]:
    return select(func.count()).select_from(items).where(*where)


async def update_item(
    session: AsyncSession,
    item_id: int,
    where: Sequence[ColumnElement[bool]],
    values: dict[str, Any],
) -> AnyRow | None:
    """Apply `values`, bump the version; None if no row matched `where`."""
    stmt = (
        update(items)
        .where(items.c.id == item_id, *where)
        .values(**values, version=items.c.version + 1)
        .returning(*COLUMNS)
    )
    return (await session.execute(stmt)).one_or_none()


async def delete_item(
    session: AsyncSession, item_id: int, where: Sequence[ColumnElement[bool]]
) -> AnyRow | None:
    """Delete and return the last state; None if no row matched."""
    stmt = delete(items).where(items.c.id == item_id, *where).returning(*COLUMNS)
    return (await session.execute(stmt)).one_or_none()


def _dialect_insert(session: AsyncSession) -> Any:
    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


async def claim_request(
    session: AsyncSession,
    owner_id: int,
    request_id: str,
    body_hash: str,
    now: datetime,
    expired_before: datetime,
) -> bool:
    """Take (owner, request_id) for this call: True if it was free or its record had
    expired. False if another call holds it; on PostgreSQL this waits for a concurrent
    holder's transaction to finish, so the caller then reads its committed result.
    Being the first statement of the transaction also makes SQLite take its write lock
    up front."""
    stmt = _dialect_insert(session)(requests).values(
        owner_id=owner_id,
        request_id=request_id,
        body_hash=body_hash,
        item_id=None,
        create_time=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[requests.c.owner_id, requests.c.request_id],
        set_={
            "body_hash": stmt.excluded.body_hash,
            "item_id": None,
            "create_time": stmt.excluded.create_time,
        },
        where=requests.c.create_time < expired_before,
    ).returning(requests.c.id)
    return (await session.execute(stmt)).first() is not None


async def get_request(session: AsyncSession, owner_id: int, request_id: str) -> AnyRow | None:
    """(body_hash, item_id) of a recorded request."""
    stmt = select(requests.c.body_hash, requests.c.item_id).where(
        requests.c.owner_id == owner_id, requests.c.request_id == request_id
    )
    return (await session.execute(stmt)).one_or_none()


async def link_request(session: AsyncSession, owner_id: int, request_id: str, item_id: int) -> None:
    await session.execute(
        update(requests)
        .where(and_(requests.c.owner_id == owner_id, requests.c.request_id == request_id))
        .values(item_id=item_id)
    )


async def purge_requests(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(requests).where(requests.c.create_time < before))
    return int(getattr(result, "rowcount", 0) or 0)
