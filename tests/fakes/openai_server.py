"""A scriptable fake of an OpenAI-compatible server (``/v1/chat/completions`` with SSE
streaming, ``/v1/models``).

Set the public attributes before (or between) requests::

    async with FakeOpenAI() as fake:
        fake.chunks = ["Hel", "lo"]
        fake.tool_calls = [{"name": "lookup", "arguments": {"id": 3}}]  # args split in pieces
        fake.arg_split = 4              # characters per arguments fragment
        fake.error_after = 2            # a data: {"error": ...} event after 2 chunks
        fake.require_api_key = "sk-test"
        fake.known_models_only = True   # unknown models: 404 code model_not_found
        fake.fail("/v1/chat/completions", 500, {"error": {...}})
"""

from __future__ import annotations

import json
import time
from typing import Any

from fakes import Exchange, FakeHTTPServer, RecordedRequest

__all__ = ["FakeOpenAI"]


def _error(message: str, type_: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


class FakeOpenAI(FakeHTTPServer):
    """Fake OpenAI-compatible server; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = ["Hello", ", ", "world", "!"]
        self.chunk_delay = 0.0
        self.tool_calls: list[dict[str, Any]] = []
        self.arg_split = 4
        self.error_after: int | None = None
        self.error_event: dict[str, Any] = _error(
            "The server had an error while processing your request.", "server_error", None
        )
        self.hold_open = False
        self.send_done = True
        self.finish_reason: str | None = None  # None: "tool_calls"/"stop"; "": none sent
        self.prompt_tokens = 9
        self.json_content: str | None = None  # content for non-streamed answers
        self.models: list[str] = ["gpt-4o-mini", "gpt-4o"]
        self.known_models_only = False
        self.require_api_key: str | None = None

    # ----------------------------------------------------------------- dispatch

    async def handle(self, request: RecordedRequest, ex: Exchange) -> None:
        expected = f"Bearer {self.require_api_key}"
        if self.require_api_key is not None and request.headers.get("authorization") != expected:
            await ex.send_json(
                401,
                _error("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
            )
            return
        route = (request.method, request.path)
        body = request.json if isinstance(request.json, dict) else {}
        if route == ("GET", "/v1/models"):
            await ex.send_json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"}
                        for m in self.models
                    ],
                },
            )
        elif route == ("POST", "/v1/chat/completions"):
            await self._chat(body, ex)
        else:
            await ex.send_json(
                404,
                _error(
                    f"Invalid URL ({request.method} {request.path})", "invalid_request_error", None
                ),
            )

    async def _event(self, ex: Exchange, obj: dict[str, Any] | str) -> bool:
        data = obj if isinstance(obj, str) else json.dumps(obj)
        return await ex.send_chunk(f"data: {data}\n\n".encode())

    async def _chat(self, body: dict[str, Any], ex: Exchange) -> None:
        model = str(body.get("model") or "")
        if self.known_models_only and model not in self.models:
            await ex.send_json(
                404,
                _error(
                    f"The model `{model}` does not exist or you do not have access to it.",
                    "invalid_request_error",
                    "model_not_found",
                ),
            )
            return
        created = int(time.time())
        finish = self.finish_reason
        if finish is None:
            finish = "tool_calls" if self.tool_calls else "stop"
        usage = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": len(self.chunks),
            "total_tokens": self.prompt_tokens + len(self.chunks),
        }
        ids = [c.get("id", f"call_{i}abc") for i, c in enumerate(self.tool_calls)]

        if not body.get("stream"):
            content = self.json_content if self.json_content is not None else "".join(self.chunks)
            message: dict[str, Any] = {"role": "assistant", "content": content}
            if self.tool_calls:
                message["content"] = None
                message["tool_calls"] = [
                    {
                        "id": ids[i],
                        "type": "function",
                        "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
                    }
                    for i, c in enumerate(self.tool_calls)
                ]
            await ex.send_json(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    "usage": usage,
                },
            )
            return

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }

        await ex.start_stream("text/event-stream")
        if not await self._event(ex, chunk({"role": "assistant", "content": ""})):
            return
        for i, text in enumerate(self.chunks):
            if self.error_after is not None and i == self.error_after:
                await self._event(ex, self.error_event)
                await ex.end_stream()
                return
            if i and not await ex.pause(self.chunk_delay):
                return
            if not await self._event(ex, chunk({"content": text})):
                return
        if self.error_after is not None and self.error_after >= len(self.chunks):
            await self._event(ex, self.error_event)
            await ex.end_stream()
            return
        if self.hold_open:
            await ex.hold_open()
            await ex.end_stream()
            return
        for index, call in enumerate(self.tool_calls):
            first = {
                "index": index,
                "id": ids[index],
                "type": "function",
                "function": {"name": call["name"], "arguments": ""},
            }
            if not await self._event(ex, chunk({"tool_calls": [first]})):
                return
            args = json.dumps(call["arguments"])
            step = max(1, self.arg_split)
            for start in range(0, len(args), step):
                piece = {"index": index, "function": {"arguments": args[start : start + step]}}
                if not await self._event(ex, chunk({"tool_calls": [piece]})):
                    return
        if not await self._event(ex, chunk({}, finish or None)):
            return
        options = body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            final = chunk({})
            final["choices"] = []
            final["usage"] = usage
            if not await self._event(ex, final):
                return
        if self.send_done and not await self._event(ex, "[DONE]"):
            return
        await ex.end_stream()
