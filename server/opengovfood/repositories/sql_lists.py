"""A `ListQuery` in SQL: the filter's syntax tree as a WHERE condition, the ordering as
ORDER BY, and the keyset predicate. Each repository maps the field names of its list to
its columns (`columns`); no filter text ever becomes SQL (values are bound).

The keyset predicate is written `k1 <= v1 AND (k1 < v1 OR (k2 <= v2 AND (k2 < v2 OR
...)))` (per-key direction), so the leading key bounds an index range scan on SQLite
and PostgreSQL alike and page N costs what page 1 does.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import and_, bindparam, false, func, not_, or_
from sqlalchemy.sql.elements import ColumnElement

from opengovfood.domain.filters import (
    EQUALITY,
    And,
    Comparison,
    Kind,
    Node,
    Not,
    ParsedFilter,
    enum_choices,
)
from opengovfood.domain.listing import ListQuery
from opengovfood.domain.pagination import Ordering

Columns = Mapping[str, ColumnElement[Any]]

_SQL_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _comparison(
    node: Comparison, columns: Columns, dialect: str, folded: Collection[str]
) -> ColumnElement[bool]:
    column, op, value = columns[node.field.name], node.op, node.value
    if op == ":":
        if node.field.name in folded:
            # Stored and searched values are folded alike (e.g. establishments' names):
            # a plain substring match, in C on both backends.
            return cast("ColumnElement[bool]", column.like(_like_pattern(value), escape="\\"))
        if dialect == "sqlite":
            # SQLite's LIKE/lower() fold ASCII only; this folds like Python (and ILIKE).
            return func.ogf_icontains(column, value) == 1
        return cast("ColumnElement[bool]", column.ilike(_like_pattern(value), escape="\\"))
    chosen = enum_choices(node)
    if chosen is not None:
        # Ordering on an enum means its declared order: a set keeps the index usable.
        return column.in_(chosen) if chosen else false()
    if node.field.kind is Kind.BOOLEAN and op in EQUALITY:
        wanted = value if op == "=" else not value
        return column.is_(True) if wanted else column.is_(False)
    return cast("ColumnElement[bool]", _SQL_OPERATORS[op](column, value))


def condition(
    node: Node, columns: Columns, dialect: str, folded: Collection[str] = ()
) -> ColumnElement[bool]:
    """The filter tree as a SQL condition (`dialect`: the engine's dialect name;
    `folded`: text fields whose columns hold values folded the way the filter's parser
    folds what it searches for)."""
    if isinstance(node, Comparison):
        return _comparison(node, columns, dialect, folded)
    if isinstance(node, And):
        return and_(*(condition(p, columns, dialect, folded) for p in node.parts))
    if isinstance(node, Not):
        return not_(condition(node.part, columns, dialect, folded))
    return or_(*(condition(p, columns, dialect, folded) for p in node.parts))


def fields(node: Node | None) -> set[str]:
    """The names of the fields a filter tree compares."""
    if node is None:
        return set()
    if isinstance(node, Comparison):
        return {node.field.name}
    if isinstance(node, Not):
        return fields(node.part)
    return set().union(*(fields(part) for part in node.parts))


def where(
    parsed: ParsedFilter, columns: Columns, dialect: str, folded: Collection[str] = ()
) -> list[ColumnElement[bool]]:
    """The filter's conditions (none for the empty filter)."""
    return [] if parsed.node is None else [condition(parsed.node, columns, dialect, folded)]


def order_by(ordering: Ordering, columns: Columns) -> list[ColumnElement[Any]]:
    return [columns[f.name].desc() if desc else columns[f.name].asc() for f, desc in ordering.keys]


def after(ordering: Ordering, columns: Columns, key: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `key` (values, or bindparams) in this order."""
    result: ColumnElement[bool] | None = None
    for (field, desc), value in reversed(tuple(zip(ordering.keys, key, strict=True))):
        column = columns[field.name]
        strictly = column < value if desc else column > value
        if result is None:
            result = strictly
        else:
            bound = column <= value if desc else column >= value
            result = and_(bound, or_(strictly, result))
    assert result is not None
    return result


def keyset_params(query: ListQuery) -> dict[str, Any]:
    """The values of `after_bound`'s bindparams for this query's position."""
    if query.after is None:
        return {}
    return {f"k{i}": value for i, value in enumerate(query.after)}


def after_bound(ordering: Ordering, columns: Columns) -> ColumnElement[bool]:
    """The keyset predicate with bindparams k0, k1, ... (values: `keyset_params`), so
    one compiled statement serves every position."""
    position = tuple(
        bindparam(f"k{i}", type_=columns[field.name].type)
        for i, (field, _) in enumerate(ordering.keys)
    )
    return after(ordering, columns, position)
