"""The grpcurl lines the README prints work as printed (against a test server)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest

from support.server import RunningServer

GRPCURL = shutil.which("grpcurl") or str(Path(sys.executable).parent / "grpcurl")
pytestmark = pytest.mark.skipif(not Path(GRPCURL).exists(), reason="grpcurl not installed")


async def grpcurl(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        GRPCURL, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode or 0, out.decode(), err.decode()


async def test_list(server: RunningServer) -> None:
    code, out, _ = await grpcurl("-plaintext", server.address, "list")
    assert code == 0
    assert out.split() == [
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
        "opengovfood.v1.AgentService",
        "opengovfood.v1.EstablishmentService",
        "opengovfood.v1.ItemService",
        "opengovfood.v1.UserService",
    ]


async def test_describe_shows_proto_comments(server: RunningServer) -> None:
    code, out, _ = await grpcurl(
        "-plaintext", server.address, "describe", "opengovfood.v1.ItemService.GetItem"
    )
    assert code == 0
    assert "// Returns one item." in out
    code, out, _ = await grpcurl("-plaintext", server.address, "describe", "opengovfood.v1.Item")
    assert code == 0
    assert "// Strong entity tag" in out


async def test_health_check(server: RunningServer) -> None:
    code, out, _ = await grpcurl(
        "-plaintext",
        "-d",
        '{"service": "opengovfood.v1.ItemService"}',
        server.address,
        "grpc.health.v1.Health/Check",
    )
    assert code == 0
    assert json.loads(out) == {"status": "SERVING"}


async def test_unauthenticated_call_is_refused_clearly(server: RunningServer) -> None:
    code, _, err = await grpcurl(
        "-plaintext", "-d", '{"id": 1}', server.address, "opengovfood.v1.ItemService/GetItem"
    )
    assert code != 0
    assert "Unauthenticated" in err
    assert "authorization: Bearer" in err
