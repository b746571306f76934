"""SIGTERM on a real `opengov-food serve` process: health goes NOT_SERVING first, the
slow RPC in flight completes, new work is refused, and the process exits 0. And the
same graceful stop in process, watching its drain."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
import uuid
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from opengovfood.interceptors.drain import SHUTTING_DOWN
from opengovfood.serve import cleanup, stop_gracefully
from opengovfood_client.v1 import users_pb2, users_pb2_grpc
from support.databases import TestDatabase
from support.server import SECRET, make_settings, start_server

CLI = str(Path(sys.executable).parent / "opengov-food")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_sigterm_finishes_in_flight_rpc_and_exits_zero(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "OPENGOVFOOD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shutdown.db'}",
        "OPENGOVFOOD_ADDRESS": f"127.0.0.1:{port}",
        "OPENGOVFOOD_SECRET_KEY": SECRET,
        # A slow RPC: bcrypt at cost 14 takes about a second.
        "OPENGOVFOOD_BCRYPT_ROUNDS": "14",
        "OPENGOVFOOD_GRACE_PERIOD": "15",
        "OPENGOVFOOD_LOG_FORMAT": "console",
    }
    upgrade = await asyncio.create_subprocess_exec(CLI, "db", "upgrade", env=env)
    assert await upgrade.wait() == 0
    process = await asyncio.create_subprocess_exec(
        CLI, "serve", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        address = f"127.0.0.1:{port}"
        async with grpc.aio.insecure_channel(address) as channel:
            await asyncio.wait_for(channel.channel_ready(), 20)
            health = health_pb2_grpc.HealthStub(channel)
            watch = health.Watch(health_pb2.HealthCheckRequest(service=""))
            first = await asyncio.wait_for(watch.read(), 10)
            assert first.status == health_pb2.HealthCheckResponse.SERVING

            events: dict[str, float] = {}

            async def watch_for_not_serving() -> None:
                while True:
                    reply = await watch.read()
                    if reply is grpc.aio.EOF:
                        return
                    if reply.status == health_pb2.HealthCheckResponse.NOT_SERVING:
                        events.setdefault("not_serving", time.monotonic())

            watcher = asyncio.create_task(watch_for_not_serving())
            users = users_pb2_grpc.UserServiceStub(channel)
            register = asyncio.ensure_future(
                users.Register(
                    users_pb2.RegisterRequest(
                        email=f"late-{uuid.uuid4().hex[:8]}@example.org",
                        password="a slow password",
                        full_name="In Flight",
                    ),
                    timeout=30,
                )
            )
            await asyncio.sleep(0.3)  # the Register is hashing now
            assert not register.done()
            process.send_signal(signal.SIGTERM)

            user = await register
            events["register_done"] = time.monotonic()
            assert user.id > 0
            await asyncio.wait_for(asyncio.shield(watcher), 10)
            assert "not_serving" in events, "health never went NOT_SERVING"
            assert events["not_serving"] < events["register_done"]

            # Calls made once shutdown began are refused, not queued.
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await health.Check(health_pb2.HealthCheckRequest(), timeout=2)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        exit_code = await asyncio.wait_for(process.wait(), 20)
        output = (await process.stdout.read()).decode() if process.stdout else ""
        assert exit_code == 0, output
        assert "stopped" in output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_graceful_stop_refuses_new_calls_and_waits_for_the_ones_in_flight(
    test_database: TestDatabase, tmp_path: Path
) -> None:
    """New calls get UNAVAILABLE with a retry hint while the call in flight completes,
    and the server stops right after it, not at the end of the grace period."""
    settings = make_settings(test_database.url, tmp_path, bcrypt_rounds=13, grace_period=30)
    running = await start_server(settings)
    drain = running.app.drain
    stopping: asyncio.Task[None] | None = None
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            users = users_pb2_grpc.UserServiceStub(channel)
            register = asyncio.ensure_future(
                users.Register(
                    users_pb2.RegisterRequest(
                        email=f"drain-{uuid.uuid4().hex[:8]}@example.org",
                        password="a slow password",
                        full_name="In Flight",
                    ),
                    timeout=30,
                )
            )
            for _ in range(100):  # the Register is in its handler (hashing) within 1 s
                if drain.in_flight:
                    break
                await asyncio.sleep(0.01)
            assert drain.in_flight == 1
            stopping = asyncio.create_task(stop_gracefully(running.app, settings.grace_period))
            while not drain.draining:  # noqa: ASYNC110 - one loop turn or two
                await asyncio.sleep(0)

            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await users.Login(
                    users_pb2.LoginRequest(email="nobody@example.org", password="x"), timeout=5
                )
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            assert refused.value.details() == SHUTTING_DOWN
            assert not stopping.done(), "stopped with a call in flight"

            user = await register
            assert user.id > 0
            started = time.monotonic()
            await asyncio.wait_for(asyncio.shield(stopping), 5)
            assert time.monotonic() - started < 2.0  # drained, not the 30 s grace
            assert drain.in_flight == 0
    finally:
        if stopping is None:
            stopping = asyncio.create_task(stop_gracefully(running.app, 1.0))
        await stopping
        await cleanup(running.app)
