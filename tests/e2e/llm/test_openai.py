"""OpenAIProvider against the fake OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from fakes import unused_port
from fakes.openai_server import FakeOpenAI
from opengovfood.llm import (
    ChatMessage,
    ModelNotFound,
    NotSupported,
    OpenAIProvider,
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
from opengovfood.llm.openai import normalize_base_url

HELLO = [ChatMessage(role="user", content="Say hello")]


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://h:8000", "http://h:8000/v1"),
        ("http://h:8000/", "http://h:8000/v1"),
        ("http://h:8000/v1", "http://h:8000/v1"),
        ("http://h:8000/v1/", "http://h:8000/v1"),
        ("https://openrouter.ai/api/v1", "https://openrouter.ai/api/v1"),
    ],
)
def test_normalize_base_url(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


async def test_sse_stream_with_done_and_usage(
    fake_openai: FakeOpenAI, openai: OpenAIProvider
) -> None:
    fake_openai.chunks = ["Critical ", "violation", "."]
    fake_openai.chunk_delay = 0.01
    events = await collect(openai.stream_chat(HELLO, max_tokens=50))
    assert events == [
        TextDelta("Critical "),
        TextDelta("violation"),
        TextDelta("."),
        StreamEnd("stop", Usage(prompt_tokens=9, completion_tokens=3)),
    ]
    req = fake_openai.requests_to("/v1/chat/completions")[0]
    assert req.json["stream"] is True
    assert req.json["model"] == "gpt-4o-mini"
    assert req.json["max_tokens"] == 50
    assert req.json["messages"] == [{"role": "user", "content": "Say hello"}]
    assert req.headers["authorization"] == "Bearer sk-test"


async def test_works_with_v1_in_base_url_and_without_done(fake_openai: FakeOpenAI) -> None:
    fake_openai.send_done = False
    provider = OpenAIProvider(fake_openai.url + "/v1/", None, "gpt-4o")
    try:
        events = await collect(provider.stream_chat(HELLO))
    finally:
        await provider.aclose()
    assert events[-1] == StreamEnd("stop", Usage(9, 4))
    assert "authorization" not in fake_openai.last_request.headers


async def test_split_tool_call_arguments_reassembled(
    fake_openai: FakeOpenAI, openai: OpenAIProvider
) -> None:
    fake_openai.chunks = []
    fake_openai.arg_split = 3
    fake_openai.tool_calls = [
        {"id": "call_1", "name": "get_item", "arguments": {"id": 42, "fields": ["title"]}},
        {"id": "call_2", "name": "search", "arguments": {"q": 'walk-in "cooler"'}},
    ]
    tool = ToolSpec("get_item", "Fetch an item", {"type": "object", "properties": {}})
    events = await collect(openai.stream_chat(HELLO, tools=[tool]))
    assert events == [
        ToolCallsRequested(
            (
                ToolCall("call_1", "get_item", {"id": 42, "fields": ["title"]}),
                ToolCall("call_2", "search", {"q": 'walk-in "cooler"'}),
            )
        ),
        StreamEnd("tool_calls", Usage(9, 0)),
    ]
    sent = fake_openai.last_request.json
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_item",
                "description": "Fetch an item",
                "parameters": {"type": "object", "properties": {}},
            },
        }
    ]


async def test_tool_history_sent_in_openai_format(
    fake_openai: FakeOpenAI, openai: OpenAIProvider
) -> None:
    history = [
        ChatMessage(role="system", content="You are an inspector's assistant."),
        ChatMessage(role="user", content="item 4?"),
        ChatMessage(
            role="assistant",
            content="",
            tool_calls=(ToolCall(id="c1", name="get_item", arguments={"id": 4}),),
        ),
        ChatMessage(role="tool", content='{"title": "x"}', tool_call_id="c1", name="get_item"),
    ]
    await collect(openai.stream_chat(history))
    sent = fake_openai.last_request.json["messages"]
    assert sent[2] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "get_item", "arguments": '{"id": 4}'},
            }
        ],
    }
    assert sent[3] == {"role": "tool", "content": '{"title": "x"}', "tool_call_id": "c1"}


async def test_complete_json_sends_json_schema(
    fake_openai: FakeOpenAI, openai: OpenAIProvider
) -> None:
    schema = {
        "type": "object",
        "properties": {"summary": {"type": "string"}},
        "required": ["summary"],
        "additionalProperties": False,
    }
    fake_openai.json_content = '{"summary": "ok"}'
    text = await openai.complete_json(HELLO, schema=schema, max_tokens=100)
    assert json.loads(text) == {"summary": "ok"}
    sent = fake_openai.last_request.json
    assert sent["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "inspection_analysis", "schema": schema, "strict": True},
    }
    assert sent["stream"] is False
    assert sent["max_tokens"] == 100


async def test_list_models(fake_openai: FakeOpenAI, openai: OpenAIProvider) -> None:
    fake_openai.models = ["gpt-4o-mini", "o3-mini"]
    models = await openai.list_models()
    assert [(m.name, m.provider) for m in models] == [
        ("gpt-4o-mini", "openai"),
        ("o3-mini", "openai"),
    ]
    assert fake_openai.last_request.path == "/v1/models"


async def test_model_not_found(fake_openai: FakeOpenAI, openai: OpenAIProvider) -> None:
    fake_openai.known_models_only = True
    with pytest.raises(ModelNotFound) as info:
        await collect(openai.stream_chat(HELLO, model="gpt-9"))
    assert info.value.model == "gpt-9"
    assert info.value.provider == "openai"
    assert "ListModels" in str(info.value)
    assert "PullModel" not in str(info.value)  # OpenAI servers cannot pull
    with pytest.raises(ModelNotFound):
        await openai.complete_json(HELLO, schema={"type": "object"}, model="gpt-9")


async def test_model_not_found_code_without_404(
    fake_openai: FakeOpenAI, openai: OpenAIProvider
) -> None:
    fake_openai.fail(
        "/v1/chat/completions",
        400,
        {"error": {"message": "no such model", "type": "invalid_request_error",
                   "code": "model_not_found"}},
    )  # fmt: skip
    with pytest.raises(ModelNotFound):
        await collect(openai.stream_chat(HELLO))


async def test_bad_api_key_is_auth_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.require_api_key = "sk-right"
    provider = OpenAIProvider(fake_openai.url, "sk-wrong", "gpt-4o-mini")
    try:
        with pytest.raises(ProviderError) as info:
            await collect(provider.stream_chat(HELLO))
        assert str(info.value) == "Authentication with LLM provider 'openai' failed"
        assert "sk-" not in str(info.value)
        assert await provider.ready() is False
    finally:
        await provider.aclose()


async def test_api_key_header_sent(fake_openai: FakeOpenAI) -> None:
    fake_openai.require_api_key = "sk-right"
    provider = OpenAIProvider(fake_openai.url, "sk-right", "gpt-4o-mini")
    try:
        assert await provider.ready() is True
        await collect(provider.stream_chat(HELLO))
        await provider.list_models()
    finally:
        await provider.aclose()
    assert {r.headers["authorization"] for r in fake_openai.requests} == {"Bearer sk-right"}


async def test_rate_limit_is_busy(fake_openai: FakeOpenAI, openai: OpenAIProvider) -> None:
    fake_openai.fail(
        "/v1/chat/completions",
        429,
        {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit"}},
    )
    with pytest.raises(ProviderBusy):
        await collect(openai.stream_chat(HELLO))


async def test_server_errors(fake_openai: FakeOpenAI, openai: OpenAIProvider) -> None:
    fake_openai.fail(
        "/v1/chat/completions",
        500,
        {"error": {"message": "boom", "type": "server_error", "code": None}},
    )
    with pytest.raises(ProviderError) as info:
        await collect(openai.stream_chat(HELLO))
    assert str(info.value) == "LLM provider 'openai' reported an error"
    fake_openai.fail("/v1/chat/completions", 502, "<html>Bad gateway</html>")
    with pytest.raises(ProviderUnavailable):
        await collect(openai.stream_chat(HELLO))


async def test_mid_stream_error_event(fake_openai: FakeOpenAI, openai: OpenAIProvider) -> None:
    fake_openai.chunks = ["a", "b", "c"]
    fake_openai.error_after = 1
    seen: list[StreamEvent] = []

    async def consume() -> None:
        async for event in openai.stream_chat(HELLO):
            seen.append(event)

    with pytest.raises(ProviderError):
        await consume()
    assert seen == [TextDelta("a")]


async def test_stream_cut_short_is_an_error(
    fake_openai: FakeOpenAI, openai: OpenAIProvider
) -> None:
    fake_openai.error_after = None
    fake_openai.send_done = False
    fake_openai.finish_reason = ""  # no finish_reason either: the answer is truncated
    with pytest.raises(ProviderError):
        await collect(openai.stream_chat(HELLO))


async def test_connection_refused_is_unavailable() -> None:
    provider = OpenAIProvider(f"http://127.0.0.1:{unused_port()}", None, "m", timeout=2.0)
    try:
        with pytest.raises(ProviderUnavailable) as info:
            await collect(provider.stream_chat(HELLO))
        assert str(info.value) == "LLM provider 'openai' is unavailable"
        with pytest.raises(ProviderUnavailable):
            await provider.complete_json(HELLO, schema={"type": "object"})
        assert await provider.ready() is False
    finally:
        await provider.aclose()


async def test_pull_not_supported(openai: OpenAIProvider) -> None:
    with pytest.raises(NotSupported):
        await anext(openai.pull_model("gpt-4o"))


async def test_cancel_closes_upstream(fake_openai: FakeOpenAI, openai: OpenAIProvider) -> None:
    fake_openai.chunks = ["first", "second"]
    fake_openai.hold_open = True
    stream = openai.stream_chat(HELLO)
    assert await anext(stream) == TextDelta("first")
    await stream.aclose()
    await asyncio.wait_for(fake_openai.disconnected.wait(), 1.0)
    fake_openai.hold_open = False
    assert isinstance((await collect(openai.stream_chat(HELLO)))[-1], StreamEnd)


async def test_break_closes_upstream(fake_openai: FakeOpenAI, openai: OpenAIProvider) -> None:
    fake_openai.chunks = ["x"] * 1000
    fake_openai.chunk_delay = 0.05
    async for _ in openai.stream_chat(HELLO):
        break
    await asyncio.wait_for(fake_openai.disconnected.wait(), 1.0)
    assert fake_openai.streams_completed == 0


async def test_connection_reused(fake_openai: FakeOpenAI, openai: OpenAIProvider) -> None:
    for _ in range(3):
        await collect(openai.stream_chat(HELLO))
    await openai.complete_json(HELLO, schema={"type": "object"})
    await openai.list_models()
    assert fake_openai.connections == 1
