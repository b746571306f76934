"""ListModels, PullModel, an unreachable provider, and AgentService health."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from fakes import unused_port
from opengovfood.llm import default_model_path
from opengovfood_client.v1 import agent_pb2, agent_pb2_grpc
from support import databases
from support.agent import ScriptedOllama, ScriptedOpenAI
from support.server import RunningServer, make_settings, start_server, stop_server

LOCAL_MODEL = "SmolLM2-135M-Instruct.Q4_1"
AGENT_SERVICE = "opengovfood.v1.AgentService"


@pytest.fixture(scope="module")
async def unreachable(
    test_database: databases.TestDatabase,
    tmp_path_factory: pytest.TempPathFactory,
    server: RunningServer,
) -> AsyncIterator[grpc.aio.Channel]:
    """A server whose default provider (Ollama) is not running."""
    settings = make_settings(
        test_database.url,
        tmp_path_factory.mktemp("unreachable"),
        llm_provider="ollama",
        ollama_url=f"http://127.0.0.1:{unused_port()}",
        llm_timeout=2.0,
    )
    running = await start_server(settings)
    async with grpc.aio.insecure_channel(running.address) as channel:
        yield channel
    await stop_server(running)


async def test_list_models_of_every_configured_provider(
    agent: agent_pb2_grpc.AgentServiceStub,
    make_user: Any,
    fake_ollama: ScriptedOllama,
    fake_openai: ScriptedOpenAI,
) -> None:
    user = await make_user()
    reply = await agent.ListModels(agent_pb2.ListModelsRequest(), metadata=user.metadata)
    found = {(m.provider, m.name) for m in reply.models}
    expected = {
        ("ollama", "llama3.2:latest"),
        ("ollama", "qwen2.5:0.5b"),
        ("openai", "gpt-4o-mini"),
        ("openai", "gpt-4o"),
    }
    if default_model_path() is not None:
        expected.add(("local", LOCAL_MODEL))
    assert found == expected


async def test_unreachable_provider_is_unavailable_naming_it(
    unreachable: grpc.aio.Channel, make_user: Any, db: Any
) -> None:
    stub = agent_pb2_grpc.AgentServiceStub(unreachable)
    user = await make_user()
    # An analysis does not need the model: the rules' findings and score, no narrative.
    analysis = await stub.AnalyzeInspection(
        agent_pb2.AnalyzeInspectionRequest(notes="Dirty floors under the fryer."),
        metadata=user.metadata,
        timeout=30,
    )
    assert analysis.narrative_missing
    assert analysis.violations
    assert analysis.score < 100

    with pytest.raises(grpc.aio.AioRpcError) as info:
        async for _ in stub.Chat(agent_pb2.ChatRequest(message="hi"), metadata=user.metadata):
            pass
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert info.value.details() == "LLM provider 'ollama' is unavailable"

    # The other providers still list their models.
    reply = await stub.ListModels(agent_pb2.ListModelsRequest(), metadata=user.metadata)
    assert {m.provider for m in reply.models} <= {"local"}


async def test_health_follows_the_default_provider(
    unreachable: grpc.aio.Channel, agent_server: RunningServer, fake_ollama: ScriptedOllama
) -> None:
    down = health_pb2_grpc.HealthStub(unreachable)
    reply = await down.Check(health_pb2.HealthCheckRequest(service=AGENT_SERVICE))
    assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
    # The database-backed services do not depend on the LLM.
    reply = await down.Check(health_pb2.HealthCheckRequest(service=""))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING

    async with grpc.aio.insecure_channel(agent_server.address) as channel:
        up = health_pb2_grpc.HealthStub(channel)
        reply = await up.Check(health_pb2.HealthCheckRequest(service=AGENT_SERVICE))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        # Ollama goes away: NOT_SERVING within a few health intervals, then back.
        fake_ollama.fail("/api/version", 503, "down")
        try:
            await wait_status(up, health_pb2.HealthCheckResponse.NOT_SERVING)
        finally:
            fake_ollama.clear_failures()
        await wait_status(up, health_pb2.HealthCheckResponse.SERVING)


async def wait_status(stub: health_pb2_grpc.HealthStub, wanted: int) -> None:
    for _ in range(50):
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=AGENT_SERVICE))
        if reply.status == wanted:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"AgentService health never became {wanted}")


async def test_pull_model_streams_ollama_progress(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, fake_ollama: ScriptedOllama
) -> None:
    admin = await make_user(superuser=True)
    steps = [
        (p.status, p.completed, p.total)
        async for p in agent.PullModel(
            agent_pb2.PullModelRequest(name="qwen2.5:1.5b"), metadata=admin.metadata
        )
    ]
    assert steps[0] == ("pulling manifest", 0, 0)
    assert ("pulling dde5aa3fc5ff", 500, 1000) in steps
    assert steps[-1] == ("success", 0, 0)
    assert fake_ollama.requests_to("/api/pull")[-1].json["model"] == "qwen2.5:1.5b"


async def test_pull_model_error_is_reported(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, fake_ollama: ScriptedOllama
) -> None:
    fake_ollama.pull_error = "pull model manifest: file does not exist"
    admin = await make_user(superuser=True)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async for _ in agent.PullModel(
            agent_pb2.PullModelRequest(name="no-such-model"), metadata=admin.metadata
        ):
            pass
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert "'no-such-model'" in (info.value.details() or "")


async def test_pull_model_is_for_superusers(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, fake_ollama: ScriptedOllama
) -> None:
    user = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async for _ in agent.PullModel(
            agent_pb2.PullModelRequest(name="llama3.2"), metadata=user.metadata
        ):
            pass
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert fake_ollama.requests_to("/api/pull") == []


async def test_pull_model_needs_ollama(
    agent_stub: agent_pb2_grpc.AgentServiceStub, make_user: Any
) -> None:
    # The main test server runs only the local provider.
    admin = await make_user(superuser=True)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async for _ in agent_stub.PullModel(
            agent_pb2.PullModelRequest(name="llama3.2"), metadata=admin.metadata
        ):
            pass
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "OPENGOVFOOD_OLLAMA_URL" in (info.value.details() or "")


@pytest.mark.parametrize("name", ["", "bad name", "x" * 201])
async def test_pull_model_bad_name(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, name: str
) -> None:
    admin = await make_user(superuser=True)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async for _ in agent.PullModel(
            agent_pb2.PullModelRequest(name=name), metadata=admin.metadata
        ):
            pass
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_unauthenticated_calls_are_refused(agent: agent_pb2_grpc.AgentServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await agent.ListModels(agent_pb2.ListModelsRequest())
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async for _ in agent.Chat(agent_pb2.ChatRequest(message="hi")):
            pass
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
