"""Demo data for `opengov-food db seed`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from opengovfood.db.models import Item, utcnow


async def add_items(
    session: AsyncSession, owner_id: int, items: Iterable[tuple[str, str, str]]
) -> int:
    """Add (title, description, status) items for an owner; returns how many."""
    now = utcnow()
    rows = [
        Item(
            title=title,
            description=description,
            status=status,
            owner_id=owner_id,
            create_time=now,
            update_time=now,
            version=1,
        )
        for title, description, status in items
    ]
    session.add_all(rows)
    await session.flush()
    return len(rows)
