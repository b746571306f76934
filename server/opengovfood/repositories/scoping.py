"""The department boundary in SQL: one predicate every repository applies.

`where(scope, table)` gives the conditions a `domain.scopes.Scope` puts on a table
that has `owner_id` and/or `department_id` columns. Repositories that cache a
statement per shape use `bound(...)` (the values bound per call as `scope_owner` /
`scope_department`, from `params(scope)`); the others use literal values. A table
without an owner column (establishments) is scoped by department only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam

from opengovfood.domain.scopes import Scope

OWNER = "scope_owner"
DEPARTMENT = "scope_department"


def _columns(table: Table) -> tuple[ColumnElement[Any] | None, ColumnElement[Any] | None]:
    return table.c.get("owner_id"), table.c.get("department_id")


def where(scope: Scope, table: Table) -> list[ColumnElement[bool]]:
    """The scope's conditions with its values inline (a statement built per call)."""
    owner, department = _columns(table)
    conditions: list[ColumnElement[bool]] = []
    if scope.owner_id is not None:
        if owner is None:
            raise ValueError(f"{table.name} has no owner: scope it by department")
        conditions.append(owner == scope.owner_id)
    if scope.department_id is not None:
        assert department is not None, f"{table.name} has no department_id"
        conditions.append(department == scope.department_id)
    return conditions


def bound(shape: tuple[bool, bool], table: Table) -> list[ColumnElement[bool]]:
    """The conditions of a scope of this `shape` (Scope.shape), values bound per call."""
    owner, department = _columns(table)
    by_owner, by_department = shape
    conditions: list[ColumnElement[bool]] = []
    if by_owner:
        assert owner is not None, f"{table.name} has no owner_id"
        conditions.append(owner == bindparam(OWNER))
    if by_department:
        assert department is not None, f"{table.name} has no department_id"
        conditions.append(department == bindparam(DEPARTMENT))
    return conditions


def params(scope: Scope) -> dict[str, Any]:
    """The values `bound` statements take."""
    return {OWNER: scope.owner_id, DEPARTMENT: scope.department_id}
