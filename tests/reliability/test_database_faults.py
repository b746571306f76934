"""Database faults: the connection cut mid-load (PostgreSQL through a TCP proxy the
test controls; the shared server is never touched), a pool exhausted by a burst, and
SQLite's write lock held by another connection."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.databases import TestDatabase
from support.items import create
from support.reliability import (
    FORBIDDEN_CODES,
    NOT_SERVING,
    SERVING,
    count,
    health_status,
    internals_in,
)
from support.server import RunningServer, UserFactory, make_settings, start_server, stop_server
from support.tcp_proxy import TcpProxy

C = grpc.StatusCode


def _postgres_only(database: TestDatabase) -> None:
    if database.backend != "postgresql":
        pytest.skip("connection cuts are tested on PostgreSQL (SQLite is a local file)")


@pytest.fixture
async def proxied(
    own_database: TestDatabase, tmp_path: Path
) -> AsyncIterator[tuple[TcpProxy, RunningServer]]:
    """A server whose every database connection goes through a proxy we can cut."""
    _postgres_only(own_database)
    url = make_url(own_database.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = make_settings(
        proxied_url,
        tmp_path,
        access_log=False,
        health_check_interval=0.2,
        db_connect_timeout=1.0,
        db_pool_timeout=1.0,
    )
    running = await start_server(settings)
    try:
        yield proxy, running
    finally:
        await stop_server(running)
        await proxy.close()


async def _wait_health(channel: grpc.aio.Channel, wanted: int, within: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < within:
        with contextlib.suppress(grpc.aio.AioRpcError):
            if await health_status(channel) == wanted:
                return time.monotonic() - start
        await asyncio.sleep(0.05)
    raise AssertionError(f"health did not become {wanted} within {within}s")


async def test_cut_database_mid_load_then_recover(
    proxied: tuple[TcpProxy, RunningServer], own_database: TestDatabase
) -> None:
    proxy, running = proxied
    users = UserFactory(running.app)
    user = await users()
    acknowledged: dict[int, str] = {}
    outcomes: list[tuple[C, float]] = []
    details: list[str] = []
    stop = asyncio.Event()

    async with grpc.aio.insecure_channel(running.address) as channel:
        stub = items_pb2_grpc.ItemServiceStub(channel)

        async def writer(n: int) -> None:
            i = 0
            while not stop.is_set():
                title = f"w{n}-{i}-{uuid.uuid4().hex[:6]}"
                i += 1
                started = time.monotonic()
                try:
                    item = await create(
                        stub, user.metadata, title=title, request_id=str(uuid.uuid4())
                    )
                    acknowledged[item.id] = title
                    outcomes.append((C.OK, time.monotonic() - started))
                except grpc.aio.AioRpcError as error:
                    outcomes.append((error.code(), time.monotonic() - started))
                    details.append(error.details() or "")
                    await asyncio.sleep(0.05)

        writers = [asyncio.create_task(writer(n)) for n in range(10)]
        for _ in range(100):  # until the load is flowing
            await asyncio.sleep(0.05)
            if len(acknowledged) >= 20:
                break
        assert len(acknowledged) >= 20, outcomes[:5]
        await proxy.cut()
        count("faults: database cuts")
        not_serving_after = await _wait_health(channel, NOT_SERVING, within=3)
        await asyncio.sleep(1.0)  # writes keep failing while it is down
        failures_during = [o for o in outcomes if o[0] != C.OK]
        await proxy.restore()
        restored = time.monotonic()
        # Recovery: the first write that succeeds after the restore, without a restart.
        recovered_after = None
        while time.monotonic() - restored < 5:
            try:
                await create(stub, user.metadata, title="after restore")
                recovered_after = time.monotonic() - restored
                break
            except grpc.aio.AioRpcError as error:
                outcomes.append((error.code(), time.monotonic() - restored))
                await asyncio.sleep(0.05)
        await _wait_health(channel, SERVING, within=3)
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.gather(*writers)

    assert recovered_after is not None, "no write succeeded within 5 s of the restore"
    assert recovered_after < 2.0, f"recovered only after {recovered_after:.2f}s"
    assert not_serving_after < 3
    failed = [(code, took) for code, took in outcomes if code != C.OK]
    assert failures_during, "no call failed while the database was cut"
    assert {code for code, _ in failed} <= {C.UNAVAILABLE}, failed
    assert max(took for _, took in failed) < 5, "a call hung instead of failing fast"
    assert [d for d in details if internals_in(d)] == []
    # Every acknowledged write is there, whole; nothing else of this user's is.
    async with running.app.container.engine.connect() as connection:
        rows = dict(
            (
                await connection.execute(
                    text("SELECT id, title FROM items WHERE owner_id = :o"), {"o": user.id}
                )
            ).all()
        )
        dangling = (
            await connection.execute(
                text(
                    "SELECT count(*) FROM item_requests r LEFT JOIN items i ON i.id = r.item_id"
                    " WHERE r.owner_id = :o AND (r.item_id IS NULL OR i.id IS NULL)"
                ),
                {"o": user.id},
            )
        ).scalar_one()
    for item_id, title in acknowledged.items():
        assert rows.get(item_id) == title, f"acknowledged item {item_id} lost or changed"
    sent_titles = set(acknowledged.values()) | {"after restore"}
    unacknowledged = {i: t for i, t in rows.items() if i not in acknowledged}
    # A write whose answer was lost in the cut may have committed: it must be whole.
    for title in unacknowledged.values():
        assert title.startswith("w") or title in sent_titles, title
    assert dangling == 0
    count("writes verified (database cut)", len(acknowledged))
    count("calls failed fast while cut", len(failed))
    print(  # figures for the report
        f"cut: {len(acknowledged)} acknowledged writes verified, {len(failed)} calls failed"
        f" UNAVAILABLE (slowest {max(t for _, t in failed):.2f}s), NOT_SERVING after"
        f" {not_serving_after:.2f}s, recovered {recovered_after:.2f}s after restore,"
        f" {len(unacknowledged)} unacknowledged-but-committed writes whole"
    )


async def test_pool_exhaustion_answers_within_the_deadline(
    own_database: TestDatabase, tmp_path: Path
) -> None:
    """One connection, a statement holding it on a lock, a burst of 40 calls: every
    call answers before its deadline, none INTERNAL."""
    settings = make_settings(
        own_database.url,
        tmp_path,
        access_log=False,
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout=0.5,
        sqlite_busy_timeout_ms=500,
    )
    running = await start_server(settings)
    try:
        user = await UserFactory(running.app)()
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = items_pb2_grpc.ItemServiceStub(channel)
            item = await create(stub, user.metadata, title="hot row")

            async def one() -> tuple[C, float, str]:
                started = time.monotonic()
                try:
                    await stub.CreateItem(
                        items_pb2.CreateItemRequest(item=items_pb2.Item(title="burst")),
                        metadata=user.metadata,
                        timeout=3,
                    )
                    code, message = C.OK, ""
                except grpc.aio.AioRpcError as error:
                    code, message = error.code(), error.details() or ""
                return code, time.monotonic() - started, message

            async with _held_lock(own_database, running, item.id):
                results = await asyncio.gather(*(one() for _ in range(40)))
    finally:
        await stop_server(running)
    codes = {code for code, _, _ in results}
    assert [m for _, _, m in results if internals_in(m)] == []
    assert not codes & set(FORBIDDEN_CODES), results
    assert codes <= {C.OK, C.UNAVAILABLE, C.DEADLINE_EXCEEDED, C.RESOURCE_EXHAUSTED}, codes
    assert C.UNAVAILABLE in codes, "the pool was never exhausted"
    assert max(took for _, took, _ in results) < 3.5, results
    count("faults: pool exhaustion bursts")


@contextlib.asynccontextmanager
async def _held_lock(
    database: TestDatabase, running: RunningServer, item_id: int
) -> AsyncIterator[None]:
    """Keep the server's only pooled connection busy: on PostgreSQL a checked-out
    connection waiting on a row lock; on SQLite, the write lock held elsewhere."""
    engine = running.app.container.engine
    if database.backend == "postgresql":
        direct = running.app.container.pg_direct
        assert direct is not None
        # Take the pools' one connection each (the items' raw one, and the engine's).
        async with direct.connection() as raw, engine.connect() as held:
            await raw.fetch("SELECT 1")
            await held.execute(text("SELECT 1"))
            yield
    else:
        path = make_url(database.url).database
        assert path is not None
        locker = sqlite3.connect(path, timeout=0)
        locker.execute("BEGIN IMMEDIATE")
        try:
            async with engine.connect() as held:
                await held.execute(text("SELECT 1"))
                yield
        finally:
            locker.rollback()
            locker.close()


async def test_sqlite_database_locked_is_unavailable_not_internal(
    own_database: TestDatabase, tmp_path: Path
) -> None:
    if own_database.backend != "sqlite":
        pytest.skip("SQLite's file lock")
    settings = make_settings(
        own_database.url, tmp_path, access_log=False, sqlite_busy_timeout_ms=200
    )
    running = await start_server(settings)
    path = make_url(own_database.url).database
    assert path is not None
    try:
        user = await UserFactory(running.app)()
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = items_pb2_grpc.ItemServiceStub(channel)
            locker = sqlite3.connect(path, timeout=0)
            locker.execute("BEGIN IMMEDIATE")  # holds the write lock
            try:
                with pytest.raises(grpc.aio.AioRpcError) as info:
                    await create(stub, user.metadata, title="blocked")
            finally:
                locker.rollback()
                locker.close()
            assert info.value.code() == C.UNAVAILABLE, info.value
            assert internals_in(info.value.details() or "") is None
            assert "locked" not in (info.value.details() or "")
            # The lock gone, the same call works.
            created = await create(stub, user.metadata, title="unblocked")
            assert created.id > 0
            count("faults: sqlite write locks")
    finally:
        await stop_server(running)
