"""Soak: a mixed workload against `opengov-food serve` (a subprocess) for a while.

    python tests/soak/soak.py --seconds 600 [--clients 16]
    (make soak SOAK_SECONDS=60)

OPENGOVFOOD_TEST_DATABASE_URL picks the backend as for the tests (default SQLite).
Reports errors, latency percentiles and the server's RSS over time; exits 1 unless
there were 0 errors and RSS after the warm-up stayed within +-10 %.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ (support package)

import grpc
from google.protobuf import field_mask_pb2

from opengovfood.db import migrate
from opengovfood_client.v1 import (
    agent_pb2,
    agent_pb2_grpc,
    items_pb2,
    items_pb2_grpc,
    users_pb2,
    users_pb2_grpc,
)
from support.databases import create_test_database
from support.subprocess_server import start_server_process, user_factory


async def workload(
    address: str,
    metadata: tuple[tuple[str, str], ...],
    stop: asyncio.Event,
    latencies: list[float],
    errors: list[str],
    seed: int,
) -> None:
    rng = random.Random(seed)
    async with grpc.aio.insecure_channel(address) as channel:
        items = items_pb2_grpc.ItemServiceStub(channel)
        users = users_pb2_grpc.UserServiceStub(channel)
        agent = agent_pb2_grpc.AgentServiceStub(channel)
        mine: list[int] = []
        while not stop.is_set():
            roll = rng.random()
            started = time.monotonic()
            try:
                if roll < 0.25 or not mine:
                    item = await items.CreateItem(
                        items_pb2.CreateItemRequest(
                            item=items_pb2.Item(title=f"soak {rng.randrange(10**6)}"),
                            request_id=str(uuid.uuid4()),
                        ),
                        metadata=metadata,
                        timeout=10,
                    )
                    mine.append(item.id)
                elif roll < 0.50:
                    await items.GetItem(
                        items_pb2.GetItemRequest(id=rng.choice(mine)), metadata=metadata, timeout=10
                    )
                elif roll < 0.70:
                    await items.ListItems(
                        items_pb2.ListItemsRequest(
                            page_size=20, filter="status = ITEM_STATUS_PENDING"
                        ),
                        metadata=metadata,
                        timeout=10,
                    )
                elif roll < 0.80:
                    await items.UpdateItem(
                        items_pb2.UpdateItemRequest(
                            item=items_pb2.Item(
                                id=rng.choice(mine), description=f"d{rng.random()}"
                            ),
                            update_mask=field_mask_pb2.FieldMask(paths=["description"]),
                        ),
                        metadata=metadata,
                        timeout=10,
                    )
                elif roll < 0.87 and len(mine) > 5:
                    victim = mine.pop(rng.randrange(len(mine)))
                    await items.DeleteItem(
                        items_pb2.DeleteItemRequest(id=victim), metadata=metadata, timeout=10
                    )
                elif roll < 0.95:
                    await users.GetMe(users_pb2.GetMeRequest(), metadata=metadata, timeout=10)
                else:
                    await agent.ListAnalyses(
                        agent_pb2.ListAnalysesRequest(page_size=10), metadata=metadata, timeout=10
                    )
                latencies.append(time.monotonic() - started)
            except grpc.aio.AioRpcError as error:
                errors.append(f"{error.code().name}: {error.details()}")


async def soak(seconds: float, clients: int, database_url: str, tmp: Path) -> int:
    server = start_server_process(database_url, tmp)
    factory, container = user_factory(server.settings)
    try:
        metadatas = [(await factory()).metadata for _ in range(clients)]
        stop = asyncio.Event()
        latencies: list[float] = []
        errors: list[str] = []
        tasks = [
            asyncio.create_task(workload(server.address, metadatas[i], stop, latencies, errors, i))
            for i in range(clients)
        ]
        samples: list[tuple[float, int, int]] = []  # t, rss KiB, calls so far
        start = time.monotonic()
        interval = max(1.0, min(10.0, seconds / 30))
        while (now := time.monotonic() - start) < seconds:
            samples.append((now, server.rss_kib(), len(latencies)))
            await asyncio.sleep(interval)
        samples.append((time.monotonic() - start, server.rss_kib(), len(latencies)))
        stop.set()
        await asyncio.gather(*tasks)
    finally:
        exit_code = server.stop()
        await container.aclose()

    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000 if ordered else 0.0

    warm = [s for s in samples if s[0] >= seconds * 0.25] or samples
    base = warm[0][1]
    drift = max(abs(s[1] - base) for s in warm) / base * 100 if base else 0.0
    print(
        f"soak: {seconds:.0f}s, {clients} clients, {len(latencies)} calls "
        f"({len(latencies) / seconds:.0f}/s), {len(errors)} errors"
    )
    print(f"latency ms: p50 {pct(0.50):.1f}  p99 {pct(0.99):.1f}  max {pct(1.0):.1f}")
    print("rss MiB over time: " + "  ".join(f"{t:.0f}s={r / 1024:.1f}" for t, r, _ in samples))
    print(f"rss drift after warm-up ({warm[0][0]:.0f}s on): {drift:.1f}% ; server exit {exit_code}")
    for line in sorted(set(errors))[:10]:
        print("  error:", line)
    ok = not errors and drift <= 10.0 and exit_code == 0
    print("soak:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 600)))
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    base = os.environ.get("OPENGOVFOOD_TEST_DATABASE_URL", "sqlite")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        with create_test_database(base, tmp) as database:
            migrate.upgrade(database.url)
            return asyncio.run(soak(args.seconds, args.clients, database.url, tmp))


if __name__ == "__main__":
    sys.exit(main())
