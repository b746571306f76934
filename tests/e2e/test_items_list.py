"""ListItems: keyset pages, page tokens, the filter language and order_by."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import insert

from opengovfood.db.models import Item
from opengovfood.domain.departments import DEFAULT_DEPARTMENT_ID
from opengovfood.domain.items import ItemRecord, ItemStatus
from opengovfood.services.items import ITEM_FILTERS
from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.items import create, field_violations

if TYPE_CHECKING:
    from support.server import RunningServer, TestUser, UserFactory

PB_STATUS = {
    ItemStatus.PENDING: items_pb2.ITEM_STATUS_PENDING,
    ItemStatus.IN_PROGRESS: items_pb2.ITEM_STATUS_IN_PROGRESS,
    ItemStatus.COMPLETED: items_pb2.ITEM_STATUS_COMPLETED,
    ItemStatus.CANCELLED: items_pb2.ITEM_STATUS_CANCELLED,
}
FROM_PB = {v: k for k, v in PB_STATUS.items()}


async def list_all(
    stub: items_pb2_grpc.ItemServiceStub,
    user: TestUser,
    filter: str = "",
    order_by: str = "",
    page_size: int = 0,
) -> list[items_pb2.Item]:
    found: list[items_pb2.Item] = []
    token = ""
    while True:
        page = await stub.ListItems(
            items_pb2.ListItemsRequest(
                filter=filter, order_by=order_by, page_size=page_size, page_token=token
            ),
            metadata=user.metadata,
            timeout=10,
        )
        found.extend(page.items)
        token = page.next_page_token
        if not token:
            return found


async def bulk_insert(server: RunningServer, owner_id: int, count: int) -> None:
    """Seed rows straight into the database (fixture setup, not the code under test)."""
    base = datetime.now(UTC) - timedelta(days=1)
    rows = [
        {
            "title": f"bulk {n}",
            "description": "",
            "status": "pending",
            "owner_id": owner_id,
            "department_id": DEFAULT_DEPARTMENT_ID,  # the test users'
            "create_time": base + timedelta(microseconds=n),
            "update_time": base + timedelta(microseconds=n),
            "version": 1,
        }
        for n in range(count)
    ]
    async with server.app.container.sessions() as session, session.begin():
        await session.execute(insert(Item), rows)


# --- pages -----------------------------------------------------------------------------


async def test_walk_250_items_while_another_client_inserts(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    originals: set[int] = set()
    for start in range(0, 250, 25):
        batch = await asyncio.gather(
            *(create(items_stub, user.metadata, title=f"item {start + n}") for n in range(25))
        )
        originals.update(i.id for i in batch)
    assert len(originals) == 250

    for order_by in ("", "create_time", "title", "id desc"):
        inserted: list[int] = []
        stop = asyncio.Event()

        async def insert_meanwhile(
            order_by: str = order_by, inserted: list[int] = inserted, stop: asyncio.Event = stop
        ) -> None:
            n = 0
            while not stop.is_set():
                item = await create(items_stub, user.metadata, title=f"late {order_by} {n}")
                inserted.append(item.id)
                n += 1
                await asyncio.sleep(0)

        writer = asyncio.create_task(insert_meanwhile())
        seen: list[int] = []
        token = ""
        pages = 0
        try:
            while True:
                page = await items_stub.ListItems(
                    items_pb2.ListItemsRequest(page_size=50, page_token=token, order_by=order_by),
                    metadata=user.metadata,
                    timeout=10,
                )
                assert len(page.items) <= 50
                seen.extend(i.id for i in page.items)
                pages += 1
                await asyncio.sleep(0.01)  # let the writer get rows in between pages
                token = page.next_page_token
                if not token:
                    break
        finally:
            stop.set()
            await writer
        assert inserted, "the writer should have inserted during the walk"
        assert len(seen) == len(set(seen)), f"repeats with order_by={order_by!r}"
        assert originals <= set(seen), f"gaps with order_by={order_by!r}"
        assert pages >= 5
        originals |= set(inserted)


async def test_page_size_rules(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory, server: RunningServer
) -> None:
    user = await make_user()
    await bulk_insert(server, user.id, 1005)
    page = await items_stub.ListItems(items_pb2.ListItemsRequest(), metadata=user.metadata)
    assert len(page.items) == 50
    assert page.total_size == 1005
    page = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=5000), metadata=user.metadata
    )
    assert len(page.items) == 1000
    assert page.next_page_token
    rest = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=1000, page_token=page.next_page_token),
        metadata=user.metadata,
    )
    assert len(rest.items) == 5
    assert not rest.next_page_token
    assert rest.total_size == 1005
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await items_stub.ListItems(items_pb2.ListItemsRequest(page_size=-1), metadata=user.metadata)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(info.value)) == {"page_size"}


async def test_exact_last_page_has_no_token(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    for n in range(4):
        await create(items_stub, user.metadata, title=f"n{n}")
    first = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=2), metadata=user.metadata
    )
    second = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=2, page_token=first.next_page_token),
        metadata=user.metadata,
    )
    assert len(second.items) == 2
    assert second.next_page_token == ""
    empty = await items_stub.ListItems(
        items_pb2.ListItemsRequest(), metadata=(await make_user()).metadata
    )
    assert (list(empty.items), empty.next_page_token, empty.total_size) == ([], "", 0)


async def test_later_pages_carry_the_total_the_first_page_counted(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    # AIP-158 allows an estimate; counting again on every page cost O(rows) each time.
    user = await make_user()
    for n in range(5):
        await create(items_stub, user.metadata, title=f"c{n}")
    first = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=2), metadata=user.metadata
    )
    assert first.total_size == 5
    await create(items_stub, user.metadata, title="added after the first page")
    second = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=2, page_token=first.next_page_token),
        metadata=user.metadata,
    )
    assert second.total_size == 5  # as of the first page
    again = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=2), metadata=user.metadata
    )
    assert again.total_size == 6  # a new listing counts again
    # The carried total is signed with the rest: a changed one (even a plausible one)
    # makes the token not one of ours.
    payload, mac = first.next_page_token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    for bad in (-1, "5", 1.5, 1_000_000):
        forged = base64.urlsafe_b64encode(json.dumps({**body, "t": bad}).encode()).decode()
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await items_stub.ListItems(
                items_pb2.ListItemsRequest(page_size=2, page_token=f"{forged.rstrip('=')}.{mac}"),
                metadata=user.metadata,
            )
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert set(field_violations(info.value)) == {"page_token"}


async def test_page_tokens_are_bound_to_the_query(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user, other = await make_user(), await make_user()
    for n in range(5):
        await create(items_stub, user.metadata, title=f"t{n}")
    first = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=2, filter="status = PENDING"), metadata=user.metadata
    )
    token = first.next_page_token
    assert token

    async def reuse(metadata: tuple[tuple[str, str], ...], **kw: object) -> grpc.aio.AioRpcError:
        request = items_pb2.ListItemsRequest(page_size=2, page_token=token, **kw)  # type: ignore[arg-type]
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await items_stub.ListItems(request, metadata=metadata)
        return info.value

    for error in (
        await reuse(user.metadata, filter="status = COMPLETED"),
        await reuse(user.metadata, filter=""),
        await reuse(user.metadata, filter="status = PENDING", order_by="title"),
        await reuse(other.metadata, filter="status = PENDING"),
    ):
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "different filter, order_by or caller" in field_violations(error)["page_token"]
    for garbage in ("nope", "e30", token[:-3], "A" * 3000):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await items_stub.ListItems(
                items_pb2.ListItemsRequest(filter="status = PENDING", page_token=garbage),
                metadata=user.metadata,
            )
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert set(field_violations(info.value)) == {"page_token"}

    # The same query spelled differently, with another page size, continues fine.
    second = await items_stub.ListItems(
        items_pb2.ListItemsRequest(
            page_size=10,
            page_token=token,
            filter='  status="ITEM_STATUS_PENDING" ',
            order_by="create_time desc",
        ),
        metadata=user.metadata,
    )
    assert [i.id for i in second.items] == [i.id for i in (await list_all(items_stub, user))][2:]


# --- filters -----------------------------------------------------------------------------


@dataclass
class Dataset:
    user: TestUser
    items: list[items_pb2.Item]
    pivot_create: str
    pivot_update: str

    def ids(self, keep: object) -> list[int]:
        return sorted(i.id for i in self.items if keep(i))  # type: ignore[operator]


def _rfc3339(stamp: datetime) -> str:
    return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
async def dataset(items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory) -> Dataset:
    user = await make_user()
    specs = [
        ("Walk-in cooler", "Temperature 7C, too warm", items_pb2.ITEM_STATUS_PENDING),
        ("walk-in FREEZER", "ice build-up", items_pb2.ITEM_STATUS_IN_PROGRESS),
        ("Hand wash sink", "no soap; 100% empty", items_pb2.ITEM_STATUS_COMPLETED),
        ("Pest control", "droppings near_door", items_pb2.ITEM_STATUS_CANCELLED),
        ("Complaint: Café Élan", "customer report", items_pb2.ITEM_STATUS_PENDING),
        ("Allergen labels", 'missing "nuts" label', items_pb2.ITEM_STATUS_IN_PROGRESS),
        ("Cooler gasket", "torn seal", items_pb2.ITEM_STATUS_COMPLETED),
        ("Review (annual)", "", items_pb2.ITEM_STATUS_PENDING),
    ]
    items = []
    for title, description, status in specs:
        items.append(
            await create(
                items_stub, user.metadata, title=title, description=description, status=status
            )
        )
    pivot_create = _rfc3339(items[3].create_time.ToDatetime(tzinfo=UTC))
    # Touch two items so update_time differs from create_time.
    await asyncio.sleep(0.01)
    for index in (0, 6):
        items[index] = await items_stub.UpdateItem(
            items_pb2.UpdateItemRequest(
                item=items_pb2.Item(id=items[index].id, description=items[index].description + "!"),
                update_mask=field_mask_pb2.FieldMask(paths=["description"]),
            ),
            metadata=user.metadata,
        )
    pivot_update = _rfc3339(items[0].update_time.ToDatetime(tzinfo=UTC))
    return Dataset(user, items, pivot_create, pivot_update)


def _us(item: items_pb2.Item, name: str) -> int:
    stamp = getattr(item, name)
    return stamp.seconds * 1_000_000 + stamp.nanos // 1000  # type: ignore[no-any-return]


def _t(item: items_pb2.Item, name: str) -> datetime:
    return getattr(item, name).ToDatetime(tzinfo=UTC)  # type: ignore[no-any-return]


FILTER_CASES: list[tuple[str, object]] = [
    ("status = ITEM_STATUS_PENDING", lambda i, d: i.status == 1),
    ("status = pending", lambda i, d: i.status == 1),
    ('status = "IN_PROGRESS"', lambda i, d: i.status == 2),
    ("status != PENDING", lambda i, d: i.status != 1),
    ("status < COMPLETED", lambda i, d: i.status < 3),
    ("status <= COMPLETED", lambda i, d: i.status <= 3),
    ("status > IN_PROGRESS", lambda i, d: i.status > 2),
    ("status >= IN_PROGRESS", lambda i, d: i.status >= 2),
    ("status < PENDING", lambda i, d: False),
    ("owner_id = {owner}", lambda i, d: True),
    ("owner_id != {owner}", lambda i, d: False),
    ("owner_id < {owner}", lambda i, d: False),
    ("owner_id <= {owner}", lambda i, d: True),
    ("owner_id > {owner}", lambda i, d: False),
    ("owner_id >= {owner}", lambda i, d: True),
    ("create_time = {pc}", lambda i, d: _t(i, "create_time") == d.pc),
    ("create_time != {pc}", lambda i, d: _t(i, "create_time") != d.pc),
    ("create_time < {pc}", lambda i, d: _t(i, "create_time") < d.pc),
    ('create_time <= "{pc}"', lambda i, d: _t(i, "create_time") <= d.pc),
    ("create_time > {pc}", lambda i, d: _t(i, "create_time") > d.pc),
    ("create_time >= {pc}", lambda i, d: _t(i, "create_time") >= d.pc),
    ("update_time >= {pu}", lambda i, d: _t(i, "update_time") >= d.pu),
    ("update_time < {pu}", lambda i, d: _t(i, "update_time") < d.pu),
    ("create_time > 2000-01-01T00:00:00+02:00", lambda i, d: True),
    ('title:"walk-in"', lambda i, d: "walk-in" in i.title.lower()),
    ("title:COOLER", lambda i, d: "cooler" in i.title.lower()),
    ('title:"café élan"', lambda i, d: "Café" in i.title),
    ("description:100%", lambda i, d: "100%" in i.description),
    ("description:near_door", lambda i, d: "near_door" in i.description),
    ("description:s_n", lambda i, d: False),  # `_` is literal: "droppings near" has "s n"
    ('description:"\\"nuts\\""', lambda i, d: '"nuts"' in i.description),
    ("title:'(annual)'", lambda i, d: "(annual)" in i.title),
    ('description:""', lambda i, d: True),
    ("status = PENDING AND title:walk", lambda i, d: i.status == 1 and "walk" in i.title.lower()),
    ("status = PENDING OR status = CANCELLED", lambda i, d: i.status in (1, 4)),
    ("NOT status = PENDING", lambda i, d: i.status != 1),
    ("-status = PENDING", lambda i, d: i.status != 1),
    (
        "NOT (status = PENDING OR title:cooler)",
        lambda i, d: not (i.status == 1 or "cooler" in i.title.lower()),
    ),
    # AIP-160: OR binds tighter than AND.
    (
        "title:cooler AND status = PENDING OR status = COMPLETED",
        lambda i, d: "cooler" in i.title.lower() and i.status in (1, 3),
    ),
    (
        "(title:cooler AND status = PENDING) OR status = COMPLETED",
        lambda i, d: ("cooler" in i.title.lower() and i.status == 1) or i.status == 3,
    ),
    ("((((status = PENDING))))", lambda i, d: i.status == 1),
    ("NOT NOT status = PENDING", lambda i, d: i.status == 1),
    ("NOT(status = PENDING)", lambda i, d: i.status != 1),
    (
        "status=PENDING AND(title:walk OR title:review)",
        lambda i, d: i.status == 1 and ("walk" in i.title.lower() or "review" in i.title.lower()),
    ),
]


@dataclass
class _Pivots:
    pc: datetime
    pu: datetime


@pytest.mark.parametrize(("template", "expected"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES])
async def test_filter_operators(
    items_stub: items_pb2_grpc.ItemServiceStub, dataset: Dataset, template: str, expected: object
) -> None:
    text = template.format(owner=dataset.user.id, pc=dataset.pivot_create, pu=dataset.pivot_update)
    pivots = _Pivots(parse_z(dataset.pivot_create), parse_z(dataset.pivot_update))
    found = sorted(i.id for i in await list_all(items_stub, dataset.user, filter=text))
    want = sorted(i.id for i in dataset.items if expected(i, pivots))  # type: ignore[operator]
    assert found == want
    page = await items_stub.ListItems(
        items_pb2.ListItemsRequest(filter=text), metadata=dataset.user.metadata
    )
    assert page.total_size == len(want)
    # The watch predicate (Python) agrees with the list query (SQL) on every case.
    parsed = ITEM_FILTERS.parse(text)
    python = sorted(i.id for i in dataset.items if parsed.matches(_record(i)))
    assert python == want


def parse_z(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _record(item: items_pb2.Item) -> ItemRecord:
    return ItemRecord(
        id=item.id,
        title=item.title,
        description=item.description,
        status=FROM_PB[item.status],
        owner_id=item.owner_id,
        create_time=_t(item, "create_time"),
        update_time=_t(item, "update_time"),
        version=1,
    )


async def test_owner_filter_for_users_and_superusers(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory, dataset: Dataset
) -> None:
    other = await make_user()
    mine = await create(items_stub, other.metadata, title="other's")
    # A user asking for someone else's items gets nothing.
    assert await list_all(items_stub, other, filter=f"owner_id = {dataset.user.id}") == []
    assert [i.id for i in await list_all(items_stub, other, filter=f"owner_id = {other.id}")] == [
        mine.id
    ]
    admin = await make_user(superuser=True)
    theirs = await list_all(items_stub, admin, filter=f"owner_id = {dataset.user.id}")
    assert sorted(i.id for i in theirs) == sorted(i.id for i in dataset.items)
    both = await list_all(
        items_stub, admin, filter=f"owner_id = {dataset.user.id} OR owner_id = {other.id}"
    )
    assert len(both) == len(dataset.items) + 1


BAD_FILTERS = [
    ("colour = red", "unknown field 'colour'", 1),
    ("status = PENDING and title:x", "expected AND or OR before 'and'", 18),
    ("status = PENDING title:x", "expected AND or OR before 'title:x'", 18),
    ("status", "expected an operator", 7),
    ("status =", "expected a value but the filter ended", 9),
    ("status = NOPE", "status has no value 'NOPE'", 10),
    ("status = ITEM_STATUS_UNSPECIFIED", "status has no value", 10),
    ("status:PENDING", "status does not support ':'", 7),
    ("title = x", "title does not support '='", 7),
    ("description > x", "description does not support '>'", 13),
    ("owner_id = abc", "owner_id expects an integer", 12),
    ("owner_id = 99999999999999999999", "owner_id expects an integer", 12),
    ("create_time > 2024-01-01", "expects a date, time and time zone", 15),
    ("create_time > 2024-01-01T00:00:00", "expects a date, time and time zone", 15),
    ("create_time > yesterday", "expects an RFC 3339 timestamp", 15),
    ("(status = PENDING", "'(' is never closed", 1),
    ("status = PENDING)", "unbalanced ')'", 17),
    ("()", "empty parentheses", 1),
    ("status = PENDING AND", "expected a condition but the filter ended", 21),
    ("AND status = PENDING", "expected a condition, found AND", 1),
    ("NOT", "expected a condition but the filter ended", 4),
    ("- status = PENDING", "'-' must be directly followed by a condition", 1),
    ('title:"unterminated', "string is never closed", 7),
    ('title:ab"c', "quotes must enclose the whole value", 9),
    ("status == PENDING", "expected a value, found '='", 9),
    ("owner_id <> 3", "expected a value, found '>'", 11),
    ("status = PENDING OR", "expected a condition but the filter ended", 20),
    ("=", "expected a field name", 1),
    ("title:x OR OR title:y", "expected a condition, found OR", 12),
    ("x" * 2001, "longer than 2000 characters", None),
    ("(" * 40 + "status = PENDING" + ")" * 40, "nested more than 16 levels", None),
    (" OR ".join(["status = PENDING"] * 51), "more than 50 conditions", None),
]


@pytest.mark.parametrize(
    ("text", "message", "column"), BAD_FILTERS, ids=[b[0][:40] for b in BAD_FILTERS]
)
async def test_bad_filters(
    items_stub: items_pb2_grpc.ItemServiceStub,
    make_user: UserFactory,
    text: str,
    message: str,
    column: int | None,
) -> None:
    user = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await items_stub.ListItems(items_pb2.ListItemsRequest(filter=text), metadata=user.metadata)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    description = field_violations(info.value)["filter"]
    assert message in description
    if column is not None:
        assert description.endswith(f"(at column {column})"), description
    assert message in (info.value.details() or "")


async def test_keyword_case_hint(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await items_stub.ListItems(
            items_pb2.ListItemsRequest(filter="not status = PENDING"), metadata=user.metadata
        )
    assert "the keyword is written NOT" in field_violations(info.value)["filter"]


# --- order_by -------------------------------------------------------------------------------


ORDERS = [
    ("", lambda i: (-_us(i, "create_time"), -i.id)),
    ("create_time desc", lambda i: (-_us(i, "create_time"), -i.id)),
    ("create_time", lambda i: (_t(i, "create_time"), i.id)),
    ("update_time desc", lambda i: (-_us(i, "update_time"), -i.id)),
    ("update_time", lambda i: (_t(i, "update_time"), i.id)),
    ("id", lambda i: i.id),
    ("id desc", lambda i: -i.id),
    ("id desc, title", lambda i: -i.id),
    ("  create_time  asc , id desc ", lambda i: (_t(i, "create_time"), -i.id)),
]


@pytest.mark.parametrize(("order_by", "key"), ORDERS, ids=[o[0] or "default" for o in ORDERS])
@pytest.mark.parametrize("page_size", [3, 100])
async def test_order_by(
    items_stub: items_pb2_grpc.ItemServiceStub,
    dataset: Dataset,
    order_by: str,
    key: object,
    page_size: int,
) -> None:
    found = [
        i.id
        for i in await list_all(items_stub, dataset.user, order_by=order_by, page_size=page_size)
    ]
    assert found == [i.id for i in sorted(dataset.items, key=key)]  # type: ignore[arg-type]


@pytest.mark.parametrize("desc", [False, True])
async def test_order_by_title_pages_like_one_query(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory, desc: bool
) -> None:
    """Titles with duplicates: the id tiebreaker keeps pages exact. (Collation is the
    database's, so compare against one big page rather than Python's sort.)"""
    user = await make_user()
    for title in ["b", "a", "c", "b", "a", "b"]:
        await create(items_stub, user.metadata, title=title)
    order = "title desc" if desc else "title"
    whole = await items_stub.ListItems(
        items_pb2.ListItemsRequest(order_by=order), metadata=user.metadata
    )
    paged = await list_all(items_stub, user, order_by=order, page_size=2)
    assert [i.id for i in paged] == [i.id for i in whole.items]
    titles = [i.title for i in whole.items]
    assert titles == sorted(titles, reverse=desc)
    same = [i.id for i in whole.items if i.title == "b"]
    assert same == sorted(same, reverse=desc)


@pytest.mark.parametrize(
    ("order_by", "message"),
    [
        ("colour", "cannot order by 'colour'"),
        ("title up", "expected 'desc' or nothing after title"),
        ("title desc extra", "expected 'desc' or nothing after title"),
        ("title, title desc", "title is listed twice"),
        ("title,,id", "item 2 is empty"),
        ("status", "cannot order by 'status'"),
    ],
)
async def test_bad_order_by(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory, order_by: str, message: str
) -> None:
    user = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await items_stub.ListItems(
            items_pb2.ListItemsRequest(order_by=order_by), metadata=user.metadata
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in field_violations(info.value)["order_by"]
