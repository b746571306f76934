"""ListItems' total_size is exact: summed from the trigger-kept item_counts (by
department, owner and status) when the filter names only status and owner_id, in
every scope, and counted over the items otherwise. Every way items change (create,
status and title updates, reassignment, a user moved to another department, delete,
bulk SQL, concurrent writers, a deleted owner) keeps the sums equal to COUNT(*) and to
what the list walks."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from google.protobuf import field_mask_pb2
from sqlalchemy import delete, func, select, text
from test_items_list import bulk_insert, list_all

from opengovfood.db.models import Item, ItemCount, User
from opengovfood.domain.departments import DEFAULT_DEPARTMENT_ID
from opengovfood.domain.principal import SCOPE_ITEMS_READ, Role
from opengovfood_client.v1 import items_pb2, items_pb2_grpc, users_pb2, users_pb2_grpc
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
    # item_counts is keyed by department too: every scope reads it (the user's own,
    # their supervisor's department, a superuser's everything), so one made-up row
    # shows in each of them.
    admin = await make_user(superuser=True)
    boss = await make_user(role=Role.SUPERVISOR)  # the user's department (the default)
    mine = f"owner_id = {user.id}"
    async with sessions() as session, session.begin():
        # A key's rows are summed: one more row stands for one more item.
        await session.execute(
            text(
                "INSERT INTO item_counts (department_id, owner_id, status, slot, n)"
                " VALUES (:d, :o, 'pending', 99, 7)"
            ),
            {"d": DEFAULT_DEPARTMENT_ID, "o": user.id},
        )
    assert await _total(items_stub, admin, mine) == 10
    assert await _total(items_stub, user) == 10
    assert await _total(items_stub, boss, mine) == 10
    assert await _total(items_stub, user, "status = PENDING") == 10
    assert await _total(items_stub, admin, f"{mine} AND status = COMPLETED") == 0
    # A filter on any other field counts the items themselves.
    assert await _total(items_stub, user, 'title:"odd"') == 3
    async with sessions() as session, session.begin():
        await session.execute(delete(ItemCount).where(owned, ItemCount.slot == 99))
        await session.execute(delete(User).where(User.id == user.id))
    assert await summed() == 0


# --- departments ----------------------------------------------------------------------


async def _counts_match_the_items(server: RunningServer) -> None:
    """Every (department, owner, status) sum of item_counts equals COUNT(*) of its items."""
    async with server.app.container.sessions() as session:
        kept = {
            (d, o, s): int(n)
            for d, o, s, n in (
                await session.execute(
                    select(
                        ItemCount.department_id,
                        ItemCount.owner_id,
                        ItemCount.status,
                        func.sum(ItemCount.n),
                    )
                    .group_by(ItemCount.department_id, ItemCount.owner_id, ItemCount.status)
                    .having(func.sum(ItemCount.n) != 0)
                )
            ).all()
        }
        counted = {
            (d, o, s): int(n)
            for d, o, s, n in (
                await session.execute(
                    select(Item.department_id, Item.owner_id, Item.status, func.count()).group_by(
                        Item.department_id, Item.owner_id, Item.status
                    )
                )
            ).all()
        }
    assert kept == counted


async def _count_star(
    server: RunningServer, owner: int | None, department: int | None, where: str
) -> int:
    conditions = [where] if where else []
    if owner is not None:
        conditions.append(f"owner_id = {int(owner)}")
    if department is not None:
        conditions.append(f"department_id = {int(department)}")
    sql = "SELECT count(*) FROM items" + (
        " WHERE " + " AND ".join(conditions) if conditions else ""
    )
    async with server.app.container.sessions() as session:
        return int((await session.execute(text(sql))).scalar_one())


async def test_counts_by_department_follow_reassignments_moves_and_deletes(
    server: RunningServer,
    items_stub: items_pb2_grpc.ItemServiceStub,
    users_stub: users_pb2_grpc.UserServiceStub,
    make_user: UserFactory,
) -> None:
    """Every scope ListItems has (an inspector's own, a supervisor's and a department
    service's department, a superuser's and a platform service's everything) totals
    what COUNT(*) finds, after creates, status changes, reassignment within a
    department, a user moved to another department, bulk SQL moving items between
    departments and owners, and deletes."""
    a, b = await make_user.department(), await make_user.department()
    ana = await make_user(department_id=a)
    ben = await make_user(department_id=a)
    sue = await make_user(department_id=a, role=Role.SUPERVISOR)
    zed = await make_user(department_id=b)
    zoe = await make_user(department_id=b, role=Role.SUPERVISOR)
    root = await make_user(superuser=True)
    service_a = make_user.service_token(
        "county-a", frozenset({SCOPE_ITEMS_READ, f"department:{a}"})
    )
    platform = make_user.service_token("platform", frozenset({SCOPE_ITEMS_READ}))

    async def check(users: dict[str, tuple[tuple[tuple[str, str], ...], int | None, int | None]]):
        await _counts_match_the_items(server)
        owners = (ana.id, ben.id, zed.id)
        filters = {
            "": "",
            "status = PENDING": "status = 'pending'",
            "status != COMPLETED": "status <> 'completed'",
            **{f"owner_id = {o}": f"owner_id = {o}" for o in owners},
            f"owner_id = {ben.id} AND status = IN_PROGRESS": (
                f"owner_id = {ben.id} AND status = 'in_progress'"
            ),
        }
        for name, (metadata, owner, department) in users.items():
            for api_filter, sql in filters.items():
                page = await items_stub.ListItems(
                    items_pb2.ListItemsRequest(page_size=1, filter=api_filter),
                    metadata=metadata,
                    timeout=10,
                )
                expected = await _count_star(server, owner, department, sql)
                assert page.total_size == expected, (name, api_filter)

    def principals() -> dict[str, tuple[tuple[tuple[str, str], ...], int | None, int | None]]:
        return {
            "ana": (ana.metadata, ana.id, ana.department_id),
            "ben": (ben.metadata, ben.id, a),
            "sue": (sue.metadata, None, a),
            "zed": (zed.metadata, zed.id, b),
            "zoe": (zoe.metadata, None, b),
            "root": (root.metadata, None, None),
            "service a": (service_a, None, a),
            "platform": (platform, None, None),
        }

    made = {
        who.id: [await create(items_stub, who.metadata, title=f"work {n}") for n in range(6)]
        for who in (ana, ben, zed)
    }
    await check(principals())

    for n, item in enumerate(made[ben.id]):  # statuses move
        await _set_status(items_stub, ben, item.id, STATUSES[n % 4])
    for item in made[ana.id][:3]:  # the supervisor gives three of Ana's to Ben
        await items_stub.UpdateItem(
            items_pb2.UpdateItemRequest(
                item=items_pb2.Item(id=item.id, owner_id=ben.id),
                update_mask=field_mask_pb2.FieldMask(paths=["owner_id"]),
            ),
            metadata=sue.metadata,
            timeout=10,
        )
    await check(principals())

    # Ana moves to department B: her items stay in A; what she makes now is B's.
    await users_stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user=users_pb2.User(id=ana.id, department_id=b),
            update_mask=field_mask_pb2.FieldMask(paths=["department_id"]),
        ),
        metadata=root.metadata,
        timeout=10,
    )
    pair = await users_stub.Login(users_pb2.LoginRequest(email=ana.email, password=ana.password))
    ana.token, ana.department_id = pair.access_token, b
    for n in range(4):
        await create(items_stub, ana.metadata, title=f"in B {n}")
    await check(principals())
    assert (
        await items_stub.ListItems(items_pb2.ListItemsRequest(page_size=1), metadata=ana.metadata)
    ).total_size == 4

    # Bulk SQL (the triggers count whoever writes): two of Zed's items move to A under
    # Ben, one of Ben's changes status and department at once; then deletes.
    async with server.app.container.sessions() as session, session.begin():
        zeds = [item.id for item in made[zed.id][:2]]
        await session.execute(
            text(
                f"UPDATE items SET department_id = {a}, owner_id = {ben.id}"
                f" WHERE id IN ({zeds[0]}, {zeds[1]})"
            )
        )
        await session.execute(
            text(
                f"UPDATE items SET department_id = {b}, status = 'completed'"
                f" WHERE id = {made[ben.id][0].id}"
            )
        )
    await check(principals())
    for item in made[ben.id][1:4]:
        await items_stub.DeleteItem(items_pb2.DeleteItemRequest(id=item.id), metadata=ben.metadata)
    async with server.app.container.sessions() as session, session.begin():
        await session.execute(delete(Item).where(Item.id == made[zed.id][5].id))
    await check(principals())
