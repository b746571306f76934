"""SIGTERM on a real `opengov-food serve` process: health goes NOT_SERVING first, the
slow RPC in flight completes, new work is refused, and the process exits 0."""

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

from opengovfood_client.v1 import users_pb2, users_pb2_grpc
from support.server import SECRET

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
