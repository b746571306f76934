"""Chat against the fake Ollama and OpenAI servers: streaming, storage, continuation,
failures and cancellation."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
import pytest
from sqlalchemy import text

from opengovfood_client.v1 import agent_pb2, agent_pb2_grpc
from support.agent import ScriptedOllama, ScriptedOpenAI, bad_fields, stored_messages
from support.rpc_errors import retry_delay

CHAT_PATH = {"ollama": "/api/chat", "openai": "/v1/chat/completions"}


@pytest.fixture(params=["ollama", "openai"])
def remote(
    request: pytest.FixtureRequest, fake_ollama: ScriptedOllama, fake_openai: ScriptedOpenAI
) -> tuple[str, Any]:
    return request.param, fake_ollama if request.param == "ollama" else fake_openai


def chat(
    message: str, conversation_id: int = 0, provider: str = "", model: str = ""
) -> agent_pb2.ChatRequest:
    return agent_pb2.ChatRequest(
        message=message, conversation_id=conversation_id, provider=provider, model=model
    )


async def collect(stream: Any) -> list[agent_pb2.ChatResponse]:
    return [response async for response in stream]


async def test_chat_streams_chunks_in_order_and_stores_the_turn(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any, remote: tuple[str, Any]
) -> None:
    name, fake = remote
    fake.chunks = ["Cold ", "food ", "at ", "41F ", "or ", "below."]
    fake.chunk_delay = 0.02
    user = await make_user()

    stamps: list[float] = []
    responses: list[agent_pb2.ChatResponse] = []
    async for response in agent.Chat(
        chat("How cold must a walk-in be?", provider=name), metadata=user.metadata, timeout=10
    ):
        stamps.append(time.monotonic())
        responses.append(response)

    *deltas, last = responses
    assert [r.text for r in deltas] == fake.chunks
    assert not any(r.done for r in deltas)
    assert last.done
    assert last.text == ""
    assert last.conversation_id > 0
    assert {r.conversation_id for r in responses} == {last.conversation_id}
    # Streamed as generated, not buffered until the end.
    assert stamps[len(deltas) - 1] - stamps[0] >= 0.05

    rows = await stored_messages(db, last.conversation_id)
    assert [(r.role, r.content, r.incomplete) for r in rows] == [
        ("user", "How cold must a walk-in be?", False),
        ("assistant", "Cold food at 41F or below.", False),
    ]
    async with db() as session:
        no_calls = await session.scalar(
            text(
                "SELECT count(*) FROM conversation_messages"
                " WHERE conversation_id = :c AND tool_calls IS NULL"
            ),
            {"c": last.conversation_id},
        )
    assert no_calls == 2  # SQL NULL, not a JSON 'null'
    sent = fake.requests_to(CHAT_PATH[name])[-1].json
    assert sent["stream"] is True
    assert sent["messages"][0]["role"] == "system"
    assert sent["messages"][1:] == [{"role": "user", "content": "How cold must a walk-in be?"}]


async def test_the_model_is_asked_only_once_the_users_message_is_stored(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any, fake_ollama: ScriptedOllama
) -> None:
    # Hold the store up with a lock: nothing may reach the model (or the client) first.
    fake_ollama.chunks = ["Stored ", "first."]
    user = await make_user()
    async with db() as session, session.begin():
        if session.get_bind().dialect.name == "sqlite":
            await session.execute(
                text("UPDATE users SET full_name = full_name WHERE id = :id"), {"id": user.id}
            )  # holds SQLite's write lock
        else:
            await session.execute(text("LOCK TABLE conversations IN SHARE ROW EXCLUSIVE MODE"))
        asked_before = len(fake_ollama.requests_to("/api/chat"))
        call = agent.Chat(chat("Is 41F cold enough?"), metadata=user.metadata, timeout=10)
        first = asyncio.ensure_future(call.read())
        await asyncio.sleep(0.4)
        assert len(fake_ollama.requests_to("/api/chat")) == asked_before, "asked before storing"
        assert not first.done(), "an answer was shown before the user's message was stored"
    got = await asyncio.wait_for(first, 5)
    assert got.text == "Stored "
    rest = []
    while (response := await call.read()) is not grpc.aio.EOF:
        rest.append(response)
    assert rest[-1].done
    rows = await stored_messages(db, got.conversation_id)
    assert [(r.role, r.content) for r in rows] == [
        ("user", "Is 41F cold enough?"),
        ("assistant", "Stored first."),
    ]


async def test_continuing_a_conversation_sends_its_history(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any, remote: tuple[str, Any]
) -> None:
    name, fake = remote
    user = await make_user()
    fake.chunks = ["Hello", "!"]
    first = await collect(agent.Chat(chat("Hi", provider=name), metadata=user.metadata))
    conversation_id = first[-1].conversation_id

    fake.chunks = ["41", "F"]
    # The conversation keeps its provider without naming it again.
    second = await collect(
        agent.Chat(chat("Cooler limit?", conversation_id), metadata=user.metadata)
    )
    assert second[-1].conversation_id == conversation_id
    assert "".join(r.text for r in second) == "41F"

    sent = fake.requests_to(CHAT_PATH[name])[-1].json["messages"]
    assert [(m["role"], m["content"]) for m in sent[1:]] == [
        ("user", "Hi"),
        ("assistant", "Hello!"),
        ("user", "Cooler limit?"),
    ]
    rows = await stored_messages(db, conversation_id)
    assert [r.role for r in rows] == ["user", "assistant", "user", "assistant"]


async def test_long_history_is_trimmed_to_the_context(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, fake_ollama: ScriptedOllama
) -> None:
    user = await make_user()
    fake_ollama.chunks = ["ok"]
    conversation_id = 0
    # Each turn is ~1000 estimated tokens; Ollama's assumed window is 4096.
    for turn in range(6):
        done = await collect(
            agent.Chat(chat(f"turn {turn} " + "x" * 3000, conversation_id), metadata=user.metadata)
        )
        conversation_id = done[-1].conversation_id
    sent = fake_ollama.requests_to("/api/chat")[-1].json["messages"]
    assert sent[0]["role"] == "system"
    assert sent[1]["role"] == "user"  # never starts with a dangling reply
    assert sent[-1]["content"].startswith("turn 5 ")
    assert 2 <= len(sent) - 1 < 11
    assert not any(m["content"].startswith("turn 0 ") for m in sent)


async def test_conversation_of_another_user_is_not_found(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any, fake_ollama: ScriptedOllama
) -> None:
    owner, other = await make_user(), await make_user()
    done = await collect(agent.Chat(chat("Private notes"), metadata=owner.metadata))
    conversation_id = done[-1].conversation_id
    asked = len(fake_ollama.requests_to("/api/chat"))
    for missing in (conversation_id, conversation_id + 10_000):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await collect(agent.Chat(chat("Let me in", missing), metadata=other.metadata))
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        assert info.value.details() == f"conversation {missing} not found"
    assert len(fake_ollama.requests_to("/api/chat")) == asked
    assert len(await stored_messages(db, conversation_id)) == 2


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (chat(""), "message"),
        (chat("x" * 20_001), "message"),
        (chat("hi", conversation_id=-1), "conversation_id"),
        (chat("hi", provider="bard"), "provider"),
        (chat("hi", model="no spaces please"), "model"),
    ],
)
async def test_bad_chat_requests(
    agent: agent_pb2_grpc.AgentServiceStub,
    make_user: Any,
    request_: agent_pb2.ChatRequest,
    field: str,
) -> None:
    user = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await collect(agent.Chat(request_, metadata=user.metadata))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(info.value) == {field}


async def test_unknown_model_is_not_found_and_nothing_is_stored(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any, remote: tuple[str, Any]
) -> None:
    name, fake = remote
    fake.known_models_only = True
    user = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await collect(
            agent.Chat(chat("hi", provider=name, model="nope-1b"), metadata=user.metadata)
        )
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    details = info.value.details() or ""
    assert "'nope-1b'" in details
    assert f"'{name}'" in details
    assert ("PullModel" in details) == (name == "ollama")
    await assert_no_conversations(db, user.id)


async def test_error_before_streaming_ends_the_rpc_and_stores_nothing(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any, remote: tuple[str, Any]
) -> None:
    name, fake = remote
    fake.fail(CHAT_PATH[name], 500, {"error": {"message": "CUDA out of memory"}})
    user = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await collect(agent.Chat(chat("hi", provider=name), metadata=user.metadata))
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert f"'{name}'" in (info.value.details() or "")
    assert "CUDA" not in (info.value.details() or "")
    await assert_no_conversations(db, user.id)


async def test_failed_turn_in_a_continued_conversation_is_removed(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any, fake_ollama: ScriptedOllama
) -> None:
    user = await make_user()
    done = await collect(agent.Chat(chat("First"), metadata=user.metadata))
    conversation_id = done[-1].conversation_id
    fake_ollama.fail("/api/chat", 503, "upstream connect error")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await collect(agent.Chat(chat("Second", conversation_id), metadata=user.metadata))
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    rows = await stored_messages(db, conversation_id)
    assert [r.content for r in rows] == ["First", "Hello, world!"]


async def test_mid_stream_error_keeps_the_partial_answer_marked_incomplete(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any, remote: tuple[str, Any]
) -> None:
    name, fake = remote
    fake.chunks = ["Keep ", "raw ", "meat ", "below"]
    fake.error_after = 2
    user = await make_user()
    received: list[agent_pb2.ChatResponse] = []

    async def read_all() -> None:
        async for response in agent.Chat(
            chat("Storage order?", provider=name), metadata=user.metadata
        ):
            received.append(response)

    with pytest.raises(grpc.aio.AioRpcError) as info:
        await read_all()
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert f"'{name}'" in (info.value.details() or "")
    assert [r.text for r in received] == ["Keep ", "raw "]
    conversation_id = received[0].conversation_id
    assert conversation_id > 0
    rows = await stored_messages(db, conversation_id)
    assert [(r.role, r.content, r.incomplete) for r in rows] == [
        ("user", "Storage order?", False),
        ("assistant", "Keep raw ", True),
    ]


async def test_provider_busy_is_resource_exhausted(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, fake_openai: ScriptedOpenAI
) -> None:
    fake_openai.fail(
        "/v1/chat/completions",
        429,
        {"error": {"message": "Rate limit reached", "type": "requests", "code": None}},
    )
    user = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await collect(agent.Chat(chat("hi", provider="openai"), metadata=user.metadata))
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "'openai'" in (info.value.details() or "")
    assert retry_delay(info.value) == 1.0


async def test_cancelling_chat_closes_the_upstream_stream(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any, remote: tuple[str, Any]
) -> None:
    name, fake = remote
    fake.chunks = ["Part ", "one"]
    fake.hold_open = True  # then nothing more until the client leaves
    user = await make_user()
    call = agent.Chat(chat("Tell me everything", provider=name), metadata=user.metadata)
    first = await call.read()
    second = await call.read()
    assert (first.text, second.text) == ("Part ", "one")
    cancelled_at = time.monotonic()
    call.cancel()
    await asyncio.wait_for(fake.disconnected.wait(), 2.0)
    assert fake.disconnected_at is not None
    assert fake.disconnected_at - cancelled_at < 0.5

    # What the client saw is kept, marked incomplete.
    rows: list[Any] = []
    for _ in range(100):
        rows = await stored_messages(db, first.conversation_id)
        if len(rows) == 2:
            break
        await asyncio.sleep(0.02)
    assert [(r.role, r.content, r.incomplete) for r in rows] == [
        ("user", "Tell me everything", False),
        ("assistant", "Part one", True),
    ]


async def test_deadline_closes_the_upstream_stream(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, fake_ollama: ScriptedOllama
) -> None:
    fake_ollama.chunks = ["Slow"]
    fake_ollama.hold_open = True
    user = await make_user()
    started = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await collect(agent.Chat(chat("Take your time"), metadata=user.metadata, timeout=0.5))
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    await asyncio.wait_for(fake_ollama.disconnected.wait(), 2.0)
    assert fake_ollama.disconnected_at is not None
    assert fake_ollama.disconnected_at - started < 1.0


async def assert_no_conversations(db: Any, owner_id: int) -> None:
    from sqlalchemy import func, select

    from opengovfood.db.models import Conversation

    async with db() as session:
        count = (
            await session.execute(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.owner_id == owner_id)
            )
        ).scalar_one()
    assert count == 0
