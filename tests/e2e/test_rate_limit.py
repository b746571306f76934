"""Token buckets in memory and in Redis, and the limits on the real server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from redis.asyncio import Redis

from opengovfood.config import Settings
from opengovfood.services.rate_limit import Buckets, MemoryBuckets, RedisBuckets, client_key
from opengovfood_client.v1 import users_pb2, users_pb2_grpc
from support.auth import login, unique_email
from support.rpc_errors import retry_delay, rpc_error
from support.server import RunningServer, UserFactory, make_settings, start_server, stop_server

REDIS_URL = "redis://127.0.0.1:6379/0"
EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A random key prefix; every key under it is deleted afterwards."""
    prefix = f"ogf-test:{uuid.uuid4().hex}:"
    yield prefix
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def buckets(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[Buckets]:
    made: Buckets = (
        MemoryBuckets()
        if request.param == "memory"
        else RedisBuckets.from_url(REDIS_URL, redis_prefix)
    )
    yield made
    await made.close()


async def test_bucket_trips_and_recovers(buckets: Buckets) -> None:
    rate, burst = 2.0, 3  # one token back every 0.5 s
    assert [await buckets.take("k", rate, burst) for _ in range(burst)] == [0.0] * burst
    wait = await buckets.take("k", rate, burst)
    assert 0 < wait <= 0.5 + 1e-6
    assert await buckets.take("other", rate, burst) == 0.0  # keys are independent
    await asyncio.sleep(wait + 0.02)
    assert await buckets.take("k", rate, burst) == 0.0
    assert await buckets.take("k", rate, burst) > 0


async def test_redis_buckets_are_shared_between_processes(redis_prefix: str) -> None:
    """Two limiters on one Redis stand for two workers: they share every bucket."""
    first = RedisBuckets.from_url(REDIS_URL, redis_prefix)
    second = RedisBuckets.from_url(REDIS_URL, redis_prefix)
    try:
        assert await first.take("shared", 0.01, 2) == 0.0
        assert await second.take("shared", 0.01, 2) == 0.0
        assert await first.take("shared", 0.01, 2) > 0
        assert await second.take("shared", 0.01, 2) > 0
    finally:
        await first.close()
        await second.close()
    client = Redis.from_url(REDIS_URL)
    try:
        ttl = await client.pttl(f"{redis_prefix}shared")
        assert 0 < ttl <= 2 / 0.01 * 1000 + 1000  # keys expire once they would be full
    finally:
        await client.aclose()


async def test_redis_outage_falls_back_to_local_buckets() -> None:
    unreachable = RedisBuckets.from_url("redis://127.0.0.1:1/0", "ogf-test:")
    try:
        assert await unreachable.take("k", 1.0, 1) == 0.0
        assert await unreachable.take("k", 1.0, 1) > 0  # still limited, per process
    finally:
        await unreachable.close()


def test_memory_buckets_stay_bounded() -> None:
    buckets = MemoryBuckets(max_keys=100)
    for index in range(1000):
        buckets.take_now(f"k{index}", 1000.0, 5)
    assert len(buckets._buckets) <= 100


@pytest.mark.parametrize(
    ("peer", "key"),
    [
        ("ipv4:10.1.2.3:5555", "10.1.2.3"),
        ("ipv6:[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"),
        ("ipv6:[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"),
        ("unix:/tmp/socket", "unix:/tmp/socket"),
    ],
)
def test_client_key(peer: str, key: str) -> None:
    assert client_key(peer) == key


# --- on the server -------------------------------------------------------------------
async def limited_server(settings: Settings, tmp_path: Path, **overrides: object) -> RunningServer:
    values: dict[str, object] = {"login_rate_per_minute": 60.0, "login_burst": 2}
    values.update(overrides)
    return await start_server(make_settings(settings.database_url, tmp_path, **values))


async def test_login_limit_per_email_trips_with_retry_info_and_recovers(
    settings: Settings, tmp_path: Path
) -> None:
    running = await limited_server(settings, tmp_path)
    try:
        user = await UserFactory(running.app)()
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            await login(stub, user.email, user.password)
            await rpc_error(
                login(stub, user.email, "a wrong password"), grpc.StatusCode.UNAUTHENTICATED
            )
            error = await rpc_error(login(stub, user.email, user.password), EXHAUSTED)
            assert error.details() == "too many login attempts; retry later"
            delay = retry_delay(error)
            assert delay is not None
            assert 0 < delay <= 1.0
            await asyncio.sleep(delay + 0.05)
            assert (await login(stub, user.email, user.password)).access_token
    finally:
        await stop_server(running)


async def test_login_limit_per_address(settings: Settings, tmp_path: Path) -> None:
    """Many emails from one address: the address bucket trips."""
    running = await limited_server(settings, tmp_path, login_burst=3)
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            for _ in range(3):
                await rpc_error(
                    login(stub, unique_email(), "password 123"), grpc.StatusCode.UNAUTHENTICATED
                )
            error = await rpc_error(login(stub, unique_email(), "password 123"), EXHAUSTED)
            assert retry_delay(error) is not None
    finally:
        await stop_server(running)


async def test_register_is_limited(settings: Settings, tmp_path: Path) -> None:
    running = await limited_server(settings, tmp_path, login_burst=1)
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            request = users_pb2.RegisterRequest(email=unique_email(), password="password 123")
            await stub.Register(request)
            error = await rpc_error(
                stub.Register(
                    users_pb2.RegisterRequest(email=unique_email(), password="password 123")
                ),
                EXHAUSTED,
            )
            assert error.details() == "too many register attempts; retry later"
    finally:
        await stop_server(running)


async def test_change_password_guesses_are_limited(settings: Settings, tmp_path: Path) -> None:
    running = await limited_server(settings, tmp_path, login_burst=2)
    try:
        user = await UserFactory(running.app)()
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            request = users_pb2.ChangePasswordRequest(
                current_password="guess 1234", new_password="new password 1"
            )
            for _ in range(2):
                await rpc_error(
                    stub.ChangePassword(request, metadata=user.metadata),
                    grpc.StatusCode.INVALID_ARGUMENT,
                )
            await rpc_error(stub.ChangePassword(request, metadata=user.metadata), EXHAUSTED)
    finally:
        await stop_server(running)


async def test_login_limits_are_shared_through_redis(
    settings: Settings, tmp_path: Path, redis_prefix: str
) -> None:
    """Two servers (two workers) on one Redis: attempts on either count for both."""
    shared = {"redis_url": REDIS_URL, "redis_key_prefix": redis_prefix}
    first = await limited_server(settings, tmp_path / "a", **shared)
    second = await limited_server(settings, tmp_path / "b", **shared)
    try:
        user = await UserFactory(first.app)()
        async with (
            grpc.aio.insecure_channel(first.address) as channel_a,
            grpc.aio.insecure_channel(second.address) as channel_b,
        ):
            stub_a = users_pb2_grpc.UserServiceStub(channel_a)
            stub_b = users_pb2_grpc.UserServiceStub(channel_b)
            await login(stub_a, user.email, user.password)
            await login(stub_b, user.email, user.password)
            error = await rpc_error(login(stub_a, user.email, user.password), EXHAUSTED)
            await rpc_error(login(stub_b, user.email, user.password), EXHAUSTED)
            delay = retry_delay(error)
            assert delay is not None
            await asyncio.sleep(delay + 0.05)
            assert (await login(stub_b, user.email, user.password)).access_token
    finally:
        await stop_server(first)
        await stop_server(second)


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_per_principal_rpc_limit(
    settings: Settings, tmp_path: Path, redis_prefix: str, backend: str
) -> None:
    overrides: dict[str, object] = {"rpc_rate_per_second": 1.0, "rpc_burst": 3}
    if backend == "redis":
        overrides |= {"redis_url": REDIS_URL, "redis_key_prefix": redis_prefix}
    running = await start_server(make_settings(settings.database_url, tmp_path, **overrides))
    try:
        factory = UserFactory(running.app)
        busy, calm = await factory(), await factory()
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            for _ in range(3):
                await stub.GetMe(users_pb2.GetMeRequest(), metadata=busy.metadata)
            error = await rpc_error(
                stub.GetMe(users_pb2.GetMeRequest(), metadata=busy.metadata), EXHAUSTED
            )
            delay = retry_delay(error)
            assert delay is not None
            assert 0 < delay <= 1.0 + 1e-6
            # Other principals have their own bucket; public methods are not counted here.
            await stub.GetMe(users_pb2.GetMeRequest(), metadata=calm.metadata)
            await asyncio.sleep(delay + 0.05)
            await stub.GetMe(users_pb2.GetMeRequest(), metadata=busy.metadata)
    finally:
        await stop_server(running)
