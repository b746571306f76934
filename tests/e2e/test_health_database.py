"""Health follows the database: cut it (through a TCP proxy, never the shared server),
and "", UserService and ItemService go NOT_SERVING; restore it and they come back."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.engine import make_url

from opengovfood.db import migrate
from support.databases import create_test_database
from support.server import make_settings, start_server, stop_server
from support.tcp_proxy import TcpProxy

PG_BASE = os.environ.get(
    "OPENGOVFOOD_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
# The server as a whole and the services that follow the database.
DATA_SERVICES = (
    "",
    "opengovfood.v1.UserService",
    "opengovfood.v1.ItemService",
    "opengovfood.v1.EstablishmentService",
)


def _postgres_reachable() -> bool:
    url = make_url(PG_BASE)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _postgres_reachable(), reason="PostgreSQL not reachable")


async def _wait_for(
    stub: health_pb2_grpc.HealthStub, service: str, want: int, limit: float
) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
        if reply.status == want:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"{service or '(server)'} did not become {want} within {limit}s")


async def test_health_follows_database_reachability(tmp_path: Path) -> None:
    with create_test_database(PG_BASE, tmp_path) as database:
        await migrate.upgrade_async(database.url)
        url = make_url(database.url)
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
        await proxy.start()
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        settings = make_settings(
            proxied, tmp_path, health_check_interval=0.3, db_connect_timeout=1.0
        )
        running = await start_server(settings)
        try:
            async with grpc.aio.insecure_channel(running.address) as channel:
                stub = health_pb2_grpc.HealthStub(channel)
                for name in DATA_SERVICES:
                    await _wait_for(stub, name, SERVING, 5)

                await proxy.cut()
                took = await _wait_for(stub, "", NOT_SERVING, 5)
                assert took < 5
                for name in DATA_SERVICES[1:]:
                    await _wait_for(stub, name, NOT_SERVING, 2)
                # The liveness probe's service stays SERVING: an outage is not a restart.
                reply = await stub.Check(health_pb2.HealthCheckRequest(service="liveness"))
                assert reply.status == SERVING

                await proxy.restore()
                for name in DATA_SERVICES:
                    await _wait_for(stub, name, SERVING, 5)
        finally:
            await stop_server(running)
            await proxy.close()
