"""ItemService: CRUD, validation and who sees what, through the real server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from google.protobuf import field_mask_pb2

from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.items import Metadata, Watcher, code_of, create, field_violations

if TYPE_CHECKING:
    from support.server import TestUser, UserFactory

OK = grpc.StatusCode.OK
NOT_FOUND = grpc.StatusCode.NOT_FOUND
DENIED = grpc.StatusCode.PERMISSION_DENIED
UNAUTH = grpc.StatusCode.UNAUTHENTICATED
INVALID = grpc.StatusCode.INVALID_ARGUMENT


async def test_create_get_roundtrip(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    created = await create(
        items_stub, user.metadata, title="  Walk-in cooler  ", description="Temp 7C"
    )
    assert created.id > 0
    assert created.title == "Walk-in cooler"
    assert created.description == "Temp 7C"
    assert created.status == items_pb2.ITEM_STATUS_PENDING
    assert created.owner_id == user.id
    assert created.create_time.ToDatetime() == created.update_time.ToDatetime()
    assert created.etag
    fetched = await items_stub.GetItem(
        items_pb2.GetItemRequest(id=created.id), metadata=user.metadata
    )
    assert fetched == created


async def test_create_with_status(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    created = await create(items_stub, user.metadata, status=items_pb2.ITEM_STATUS_IN_PROGRESS)
    assert created.status == items_pb2.ITEM_STATUS_IN_PROGRESS


@pytest.mark.parametrize(
    ("title", "description", "status", "fields"),
    [
        ("", "", 0, {"item.title"}),
        ("   ", "", 0, {"item.title"}),
        ("x" * 101, "", 0, {"item.title"}),
        ("tab\there", "", 0, {"item.title"}),
        ("ok", "d" * 1001, 0, {"item.description"}),
        ("ok", "nul\x00", 0, {"item.description"}),
        ("ok", "", 99, {"item.status"}),
        ("", "d" * 1001, 0, {"item.title", "item.description"}),
    ],
)
async def test_create_validation(
    items_stub: items_pb2_grpc.ItemServiceStub,
    make_user: UserFactory,
    title: str,
    description: str,
    status: int,
    fields: set[str],
) -> None:
    user = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await create(items_stub, user.metadata, title=title, description=description, status=status)
    assert info.value.code() == INVALID
    assert set(field_violations(info.value)) == fields


async def test_limits_are_inclusive(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    created = await create(items_stub, user.metadata, title="é" * 100, description="ü\n" * 500)
    assert len(created.title) == 100
    assert len(created.description) == 1000


async def _update(
    stub: items_pb2_grpc.ItemServiceStub,
    metadata: Metadata,
    item: items_pb2.Item,
    paths: list[str] | None = None,
) -> items_pb2.Item:
    mask = field_mask_pb2.FieldMask(paths=paths or [])
    return await stub.UpdateItem(
        items_pb2.UpdateItemRequest(item=item, update_mask=mask), metadata=metadata, timeout=10
    )


async def test_update_with_mask(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    item = await create(items_stub, user.metadata, title="Old", description="keep me")
    updated = await _update(
        items_stub,
        user.metadata,
        items_pb2.Item(
            id=item.id, title=" New ", description="ignored", status=items_pb2.ITEM_STATUS_COMPLETED
        ),
        ["title", "status"],
    )
    assert updated.title == "New"
    assert updated.description == "keep me"
    assert updated.status == items_pb2.ITEM_STATUS_COMPLETED
    assert updated.etag != item.etag
    assert updated.update_time.ToDatetime() > item.update_time.ToDatetime()
    assert updated.create_time == item.create_time


async def test_update_empty_mask_uses_set_fields(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    item = await create(items_stub, user.metadata, title="Title", description="Desc")
    updated = await _update(
        items_stub,
        user.metadata,
        items_pb2.Item(id=item.id, status=items_pb2.ITEM_STATUS_CANCELLED),
    )
    assert (updated.title, updated.description, updated.status) == (
        "Title",
        "Desc",
        items_pb2.ITEM_STATUS_CANCELLED,
    )


async def test_update_star_replaces_everything(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    item = await create(items_stub, user.metadata, title="Title", description="Desc")
    updated = await _update(
        items_stub,
        user.metadata,
        items_pb2.Item(id=item.id, title="T2", status=items_pb2.ITEM_STATUS_IN_PROGRESS),
        ["*"],
    )
    assert (updated.title, updated.description, updated.status) == (
        "T2",
        "",
        items_pb2.ITEM_STATUS_IN_PROGRESS,
    )
    # `*` includes status, so UNSPECIFIED there is invalid.
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await _update(items_stub, user.metadata, items_pb2.Item(id=item.id, title="T3"), ["*"])
    assert field_violations(info.value) == {
        "item.status": "must be set to a status other than UNSPECIFIED"
    }


@pytest.mark.parametrize(
    ("paths", "item_fields", "expected"),
    [
        (["id"], {}, {"update_mask.paths[0]"}),
        (
            # owner_id is a path since departments (a supervisor reassigns); 0 names nobody.
            ["title", "owner_id", "create_time"],
            {"title": "x"},
            {"update_mask.paths[2]"},
        ),
        (["update_time", "etag"], {}, {"update_mask.paths[0]", "update_mask.paths[1]"}),
        (["colour"], {}, {"update_mask.paths[0]"}),
        (["*", "title"], {"title": "x"}, {"update_mask.paths[0]"}),
        (["status"], {}, {"item.status"}),
        (["title"], {"title": "  "}, {"item.title"}),
        ([], {}, {"update_mask"}),
    ],
)
async def test_update_validation(
    items_stub: items_pb2_grpc.ItemServiceStub,
    make_user: UserFactory,
    paths: list[str],
    item_fields: dict[str, Any],
    expected: set[str],
) -> None:
    user = await make_user()
    item = await create(items_stub, user.metadata)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await _update(items_stub, user.metadata, items_pb2.Item(id=item.id, **item_fields), paths)
    assert info.value.code() == INVALID
    assert set(field_violations(info.value)) == expected


async def test_update_ignores_fields_outside_the_mask(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    item = await create(items_stub, user.metadata)
    updated = await _update(
        items_stub, user.metadata, items_pb2.Item(id=item.id, title="T", status=77), ["title"]
    )
    assert updated.title == "T"
    assert updated.status == items_pb2.ITEM_STATUS_PENDING


async def test_missing_ids(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    code = await code_of(
        items_stub.GetItem(items_pb2.GetItemRequest(id=2**62), metadata=user.metadata)
    )
    assert code == NOT_FOUND
    code = await code_of(
        items_stub.DeleteItem(items_pb2.DeleteItemRequest(id=2**62), metadata=user.metadata)
    )
    assert code == NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await _update(items_stub, user.metadata, items_pb2.Item(title="x"), ["title"])
    assert set(field_violations(info.value)) == {"item.id"}
    for call in (
        items_stub.GetItem(items_pb2.GetItemRequest(), metadata=user.metadata),
        items_stub.DeleteItem(items_pb2.DeleteItemRequest(id=-5), metadata=user.metadata),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await call
        assert set(field_violations(info.value)) == {"id"}


async def test_delete_then_gone(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    item = await create(items_stub, user.metadata)
    await items_stub.DeleteItem(items_pb2.DeleteItemRequest(id=item.id), metadata=user.metadata)
    assert (
        await code_of(
            items_stub.GetItem(items_pb2.GetItemRequest(id=item.id), metadata=user.metadata)
        )
        == NOT_FOUND
    )
    assert (
        await code_of(
            items_stub.DeleteItem(items_pb2.DeleteItemRequest(id=item.id), metadata=user.metadata)
        )
        == NOT_FOUND
    )


# --- the ownership matrix ---------------------------------------------------------------

PRINCIPALS = ("owner", "other", "superuser", "reader_service", "plain_service", "anonymous")
METHODS = ("CreateItem", "GetItem", "ListItems", "UpdateItem", "DeleteItem", "WatchItems")

EXPECTED: dict[str, dict[str, grpc.StatusCode]] = {
    "owner": dict.fromkeys(METHODS, OK),
    "other": {
        "CreateItem": OK,  # creates their own item
        "GetItem": NOT_FOUND,
        "ListItems": OK,  # ... without the owner's item
        "UpdateItem": NOT_FOUND,
        "DeleteItem": NOT_FOUND,
        "WatchItems": OK,  # ... without the owner's events
    },
    "superuser": dict.fromkeys(METHODS, OK),
    "reader_service": {
        "CreateItem": DENIED,
        "GetItem": OK,
        "ListItems": OK,
        "UpdateItem": DENIED,
        "DeleteItem": DENIED,
        "WatchItems": OK,
    },
    "plain_service": dict.fromkeys(METHODS, DENIED),
    "anonymous": dict.fromkeys(METHODS, UNAUTH),
}


async def _caller(name: str, owner: TestUser, make_user: UserFactory) -> tuple[Metadata, int]:
    """(metadata, user id or 0) for a principal of the matrix."""
    if name == "owner":
        return owner.metadata, owner.id
    if name in ("other", "superuser"):
        user = await make_user(superuser=name == "superuser")
        return user.metadata, user.id
    if name == "reader_service":
        return make_user.service_token("inspector-dashboard", frozenset({"items:read"})), 0
    if name == "plain_service":
        return make_user.service_token("mailer", frozenset()), 0
    return (), 0


async def _watch_sees_owner_item(
    stub: items_pb2_grpc.ItemServiceStub, metadata: Metadata, owner: TestUser, principal: str
) -> grpc.StatusCode:
    watcher = Watcher(stub, metadata)
    try:
        await watcher.ready()
        item = await create(stub, owner.metadata, title="watched")
        if principal == "other":
            # Had the owner's event leaked, it would arrive before the watcher's own.
            own = await create(stub, metadata, title="their own")
            event = await watcher.next()
            assert (event.type, event.item.id) == (items_pb2.ITEM_EVENT_TYPE_CREATED, own.id)
            return OK
        event = await watcher.until(item.id, items_pb2.ITEM_EVENT_TYPE_CREATED)
        assert event.item == item
        return OK
    except grpc.aio.AioRpcError as error:
        return error.code()
    finally:
        watcher.cancel()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_ownership_matrix(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory, principal: str, method: str
) -> None:
    owner = await make_user()
    item = await create(items_stub, owner.metadata, title="Owner's item")
    metadata, caller_id = await _caller(principal, owner, make_user)
    stub = items_stub
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "CreateItem": lambda: create(stub, metadata, title="Mine"),
        "GetItem": lambda: stub.GetItem(items_pb2.GetItemRequest(id=item.id), metadata=metadata),
        "ListItems": lambda: stub.ListItems(
            items_pb2.ListItemsRequest(filter=f"owner_id = {owner.id}"), metadata=metadata
        ),
        "UpdateItem": lambda: _update(
            stub, metadata, items_pb2.Item(id=item.id, title="Changed"), ["title"]
        ),
        "DeleteItem": lambda: stub.DeleteItem(
            items_pb2.DeleteItemRequest(id=item.id), metadata=metadata
        ),
    }
    if method == "WatchItems":
        code = await _watch_sees_owner_item(stub, metadata, owner, principal)
        assert code == EXPECTED[principal][method]
        return

    try:
        result = await calls[method]()
        code = OK
    except grpc.aio.AioRpcError as error:
        result, code = None, error.code()
    assert code == EXPECTED[principal][method]

    # What succeeded did the right thing.
    current = (
        await items_stub.GetItem(items_pb2.GetItemRequest(id=item.id), metadata=owner.metadata)
        if not (method == "DeleteItem" and code == OK)
        else None
    )
    if method == "CreateItem" and code == OK:
        assert result.owner_id == caller_id  # always the caller's own
    if method == "GetItem" and code == OK:
        assert result == current
    if method == "ListItems" and code == OK:
        ids = [i.id for i in result.items]
        assert ids == ([] if principal == "other" else [item.id])
        assert result.total_size == len(ids)
    if method == "UpdateItem":
        assert current is not None
        assert current.title == ("Changed" if code == OK else "Owner's item")
    if method == "DeleteItem":
        gone = await code_of(
            items_stub.GetItem(items_pb2.GetItemRequest(id=item.id), metadata=owner.metadata)
        )
        assert gone == (NOT_FOUND if code == OK else OK)


async def test_not_found_message_does_not_leak(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    owner, other = await make_user(), await make_user()
    item = await create(items_stub, owner.metadata)
    with pytest.raises(grpc.aio.AioRpcError) as theirs:
        await items_stub.GetItem(items_pb2.GetItemRequest(id=item.id), metadata=other.metadata)
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await items_stub.GetItem(items_pb2.GetItemRequest(id=2**61), metadata=other.metadata)
    assert theirs.value.details() == f"item {item.id} not found"
    assert missing.value.details() == f"item {2**61} not found"
