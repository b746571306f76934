"""A scripted in-process LLM provider (the llm.Provider protocol), for unit tests of
the agent's services: each call takes the next scripted answer."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any

from opengovfood.llm import (
    ChatMessage,
    LLMError,
    ModelInfo,
    ModelLimits,
    NotSupported,
    PullProgress,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallsRequested,
    ToolSpec,
)

SMALL = ModelLimits(
    context_window=512,
    reply_reserve=128,
    chat_max_tokens=128,
    analysis_max_tokens=256,
    exact_window=True,
    bounded_output=True,
)
LARGE = ModelLimits(
    context_window=16_384,
    reply_reserve=2048,
    chat_max_tokens=None,
    analysis_max_tokens=None,
    exact_window=False,
    bounded_output=False,
)


@dataclass
class Turn:
    """One scripted chat reply: text pieces, then tool calls or an error."""

    text: Sequence[str] = ()
    calls: Sequence[ToolCall] = ()
    error: LLMError | None = None  # raised after the text


@dataclass
class ScriptedProvider:
    name: str = "scripted"
    default_model: str = "scripted-1"
    supports_tools: bool = True
    supports_pull: bool = False
    limits: ModelLimits = LARGE
    answers: Sequence[str | LLMError] = ()  # complete_json, in order
    turns: Sequence[Turn] = ()  # stream_chat, in order
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.answers = deque(self.answers)
        self.turns = deque(self.turns)

    async def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str | None = None,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        self.requests.append(
            {"messages": list(messages), "model": model, "tools": list(tools), "max": max_tokens}
        )
        assert isinstance(self.turns, deque)
        turn = self.turns.popleft()
        for piece in turn.text:
            yield TextDelta(piece)
        if turn.error is not None:
            raise turn.error
        if turn.calls:
            yield ToolCallsRequested(tuple(turn.calls))
        yield StreamEnd("tool_calls" if turn.calls else "stop")

    async def complete_json(
        self,
        messages: Sequence[ChatMessage],
        *,
        schema: dict[str, Any],
        model: str | None = None,
        max_tokens: int | None = None,
    ) -> str:
        self.requests.append(
            {"messages": list(messages), "schema": schema, "model": model, "max": max_tokens}
        )
        assert isinstance(self.answers, deque)
        answer = self.answers.popleft()
        if isinstance(answer, LLMError):
            raise answer
        return answer

    async def list_models(self) -> list[ModelInfo]:
        return [ModelInfo(self.default_model, self.name)]

    async def pull_model(self, name: str) -> AsyncGenerator[PullProgress, None]:
        raise NotSupported(self.name, "pulling models")
        yield PullProgress("unreachable")  # pragma: no cover - makes this a generator

    async def ready(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None
