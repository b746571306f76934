"""Provider for any OpenAI-compatible server (OpenAI, vLLM, llama.cpp server, LM Studio,
Ollama's ``/v1``, OpenRouter, ...).

``base_url`` normalisation: a URL *without a path* (``http://host:8000`` or
``http://host:8000/``) gets ``/v1`` appended; a URL with a path is used as given
(minus a trailing slash), so ``http://host:8000/v1``, ``https://openrouter.ai/api/v1``
and ``https://example.com/openai`` all work.  Requests then go to
``<base>/chat/completions`` and ``<base>/models``.

Error mapping:

* connection refused, timeouts, dropped connections, 502/503/504 and 5xx answers
  without an error body -> :class:`ProviderUnavailable`;
* 404, or an error ``code`` of ``model_not_found`` -> :class:`ModelNotFound`;
* 401/403 -> :class:`ProviderError` ("authentication ... failed");
* 429 -> :class:`ProviderBusy`;
* other non-2xx answers with an error body (including 500), and an SSE event
  ``data: {"error": ...}`` after streaming began -> :class:`ProviderError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from .base import (
    ChatMessage,
    LLMError,
    ModelInfo,
    ModelLimits,
    ModelNotFound,
    NotSupported,
    ProviderBusy,
    ProviderError,
    ProviderUnavailable,
    PullProgress,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallsRequested,
    ToolSpec,
    Usage,
    function_tools,
)

__all__ = [
    "DEFAULT_OPENAI_MODEL",
    "DEFAULT_OPENAI_URL",
    "JSON_SCHEMA_NAME",
    "OpenAIProvider",
    "normalize_base_url",
]

DEFAULT_OPENAI_URL = "https://api.openai.com/v1"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
# Assumed for an unknown OpenAI-compatible model; the server judges for itself.
OPENAI_LIMITS = ModelLimits(
    context_window=16_384,
    reply_reserve=2048,
    chat_max_tokens=None,
    analysis_max_tokens=None,
    exact_window=False,
    bounded_output=False,
)
JSON_SCHEMA_NAME = "inspection_analysis"
_READY_TIMEOUT = 3.0
_MAX_ERROR_BODY = 4096
_DRAIN_TIMEOUT = 1.0


def normalize_base_url(base_url: str) -> str:
    """Return the API root (the URL that ``/chat/completions`` is appended to).

    ``http://h:1`` and ``http://h:1/`` become ``http://h:1/v1``; any URL that has a
    path is kept as given, without its trailing slash.
    """
    url = base_url.strip().rstrip("/")
    if not urlsplit(url).path:
        url += "/v1"
    return url


def _openai_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in messages:
        msg: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.role == "assistant" and m.tool_calls:
            msg["content"] = m.content or None
            msg["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                }
                for c in m.tool_calls
            ]
        if m.role == "tool":
            msg["tool_call_id"] = m.tool_call_id or ""
        elif m.name:
            msg["name"] = m.name
        out.append(msg)
    return out


def _as_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _error_fields(body: bytes) -> tuple[str | None, str | None]:
    """``(message, code)`` from an OpenAI-style (or looser) error body."""
    try:
        data = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    err = data.get("error")
    if isinstance(err, dict):
        msg = err.get("message")
        code = err.get("code")
        return (
            msg if isinstance(msg, str) else None,
            code if isinstance(code, str) else None,
        )
    if isinstance(err, str):
        return err, None
    detail = data.get("detail")
    if isinstance(detail, str):
        return detail, None
    return None, None


class _ToolCallBuffer:
    """Accumulates one streamed tool call (arguments arrive as string fragments)."""

    __slots__ = ("args", "id", "name")

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.args: list[str] = []


class OpenAIProvider:
    """An OpenAI-compatible chat-completions server.

    One :class:`httpx.AsyncClient` per instance; ``Authorization: Bearer <api_key>`` is
    sent when ``api_key`` is given.  ``timeout`` bounds connecting (at most 5 s) and
    each wait for data.
    """

    supports_tools: bool = True
    supports_pull: bool = False

    def __init__(
        self,
        base_url: str = DEFAULT_OPENAI_URL,
        api_key: str | None = None,
        default_model: str = DEFAULT_OPENAI_MODEL,
        timeout: float = 60.0,
        *,
        name: str = "openai",
    ) -> None:
        self.name = name
        self.default_model = default_model
        self.limits = OPENAI_LIMITS
        self.base_url = normalize_base_url(base_url)
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.AsyncClient(
            base_url=self.base_url + "/",
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
            headers=headers,
        )

    # ------------------------------------------------------------------ helpers

    def _unavailable(self, exc: BaseException) -> ProviderUnavailable:
        return ProviderUnavailable(self.name, detail=f"{type(exc).__name__}: {exc}")

    def _status_error(self, status: int, body: bytes, model: str | None) -> LLMError:
        message, code = _error_fields(body)
        detail = f"HTTP {status}: {message if message is not None else body[:200]!r}"
        if code == "model_not_found" or (status == 404 and model is not None):
            return ModelNotFound(self.name, model or "", detail=detail, can_pull=False)
        if status in (401, 403):
            return ProviderError(
                self.name,
                f"Authentication with LLM provider '{self.name}' failed",
                detail=detail,
            )
        if status == 429:
            return ProviderBusy(self.name, detail=detail)
        if status >= 500 and (status != 500 or message is None):
            return ProviderUnavailable(self.name, detail=detail)
        return ProviderError(self.name, detail=detail)

    def _event_error(self, err: object) -> ProviderError:
        if isinstance(err, dict):
            text = err.get("message")
            return ProviderError(self.name, detail=str(text if text is not None else err)[:500])
        return ProviderError(self.name, detail=str(err)[:500])

    @asynccontextmanager
    async def _stream(
        self, path: str, *, json_body: Any, model: str | None
    ) -> AsyncIterator[httpx.Response]:
        try:
            async with self._client.stream(
                "POST", path, json=json_body, headers={"Accept": "text/event-stream"}
            ) as resp:
                if resp.status_code >= 400:
                    body = await resp.aread()
                    raise self._status_error(resp.status_code, body[:_MAX_ERROR_BODY], model)
                yield resp
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from exc

    async def _request_json(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        model: str | None = None,
    ) -> Any:
        try:
            resp = await self._client.request(method, path, json=json_body)
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from exc
        if resp.status_code >= 400:
            raise self._status_error(resp.status_code, resp.content[:_MAX_ERROR_BODY], model)
        try:
            return resp.json()
        except ValueError as exc:
            raise ProviderError(self.name, detail="response is not JSON") from exc

    async def _sse_events(
        self, resp: httpx.Response
    ) -> AsyncGenerator[dict[str, Any] | None, None]:
        """JSON payloads of ``data:`` lines; ``None`` for ``[DONE]``.

        After ``[DONE]`` the rest of the body (normally just the chunked terminator)
        is read, briefly, so the connection can go back to the pool.
        """
        lines = resp.aiter_lines()
        async for line in lines:
            if not line.startswith("data:"):
                continue  # blank separators, comments, "event:" / "id:" fields
            payload = line[5:].strip()
            if not payload:
                continue
            if payload == "[DONE]":
                yield None
                with contextlib.suppress(TimeoutError, httpx.TransportError):
                    async with asyncio.timeout(_DRAIN_TIMEOUT):
                        async for _ in lines:
                            pass
                return
            try:
                obj = json.loads(payload)
            except ValueError as exc:
                raise ProviderError(self.name, detail=f"bad SSE data: {payload[:200]!r}") from exc
            if not isinstance(obj, dict):
                raise ProviderError(self.name, detail=f"bad SSE data: {payload[:200]!r}")
            yield obj

    def _finish_tool_calls(self, buffers: dict[int, _ToolCallBuffer]) -> tuple[ToolCall, ...]:
        calls: list[ToolCall] = []
        for index in sorted(buffers):
            buf = buffers[index]
            raw = "".join(buf.args)
            try:
                args = json.loads(raw) if raw.strip() else {}
            except ValueError as exc:
                raise ProviderError(
                    self.name, "The model produced malformed tool-call arguments", detail=raw[:200]
                ) from exc
            if not isinstance(args, dict):
                raise ProviderError(
                    self.name, "The model produced malformed tool-call arguments", detail=raw[:200]
                )
            calls.append(ToolCall(id=buf.id or f"call_{index}", name=buf.name, arguments=args))
        return tuple(calls)

    # ----------------------------------------------------------------- protocol

    async def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str | None = None,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream ``/chat/completions`` (SSE); see :meth:`Provider.stream_chat`."""
        model = model or self.default_model
        body: dict[str, Any] = {
            "model": model,
            "messages": _openai_messages(messages),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if tools:
            body["tools"] = function_tools(tools)
        if max_tokens is not None:
            body["max_tokens"] = max_tokens

        buffers: dict[int, _ToolCallBuffer] = {}
        finish: str | None = None
        usage: Usage | None = None
        saw_done = False
        async with (
            self._stream("chat/completions", json_body=body, model=model) as resp,
            aclosing(self._sse_events(resp)) as events,
        ):
            async for obj in events:
                if obj is None:  # [DONE]
                    saw_done = True
                    continue
                if obj.get("error"):
                    raise self._event_error(obj["error"])
                raw_usage = obj.get("usage")
                if isinstance(raw_usage, dict):
                    usage = Usage(
                        prompt_tokens=_as_int(raw_usage.get("prompt_tokens")),
                        completion_tokens=_as_int(raw_usage.get("completion_tokens")),
                    )
                choices = obj.get("choices")
                if not isinstance(choices, list) or not choices:
                    continue
                choice = choices[0]
                if not isinstance(choice, dict):
                    continue
                delta = choice.get("delta")
                if isinstance(delta, dict):
                    content = delta.get("content")
                    if isinstance(content, str) and content:
                        yield TextDelta(content)
                    for tc in delta.get("tool_calls") or ():
                        if not isinstance(tc, dict):
                            continue
                        index = tc.get("index")
                        index = index if isinstance(index, int) else len(buffers)
                        buf = buffers.setdefault(index, _ToolCallBuffer())
                        if isinstance(tc.get("id"), str) and tc["id"]:
                            buf.id = tc["id"]
                        fn = tc.get("function")
                        if isinstance(fn, dict):
                            if isinstance(fn.get("name"), str) and fn["name"]:
                                buf.name = fn["name"]
                            if isinstance(fn.get("arguments"), str):
                                buf.args.append(fn["arguments"])
                reason = choice.get("finish_reason")
                if isinstance(reason, str) and reason:
                    finish = reason
        if not saw_done and finish is None:
            # Without [DONE] the stream is still complete if a finish_reason came.
            raise ProviderError(self.name, detail="stream ended before finish")
        if buffers:
            yield ToolCallsRequested(self._finish_tool_calls(buffers))
            finish = "tool_calls"
        yield StreamEnd(finish or "stop", usage)

    async def complete_json(
        self,
        messages: Sequence[ChatMessage],
        *,
        schema: dict[str, Any],
        model: str | None = None,
        max_tokens: int | None = None,
    ) -> str:
        """``/chat/completions`` with ``response_format`` of type ``json_schema`` (strict)."""
        model = model or self.default_model
        body: dict[str, Any] = {
            "model": model,
            "messages": _openai_messages(messages),
            "stream": False,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": JSON_SCHEMA_NAME, "schema": schema, "strict": True},
            },
        }
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        data = await self._request_json("POST", "chat/completions", json_body=body, model=model)
        if isinstance(data, dict) and data.get("error"):
            raise self._event_error(data["error"])
        try:
            message = data["choices"][0]["message"]
        except (KeyError, IndexError, TypeError) as exc:
            raise ProviderError(self.name, detail="completion without choices") from exc
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            if isinstance(message, dict) and message.get("refusal"):
                raise ProviderError(
                    self.name, f"The model on LLM provider '{self.name}' refused the request"
                )
            raise ProviderError(self.name, detail="completion without message content")
        return content

    async def list_models(self) -> list[ModelInfo]:
        """``/models``; entries without an ``id`` are skipped."""
        data = await self._request_json("GET", "models")
        entries = data.get("data") if isinstance(data, dict) else None
        models: list[ModelInfo] = []
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
                models.append(ModelInfo(name=entry["id"], provider=self.name))
        return models

    async def pull_model(self, name: str) -> AsyncGenerator[PullProgress, None]:
        """Not possible through the OpenAI API."""
        raise NotSupported(self.name, "pulling models")
        yield PullProgress(status="")  # pragma: no cover - makes this an async generator

    async def ready(self) -> bool:
        """``GET /models`` with a short timeout (False on any failure, including 401)."""
        try:
            resp = await self._client.get("models", timeout=_READY_TIMEOUT)
        except Exception:  # noqa: BLE001 - readiness never raises
            return False
        return resp.is_success

    async def aclose(self) -> None:
        await self._client.aclose()

    def __repr__(self) -> str:
        return f"OpenAIProvider(base_url={self.base_url!r}, default_model={self.default_model!r})"
