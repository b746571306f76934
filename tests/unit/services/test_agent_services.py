"""The agent's services over in-memory repositories and a scripted provider:
analyses (validation, one repair, limits from the provider), chat turns (what is
stored when), models."""

from __future__ import annotations

import json

import pytest

from fakes.providers import SMALL, ScriptedProvider, Turn
from fakes.repositories import InMemoryAnalyses, InMemoryConversations
from opengovfood.domain.pagination import PageTokens
from opengovfood.domain.principal import Principal
from opengovfood.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from opengovfood.llm import ProviderRegistry, ProviderUnavailable, ToolCall, ToolSpec
from opengovfood.services.analyses import AnalysisService
from opengovfood.services.chat import MAX_TOOL_ROUNDS, ChatService
from opengovfood.services.models import ModelService

PAGE_TOKENS = PageTokens(b"a unit test's page token key, 32 bytes or more")

ANA = Principal(kind="user", user_id=1, name="ana@example.org")
BEN = Principal(kind="user", user_id=2, name="ben@example.org")
SERVICE = Principal(kind="service", user_id=None, name="reports")

GOOD = json.dumps(
    {
        "summary": "Cooler too warm.",
        "violations": [
            {"code": "3-501.16", "description": "TCS food at 9 °C", "severity": "Major"}
        ],
        "corrective_actions": ["Move food to a working cooler"],
        "compliance_score": 1.7,
        "public_health_narrative": "Bacteria grow above 5 °C.",
    }
)


def registry(*providers: ScriptedProvider) -> ProviderRegistry:
    return ProviderRegistry({p.name: p for p in providers}, providers[0].name)


async def test_analysis_is_validated_clamped_and_stored_for_its_owner() -> None:
    provider = ScriptedProvider(answers=[GOOD])
    repository = InMemoryAnalyses(items={7: ANA.user_id or 0})
    service = AnalysisService(repository, registry(provider), PAGE_TOKENS)
    stored = await service.analyze(ANA, "  cooler at 9 C  ", 7, "", "")
    assert stored.owner_id == 1
    assert stored.item_id == 7
    assert stored.notes == "cooler at 9 C"
    assert stored.compliance_score == 1.0  # clamped
    assert stored.violations[0].severity == "major"
    assert (stored.provider, stored.model) == ("scripted", "scripted-1")
    assert provider.requests[0]["max"] is None  # a large model: the server's own limit
    with pytest.raises(NotFound):
        await service.get_analysis(BEN, stored.id)
    with pytest.raises(NotFound, match="item 7"):
        await service.analyze(BEN, "notes", 7, "", "")


async def test_invalid_output_gets_one_repair_then_a_clear_error() -> None:
    provider = ScriptedProvider(answers=["not json", GOOD])
    service = AnalysisService(InMemoryAnalyses(), registry(provider), PAGE_TOKENS)
    await service.analyze(ANA, "notes", 0, "", "")
    repair = provider.requests[1]["messages"]
    assert repair[-2].content == "not json"
    assert "not valid JSON" in repair[-1].content
    provider.answers.extend(["{}", "[]"])  # type: ignore[attr-defined]
    with pytest.raises(FailedPrecondition, match="did not produce a valid analysis"):
        await service.analyze(ANA, "notes", 0, "", "")


async def test_the_providers_limits_decide_not_its_name() -> None:
    small = ScriptedProvider(name="tiny", limits=SMALL, answers=[GOOD])
    service = AnalysisService(InMemoryAnalyses(), registry(small), PAGE_TOKENS)
    with pytest.raises(InvalidArgument, match="too long for the model of LLM provider 'tiny'"):
        await service.analyze(ANA, "x" * 2000, 0, "", "")
    await service.analyze(ANA, "short notes", 0, "", "")
    assert small.requests[-1]["max"] == SMALL.analysis_max_tokens
    assert "maxLength" in json.dumps(small.requests[-1]["schema"])  # bounded output


async def test_analysis_input_rules_and_provider_errors() -> None:
    down = ScriptedProvider(answers=[ProviderUnavailable("scripted")])
    service = AnalysisService(InMemoryAnalyses(), registry(down), PAGE_TOKENS)
    with pytest.raises(InvalidArgument) as error:
        await service.analyze(ANA, "   ", -1, "", "bad model name!")
    assert {v.field for v in error.value.violations} == {"notes", "item_id"}
    with pytest.raises(InvalidArgument, match="provider"):
        await service.analyze(ANA, "notes", 0, "nonesuch", "")
    with pytest.raises(Unavailable):
        await service.analyze(ANA, "notes", 0, "", "")
    with pytest.raises(PermissionDenied):
        await service.analyze(SERVICE, "notes", 0, "", "")


async def test_analyses_list_newest_first_with_filters() -> None:
    provider = ScriptedProvider(answers=[GOOD] * 3)
    service = AnalysisService(InMemoryAnalyses(items={5: 1}), registry(provider), PAGE_TOKENS)
    first = await service.analyze(ANA, "a", 5, "", "")
    second = await service.analyze(ANA, "b", 0, "", "")
    third = await service.analyze(ANA, "c", 5, "", "")
    page = await service.list_analyses(ANA, page_size=1)
    assert [a.id for a in page.items] == [third.id]
    assert page.total_size == 3
    rest = await service.list_analyses(ANA, page_size=5, page_token=page.next_page_token)
    assert [a.id for a in rest.items] == [second.id, first.id]
    unattached = await service.list_analyses(ANA, filter="item_id = 0")
    assert [a.id for a in unattached.items] == [second.id]
    assert (await service.list_analyses(BEN)).items == []


class Tools:
    specs = (ToolSpec("get_item", "Get an item.", {"type": "object"}),)

    def __init__(self) -> None:
        self.calls: list[tuple[Principal, ToolCall]] = []

    async def run(self, principal: Principal, call: ToolCall) -> str:
        self.calls.append((principal, call))
        return json.dumps({"item": {"id": 1}})


async def collect(chat: ChatService, principal: Principal, text: str, cid: int = 0) -> list[str]:
    return [
        chunk.text or f"<done {chunk.conversation_id}>"
        async for chunk in chat.chat(principal, text, cid, "", "")
    ]


async def test_a_chat_turn_is_stored_with_its_tool_calls() -> None:
    provider = ScriptedProvider(
        turns=[
            Turn(calls=[ToolCall("c1", "get_item", {"id": 1})]),
            Turn(text=["It is ", "pending."]),
        ]
    )
    tools = Tools()
    repository = InMemoryConversations()
    chat = ChatService(repository, registry(provider), tools)
    chunks = await collect(chat, ANA, "What about item 1?")
    assert chunks == ["It is ", "pending.", "<done 1>"]
    assert tools.calls[0][0] is ANA  # tools run as the caller
    stored = [(m.role, m.content, m.tool_call_id) for m in repository.of(1)]
    assert stored == [
        ("user", "What about item 1?", None),
        ("assistant", "", None),
        ("tool", '{"item": {"id": 1}}', "c1"),
        ("assistant", "It is pending.", None),
    ]
    # A continued conversation sends its history; another user's is NOT_FOUND.
    provider.turns.append(Turn(text=["Yes."]))  # type: ignore[attr-defined]
    await collect(chat, ANA, "Sure?", 1)
    sent = provider.requests[-1]["messages"]
    assert [m.role for m in sent] == ["system", "user", "assistant", "tool", "assistant", "user"]
    with pytest.raises(NotFound):
        await collect(chat, BEN, "Mine?", 1)


async def test_tool_rounds_are_bounded() -> None:
    call = Turn(calls=[ToolCall("c", "get_item", {})])
    provider = ScriptedProvider(turns=[call] * MAX_TOOL_ROUNDS + [Turn(text=["done"])])
    chat = ChatService(InMemoryConversations(), registry(provider), Tools())
    assert (await collect(chat, ANA, "loop"))[0] == "done"
    assert provider.requests[-1]["tools"] == []  # the last round offers none


async def test_a_failed_turn_keeps_what_the_client_saw() -> None:
    repository = InMemoryConversations()
    provider = ScriptedProvider(
        turns=[
            Turn(error=ProviderUnavailable("scripted")),
            Turn(text=["half an "], error=ProviderUnavailable("scripted")),
        ]
    )
    chat = ChatService(repository, registry(provider))
    with pytest.raises(Unavailable):
        await collect(chat, ANA, "first")
    assert repository.conversations == {}  # nothing seen: the turn is gone
    with pytest.raises(Unavailable):
        await collect(chat, ANA, "second")
    (conversation,) = repository.conversations
    last = repository.of(conversation)[-1]
    assert (last.role, last.content, last.incomplete) == ("assistant", "half an ", True)


async def test_a_message_too_long_for_an_exact_window_is_refused() -> None:
    provider = ScriptedProvider(limits=SMALL)
    chat = ChatService(InMemoryConversations(), registry(provider))
    with pytest.raises(InvalidArgument, match="too long for the model"):
        await collect(chat, ANA, "x" * 3000)
    with pytest.raises(InvalidArgument, match="message"):
        await collect(chat, ANA, "   ")


async def test_models_listing_and_pulling() -> None:
    provider = ScriptedProvider()
    models = ModelService(registry(provider))
    assert [m.name for m in await models.list_models(ANA)] == ["scripted-1"]
    with pytest.raises(PermissionDenied):
        [step async for step in models.pull_model(ANA, "llama3.2")]
    admin = Principal(kind="user", user_id=9, name="root", is_superuser=True)
    with pytest.raises(FailedPrecondition, match="no Ollama server is configured"):
        [step async for step in models.pull_model(admin, "llama3.2")]
