"""EstablishmentRepository: establishments and their idempotency records, as
EstablishmentRecords.

Every write is one transaction; conditional updates and deletes are one statement
with RETURNING, so concurrent writers never lose an update. The licence number's
uniqueness is the database's (a unique constraint on (license_scope,
license_number)); a violation comes back as `LicenseTaken`. A delete is refused
(`HasInspections`) while items name the establishment; the check and the DELETE
share the transaction, and the items' foreign key backs it up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from opengovfood.db.models import Establishment, EstablishmentRequest, Item, utcnow
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
from opengovfood.repositories import sql_lists
from opengovfood.repositories.idempotency import claim_statement

establishments = cast(Table, Establishment.__table__)
items = cast(Table, Item.__table__)
requests = cast(Table, EstablishmentRequest.__table__)
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


# Filter fields whose column holds folded text (domain.establishments.fold).
FOLDED = frozenset({"name"})


def _record(row: Row[Any]) -> EstablishmentRecord:
    return EstablishmentRecord(
        id=row.id,
        name=row.name,
        address=Address(row.street, row.city, row.state, row.postal_code),
        license_number=row.license_number or "",
        facility_type=row.facility_type,
        risk_category=RiskCategory(row.risk_category),
        owner_id=row.owner_id,
        create_time=row.create_time,
        update_time=row.update_time,
        version=row.version,
    )


def _scoped(scope: Scope) -> list[ColumnElement[bool]]:
    return [] if scope.owner_id is None else [_c.owner_id == scope.owner_id]


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
    def __init__(self, engine: AsyncEngine) -> None:
        self.dialect: str = engine.dialect.name
        self._engine = engine
        self._reader = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else engine
        )
        self._claim = claim_statement(requests, "establishment_id", self.dialect)

    # --- reads -----------------------------------------------------------------------

    async def _rows(self, stmt: Any) -> list[Row[Any]]:
        async with self._reader.connect() as connection:
            return list((await connection.execute(stmt)).all())

    async def get(self, establishment_id: int, scope: Scope) -> EstablishmentRecord | None:
        rows = await self._rows(select(*COLUMNS).where(_c.id == establishment_id, *_scoped(scope)))
        return _record(rows[0]) if rows else None

    def _where(self, query: ListQuery, scope: Scope) -> list[ColumnElement[bool]]:
        return [
            *_scoped(scope),
            *sql_lists.where(query.filter, FILTER_COLUMNS, self.dialect, FOLDED),
        ]

    async def page(self, query: ListQuery, scope: Scope) -> list[EstablishmentRecord]:
        """Up to page_size + 1 establishments after the query's keyset position."""
        where = self._where(query, scope)
        if query.after is not None:
            where.append(sql_lists.after(query.ordering, ORDER_COLUMNS, query.after))
        stmt = (
            select(*COLUMNS)
            .where(*where)
            .order_by(*sql_lists.order_by(query.ordering, ORDER_COLUMNS))
            .limit(query.page_size + 1)
        )
        return [_record(row) for row in await self._rows(stmt)]

    async def count(self, query: ListQuery, scope: Scope) -> int:
        stmt = select(func.count()).select_from(establishments).where(*self._where(query, scope))
        return int((await self._rows(stmt))[0][0])

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
            license_scope=license_scope(new.owner_id),
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
        self, new: NewEstablishment, request_id: str, body_hash: str, expired_before: datetime
    ) -> EstablishmentRecord | PriorEstablishmentRequest | None:
        """Create unless `request_id` was used by its owner since `expired_before`: the
        new establishment, or what the earlier call left. Concurrent duplicates create
        one. None: contended three times; retry."""
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
                found = await self.get(prior.establishment_id, Scope.owned_by(new.owner_id))
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
