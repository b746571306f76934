"""AgentService through the Python client: analysis, streamed chat, models, pulls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from fakes.ollama_server import FakeOllama
from opengovfood_client import PermissionDeniedError
from opengovfood_client.aio import AsyncClient
from opengovfood_client.v1 import agent_pb2
from support import databases
from support.agent_server import ANALYSIS, NOTES, agent_settings, script
from support.clients import signed_in, signed_in_sync
from support.server import RunningServer, UserFactory, start_server, stop_server


@pytest.fixture(scope="module")
async def ollama() -> AsyncIterator[FakeOllama]:
    async with FakeOllama() as fake:
        yield fake


@pytest.fixture(scope="module")
async def agent_server(
    test_database: databases.TestDatabase,
    tmp_path_factory: pytest.TempPathFactory,
    ollama: FakeOllama,
) -> AsyncIterator[RunningServer]:
    settings = agent_settings(test_database.url, tmp_path_factory.mktemp("agent"), ollama)
    running = await start_server(settings)
    yield running
    await stop_server(running)


@pytest.fixture
async def client(agent_server: RunningServer) -> AsyncIterator[AsyncClient]:
    signed = await signed_in(agent_server.address)
    yield signed
    await signed.close()


async def test_analyze_then_read_it_back(client: AsyncClient, ollama: FakeOllama) -> None:
    script(ollama)
    item = await client.items.create("Kitchen inspection")
    analysis = await client.agent.analyze(NOTES, item_id=item.id)
    assert analysis.summary == ANALYSIS["summary"]
    assert analysis.item_id == item.id
    cited = {v.food_code_section.split("(")[0]: v.severity for v in analysis.violations}
    assert cited["3-501.16"] == agent_pb2.VIOLATION_SEVERITY_PRIORITY
    assert analysis.compliance_score == pytest.approx(analysis.score / 100)
    assert (await client.agent.get_analysis(analysis.id)) == analysis
    # The inspector's review: drop everything but the cold holding, then the catalogue.
    cold = [v for v in analysis.violations if v.food_code_section.startswith("3-501.16")]
    reviewed = await client.agent.update_analysis(
        analysis.id, etag=analysis.etag, violations=cold, summary="Cooler only."
    )
    assert [v.food_code_section for v in reviewed.violations] == [cold[0].food_code_section]
    assert reviewed.summary == "Cooler only."
    assert reviewed.score > analysis.score
    types = await client.agent.violation_types(form_item=22)
    assert types
    assert {t.form_item for t in types} == {22}
    listed = [a.id async for a in client.agent.list_analyses(filter=f"item_id = {item.id}")]
    assert listed == [analysis.id]


async def test_chat_yields_text_deltas_and_continues(
    client: AsyncClient, ollama: FakeOllama
) -> None:
    script(ollama, chunks=["Cold ", "food ", "at ", "41F."])
    chat = client.agent.chat("How cold must a walk-in be?")
    assert [delta async for delta in chat] == ["Cold ", "food ", "at ", "41F."]
    assert chat.conversation_id
    again = client.agent.chat("And hot food?", conversation_id=chat.conversation_id)
    assert await again.text() == "Cold food at 41F."
    assert again.conversation_id == chat.conversation_id


async def test_sync_chat(agent_server: RunningServer, ollama: FakeOllama) -> None:
    script(ollama, chunks=["Keep ", "it ", "cold."])

    def scenario() -> tuple[list[str], int | None]:
        with signed_in_sync(agent_server.address) as sync_client:
            chat = sync_client.agent.chat("Advice?")
            return list(chat), chat.conversation_id

    deltas, conversation = await asyncio.to_thread(scenario)
    assert deltas == ["Keep ", "it ", "cold."]
    assert conversation


async def test_models_and_superuser_pull(
    agent_server: RunningServer, client: AsyncClient, make_user: UserFactory
) -> None:
    models = await client.agent.models()
    assert ("ollama", "llama3.2:latest") in {(m.provider, m.name) for m in models}
    with pytest.raises(PermissionDeniedError):
        async for _ in client.agent.pull("qwen2.5:1.5b"):
            pass
    admin = await make_user(superuser=True)
    async with AsyncClient(agent_server.address, token=admin.token) as superuser:
        steps = [
            (p.status, p.completed, p.total) async for p in superuser.agent.pull("qwen2.5:1.5b")
        ]
    assert steps[0][0] == "pulling manifest"
    assert any(total and completed == total for _, completed, total in steps)
