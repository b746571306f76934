"""Three `opengov-food serve` processes on one PostgreSQL database, one client.

What a Kubernetes Deployment with several replicas relies on: the Python client's
default service config (round_robin + client-side health checking) spreads calls
over every replica; a replica that gets SIGTERM under load costs no idempotent call
and loses no acknowledged write; WatchItems sees writes made on another replica
(the outbox and LISTEN/NOTIFY), including every acknowledged write of a replica
stopped with SIGTERM (it flushes) or killed with SIGKILL (another replica's catch-up
sweep announces what it had not); login rate limits are shared through Redis.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from opengovfood.db import migrate
from opengovfood_client import AsyncClient
from opengovfood_client.config import multi_address_target
from opengovfood_client.errors import OpenGovFoodError, RateLimitedError, UnauthenticatedError
from opengovfood_client.v1 import items_pb2
from support.databases import TestDatabase, create_test_database
from support.reliability import count
from support.server import TestUser
from support.subprocess_server import (
    ServerProcess,
    free_port,
    start_server_process,
    user_factory,
)

BASE = os.environ.get("OPENGOVFOOD_TEST_DATABASE_URL", "sqlite")
REPLICAS = 3
GRACE = 5.0
LOGIN_BURST = 4

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not BASE.startswith("postgresql"),
        reason="replicas share one database: needs PostgreSQL "
        "(OPENGOVFOOD_TEST_DATABASE_URL=postgresql+asyncpg://...); SQLite is one file "
        "per host and its WatchItems events stay in one process",
    ),
]


@dataclass
class Replicas:
    servers: list[ServerProcess]
    metrics: list[str]  # http://127.0.0.1:PORT/metrics, one per server
    user: TestUser
    database_url: str
    target: str = field(init=False)

    def __post_init__(self) -> None:
        self.target = multi_address_target(s.address for s in self.servers)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    with create_test_database(BASE, tmp_path_factory.mktemp("scale-db")) as database:
        migrate.upgrade(database.url)
        yield database


@pytest.fixture(scope="module")
async def replicas(
    database: TestDatabase, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Replicas]:
    tmp: Path = tmp_path_factory.mktemp("replicas")
    prefix = f"ogf-test-{uuid.uuid4().hex[:8]}:"
    servers: list[ServerProcess] = []
    metrics: list[str] = []
    try:
        for _ in range(REPLICAS):
            port = free_port()
            env = {
                "OPENGOVFOOD_GRACE_PERIOD": str(GRACE),
                "OPENGOVFOOD_METRICS_ADDRESS": f"127.0.0.1:{port}",
                "OPENGOVFOOD_REDIS_URL": "redis://127.0.0.1:6379/0",
                "OPENGOVFOOD_REDIS_KEY_PREFIX": prefix,
                "OPENGOVFOOD_LOGIN_BURST": str(LOGIN_BURST),
                "OPENGOVFOOD_LOGIN_RATE_PER_MINUTE": "1",
            }
            # Generous: three servers start one after another on a shared 2-core machine.
            server = await asyncio.to_thread(
                start_server_process, database.url, tmp, env, start_within=120
            )
            servers.append(server)
            metrics.append(f"http://127.0.0.1:{port}/metrics")
        users, container = user_factory(servers[0].settings)
        try:
            user = await users()
        finally:
            await container.engine.dispose()
        yield Replicas(servers, metrics, user, database.url)
    finally:
        for server in servers:
            server.stop()


def _handled(metrics_url: str, method: str) -> int:
    """grpc_server_handled_total for one method on one replica, all codes."""
    with urllib.request.urlopen(metrics_url, timeout=5) as response:
        body = response.read().decode()
    pattern = re.compile(
        r'^grpc_server_handled_total\{[^}]*grpc_method="' + method + r'"[^}]*\} (\S+)$',
        re.MULTILINE,
    )
    return int(sum(float(v) for v in pattern.findall(body)))


async def _per_replica(replicas: Replicas, method: str) -> list[int]:
    return [await asyncio.to_thread(_handled, url, method) for url in replicas.metrics]


class CreatedSeen:
    """A WatchItems stream on one replica, keeping the ids of CREATED events (once
    each: a second CREATED of an id is recorded as a duplicate)."""

    def __init__(self, client: AsyncClient) -> None:
        self.ids: set[int] = set()
        self.duplicates: list[int] = []
        self._stream = client.items.watch()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for event in self._stream:
            if event.type == items_pb2.ITEM_EVENT_TYPE_CREATED:
                if event.item.id in self.ids:
                    self.duplicates.append(event.item.id)
                self.ids.add(event.item.id)

    async def all_of(self, wanted: set[int], within: float) -> set[int]:
        """Wait up to `within` s for every id in `wanted`; the ones still missing."""
        deadline = time.monotonic() + within
        while not wanted <= self.ids and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        return wanted - self.ids

    async def close(self) -> None:
        self._stream.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


async def test_calls_spread_over_every_replica(replicas: Replicas) -> None:
    async with AsyncClient(replicas.target, token=replicas.user.token) as client:
        item = await client.items.create(title="spread")
        before = await _per_replica(replicas, "GetItem")
        for _ in range(90):
            assert (await client.items.get(item.id)).id == item.id
    after = await _per_replica(replicas, "GetItem")
    per_replica = [b - a for a, b in zip(before, after, strict=True)]
    for i, n in enumerate(per_replica):
        count(f"scale-out: GetItem calls on replica {i + 1} of 90", n)
    print(f"GetItem calls per replica: {per_replica}")
    assert sum(per_replica) == 90
    # round_robin: 30 each; a connection that came up late may take a few less.
    assert min(per_replica) >= 20, per_replica


async def test_a_watcher_on_one_replica_sees_writes_made_on_another(replicas: Replicas) -> None:
    watcher_on, writer_on = replicas.servers[0].address, replicas.servers[1].address
    token = replicas.user.token
    title = f"cross-replica {uuid.uuid4().hex[:6]}"
    async with (
        AsyncClient(watcher_on, token=token) as watcher,
        AsyncClient(writer_on, token=token) as writer,
    ):
        stream = watcher.items.watch(filter=f'title:"{title}"')
        received: asyncio.Queue[int] = asyncio.Queue()

        async def read() -> None:
            async for event in stream:
                await received.put(event.item.id)

        reader = asyncio.create_task(read())
        try:
            await asyncio.sleep(0.5)  # the stream is open on the watcher's replica
            created = await writer.items.create(title=title)
            assert await asyncio.wait_for(received.get(), 10) == created.id
        finally:
            stream.cancel()
            await asyncio.gather(reader, return_exceptions=True)


async def test_login_limits_are_shared_by_the_replicas(replicas: Replicas) -> None:
    email = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
    answers: list[str] = []
    before = await _per_replica(replicas, "Login")
    async with AsyncClient(replicas.target) as client:
        for _ in range(LOGIN_BURST * 3):
            try:
                await client.login(email, "wrong password 1")
            except UnauthenticatedError:
                answers.append("unauthenticated")
            except RateLimitedError:
                answers.append("limited")
    after = await _per_replica(replicas, "Login")
    per_replica = [b - a for a, b in zip(before, after, strict=True)]
    # Every replica answered some, yet the limit held for the sum: one shared bucket.
    assert all(n > 0 for n in per_replica), per_replica
    assert answers.count("unauthenticated") == LOGIN_BURST, answers
    assert answers.count("limited") == LOGIN_BURST * 2


async def test_sigterm_on_one_replica_under_load_fails_no_call(replicas: Replicas) -> None:
    """Idempotent calls (GetItem, ListItems, CreateItem with its request_id) ride over a
    replica's graceful stop: it leaves SERVING, clients stop picking it, and an attempt
    it refused is retried on another replica."""
    victim = replicas.servers[2]
    acknowledged: dict[int, str] = {}
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    stop = asyncio.Event()

    async with (
        AsyncClient(replicas.target, token=replicas.user.token) as client,
        AsyncClient(replicas.servers[0].address, token=replicas.user.token) as survivor,
    ):
        seen = CreatedSeen(survivor)  # on a replica that stays up
        await asyncio.sleep(0.5)  # the stream is open
        seed = await client.items.create(title="seed")

        async def worker(n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                title = f"w{n}-{i}"
                try:
                    item = await client.items.create(title=title)
                    acknowledged[item.id] = title
                    outcomes["CreateItem"] += 1
                    assert (await client.items.get(seed.id)).id == seed.id
                    outcomes["GetItem"] += 1
                    await client.items.list_page(page_size=5)
                    outcomes["ListItems"] += 1
                except OpenGovFoodError as error:
                    failures.append(f"{title}: {error}")

        workers = [asyncio.create_task(worker(n)) for n in range(20)]
        await asyncio.sleep(1.5)
        load_before = sum(outcomes.values())
        victim.signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        exit_code = await asyncio.to_thread(victim.process.wait, GRACE + 20)
        stop_seconds = time.monotonic() - stopped_at
        await asyncio.sleep(1.5)  # keep going on the two replicas left
        stop.set()
        await asyncio.gather(*workers)
        # Every acknowledged create was announced, the stopped replica's included (it
        # flushed its queue before exiting; the sweep, 5 s later, would be the backstop).
        missing = await seen.all_of(set(acknowledged), within=15)
        await seen.close()

    assert missing == set(), f"{len(missing)} acknowledged creates never announced"
    assert seen.duplicates == []

    assert exit_code == 0
    assert failures == [], failures[:5]
    assert sum(outcomes.values()) > load_before  # the load went on after the SIGTERM
    count("failover: calls answered OK under SIGTERM", sum(outcomes.values()))
    count("failover: acknowledged creates checked", len(acknowledged))
    print(f"failover: {dict(outcomes)} OK, 0 failed; the replica stopped in {stop_seconds:.1f}s")

    # Every acknowledged create is in the database, exactly once.
    engine = create_async_engine(replicas.database_url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT id, title FROM items WHERE id = ANY(:ids)"),
                    {"ids": list(acknowledged)},
                )
            ).all()
    finally:
        await engine.dispose()
    assert dict(rows) == acknowledged


async def test_sigkill_on_one_replica_loses_no_acknowledged_event(replicas: Replicas) -> None:
    """A replica killed outright may have committed writes whose events it had not
    announced yet: a surviving replica's catch-up sweep announces them (within
    OPENGOVFOOD_WATCH_CATCH_UP_AFTER, 5 s, and a sweep), each once."""
    victim = replicas.servers[1]
    acknowledged: set[int] = set()
    stop = asyncio.Event()
    async with (
        AsyncClient(victim.address, token=replicas.user.token) as on_victim,
        AsyncClient(replicas.servers[0].address, token=replicas.user.token) as survivor,
    ):
        seen = CreatedSeen(survivor)
        await asyncio.sleep(0.5)

        async def writer(n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    item = await on_victim.items.create(title=f"k{n}-{i}")
                except OpenGovFoodError:
                    return  # the replica is gone: this write was not acknowledged
                acknowledged.add(item.id)

        writers = [asyncio.create_task(writer(n)) for n in range(16)]
        await asyncio.sleep(1.5)
        victim.signal(signal.SIGKILL)
        await asyncio.to_thread(victim.process.wait, 10)
        stop.set()
        await asyncio.gather(*writers)
        missing = await seen.all_of(acknowledged, within=30)
        await seen.close()

    count("kill: acknowledged creates announced after SIGKILL", len(acknowledged) - len(missing))
    # How many of them the victim had committed but not announced (0 if the kill
    # happened to fall between two batches), from the survivors' logs.
    swept = sum(
        int(found)
        for server in replicas.servers
        if server is not victim and server.log.exists()
        for found in re.findall(
            r"announced (\d+) item events their writers had not", server.log.read_text()
        )
    )
    count("kill: events announced by a survivor's catch-up sweep", swept)
    assert len(acknowledged) > 0
    assert missing == set(), f"{len(missing)} of {len(acknowledged)} never announced"
    assert seen.duplicates == []
