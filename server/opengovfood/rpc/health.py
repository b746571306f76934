"""Standard health service, driven by a periodic database check."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from opengovfood.errors import NotFound, excerpt
from opengovfood_client.v1 import agent_pb2, establishments_pb2, items_pb2, users_pb2

logger = logging.getLogger("opengovfood.health")

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN

USER_SERVICE = users_pb2.DESCRIPTOR.services_by_name["UserService"].full_name
ITEM_SERVICE = items_pb2.DESCRIPTOR.services_by_name["ItemService"].full_name
AGENT_SERVICE = agent_pb2.DESCRIPTOR.services_by_name["AgentService"].full_name
ESTABLISHMENT_SERVICE = establishments_pb2.DESCRIPTOR.services_by_name[
    "EstablishmentService"
].full_name
# "" is the server as a whole; it and the data services follow the database.
DATABASE_BACKED = ("", USER_SERVICE, ITEM_SERVICE, ESTABLISHMENT_SERVICE)
# SERVING while the process answers at all, whatever the database does: a liveness
# probe on it restarts a wedged process, never every replica during a database outage
# (that is what readiness on "" is for).
LIVENESS = "liveness"


async def database_reachable(engine: AsyncEngine, within: float) -> bool:
    try:
        async with asyncio.timeout(within):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


class HealthServicer(health_pb2_grpc.HealthServicer):  # type: ignore[misc]
    """grpc.health.v1.Health (Check and Watch).

    Unlike grpcio-health-checking's servicer, `close()` ends open Watch streams
    (after they have seen NOT_SERVING), so a watcher never holds a graceful stop
    for the whole grace period.
    """

    def __init__(self) -> None:
        self._status: dict[str, int] = {}
        self._watchers: dict[str, set[asyncio.Queue[int | None]]] = {}
        self._shutting_down = False
        self._unsent: set[asyncio.Queue[int | None]] = set()  # watchers with news to send
        self._all_sent = asyncio.Event()

    async def set(self, service: str, status: int) -> None:
        if self._shutting_down:
            return
        self._set(service, status)

    def _set(self, service: str, status: int) -> None:
        if self._status.get(service) == status:
            return
        self._status[service] = status
        for queue in self._watchers.get(service, ()):
            _offer(queue, status)
            self._unsent.add(queue)

    def _sent(self, queue: asyncio.Queue[int | None]) -> None:
        self._unsent.discard(queue)
        if not self._unsent:
            self._all_sent.set()

    async def enter_graceful_shutdown(self, send_within: float = 1.0) -> None:
        """Every service NOT_SERVING, and no more updates. Returns once every Watch
        stream has sent NOT_SERVING (`send_within` seconds at most): the calls refused
        next (UNAVAILABLE) must not reach a client before the reason does."""
        self._all_sent.clear()
        for service in list(self._status):
            self._set(service, NOT_SERVING)
        self._shutting_down = True
        if self._unsent:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(send_within):
                    await self._all_sent.wait()

    async def close(self) -> None:
        """End every Watch stream."""
        for queues in self._watchers.values():
            for queue in queues:
                _offer(queue, None)

    async def Check(
        self, request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> health_pb2.HealthCheckResponse:
        status = self._status.get(request.service)
        if status is None:
            raise NotFound(f"unknown service {excerpt(request.service)}")
        return health_pb2.HealthCheckResponse(status=status)

    async def Watch(
        self, request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[health_pb2.HealthCheckResponse]:
        queue: asyncio.Queue[int | None] = asyncio.Queue(maxsize=8)
        watchers = self._watchers.setdefault(request.service, set())
        watchers.add(queue)
        try:
            status: int | None = self._status.get(request.service, SERVICE_UNKNOWN)
            while status is not None:
                yield health_pb2.HealthCheckResponse(status=status)
                # grpc asks for the next response once it has sent this one.
                if queue.empty():
                    self._sent(queue)
                status = await queue.get()
        finally:
            watchers.discard(queue)
            self._sent(queue)


def _offer(queue: asyncio.Queue[int | None], value: int | None) -> None:
    """Watchers only need the latest status: drop the oldest when one falls behind."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(value)


class HealthMonitor:
    """Keeps the health statuses current until stopped."""

    def __init__(
        self,
        servicer: HealthServicer,
        engine: AsyncEngine,
        interval: float,
        agent_ready: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.servicer = servicer
        self._engine = engine
        self._interval = interval
        self._agent_ready = agent_ready
        self._task: asyncio.Task[None] | None = None
        self._db_ok: bool | None = None

    async def check_once(self) -> None:
        await self.servicer.set(LIVENESS, SERVING)
        # Generous: under CPU load a reachable database can take a while to answer;
        # an unreachable one fails at once (connection refused) or at the timeout.
        db_ok = await database_reachable(self._engine, within=max(self._interval, 2.0))
        if db_ok != self._db_ok:
            (logger.info if db_ok else logger.warning)(
                "database %s", "reachable" if db_ok else "unreachable"
            )
            self._db_ok = db_ok
        for name in DATABASE_BACKED:
            await self.servicer.set(name, SERVING if db_ok else NOT_SERVING)
        agent_ok = True
        if self._agent_ready is not None:
            try:
                agent_ok = await self._agent_ready()
            except Exception:  # noqa: BLE001
                agent_ok = False
        await self.servicer.set(AGENT_SERVICE, SERVING if agent_ok else NOT_SERVING)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.check_once()
            except Exception:
                logger.exception("health check failed")

    async def start(self) -> None:
        await self.check_once()
        self._task = asyncio.create_task(self._run(), name="health-monitor")

    async def shutdown(self) -> None:
        """All services NOT_SERVING, and stop updating them."""
        if self._task is not None:
            self._task.cancel()
        await self.servicer.enter_graceful_shutdown()

    async def close(self) -> None:
        """End open Watch streams (after they saw NOT_SERVING)."""
        await self.servicer.close()
