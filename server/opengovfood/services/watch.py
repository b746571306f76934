"""WatchItems: fan committed item changes out to every watcher.

The item repository announces each committed write (repositories/item_events.py):
on SQLite it calls `ItemEventHub.dispatch` in-process right after COMMIT (a rollback
announces nothing; one process only). On PostgreSQL the write's own statement puts
its event in the `item_outbox` table (same transaction: a rollback leaves nothing);
after COMMIT the process's notifier announces it, batched with others, by deleting
the row and NOTIFYing its payload in one transaction, and every process's
`PostgresListener` feeds its hub: an event reaches every process exactly once.

What a watcher is promised (PostgreSQL):
- every committed write is announced, including when its writer dies right after
  COMMIT: the event then waits in the outbox, and any instance's catch-up sweep
  announces it after `OPENGOVFOOD_WATCH_CATCH_UP_AFTER` seconds, unless a later write
  of the item has superseded it (its event carries the newer state);
- per item, versions never go backwards and the latest write is always announced;
  an intermediate version can be skipped: two writes of one item that commit close
  together may be announced out of commit order (different instances' batches, or
  two batches of one), and the hub then drops the older (or it was superseded, as
  above);
- events usually arrive a few milliseconds after COMMIT (one batch: a round trip
  and a flush); a process stopped with SIGTERM announces its pending events before
  it exits.

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
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from opengovfood.domain.items import EventType, ItemEvent, ItemRecord
from opengovfood.errors import ResourceExhausted, ServiceError, Unavailable
from opengovfood.reasons import Reason

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
        self.listener: Any = None  # the PostgresListener feeding it, for operators and tests

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
