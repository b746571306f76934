"""Load spreading: the client's service config balances over every address and
checks backends' health; the server ages connections so clients move to new replicas.
(Three replicas on PostgreSQL, with SIGTERM under load: tests/reliability/test_scale_out.py.)"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from opengovfood.app import server_options
from opengovfood_client import ChannelSettings
from opengovfood_client.aio import AsyncClient
from opengovfood_client.config import is_local_address, multi_address_target, service_config
from support import databases
from support.server import make_settings, start_server, stop_server
from support.tcp_proxy import TcpProxy


def test_default_service_config_is_round_robin_with_health_checks() -> None:
    config = service_config()
    assert config["loadBalancingConfig"] == [{"round_robin": {}}]
    assert config["healthCheckConfig"] == {"serviceName": "liveness"}
    options = dict(ChannelSettings().options(None))
    assert json.loads(options["grpc.service_config"]) == config
    plain = service_config(load_balancing=None, health_check_service=None)
    assert "loadBalancingConfig" not in plain
    assert "healthCheckConfig" not in plain


def test_multi_address_targets() -> None:
    addresses = ["127.0.0.1:5001", "127.0.0.1:5002", "127.0.0.1:5003"]
    target = multi_address_target(addresses)
    assert target == "ipv4:127.0.0.1:5001,127.0.0.1:5002,127.0.0.1:5003"
    assert multi_address_target(["[::1]:5001", "[::1]:5002"]) == "ipv6:[::1]:5001,[::1]:5002"
    assert is_local_address(target)
    assert not is_local_address("ipv4:127.0.0.1:5001,10.0.0.7:5001")
    assert is_local_address("dns:///localhost:50051")
    with pytest.raises(ValueError, match="IP addresses"):
        multi_address_target(["db.example.org:5001"])
    with pytest.raises(ValueError, match="all IPv6"):
        multi_address_target(["127.0.0.1:5001", "[::1]:5001"])


def test_server_ages_connections_and_enforces_keepalive() -> None:
    settings = make_settings("sqlite+aiosqlite:///x.db", Path("."))
    options = dict(server_options(settings))
    assert options["grpc.max_connection_age_ms"] == 300_000
    assert "grpc.max_connection_age_grace_ms" not in options  # in-flight calls finish
    assert options["grpc.http2.min_ping_interval_without_data_ms"] == 10_000
    assert options["grpc.http2.max_ping_strikes"] == 2
    # The client's keepalive is within what the server enforces.
    client = dict(ChannelSettings().options(None))
    assert (
        client["grpc.keepalive_time_ms"] >= options["grpc.http2.min_ping_interval_without_data_ms"]
    )


async def test_aged_connections_are_replaced_without_failing_calls(
    test_database: databases.TestDatabase, tmp_path: Path
) -> None:
    """With a 0.5 s connection age, two seconds of calls use several connections (the
    client reconnects after each GOAWAY, as it would to a new replica) and none fails."""
    settings = make_settings(test_database.url, tmp_path, max_connection_age=0.5)
    running = await start_server(settings)
    host, _, port = running.address.rpartition(":")
    proxy = TcpProxy(host, int(port))
    await proxy.start()
    try:
        async with AsyncClient(f"127.0.0.1:{proxy.port}") as client:
            loop = asyncio.get_running_loop()
            until = loop.time() + 2.0
            calls = 0
            while loop.time() < until:
                assert await client.health.check() == "SERVING"
                calls += 1
                await asyncio.sleep(0.02)
        assert calls > 20
        assert proxy.accepted >= 3, proxy.accepted
    finally:
        await proxy.close()
        await stop_server(running)
