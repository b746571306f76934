"""OllamaProvider against the fake Ollama server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from fakes import unused_port
from fakes.ollama_server import FakeOllama
from opengovfood.llm import (
    ChatMessage,
    ModelNotFound,
    OllamaProvider,
    ProviderBusy,
    ProviderError,
    ProviderUnavailable,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallsRequested,
    ToolSpec,
    Usage,
)

HELLO = [ChatMessage(role="user", content="Say hello")]


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


async def test_streams_chunks_in_order_with_usage(
    fake_ollama: FakeOllama, ollama: OllamaProvider
) -> None:
    fake_ollama.chunks = ["The ", "kitchen ", "passed", "."]
    fake_ollama.prompt_eval_count = 21
    fake_ollama.chunk_delay = 0.01
    events = await collect(ollama.stream_chat(HELLO, max_tokens=64))
    assert events == [
        TextDelta("The "),
        TextDelta("kitchen "),
        TextDelta("passed"),
        TextDelta("."),
        StreamEnd("stop", Usage(prompt_tokens=21, completion_tokens=4)),
    ]
    req = fake_ollama.requests_to("/api/chat")[0].json
    assert req["model"] == "llama3.2"
    assert req["stream"] is True
    assert req["messages"] == [{"role": "user", "content": "Say hello"}]
    assert req["options"] == {"num_predict": 64}
    assert "tools" not in req


async def test_chunks_arrive_one_by_one(fake_ollama: FakeOllama, ollama: OllamaProvider) -> None:
    fake_ollama.chunks = ["a", "b", "c"]
    fake_ollama.chunk_delay = 0.2
    stamps: list[float] = []
    async for event in ollama.stream_chat(HELLO):
        if isinstance(event, TextDelta):
            stamps.append(time.monotonic())
    assert len(stamps) == 3
    assert stamps[2] - stamps[0] >= 0.3  # not buffered until the end


async def test_tool_calls_parsed(fake_ollama: FakeOllama, ollama: OllamaProvider) -> None:
    fake_ollama.chunks = []
    fake_ollama.tool_calls = [
        {"name": "get_item", "arguments": {"id": 42}},
        {"id": "call_x", "name": "search", "arguments": {"q": "walk-in", "limit": 5}},
    ]
    tool = ToolSpec(
        name="get_item",
        description="Fetch an item",
        parameters={"type": "object", "properties": {"id": {"type": "integer"}}},
    )
    events = await collect(ollama.stream_chat(HELLO, tools=[tool]))
    assert isinstance(events[0], ToolCallsRequested)
    calls = events[0].calls
    assert [c.name for c in calls] == ["get_item", "search"]
    assert calls[0].arguments == {"id": 42}
    assert calls[0].id  # generated when Ollama sends none
    assert calls[1].id == "call_x"
    assert calls[1].arguments == {"q": "walk-in", "limit": 5}
    assert events[1] == StreamEnd("tool_calls", Usage(12, 0))
    sent = fake_ollama.requests_to("/api/chat")[0].json
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_item",
                "description": "Fetch an item",
                "parameters": {"type": "object", "properties": {"id": {"type": "integer"}}},
            },
        }
    ]


async def test_tool_messages_are_sent_in_ollama_format(
    fake_ollama: FakeOllama, ollama: OllamaProvider
) -> None:
    history = [
        ChatMessage(role="user", content="item 4?"),
        ChatMessage(
            role="assistant",
            content="",
            tool_calls=(ToolCall(id="c1", name="get_item", arguments={"id": 4}),),
        ),
        ChatMessage(role="tool", content='{"title": "x"}', tool_call_id="c1", name="get_item"),
    ]
    await collect(ollama.stream_chat(history))
    sent = fake_ollama.last_request.json["messages"]
    assert sent[1]["tool_calls"] == [{"function": {"name": "get_item", "arguments": {"id": 4}}}]
    assert sent[2] == {"role": "tool", "content": '{"title": "x"}', "tool_name": "get_item"}


async def test_complete_json_sends_schema_as_format(
    fake_ollama: FakeOllama, ollama: OllamaProvider
) -> None:
    schema = {
        "type": "object",
        "properties": {"summary": {"type": "string"}},
        "required": ["summary"],
    }
    fake_ollama.json_content = '{"summary": "clean"}'
    text = await ollama.complete_json(HELLO, schema=schema, model="qwen2.5:0.5b")
    assert json.loads(text) == {"summary": "clean"}
    req = fake_ollama.requests_to("/api/chat")[0].json
    assert req["format"] == schema
    assert req["model"] == "qwen2.5:0.5b"
    assert req["stream"] is False


async def test_list_models_parses_tags(fake_ollama: FakeOllama, ollama: OllamaProvider) -> None:
    fake_ollama.models.append({"model": "only-model-key:1b", "size": "not a number"})
    fake_ollama.models.append({"digest": "no name at all"})
    fake_ollama.models.append("garbage")  # type: ignore[arg-type]
    models = await ollama.list_models()
    assert [(m.name, m.provider, m.size_bytes) for m in models] == [
        ("llama3.2:latest", "ollama", 2019393189),
        ("qwen2.5:0.5b", "ollama", 397821319),
        ("only-model-key:1b", "ollama", None),
    ]


async def test_list_models_tolerates_empty_answer(
    fake_ollama: FakeOllama, ollama: OllamaProvider
) -> None:
    fake_ollama.models = []
    assert await ollama.list_models() == []
    fake_ollama.fail("/api/tags", 200, {"models": None})
    assert await ollama.list_models() == []


async def test_pull_progress_streamed(fake_ollama: FakeOllama, ollama: OllamaProvider) -> None:
    progress = [p async for p in ollama.pull_model("phi3:mini")]
    assert progress[0].status == "pulling manifest"
    assert [(p.completed, p.total) for p in progress[1:4]] == [(0, 1000), (500, 1000), (1000, 1000)]
    assert progress[-1].status == "success"
    assert fake_ollama.last_request.json == {
        "model": "phi3:mini",
        "name": "phi3:mini",
        "stream": True,
    }
    assert "phi3:mini" in [m.name for m in await ollama.list_models()]


async def test_pull_unknown_model(fake_ollama: FakeOllama, ollama: OllamaProvider) -> None:
    fake_ollama.pull_error = "pull model manifest: file does not exist"
    with pytest.raises(ModelNotFound) as info:
        async for _ in ollama.pull_model("does-not-exist"):
            pass
    assert "does-not-exist" in str(info.value)


async def test_unknown_model_is_model_not_found(
    fake_ollama: FakeOllama, ollama: OllamaProvider
) -> None:
    fake_ollama.known_models_only = True
    with pytest.raises(ModelNotFound) as info:
        await collect(ollama.stream_chat(HELLO, model="mistral"))
    err = info.value
    assert err.provider == "ollama"
    assert err.model == "mistral"
    assert "PullModel" in str(err)
    assert "127.0.0.1" not in str(err)
    with pytest.raises(ModelNotFound):
        await ollama.complete_json(HELLO, schema={"type": "object"}, model="mistral")


async def test_500_with_error_body_is_provider_error(
    fake_ollama: FakeOllama, ollama: OllamaProvider
) -> None:
    fake_ollama.fail("/api/chat", 500, {"error": "model requires more system memory"})
    with pytest.raises(ProviderError) as info:
        await collect(ollama.stream_chat(HELLO))
    assert str(info.value) == "LLM provider 'ollama' reported an error"
    assert "memory" in (info.value.detail or "")


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_are_unavailable(
    fake_ollama: FakeOllama, ollama: OllamaProvider, status: int
) -> None:
    fake_ollama.fail("/api/chat", status, "upstream gone")
    with pytest.raises(ProviderUnavailable) as info:
        await collect(ollama.stream_chat(HELLO))
    assert str(info.value) == "LLM provider 'ollama' is unavailable"


async def test_ollama_queue_full_is_busy(fake_ollama: FakeOllama, ollama: OllamaProvider) -> None:
    fake_ollama.fail(
        "/api/chat", 503, {"error": "server busy, please try again.  maximum pending requests"}
    )
    with pytest.raises(ProviderBusy):
        await collect(ollama.stream_chat(HELLO))


async def test_mid_stream_error_after_deltas(
    fake_ollama: FakeOllama, ollama: OllamaProvider
) -> None:
    fake_ollama.chunks = ["one ", "two ", "three"]
    fake_ollama.error_after = 2
    seen: list[StreamEvent] = []

    async def consume() -> None:
        async for event in ollama.stream_chat(HELLO):
            seen.append(event)

    with pytest.raises(ProviderError):
        await consume()
    assert seen == [TextDelta("one "), TextDelta("two ")]


async def test_connection_refused_is_unavailable() -> None:
    provider = OllamaProvider(f"http://127.0.0.1:{unused_port()}", "llama3.2", timeout=2.0)
    try:
        with pytest.raises(ProviderUnavailable) as info:
            await collect(provider.stream_chat(HELLO))
        assert str(info.value) == "LLM provider 'ollama' is unavailable"
        with pytest.raises(ProviderUnavailable):
            await provider.list_models()
        with pytest.raises(ProviderUnavailable):
            async for _ in provider.pull_model("x"):
                pass
        assert await provider.ready() is False
    finally:
        await provider.aclose()


async def test_read_timeout_is_unavailable(fake_ollama: FakeOllama) -> None:
    fake_ollama.chunks = ["slow"]
    fake_ollama.hold_open = True
    provider = OllamaProvider(fake_ollama.url, "llama3.2", timeout=0.3)
    try:
        with pytest.raises(ProviderUnavailable):
            await collect(provider.stream_chat(HELLO))
    finally:
        await provider.aclose()


async def test_ready(fake_ollama: FakeOllama, ollama: OllamaProvider) -> None:
    assert await ollama.ready() is True
    fake_ollama.fail("/api/version", 500, {"error": "boom"})
    assert await ollama.ready() is False


async def test_cancel_by_aclose_closes_upstream(
    fake_ollama: FakeOllama, ollama: OllamaProvider
) -> None:
    fake_ollama.chunks = ["first", "second"]
    fake_ollama.hold_open = True
    stream = ollama.stream_chat(HELLO)
    assert await anext(stream) == TextDelta("first")
    await stream.aclose()
    await asyncio.wait_for(fake_ollama.disconnected.wait(), 1.0)
    # The pool is still usable afterwards.
    fake_ollama.hold_open = False
    assert (await collect(ollama.stream_chat(HELLO)))[-1].__class__ is StreamEnd


async def test_cancel_by_break_closes_upstream(
    fake_ollama: FakeOllama, ollama: OllamaProvider
) -> None:
    fake_ollama.chunks = ["x"] * 1000
    fake_ollama.chunk_delay = 0.05
    async for _ in ollama.stream_chat(HELLO):
        break
    await asyncio.wait_for(fake_ollama.disconnected.wait(), 1.0)
    assert fake_ollama.streams_completed == 0


async def test_cancel_by_task_cancellation_closes_upstream(
    fake_ollama: FakeOllama, ollama: OllamaProvider
) -> None:
    fake_ollama.hold_open = True
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in ollama.stream_chat(HELLO):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(fake_ollama.disconnected.wait(), 1.0)


async def test_connection_reused(fake_ollama: FakeOllama, ollama: OllamaProvider) -> None:
    for _ in range(3):
        await collect(ollama.stream_chat(HELLO))
    _ = [p async for p in ollama.pull_model("tinyllama")]
    await ollama.complete_json(HELLO, schema={"type": "object"})
    await ollama.list_models()
    assert fake_ollama.connections == 1
