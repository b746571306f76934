"""Login limits slow an attacker without locking the owner out (issue 19, finding 5).

Two other addresses guess one account's password as fast as they may while the owner
signs in from their own address: every one of the owner's sign-ins succeeds. Past five
consecutive failures an (email, address) pair backs off exponentially; a success clears
it. The per-email ceiling counts failures only and caps guesses from many addresses.
The same holds with the limits shared through Redis. Other addresses are real: the
attackers' connections come from 127.0.0.2 and 127.0.0.3 through a TCP proxy.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from opengovfood.config import Settings
from opengovfood.services.rate_limit import Buckets, MemoryBuckets, RedisBuckets
from opengovfood_client.v1 import users_pb2, users_pb2_grpc
from support.rpc_errors import retry_delay
from support.server import (
    RunningServer,
    TestUser,
    UserFactory,
    make_settings,
    start_server,
    stop_server,
)
from support.tcp_proxy import TcpProxy

REDIS_URL = "redis://127.0.0.1:6379/0"
OK, EXHAUSTED, UNAUTH = (
    grpc.StatusCode.OK,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.UNAUTHENTICATED,
)


def limited_settings(base: Settings, tmp: Path, **overrides: object) -> Settings:
    """The default limits' shape at 60x the speed, so a test takes seconds: 10 tries a
    second per address and per (email, address), burst 5; the per-email ceiling as
    shipped relative to it (10x)."""
    values: dict[str, object] = {
        "login_rate_per_minute": 600,
        "login_burst": 5,
        "login_email_rate_per_minute": 6000,
        "login_email_burst": 50,
        **overrides,
    }
    return make_settings(base.database_url, tmp, **values)


@pytest.fixture(params=["memory", "redis"])
async def limited(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> AsyncIterator[RunningServer]:
    extra: dict[str, object] = {}
    if request.param == "redis":
        extra = {"redis_url": REDIS_URL, "redis_key_prefix": f"ogf-test:{uuid.uuid4().hex}:"}
    running = await start_server(limited_settings(settings, tmp_path, **extra))
    yield running
    await stop_server(running)


async def attempt(
    stub: users_pb2_grpc.UserServiceStub, email: str, password: str
) -> grpc.StatusCode:
    try:
        await stub.Login(users_pb2.LoginRequest(email=email, password=password), timeout=10)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return OK


async def test_the_owner_signs_in_while_two_other_addresses_guess(limited: RunningServer) -> None:
    victim: TestUser = await UserFactory(limited.app)()
    port = int(limited.address.rsplit(":", 1)[1])
    proxies = [TcpProxy("127.0.0.1", port, source_host=f"127.0.0.{n}") for n in (2, 3)]
    for proxy in proxies:
        await proxy.start()
    guesses: list[grpc.StatusCode] = []
    stop = asyncio.Event()

    async def guess(proxy: TcpProxy) -> None:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{proxy.port}") as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            n = 0
            while not stop.is_set():
                n += 1
                guesses.append(await attempt(stub, victim.email, f"guess number {n}"))
                await asyncio.sleep(0.02)  # 50 guesses a second per address, if allowed

    attackers = [asyncio.create_task(guess(p)) for p in proxies]
    try:
        await asyncio.sleep(0.3)  # the attack is under way
        owner: list[grpc.StatusCode] = []
        async with grpc.aio.insecure_channel(limited.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            for _ in range(18):
                owner.append(await attempt(stub, victim.email, victim.password))
                await asyncio.sleep(0.15)
    finally:
        stop.set()
        await asyncio.gather(*attackers)
        for proxy in proxies:
            await proxy.close()
    assert owner == [OK] * 18, owner
    # The attackers were slowed: most of their attempts never reached a password check.
    assert guesses.count(EXHAUSTED) > guesses.count(UNAUTH), (
        guesses.count(EXHAUSTED),
        guesses.count(UNAUTH),
    )
    assert OK not in guesses


async def test_failures_back_off_exponentially_and_a_success_clears_them(
    limited: RunningServer,
) -> None:
    user: TestUser = await UserFactory(limited.app)()
    async with grpc.aio.insecure_channel(limited.address) as channel:
        stub = users_pb2_grpc.UserServiceStub(channel)
        for _ in range(5):  # five failures are free
            assert await attempt(stub, user.email, "wrong password 1") == UNAUTH
            await asyncio.sleep(0.12)  # stay under the pair's 10 a second
        assert await attempt(stub, user.email, "wrong password 1") == UNAUTH  # 6th: counted
        with pytest.raises(grpc.aio.AioRpcError) as info:  # the pair backs off
            await stub.Login(users_pb2.LoginRequest(email=user.email, password=user.password))
        assert info.value.code() == EXHAUSTED
        assert 0 < (retry_delay(info.value) or 0) <= 1.0
        await asyncio.sleep(1.05)
        assert await attempt(stub, user.email, "wrong password 1") == UNAUTH  # 7th
        started = time.monotonic()
        codes = []
        for _ in range(40):  # polls until the 2 s wait is over
            codes.append(await attempt(stub, user.email, user.password))
            if codes[-1] != EXHAUSTED:
                break
            await asyncio.sleep(0.1)
        assert codes[-1] == OK
        assert time.monotonic() - started > 1.5
        # The success cleared the backoff: a typo now is free again.
        assert await attempt(stub, user.email, "wrong password 1") == UNAUTH
        assert await attempt(stub, user.email, user.password) == OK


async def test_the_per_email_ceiling_caps_guesses_from_many_addresses(
    settings: Settings, tmp_path: Path
) -> None:
    running = await start_server(
        limited_settings(settings, tmp_path, login_email_rate_per_minute=1, login_email_burst=4)
    )
    proxies: list[TcpProxy] = []
    try:
        user: TestUser = await UserFactory(running.app)()
        port = int(running.address.rsplit(":", 1)[1])
        codes = []
        for n in range(2, 8):  # six addresses, one guess each
            proxy = TcpProxy("127.0.0.1", port, source_host=f"127.0.0.{n}")
            await proxy.start()
            proxies.append(proxy)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{proxy.port}") as channel:
                codes.append(
                    await attempt(users_pb2_grpc.UserServiceStub(channel), user.email, "x" * 9)
                )
        assert codes == [UNAUTH] * 4 + [EXHAUSTED] * 2
    finally:
        for proxy in proxies:
            await proxy.close()
        await stop_server(running)


@pytest.fixture(params=["memory", "redis"])
async def buckets(request: pytest.FixtureRequest) -> AsyncIterator[Buckets]:
    made: Buckets = (
        MemoryBuckets()
        if request.param == "memory"
        else RedisBuckets.from_url(REDIS_URL, f"ogf-test:{uuid.uuid4().hex}:")
    )
    yield made
    await made.close()


async def test_backoff_doubles_and_clears(buckets: Buckets) -> None:
    for _ in range(2):
        await buckets.backoff_fail("pair", 2, 900.0)
    assert await buckets.backoff_wait("pair") == 0.0  # two failures are free
    await buckets.backoff_fail("pair", 2, 900.0)
    assert 0.9 < await buckets.backoff_wait("pair") <= 1.0
    await buckets.backoff_fail("pair", 2, 900.0)
    assert 1.9 < await buckets.backoff_wait("pair") <= 2.0
    assert await buckets.backoff_wait("other") == 0.0
    await buckets.backoff_clear("pair")
    assert await buckets.backoff_wait("pair") == 0.0


async def test_peeking_takes_no_token(buckets: Buckets) -> None:
    for _ in range(5):
        assert await buckets.take("ceiling", 0.01, 1, cost=0) == 0.0
    assert await buckets.take("ceiling", 0.01, 1) == 0.0
    assert await buckets.take("ceiling", 0.01, 1, cost=0) > 0
