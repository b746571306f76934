"""The platform: reflection, health, request ids, error mapping."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from opengovfood.config import Settings
from opengovfood.rpc import policy
from support.server import RunningServer, make_settings, start_server, stop_server

SERVICES = (
    "opengovfood.v1.UserService",
    "opengovfood.v1.ItemService",
    "opengovfood.v1.AgentService",
    "opengovfood.v1.EstablishmentService",
)


async def test_reflection_lists_all_services(channel: grpc.aio.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)

    async def requests():  # type: ignore[no-untyped-def]
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    names: set[str] = set()
    async for response in stub.ServerReflectionInfo(requests()):
        names.update(s.name for s in response.list_services_response.service)
    assert names == {
        *SERVICES,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    }


async def test_reflection_describes_a_method(channel: grpc.aio.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)

    async def requests():  # type: ignore[no-untyped-def]
        yield reflection_pb2.ServerReflectionRequest(
            file_containing_symbol="opengovfood.v1.ItemService"
        )

    async for response in stub.ServerReflectionInfo(requests()):
        protos = response.file_descriptor_response.file_descriptor_proto
        assert protos, response
        names = {descriptor_pb2.FileDescriptorProto.FromString(p).name for p in protos}
        assert "opengovfood/v1/items.proto" in names


@pytest.mark.parametrize("service", ["", *SERVICES])
async def test_health_check_serving(channel: grpc.aio.Channel, service: str) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_health_unknown_service_is_not_found(channel: grpc.aio.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


async def test_health_watch_streams_a_change(server: RunningServer) -> None:
    """Watch sees the current status, then a change made by the server."""
    async with grpc.aio.insecure_channel(server.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        name = "opengovfood.test.Watched"
        servicer = server.app.health.servicer
        await servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        call = stub.Watch(health_pb2.HealthCheckRequest(service=name))
        first = await asyncio.wait_for(call.read(), 5)
        assert first.status == health_pb2.HealthCheckResponse.SERVING
        await servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        second = await asyncio.wait_for(call.read(), 5)
        assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
        call.cancel()


async def test_request_id_is_echoed_and_generated(channel: grpc.aio.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    call = stub.Check(
        health_pb2.HealthCheckRequest(), metadata=(("x-request-id", "abc-123"),), timeout=5
    )
    await call
    assert ("x-request-id", "abc-123") in tuple(await call.trailing_metadata())
    call = stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
    await call
    generated = dict(await call.trailing_metadata())["x-request-id"]
    assert len(generated) == 16


async def test_unknown_method_is_unimplemented(channel: grpc.aio.Channel) -> None:
    """A method the server does not have answers UNIMPLEMENTED, never UNKNOWN."""
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await channel.unary_unary("/opengovfood.v1.NoSuchService/Nothing")(b"", timeout=5)
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_unexpected_exception_is_internal_with_request_id(
    settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug in a handler: INTERNAL, generic message with the request id, traceback logged."""

    async def broken(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        raise RuntimeError("secret internals: SELECT * FROM users")

    method = "/opengovfood.test.Broken/Call"
    monkeypatch.setitem(policy.RULES, method, policy.PUBLIC)
    handler = grpc.method_handlers_generic_handler(
        "opengovfood.test.Broken", {"Call": grpc.unary_unary_rpc_method_handler(broken)}
    )
    running = await start_server(make_settings(settings.database_url, tmp_path), [handler])
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            call = channel.unary_unary(method)(
                b"", metadata=(("x-request-id", "req-boom-1"),), timeout=5
            )
            with (
                caplog.at_level(logging.ERROR, logger="opengovfood.errors"),
                pytest.raises(grpc.aio.AioRpcError) as info,
            ):
                await call
        error = info.value
        assert error.code() == grpc.StatusCode.INTERNAL
        assert error.details() == "internal error (request id req-boom-1)"
        assert "SELECT" not in (error.details() or "")
        assert ("x-request-id", "req-boom-1") in tuple(error.trailing_metadata() or ())
        logged = [r for r in caplog.records if r.name == "opengovfood.errors"]
        assert logged
        assert logged[0].exc_info is not None
        assert "secret internals" in str(logged[0].exc_info[1])
    finally:
        await stop_server(running)
