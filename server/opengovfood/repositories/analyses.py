"""AnalysisRepository: inspection analyses, within the caller's scope (owner and/or
department, repositories/scoping.py), as AnalysisRecords.

ListAnalyses (the page and its count) takes ItemRepository's fast paths: each
statement shape is built and compiled once, with the scope and keyset position bound
per call, and runs on SQLite's dedicated read connection (db/fast_reads) or as an
asyncpg prepared statement (db/pg_direct), falling back to the engine when the fast
path declines. Its rows come back raw: the violations and corrective actions JSON is
decoded once here (stdlib json), not by SQLAlchemy's result processing.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Select, Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from opengovfood.db.fast_reads import SqliteFastReads
from opengovfood.db.models import InspectionAnalysis, Item, utcnow
from opengovfood.db.pg_direct import PgDirect
from opengovfood.db.read_paths import CompiledReads, RowReaders
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


_SOURCES = {source.value: source for source in ViolationSource}


def _source(value: object) -> ViolationSource:
    if isinstance(value, str):
        return _SOURCES.get(value, ViolationSource.UNSPECIFIED)
    try:
        return ViolationSource(str(value or ""))
    except ValueError:
        return ViolationSource.UNSPECIFIED


# Violation is a frozen slots dataclass: its __init__ sets each of the ten fields with
# object.__setattr__, and a ListAnalyses page decodes 150 violations. Setting the slots
# through their descriptors makes the same record in about half the instructions
# (callgrind: ~28.5 k -> ~15.5 k per violation, bench/README.md). A field added to
# Violation must be added here too: the assertion stops the import until it is.
_VIOLATION_FIELDS = (
    "code",
    "description",
    "severity",
    "food_code_section",
    "form_item",
    "evidence",
    "source",
    "corrected_on_site",
    "repeat",
    "corrective_action",
)
assert tuple(f.name for f in dataclasses.fields(Violation)) == _VIOLATION_FIELDS
(
    _set_code,
    _set_description,
    _set_severity,
    _set_section,
    _set_form_item,
    _set_evidence,
    _set_source,
    _set_corrected,
    _set_repeat,
    _set_action,
) = (Violation.__dict__[name].__set__ for name in _VIOLATION_FIELDS)
_new = object.__new__


def _violation(v: dict[str, Any]) -> Violation:
    get = v.get
    made: Violation = _new(Violation)
    _set_code(made, str(get("code", "")))
    _set_description(made, str(get("description", "")))
    _set_severity(made, str(get("severity", "")))
    _set_section(made, str(get("food_code_section", "")))
    _set_form_item(made, int(get("form_item") or 0))
    _set_evidence(made, str(get("evidence", "")))
    _set_source(made, _source(get("source")))
    _set_corrected(made, bool(get("corrected_on_site", False)))
    _set_repeat(made, bool(get("repeat", False)))
    _set_action(made, str(get("corrective_action", "")))
    return made


def violations_from_json(stored: Any) -> tuple[Violation, ...]:
    """The stored `violations` JSON as records (the export and the report read it too)."""
    # Keys added after 0001 are absent from older analyses: their defaults say "unknown".
    return tuple(_violation(v) for v in stored or () if isinstance(v, dict))


def _decoded(stored: Any) -> Any:
    """A JSON column as the fast paths return it: text (SQLite; asyncpg without a
    codec) decoded here, once."""
    return json.loads(stored) if isinstance(stored, str | bytes) else stored


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
        department_id=row.department_id,
        update_time=row.update_time or row.create_time,
        version=row.version,
    )


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _fast_record(row: Any, create_time: datetime, update_time: datetime | None) -> AnalysisRecord:
    """A fast-path row (sqlite3.Row or asyncpg Record, by column name), its JSON still
    text and its times already converted."""
    score = row["score"]
    if score is None:  # stored before 0004
        score = round(row["compliance_score"] * 100)
    return AnalysisRecord(
        row["id"],
        row["owner_id"],
        row["item_id"],
        row["notes"],
        row["summary"],
        violations_from_json(_decoded(row["violations"])),
        tuple(str(a) for a in _decoded(row["corrective_actions"]) or ()),
        Score(score, row["grade"], row["scoring_scheme"]),
        row["public_health_narrative"],
        bool(row["narrative_missing"]),
        row["provider"],
        row["model"],
        create_time,
        update_time or create_time,
        row["version"],
        row["department_id"],
    )


def _raw_record(row: sqlite3.Row) -> AnalysisRecord:
    """SQLite's own types: timestamps are naive UTC text, booleans 0/1."""
    updated = row["update_time"]
    return _fast_record(row, _utc(row["create_time"]), None if updated is None else _utc(updated))


def _mapped_record(row: Mapping[str, Any]) -> AnalysisRecord:
    """An asyncpg row (PostgreSQL's types: aware datetimes)."""
    return _fast_record(row, row["create_time"], row["update_time"])


class AnalysisRepository:
    def __init__(
        self,
        engine: AsyncEngine,
        fast: SqliteFastReads | None = None,
        direct: PgDirect | None = None,
    ) -> None:
        """`fast`: the SQLite fast read path; `direct`: PostgreSQL's raw connections."""
        self._engine = engine
        self._dialect = engine.dialect.name
        self._reads = CompiledReads(
            engine, RowReaders(_raw_record, _mapped_record, _record), fast, direct
        )

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
        now = utcnow()
        values = {
            "owner_id": new.owner_id,
            "department_id": new.department_id,
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
        statement = select(*_c).where(_c.id == analysis_id, *scoping.where(scope, _analyses))
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
            .where(
                _c.id == analysis_id,
                _c.version == expected_version,
                *scoping.where(scope, _analyses),
            )
            .values(values)
            .returning(*_c)
        )
        async with self._engine.begin() as connection:
            row = (await connection.execute(statement)).one_or_none()
        return None if row is None else _record(row)

    # --- ListAnalyses ------------------------------------------------------------------

    def _where(self, query: ListQuery, scope: Scope) -> list[ColumnElement[bool]]:
        return [
            *scoping.bound(scope.shape, _analyses),
            *sql_lists.where(query.filter, LIST_COLUMNS, self._dialect),
        ]

    async def page(self, query: ListQuery, scope: Scope) -> list[AnalysisRecord]:
        """Up to page_size + 1 analyses after the query's keyset position."""

        def build() -> Select[Any]:
            where = self._where(query, scope)
            if query.after is not None:
                where.append(sql_lists.after_bound(query.ordering, LIST_COLUMNS))
            return (
                select(*_c)
                .where(*where)
                .order_by(*sql_lists.order_by(query.ordering, LIST_COLUMNS))
                .limit(query.page_size + 1)
            )

        values = {**scoping.params(scope), **sql_lists.keyset_params(query)}
        rows, record = await self._reads.fetch(("page", scope.shape, query.shape), build, values)
        return [record(row) for row in rows]

    async def count(self, query: ListQuery, scope: Scope) -> int:
        def build() -> Select[Any]:
            return select(func.count()).select_from(_analyses).where(*self._where(query, scope))

        shape = ("count", scope.shape, query.filter.canonical)
        rows, _record_of = await self._reads.fetch(shape, build, scoping.params(scope))
        return int(rows[0][0])
