"""Item and item-request rows (SQLAlchemy Core for speed; no rules, no protobuf).

Callers pass visibility/filter conditions in; every write is one statement with
RETURNING, so a conditional update is atomic on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from opengovfood.db.models import Item, ItemRequest

items = cast(Table, Item.__table__)
requests = cast(Table, ItemRequest.__table__)
AnyRow = Row[*tuple[Any, ...]]

COLUMNS = (
    items.c.id,
    items.c.title,
    items.c.description,
    items.c.status,
    items.c.owner_id,
    items.c.create_time,
    items.c.update_time,
    items.c.version,
)


async def insert_item(session: AsyncSession, values: dict[str, Any]) -> AnyRow:
    result = await session.execute(insert(items).values(**values).returning(*COLUMNS))
    return result.one()


# Hot path: built once, so a read skips statement construction and cache-key work.
_GET_ANY = select(*COLUMNS).where(items.c.id == bindparam("item_id"))
_GET_OWNED = _GET_ANY.where(items.c.owner_id == bindparam("owner_id"))


async def get_visible_item(
    session: AsyncSession, item_id: int, owner_id: int | None
) -> AnyRow | None:
    """The item if it exists and (with `owner_id`) belongs to that owner."""
    if owner_id is None:
        result = await session.execute(_GET_ANY, {"item_id": item_id})
    else:
        result = await session.execute(_GET_OWNED, {"item_id": item_id, "owner_id": owner_id})
    return result.one_or_none()


async def get_item(
    session: AsyncSession, item_id: int, where: Sequence[ColumnElement[bool]] = ()
) -> AnyRow | None:
    result = await session.execute(select(*COLUMNS).where(items.c.id == item_id, *where))
    return result.one_or_none()


async def list_items(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[ColumnElement[Any]],
    limit: int,
) -> Sequence[AnyRow]:
    stmt = select(*COLUMNS).where(*where).order_by(*order_by).limit(limit)
    return (await session.execute(stmt)).all()


async def count_items(session: AsyncSession, where: Sequence[ColumnElement[bool]]) -> int:
    result = await session.execute(select(func.count()).select_from(items).where(*where))
    return int(result.scalar_one())


async def update_item(
    session: AsyncSession,
    item_id: int,
    where: Sequence[ColumnElement[bool]],
    values: dict[str, Any],
) -> AnyRow | None:
    """Apply `values`, bump the version; None if no row matched `where`."""
    stmt = (
        update(items)
        .where(items.c.id == item_id, *where)
        .values(**values, version=items.c.version + 1)
        .returning(*COLUMNS)
    )
    return (await session.execute(stmt)).one_or_none()


async def delete_item(
    session: AsyncSession, item_id: int, where: Sequence[ColumnElement[bool]]
) -> AnyRow | None:
    """Delete and return the last state; None if no row matched."""
    stmt = delete(items).where(items.c.id == item_id, *where).returning(*COLUMNS)
    return (await session.execute(stmt)).one_or_none()


def _dialect_insert(session: AsyncSession) -> Any:
    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


async def claim_request(
    session: AsyncSession,
    owner_id: int,
    request_id: str,
    body_hash: str,
    now: datetime,
    expired_before: datetime,
) -> bool:
    """Take (owner, request_id) for this call: True if it was free or its record had
    expired. False if another call holds it; on PostgreSQL this waits for a concurrent
    holder's transaction to finish, so the caller then reads its committed result.
    Being the first statement of the transaction also makes SQLite take its write lock
    up front."""
    stmt = _dialect_insert(session)(requests).values(
        owner_id=owner_id,
        request_id=request_id,
        body_hash=body_hash,
        item_id=None,
        create_time=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[requests.c.owner_id, requests.c.request_id],
        set_={
            "body_hash": stmt.excluded.body_hash,
            "item_id": None,
            "create_time": stmt.excluded.create_time,
        },
        where=requests.c.create_time < expired_before,
    ).returning(requests.c.id)
    return (await session.execute(stmt)).first() is not None


async def get_request(session: AsyncSession, owner_id: int, request_id: str) -> AnyRow | None:
    """(body_hash, item_id) of a recorded request."""
    stmt = select(requests.c.body_hash, requests.c.item_id).where(
        requests.c.owner_id == owner_id, requests.c.request_id == request_id
    )
    return (await session.execute(stmt)).one_or_none()


async def link_request(session: AsyncSession, owner_id: int, request_id: str, item_id: int) -> None:
    await session.execute(
        update(requests)
        .where(and_(requests.c.owner_id == owner_id, requests.c.request_id == request_id))
        .values(item_id=item_id)
    )


async def purge_requests(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(requests).where(requests.c.create_time < before))
    return int(getattr(result, "rowcount", 0) or 0)
