"""Etags (AIP-154) and idempotent creates (AIP-155), under concurrency."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import func, select, update

from opengovfood.db.models import Item, ItemRequest
from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.items import code_of, create, field_violations

if TYPE_CHECKING:
    from support.server import RunningServer, UserFactory

ABORTED = grpc.StatusCode.ABORTED


def _update_request(item: items_pb2.Item, paths: list[str]) -> items_pb2.UpdateItemRequest:
    return items_pb2.UpdateItemRequest(item=item, update_mask=field_mask_pb2.FieldMask(paths=paths))


# --- etags --------------------------------------------------------------------------------


async def test_etag_changes_on_every_write_and_guards_updates(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    item = await create(items_stub, user.metadata, title="v1")
    v2 = await items_stub.UpdateItem(
        _update_request(items_pb2.Item(id=item.id, title="v2", etag=item.etag), ["title"]),
        metadata=user.metadata,
    )
    assert v2.etag != item.etag
    # The old etag is stale now: update and delete are refused and change nothing.
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await items_stub.UpdateItem(
            _update_request(items_pb2.Item(id=item.id, title="v3", etag=item.etag), ["title"]),
            metadata=user.metadata,
        )
    assert info.value.code() == ABORTED
    assert "get it again and retry" in (info.value.details() or "")
    code = await code_of(
        items_stub.DeleteItem(
            items_pb2.DeleteItemRequest(id=item.id, etag=item.etag), metadata=user.metadata
        )
    )
    assert code == ABORTED
    current = await items_stub.GetItem(items_pb2.GetItemRequest(id=item.id), metadata=user.metadata)
    assert current == v2
    # Writes without an etag apply to whatever is current.
    v3 = await items_stub.UpdateItem(
        _update_request(items_pb2.Item(id=item.id, title="v3"), ["title"]), metadata=user.metadata
    )
    assert len({item.etag, v2.etag, v3.etag}) == 3
    # The fresh etag deletes.
    await items_stub.DeleteItem(
        items_pb2.DeleteItemRequest(id=item.id, etag=v3.etag), metadata=user.metadata
    )
    code = await code_of(
        items_stub.GetItem(items_pb2.GetItemRequest(id=item.id), metadata=user.metadata)
    )
    assert code == grpc.StatusCode.NOT_FOUND


async def test_etag_of_another_item_does_not_match(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    first = await create(items_stub, user.metadata, title="a")
    second = await create(items_stub, user.metadata, title="b")
    assert first.etag != second.etag  # same version, different items
    for call in (
        items_stub.UpdateItem(
            _update_request(items_pb2.Item(id=first.id, title="x", etag=second.etag), ["title"]),
            metadata=user.metadata,
        ),
        items_stub.DeleteItem(
            items_pb2.DeleteItemRequest(id=first.id, etag=second.etag), metadata=user.metadata
        ),
    ):
        assert await code_of(call) == ABORTED
    assert (
        await items_stub.GetItem(items_pb2.GetItemRequest(id=first.id), metadata=user.metadata)
    ) == first


async def test_bad_etags_and_other_users(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    owner, other = await make_user(), await make_user()
    item = await create(items_stub, owner.metadata)
    for etag in ("garbage", "1-xyz", "-", "1-" + "g" * 12, '"1-abc"'):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await items_stub.UpdateItem(
                _update_request(items_pb2.Item(id=item.id, title="x", etag=etag), ["title"]),
                metadata=owner.metadata,
            )
        assert set(field_violations(info.value)) == {"item.etag"}
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await items_stub.DeleteItem(
                items_pb2.DeleteItemRequest(id=item.id, etag=etag), metadata=owner.metadata
            )
        assert set(field_violations(info.value)) == {"etag"}
    # Someone else's item stays NOT_FOUND whatever the etag (no existence leak via ABORTED).
    for etag in (item.etag, "9-000000000000"):
        code = await code_of(
            items_stub.UpdateItem(
                _update_request(items_pb2.Item(id=item.id, title="x", etag=etag), ["title"]),
                metadata=other.metadata,
            )
        )
        assert code == grpc.StatusCode.NOT_FOUND
        code = await code_of(
            items_stub.DeleteItem(
                items_pb2.DeleteItemRequest(id=item.id, etag=etag), metadata=other.metadata
            )
        )
        assert code == grpc.StatusCode.NOT_FOUND


async def test_concurrent_read_modify_write_loses_no_increment(
    server: RunningServer, make_user: UserFactory
) -> None:
    """20 clients on their own channels each add 1 five times with get + conditional
    update, retrying on ABORTED: the counter ends at exactly 100."""
    user = await make_user()
    clients, rounds = 20, 5
    async with grpc.aio.insecure_channel(server.address) as setup:
        item = await create(items_pb2_grpc.ItemServiceStub(setup), user.metadata, description="0")
    aborted = 0

    async def client() -> None:
        nonlocal aborted
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = items_pb2_grpc.ItemServiceStub(channel)
            for _ in range(rounds):
                while True:
                    current = await stub.GetItem(
                        items_pb2.GetItemRequest(id=item.id), metadata=user.metadata, timeout=10
                    )
                    bumped = items_pb2.Item(
                        id=item.id, description=str(int(current.description) + 1), etag=current.etag
                    )
                    try:
                        await stub.UpdateItem(
                            _update_request(bumped, ["description"]),
                            metadata=user.metadata,
                            timeout=10,
                        )
                        break
                    except grpc.aio.AioRpcError as error:
                        if error.code() != ABORTED:
                            raise
                        aborted += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    async with grpc.aio.insecure_channel(server.address) as channel:
        final = await items_pb2_grpc.ItemServiceStub(channel).GetItem(
            items_pb2.GetItemRequest(id=item.id), metadata=user.metadata
        )
    assert final.description == str(clients * rounds)
    assert aborted > 0, "the clients should have collided at least once"


# --- idempotent create ---------------------------------------------------------------------


async def _count_items(server: RunningServer, owner_id: int) -> int:
    async with server.app.container.sessions() as session:
        result = await session.execute(select(func.count()).where(Item.owner_id == owner_id))
        return int(result.scalar_one())


async def test_retries_return_the_first_item(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory, server: RunningServer
) -> None:
    user = await make_user()
    request_id = str(uuid.uuid4())
    first = await create(items_stub, user.metadata, title="Once", request_id=request_id)
    for spelling in (request_id, request_id.upper(), f" {request_id} "):
        again = await create(items_stub, user.metadata, title="Once", request_id=spelling)
        assert again == first
    # UNSPECIFIED and PENDING are the same body; a trimmed title too.
    same = await create(
        items_stub,
        user.metadata,
        title="  Once ",
        status=items_pb2.ITEM_STATUS_PENDING,
        request_id=request_id,
    )
    assert same.id == first.id
    assert await _count_items(server, user.id) == 1
    # A retry after an update answers the item as it is now.
    updated = await items_stub.UpdateItem(
        _update_request(items_pb2.Item(id=first.id, description="later"), ["description"]),
        metadata=user.metadata,
    )
    assert await create(items_stub, user.metadata, title="Once", request_id=request_id) == updated
    # Without a request_id every call creates.
    await create(items_stub, user.metadata, title="Once")
    await create(items_stub, user.metadata, title="Once")
    assert await _count_items(server, user.id) == 3


async def test_concurrent_duplicates_create_one_item(
    server: RunningServer, make_user: UserFactory
) -> None:
    user = await make_user()
    request_id = str(uuid.uuid4())

    async def attempt() -> items_pb2.Item:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = items_pb2_grpc.ItemServiceStub(channel)
            return await create(stub, user.metadata, title="Race", request_id=request_id)

    results = await asyncio.gather(*(attempt() for _ in range(20)))
    assert len({r.id for r in results}) == 1
    assert await _count_items(server, user.id) == 1


async def test_request_id_rules(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory, server: RunningServer
) -> None:
    user, other = await make_user(), await make_user()
    request_id = str(uuid.uuid4())
    mine = await create(items_stub, user.metadata, title="A", request_id=request_id)
    # Same id, different body: INVALID_ARGUMENT on request_id, nothing created.
    for changes in (
        {"title": "B"},
        {"description": "x"},
        {"status": items_pb2.ITEM_STATUS_COMPLETED},
    ):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await create(
                items_stub, user.metadata, request_id=request_id, **{"title": "A", **changes}
            )  # type: ignore[arg-type]
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "different item" in field_violations(info.value)["request_id"]
    # Request ids are per caller.
    theirs = await create(items_stub, other.metadata, title="A", request_id=request_id)
    assert theirs.id != mine.id
    # Not a UUID.
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await create(items_stub, user.metadata, title="A", request_id="retry-1")
    assert set(field_violations(info.value)) == {"request_id"}
    # The created item was deleted since: the retry says so.
    await items_stub.DeleteItem(items_pb2.DeleteItemRequest(id=mine.id), metadata=user.metadata)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await create(items_stub, user.metadata, title="A", request_id=request_id)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert "has since been deleted" in (info.value.details() or "")


async def test_request_ids_expire_after_a_day(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory, server: RunningServer
) -> None:
    user = await make_user()
    request_id = str(uuid.uuid4())
    first = await create(items_stub, user.metadata, title="Day one", request_id=request_id)
    container = server.app.container

    async def age(hours: float) -> None:
        """Move this user's records back in time (SQLite cannot subtract intervals)."""
        async with container.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(ItemRequest.id, ItemRequest.create_time).where(
                        ItemRequest.owner_id == user.id
                    )
                )
            ).all()
            for row_id, created in rows:
                await session.execute(
                    update(ItemRequest)
                    .where(ItemRequest.id == row_id)
                    .values(create_time=created - timedelta(hours=hours))
                )

    await age(23)  # still inside the window
    assert (
        await create(items_stub, user.metadata, title="Day one", request_id=request_id)
    ).id == first.id
    await age(2)  # now 25 h old: the key is free again, even for another body
    second = await create(items_stub, user.metadata, title="Day two", request_id=request_id)
    assert second.id != first.id
    assert (
        await create(items_stub, user.metadata, title="Day two", request_id=request_id)
    ).id == second.id
    # The purge removes records past the window and only those.
    await age(25)
    other = str(uuid.uuid4())
    await create(items_stub, user.metadata, title="Fresh", request_id=other)
    assert await container.items.purge_expired_requests() >= 1
    async with container.sessions() as session:
        left = (
            (
                await session.execute(
                    select(ItemRequest.request_id).where(ItemRequest.owner_id == user.id)
                )
            )
            .scalars()
            .all()
        )
    assert list(left) == [other]
