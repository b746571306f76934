"""The agent's services over in-memory repositories and a scripted provider:
analyses (validation, one repair, limits from the provider), chat turns (what is
stored when), models."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import pytest

from fakes.providers import SMALL, ScriptedProvider, Turn
from fakes.repositories import InMemoryConversations
from opengovfood.domain.pagination import PageTokens
from opengovfood.domain.principal import Principal
from opengovfood.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from opengovfood.llm import (
    ProviderRegistry,
    ProviderUnavailable,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolSpec,
)
from opengovfood.services.chat import MAX_TOOL_ROUNDS, ChatService
from opengovfood.services.models import ModelService

PAGE_TOKENS = PageTokens(b"a unit test's page token key, 32 bytes or more")

ANA = Principal(kind="user", user_id=1, name="ana@example.org")
BEN = Principal(kind="user", user_id=2, name="ben@example.org")
SERVICE = Principal(kind="service", user_id=None, name="reports")


def registry(*providers: ScriptedProvider) -> ProviderRegistry:
    return ProviderRegistry({p.name: p for p in providers}, providers[0].name)


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


@dataclass
class _Hanging(ScriptedProvider):
    """A provider that was asked and never answers (until cancelled)."""

    asked: asyncio.Event = field(default_factory=asyncio.Event)

    async def stream_chat(self, *args: Any, **kwargs: Any) -> AsyncGenerator[StreamEvent, None]:
        self.asked.set()
        await asyncio.Event().wait()
        yield TextDelta("never")


async def test_every_way_a_turn_ends_writes_after_begin_turn() -> None:
    # begin_turn may commit without waiting for durability (PostgreSQL): the turn's
    # next write makes it durable, so every ending must write something after it.
    repository = InMemoryConversations()
    provider = ScriptedProvider(
        turns=[
            Turn(text=["Yes."]),
            Turn(calls=[ToolCall("c1", "get_item", {"id": 1})]),
            Turn(text=["Pending."]),
            Turn(error=ProviderUnavailable("scripted")),
            Turn(text=["half "], error=ProviderUnavailable("scripted")),
            Turn(text=["one ", "two"]),
            Turn(error=ProviderUnavailable("scripted")),
        ]
    )
    chat = ChatService(repository, registry(provider), Tools())
    await collect(chat, ANA, "answered")
    assert repository.unflushed == set()
    await collect(chat, ANA, "with a tool round")
    assert repository.unflushed == set()
    with pytest.raises(Unavailable):
        await collect(chat, ANA, "fails before any text")
    assert repository.unflushed == set()
    with pytest.raises(Unavailable):
        await collect(chat, ANA, "fails mid-answer")
    assert repository.unflushed == set()
    # The client goes away after the first chunk.
    stream = chat.chat(ANA, "closed early", 0, "", "")
    assert (await anext(stream)).text == "one "
    await stream.aclose()
    assert repository.unflushed == set()
    # A continued conversation's failed turn is removed (a write, too).
    with pytest.raises(Unavailable):
        await collect(chat, ANA, "again", 1)
    assert repository.unflushed == set()
    assert [m.content for m in repository.of(1)] == ["answered", "Yes."]

    # Cancelled (a deadline) while the model has not answered yet.
    hanging = _Hanging()
    chat = ChatService(repository, registry(hanging))
    task = asyncio.create_task(collect(chat, ANA, "cancelled while waiting"))
    await hanging.asked.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert repository.unflushed == set()
    assert all(m.content != "cancelled while waiting" for m in repository.messages.values())
