"""Finding 1 of issue 19: can one signed-in user stall everyone with huge inputs?

Starts `opengov-food serve` (SQLite, one process, pinned to the first core when it can),
measures another user's GetMe latency alone, then again while one user sends ~4 MB
titles and descriptions (CreateItem, UpdateItem) back to back from a second process
pinned to the other core. Prints p50/p99 of GetMe in both phases and what the big
requests were answered.

    .venv/bin/python bench/extra/input_stall.py [--seconds 10] [--size 4000000]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import grpc
from google.protobuf import field_mask_pb2

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.processes import Managed, free_port, wait_serving  # noqa: E402
from opengovfood_client.v1 import (  # noqa: E402
    items_pb2,
    items_pb2_grpc,
    users_pb2,
    users_pb2_grpc,
)

PASSWORD = "benchmark password 1"
CLI = str(Path(sys.executable).parent / "opengov-food")


def sign_in(address: str) -> tuple[tuple[str, str], ...]:
    """A real sign-in (Register + Login), so the token is what clients get."""
    email = f"stall-{uuid.uuid4().hex[:10]}@example.org"
    with grpc.insecure_channel(address) as channel:
        stub = users_pb2_grpc.UserServiceStub(channel)
        stub.Register(users_pb2.RegisterRequest(email=email, password=PASSWORD, full_name="B"))
        pair = stub.Login(users_pb2.LoginRequest(email=email, password=PASSWORD))
    return (("authorization", f"Bearer {pair.access_token}"),)


def get_me_latencies(
    address: str, metadata: tuple[tuple[str, str], ...], seconds: float
) -> list[float]:
    samples: list[float] = []
    with grpc.insecure_channel(address) as channel:
        stub = users_pb2_grpc.UserServiceStub(channel)
        stub.GetMe(users_pb2.GetMeRequest(), metadata=metadata)  # connect first
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            stub.GetMe(users_pb2.GetMeRequest(), metadata=metadata, timeout=30)
            samples.append(time.perf_counter() - started)
            time.sleep(0.005)  # ~150 calls a second: a steady caller, not a load test
    return samples


def flood(
    address: str,
    metadata: tuple[tuple[str, str], ...],
    size: int,
    seconds: float,
    out: multiprocessing.Queue[dict[str, int]],
) -> None:
    """One user's huge titles and descriptions, one after another."""
    with contextlib.suppress(OSError):  # not allowed here: run unpinned
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    codes: Counter[str] = Counter()
    big = "a" * size
    options = [("grpc.max_send_message_length", 8 * 1024 * 1024)]
    with grpc.insecure_channel(address, options=options) as channel:
        stub = items_pb2_grpc.ItemServiceStub(channel)
        item = stub.CreateItem(
            items_pb2.CreateItemRequest(item=items_pb2.Item(title="x")), metadata=metadata
        )
        end = time.monotonic() + seconds
        turn = 0
        while time.monotonic() < end:
            turn += 1
            try:
                if turn % 2:
                    stub.CreateItem(
                        items_pb2.CreateItemRequest(
                            item=items_pb2.Item(title="t", description=big)
                        ),
                        metadata=metadata,
                        timeout=30,
                    )
                else:
                    stub.UpdateItem(
                        items_pb2.UpdateItemRequest(
                            item=items_pb2.Item(id=item.id, title=big),
                            update_mask=field_mask_pb2.FieldMask(paths=["title"]),
                        ),
                        metadata=metadata,
                        timeout=30,
                    )
                codes["OK"] += 1
            except grpc.RpcError as error:
                codes[error.code().name] += 1
    out.put(dict(codes))


def summary(name: str, samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    p = statistics.quantiles(ms, n=100, method="inclusive")
    rate = len(ms) / (sum(samples) + 0.005 * len(ms))
    return (
        f"{name:<34} n={len(ms):5d} ({rate:5.0f}/s)  p50={p[49]:8.1f} ms  "
        f"p99={p[98]:8.1f} ms  max={max(ms):8.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", type=int, default=4_000_000, help="characters per big field")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = f"sqlite+aiosqlite:///{tmp / 'stall.db'}"
        port = free_port()
        env = {
            "OPENGOVFOOD_DATABASE_URL": url,
            "OPENGOVFOOD_ADDRESS": f"127.0.0.1:{port}",
            "OPENGOVFOOD_SECRET_KEY": "input-stall-benchmark-secret-key-0123456789",
            "OPENGOVFOOD_SECRET_KEY_FILE": str(tmp / "secret"),
            "OPENGOVFOOD_BCRYPT_ROUNDS": "4",
            "OPENGOVFOOD_ACCESS_LOG": "false",
            "OPENGOVFOOD_LOGIN_RATE_PER_MINUTE": "10000",
            "OPENGOVFOOD_LOGIN_BURST": "10000",
            "OPENGOVFOOD_MAX_MESSAGE_BYTES": str(8 * 1024 * 1024),
            "OPENGOVFOOD_LLM_WARM_UP": "false",
        }
        subprocess.run(
            [CLI, "db", "upgrade"], env={**os.environ, **env}, check=True, capture_output=True
        )
        server = Managed(
            "server", [CLI, "serve"], tmp, env=env, cores=cores[:1] if len(cores) > 1 else None
        )
        try:
            address = f"127.0.0.1:{port}"
            wait_serving(address, proc=server.proc)
            victim, attacker = sign_in(address), sign_in(address)
            alone = get_me_latencies(address, victim, args.seconds)
            queue: multiprocessing.Queue[dict[str, int]] = multiprocessing.Queue()
            flooder = multiprocessing.Process(
                target=flood, args=(address, attacker, args.size, args.seconds + 1, queue)
            )
            flooder.start()
            time.sleep(0.5)
            under = get_me_latencies(address, victim, args.seconds)
            codes = queue.get(timeout=120)
            flooder.join()
        finally:
            server.stop()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(summary("GetMe alone", alone))
    print(summary(f"GetMe while {args.size / 1e6:.1f} MB inputs arrive", under))
    print(f"big requests answered: {codes}")


if __name__ == "__main__":
    main()
