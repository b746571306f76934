"""A scriptable fake of Ollama's native API (``/api/chat``, ``/api/tags``,
``/api/pull``, ``/api/version``).

Set the public attributes before (or between) requests::

    async with FakeOllama() as fake:
        fake.chunks = ["Hel", "lo"]
        fake.chunk_delay = 0.05
        fake.tool_calls = [{"name": "lookup", "arguments": {"id": 3}}]
        fake.error_after = 2            # an {"error": ...} line after 2 chunks
        fake.hold_open = True           # keep the stream open until the client leaves
        fake.fail("/api/chat", 404, {"error": 'model "x" not found, try pulling it first'})
        fake.known_models_only = True   # unknown models answer 404 like Ollama
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fakes import Exchange, FakeHTTPServer, RecordedRequest

__all__ = ["FakeOllama", "default_ollama_models", "default_pull_lines"]


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def default_ollama_models() -> list[dict[str, Any]]:
    """Entries shaped like a real ``GET /api/tags`` answer."""
    return [
        {
            "name": "llama3.2:latest",
            "model": "llama3.2:latest",
            "modified_at": "2025-05-04T17:37:44.706015396-07:00",
            "size": 2019393189,
            "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "llama",
                "families": ["llama"],
                "parameter_size": "3.2B",
                "quantization_level": "Q4_K_M",
            },
        },
        {
            "name": "qwen2.5:0.5b",
            "model": "qwen2.5:0.5b",
            "modified_at": "2025-04-01T10:00:00.000000000Z",
            "size": 397821319,
            "digest": "a8b0c51577010a279d933d14c2a8ab4b268079d44c5c8830c0a93900f1827c67",
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "qwen2",
                "families": ["qwen2"],
                "parameter_size": "494.03M",
                "quantization_level": "Q4_K_M",
            },
        },
    ]


def default_pull_lines(total: int = 1000) -> list[dict[str, Any]]:
    """Progress lines shaped like a real ``POST /api/pull`` stream."""
    digest = "sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff"
    return [
        {"status": "pulling manifest"},
        {"status": f"pulling {digest[7:19]}", "digest": digest, "total": total},
        {
            "status": f"pulling {digest[7:19]}",
            "digest": digest,
            "total": total,
            "completed": total // 2,
        },
        {"status": f"pulling {digest[7:19]}", "digest": digest, "total": total, "completed": total},
        {"status": "verifying sha256 digest"},
        {"status": "writing manifest"},
        {"status": "success"},
    ]


class FakeOllama(FakeHTTPServer):
    """Fake Ollama server; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = ["Hello", ", ", "world", "!"]
        self.chunk_delay = 0.0
        self.tool_calls: list[dict[str, Any]] = []
        self.error_after: int | None = None
        self.error_message = "an error was encountered while running the model"
        self.hold_open = False
        self.done_reason = "stop"
        self.prompt_eval_count = 12
        self.eval_count: int | None = None  # default: number of chunks
        self.json_content: str | None = None  # content for non-streamed answers
        self.models: list[dict[str, Any]] = default_ollama_models()
        self.known_models_only = False
        self.pull_lines: list[dict[str, Any]] = default_pull_lines()
        self.pull_delay = 0.0
        self.pull_error: str | None = None  # sent instead of the progress lines
        self.version = "0.12.6"

    # ----------------------------------------------------------------- helpers

    def _known(self, name: str) -> bool:
        names = {m.get("name") for m in self.models} | {m.get("model") for m in self.models}
        return name in names or f"{name}:latest" in names

    async def _model_missing(self, ex: Exchange, name: str) -> bool:
        if self.known_models_only and not self._known(name):
            await ex.send_json(404, {"error": f'model "{name}" not found, try pulling it first'})
            return True
        return False

    async def _line(self, ex: Exchange, obj: dict[str, Any]) -> bool:
        return await ex.send_chunk(json.dumps(obj).encode() + b"\n")

    # ---------------------------------------------------------------- dispatch

    async def handle(self, request: RecordedRequest, ex: Exchange) -> None:
        route = (request.method, request.path)
        body = request.json if isinstance(request.json, dict) else {}
        if route == ("GET", "/api/version"):
            await ex.send_json(200, {"version": self.version})
        elif route == ("GET", "/api/tags"):
            await ex.send_json(200, {"models": self.models})
        elif route == ("POST", "/api/chat"):
            await self._chat(body, ex)
        elif route == ("POST", "/api/pull"):
            await self._pull(body, ex)
        else:
            await ex.send(404, b"404 page not found", "text/plain")

    async def _chat(self, body: dict[str, Any], ex: Exchange) -> None:
        model = str(body.get("model") or "")
        if not model:
            await ex.send_json(400, {"error": "model is required"})
            return
        if await self._model_missing(ex, model):
            return
        tool_calls = [
            {
                **({"id": c["id"]} if "id" in c else {}),
                "function": {"name": c["name"], "arguments": c.get("arguments", {})},
            }
            for c in self.tool_calls
        ]
        eval_count = self.eval_count if self.eval_count is not None else len(self.chunks)
        final: dict[str, Any] = {
            "model": model,
            "created_at": _now(),
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": self.done_reason,
            "total_duration": 123456789,
            "load_duration": 1234567,
            "prompt_eval_count": self.prompt_eval_count,
            "prompt_eval_duration": 2345678,
            "eval_count": eval_count,
            "eval_duration": 3456789,
        }
        if body.get("stream", True) is False:
            content = self.json_content if self.json_content is not None else "".join(self.chunks)
            final["message"] = {"role": "assistant", "content": content}
            if tool_calls:
                final["message"]["tool_calls"] = tool_calls
            await ex.send_json(200, final)
            return

        await ex.start_stream("application/x-ndjson")
        for i, chunk in enumerate(self.chunks):
            if self.error_after is not None and i == self.error_after:
                await self._line(ex, {"error": self.error_message})
                await ex.end_stream()
                return
            if i and not await ex.pause(self.chunk_delay):
                return
            line = {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": chunk},
                "done": False,
            }
            if not await self._line(ex, line):
                return
        if self.error_after is not None and self.error_after >= len(self.chunks):
            await self._line(ex, {"error": self.error_message})
            await ex.end_stream()
            return
        if self.hold_open:
            await ex.hold_open()
            await ex.end_stream()
            return
        if tool_calls:
            line = {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": "", "tool_calls": tool_calls},
                "done": False,
            }
            if not await self._line(ex, line):
                return
        if await self._line(ex, final):
            await ex.end_stream()

    async def _pull(self, body: dict[str, Any], ex: Exchange) -> None:
        name = str(body.get("model") or body.get("name") or "")
        if body.get("stream", True) is False:
            if self.pull_error:
                await ex.send_json(500, {"error": self.pull_error})
            else:
                await ex.send_json(200, {"status": "success"})
            return
        await ex.start_stream("application/x-ndjson")
        if self.pull_error:
            await self._line(ex, {"status": "pulling manifest"})
            await self._line(ex, {"error": self.pull_error})
            await ex.end_stream()
            return
        for i, line in enumerate(self.pull_lines):
            if i and not await ex.pause(self.pull_delay):
                return
            if not await self._line(ex, line):
                return
        if not self._known(name):
            tag = name if ":" in name else f"{name}:latest"
            self.models.append({"name": tag, "model": tag, "modified_at": _now(), "size": 1000})
        await ex.end_stream()
