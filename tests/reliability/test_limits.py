"""Deadlines and limits: a client's deadline reaches the database, big messages are
refused clearly, open streams (WatchItems, Chat) don't starve unary calls, and the
concurrency limit sheds load with RESOURCE_EXHAUSTED."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy.engine import make_url

from fakes.ollama_server import FakeOllama
from opengovfood.db import migrate
from opengovfood_client.v1 import agent_pb2, agent_pb2_grpc, items_pb2, items_pb2_grpc
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


CHAT_STREAMS = 30  # the Ollama provider's HTTP pool holds 32 connections
CHAT_CHUNKS = 80
CHAT_CHUNK_DELAY = 0.05  # per stream: 30 streams are 600 chunks/s through the server
CHAT_ANSWER = "".join(f"w{i} " for i in range(CHAT_CHUNKS))


@dataclass
class ChatLoad:
    latencies: list[float]  # of the GetItem calls
    window: tuple[float, float]  # when the GetItem calls ran
    arrivals: list[list[float]]  # per stream: when each message came
    answers: list[str]  # per stream: the text
    done: list[bool]  # per stream: the last message said done


async def test_open_chat_streams_do_not_starve_unary_calls(
    own_database: TestDatabase, tmp_path: Path
) -> None:
    """30 Chat streams, each getting a chunk from the (fake) model every 50 ms, relayed
    through the server's HTTP client and out over gRPC, while GetItem calls keep
    answering quickly; then every stream finishes with its whole answer. p99 is about
    0.1 s here; 2 ms of blocking work per chunk (more than the event loop has) puts it
    near 3 s. The bound is the WatchItems test's: this machine's load varies."""
    async with FakeOllama() as fake:
        fake.chunks = [f"w{i} " for i in range(CHAT_CHUNKS)]
        fake.chunk_delay = CHAT_CHUNK_DELAY
        settings = make_settings(
            own_database.url,
            tmp_path,
            access_log=False,
            llm_provider="ollama",
            llm_model="llama3.2",
            ollama_url=fake.url,
            llm_timeout=30.0,
        )
        running = await start_server(settings)
        try:
            load = await _chat_streams_and_gets(running)
        finally:
            await stop_server(running)
    latencies = sorted(load.latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert p99 < 1.0, f"p99 {p99:.3f}s with {CHAT_STREAMS} Chat streams"
    # The streams were streaming all along the measurement, not queued or done.
    start, end = load.window
    for stamps in load.arrivals:
        assert stamps[0] < start, "a stream had not started before the calls"
        assert stamps[-1] > end, "a stream ended before the calls did"
    during = sum(start <= t <= end for stamps in load.arrivals for t in stamps)
    expected = CHAT_STREAMS * (end - start) / CHAT_CHUNK_DELAY
    assert during > expected / 3, f"{during} chunks relayed during the calls, not {expected:.0f}"
    # And every stream got its whole answer, then its final message.
    assert load.answers == [CHAT_ANSWER] * CHAT_STREAMS
    assert all(load.done)
    count("chat streams held open against unary calls", CHAT_STREAMS)


async def _chat_streams_and_gets(running: RunningServer) -> ChatLoad:
    user = await UserFactory(running.app)()
    async with grpc.aio.insecure_channel(running.address) as channel:
        items = items_pb2_grpc.ItemServiceStub(channel)
        agent = agent_pb2_grpc.AgentServiceStub(channel)
        item = await create(items, user.metadata, title="read me")
        arrivals: list[list[float]] = [[] for _ in range(CHAT_STREAMS)]
        answers = [""] * CHAT_STREAMS
        done = [False] * CHAT_STREAMS

        async def chat(n: int) -> None:
            call = agent.Chat(
                agent_pb2.ChatRequest(message=f"question {n}"), metadata=user.metadata, timeout=30
            )
            async for response in call:
                arrivals[n].append(time.monotonic())
                answers[n] += response.text
                done[n] = response.done

        streams = [asyncio.create_task(chat(n)) for n in range(CHAT_STREAMS)]
        try:
            async with asyncio.timeout(10):  # every stream is streaming
                while not all(arrivals):  # noqa: ASYNC110 - polling the streams' tally
                    await asyncio.sleep(0.01)
            latencies: list[float] = []

            async def get() -> None:
                started = time.monotonic()
                await items.GetItem(
                    items_pb2.GetItemRequest(id=item.id), metadata=user.metadata, timeout=5
                )
                latencies.append(time.monotonic() - started)

            start = time.monotonic()
            for _ in range(10):
                await asyncio.gather(*(get() for _ in range(20)))
                await asyncio.sleep(0.05)
            end = time.monotonic()
            await asyncio.gather(*streams)  # each ends OK (an error would raise here)
        finally:
            for task in streams:
                task.cancel()
            await asyncio.gather(*streams, return_exceptions=True)
    return ChatLoad(latencies, (start, end), arrivals, answers, done)


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
