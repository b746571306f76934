"""ItemRepository: items and their idempotency records, as ItemRecords.

It owns every SQL detail of items: the statements (each shape built once, with what
varies per call as bound parameters), the dialect differences, the fast paths (SQLite:
db/fast_reads, GetItem/ListItems compiled once (db/read_paths) and run on a dedicated
connection;
PostgreSQL: db/pg_direct, every statement of this repository but the purge compiled
once and run as an asyncpg prepared statement on a raw connection), total_size from
the trigger-kept `item_counts` (by department, owner and status) when the filter
names only status and owner, and announcing each committed write to the watchers
(repositories/item_events: on PostgreSQL the event's outbox row is written by the
write's own statement and its id handed to the process's notifier after COMMIT; on
SQLite the process's hub gets the event after COMMIT). Rows become records by column
name.

Every write is one transaction; a conditional update or delete is one statement with
RETURNING, so concurrent writers never lose an update on either backend.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Hashable, Iterator, Mapping
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
from opengovfood.db.models import Item, ItemCount, ItemRequest, utcnow
from opengovfood.db.pg_direct import PgDirect, PgStatement, Transaction, compile_statement
from opengovfood.db.read_paths import CompiledReads, RowReaders
from opengovfood.db.sqlite_writes import SqliteTransaction, SqliteWrites
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
from opengovfood.repositories import scoping, sql_lists
from opengovfood.repositories.idempotency import claim_statement
from opengovfood.repositories.item_events import announced, queue_statement

items = cast(Table, Item.__table__)
requests = cast(Table, ItemRequest.__table__)
counts = cast(Table, ItemCount.__table__)
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
    _c.department_id,
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

# The fields item_counts can count by: a filter naming only these is summed there.
COUNT_COLUMNS: Mapping[str, ColumnElement[Any]] = {
    "status": counts.c.status,
    "owner_id": counts.c.owner_id,
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
    "owner_id",  # a reassignment (checked by the service)
)
_ENUMS = frozenset({"status", "kind", "result"})

_INSERT = (
    insert(items)
    .values(
        {
            name: bindparam(name)
            for name in (
                "title",
                "description",
                "status",
                "owner_id",
                "version",
                "create_time",
                "update_time",
                "establishment_id",
                "kind",
                "result",
                "score",
                "inspect_time",
                "department_id",
            )
        }
    )
    .returning(*COLUMNS)
)
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
        department_id=row.department_id,
    )


def _mapped_record(row: Mapping[str, Any]) -> ItemRecord:
    """An asyncpg row (PostgreSQL's types: aware datetimes)."""
    return ItemRecord(
        id=row["id"],
        title=row["title"],
        description=row["description"],
        status=STATUSES[row["status"]],
        owner_id=row["owner_id"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
        establishment_id=row["establishment_id"],
        kind=KINDS[row["kind"]],
        result=RESULTS[row["result"]],
        score=row["score"],
        inspect_time=row["inspect_time"],
        department_id=row["department_id"],
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
        department_id=row["department_id"],
    )


def _owner_condition(scoped: tuple[bool, bool]) -> list[ColumnElement[bool]]:
    """The scope's conditions (repositories/scoping.py: owner and/or department), for a
    scope of this shape (Scope.shape), their values bound per call (scoping.params)."""
    if scoped == (False, False):
        # Always true; it lets the statement use the partial ix_items_create_time_id,
        # which scoped statements cannot (see db/models.py).
        return [items.c.id > 0]
    if scoped == (False, True):
        # Likewise for the department's partial index, which an owner's scope cannot use.
        return [*scoping.bound(scoped, items), items.c.id >= 0]
    return scoping.bound(scoped, items)


@contextlib.contextmanager
def _foreign_keys() -> Iterator[None]:
    """A foreign key violation on establishment_id (deleted after the service checked
    it) comes out as UnknownEstablishment, on every write path."""
    try:
        yield
    except IntegrityError as error:
        if "foreign key" in str(error.orig).lower():
            raise UnknownEstablishment() from None
        raise


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
        direct: PgDirect | None = None,
        writes: SqliteWrites | None = None,
        announce: Callable[[int], None] | None = None,
    ) -> None:
        """`fast`: the SQLite fast read path; `writes`: SQLite's write thread;
        `direct`: PostgreSQL's raw connections (reads and writes); `publish`: where
        committed writes are announced in-process (the hub's dispatch) on SQLite;
        `announce`: PostgreSQL, takes a committed write's outbox id (the process's
        OutboxNotifier; without one the other instances' catch-up sweep announces it)."""
        self.dialect: str = engine.dialect.name
        self._engine = engine
        self._direct = direct if self.dialect == "postgresql" else None
        self._writer = writes if self.dialect == "sqlite" else None
        self._lite: dict[Hashable, CompiledRead] = {}
        self._notify = self.dialect == "postgresql"
        self._publish = publish
        self._announce_id = announce
        self._reads = CompiledReads(
            engine, RowReaders(_raw_record, _mapped_record, _record), fast, direct
        )
        self._writes: dict[Hashable, Any] = {}
        self._pg: dict[Hashable, PgStatement] = {}
        self._claim = claim_statement(requests, "item_id", self.dialect)

    # --- reads -----------------------------------------------------------------------

    async def get(self, item_id: int, scope: Scope) -> ItemRecord | None:
        """The item, if it exists within `scope`."""
        scoped = scope.shape

        def build() -> Select[Any]:
            return select(*COLUMNS).where(_c.id == bindparam("item_id"), *_owner_condition(scoped))

        found = await self._reads.records(
            ("get", scoped), build, {"item_id": item_id, **scoping.params(scope)}
        )
        return found[0] if found else None

    def _where(self, query: ListQuery, scope: Scope) -> list[ColumnElement[bool]]:
        return [
            *_owner_condition(scope.shape),
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

        values = {**scoping.params(scope), **sql_lists.keyset_params(query)}
        return await self._reads.records(("page", scope.shape, query.shape), build, values)

    async def count(self, query: ListQuery, scope: Scope) -> int:
        """How many items match. A filter on status and owner only (or none) is
        summed from item_counts, within any scope (owner, department, both or
        neither: its key holds both): exact, and as cheap at a million items as at
        ten. Any other filter counts the matching items."""
        if sql_lists.fields(query.filter.node) <= COUNT_COLUMNS.keys():

            def build() -> Select[Any]:
                return select(func.coalesce(func.sum(counts.c.n), 0)).where(
                    *scoping.bound(scope.shape, counts),
                    *sql_lists.where(query.filter, COUNT_COLUMNS, self.dialect),
                )

            shape: Hashable = ("counted", scope.shape, query.filter.canonical)
        else:

            def build() -> Select[Any]:
                return select(func.count()).select_from(items).where(*self._where(query, scope))

            shape = ("count", scope.shape, query.filter.canonical)
        rows, _record_of = await self._reads.fetch(shape, build, scoping.params(scope))
        return int(rows[0][0])

    # --- writes ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction; a foreign key violation on establishment_id (deleted
        after the service checked it) comes out as UnknownEstablishment."""
        with _foreign_keys():
            async with self._engine.begin() as connection:
                yield connection

    def _lite_statement(self, shape: Hashable, stmt: Any) -> CompiledRead:
        compiled = self._lite.get(shape)
        if compiled is None:
            made = compile_read(stmt)
            if made is None:  # not one of the statements below
                raise RuntimeError(f"cannot compile {shape!r} for the SQLite writer")
            compiled = self._lite[shape] = made
        return compiled

    def _pg_statement(self, shape: Hashable, stmt: Any) -> PgStatement:
        compiled = self._pg.get(shape)
        if compiled is None:
            compiled = self._pg[shape] = compile_statement(stmt)
        return compiled

    def _pg_announced(self, shape: Hashable, write: Any, kind: EventType) -> PgStatement:
        """The write with its outbox row (item_events.announced), built once per shape."""
        key = ("announced", shape)
        compiled = self._pg.get(key)
        if compiled is None:
            compiled = self._pg[key] = compile_statement(announced(write, kind))
        return compiled

    async def _queue(self, connection: AsyncConnection, event: ItemEvent) -> int | None:
        """Inside the write's transaction (the ORM path): PostgreSQL's outbox row."""
        if not self._notify:
            return None
        stmt, values = queue_statement(event)
        return int((await connection.execute(stmt, values)).scalar_one())

    def _committed(self, event: ItemEvent) -> None:
        """After COMMIT: in-process watchers (SQLite)."""
        if not self._notify and self._publish is not None:
            self._publish(event)

    def _queued(self, event_id: int | None) -> None:
        """After COMMIT (PostgreSQL): the notifier announces the outbox row."""
        if event_id is not None and self._announce_id is not None:
            self._announce_id(event_id)

    @staticmethod
    def _insert_values(new: NewItem) -> dict[str, Any]:
        now = utcnow()
        return {
            "title": new.title,
            "description": new.description,
            "status": new.status.value,
            "owner_id": new.owner_id,
            "department_id": new.department_id,
            "version": 1,
            "create_time": now,
            "update_time": now,
            "establishment_id": new.establishment_id,
            "kind": new.kind.value,
            "result": new.result.value,
            "score": new.score,
            "inspect_time": new.inspect_time or now,
        }

    async def _insert(
        self, connection: AsyncConnection, new: NewItem
    ) -> tuple[ItemEvent, int | None]:
        record = _record((await connection.execute(_INSERT, self._insert_values(new))).one())
        event = ItemEvent(EventType.CREATED, record)
        return event, await self._queue(connection, event)

    async def _pg_insert(self, tx: Transaction, new: NewItem) -> tuple[ItemEvent, int]:
        stmt = self._pg_announced("insert", _INSERT, EventType.CREATED)
        row = (await tx.fetch(stmt, self._insert_values(new)))[0]
        return ItemEvent(EventType.CREATED, _mapped_record(row)), row["event_id"]

    async def add(self, new: NewItem) -> ItemRecord:
        if self._writer is not None:
            lite = self._lite_statement("insert", _INSERT)
            values = self._insert_values(new)

            def work(tx: SqliteTransaction) -> ItemEvent:
                return ItemEvent(EventType.CREATED, _raw_record(tx.fetch(lite, values)[0]))

            with _foreign_keys():
                return (await self._writer.run(work, self._committed)).item
        if self._direct is not None:
            stmt = self._pg_announced("insert", _INSERT, EventType.CREATED)
            with _foreign_keys():
                row = (await self._direct.fetch_once(stmt, self._insert_values(new)))[0]
            self._queued(row["event_id"])
            return _mapped_record(row)
        async with self._transaction() as connection:
            event, event_id = await self._insert(connection, new)
        self._committed(event)
        self._queued(event_id)
        return event.item

    async def add_once(
        self,
        new: NewItem,
        request_id: str,
        body_hash: str,
        expired_before: datetime,
        scope: Scope,
    ) -> ItemRecord | PriorRequest | None:
        """Create the item unless `request_id` was used by its owner since
        `expired_before`: the new item, or what the earlier call left (PriorRequest),
        whose item is read within `scope` (the caller's: an item that has since left it,
        reassigned or in the department the caller left, is not returned).
        Concurrent duplicates create one item. None: contended three times; retry."""
        keys = {"r_owner": new.owner_id, "r_request": request_id}
        for _attempt in range(3):
            created: ItemEvent | None = None
            event_id: int | None = None
            prior: tuple[str, int | None] | None = None  # (body_hash, item_id)
            claim = {**keys, "r_hash": body_hash, "r_now": utcnow(), "r_expired": expired_before}
            if self._writer is not None:
                with _foreign_keys():
                    created, prior = await self._writer.run(
                        self._lite_add_once(new, keys, claim), self._committed_if_created
                    )
            elif self._direct is not None:
                with _foreign_keys():
                    async with self._direct.transaction() as tx:
                        if await tx.fetch(self._pg_statement("claim", self._claim), claim):
                            created, event_id = await self._pg_insert(tx, new)
                            link = {**keys, "r_item": created.item.id}
                            await tx.fetch(self._pg_statement("link", _LINK), link)
                        else:
                            found = await tx.fetch(self._pg_statement("prior", _GET_REQUEST), keys)
                            if found:
                                prior = (found[0]["body_hash"], found[0]["item_id"])
            else:
                async with self._transaction() as connection:
                    if (await connection.execute(self._claim, claim)).first() is not None:
                        created, event_id = await self._insert(connection, new)
                        await connection.execute(_LINK, {**keys, "r_item": created.item.id})
                    else:
                        row = (await connection.execute(_GET_REQUEST, keys)).one_or_none()
                        if row is not None:
                            prior = (row.body_hash, row.item_id)
            if created is not None:
                self._committed(created)
                self._queued(event_id)
                return created.item
            if prior is None:
                continue  # purged or rolled back between the two statements: retry
            prior_hash, prior_item = prior
            item = None
            if prior_item is not None:
                item = await self.get(prior_item, scope)
            return PriorRequest(prior_hash, item)
        return None

    def _lite_add_once(
        self, new: NewItem, keys: dict[str, Any], claim: dict[str, Any]
    ) -> Callable[[SqliteTransaction], tuple[ItemEvent | None, tuple[str, int | None] | None]]:
        claim_stmt = self._lite_statement("claim", self._claim)
        insert_stmt = self._lite_statement("insert", _INSERT)
        link_stmt = self._lite_statement("link", _LINK)
        prior_stmt = self._lite_statement("prior", _GET_REQUEST)
        values = self._insert_values(new)

        def work(
            tx: SqliteTransaction,
        ) -> tuple[ItemEvent | None, tuple[str, int | None] | None]:
            if tx.fetch(claim_stmt, claim):
                event = ItemEvent(EventType.CREATED, _raw_record(tx.fetch(insert_stmt, values)[0]))
                tx.fetch(link_stmt, {**keys, "r_item": event.item.id})
                return event, None
            found = tx.fetch(prior_stmt, keys)
            return None, ((found[0]["body_hash"], found[0]["item_id"]) if found else None)

        return work

    def _committed_if_created(
        self, outcome: tuple[ItemEvent | None, tuple[str, int | None] | None]
    ) -> None:
        if outcome[0] is not None:
            self._committed(outcome[0])

    def _update_statement(
        self, scoped: tuple[bool, bool], fields: tuple[str, ...], versioned: bool
    ) -> Update:
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

    def _delete_statement(self, scoped: tuple[bool, bool], versioned: bool) -> Delete:
        shape = ("delete", scoped, versioned)
        stmt = self._writes.get(shape)
        if stmt is None:
            where = [_c.id == bindparam("item_id"), *_owner_condition(scoped)]
            if versioned:
                where.append(_c.version == bindparam("expected"))
            stmt = self._writes[shape] = delete(items).where(*where).returning(*COLUMNS)
        return cast(Delete, stmt)

    @staticmethod
    def _miss_statement(scoped: tuple[bool, bool]) -> Select[Any]:
        return select(_c.id).where(_c.id == bindparam("item_id"), *_owner_condition(scoped))

    @staticmethod
    def _missed(found: bool) -> WriteMiss:
        """A conditional write matched nothing: NOT_FOUND unless the item is there
        within the scope, in which case it is at another version."""
        return WriteMiss.STALE if found else WriteMiss.NOT_FOUND

    async def _miss(self, connection: AsyncConnection, item_id: int, scope: Scope) -> WriteMiss:
        stmt = self._miss_statement(scope.shape)
        values = {"item_id": item_id, **scoping.params(scope)}
        return self._missed((await connection.execute(stmt, values)).first() is not None)

    async def _write(
        self,
        kind: EventType,
        shape: Hashable,
        stmt: Update | Delete,
        values: dict[str, Any],
        scope: Scope,
        accept: Callable[[ItemRecord], bool] | None,
    ) -> ItemRecord | WriteMiss:
        """Run a conditional UPDATE/DELETE ... RETURNING in a transaction; announce it."""
        item_id = values["item_id"]
        scoped = scope.shape
        try:
            if self._writer is not None:
                write = self._lite_statement(shape, stmt)
                lite_miss = self._lite_statement(("miss", scoped), self._miss_statement(scoped))

                def work(tx: SqliteTransaction) -> ItemEvent:
                    rows = tx.fetch(write, values)
                    if not rows:
                        found = tx.fetch(lite_miss, {"item_id": item_id, **scoping.params(scope)})
                        raise _Refused(self._missed(bool(found)))
                    event = ItemEvent(kind, _raw_record(rows[0]))
                    if accept is not None and not accept(event.item):
                        raise _Refused(WriteMiss.STALE)
                    return event

                with _foreign_keys():
                    return (await self._writer.run(work, self._committed)).item
            if self._direct is not None:
                return await self._pg_write(kind, shape, stmt, values, scope, accept)
            async with self._transaction() as connection:
                row = (await connection.execute(stmt, values)).one_or_none()
                if row is None:
                    raise _Refused(await self._miss(connection, item_id, scope))
                event = ItemEvent(kind, _record(row))
                if accept is not None and not accept(event.item):
                    raise _Refused(WriteMiss.STALE)
                event_id = await self._queue(connection, event)
        except _Refused as refused:
            return refused.miss
        self._committed(event)
        self._queued(event_id)
        return event.item

    async def _pg_write(
        self,
        kind: EventType,
        shape: Hashable,
        stmt: Update | Delete,
        values: dict[str, Any],
        scope: Scope,
        accept: Callable[[ItemRecord], bool] | None,
    ) -> ItemRecord | WriteMiss:
        """PostgreSQL: the write and its outbox row in one statement. Without `accept`
        it runs alone (autocommit: one round trip); with it, in a transaction that
        `accept` may roll back. A write that matched nothing asks why (read committed:
        a statement of its own sees what one in the transaction would)."""
        assert self._direct is not None
        scoped = scope.shape
        write = self._pg_announced(shape, stmt, kind)
        miss = self._pg.get(("miss", scoped)) or self._pg_statement(
            ("miss", scoped), self._miss_statement(scoped)
        )
        miss_values = {"item_id": values["item_id"], **scoping.params(scope)}
        with _foreign_keys():
            if accept is None:
                rows = await self._direct.fetch_once(write, values)
                if not rows:
                    return self._missed(bool(await self._direct.fetch(miss, miss_values)))
            else:
                try:
                    async with self._direct.transaction() as tx:
                        rows = await tx.fetch(write, values)
                        if not rows:
                            raise _Refused(self._missed(bool(await tx.fetch(miss, miss_values))))
                        if not accept(_mapped_record(rows[0])):
                            raise _Refused(WriteMiss.STALE)
                except _Refused as refused:
                    return refused.miss
        self._queued(rows[0]["event_id"])
        return _mapped_record(rows[0])

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
        values: dict[str, Any] = {"item_id": item_id, **scoping.params(scope), "v_now": utcnow()}
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
        scoped, versioned = scope.shape, expected_version is not None
        stmt = self._update_statement(scoped, tuple(fields), versioned)
        shape = ("update", scoped, tuple(fields), versioned)
        return await self._write(EventType.UPDATED, shape, stmt, values, scope, accept)

    async def delete(
        self,
        item_id: int,
        scope: Scope,
        expected_version: int | None = None,
        accept: Callable[[ItemRecord], bool] | None = None,
    ) -> ItemRecord | WriteMiss:
        """Delete the item (within `scope`, at `expected_version`); its last state."""
        values: dict[str, Any] = {"item_id": item_id, **scoping.params(scope)}
        if expected_version is not None:
            values["expected"] = expected_version
        scoped, versioned = scope.shape, expected_version is not None
        stmt = self._delete_statement(scoped, versioned)
        shape = ("delete", scoped, versioned)
        return await self._write(EventType.DELETED, shape, stmt, values, scope, accept)

    async def purge_requests(self, before: datetime) -> int:
        """Delete idempotency records created before `before`; how many."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(requests).where(requests.c.create_time < before)
            )
        return int(getattr(result, "rowcount", 0) or 0)
