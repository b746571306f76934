"""Ollama provider, speaking Ollama's native HTTP API.

Endpoints used: ``POST /api/chat`` (NDJSON stream, ``format`` for JSON-schema
output, ``tools``), ``GET /api/tags``, ``POST /api/show``, ``POST /api/pull``
(NDJSON progress) and ``GET /api/version`` (readiness).

Error mapping:

* connection refused, timeouts, dropped connections, 502/503/504 and 5xx answers
  without an Ollama error body -> :class:`ProviderUnavailable`;
* 503 "server busy" (Ollama's queue is full) and 429 -> :class:`ProviderBusy`;
* 404 on a model endpoint -> :class:`ModelNotFound`;
* any other non-2xx answer with ``{"error": "..."}`` (including 500) and an
  ``{"error": "..."}`` line after streaming began -> :class:`ProviderError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing, asynccontextmanager
from typing import Any

import httpx

from .base import (
    ChatMessage,
    LLMError,
    ModelInfo,
    ModelLimits,
    ModelNotFound,
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

__all__ = ["DEFAULT_OLLAMA_MODEL", "DEFAULT_OLLAMA_URL", "OllamaProvider"]

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
DEFAULT_OLLAMA_MODEL = "llama3.2"
# Ollama's default num_ctx is 4096 (it truncates longer prompts itself).
OLLAMA_LIMITS = ModelLimits(
    context_window=4096,
    reply_reserve=1024,
    chat_max_tokens=None,
    analysis_max_tokens=None,
    exact_window=False,
    bounded_output=False,
)
_READY_TIMEOUT = 2.0
_MAX_ERROR_BODY = 4096
_DRAIN_TIMEOUT = 1.0


def _ollama_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in messages:
        msg: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.tool_calls:
            msg["tool_calls"] = [
                {"function": {"name": c.name, "arguments": c.arguments}} for c in m.tool_calls
            ]
        if m.role == "tool" and m.name:
            msg["tool_name"] = m.name
        out.append(msg)
    return out


async def _drain(lines: AsyncIterator[str]) -> None:
    """Read what is left of a finished stream, for at most ``_DRAIN_TIMEOUT`` seconds."""
    with contextlib.suppress(TimeoutError, httpx.TransportError):
        async with asyncio.timeout(_DRAIN_TIMEOUT):
            async for _ in lines:
                pass


def _chat_done(obj: dict[str, Any]) -> bool:
    return obj.get("done") is True


def _pull_done(obj: dict[str, Any]) -> bool:
    return obj.get("status") == "success"


def _as_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _error_text(body: bytes) -> str | None:
    """The ``error`` string of an Ollama error body, if there is one."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, str):
            return err
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])
    return None


class OllamaProvider:
    """An Ollama server reached at ``base_url`` (e.g. ``http://127.0.0.1:11434``).

    One :class:`httpx.AsyncClient` (one connection pool) per provider instance.
    ``timeout`` bounds connecting (at most 5 s) and each wait for data, so a long
    stream is fine as long as tokens keep coming.
    """

    supports_tools: bool = True
    supports_pull: bool = True

    def __init__(
        self,
        base_url: str = DEFAULT_OLLAMA_URL,
        default_model: str = DEFAULT_OLLAMA_MODEL,
        timeout: float = 60.0,
        *,
        name: str = "ollama",
    ) -> None:
        self.name = name
        self.default_model = default_model
        self.limits = OLLAMA_LIMITS
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
            headers={"Accept": "application/json, application/x-ndjson"},
        )

    # ------------------------------------------------------------------ helpers

    def _unavailable(self, exc: BaseException) -> ProviderUnavailable:
        return ProviderUnavailable(self.name, detail=f"{type(exc).__name__}: {exc}")

    def _status_error(self, status: int, body: bytes, model: str | None) -> LLMError:
        text = _error_text(body)
        detail = f"HTTP {status}: {text if text is not None else body[:200]!r}"
        if status == 404 and model is not None:
            return ModelNotFound(self.name, model, detail=detail)
        if status == 429 or (status == 503 and text is not None and "busy" in text.lower()):
            return ProviderBusy(self.name, detail=detail)
        if status >= 500 and (status != 500 or text is None):
            return ProviderUnavailable(self.name, detail=detail)
        return ProviderError(self.name, detail=detail)

    @asynccontextmanager
    async def _stream(
        self, method: str, path: str, *, json_body: Any = None, model: str | None = None
    ) -> AsyncIterator[httpx.Response]:
        """Open a streaming request; raise mapped errors for non-2xx and transport errors.

        Closing the context (normally, on error, on ``aclose()`` of the consuming
        generator or on cancellation) closes the response and, when it was not read
        to the end, the underlying connection.
        """
        try:
            async with self._client.stream(method, path, json=json_body) as resp:
                if resp.status_code >= 400:
                    body = await resp.aread()
                    raise self._status_error(resp.status_code, body[:_MAX_ERROR_BODY], model)
                yield resp
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from exc

    async def _request_json(
        self, method: str, path: str, *, json_body: Any = None, model: str | None = None
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

    async def _ndjson(
        self, resp: httpx.Response, is_last: Callable[[dict[str, Any]], bool]
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Decoded NDJSON objects, up to the first one for which ``is_last`` is true.

        After the last object the rest of the body (normally just the chunked
        terminator) is read, briefly, so the connection can go back to the pool.
        """
        lines = resp.aiter_lines()
        async for raw in lines:
            line = raw.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise ProviderError(self.name, detail=f"bad NDJSON line: {line[:200]!r}") from exc
            if not isinstance(obj, dict):
                raise ProviderError(self.name, detail=f"bad NDJSON line: {line[:200]!r}")
            yield obj
            if is_last(obj):
                await _drain(lines)
                return

    def _parse_tool_calls(self, raw: object, start: int) -> list[ToolCall]:
        calls: list[ToolCall] = []
        if not isinstance(raw, list):
            return calls
        for item in raw:
            if not isinstance(item, dict):
                continue
            fn = item.get("function")
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                continue
            args: Any = fn.get("arguments", {})
            if isinstance(args, str):  # some models/versions send a JSON string
                try:
                    args = json.loads(args) if args.strip() else {}
                except ValueError as exc:
                    raise ProviderError(
                        self.name,
                        "The model produced malformed tool-call arguments",
                        detail=args[:200],
                    ) from exc
            if not isinstance(args, dict):
                args = {}
            call_id = item.get("id")
            if not isinstance(call_id, str) or not call_id:
                call_id = f"call_{start + len(calls)}_{uuid.uuid4().hex[:8]}"
            calls.append(ToolCall(id=call_id, name=fn["name"], arguments=args))
        return calls

    # ----------------------------------------------------------------- protocol

    async def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str | None = None,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream ``/api/chat``; see :meth:`Provider.stream_chat`."""
        model = model or self.default_model
        body: dict[str, Any] = {
            "model": model,
            "messages": _ollama_messages(messages),
            "stream": True,
        }
        if tools:
            body["tools"] = function_tools(tools)
        if max_tokens is not None:
            body["options"] = {"num_predict": max_tokens}

        calls: list[ToolCall] = []
        end: StreamEnd | None = None
        async with (
            self._stream("POST", "/api/chat", json_body=body, model=model) as resp,
            aclosing(self._ndjson(resp, _chat_done)) as lines,
        ):
            async for obj in lines:
                if "error" in obj:
                    raise ProviderError(self.name, detail=str(obj.get("error"))[:500])
                message = obj.get("message")
                if isinstance(message, dict):
                    content = message.get("content")
                    if isinstance(content, str) and content:
                        yield TextDelta(content)
                    calls.extend(self._parse_tool_calls(message.get("tool_calls"), len(calls)))
                if _chat_done(obj):
                    reason = obj.get("done_reason")
                    usage = None
                    if "prompt_eval_count" in obj or "eval_count" in obj:
                        usage = Usage(
                            prompt_tokens=_as_int(obj.get("prompt_eval_count")),
                            completion_tokens=_as_int(obj.get("eval_count")),
                        )
                    end = StreamEnd(reason if isinstance(reason, str) and reason else "stop", usage)
        if end is None:
            raise ProviderError(self.name, detail="stream ended before done")
        if calls:
            yield ToolCallsRequested(tuple(calls))
            end = StreamEnd("tool_calls", end.usage)
        yield end

    async def complete_json(
        self,
        messages: Sequence[ChatMessage],
        *,
        schema: dict[str, Any],
        model: str | None = None,
        max_tokens: int | None = None,
    ) -> str:
        """``/api/chat`` with ``format`` = ``schema`` (Ollama's structured outputs)."""
        model = model or self.default_model
        body: dict[str, Any] = {
            "model": model,
            "messages": _ollama_messages(messages),
            "stream": False,
            "format": schema,
        }
        if max_tokens is not None:
            body["options"] = {"num_predict": max_tokens}
        data = await self._request_json("POST", "/api/chat", json_body=body, model=model)
        if isinstance(data, dict) and "error" in data:
            raise ProviderError(self.name, detail=str(data["error"])[:500])
        message = data.get("message") if isinstance(data, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise ProviderError(self.name, detail="chat response without message content")
        return content

    async def list_models(self) -> list[ModelInfo]:
        """``/api/tags``; entries without a usable name are skipped."""
        data = await self._request_json("GET", "/api/tags")
        entries = data.get("models") if isinstance(data, dict) else None
        models: list[ModelInfo] = []
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            name = entry.get("name") or entry.get("model")
            if not isinstance(name, str) or not name:
                continue
            size = entry.get("size")
            models.append(
                ModelInfo(
                    name=name,
                    provider=self.name,
                    size_bytes=size
                    if isinstance(size, int) and not isinstance(size, bool)
                    else None,
                )
            )
        return models

    async def pull_model(self, name: str) -> AsyncGenerator[PullProgress, None]:
        """``/api/pull`` with streamed progress; ends after ``status == "success"``."""
        body = {"model": name, "name": name, "stream": True}
        succeeded = False
        async with (
            self._stream("POST", "/api/pull", json_body=body, model=name) as resp,
            aclosing(self._ndjson(resp, _pull_done)) as lines,
        ):
            async for obj in lines:
                if "error" in obj:
                    text = str(obj.get("error"))
                    lowered = text.lower()
                    if "not exist" in lowered or "not found" in lowered:
                        raise ModelNotFound(
                            self.name,
                            name,
                            message=f"Model '{name}' was not found in the Ollama registry",
                            detail=text[:500],
                        )
                    raise ProviderError(self.name, detail=text[:500])
                status = obj.get("status")
                status = status if isinstance(status, str) else ""
                yield PullProgress(
                    status=status,
                    completed=_as_int(obj.get("completed")),
                    total=_as_int(obj.get("total")),
                )
                succeeded = succeeded or _pull_done(obj)
        if not succeeded:
            raise ProviderError(self.name, detail="pull stream ended before success")

    async def ready(self) -> bool:
        """``GET /api/version`` with a short timeout."""
        try:
            resp = await self._client.get("/api/version", timeout=_READY_TIMEOUT)
        except Exception:  # noqa: BLE001 - readiness never raises
            return False
        return resp.is_success

    async def aclose(self) -> None:
        await self._client.aclose()

    def __repr__(self) -> str:
        return f"OllamaProvider(base_url={self.base_url!r}, default_model={self.default_model!r})"
