"""Standard health service, driven by a periodic database check."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from grpc_health.v1 import health, health_pb2
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from opengovfood_client.v1 import agent_pb2, items_pb2, users_pb2

logger = logging.getLogger("opengovfood.health")

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

USER_SERVICE = users_pb2.DESCRIPTOR.services_by_name["UserService"].full_name
ITEM_SERVICE = items_pb2.DESCRIPTOR.services_by_name["ItemService"].full_name
AGENT_SERVICE = agent_pb2.DESCRIPTOR.services_by_name["AgentService"].full_name
# "" is the server as a whole; it and the data services follow the database.
DATABASE_BACKED = ("", USER_SERVICE, ITEM_SERVICE)


async def database_reachable(engine: AsyncEngine, within: float) -> bool:
    try:
        async with asyncio.timeout(within):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def new_health_servicer() -> Any:
    """grpcio-health-checking's asyncio servicer (untyped: its `aio` is a private re-export)."""
    return health.aio.HealthServicer()  # type: ignore[attr-defined]


class HealthMonitor:
    """Keeps the health statuses current until stopped."""

    def __init__(
        self,
        servicer: Any,
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
        db_ok = await database_reachable(self._engine, within=max(self._interval, 1.0))
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
