"""AnalysisRepository: inspection analyses, scoped to their owner, as AnalysisRecords."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from opengovfood.db.models import InspectionAnalysis, Item, utcnow
from opengovfood.domain.analyses import (
    AnalysisChanges,
    AnalysisRecord,
    NewAnalysis,
    Score,
    Violation,
    ViolationSource,
)
from opengovfood.domain.listing import ListQuery
from opengovfood.domain.scopes import Scope
from opengovfood.repositories import sql_lists

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


def _source(value: object) -> ViolationSource:
    try:
        return ViolationSource(str(value or ""))
    except ValueError:
        return ViolationSource.UNSPECIFIED


def violations_from_json(stored: Any) -> tuple[Violation, ...]:
    """The stored `violations` JSON as records (the export and the report read it too)."""
    # Keys added after 0001 are absent from older analyses: their defaults say "unknown".
    return tuple(
        Violation(
            code=str(v.get("code", "")),
            description=str(v.get("description", "")),
            severity=str(v.get("severity", "")),
            food_code_section=str(v.get("food_code_section", "")),
            form_item=int(v.get("form_item") or 0),
            evidence=str(v.get("evidence", "")),
            source=_source(v.get("source")),
            corrected_on_site=bool(v.get("corrected_on_site", False)),
            repeat=bool(v.get("repeat", False)),
            corrective_action=str(v.get("corrective_action", "")),
        )
        for v in stored or ()
        if isinstance(v, dict)
    )


def violations_to_json(violations: tuple[Violation, ...]) -> list[dict[str, Any]]:
    """Records as the stored `violations` JSON (the import writes it too)."""
    return [
        {
            "code": v.code,
            "description": v.description,
            "severity": v.severity,
            "food_code_section": v.food_code_section,
            "form_item": v.form_item,
            "evidence": v.evidence,
            "source": v.source.value,
            "corrected_on_site": v.corrected_on_site,
            "repeat": v.repeat,
            "corrective_action": v.corrective_action,
        }
        for v in violations
    ]


def _record(row: Row[Any]) -> AnalysisRecord:
    score = row.score
    if score is None:  # stored before 0004
        score = round(row.compliance_score * 100)
    return AnalysisRecord(
        id=row.id,
        owner_id=row.owner_id,
        item_id=row.item_id,
        notes=row.notes,
        summary=row.summary,
        violations=violations_from_json(row.violations),
        corrective_actions=tuple(str(a) for a in row.corrective_actions or ()),
        score=Score(score, row.grade, row.scoring_scheme),
        public_health_narrative=row.public_health_narrative,
        narrative_missing=row.narrative_missing,
        provider=row.provider,
        model=row.model,
        create_time=row.create_time,
        update_time=row.update_time or row.create_time,
        version=row.version,
    )


def _scoped(scope: Scope) -> list[ColumnElement[bool]]:
    return [] if scope.owner_id is None else [_c.owner_id == scope.owner_id]


class AnalysisRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name

    async def item_visible(self, item_id: int, scope: Scope) -> bool:
        """Whether the item exists within `scope` (analyses attach to visible items)."""
        where = [_items.c.id == item_id]
        if scope.owner_id is not None:
            where.append(_items.c.owner_id == scope.owner_id)
        async with self._engine.connect() as connection:
            found = (await connection.execute(select(_items.c.id).where(*where))).first()
        return found is not None

    async def add(self, new: NewAnalysis) -> AnalysisRecord:
        now = utcnow()
        values = {
            "owner_id": new.owner_id,
            "item_id": new.item_id,
            "notes": new.notes,
            "summary": new.summary,
            "violations": violations_to_json(new.violations),
            "corrective_actions": list(new.corrective_actions),
            "compliance_score": new.score.compliance_score,
            "score": new.score.score,
            "grade": new.score.grade,
            "scoring_scheme": new.score.scheme,
            "public_health_narrative": new.public_health_narrative,
            "narrative_missing": new.narrative_missing,
            "provider": new.provider,
            "model": new.model,
            "create_time": now,
            "update_time": now,
            "version": 1,
        }
        async with self._engine.begin() as connection:
            row = (await connection.execute(insert(_analyses).returning(*_c), values)).one()
        return _record(row)

    async def get(self, analysis_id: int, scope: Scope) -> AnalysisRecord | None:
        statement = select(*_c).where(_c.id == analysis_id, *_scoped(scope))
        async with self._engine.connect() as connection:
            row = (await connection.execute(statement)).one_or_none()
        return None if row is None else _record(row)

    async def update(
        self, analysis_id: int, scope: Scope, expected_version: int, changes: AnalysisChanges
    ) -> AnalysisRecord | None:
        """Apply the inspector's changes if the analysis is still at `expected_version`;
        None when it is not (or not within `scope`): the caller tells which."""
        values: dict[str, Any] = {
            "version": _c.version + 1,
            "update_time": utcnow(),
            "score": changes.score.score,
            "grade": changes.score.grade,
            "scoring_scheme": changes.score.scheme,
            "compliance_score": changes.score.compliance_score,
        }
        if changes.summary is not None:
            values["summary"] = changes.summary
        if changes.violations is not None:
            values["violations"] = violations_to_json(changes.violations)
        if changes.corrective_actions is not None:
            values["corrective_actions"] = list(changes.corrective_actions)
        statement = (
            update(_analyses)
            .where(_c.id == analysis_id, _c.version == expected_version, *_scoped(scope))
            .values(values)
            .returning(*_c)
        )
        async with self._engine.begin() as connection:
            row = (await connection.execute(statement)).one_or_none()
        return None if row is None else _record(row)

    def _where(self, query: ListQuery, scope: Scope) -> list[ColumnElement[bool]]:
        return [*_scoped(scope), *sql_lists.where(query.filter, LIST_COLUMNS, self._dialect)]

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
