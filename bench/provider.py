"""A local OpenAI-compatible test provider for the Chat scenario: it streams a short
answer at once, so what Chat adds on top of it is our server's overhead.

`python -m bench.provider PORT` prints the bound port. Endpoints: GET /v1/models,
POST /v1/chat/completions (SSE, chunked, when "stream" is true). Connections are kept
alive between requests, as real servers do; `first_chunk_seconds` (the provider alone)
still opens a new one per call, so it never looks slower than it is.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from typing import Any

MODEL = "bench-model"
CHUNKS = ["Walk-in ", "cooler ", "at 41F."]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


def _chunked(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = json.loads(await reader.readexactly(length)) if length else {}
    if method == "GET" and path.endswith("/models"):
        payload = json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model"}]})
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n{payload}".encode()
        )
    elif method == "POST" and path.endswith("/chat/completions") and body.get("stream"):
        # Chunked, as real servers stream SSE, so the connection stays open for the next
        # request (HTTP/1.1 keep-alive, like Ollama and OpenAI-compatible servers).
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        writer.write(_chunked(_chunk({"role": "assistant", "content": ""})))
        for text in CHUNKS:
            writer.write(_chunked(_chunk({"content": text})))
        writer.write(_chunked(_chunk({}, "stop") + b"data: [DONE]\n\n") + b"0\r\n\r\n")
    elif method == "POST" and path.endswith("/chat/completions"):
        message = {"role": "assistant", "content": "".join(CHUNKS)}
        payload = json.dumps(
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": MODEL,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            }
        )
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n{payload}".encode()
        )
    else:
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:  # keep-alive: requests on one connection until the client closes it
            await _respond(reader, writer)
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


def first_chunk_seconds(port: int) -> float:
    """One streamed completion straight from the provider: seconds to its first content."""
    body = json.dumps({"model": MODEL, "stream": True, "messages": []}).encode()
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        received = b""
        while b'"content": "W' not in received:
            data = sock.recv(65536)
            if not data:
                break
            received += data
    return time.perf_counter() - started


async def main(port: int) -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", port)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
