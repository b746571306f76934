"""DepartmentRepository: department rows as DepartmentRecords; ListDepartments' pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from opengovfood.db.models import Department, utcnow
from opengovfood.domain.departments import DepartmentNameTaken, DepartmentRecord
from opengovfood.domain.listing import ListQuery
from opengovfood.repositories import sql_lists

departments = cast(Table, Department.__table__)
_c = departments.c
_COLUMNS = (_c.id, _c.name, _c.create_time)

# ListDepartments' filter and order fields (services/departments.py) -> columns.
LIST_COLUMNS: Mapping[str, ColumnElement[Any]] = {"name": _c.name, "id": _c.id}


def _record(row: Any) -> DepartmentRecord:
    return DepartmentRecord(id=row.id, name=row.name, create_time=row.create_time)


class DepartmentRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name

    async def add(self, name: str) -> DepartmentRecord:
        """The new department; DepartmentNameTaken when the name is another's."""
        try:
            async with self._engine.begin() as connection:
                row = (
                    await connection.execute(
                        insert(departments)
                        .values(name=name, create_time=utcnow())
                        .returning(*_COLUMNS)
                    )
                ).one()
        except IntegrityError:
            raise DepartmentNameTaken(name) from None
        return _record(row)

    async def get(self, department_id: int) -> DepartmentRecord | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(select(*_COLUMNS).where(_c.id == department_id))
            ).one_or_none()
        return None if row is None else _record(row)

    async def page(self, query: ListQuery) -> list[DepartmentRecord]:
        where = sql_lists.where(query.filter, LIST_COLUMNS, self._dialect)
        if query.after is not None:
            where.append(sql_lists.after(query.ordering, LIST_COLUMNS, query.after))
        statement = (
            select(*_COLUMNS)
            .where(*where)
            .order_by(*sql_lists.order_by(query.ordering, LIST_COLUMNS))
            .limit(query.page_size + 1)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        return [_record(row) for row in rows]

    async def count(self, query: ListQuery) -> int:
        where = sql_lists.where(query.filter, LIST_COLUMNS, self._dialect)
        statement = select(func.count()).select_from(departments).where(*where)
        async with self._engine.connect() as connection:
            return int((await connection.execute(statement)).scalar_one())
