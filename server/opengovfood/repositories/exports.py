"""ExportRepository: what the open-data export and the inspection report read, joined
from items, establishments, the latest analysis of each item and the item's owner.

Exports stream: each file is one statement read through an open cursor `batch` rows at
a time, so an export of any size holds one batch in memory and costs one pass over the
rows (keyset batches would re-scan the owner's items for every batch: no index orders
them by id per owner). The cursor holds a connection (on PostgreSQL a read transaction)
while its file streams, for as long as the client takes to read it; each file is a
consistent snapshot, and the files are read one after the other.

An item is an inspection when it names an establishment; the caller's scope and the
ListItems filter (the same column map as ItemRepository's) apply to the items.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from opengovfood.db.models import Establishment, InspectionAnalysis, Item, User
from opengovfood.domain.exports import ExportedBusiness, ExportedInspection, ReportSource
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


def _latest_analyses(item_ids: Sequence[int]) -> Any:
    """The newest analysis of each of these items (the official record)."""
    newest = (
        select(func.max(_analyses.c.id))
        .where(_analyses.c.item_id.in_(item_ids))
        .group_by(_analyses.c.item_id)
    )
    return select(_analyses).where(_analyses.c.id.in_(newest.scalar_subquery()))


class ExportRepository:
    def __init__(self, engine: AsyncEngine, batch: int = BATCH) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._batch = batch

    def _conditions(self, parsed: ParsedFilter, scope: Scope) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [_items.c.establishment_id.is_not(None)]
        if scope.owner_id is not None:
            where.append(_items.c.owner_id == scope.owner_id)
        where.extend(sql_lists.where(parsed, LIST_COLUMNS, self._dialect))
        return where

    async def _stream(self, statement: Any) -> AsyncIterator[Any]:
        """The statement's rows, fetched `batch` at a time from one open cursor."""
        async with self._engine.connect() as connection:
            result = await connection.stream(statement)
            async for rows in result.partitions(self._batch):
                for row in rows:
                    yield row

    async def businesses(
        self, parsed: ParsedFilter, scope: Scope
    ) -> AsyncIterator[ExportedBusiness]:
        """The establishments of the matching inspections, each once, by id."""
        inspected = select(_items.c.establishment_id).where(*self._conditions(parsed, scope))
        statement = (
            select(*_PLACE_COLUMNS)
            .where(_places.c.id.in_(inspected.scalar_subquery()))
            .order_by(_places.c.id)
        )
        async for row in self._stream(statement):
            yield _business(row)

    async def inspections(
        self, parsed: ParsedFilter, scope: Scope, with_violations: bool
    ) -> AsyncIterator[ExportedInspection]:
        """The matching inspections by id. With `with_violations`, only those with an
        analysis, each with its latest analysis' violations."""
        statement = select(*_ITEM_COLUMNS).where(*self._conditions(parsed, scope))
        if with_violations:
            # One GROUP BY over the analyses, not a lookup per item.
            newest = (
                select(_analyses.c.item_id, func.max(_analyses.c.id).label("id"))
                .where(_analyses.c.item_id.is_not(None))
                .group_by(_analyses.c.item_id)
                .subquery()
            )
            statement = (
                statement.add_columns(_analyses.c.violations)
                .join(newest, newest.c.item_id == _items.c.id)
                .join(_analyses, _analyses.c.id == newest.c.id)
            )
        async for row in self._stream(statement.order_by(_items.c.id)):
            yield ExportedInspection(
                item_id=row.id,
                establishment_id=row.establishment_id,
                inspect_time=row.inspect_time,
                create_time=row.create_time,
                kind=row.kind,
                result=row.result,
                score=row.score,
                violations=violations_from_json(row.violations) if with_violations else (),
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
