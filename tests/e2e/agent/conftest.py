"""AgentService fixtures: a server whose Ollama and OpenAI providers are the fake
servers (real HTTP on loopback), scripted per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import pytest_asyncio

from opengovfood_client.v1 import agent_pb2_grpc, items_pb2_grpc
from support import databases
from support.agent import ScriptedOllama, ScriptedOpenAI, reset
from support.server import RunningServer, make_settings, start_server, stop_server


@pytest.fixture(scope="session")
async def session_ollama() -> AsyncIterator[ScriptedOllama]:
    async with ScriptedOllama() as fake:
        yield fake


@pytest.fixture(scope="session")
async def session_openai() -> AsyncIterator[ScriptedOpenAI]:
    async with ScriptedOpenAI() as fake:
        yield fake


@pytest_asyncio.fixture
async def fake_ollama(session_ollama: ScriptedOllama) -> ScriptedOllama:
    reset(session_ollama, ScriptedOllama)
    return session_ollama


@pytest_asyncio.fixture
async def fake_openai(session_openai: ScriptedOpenAI) -> ScriptedOpenAI:
    reset(session_openai, ScriptedOpenAI)
    return session_openai


@pytest.fixture(scope="session")
async def agent_server(
    test_database: databases.TestDatabase,
    tmp_path_factory: pytest.TempPathFactory,
    session_ollama: ScriptedOllama,
    session_openai: ScriptedOpenAI,
    server: RunningServer,  # the main server: make_user signs tokens with its container
) -> AsyncIterator[RunningServer]:
    settings = make_settings(
        test_database.url,
        tmp_path_factory.mktemp("agent"),
        llm_provider="ollama",
        llm_model="llama3.2",
        ollama_url=session_ollama.url,
        openai_base_url=session_openai.url,
        openai_api_key="sk-test",
        llm_timeout=5.0,
    )
    running = await start_server(settings)
    yield running
    await stop_server(running)


@pytest.fixture(scope="session")
async def agent_channel(agent_server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(agent_server.address) as channel:
        yield channel


@pytest.fixture(scope="session")
def agent(agent_channel: grpc.aio.Channel) -> agent_pb2_grpc.AgentServiceStub:
    return agent_pb2_grpc.AgentServiceStub(agent_channel)


@pytest.fixture(scope="session")
def items(agent_channel: grpc.aio.Channel) -> items_pb2_grpc.ItemServiceStub:
    """ItemService of the same server (the chat tools' results are checked through it)."""
    return items_pb2_grpc.ItemServiceStub(agent_channel)


@pytest.fixture
def db(agent_server: RunningServer) -> Any:
    return agent_server.app.container.sessions
