"""Auth figures: login throughput at the default bcrypt cost, GetMe latency alone and
while logins run, and the auth interceptor's cost per RPC.

    .venv/bin/python bench/extra/auth.py [--rounds 12] [--database-url URL]

Uses a temporary SQLite database unless --database-url names a migrated one.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import grpc

from opengovfood import serve
from opengovfood.app import App, build_server
from opengovfood.config import Settings
from opengovfood.db import migrate
from opengovfood.domain.users import NewUser
from opengovfood.interceptors.auth import AuthInterceptor
from opengovfood.repositories.users import UserRepository
from opengovfood_client.v1 import users_pb2, users_pb2_grpc

PASSWORD = "benchmark password"


def percentile(samples: list[float], pct: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


async def make_user(app: App) -> tuple[str, tuple[tuple[str, str], ...]]:
    container = app.container
    email = f"bench-{uuid.uuid4().hex[:10]}@example.org"
    hashed = await container.passwords.hash(PASSWORD)
    user = await UserRepository(container.engine).add(NewUser(email, hashed, "", True, False))
    user_id = user.id
    token = (await container.users.start_session(user_id)).access_token  # names a sign-in
    return email, (("authorization", f"Bearer {token}"),)


async def get_me_latencies(
    stub: users_pb2_grpc.UserServiceAsyncStub, metadata: Any, count: int
) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await stub.GetMe(users_pb2.GetMeRequest(), metadata=metadata)
        samples.append(time.perf_counter() - started)
    return samples


class _Context:
    """Just enough of a ServicerContext for the interceptor."""

    def __init__(self, metadata: Any) -> None:
        self._metadata = metadata

    def invocation_metadata(self) -> Any:
        return self._metadata


async def interceptor_cost(app: App, metadata: Any, count: int = 20_000) -> float:
    interceptor = AuthInterceptor(app.container.authenticator.authenticate)

    async def behavior(request: Any, context: Any) -> Any:
        return request

    wrapped = interceptor.wrap_unary("/opengovfood.v1.UserService/GetMe", behavior)
    context: Any = _Context(metadata)
    await wrapped(None, context)  # fill the caches
    started = time.perf_counter()
    for _ in range(count):
        await wrapped(None, context)
    with_auth = (time.perf_counter() - started) / count
    started = time.perf_counter()
    for _ in range(count):
        await behavior(None, context)
    bare = (time.perf_counter() - started) / count
    return (with_auth - bare) * 1e6


async def run(rounds: int, database_url: str, tmp: Path) -> None:
    settings = Settings(
        database_url=database_url,
        address="127.0.0.1:0",
        secret_key="benchmark-secret-key-that-is-long-enough-01234",
        bcrypt_rounds=rounds,
        access_log=False,
        login_rate_per_minute=1e9,
        login_burst=1_000_000,
        secret_key_file=tmp / "secret",
    )
    app = build_server(settings)
    port = app.server.add_insecure_port(settings.address)
    await serve.start(app)
    try:
        email, metadata = await make_user(app)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            request = users_pb2.LoginRequest(email=email, password=PASSWORD)

            await get_me_latencies(stub, metadata, 50)  # warm up
            logins = 16
            started = time.perf_counter()
            await asyncio.gather(*(stub.Login(request) for _ in range(logins)))
            elapsed = time.perf_counter() - started
            print(f"login throughput (cost {rounds}): {logins / elapsed:.1f}/s")

            idle = await get_me_latencies(stub, metadata, 500)
            print(
                f"GetMe idle: p50 {percentile(idle, 50) * 1e3:.2f} ms, "
                f"p99 {percentile(idle, 99) * 1e3:.2f} ms"
            )

            stop = asyncio.Event()

            async def login_forever() -> None:
                while not stop.is_set():
                    await stub.Login(request)

            workers = [asyncio.create_task(login_forever()) for _ in range(4)]
            await asyncio.sleep(0.2)
            loaded = await get_me_latencies(stub, metadata, 500)
            stop.set()
            await asyncio.gather(*workers)
            ratio = percentile(loaded, 99) / percentile(idle, 99)
            print(
                f"GetMe with 4 logins running: p50 {percentile(loaded, 50) * 1e3:.2f} ms, "
                f"p99 {percentile(loaded, 99) * 1e3:.2f} ms ({ratio:.2f}x idle p99)"
            )
        cost = await interceptor_cost(app, metadata)
        print(f"auth interceptor, cached principal: {cost:.1f} µs/RPC")
    finally:
        await serve.stop(app, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=12, help="bcrypt cost (default 12)")
    parser.add_argument("--database-url", help="a migrated database; default: temporary SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        url = args.database_url
        if url is None:
            url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
            migrate.upgrade(url)
        asyncio.run(run(args.rounds, url, tmp))


if __name__ == "__main__":
    main()
