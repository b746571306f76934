"""WatchItems plumbing: announce committed item changes to every watcher.

Writers call `ItemEventHub.announce(session, event)` inside the write's transaction:

- SQLite: the event is held on the session and fanned out in-process right after
  COMMIT; a rollback drops it. One process only (a second worker has its own hub).
- PostgreSQL: `pg_notify` runs in the same transaction, so PostgreSQL delivers it on
  COMMIT and never on rollback, in commit order, to every process LISTENing on the
  database. Each process keeps one dedicated asyncpg connection (`PostgresListener`)
  that LISTENs and feeds its hub; the writer's own process hears it the same way, so
  an event is announced exactly once per process. The payload carries the row (at most
  ~5 kB given the title/description limits; NOTIFY allows 8000 bytes), so no process
  reads the database per event and DELETED carries the last state.

Watchers (`ItemEventHub.subscribe`) get a bounded queue. Dispatch never waits: a
watcher whose queue is full is dropped from the hub at once and its stream ends with
RESOURCE_EXHAUSTED ("resync"), so a slow watcher cannot slow writers or grow memory.
If the PostgreSQL listener loses its connection, every watcher is ended with
UNAVAILABLE (it may have missed events) and new watches are refused until the
listener has reconnected. `close()` (at shutdown) ends every stream cleanly.

Per item, events are delivered in version order; a stale or duplicate event (lower
or equal version than one already dispatched) is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from opengovfood.errors import ResourceExhausted, ServiceError, Unavailable
from opengovfood.reasons import Reason
from opengovfood.services.item_types import (
    EventType,
    ItemEvent,
    ItemRecord,
    ItemStatus,
    from_micros,
    micros,
)

logger = logging.getLogger("opengovfood.watch")

CHANNEL = "opengovfood_items"
NOTIFY_LIMIT = 7999  # PostgreSQL's default payload limit is 8000 bytes
_PENDING = "opengovfood.item_events"
_RECENT_ITEMS = 10_000

OVERFLOW_MESSAGE = (
    "this watcher fell too far behind and missed events; "
    "list the items again to resync, then start a new watch"
)
INTERRUPTED_MESSAGE = (
    "live item updates were interrupted and events may have been missed; "
    "list the items again to resync, then start a new watch"
)

Accepts = Callable[[ItemRecord], bool]


class Subscription:
    """One watcher's bounded queue. Iterate it; it ends (StopAsyncIteration) when the
    hub closes and raises the ServiceError that ended it otherwise."""

    def __init__(self, hub: ItemEventHub, accepts: Accepts, maxsize: int) -> None:
        self._hub = hub
        self._accepts = accepts
        self._maxsize = maxsize
        self._queue: deque[ItemEvent] = deque()
        self._wakeup = asyncio.Event()
        self._ended = False
        self._error: ServiceError | None = None

    def offer(self, event: ItemEvent) -> None:
        if self._ended or not self._accepts(event.item):
            return
        if len(self._queue) >= self._maxsize:
            self.end(ResourceExhausted(OVERFLOW_MESSAGE, reason=Reason.WATCH_QUEUE_OVERFLOW))
            return
        self._queue.append(event)
        self._wakeup.set()

    def end(self, error: ServiceError | None = None) -> None:
        if self._ended:
            return
        self._ended = True
        self._error = error
        self._queue.clear()
        self._hub.discard(self)
        self._wakeup.set()

    async def next(self) -> ItemEvent | None:
        while True:
            if self._error is not None:
                raise self._error
            if self._ended:
                return None
            if self._queue:
                return self._queue.popleft()
            self._wakeup.clear()
            await self._wakeup.wait()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> ItemEvent:
        event = await self.next()
        if event is None:
            raise StopAsyncIteration
        return event

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Cancelled or finished: free the slot in the hub.
        self.end()


class ItemEventHub:
    def __init__(self, queue_size: int, use_notify: bool) -> None:
        self.queue_size = queue_size
        self.use_notify = use_notify
        self._subscriptions: set[Subscription] = set()
        self._closed = False
        # PostgreSQL: only while the listener is connected (else events would be missed).
        self._available = not use_notify
        self._last: OrderedDict[int, tuple[int, int]] = OrderedDict()
        self.listener: PostgresListener | None = None  # set by the listener feeding it

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def subscribe(self, accepts: Accepts) -> Subscription:
        if self._closed:
            raise Unavailable(
                "the server is shutting down; reconnect and watch again",
                reason=Reason.SHUTTING_DOWN,
            )
        if not self._available:
            raise Unavailable(
                "live item updates are unavailable right now; retry shortly",
                reason=Reason.WATCH_INTERRUPTED,
            )
        subscription = Subscription(self, accepts, self.queue_size)
        self._subscriptions.add(subscription)
        return subscription

    def discard(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    async def announce(self, session: AsyncSession, event: ItemEvent) -> None:
        """Call inside the write's transaction; the event goes out only if it commits."""
        if self.use_notify:
            await session.execute(select(func.pg_notify(CHANNEL, encode_event(event))))
            return
        pending: list[ItemEvent] | None = session.info.get(_PENDING)
        if pending is None:
            pending = []
            session.info[_PENDING] = pending
            events = pending

            def committed(_session: Session) -> None:
                ready = list(events)
                events.clear()
                for item_event in ready:
                    self.dispatch(item_event)

            def rolled_back(_session: Session) -> None:
                events.clear()

            sa_event.listen(session.sync_session, "after_commit", committed)
            sa_event.listen(session.sync_session, "after_rollback", rolled_back)
        pending.append(event)

    def dispatch(self, event: ItemEvent) -> None:
        """Fan an event out to the watchers (never blocks)."""
        item_id = event.item.id
        key = event.order_key
        if event.type is not EventType.CREATED:
            last = self._last.get(item_id)
            if last is not None and key <= last:
                return
        self._last[item_id] = key
        self._last.move_to_end(item_id)
        if len(self._last) > _RECENT_ITEMS:
            self._last.popitem(last=False)
        for subscription in list(self._subscriptions):
            subscription.offer(event)

    def set_available(self, available: bool) -> None:
        if self._available and not available:
            for subscription in list(self._subscriptions):
                subscription.end(Unavailable(INTERRUPTED_MESSAGE, reason=Reason.WATCH_INTERRUPTED))
        self._available = available

    async def close(self) -> None:
        """End every stream cleanly and refuse new ones (server shutdown)."""
        self._closed = True
        for subscription in list(self._subscriptions):
            subscription.end()


# --- NOTIFY payloads -----------------------------------------------------------------


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
            "c": micros(item.create_time),
            "u": micros(item.update_time),
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
        hub: ItemEventHub,
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
