"""AnalysisRepository: inspection analyses, within the caller's scope (owner and/or
department, repositories/scoping.py), as AnalysisRecords."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from opengovfood.db.models import InspectionAnalysis, Item, utcnow
from opengovfood.domain.analyses import AnalysisRecord, NewAnalysis, Violation
from opengovfood.domain.listing import ListQuery
from opengovfood.domain.scopes import Scope
from opengovfood.repositories import scoping, sql_lists

_analyses = cast(Table, InspectionAnalysis.__table__)
_items = cast(Table, Item.__table__)
_c = _analyses.c

# ListAnalyses' filter and order fields (services/analyses.py) -> columns.
# `item_id = 0` selects analyses attached to no item (0 is "none" in the API).
LIST_COLUMNS: Mapping[str, ColumnElement[Any]] = {
    "item_id": func.coalesce(_c.item_id, 0),
    "create_time": _c.create_time,
    "id": _c.id,
}


def _violations(stored: Any) -> tuple[Violation, ...]:
    return tuple(
        Violation(
            code=str(v.get("code", "")),
            description=str(v.get("description", "")),
            severity=str(v.get("severity", "")),
        )
        for v in stored or ()
        if isinstance(v, dict)
    )


def _record(row: Row[Any]) -> AnalysisRecord:
    return AnalysisRecord(
        id=row.id,
        owner_id=row.owner_id,
        item_id=row.item_id,
        notes=row.notes,
        summary=row.summary,
        violations=_violations(row.violations),
        corrective_actions=tuple(str(a) for a in row.corrective_actions or ()),
        compliance_score=row.compliance_score,
        public_health_narrative=row.public_health_narrative,
        provider=row.provider,
        model=row.model,
        create_time=row.create_time,
        department_id=row.department_id,
    )


class AnalysisRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name

    async def item_department(self, item_id: int, scope: Scope) -> int | None:
        """The item's department if it exists within `scope` (analyses attach to
        visible items, in the item's department); None if not."""
        statement = select(_items.c.department_id).where(
            _items.c.id == item_id, *scoping.where(scope, _items)
        )
        async with self._engine.connect() as connection:
            found = (await connection.execute(statement)).first()
        return None if found is None else int(found[0])

    async def add(self, new: NewAnalysis) -> AnalysisRecord:
        values = {
            "owner_id": new.owner_id,
            "department_id": new.department_id,
            "item_id": new.item_id,
            "notes": new.notes,
            "summary": new.summary,
            "violations": [
                {"code": v.code, "description": v.description, "severity": v.severity}
                for v in new.violations
            ],
            "corrective_actions": list(new.corrective_actions),
            "compliance_score": new.compliance_score,
            "public_health_narrative": new.public_health_narrative,
            "provider": new.provider,
            "model": new.model,
            "create_time": utcnow(),
        }
        async with self._engine.begin() as connection:
            row = (await connection.execute(insert(_analyses).returning(*_c), values)).one()
        return _record(row)

    async def get(self, analysis_id: int, scope: Scope) -> AnalysisRecord | None:
        statement = select(*_c).where(_c.id == analysis_id, *scoping.where(scope, _analyses))
        async with self._engine.connect() as connection:
            row = (await connection.execute(statement)).one_or_none()
        return None if row is None else _record(row)

    def _where(self, query: ListQuery, scope: Scope) -> list[ColumnElement[bool]]:
        return [
            *scoping.where(scope, _analyses),
            *sql_lists.where(query.filter, LIST_COLUMNS, self._dialect),
        ]

    async def page(self, query: ListQuery, scope: Scope) -> list[AnalysisRecord]:
        """Up to page_size + 1 analyses after the query's keyset position."""
        where = self._where(query, scope)
        if query.after is not None:
            where.append(sql_lists.after(query.ordering, LIST_COLUMNS, query.after))
        statement = (
            select(*_c)
            .where(*where)
            .order_by(*sql_lists.order_by(query.ordering, LIST_COLUMNS))
            .limit(query.page_size + 1)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        return [_record(row) for row in rows]

    async def count(self, query: ListQuery, scope: Scope) -> int:
        statement = select(func.count()).select_from(_analyses).where(*self._where(query, scope))
        async with self._engine.connect() as connection:
            return int((await connection.execute(statement)).scalar_one())
