"""The server's event loop: uvloop.

Measured with `make bench` (one server core, ratios to a no-op grpc.aio server in
the same run): the full interceptor chain went from ~0.80 to ~0.93 of the
reference and an authenticated GetItem from ~0.38 to ~0.41. grpc.aio, aiosqlite
(call_soon_threadsafe) and asyncpg all run on it; tests/test_eventloop.py serves
unary and streaming RPCs from a process running it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, on uvloop when it is installed."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - it is a pinned dependency
        return asyncio.run(main)
    return uvloop.run(main)
