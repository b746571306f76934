"""The load generator: one process, pinned to its own core, driving any target.

It reads one JSON job per line on stdin and answers one JSON result per line on
stdout, so the same process (and the same client code) measures the reference
and our server. Requests travel as pre-serialized bytes and responses are not
parsed (identity serializers): the client spends its CPU on gRPC, not protobuf.

Workload kinds:
- `unary`: closed loop (`concurrency` callers back to back) or, with `rate`, an
  open loop that starts calls at fixed intervals; latency counts from the
  intended start, so a stalled server is not hidden (no coordinated omission).
- `update_chain`: each caller updates its own item with the etag the previous
  update returned (UpdateItem with etag).
- `stream_first`: server-streaming call; latency to the first message.
- `watch`: one WatchItems stream; `rate` CreateItem calls per second; latency
  from sending the CreateItem to the matching event (and, as `extra`, from its
  reply to the event: about zero or negative when the event leaves at commit).
  With `watchers` N > 1, N - 1 more streams watch too (spread over the channels)
  and only drain what they get: the server fans every event out to all N.

A job runs `warmup` seconds unrecorded, then `duration` seconds recorded. Server
and client CPU time come from /proc for the recorded window.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import grpc

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its threads."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += cpu_seconds(pid)
    return total


def database_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving `database` (its title names it)."""
    found: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                title = handle.read()
            if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
                found[int(entry)] = cpu_seconds(int(entry))
    return found


@dataclass
class Recorder:
    record_from: float
    stop_at: float
    latencies: list[float] = field(default_factory=list)
    extra: list[float] = field(default_factory=list)
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def add(self, started: float, ended: float, error: str | None) -> None:
        # Completions inside the window count, so calls slower than the warmup do too.
        if not self.record_from <= ended <= self.stop_at:
            return
        if error is None:
            self.ok += 1
            self.latencies.append(ended - started)
        else:
            self.errors[error] += 1


def _metadata(spec: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in spec.get("metadata", []))


async def _unary_closed(
    call: Any, requests: list[bytes], metadata: Any, offset: int, rec: Recorder
) -> None:
    perf = time.perf_counter
    n = len(requests)
    i = offset
    while True:
        started = perf()
        if started >= rec.stop_at:
            return
        error = None
        try:
            await call(requests[i % n], metadata=metadata, timeout=30)
        except grpc.aio.AioRpcError as exc:
            error = exc.code().name
        rec.add(started, perf(), error)
        i += 1


async def _unary_open(
    call: Any, requests: list[bytes], metadata: Any, rate: float, start: float, rec: Recorder
) -> None:
    perf = time.perf_counter
    pending: set[asyncio.Task[None]] = set()

    async def one(request: bytes, intended: float) -> None:
        error = None
        try:
            await call(request, metadata=metadata, timeout=30)
        except grpc.aio.AioRpcError as exc:
            error = exc.code().name
        rec.add(intended, perf(), error)

    for k in itertools.count():
        intended = start + k / rate
        if intended >= rec.stop_at:
            break
        delay = intended - perf()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(requests[k % len(requests)], intended))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending, timeout=30)


async def _update_chain(
    channel: grpc.aio.Channel, spec: dict[str, Any], slot: int, rec: Recorder
) -> None:
    from google.protobuf import field_mask_pb2

    from opengovfood_client.v1 import items_pb2, items_pb2_grpc

    stub = items_pb2_grpc.ItemServiceStub(channel)
    metadata = _metadata(spec)
    item_id, etag = spec["items"][slot]
    mask = field_mask_pb2.FieldMask(paths=["title"])
    perf = time.perf_counter
    for n in itertools.count():
        started = perf()
        if started >= rec.stop_at:
            return
        request = items_pb2.UpdateItemRequest(
            item=items_pb2.Item(id=item_id, title=f"bench {slot} {n}", etag=etag),
            update_mask=mask,
        )
        error = None
        try:
            item = await stub.UpdateItem(request, metadata=metadata, timeout=30)
            etag = item.etag
        except grpc.aio.AioRpcError as exc:
            error = exc.code().name
        rec.add(started, perf(), error)


async def _stream_first(
    call: Any, requests: list[bytes], metadata: Any, offset: int, rec: Recorder
) -> None:
    perf = time.perf_counter
    i = offset
    while True:
        started = perf()
        if started >= rec.stop_at:
            return
        first: float | None = None
        error = None
        try:
            async for _message in call(requests[i % len(requests)], metadata=metadata, timeout=60):
                if first is None:
                    first = perf()
        except grpc.aio.AioRpcError as exc:
            error = exc.code().name
        ended = perf()
        if error is None and first is not None:
            rec.add(started, first, None)
            rec.extra.append(ended - started)
        else:
            rec.add(started, ended, error or "NO_MESSAGE")
        i += 1


async def _watch(channels: list[grpc.aio.Channel], spec: dict[str, Any], rec: Recorder) -> None:
    from opengovfood_client.v1 import items_pb2, items_pb2_grpc

    stub = items_pb2_grpc.ItemServiceStub(channels[0])
    metadata = _metadata(spec)
    perf = time.perf_counter
    seen: dict[str, float] = {}
    arrived = asyncio.Event()
    stream = stub.WatchItems(items_pb2.WatchItemsRequest(), metadata=metadata)

    async def read() -> None:
        async for event in stream:
            seen[event.item.title] = perf()
            arrived.set()

    reader = asyncio.create_task(read())
    others = [
        channels[(n + 1) % len(channels)].unary_stream(
            "/opengovfood.v1.ItemService/WatchItems", None, None
        )(items_pb2.WatchItemsRequest().SerializeToString(), metadata=metadata)
        for n in range(spec.get("watchers", 1) - 1)
    ]

    async def drain(call: Any) -> None:
        with contextlib.suppress(grpc.aio.AioRpcError, asyncio.CancelledError):
            async for _ in call:
                pass

    drains = [asyncio.create_task(drain(call)) for call in others]
    await asyncio.sleep(0.5 + len(others) / 500)  # let the streams subscribe first
    interval = 1.0 / spec["rate"]
    try:
        for n in itertools.count():
            if perf() >= rec.stop_at:
                break
            title = f"watch {os.getpid()} {n}"
            sent = perf()
            await stub.CreateItem(
                items_pb2.CreateItemRequest(item=items_pb2.Item(title=title)),
                metadata=metadata,
                timeout=30,
            )
            committed = perf()
            deadline = committed + 5.0
            while title not in seen and perf() < deadline:
                arrived.clear()
                try:
                    await asyncio.wait_for(arrived.wait(), deadline - perf())
                except TimeoutError:
                    break
            if title in seen:
                # Write sent -> event; and reply -> event, negative when the event
                # overtakes the reply (the server publishes at commit).
                rec.add(sent, seen[title], None)
                rec.extra.append(seen[title] - committed)
            else:
                rec.errors["NO_EVENT"] += 1
            await asyncio.sleep(max(0.0, sent + interval - perf()))
    finally:
        stream.cancel()
        reader.cancel()
        for call in others:
            call.cancel()
        for task in drains:
            task.cancel()


async def run_job(job: dict[str, Any]) -> dict[str, Any]:
    channels = [
        grpc.aio.insecure_channel(job["target"], options=[("grpc.use_local_subchannel_pool", 1)])
        for _ in range(job.get("channels", 4))
    ]
    try:
        for ch in channels:
            await asyncio.wait_for(ch.channel_ready(), 10)
        now = time.perf_counter()
        record_from = now + job.get("warmup", 1.0)
        stop_at = record_from + job["duration"]
        recorders: list[Recorder] = []
        tasks: list[Any] = []
        slot = 0
        for spec in job["workloads"]:
            rec = Recorder(record_from, stop_at)
            recorders.append(rec)
            kind = spec.get("kind", "unary")
            requests = [base64.b64decode(r) for r in spec.get("requests", [""])]
            metadata = _metadata(spec)
            concurrency = spec.get("concurrency", 1)
            if kind == "watch":
                tasks.append(_watch(channels, spec, rec))
                continue
            if kind == "unary" and spec.get("rate"):
                call = channels[slot % len(channels)].unary_unary(spec["method"], None, None)
                slot += 1
                tasks.append(_unary_open(call, requests, metadata, spec["rate"], now, rec))
                continue
            for c in range(concurrency):
                channel = channels[slot % len(channels)]
                slot += 1
                if kind == "unary":
                    call = channel.unary_unary(spec["method"], None, None)
                    tasks.append(_unary_closed(call, requests, metadata, c * 7919, rec))
                elif kind == "update_chain":
                    tasks.append(_update_chain(channel, spec, c, rec))
                elif kind == "stream_first":
                    stream_call = channel.unary_stream(spec["method"], None, None)
                    tasks.append(_stream_first(stream_call, requests, metadata, c, rec))
                else:
                    raise ValueError(f"unknown workload kind {kind!r}")

        server_pids: list[int] = job.get("server_pids", [])
        database: str | None = job.get("database")

        async def window_cpu() -> tuple[float, float, float, float | None]:
            await asyncio.sleep(max(0.0, record_from - time.perf_counter()))
            d0 = database_cpu(database) if database else {}
            s0, c0, t0 = (
                tree_cpu_seconds(server_pids),
                cpu_seconds(os.getpid()),
                time.perf_counter(),
            )
            await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
            s1, c1, t1 = (
                tree_cpu_seconds(server_pids),
                cpu_seconds(os.getpid()),
                time.perf_counter(),
            )
            d1 = database_cpu(database) if database else {}
            db = sum(v - d0.get(pid, 0.0) for pid, v in d1.items()) if database else None
            return s1 - s0, c1 - c0, t1 - t0, db

        cpu_task = asyncio.create_task(window_cpu())
        await asyncio.gather(*tasks)
        server_cpu, client_cpu, wall, db_cpu = await cpu_task
    finally:
        for ch in channels:
            await ch.close(None)
    return {
        "wall": wall,
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
        "db_cpu": db_cpu,
        "workloads": [
            {
                "name": spec.get("name", "main"),
                "ok": rec.ok,
                "errors": dict(rec.errors),
                "latencies": rec.latencies,
                "extra": rec.extra,
            }
            for spec, rec in zip(job["workloads"], recorders, strict=True)
        ],
    }


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        job = json.loads(line)
        try:
            result = await run_job(job)
        except Exception as exc:  # noqa: BLE001 - report it to the driver, keep serving
            result = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
