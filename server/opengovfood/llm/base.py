"""The provider-neutral interface to large language models.

Everything the rest of the server needs from an LLM backend goes through the
:class:`Provider` protocol defined here: streaming chat (text deltas, tool calls,
an end marker with usage), schema-constrained JSON completion, model listing and
pulling, a cheap readiness probe and a close method.

Errors raised by providers are always subclasses of :class:`LLMError`.  Their
``str()`` is a short English sentence that is safe to show to API clients: it
never contains URLs, stack traces, class names or raw upstream bodies.  The raw
upstream detail, when there is one, is kept in :attr:`LLMError.detail` for logs.

Suggested gRPC mapping (done by the service layer, not here):

=====================  =========================
error                  status code
=====================  =========================
ProviderUnavailable    UNAVAILABLE
ModelNotFound          NOT_FOUND
ProviderBusy           RESOURCE_EXHAUSTED
ProviderError          INTERNAL (safe message)
ContextTooLong         INVALID_ARGUMENT
NotSupported           UNIMPLEMENTED
UnknownProvider        INVALID_ARGUMENT
=====================  =========================
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias, runtime_checkable

__all__ = [
    "ChatMessage",
    "ContextTooLong",
    "LLMError",
    "ModelInfo",
    "ModelLimits",
    "ModelNotFound",
    "NotSupported",
    "Provider",
    "ProviderBusy",
    "ProviderError",
    "ProviderUnavailable",
    "PullProgress",
    "Role",
    "StreamEnd",
    "StreamEvent",
    "TextDelta",
    "ToolCall",
    "ToolCallsRequested",
    "ToolSpec",
    "UnknownProvider",
    "Usage",
]

Role: TypeAlias = Literal["system", "user", "assistant", "tool"]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call requested by the model.

    ``arguments`` is always a decoded JSON object, whatever the wire format of the
    provider (Ollama sends an object, OpenAI a JSON string split across chunks).
    """

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a conversation.

    * ``assistant`` messages may carry the ``tool_calls`` the model made.
    * ``tool`` messages carry a tool result in ``content``; ``tool_call_id`` links
      them to the call and ``name`` names the tool.
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool the model may call; ``parameters`` is a JSON schema (an object schema)."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model a provider offers."""

    name: str
    provider: str
    size_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class PullProgress:
    """One progress report of a model download (``completed``/``total`` in bytes)."""

    status: str
    completed: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class ModelLimits:
    """What a provider knows of the model it runs, so the agent fits its requests to
    any provider without asking which one it is. Tokens are estimated by the caller."""

    context_window: int
    """Tokens of prompt and reply together."""
    reply_reserve: int
    """Tokens kept free for a chat reply when the history is trimmed to the window."""
    chat_max_tokens: int | None
    """``max_tokens`` of a chat reply; None: the server's own limit."""
    analysis_max_tokens: int | None
    """``max_tokens`` of an analysis; None: the server's own limit."""
    exact_window: bool
    """The window is this model's for sure: a prompt that cannot fit is refused up
    front. (A remote server's operator may have configured a larger window: it judges
    for itself.)"""
    bounded_output: bool
    """Constrain JSON output with length limits (a small model's grammar)."""


@dataclass(frozen=True, slots=True)
class Usage:
    """Token accounting of one generation."""

    prompt_tokens: int
    completion_tokens: int


# ------------------------------------------------------------------ stream events


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of generated text, in order."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallsRequested:
    """The model asks for these tool calls (emitted once, just before :class:`StreamEnd`)."""

    calls: tuple[ToolCall, ...]


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """The last event of a successful stream.

    ``finish_reason`` is ``"stop"``, ``"length"``, ``"tool_calls"`` or whatever
    other reason the backend reported.  ``usage`` is ``None`` when unknown.
    """

    finish_reason: str
    usage: Usage | None = None


StreamEvent: TypeAlias = TextDelta | ToolCallsRequested | StreamEnd


# ------------------------------------------------------------------------ errors


class LLMError(Exception):
    """Base of all provider errors.

    ``str(error)`` is safe to show to clients.  ``provider`` names the provider
    (``"local"``, ``"ollama"``, ``"openai"``); ``detail`` keeps upstream text for logs
    only and must never be sent to clients.
    """

    def __init__(self, provider: str, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.message = message
        self.detail = detail


class ProviderUnavailable(LLMError):
    """The provider cannot be reached (connection refused, timeout, 5xx, gateway errors)."""

    def __init__(self, provider: str, *, detail: str | None = None) -> None:
        super().__init__(provider, f"LLM provider '{provider}' is unavailable", detail=detail)


class ModelNotFound(LLMError):
    """The requested model does not exist on the provider.

    The message suggests PullModel unless ``can_pull`` is false (providers that
    cannot download models).
    """

    def __init__(
        self,
        provider: str,
        model: str,
        *,
        message: str | None = None,
        detail: str | None = None,
        can_pull: bool = True,
    ) -> None:
        if message is None:
            message = (
                f"Model '{model}' is not available on LLM provider '{provider}'; "
                "use ListModels to see the available models"
                + (" or PullModel to download it" if can_pull else "")
            )
        super().__init__(provider, message, detail=detail)
        self.model = model


class ProviderBusy(LLMError):
    """The provider refuses more work for now (local queue full, rate limited)."""

    def __init__(self, provider: str, *, detail: str | None = None) -> None:
        super().__init__(
            provider, f"LLM provider '{provider}' is busy; try again shortly", detail=detail
        )


class ProviderError(LLMError):
    """The provider reported an error (before or during a stream), or sent garbage."""

    def __init__(
        self, provider: str, message: str | None = None, *, detail: str | None = None
    ) -> None:
        super().__init__(
            provider, message or f"LLM provider '{provider}' reported an error", detail=detail
        )


class ContextTooLong(ProviderError):
    """The request does not fit the model's context window."""

    def __init__(self, provider: str, *, detail: str | None = None) -> None:
        super().__init__(
            provider,
            f"The request is too long for the context window of LLM provider '{provider}'",
            detail=detail,
        )


class NotSupported(LLMError):
    """The provider does not offer this operation (e.g. pulling models)."""

    def __init__(self, provider: str, operation: str) -> None:
        super().__init__(provider, f"LLM provider '{provider}' does not support {operation}")
        self.operation = operation


class UnknownProvider(LLMError):
    """A provider name that is unknown or not configured on this server."""

    def __init__(self, name: str, configured: Sequence[str] = ()) -> None:
        known = ", ".join(configured) if configured else "none"
        shown = name if len(name) <= 40 else name[:40] + "…"  # a caller's text: an excerpt
        super().__init__(
            name[:64], f"LLM provider '{shown}' is not configured (configured providers: {known})"
        )


# ---------------------------------------------------------------------- protocol


@runtime_checkable
class Provider(Protocol):
    """An LLM backend.

    Implementations are async-safe and reuse one HTTP connection pool each.
    ``stream_chat`` and ``pull_model`` are async generators (typed as
    :class:`~collections.abc.AsyncGenerator` so callers can ``aclose()`` them or
    use :func:`contextlib.aclosing`).  A consumer that stops early should
    ``aclose()`` the generator (a plain ``break`` leaves the closing to garbage
    collection) or cancel its task; the provider then closes the upstream stream
    (or stops the local generation) promptly.  Nothing is sent upstream until
    the first ``__anext__``.
    """

    name: str
    """Provider name: ``"local"``, ``"ollama"`` or ``"openai"``."""
    supports_tools: bool
    """Whether ``stream_chat`` accepts ``tools``."""
    limits: ModelLimits
    """The default model's window and output limits."""
    supports_pull: bool
    """Whether ``pull_model`` can download models."""
    default_model: str
    """Model used when a call passes ``model=None``."""

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str | None = None,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream a reply: :class:`TextDelta` events, then at most one
        :class:`ToolCallsRequested`, then exactly one :class:`StreamEnd`.

        Errors before the first event and errors reported mid-stream are raised as
        :class:`LLMError` subclasses from the iteration.
        """
        ...

    async def complete_json(
        self,
        messages: Sequence[ChatMessage],
        *,
        schema: dict[str, Any],
        model: str | None = None,
        max_tokens: int | None = None,
    ) -> str:
        """Return the raw JSON text the model produced, constrained by ``schema`` where
        the backend can do so.  The caller parses and validates it."""
        ...

    async def list_models(self) -> list[ModelInfo]:
        """The models this provider offers."""
        ...

    def pull_model(self, name: str) -> AsyncGenerator[PullProgress, None]:
        """Download a model, streaming progress; :class:`NotSupported` where impossible."""
        ...

    async def ready(self) -> bool:
        """Cheap readiness probe; never raises."""
        ...

    async def aclose(self) -> None:
        """Release connections, threads and models."""
        ...


def function_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """Tools in the `{"type": "function", "function": {...}}` shape that Ollama's and
    OpenAI's chat APIs both take."""
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": t.parameters or {"type": "object", "properties": {}},
            },
        }
        for t in tools
    ]
