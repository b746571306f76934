"""ExportRepository: what the open-data export and the inspection report read, joined
from items, establishments, the latest analysis of each item and the item's owner.

Exports stream: rows come in keyset batches (`id > last id ORDER BY id LIMIT n`), each
batch on a connection of its own that goes back to the pool before its rows are handed
out, so an export of any size holds one batch in memory and no connection or
transaction while the client reads slowly. (Not one statement through a server-side
cursor: the SQLite driver, db/sqlite_inline.py, fetches every row of a statement at
once.) Each batch is an index range scan: items by id, an establishment's items by
`ix_items_establishment_id_inspect_time_id`, the latest analyses of a batch by
`ix_inspection_analyses_item_id_id`. The batches are separate statements: rows written
during a long export may or may not be in it, as with paging through ListItems.

An item is an inspection when it names an establishment; the caller's scope and the
ListItems filter (the same column map as ItemRepository's) apply to the items.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    exists,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from opengovfood.db.models import Establishment, InspectionAnalysis, Item, User
from opengovfood.domain.exports import (
    ExportedBusiness,
    ExportedInspection,
    ExportedViolation,
    ReportSource,
)
from opengovfood.domain.filters import ParsedFilter
from opengovfood.domain.scopes import Scope
from opengovfood.repositories import sql_lists
from opengovfood.repositories.analyses import violations_from_json
from opengovfood.repositories.items import LIST_COLUMNS

_items = cast(Table, Item.__table__)
_places = cast(Table, Establishment.__table__)
_analyses = cast(Table, InspectionAnalysis.__table__)
_users = cast(Table, User.__table__)

BATCH = 1000

_ITEM_COLUMNS = (
    _items.c.id,
    _items.c.establishment_id,
    _items.c.inspect_time,
    _items.c.create_time,
    _items.c.kind,
    _items.c.result,
    _items.c.score,
)
_PLACE_COLUMNS = (
    _places.c.id,
    _places.c.name,
    _places.c.street,
    _places.c.city,
    _places.c.state,
    _places.c.postal_code,
    _places.c.license_number,
)


def _business(row: Any) -> ExportedBusiness:
    return ExportedBusiness(
        id=row.id,
        name=row.name,
        street=row.street,
        city=row.city,
        state=row.state,
        postal_code=row.postal_code,
        license_number=row.license_number or "",
    )


def _latest_analyses(item_ids: Sequence[int], *columns: Any) -> Select[Any]:
    """The newest analysis of each of these items (the official record): `columns`
    and its item_id, or every column."""
    newest = (
        select(func.max(_analyses.c.id))
        .where(_analyses.c.item_id.in_(item_ids))
        .group_by(_analyses.c.item_id)
    )
    chosen = (_analyses.c.item_id, *columns) if columns else tuple(_analyses.c)
    return select(*chosen).where(_analyses.c.id.in_(newest.scalar_subquery()))


def _exported(stored: Any) -> tuple[ExportedViolation, ...]:
    """The stored violations JSON, only what the export publishes (hundreds of thousands
    of them: no full records)."""
    return tuple(
        ExportedViolation(
            code=str(v.get("code", "")),
            food_code_section=str(v.get("food_code_section") or ""),
            description=str(v.get("description", "")),
        )
        for v in stored or ()
        if isinstance(v, dict)
    )


class ExportRepository:
    def __init__(self, engine: AsyncEngine, batch: int = BATCH) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._batch = batch

    def _conditions(self, parsed: ParsedFilter, scope: Scope) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [_items.c.establishment_id.is_not(None)]
        if scope.owner_id is not None:
            # SQLite would pick the owner's index and sort all their items for every
            # batch; `+owner_id` (no index on that term) keeps it on the id range.
            owner = (
                literal_column("+items.owner_id", BigInteger)
                if self._dialect == "sqlite"
                else _items.c.owner_id
            )
            where.append(owner == scope.owner_id)
        where.extend(sql_lists.where(parsed, LIST_COLUMNS, self._dialect))
        return where

    async def _batches(self, statement: Select[Any], key: Any) -> AsyncIterator[list[Any]]:
        """The statement's rows in keyset batches by `key` (an id column), each batch
        read on a connection of its own that is back in the pool before it is used."""
        after = 0
        while True:
            batch = statement.where(key > after).order_by(key).limit(self._batch)
            async with self._engine.connect() as connection:
                rows = list((await connection.execute(batch)).all())
            if rows:
                yield rows
            if len(rows) < self._batch:
                return
            after = rows[-1].id

    async def businesses(
        self, parsed: ParsedFilter, scope: Scope
    ) -> AsyncIterator[ExportedBusiness]:
        """The establishments of the matching inspections, each once, by id."""
        inspected = exists().where(
            _items.c.establishment_id == _places.c.id, *self._conditions(parsed, scope)
        )
        statement = select(*_PLACE_COLUMNS).where(inspected)
        async for rows in self._batches(statement, _places.c.id):
            for row in rows:
                yield _business(row)

    async def inspections(
        self, parsed: ParsedFilter, scope: Scope, with_violations: bool
    ) -> AsyncIterator[ExportedInspection]:
        """The matching inspections by id; with their latest analysis' violations when
        asked (one more query per batch)."""
        statement = select(*_ITEM_COLUMNS).where(*self._conditions(parsed, scope))
        async for rows in self._batches(statement, _items.c.id):
            violations: dict[int, tuple[ExportedViolation, ...]] = {}
            if with_violations:
                latest = _latest_analyses([r.id for r in rows], _analyses.c.violations)
                async with self._engine.connect() as connection:
                    found = (await connection.execute(latest)).all()
                violations = {a.item_id: _exported(a.violations) for a in found}
            for row in rows:
                yield ExportedInspection(
                    item_id=row.id,
                    establishment_id=row.establishment_id,
                    inspect_time=row.inspect_time,
                    create_time=row.create_time,
                    kind=row.kind,
                    result=row.result,
                    score=row.score,
                    violations=violations.get(row.id, ()),
                )

    async def report_source(self, item_id: int, scope: Scope) -> ReportSource | None:
        where = [_items.c.id == item_id]
        if scope.owner_id is not None:
            where.append(_items.c.owner_id == scope.owner_id)
        statement = (
            select(
                _items.c.id,
                _items.c.title,
                _items.c.description,
                _items.c.kind,
                _items.c.result,
                _items.c.score,
                _items.c.inspect_time,
                _items.c.create_time,
                _items.c.establishment_id,
                _users.c.full_name,
                _users.c.email,
            )
            .select_from(_items.join(_users, _users.c.id == _items.c.owner_id))
            .where(*where)
        )
        async with self._engine.connect() as connection:
            item = (await connection.execute(statement)).one_or_none()
            if item is None:
                return None
            place = None
            if item.establishment_id is not None:
                place = (
                    await connection.execute(
                        select(
                            *_PLACE_COLUMNS, _places.c.facility_type, _places.c.risk_category
                        ).where(_places.c.id == item.establishment_id)
                    )
                ).one_or_none()
            analysis = (await connection.execute(_latest_analyses([item_id]))).one_or_none()
        return ReportSource(
            item_id=item.id,
            title=item.title,
            description=item.description,
            kind=item.kind,
            result=item.result,
            score=item.score,
            inspect_time=item.inspect_time,
            create_time=item.create_time,
            inspector_name=item.full_name,
            inspector_email=item.email,
            establishment=_business(place) if place is not None else None,
            facility_type=place.facility_type if place is not None else "",
            risk_category=place.risk_category if place is not None else 0,
            analysis_id=analysis.id if analysis is not None else None,
            summary=analysis.summary if analysis is not None else "",
            violations=violations_from_json(analysis.violations) if analysis is not None else (),
            analysis_score=analysis.score if analysis is not None else None,
            grade=analysis.grade if analysis is not None else "",
            scoring_scheme=analysis.scoring_scheme if analysis is not None else "",
        )
