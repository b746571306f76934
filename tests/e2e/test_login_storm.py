"""A burst of logins at the production bcrypt cost must not stall other RPCs."""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path

import grpc

from opengovfood.config import Settings
from opengovfood_client.v1 import users_pb2, users_pb2_grpc
from support.server import UserFactory, make_settings, start_server, stop_server


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


async def test_get_me_stays_fast_while_logins_run(settings: Settings, tmp_path: Path) -> None:
    running = await start_server(make_settings(settings.database_url, tmp_path, bcrypt_rounds=13))
    try:
        user = await UserFactory(running.app)()
        loop = asyncio.get_running_loop()
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)

            async def get_me() -> float:
                started = loop.time()
                await stub.GetMe(users_pb2.GetMeRequest(), metadata=user.metadata, timeout=10)
                return loop.time() - started

            idle = [await get_me() for _ in range(40)]
            started = loop.time()
            request = users_pb2.LoginRequest(email=user.email, password=user.password)
            # Generous deadline: on a busy machine the reniced bcrypt threads get less CPU.
            storm = asyncio.gather(*(stub.Login(request, timeout=120) for _ in range(4)))
            busy: list[float] = []
            while not storm.done():
                busy.append(await get_me())
            await storm
            storm_seconds = loop.time() - started
        # One cost-13 check takes about half a second: had bcrypt run on the event loop,
        # GetMe calls would have waited that long behind it.
        assert storm_seconds > 0.5, storm_seconds
        assert len(busy) >= 10, (len(busy), storm_seconds)
        # Median, not p99: on a loaded 2-core machine single calls can wait for the CPU;
        # a blocked loop would hold nearly every call behind a hash.
        assert statistics.median(busy) < 0.25, (p99(idle), p99(busy), storm_seconds)
    finally:
        await stop_server(running)
