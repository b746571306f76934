"""Graceful stop without cancelled calls: count the calls in flight, refuse new ones
once shutdown began, and let `serve` stop the server only when none is left.

grpc.aio's `server.stop(grace)` lets the calls its handlers already run finish, but
calls grpc core has received and not yet handed to Python (under load, dozens: the
server takes them one event-loop turn at a time) are dropped, and their clients get
CANCELLED (grpc/grpc#41785). So `serve` drains first: new calls get UNAVAILABLE from
us (retryable: "try another instance"), which also empties core's queue, and
`server.stop` runs once nothing is in flight and no call has come for a moment.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc

from opengovfood.errors import Unavailable
from opengovfood.interceptors.base import StreamBehavior, UnaryBehavior, WrappingInterceptor
from opengovfood.reasons import Reason

SHUTTING_DOWN = "the server is shutting down; retry on another instance"
# Once nothing is in flight: calls still queued in grpc core reach us within a few
# event-loop turns; stop when none came for QUIET seconds, waiting QUIET_MAX at most
# (clients that keep calling must not hold the stop for the whole grace period).
QUIET = 0.2
QUIET_MAX = 1.0


class Drain:
    """The server's calls in flight, and whether new ones are refused."""

    def __init__(self) -> None:
        self.draining = False
        self.in_flight = 0
        self._idle = asyncio.Event()  # set when the last call in flight ends, draining
        self._refused = asyncio.Event()  # set at each refusal

    def begin(self) -> None:
        """Refuse every call from now on (UNAVAILABLE)."""
        self.draining = True

    def refuse(self) -> Unavailable:
        self._refused.set()
        return Unavailable(SHUTTING_DOWN, reason=Reason.SHUTTING_DOWN)

    def ended(self) -> None:
        """A call in flight ended."""
        self.in_flight -= 1
        if self.draining and not self.in_flight:
            self._idle.set()

    async def wait(self, deadline: float) -> bool:
        """Until no call is in flight and grpc core's queue is empty (no call came for
        QUIET seconds), or the event-loop time `deadline`. True: drained."""
        if self.in_flight:
            try:
                async with asyncio.timeout_at(deadline):
                    await self._idle.wait()
            except TimeoutError:
                return False
        loop = asyncio.get_running_loop()
        quiet_until = min(deadline, loop.time() + QUIET_MAX)
        while (left := quiet_until - loop.time()) > 0:
            self._refused.clear()
            try:
                async with asyncio.timeout(min(QUIET, left)):
                    await self._refused.wait()
            except TimeoutError:
                break
        return True


class DrainInterceptor(WrappingInterceptor):
    """Counts calls in flight; once draining, refuses new ones. Inside the error
    interceptor (which maps the refusal) and before auth (a refusal costs nothing)."""

    def __init__(self, drain: Drain) -> None:
        super().__init__()
        self._drain = drain

    def wrap_unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        drain = self._drain

        async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            if drain.draining:
                raise drain.refuse()
            drain.in_flight += 1
            try:
                return await behavior(request, context)
            finally:
                drain.ended()

        return unary

    def wrap_stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        drain = self._drain

        async def stream(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            if drain.draining:
                raise drain.refuse()
            drain.in_flight += 1
            try:
                async for response in behavior(request, context):
                    yield response
            finally:
                drain.ended()

        return stream
