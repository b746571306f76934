"""Deadlines and limits: a client's deadline reaches the database, big messages are
refused clearly, open streams don't starve unary calls, and the concurrency limit sheds
load with RESOURCE_EXHAUSTED."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy.engine import make_url

from opengovfood.db import migrate
from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.databases import TestDatabase, create_test_database
from support.items import Watcher, create
from support.reliability import count, internals_in
from support.server import RunningServer, UserFactory, make_settings, start_server, stop_server

C = grpc.StatusCode


@pytest.fixture
async def limited(
    request: pytest.FixtureRequest, own_database: TestDatabase, tmp_path: Path
) -> AsyncIterator[RunningServer]:
    overrides = getattr(request, "param", {})
    settings = make_settings(own_database.url, tmp_path, access_log=False, **overrides)
    running = await start_server(settings)
    yield running
    await stop_server(running)


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[TestDatabase]:
    """A database for one test: a write left holding SQLite's lock must not leak into
    the next tests."""
    base = os.environ.get("OPENGOVFOOD_TEST_DATABASE_URL", "sqlite")
    (tmp_path / "fresh").mkdir()
    with create_test_database(base, tmp_path / "fresh") as database:
        migrate.upgrade(database.url)
        yield database


async def _pg_lock_waiters(database: TestDatabase) -> int:
    """Server statements of ours waiting on a lock right now."""
    import asyncpg

    url = make_url(database.url)
    connection = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'opengovfood'"
                " AND state = 'active' AND wait_event_type = 'Lock'"
            )
        )
    finally:
        await connection.close()


async def test_deadline_cancels_the_database_statement(
    fresh_database: TestDatabase, tmp_path: Path
) -> None:
    """A row (PostgreSQL) or the database (SQLite) is locked by another connection; the
    call's 1 s deadline passes; the server's statement must not keep running: on
    PostgreSQL it leaves pg_stat_activity, on SQLite its write never lands."""
    own_database = fresh_database
    limited = await start_server(make_settings(own_database.url, tmp_path, access_log=False))
    try:
        await _deadline_case(limited, own_database)
    finally:
        await stop_server(limited)
    count("faults: deadlines on a locked row")


async def _deadline_case(limited: RunningServer, own_database: TestDatabase) -> None:
    user = await UserFactory(limited.app)()
    async with grpc.aio.insecure_channel(limited.address) as channel:
        stub = items_pb2_grpc.ItemServiceStub(channel)
        item = await create(stub, user.metadata, title="locked row")
        update = items_pb2.UpdateItemRequest(
            item=items_pb2.Item(id=item.id, title="too late"),
            update_mask=field_mask_pb2.FieldMask(paths=["title"]),
        )
        if own_database.backend == "postgresql":
            import asyncpg

            url = make_url(own_database.url)
            locker = await asyncpg.connect(
                host=url.host, port=url.port, user=url.username, database=url.database
            )
            try:
                async with locker.transaction():
                    await locker.execute("SELECT 1 FROM items WHERE id = $1 FOR UPDATE", item.id)
                    started = time.monotonic()
                    with pytest.raises(grpc.aio.AioRpcError) as info:
                        await stub.UpdateItem(update, metadata=user.metadata, timeout=1)
                    took = time.monotonic() - started
                    waiting = -1
                    for _ in range(40):  # the cancel reaches PostgreSQL within 2 s
                        waiting = await _pg_lock_waiters(own_database)
                        if waiting == 0:
                            break
                        await asyncio.sleep(0.05)
                    assert waiting == 0, "the statement kept waiting after the deadline"
            finally:
                await locker.close()
        else:
            path = make_url(own_database.url).database
            assert path is not None
            locker_db = sqlite3.connect(path, timeout=0)
            locker_db.execute("BEGIN IMMEDIATE")
            try:
                started = time.monotonic()
                with pytest.raises(grpc.aio.AioRpcError) as info:
                    await stub.UpdateItem(update, metadata=user.metadata, timeout=1)
                took = time.monotonic() - started
            finally:
                locker_db.rollback()
                locker_db.close()
        assert info.value.code() == C.DEADLINE_EXCEEDED
        assert took < 1.5
        await asyncio.sleep(1.0)  # time for a statement left running to finish
        fetched = await stub.GetItem(
            items_pb2.GetItemRequest(id=item.id), metadata=user.metadata, timeout=5
        )
        assert fetched.title == "locked row", "the write landed after the caller gave up"
        if own_database.backend == "sqlite":
            probe = sqlite3.connect(make_url(own_database.url).database or "", timeout=2)
            try:
                probe.execute("BEGIN IMMEDIATE")  # "database is locked": a connection kept it
            finally:
                probe.rollback()
                probe.close()
        # And the next write is served.
        updated = await stub.UpdateItem(update, metadata=user.metadata, timeout=5)
        assert updated.title == "too late"


@pytest.mark.parametrize("limited", [{"max_message_bytes": 64 * 1024}], indirect=True)
async def test_max_message_size_is_enforced_clearly(limited: RunningServer) -> None:
    user = await UserFactory(limited.app)()
    async with grpc.aio.insecure_channel(
        limited.address, options=[("grpc.max_send_message_length", 8 * 1024 * 1024)]
    ) as channel:
        stub = items_pb2_grpc.ItemServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await create(stub, user.metadata, title="big", description="x" * (200 * 1024))
        assert info.value.code() == C.RESOURCE_EXHAUSTED
        details = info.value.details() or ""
        assert "larger than max" in details, details
        assert internals_in(details) is None
        # A normal call on the same channel still works.
        assert (await create(stub, user.metadata, title="small")).id > 0


async def test_open_streams_do_not_starve_unary_calls(limited: RunningServer) -> None:
    users = UserFactory(limited.app)
    user = await users()
    async with grpc.aio.insecure_channel(limited.address) as channel:
        stub = items_pb2_grpc.ItemServiceStub(channel)
        item = await create(stub, user.metadata, title="read me")
        watchers = [Watcher(stub, user.metadata) for _ in range(200)]
        try:
            await asyncio.gather(*(w.ready() for w in watchers))
            latencies: list[float] = []

            async def get() -> None:
                started = time.monotonic()
                await stub.GetItem(
                    items_pb2.GetItemRequest(id=item.id), metadata=user.metadata, timeout=5
                )
                latencies.append(time.monotonic() - started)

            for _ in range(5):
                await asyncio.gather(*(get() for _ in range(20)))
            # A write fans out to all 200 watchers while unary calls keep answering.
            await create(stub, user.metadata, title="fan out")
            await asyncio.gather(*(get() for _ in range(20)))
        finally:
            for w in watchers:
                w.cancel()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert p99 < 1.0, f"p99 {p99:.3f}s with 200 open streams"
    count("streams held open against unary calls", 200)


@pytest.mark.parametrize("limited", [{"max_concurrent_rpcs": 5}], indirect=True)
async def test_concurrency_limit_sheds_load(limited: RunningServer) -> None:
    user = await UserFactory(limited.app)()
    async with grpc.aio.insecure_channel(limited.address) as channel:
        stub = items_pb2_grpc.ItemServiceStub(channel)
        watchers = [Watcher(stub, user.metadata) for _ in range(5)]
        try:
            await asyncio.gather(*(w.ready() for w in watchers))
            started = time.monotonic()
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await stub.ListItems(
                    items_pb2.ListItemsRequest(), metadata=user.metadata, timeout=5
                )
            assert time.monotonic() - started < 1.0, "queued instead of refused"
            assert info.value.code() == C.RESOURCE_EXHAUSTED
            assert internals_in(info.value.details() or "") is None
        finally:
            for w in watchers:
                w.cancel()
        await asyncio.sleep(0.2)
        # Below the limit again: served.
        await stub.ListItems(items_pb2.ListItemsRequest(), metadata=user.metadata, timeout=5)
    count("faults: concurrency-limit overloads")
