"""ImportRepository: one imported inspection (establishment, item, analysis) per
transaction, with `import_records` remembering which source key became which row.

A second run finds the inspection's key and skips it, unless the item it became has
been deleted since (then it is imported again); an establishment's key finds the
establishment made the first time (unless deleted since). Rows are written the way the
owning repositories write them (establishments: folded name and licence scope;
items and analyses: version 1, create and update time now).

Imported items are not announced to WatchItems: an import is a bulk load by an
operator, not a change someone is watching for.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from opengovfood.db.models import (
    Establishment,
    ImportRecord,
    InspectionAnalysis,
    Item,
    utcnow,
)
from opengovfood.domain.establishments import fold, license_scope
from opengovfood.domain.imports import ImportOutcome, PlannedEstablishment, PlannedInspection
from opengovfood.repositories.analyses import violations_to_json

_records = cast(Table, ImportRecord.__table__)
_places = cast(Table, Establishment.__table__)
_items = cast(Table, Item.__table__)
_analyses = cast(Table, InspectionAnalysis.__table__)

ESTABLISHMENT = "establishment"
INSPECTION = "inspection"


class ImportRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _target(
        self,
        connection: AsyncConnection,
        owner_id: int,
        source: str,
        kind: str,
        key: str,
        table: Table,
    ) -> tuple[bool, int | None]:
        """(recorded, id): whether the key is on record, and the row it names if that
        row still exists."""
        found = (
            await connection.execute(
                select(_records.c.target_id, table.c.id)
                .select_from(
                    _records.outerjoin(
                        table,
                        and_(table.c.id == _records.c.target_id, table.c.owner_id == owner_id),
                    )
                )
                .where(
                    _records.c.owner_id == owner_id,
                    _records.c.source == source,
                    _records.c.kind == kind,
                    _records.c.external_key == key,
                )
            )
        ).one_or_none()
        if found is None:
            return False, None
        return True, found[1]

    async def _remember(
        self,
        connection: AsyncConnection,
        recorded: bool,
        owner_id: int,
        source: str,
        kind: str,
        key: str,
        target_id: int,
    ) -> None:
        where = {
            "owner_id": owner_id,
            "source": source,
            "kind": kind,
            "external_key": key,
        }
        if recorded:
            await connection.execute(
                update(_records)
                .where(*(getattr(_records.c, column) == value for column, value in where.items()))
                .values(target_id=target_id, create_time=utcnow())
            )
        else:
            await connection.execute(
                insert(_records).values(**where, target_id=target_id, create_time=utcnow())
            )

    async def _add_establishment(
        self, connection: AsyncConnection, owner_id: int, place: PlannedEstablishment
    ) -> int:
        now = utcnow()
        values: dict[str, Any] = {
            "owner_id": owner_id,
            "name": place.name,
            "name_folded": fold(place.name),
            "street": place.street,
            "city": place.city,
            "state": place.state,
            "postal_code": place.postal_code,
            "license_number": place.license_number or None,
            "license_scope": license_scope(owner_id),
            "facility_type": place.facility_type,
            "risk_category": place.risk_category,
            "create_time": now,
            "update_time": now,
            "version": 1,
        }
        result = await connection.execute(insert(_places).values(**values).returning(_places.c.id))
        return int(result.scalar_one())

    async def import_inspection(
        self,
        owner_id: int,
        source: str,
        establishment: PlannedEstablishment,
        inspection: PlannedInspection,
    ) -> ImportOutcome:
        async with self._engine.begin() as connection:
            seen, item_id = await self._target(
                connection, owner_id, source, INSPECTION, inspection.key, _items
            )
            if item_id is not None:
                return ImportOutcome(imported=False, establishment_created=False)
            known, place_id = await self._target(
                connection, owner_id, source, ESTABLISHMENT, establishment.key, _places
            )
            created = place_id is None
            if place_id is None:
                place_id = await self._add_establishment(connection, owner_id, establishment)
                await self._remember(
                    connection, known, owner_id, source, ESTABLISHMENT, establishment.key, place_id
                )
            now = utcnow()
            item_id = (
                await connection.execute(
                    insert(_items)
                    .values(
                        title=inspection.title,
                        description=inspection.description,
                        status=inspection.status,
                        owner_id=owner_id,
                        establishment_id=place_id,
                        kind=inspection.kind,
                        result=inspection.result,
                        score=inspection.score,
                        inspect_time=inspection.inspect_time,
                        create_time=now,
                        update_time=now,
                        version=1,
                    )
                    .returning(_items.c.id)
                )
            ).scalar_one()
            analysis = inspection.analysis
            if analysis is not None:
                await connection.execute(
                    insert(_analyses).values(
                        owner_id=owner_id,
                        item_id=item_id,
                        notes=analysis.notes,
                        summary=analysis.summary,
                        violations=violations_to_json(analysis.violations),
                        corrective_actions=list(analysis.corrective_actions),
                        compliance_score=analysis.score / 100,
                        score=analysis.score,
                        grade=analysis.grade,
                        scoring_scheme=analysis.scoring_scheme,
                        public_health_narrative="",
                        provider=analysis.provider,
                        model=analysis.model,
                        create_time=now,
                        update_time=now,
                        version=1,
                    )
                )
            await self._remember(
                connection, seen, owner_id, source, INSPECTION, inspection.key, item_id
            )
        return ImportOutcome(imported=True, establishment_created=created)
