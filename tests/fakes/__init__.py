"""Fake LLM HTTP servers for tests: real sockets on 127.0.0.1, ephemeral ports.

``FakeHTTPServer`` here is a tiny HTTP/1.1 server (keep-alive, ``Content-Length``
requests, chunked streaming responses) built on :func:`asyncio.start_server`;
:mod:`fakes.ollama_server` and :mod:`fakes.openai_server` script it like the real
services.  Every request is recorded (:attr:`FakeHTTPServer.requests`), and a
client that goes away in the middle of a streamed response sets
:attr:`FakeHTTPServer.disconnected`.

Use them as async context managers::

    async with FakeOllama() as fake:
        provider = OllamaProvider(fake.url, "llama3.2")
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Self

__all__ = ["Exchange", "FakeHTTPServer", "RecordedRequest", "unused_port"]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def unused_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for connection-refused tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class RecordedRequest:
    """One request the fake received; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = field(default=None)


class Exchange:
    """One request/response on a connection, with helpers to answer it."""

    def __init__(
        self, server: FakeHTTPServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.close_connection = False
        self._eof: asyncio.Task[bytes] | None = None
        self.client_gone = False

    # -------------------------------------------------------------- plain bodies

    async def send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()

    async def send_json(self, status: int, obj: Any) -> None:
        await self.send(status, json.dumps(obj).encode())

    # ------------------------------------------------------------------ streams

    async def start_stream(self, content_type: str, status: int = 200) -> None:
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n"
            f"Content-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\n"
            "Cache-Control: no-cache\r\n"
            "\r\n"
        )
        self.writer.write(head.encode())
        await self.writer.drain()
        # The client sends nothing while it reads a response (httpx does not
        # pipeline), so EOF on the reader now means it closed the connection.
        self._eof = asyncio.create_task(self.reader.read(1))
        self.server.streams_started += 1

    def _check_gone(self) -> bool:
        if not self.client_gone and self._eof is not None and self._eof.done():
            self._mark_gone()
        return self.client_gone

    def _mark_gone(self) -> None:
        if not self.client_gone:
            self.client_gone = True
            self.close_connection = True
            self.server.disconnected_at = time.monotonic()
            self.server.disconnected.set()

    async def send_chunk(self, data: bytes) -> bool:
        """Write one chunk; False if the client has gone away."""
        if self._check_gone():
            return False
        try:
            self.writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            await self.writer.drain()
        except (ConnectionError, RuntimeError):
            self._mark_gone()
            return False
        return not self._check_gone()

    async def pause(self, seconds: float) -> bool:
        """Sleep between chunks, noticing a disconnect at once; False if the client left."""
        if self._eof is None:
            await asyncio.sleep(seconds)
            return True
        if seconds > 0:
            await asyncio.wait({self._eof}, timeout=seconds)
        return not self._check_gone()

    async def hold_open(self, max_seconds: float = 30.0) -> None:
        """Keep the stream open (sending nothing) until the client disconnects."""
        await self.pause(max_seconds)

    async def end_stream(self) -> None:
        if self._eof is not None and not self._eof.done():
            self._eof.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._eof
            self._eof = None
        if self._check_gone():
            return
        try:
            self.writer.write(b"0\r\n\r\n")
            await self.writer.drain()
        except (ConnectionError, RuntimeError):
            self._mark_gone()
            return
        self.server.streams_completed += 1

    async def abort(self) -> None:
        """Drop the connection without finishing the response."""
        if self._eof is not None and not self._eof.done():
            self._eof.cancel()
        self.close_connection = True
        self.writer.close()


class FakeHTTPServer:
    """Base of the fakes: subclasses implement :meth:`handle`.

    ``fail(path, status, body)`` makes every request to ``path`` answer ``status``
    with the JSON ``body`` (``str`` bodies are sent as ``text/plain``) until
    :meth:`clear_failures`.
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.failures: dict[str, tuple[int, Any]] = {}
        self.disconnected = asyncio.Event()
        self.disconnected_at: float | None = None
        self.streams_started = 0
        self.streams_completed = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(self, path: str, status: int, body: Any) -> None:
        self.failures[path] = (status, body)

    def clear_failures(self) -> None:
        self.failures.clear()

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    @property
    def last_request(self) -> RecordedRequest:
        return self.requests[-1]

    async def handle(self, request: RecordedRequest, ex: Exchange) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ serving

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                self.requests.append(request)
                ex = Exchange(self, reader, writer)
                failure = self.failures.get(request.path)
                if failure is not None:
                    status, body = failure
                    if isinstance(body, str):
                        await ex.send(status, body.encode(), "text/plain; charset=utf-8")
                    else:
                        await ex.send_json(status, body)
                else:
                    await self.handle(request, ex)
                if ex.close_connection:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> RecordedRequest | None:
        line = await reader.readline()
        if not line.strip():
            return None
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while True:
            raw = await reader.readline()
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        body = await reader.readexactly(length) if length else b""
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        path = target.split("?", 1)[0]
        return RecordedRequest(method=method, path=path, headers=headers, body=body, json=parsed)
