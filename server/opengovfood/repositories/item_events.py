"""Item events across processes: the NOTIFY payload and the PostgreSQL listener.

- SQLite: `ItemRepository` hands each committed write's event to the process's hub
  right after COMMIT (a rollback announces nothing). One process only.
- PostgreSQL: `pg_notify` runs in the write's transaction (`notify_statement`), so
  PostgreSQL delivers it on COMMIT and never on rollback, in commit order, to every
  process LISTENing on the database. Each process keeps one dedicated asyncpg
  connection (`PostgresListener`) that LISTENs and feeds its hub; the writer's own
  process hears it the same way, so an event is announced exactly once per process.
  The payload carries the row (at most ~5 kB given the title/description limits;
  NOTIFY allows 8000 bytes), so no process reads the database per event and DELETED
  carries the last state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, Protocol

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Select

from opengovfood.domain.items import (
    EventType,
    InspectionResult,
    ItemEvent,
    ItemKind,
    ItemRecord,
    ItemStatus,
)
from opengovfood.domain.timestamps import from_micros, to_micros

logger = logging.getLogger("opengovfood.watch")

CHANNEL = "opengovfood_items"
NOTIFY_LIMIT = 7999  # PostgreSQL's default payload limit is 8000 bytes


class EventSink(Protocol):
    """Where the listener delivers events (services.watch.ItemEventHub)."""

    listener: Any

    def dispatch(self, event: ItemEvent) -> None: ...

    def set_available(self, available: bool) -> None: ...


# Built once; the payload is bound per write.
NOTIFY: Select[Any] = select(func.pg_notify(CHANNEL, bindparam("payload")))


def encode_event(event: ItemEvent) -> str:
    item = event.item
    payload = json.dumps(
        {
            "t": event.type.value,
            "id": item.id,
            "o": item.owner_id,
            "v": item.version,
            "ti": item.title,
            "d": item.description,
            "s": item.status.value,
            "c": to_micros(item.create_time),
            "u": to_micros(item.update_time),
            "e": item.establishment_id,
            "k": item.kind.value,
            "r": item.result.value,
            "sc": item.score,
            "it": to_micros(item.inspect_time or item.create_time),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
    if len(payload.encode()) > NOTIFY_LIMIT:
        # Unreachable with validated titles/descriptions; fail the write rather than
        # silently lose an event.
        raise RuntimeError(f"item event payload exceeds {NOTIFY_LIMIT} bytes")
    return payload


def decode_event(payload: str) -> ItemEvent | None:
    try:
        data: dict[str, Any] = json.loads(payload)
        item = ItemRecord(
            id=int(data["id"]),
            title=str(data["ti"]),
            description=str(data["d"]),
            status=ItemStatus(data["s"]),
            owner_id=int(data["o"]),
            create_time=from_micros(int(data["c"])),
            update_time=from_micros(int(data["u"])),
            version=int(data["v"]),
            establishment_id=None if data["e"] is None else int(data["e"]),
            kind=ItemKind(data["k"]),
            result=InspectionResult(data["r"]),
            score=int(data["sc"]),
            inspect_time=from_micros(int(data["it"])),
        )
        return ItemEvent(EventType(data["t"]), item)
    except (ValueError, KeyError, TypeError):
        logger.warning("ignoring a malformed item event notification")
        return None


# --- PostgreSQL listener ---------------------------------------------------------------


class PostgresListener:
    """One dedicated asyncpg connection per process that LISTENs on CHANNEL and feeds
    the hub; reconnects with backoff and checks the connection every `keepalive` s."""

    def __init__(
        self,
        database_url: str,
        hub: EventSink,
        connect_timeout: float = 5.0,
        keepalive: float = 10.0,
    ) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._hub = hub
        self._connect_timeout = connect_timeout
        self._keepalive = keepalive
        self._connection: Any = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        hub.listener = self

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    @property
    def backend_pid(self) -> int | None:
        """The PostgreSQL backend serving the LISTEN (for operators and tests)."""
        return self._connection.get_server_pid() if self.connected else None

    async def start(self) -> None:
        """Connect now if the database answers; keep trying in the background if not."""
        try:
            await self._connect()
        except Exception as exc:  # noqa: BLE001 - asyncpg raises many types; retried below
            logger.warning("item event listener could not connect yet: %s", type(exc).__name__)
        self._task = asyncio.create_task(self._supervise(), name="item-event-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close()

    async def _connect(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        connection = await asyncpg.connect(
            self._dsn,
            timeout=self._connect_timeout,
            server_settings={"application_name": "opengovfood-listener"},
        )
        try:
            await connection.add_listener(CHANNEL, self._on_notify)
        except BaseException:
            await connection.close()
            raise
        connection.add_termination_listener(self._on_terminated)
        self._connection = connection
        self._lost.clear()
        self._hub.set_available(True)
        logger.info("item event listener connected")

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        event = decode_event(payload)
        if event is not None:
            self._hub.dispatch(event)

    def _on_terminated(self, _connection: Any) -> None:
        self._lost.set()

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await asyncio.wait_for(connection.close(), timeout=2)
            except Exception:  # noqa: BLE001 - a broken connection: drop it
                connection.terminate()

    async def _supervise(self) -> None:
        delay = 0.2
        while True:
            if not self.connected:
                self._hub.set_available(False)
                await self._close()
                try:
                    await self._connect()
                    delay = 0.2
                except Exception as exc:  # noqa: BLE001 - retry whatever went wrong
                    logger.warning("item event listener reconnect failed: %s", type(exc).__name__)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    continue
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._lost.wait(), timeout=self._keepalive)
            if self._lost.is_set():
                logger.warning("item event listener lost its connection")
                self._hub.set_available(False)
                await self._close()
                continue
            try:
                await self._connection.fetchval("SELECT 1", timeout=self._connect_timeout)
            except Exception as exc:  # noqa: BLE001 - any failure means the link is gone
                logger.warning("item event listener keepalive failed: %s", type(exc).__name__)
                self._hub.set_available(False)
                await self._close()
