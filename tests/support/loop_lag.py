"""How long the event loop was held: a ticker that measures how late it wakes up.

The test server runs on the test's event loop, so a request that holds the loop (CPU
work on the loop thread) shows up as a late tick. Used to check that no single request
stalls everyone else (issue 19, finding 1).

`worst` is the wall-clock lateness; `worst_cpu` the CPU time the loop's thread spent
between two ticks. On a busy machine the process may wait for a core for a while (wall
time, not a stall of ours); CPU time counts only work done on the loop, so checks use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from types import TracebackType


class LoopLag:
    """`async with LoopLag() as lag: ...` then `lag.worst` (seconds). `reset()` starts a
    new window (e.g. per request)."""

    def __init__(self, interval: float = 0.005) -> None:
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self.worst = 0.0
        self.worst_cpu = 0.0

    def reset(self) -> None:
        self.worst = 0.0
        self.worst_cpu = 0.0

    async def _tick(self) -> None:
        while True:
            started, cpu = time.perf_counter(), time.thread_time()  # the loop's thread
            await asyncio.sleep(self._interval)
            late = time.perf_counter() - started - self._interval
            self.worst = max(self.worst, late)
            self.worst_cpu = max(self.worst_cpu, time.thread_time() - cpu)

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
