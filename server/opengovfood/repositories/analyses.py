"""Inspection-analysis rows: owner-scoped lookups, keyset pages, inserts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from opengovfood.db.models import InspectionAnalysis, Item

Op = Literal["=", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True, slots=True)
class Comparison:
    """``field op value`` on ``item_id`` (``None`` = no item) or ``create_time``."""

    field: Literal["item_id", "create_time"]
    op: Op
    value: int | datetime | None


def _condition(c: Comparison) -> ColumnElement[bool]:
    column = InspectionAnalysis.item_id if c.field == "item_id" else InspectionAnalysis.create_time
    if c.value is None:
        if c.op == "=":
            return column.is_(None)
        if c.op == "!=":
            return column.is_not(None)
        raise ValueError("only = and != compare with no value")
    if c.op == "=":
        return column == c.value
    if c.op == "!=":
        # SQL's NULL != 5 is unknown; an analysis without an item is "not item 5".
        return or_(column != c.value, column.is_(None))
    if c.op == "<":
        return column < c.value
    if c.op == "<=":
        return column <= c.value
    if c.op == ">":
        return column > c.value
    return column >= c.value


def _where(owner_id: int, comparisons: Sequence[Comparison]) -> list[ColumnElement[bool]]:
    return [InspectionAnalysis.owner_id == owner_id, *(_condition(c) for c in comparisons)]


async def add(session: AsyncSession, analysis: InspectionAnalysis) -> InspectionAnalysis:
    session.add(analysis)
    await session.flush()
    return analysis


async def get_owned(
    session: AsyncSession, owner_id: int, analysis_id: int
) -> InspectionAnalysis | None:
    return (
        await session.execute(
            select(InspectionAnalysis).where(
                InspectionAnalysis.id == analysis_id, InspectionAnalysis.owner_id == owner_id
            )
        )
    ).scalar_one_or_none()


async def list_page(
    session: AsyncSession,
    owner_id: int,
    comparisons: Sequence[Comparison],
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[InspectionAnalysis]:
    """Newest first (``create_time desc, id desc``), strictly after the keyset ``after``."""
    where = _where(owner_id, comparisons)
    if after is not None:
        time, last_id = after
        where.append(
            or_(
                InspectionAnalysis.create_time < time,
                and_(InspectionAnalysis.create_time == time, InspectionAnalysis.id < last_id),
            )
        )
    query = (
        select(InspectionAnalysis)
        .where(*where)
        .order_by(InspectionAnalysis.create_time.desc(), InspectionAnalysis.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def count(session: AsyncSession, owner_id: int, comparisons: Sequence[Comparison]) -> int:
    query = (
        select(func.count()).select_from(InspectionAnalysis).where(*_where(owner_id, comparisons))
    )
    return int((await session.execute(query)).scalar_one())


async def item_owned_by(session: AsyncSession, item_id: int, owner_id: int) -> bool:
    """Whether the item exists and belongs to ``owner_id`` (analyses attach to own items)."""
    found = (
        await session.execute(select(Item.id).where(Item.id == item_id, Item.owner_id == owner_id))
    ).scalar_one_or_none()
    return found is not None
