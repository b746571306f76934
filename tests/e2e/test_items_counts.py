"""ListItems' total_size is exact: summed from the trigger-kept item_counts when the
filter names only status and owner_id, counted over the items otherwise. Every way
items change (create, status and title updates, delete, bulk SQL, concurrent
writers, a deleted owner) keeps the sums equal to what the list walks."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from google.protobuf import field_mask_pb2
from sqlalchemy import delete, func, select, text
from test_items_list import bulk_insert, list_all

from opengovfood.db.models import Item, ItemCount, User
from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.items import create

if TYPE_CHECKING:
    from support.server import RunningServer, TestUser, UserFactory

STATUSES = ("PENDING", "IN_PROGRESS", "COMPLETED", "CANCELLED")
# Summed from item_counts: every field they name is status or owner_id.
COUNTED = [
    "",
    "status = ITEM_STATUS_PENDING",
    "status != COMPLETED",
    "NOT status = CANCELLED",
    "status = PENDING OR status = IN_PROGRESS",
    "status > PENDING",
    "status = COMPLETED AND status = PENDING",
]
# Counted over the items.
NOT_COUNTED = ['title:"even"', 'status = PENDING AND title:"odd"']


async def _total(stub: items_pb2_grpc.ItemServiceStub, user: TestUser, filter: str = "") -> int:
    page = await stub.ListItems(
        items_pb2.ListItemsRequest(page_size=1, filter=filter), metadata=user.metadata, timeout=10
    )
    return page.total_size


async def _assert_totals(
    stub: items_pb2_grpc.ItemServiceStub, user: TestUser, filters: list[str]
) -> None:
    for text_filter in filters:
        walked = await list_all(stub, user, filter=text_filter, page_size=1000)
        assert await _total(stub, user, text_filter) == len(walked), text_filter


async def _set_status(
    stub: items_pb2_grpc.ItemServiceStub, user: TestUser, item_id: int, status: str
) -> None:
    await stub.UpdateItem(
        items_pb2.UpdateItemRequest(
            item=items_pb2.Item(
                id=item_id, status=items_pb2.ItemStatus.Value(f"ITEM_STATUS_{status}")
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["status"]),
        ),
        metadata=user.metadata,
        timeout=10,
    )


async def test_totals_follow_every_kind_of_write(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    other = await make_user()
    made = [
        await create(items_stub, user.metadata, title=f"{'even' if n % 2 == 0 else 'odd'} {n}")
        for n in range(12)
    ]
    await create(items_stub, other.metadata, title="someone else's")
    await _assert_totals(items_stub, user, COUNTED + NOT_COUNTED)
    assert await _total(items_stub, user) == 12

    for n, item in enumerate(made[:8]):  # statuses move between pairs
        await _set_status(items_stub, user, item.id, STATUSES[n % 4])
    await items_stub.UpdateItem(  # a title change moves no count
        items_pb2.UpdateItemRequest(
            item=items_pb2.Item(id=made[9].id, title="even now"),
            update_mask=field_mask_pb2.FieldMask(paths=["title"]),
        ),
        metadata=user.metadata,
    )
    for item in made[:3]:
        await items_stub.DeleteItem(items_pb2.DeleteItemRequest(id=item.id), metadata=user.metadata)
    await _assert_totals(items_stub, user, COUNTED + NOT_COUNTED)
    assert await _total(items_stub, user) == 9
    assert await _total(items_stub, other) == 1


async def test_totals_under_concurrent_writers_and_bulk_sql(
    server: RunningServer, items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    made = await asyncio.gather(
        *(create(items_stub, user.metadata, title=f"even {n}") for n in range(40))
    )
    await asyncio.gather(
        *(_set_status(items_stub, user, item.id, STATUSES[n % 4]) for n, item in enumerate(made))
    )
    await bulk_insert(server, user.id, 300)  # straight SQL: the triggers count it too
    await _assert_totals(items_stub, user, COUNTED + NOT_COUNTED)
    assert await _total(items_stub, user) == 340
    assert await _total(items_stub, user, "status = PENDING") == 310


async def test_superuser_totals_span_owners_and_owner_filters(
    server: RunningServer, items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    admin = await make_user(superuser=True)
    user = await make_user()
    for n in range(5):
        await create(items_stub, user.metadata, title=f"odd {n}")
    await _assert_totals(
        items_stub,
        admin,
        ["", "status = PENDING", f"owner_id = {user.id}", f"owner_id != {user.id}"],
    )
    assert await _total(items_stub, admin, f"owner_id = {user.id}") == 5
    async with server.app.container.sessions() as session:
        items_in_db = (await session.execute(select(func.count()).select_from(Item))).scalar_one()
    assert await _total(items_stub, admin) == items_in_db


async def test_counts_are_the_sums_of_item_counts_and_follow_a_deleted_owner(
    server: RunningServer, items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    """The totals are read from item_counts (not recounted), and deleting an owner
    (items go by ON DELETE CASCADE) leaves their pairs at zero."""
    user = await make_user()
    for n in range(3):
        await create(items_stub, user.metadata, title=f"odd {n}")
    sessions = server.app.container.sessions
    owned = ItemCount.owner_id == user.id

    async def summed() -> int:
        async with sessions() as session:
            return int(
                (
                    await session.execute(
                        select(func.coalesce(func.sum(ItemCount.n), 0)).where(owned)
                    )
                ).scalar_one()
            )

    assert await summed() == 3 == await _total(items_stub, user)
    # item_counts knows owners, not departments: it serves scopes without a department
    # (superusers, platform services); a user's own scope counts the items themselves.
    admin = await make_user(superuser=True)
    mine = f"owner_id = {user.id}"
    async with sessions() as session, session.begin():
        # A pair's rows are summed: one more row stands for one more item.
        await session.execute(
            text(
                "INSERT INTO item_counts (owner_id, status, slot, n) VALUES (:o, 'pending', 99, 7)"
            ),
            {"o": user.id},
        )
    assert await _total(items_stub, admin, mine) == 10
    assert await _total(items_stub, user) == 3
    assert await _total(items_stub, admin, f"{mine} AND status = COMPLETED") == 0
    async with sessions() as session, session.begin():
        await session.execute(delete(ItemCount).where(owned, ItemCount.slot == 99))
        await session.execute(delete(User).where(User.id == user.id))
    assert await summed() == 0
