"""Inspection-analysis rows: owner-scoped lookups, pages, inserts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from opengovfood.db.models import InspectionAnalysis, Item


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
    where: Sequence[ColumnElement[bool]],
    order: Sequence[ColumnElement[Any]],
    limit: int,
) -> list[InspectionAnalysis]:
    query = select(InspectionAnalysis).where(*where).order_by(*order).limit(limit)
    return list((await session.execute(query)).scalars())


async def count(session: AsyncSession, where: Sequence[ColumnElement[bool]]) -> int:
    query = select(func.count()).select_from(InspectionAnalysis).where(*where)
    return int((await session.execute(query)).scalar_one())


async def item_owned_by(session: AsyncSession, item_id: int, owner_id: int) -> bool:
    """Whether the item exists and belongs to ``owner_id`` (analyses attach to own items)."""
    found = (
        await session.execute(select(Item.id).where(Item.id == item_id, Item.owner_id == owner_id))
    ).scalar_one_or_none()
    return found is not None
