"""EstablishmentRepository: establishments and their idempotency records, as
EstablishmentRecords.

Reads (GetEstablishment, ListEstablishments and its count) take ItemRepository's
fast paths: each statement shape is built and compiled once, with the values bound
per call, and runs on SQLite's dedicated read connection (db/fast_reads) or as an
asyncpg prepared statement (db/pg_direct), falling back to the engine when the fast
path declines. total_size with no filter (or one on owner_id only) is summed from
the trigger-kept `establishment_counts` (by department and owner; migration 0011);
other filters count the matching rows, served by indexes (city: department, city,
name; the folded name's substring: a trigram index on PostgreSQL, see 0011).

Every write is one transaction; conditional updates and deletes are one statement
with RETURNING, so concurrent writers never lose an update. The licence number's
uniqueness is the database's (a unique constraint on (license_scope,
license_number)); a violation comes back as `LicenseTaken`. A delete is refused
(`HasInspections`) while items name the establishment; the check and the DELETE
share the transaction, and the items' foreign key backs it up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Row,
    Select,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from opengovfood.db.fast_reads import SqliteFastReads
from opengovfood.db.models import (
    Establishment,
    EstablishmentCount,
    EstablishmentRequest,
    Item,
    utcnow,
)
from opengovfood.db.pg_direct import PgDirect
from opengovfood.db.read_paths import CompiledReads, RowReaders
from opengovfood.domain.establishments import (
    Address,
    EstablishmentChanges,
    EstablishmentRecord,
    HasInspections,
    LicenseTaken,
    NewEstablishment,
    PriorEstablishmentRequest,
    RiskCategory,
    fold,
    license_scope,
)
from opengovfood.domain.items import WriteMiss
from opengovfood.domain.listing import ListQuery
from opengovfood.domain.scopes import Scope
from opengovfood.repositories import scoping, sql_lists
from opengovfood.repositories.idempotency import claim_statement

establishments = cast(Table, Establishment.__table__)
items = cast(Table, Item.__table__)
requests = cast(Table, EstablishmentRequest.__table__)
counts = cast(Table, EstablishmentCount.__table__)
_c = establishments.c

COLUMNS = (
    _c.id,
    _c.name,
    _c.street,
    _c.city,
    _c.state,
    _c.postal_code,
    _c.license_number,
    _c.facility_type,
    _c.risk_category,
    _c.owner_id,
    _c.create_time,
    _c.update_time,
    _c.version,
    _c.department_id,
)

# ListEstablishments' order fields (services/establishments.py) -> columns.
ORDER_COLUMNS: Mapping[str, ColumnElement[Any]] = {
    "name": _c.name,
    "create_time": _c.create_time,
    "update_time": _c.update_time,
    "id": _c.id,
}
# Its filter fields -> columns: `name:` searches the folded name (its value is folded
# by the filter's parser the same way).
FILTER_COLUMNS: Mapping[str, ColumnElement[Any]] = {
    "name": _c.name_folded,
    "city": _c.city,
    "state": _c.state,
    "postal_code": _c.postal_code,
    "facility_type": _c.facility_type,
    "license_number": _c.license_number,
    "risk_category": _c.risk_category,
    "owner_id": _c.owner_id,
    "create_time": _c.create_time,
    "update_time": _c.update_time,
}


# The filter fields establishment_counts can count by.
COUNT_COLUMNS: Mapping[str, ColumnElement[Any]] = {"owner_id": counts.c.owner_id}

# Filter fields whose column holds folded text (domain.establishments.fold).
FOLDED = frozenset({"name"})


def _made(row: Any, time: Callable[[Any], datetime]) -> EstablishmentRecord:
    """A record from a row read by column name (`time`: the backend's timestamps)."""
    return EstablishmentRecord(
        id=row["id"],
        name=row["name"],
        address=Address(row["street"], row["city"], row["state"], row["postal_code"]),
        license_number=row["license_number"] or "",
        facility_type=row["facility_type"],
        risk_category=RiskCategory(row["risk_category"]),
        owner_id=row["owner_id"],
        create_time=time(row["create_time"]),
        update_time=time(row["update_time"]),
        version=row["version"],
        department_id=row["department_id"],
    )


def _same(value: datetime) -> datetime:
    return value


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _record(row: Row[Any]) -> EstablishmentRecord:
    """A SQLAlchemy row (its types processed: aware datetimes)."""
    return _made(row._mapping, _same)


def _mapped_record(row: Mapping[str, Any]) -> EstablishmentRecord:
    """An asyncpg row (PostgreSQL's types: aware datetimes)."""
    return _made(row, _same)


def _raw_record(row: sqlite3.Row) -> EstablishmentRecord:
    """A fast-path SQLite row (timestamps are naive UTC text)."""
    return _made(row, _utc)


def _scoped(scope: Scope) -> list[ColumnElement[bool]]:
    return scoping.where(scope, establishments)


def _column_values(fields: Mapping[str, object]) -> dict[str, Any]:
    """Domain values -> column values (the folded name follows the name; an empty
    licence number is stored as NULL, so any number of establishments may lack one)."""
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "risk_category":
            values[name] = int(cast(RiskCategory, value))
        elif name == "license_number":
            values[name] = value or None
        else:
            values[name] = value
        if name == "name":
            values["name_folded"] = fold(cast(str, value))
    return values


def _is_license_conflict(error: IntegrityError) -> bool:
    text = str(error.orig).lower()
    return "license" in text


class _Refused(Exception):
    def __init__(self, miss: WriteMiss) -> None:
        super().__init__(miss.value)
        self.miss = miss


class EstablishmentRepository:
    def __init__(
        self,
        engine: AsyncEngine,
        fast: SqliteFastReads | None = None,
        direct: PgDirect | None = None,
    ) -> None:
        """`fast`: the SQLite fast read path; `direct`: PostgreSQL's raw connections
        (both shared with the item repository; reads only here)."""
        self.dialect: str = engine.dialect.name
        self._engine = engine
        self._reader = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else engine
        )
        self._reads = CompiledReads(
            engine, RowReaders(_raw_record, _mapped_record, _record), fast, direct
        )
        self._claim = claim_statement(requests, "establishment_id", self.dialect)

    # --- reads -----------------------------------------------------------------------

    async def _rows(self, stmt: Any) -> list[Row[Any]]:
        async with self._reader.connect() as connection:
            return list((await connection.execute(stmt)).all())

    async def get(self, establishment_id: int, scope: Scope) -> EstablishmentRecord | None:
        shape = scope.shape

        def build() -> Select[Any]:
            return select(*COLUMNS).where(
                _c.id == bindparam("establishment_id"), *scoping.bound(shape, establishments)
            )

        rows, record = await self._reads.fetch(
            ("get", shape), build, {"establishment_id": establishment_id, **scoping.params(scope)}
        )
        return record(rows[0]) if rows else None

    def _where(self, query: ListQuery, scope: Scope) -> list[ColumnElement[bool]]:
        return [
            *scoping.bound(scope.shape, establishments),
            *sql_lists.where(query.filter, FILTER_COLUMNS, self.dialect, FOLDED),
        ]

    async def page(self, query: ListQuery, scope: Scope) -> list[EstablishmentRecord]:
        """Up to page_size + 1 establishments after the query's keyset position."""

        def build() -> Select[Any]:
            where = self._where(query, scope)
            if query.after is not None:
                where.append(sql_lists.after_bound(query.ordering, ORDER_COLUMNS))
            return (
                select(*COLUMNS)
                .where(*where)
                .order_by(*sql_lists.order_by(query.ordering, ORDER_COLUMNS))
                .limit(query.page_size + 1)
            )

        values = {**scoping.params(scope), **sql_lists.keyset_params(query)}
        rows, record = await self._reads.fetch(("page", scope.shape, query.shape), build, values)
        return [record(row) for row in rows]

    async def count(self, query: ListQuery, scope: Scope) -> int:
        """How many establishments match: summed from establishment_counts when the
        filter names owner_id only (or nothing), exact in every scope; any other
        filter counts the rows."""
        if sql_lists.fields(query.filter.node) <= COUNT_COLUMNS.keys():

            def build() -> Select[Any]:
                return select(func.coalesce(func.sum(counts.c.n), 0)).where(
                    *scoping.bound(scope.shape, counts),
                    *sql_lists.where(query.filter, COUNT_COLUMNS, self.dialect),
                )

            shape: Hashable = ("counted", scope.shape, query.filter.canonical)
        else:

            def build() -> Select[Any]:
                return (
                    select(func.count())
                    .select_from(establishments)
                    .where(*self._where(query, scope))
                )

            shape = ("count", scope.shape, query.filter.canonical)
        rows, _record_of = await self._reads.fetch(shape, build, scoping.params(scope))
        return int(rows[0][0])

    # --- writes ----------------------------------------------------------------------

    async def _insert(
        self, connection: AsyncConnection, new: NewEstablishment
    ) -> EstablishmentRecord:
        now = utcnow()
        values = _column_values(
            {
                "name": new.name,
                "street": new.address.street,
                "city": new.address.city,
                "state": new.address.state,
                "postal_code": new.address.postal_code,
                "license_number": new.license_number,
                "facility_type": new.facility_type,
                "risk_category": new.risk_category,
            }
        )
        values.update(
            owner_id=new.owner_id,
            department_id=new.department_id,
            license_scope=license_scope(new.department_id),
            version=1,
            create_time=now,
            update_time=now,
        )
        row = (await connection.execute(insert(establishments).returning(*COLUMNS), values)).one()
        return _record(row)

    async def add(self, new: NewEstablishment) -> EstablishmentRecord:
        """The new establishment; LicenseTaken if its licence number is in use."""
        try:
            async with self._engine.begin() as connection:
                return await self._insert(connection, new)
        except IntegrityError as error:
            if _is_license_conflict(error):
                raise LicenseTaken(new.license_number) from None
            raise

    async def add_once(
        self,
        new: NewEstablishment,
        request_id: str,
        body_hash: str,
        expired_before: datetime,
        scope: Scope,
    ) -> EstablishmentRecord | PriorEstablishmentRequest | None:
        """Create unless `request_id` was used by its owner since `expired_before`: the
        new establishment, or what the earlier call left (read within `scope`, the
        caller's). Concurrent duplicates create one. None: contended three times; retry."""
        keys = {"r_owner": new.owner_id, "r_request": request_id}
        link = update(requests).where(
            requests.c.owner_id == new.owner_id, requests.c.request_id == request_id
        )
        lookup = select(requests.c.body_hash, requests.c.establishment_id).where(
            requests.c.owner_id == new.owner_id, requests.c.request_id == request_id
        )
        for _attempt in range(3):
            created: EstablishmentRecord | None = None
            prior = None
            try:
                async with self._engine.begin() as connection:
                    claim = {
                        **keys,
                        "r_hash": body_hash,
                        "r_now": utcnow(),
                        "r_expired": expired_before,
                    }
                    if (await connection.execute(self._claim, claim)).first() is not None:
                        created = await self._insert(connection, new)
                        await connection.execute(link.values(establishment_id=created.id))
                    else:
                        prior = (await connection.execute(lookup)).one_or_none()
            except IntegrityError as error:
                if _is_license_conflict(error):
                    raise LicenseTaken(new.license_number) from None
                raise
            if created is not None:
                return created
            if prior is None:
                continue
            found = None
            if prior.establishment_id is not None:
                found = await self.get(prior.establishment_id, scope)
            return PriorEstablishmentRequest(prior.body_hash, found)
        return None

    async def _miss(
        self, connection: AsyncConnection, establishment_id: int, scope: Scope
    ) -> WriteMiss:
        stmt = select(_c.id).where(_c.id == establishment_id, *_scoped(scope))
        found = (await connection.execute(stmt)).first()
        return WriteMiss.NOT_FOUND if found is None else WriteMiss.STALE

    async def update(
        self,
        establishment_id: int,
        scope: Scope,
        changes: EstablishmentChanges,
        expected_version: int | None = None,
        accept: Callable[[EstablishmentRecord], bool] | None = None,
    ) -> EstablishmentRecord | WriteMiss:
        """Apply `changes` and bump the version, if within `scope` (and at
        `expected_version`); LicenseTaken if the new licence number is in use.
        `accept` sees the result before COMMIT: False rolls it back as STALE."""
        where = [_c.id == establishment_id, *_scoped(scope)]
        if expected_version is not None:
            where.append(_c.version == expected_version)
        stmt = (
            update(establishments)
            .where(*where)
            .values(
                **_column_values(changes.fields()),
                update_time=utcnow(),
                version=_c.version + 1,
            )
            .returning(*COLUMNS)
        )
        try:
            async with self._engine.begin() as connection:
                row = (await connection.execute(stmt)).one_or_none()
                if row is None:
                    raise _Refused(await self._miss(connection, establishment_id, scope))
                record = _record(row)
                if accept is not None and not accept(record):
                    raise _Refused(WriteMiss.STALE)
        except _Refused as refused:
            return refused.miss
        except IntegrityError as error:
            if _is_license_conflict(error):
                raise LicenseTaken(changes.license_number or "") from None
            raise
        return record

    async def delete(
        self,
        establishment_id: int,
        scope: Scope,
        expected_version: int | None = None,
        accept: Callable[[EstablishmentRecord], bool] | None = None,
    ) -> EstablishmentRecord | WriteMiss:
        """Delete it (within `scope`, at `expected_version`); its last state.
        HasInspections while any item names it."""
        where = [_c.id == establishment_id, *_scoped(scope)]
        if expected_version is not None:
            where.append(_c.version == expected_version)
        try:
            async with self._engine.begin() as connection:
                stmt: Any = delete(establishments).where(*where).returning(*COLUMNS)
                row = (await connection.execute(stmt)).one_or_none()
                if row is None:
                    raise _Refused(await self._miss(connection, establishment_id, scope))
                record = _record(row)
                if accept is not None and not accept(record):
                    raise _Refused(WriteMiss.STALE)
                # After the DELETE, so the row is locked (PostgreSQL) or the database
                # write-locked (SQLite): an item naming it now fails its foreign key.
                named = select(exists().where(items.c.establishment_id == establishment_id))
                if (await connection.execute(named)).scalar():
                    raise HasInspections(establishment_id)
        except _Refused as refused:
            return refused.miss
        except IntegrityError:
            # The items' foreign key: an item named it between our check and COMMIT.
            raise HasInspections(establishment_id) from None
        return record

    async def purge_requests(self, before: datetime) -> int:
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(requests).where(requests.c.create_time < before)
            )
        return int(getattr(result, "rowcount", 0) or 0)
