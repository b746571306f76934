"""ItemRepository: items and their idempotency records, as ItemRecords.

It owns every SQL detail of items: the statements (each shape built once, with what
varies per call as bound parameters), the dialect differences, the SQLite fast read
path (db/fast_reads: GetItem/ListItems compiled once and run on a dedicated
connection), and announcing each committed write to the watchers
(repositories/item_events: pg_notify in the write's transaction on PostgreSQL, the
process's hub after COMMIT on SQLite). Rows become records by column name.

Every write is one transaction; a conditional update or delete is one statement with
RETURNING, so concurrent writers never lose an update on either backend.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Delete,
    Row,
    Select,
    Table,
    Update,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from opengovfood.db.fast_reads import CompiledRead, SqliteFastReads, compile_read
from opengovfood.db.models import Item, ItemRequest, utcnow
from opengovfood.domain.items import (
    KINDS,
    RESULTS,
    STATUSES,
    EventType,
    ItemChanges,
    ItemEvent,
    ItemRecord,
    NewItem,
    PriorRequest,
    UnknownEstablishment,
    WriteMiss,
)
from opengovfood.domain.listing import ListQuery
from opengovfood.domain.scopes import Scope
from opengovfood.repositories import sql_lists
from opengovfood.repositories.idempotency import claim_statement
from opengovfood.repositories.item_events import NOTIFY, encode_event

items = cast(Table, Item.__table__)
requests = cast(Table, ItemRequest.__table__)
_c = items.c

COLUMNS = (
    _c.id,
    _c.title,
    _c.description,
    _c.status,
    _c.owner_id,
    _c.create_time,
    _c.update_time,
    _c.version,
    _c.establishment_id,
    _c.kind,
    _c.result,
    _c.score,
    _c.inspect_time,
)

# ListItems' filter and order fields (services/items.py) -> columns.
LIST_COLUMNS: Mapping[str, ColumnElement[Any]] = {
    "status": _c.status,
    "owner_id": _c.owner_id,
    "create_time": _c.create_time,
    "update_time": _c.update_time,
    "title": _c.title,
    "description": _c.description,
    "id": _c.id,
    "establishment_id": _c.establishment_id,
    "kind": _c.kind,
    "result": _c.result,
    "score": _c.score,
    "inspect_time": _c.inspect_time,
}

_UPDATABLE = (
    "title",
    "description",
    "status",
    "establishment_id",
    "kind",
    "result",
    "score",
    "inspect_time",
)
_ENUMS = frozenset({"status", "kind", "result"})
_CACHE_LIMIT = 512

_INSERT = insert(items).returning(*COLUMNS)
_LINK = (
    update(requests)
    .where(
        requests.c.owner_id == bindparam("r_owner"),
        requests.c.request_id == bindparam("r_request"),
    )
    .values(item_id=bindparam("r_item"))
)
_GET_REQUEST = select(requests.c.body_hash, requests.c.item_id).where(
    requests.c.owner_id == bindparam("r_owner"), requests.c.request_id == bindparam("r_request")
)


def _record(row: Row[Any]) -> ItemRecord:
    return ItemRecord(
        id=row.id,
        title=row.title,
        description=row.description,
        status=STATUSES[row.status],
        owner_id=row.owner_id,
        create_time=row.create_time,
        update_time=row.update_time,
        version=row.version,
        establishment_id=row.establishment_id,
        kind=KINDS[row.kind],
        result=RESULTS[row.result],
        score=row.score,
        inspect_time=row.inspect_time,
    )


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _raw_record(row: sqlite3.Row) -> ItemRecord:
    """A fast-path row (SQLite's own types: timestamps are naive UTC text)."""
    return ItemRecord(
        id=row["id"],
        title=row["title"],
        description=row["description"],
        status=STATUSES[row["status"]],
        owner_id=row["owner_id"],
        create_time=_utc(row["create_time"]),
        update_time=_utc(row["update_time"]),
        version=row["version"],
        establishment_id=row["establishment_id"],
        kind=KINDS[row["kind"]],
        result=RESULTS[row["result"]],
        score=row["score"],
        inspect_time=_utc(row["inspect_time"]),
    )


def _owner_condition(scoped: bool) -> list[ColumnElement[bool]]:
    """The scope's condition, its owner bound per call as `owner`."""
    return [_c.owner_id == bindparam("owner")] if scoped else []


class _Refused(Exception):
    """Rolls a write's transaction back: the miss it carries is the answer."""

    def __init__(self, miss: WriteMiss) -> None:
        super().__init__(miss.value)
        self.miss = miss


class ItemRepository:
    def __init__(
        self,
        engine: AsyncEngine,
        fast: SqliteFastReads | None = None,
        publish: Callable[[ItemEvent], None] | None = None,
    ) -> None:
        """`fast`: the SQLite fast read path; `publish`: where committed writes are
        announced in-process (the hub's dispatch) when the database cannot notify."""
        self.dialect: str = engine.dialect.name
        self._engine = engine
        # One statement needs no transaction: no BEGIN/ROLLBACK round trips for reads.
        self._reader = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else engine
        )
        self._fast = fast
        self._notify = self.dialect == "postgresql"
        self._publish = publish
        self._reads: dict[Hashable, tuple[Select[Any], CompiledRead | None]] = {}
        self._writes: dict[Hashable, Any] = {}
        self._claim = claim_statement(requests, "item_id", self.dialect)

    # --- reads -----------------------------------------------------------------------

    def _read_statement(
        self, shape: Hashable, build: Callable[[], Select[Any]]
    ) -> tuple[Select[Any], CompiledRead | None]:
        entry = self._reads.get(shape)
        if entry is None:
            stmt = build()
            compiled = compile_read(stmt) if self._fast is not None else None
            if len(self._reads) >= _CACHE_LIMIT:
                self._reads.clear()  # arbitrary filters must not grow it forever
            entry = self._reads[shape] = (stmt, compiled)
        return entry

    async def _fetch(
        self, shape: Hashable, build: Callable[[], Select[Any]], values: Mapping[str, Any]
    ) -> tuple[list[Any], bool]:
        """(rows, raw): raw rows came from the fast path (sqlite3.Row, SQLite's types);
        the others are SQLAlchemy rows."""
        stmt, compiled = self._read_statement(shape, build)
        if compiled is not None and self._fast is not None:
            rows = self._fast.fetch(compiled, values)
            if rows is not None:
                return rows, True
        async with self._reader.connect() as connection:
            return list((await connection.execute(stmt, values)).all()), False

    async def _records(
        self, shape: Hashable, build: Callable[[], Select[Any]], values: Mapping[str, Any]
    ) -> list[ItemRecord]:
        rows, raw = await self._fetch(shape, build, values)
        return [_raw_record(row) for row in rows] if raw else [_record(row) for row in rows]

    async def get(self, item_id: int, scope: Scope) -> ItemRecord | None:
        """The item, if it exists within `scope`."""
        scoped = scope.owner_id is not None

        def build() -> Select[Any]:
            return select(*COLUMNS).where(_c.id == bindparam("item_id"), *_owner_condition(scoped))

        found = await self._records(
            ("get", scoped), build, {"item_id": item_id, "owner": scope.owner_id}
        )
        return found[0] if found else None

    def _where(self, query: ListQuery, scope: Scope) -> list[ColumnElement[bool]]:
        return [
            *_owner_condition(scope.owner_id is not None),
            *sql_lists.where(query.filter, LIST_COLUMNS, self.dialect),
        ]

    async def page(self, query: ListQuery, scope: Scope) -> list[ItemRecord]:
        """Up to page_size + 1 items after the query's keyset position."""

        def build() -> Select[Any]:
            where = self._where(query, scope)
            if query.after is not None:
                where.append(sql_lists.after_bound(query.ordering, LIST_COLUMNS))
            return (
                select(*COLUMNS)
                .where(*where)
                .order_by(*sql_lists.order_by(query.ordering, LIST_COLUMNS))
                .limit(query.page_size + 1)
            )

        values = {"owner": scope.owner_id, **sql_lists.keyset_params(query)}
        return await self._records(("page", scope.owner_id is not None, query.shape), build, values)

    async def count(self, query: ListQuery, scope: Scope) -> int:
        def build() -> Select[Any]:
            return select(func.count()).select_from(items).where(*self._where(query, scope))

        shape = ("count", scope.owner_id is not None, query.filter.canonical)
        rows, _raw = await self._fetch(shape, build, {"owner": scope.owner_id})
        return int(rows[0][0])

    # --- writes ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction; a foreign key violation on establishment_id (deleted
        after the service checked it) comes out as UnknownEstablishment."""
        try:
            async with self._engine.begin() as connection:
                yield connection
        except IntegrityError as error:
            if "foreign key" in str(error.orig).lower():
                raise UnknownEstablishment() from None
            raise

    async def _announce(self, connection: AsyncConnection, event: ItemEvent) -> None:
        """Inside the write's transaction: PostgreSQL delivers the NOTIFY on COMMIT."""
        if self._notify:
            await connection.execute(NOTIFY, {"payload": encode_event(event)})

    def _committed(self, event: ItemEvent) -> None:
        """After COMMIT: in-process watchers (SQLite)."""
        if not self._notify and self._publish is not None:
            self._publish(event)

    async def _insert(self, connection: AsyncConnection, new: NewItem) -> ItemEvent:
        now = utcnow()
        values = {
            "title": new.title,
            "description": new.description,
            "status": new.status.value,
            "owner_id": new.owner_id,
            "version": 1,
            "create_time": now,
            "update_time": now,
            "establishment_id": new.establishment_id,
            "kind": new.kind.value,
            "result": new.result.value,
            "score": new.score,
            "inspect_time": new.inspect_time or now,
        }
        record = _record((await connection.execute(_INSERT, values)).one())
        event = ItemEvent(EventType.CREATED, record)
        await self._announce(connection, event)
        return event

    async def add(self, new: NewItem) -> ItemRecord:
        async with self._transaction() as connection:
            event = await self._insert(connection, new)
        self._committed(event)
        return event.item

    async def add_once(
        self, new: NewItem, request_id: str, body_hash: str, expired_before: datetime
    ) -> ItemRecord | PriorRequest | None:
        """Create the item unless `request_id` was used by its owner since
        `expired_before`: the new item, or what the earlier call left (PriorRequest).
        Concurrent duplicates create one item. None: contended three times; retry."""
        keys = {"r_owner": new.owner_id, "r_request": request_id}
        for _attempt in range(3):
            async with self._transaction() as connection:
                now = utcnow()
                claim = {**keys, "r_hash": body_hash, "r_now": now, "r_expired": expired_before}
                if (await connection.execute(self._claim, claim)).first() is not None:
                    event = await self._insert(connection, new)
                    await connection.execute(_LINK, {**keys, "r_item": event.item.id})
                    created: ItemEvent | None = event
                else:
                    created = None
                    prior = (await connection.execute(_GET_REQUEST, keys)).one_or_none()
            if created is not None:
                self._committed(created)
                return created.item
            if prior is None:
                continue  # purged or rolled back between the two statements: retry
            item = None
            if prior.item_id is not None:
                item = await self.get(prior.item_id, Scope.owned_by(new.owner_id))
            return PriorRequest(prior.body_hash, item)
        return None

    def _update_statement(self, scoped: bool, fields: tuple[str, ...], versioned: bool) -> Update:
        shape = ("update", scoped, fields, versioned)
        stmt = self._writes.get(shape)
        if stmt is None:
            where = [_c.id == bindparam("item_id"), *_owner_condition(scoped)]
            if versioned:
                where.append(_c.version == bindparam("expected"))
            values: dict[str, Any] = {
                name: _c.create_time if name == "inspect_time_reset" else bindparam(f"v_{name}")
                for name in fields
            }
            if "inspect_time_reset" in values:
                values["inspect_time"] = values.pop("inspect_time_reset")
            stmt = (
                update(items)
                .where(*where)
                .values(**values, update_time=bindparam("v_now"), version=_c.version + 1)
                .returning(*COLUMNS)
            )
            self._writes[shape] = stmt
        return cast(Update, stmt)

    def _delete_statement(self, scoped: bool, versioned: bool) -> Delete:
        shape = ("delete", scoped, versioned)
        stmt = self._writes.get(shape)
        if stmt is None:
            where = [_c.id == bindparam("item_id"), *_owner_condition(scoped)]
            if versioned:
                where.append(_c.version == bindparam("expected"))
            stmt = self._writes[shape] = delete(items).where(*where).returning(*COLUMNS)
        return cast(Delete, stmt)

    async def _miss(self, connection: AsyncConnection, item_id: int, scope: Scope) -> WriteMiss:
        """A conditional write matched nothing: NOT_FOUND unless the item is there
        within the scope, in which case it is at another version."""
        stmt = select(_c.id).where(_c.id == item_id)
        if scope.owner_id is not None:
            stmt = stmt.where(_c.owner_id == scope.owner_id)
        found = (await connection.execute(stmt)).first()
        return WriteMiss.NOT_FOUND if found is None else WriteMiss.STALE

    async def update(
        self,
        item_id: int,
        scope: Scope,
        changes: ItemChanges,
        expected_version: int | None = None,
        accept: Callable[[ItemRecord], bool] | None = None,
    ) -> ItemRecord | WriteMiss:
        """Apply `changes` and bump the version, if the item is within `scope` (and at
        `expected_version`). `accept` sees the result before COMMIT: False rolls it
        back as STALE (an etag of another incarnation of the id)."""
        values: dict[str, Any] = {"item_id": item_id, "owner": scope.owner_id, "v_now": utcnow()}
        fields = []
        for name in _UPDATABLE:
            value = getattr(changes, name)
            if value is not None:
                fields.append(name)
                if name in _ENUMS:
                    value = value.value
                elif name == "establishment_id":
                    value = value or None  # 0: no establishment
                values[f"v_{name}"] = value
        if changes.inspect_time_reset:
            fields.append("inspect_time_reset")
        if expected_version is not None:
            values["expected"] = expected_version
        stmt = self._update_statement(
            scope.owner_id is not None, tuple(fields), expected_version is not None
        )
        try:
            async with self._transaction() as connection:
                row = (await connection.execute(stmt, values)).one_or_none()
                if row is None:
                    raise _Refused(await self._miss(connection, item_id, scope))
                event = ItemEvent(EventType.UPDATED, _record(row))
                if accept is not None and not accept(event.item):
                    raise _Refused(WriteMiss.STALE)
                await self._announce(connection, event)
        except _Refused as refused:
            return refused.miss
        self._committed(event)
        return event.item

    async def delete(
        self,
        item_id: int,
        scope: Scope,
        expected_version: int | None = None,
        accept: Callable[[ItemRecord], bool] | None = None,
    ) -> ItemRecord | WriteMiss:
        """Delete the item (within `scope`, at `expected_version`); its last state."""
        values: dict[str, Any] = {"item_id": item_id, "owner": scope.owner_id}
        if expected_version is not None:
            values["expected"] = expected_version
        stmt = self._delete_statement(scope.owner_id is not None, expected_version is not None)
        try:
            async with self._engine.begin() as connection:
                row = (await connection.execute(stmt, values)).one_or_none()
                if row is None:
                    raise _Refused(await self._miss(connection, item_id, scope))
                event = ItemEvent(EventType.DELETED, _record(row))
                if accept is not None and not accept(event.item):
                    raise _Refused(WriteMiss.STALE)
                await self._announce(connection, event)
        except _Refused as refused:
            return refused.miss
        self._committed(event)
        return event.item

    async def purge_requests(self, before: datetime) -> int:
        """Delete idempotency records created before `before`; how many."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(requests).where(requests.c.create_time < before)
            )
        return int(getattr(result, "rowcount", 0) or 0)
