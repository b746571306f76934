"""Items and users through the Python client: CRUD, idempotent create, page iteration,
watch; sync and async."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from opengovfood_client import Client, NotFoundError
from opengovfood_client.aio import AsyncClient
from opengovfood_client.v1 import items_pb2
from support.clients import signed_in, signed_in_sync
from support.server import RunningServer, UserFactory


@pytest.fixture
async def client(server: RunningServer) -> AsyncIterator[AsyncClient]:
    signed = await signed_in(server.address)
    yield signed
    await signed.close()


async def test_item_lifecycle(client: AsyncClient) -> None:
    item = await client.items.create("Walk-in cooler at 9 C", "Milk at 9 C", "in-progress")
    assert item.status == items_pb2.ITEM_STATUS_IN_PROGRESS
    assert (await client.items.get(item.id)) == item
    updated = await client.items.update(item.id, status="completed", etag=item.etag)
    assert updated.status == items_pb2.ITEM_STATUS_COMPLETED
    assert updated.title == item.title  # only the named field changed
    assert updated.etag != item.etag
    await client.items.delete(updated.id, etag=updated.etag)
    with pytest.raises(NotFoundError):
        await client.items.get(item.id)


async def test_create_sends_a_request_id_so_retries_are_safe(client: AsyncClient) -> None:
    key = str(uuid.uuid4())
    first = await client.items.create("Complaint: mice", request_id=key)
    again = await client.items.create("Complaint: mice", request_id=key)
    assert again.id == first.id
    # Without one, the client makes a fresh id per call: two calls, two items.
    a = await client.items.create("Routine inspection")
    b = await client.items.create("Routine inspection")
    assert a.id != b.id


async def test_list_iterates_every_page(client: AsyncClient) -> None:
    created = [await client.items.create(f"page item {i}") for i in range(7)]
    listed = [item async for item in client.items.list(page_size=3, order_by="id")]
    assert [item.id for item in listed] == [item.id for item in created]
    first = await client.items.list_page(page_size=3, order_by="id")
    assert len(first.items) == 3
    assert first.next_page_token
    assert first.total_size == 7
    limited = [item async for item in client.items.list(page_size=2, limit=5)]
    assert len(limited) == 5
    newest = [item async for item in client.items.list(filter='title:"page item 6"')]
    assert [item.id for item in newest] == [created[-1].id]


async def test_sync_client_pages_and_crud(server: RunningServer) -> None:
    def scenario() -> tuple[list[int], list[int], int]:
        with signed_in_sync(server.address) as client:
            created = [client.items.create(f"sync item {i}").id for i in range(5)]
            listed = [item.id for item in client.items.list(page_size=2, order_by="id")]
            item = client.items.update(created[0], title="renamed")
            client.items.delete(created[1])
            remaining = len(list(client.items.list()))
            assert item.title == "renamed"
            return created, listed, remaining

    created, listed, remaining = await asyncio.to_thread(scenario)
    assert listed == created
    assert remaining == 4


async def test_watch_streams_events(client: AsyncClient) -> None:
    events: list[items_pb2.ItemEvent] = []
    stream = client.items.watch('title:"watched"')

    async def collect() -> None:
        async for event in stream:
            events.append(event)
            if len(events) == 2:
                return

    task = asyncio.create_task(collect())
    for _ in range(100):  # create until the (concurrently opening) watch has seen it
        item = await client.items.create("watched item")
        await client.items.create("not this one")
        await asyncio.sleep(0.05)
        if events:
            break
    await client.items.update(item.id, status="completed")
    await asyncio.wait_for(task, 10)
    assert events[0].type == items_pb2.ITEM_EVENT_TYPE_CREATED
    assert events[0].item.title == "watched item"
    assert events[1].type in (items_pb2.ITEM_EVENT_TYPE_CREATED, items_pb2.ITEM_EVENT_TYPE_UPDATED)
    assert all("watched" in event.item.title for event in events)
    stream.cancel()


async def test_sync_watch_can_be_cancelled(server: RunningServer) -> None:
    client = await asyncio.to_thread(signed_in_sync, server.address)
    stream = client.items.watch()
    received: list[items_pb2.ItemEvent] = []

    def consume() -> None:
        for event in stream:  # ends quietly when cancelled
            received.append(event)

    consumer = asyncio.create_task(asyncio.to_thread(consume))
    async with AsyncClient(server.address, tokens=client.tokens) as writer:
        for _ in range(100):
            await writer.items.create("sync watched")
            await asyncio.sleep(0.05)
            if received:
                break
    stream.cancel()
    await asyncio.wait_for(consumer, 10)
    assert received[0].item.title == "sync watched"
    client.close()


async def test_superuser_lists_users_across_pages(
    server: RunningServer, make_user: UserFactory
) -> None:
    admin = await make_user(superuser=True)
    for _ in range(3):
        await make_user()
    async with AsyncClient(server.address, token=admin.token) as client:
        first = await client.users.list_page(page_size=2)
        everyone = [user async for user in client.users.list(page_size=2)]
        assert len(everyone) == first.total_size >= 4
        assert len({user.id for user in everyone}) == len(everyone)
        made = await client.users.create(
            f"made-{uuid.uuid4().hex[:8]}@example.org", "a long passphrase"
        )
        changed = await client.users.update(made.id, is_active=False)
        assert not changed.is_active


def test_client_is_usable_as_a_context_manager_without_a_server() -> None:
    # Channels connect lazily: building and closing a client needs no server.
    with Client("127.0.0.1:9") as client:
        assert client.tokens is None
