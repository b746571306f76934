"""WatchItems: ordered events, ownership and filters, slow watchers, cancellation,
shutdown, rolled-back writes, and (PostgreSQL) events across server instances."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest
from google.protobuf import field_mask_pb2

from opengovfood.db.engine import create_pg_direct
from opengovfood.db.pg_direct import PgDirect
from opengovfood.domain.items import ItemChanges, ItemRecord, ItemStatus, NewItem, WriteMiss
from opengovfood.domain.scopes import Scope
from opengovfood.repositories.item_events import OutboxNotifier
from opengovfood.repositories.items import ItemRepository
from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.items import Watcher, create
from support.server import make_settings, start_server, stop_server

if TYPE_CHECKING:
    from opengovfood.config import Settings
    from opengovfood.services.watch import ItemEventHub
    from support.server import RunningServer, TestUser, UserFactory

CREATED = items_pb2.ITEM_EVENT_TYPE_CREATED
UPDATED = items_pb2.ITEM_EVENT_TYPE_UPDATED
DELETED = items_pb2.ITEM_EVENT_TYPE_DELETED

# A client that lets little data pile up unread, so a stalled reader stalls the server's
# writes after a few events (gRPC otherwise grows the window to megabytes).
SMALL_WINDOW = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 16384)]


async def _update(
    stub: items_pb2_grpc.ItemServiceStub, user: TestUser, item: items_pb2.Item, paths: list[str]
) -> items_pb2.Item:
    return await stub.UpdateItem(
        items_pb2.UpdateItemRequest(item=item, update_mask=field_mask_pb2.FieldMask(paths=paths)),
        metadata=user.metadata,
        timeout=10,
    )


async def _eventually(check: object, wait: float = 5.0) -> None:
    deadline = time.monotonic() + wait
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_events_arrive_in_order(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    watcher = Watcher(items_stub, user.metadata)
    try:
        await watcher.ready()
        created = await create(items_stub, user.metadata, title="t1")
        renamed = await _update(
            items_stub, user, items_pb2.Item(id=created.id, title="t2"), ["title"]
        )
        done = await _update(
            items_stub,
            user,
            items_pb2.Item(id=created.id, status=items_pb2.ITEM_STATUS_COMPLETED),
            ["status"],
        )
        await items_stub.DeleteItem(
            items_pb2.DeleteItemRequest(id=created.id), metadata=user.metadata
        )
        sentinel = await create(items_stub, user.metadata, title="sentinel")

        events = [await watcher.next() for _ in range(5)]
        assert [(e.type, e.item) for e in events] == [
            (CREATED, created),
            (UPDATED, renamed),
            (UPDATED, done),
            (DELETED, done),  # the last state
            (CREATED, sentinel),  # and nothing twice in between
        ]
    finally:
        watcher.cancel()


async def test_many_writers_each_event_once_in_version_order(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    watcher = Watcher(items_stub, user.metadata)
    try:
        await watcher.ready()
        items = [await create(items_stub, user.metadata, title=f"i{n}") for n in range(5)]
        await asyncio.gather(
            *(
                _update(
                    items_stub,
                    user,
                    items_pb2.Item(id=item.id, description=str(k)),
                    ["description"],
                )
                for k in range(4)
                for item in items
            )
        )
        sentinel = await create(items_stub, user.metadata, title="sentinel")
        seen: dict[int, list[int]] = {}
        while True:
            event = await watcher.next()
            if event.item.id == sentinel.id:
                break
            seen.setdefault(event.item.id, []).append(int(event.item.etag.split("-")[0]))
        for item in items:
            versions = seen[item.id]
            assert versions == sorted(set(versions)), versions  # no repeats, never backwards
            assert versions[0] == 1
            assert versions[-1] == 5  # the final state is always announced
    finally:
        watcher.cancel()


async def test_filter_and_ownership(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user, other, admin = await make_user(), await make_user(), await make_user(superuser=True)
    done_watcher = Watcher(items_stub, user.metadata, filter='status = COMPLETED OR title:"urgent"')
    admin_watcher = Watcher(items_stub, admin.metadata, filter=f"owner_id = {other.id}")
    try:
        await done_watcher.ready()
        await admin_watcher.ready()
        pending = await create(items_stub, user.metadata, title="pending")  # no match
        await create(
            items_stub,
            other.metadata,
            title="urgent but not mine",
            status=items_pb2.ITEM_STATUS_COMPLETED,
        )
        urgent = await create(items_stub, user.metadata, title="URGENT cooler")
        finished = await _update(
            items_stub,
            user,
            items_pb2.Item(id=pending.id, status=items_pb2.ITEM_STATUS_COMPLETED),
            ["status"],
        )
        # Events match the state after the change: leaving the filter is not announced.
        await _update(
            items_stub,
            user,
            items_pb2.Item(id=pending.id, status=items_pb2.ITEM_STATUS_PENDING),
            ["status"],
        )
        sentinel = await create(items_stub, user.metadata, title="urgent sentinel")
        got = [await done_watcher.next() for _ in range(3)]
        assert [(e.type, e.item.id) for e in got] == [
            (CREATED, urgent.id),
            (UPDATED, finished.id),
            (CREATED, sentinel.id),
        ]
        first = await admin_watcher.next()
        assert first.item.owner_id == other.id
        assert first.item.title == "urgent but not mine"
    finally:
        done_watcher.cancel()
        admin_watcher.cancel()


async def test_bad_filter_fails_fast(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    watcher = Watcher(items_stub, user.metadata, filter="colour = red")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await watcher.next()
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown field 'colour'" in (info.value.details() or "")


async def test_cancel_frees_the_subscription(
    server: RunningServer, items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    hub = server.app.container.item_events
    user = await make_user()
    before = hub.subscriber_count
    watchers = [Watcher(items_stub, user.metadata) for _ in range(3)]
    for watcher in watchers:
        await watcher.ready()
    assert hub.subscriber_count == before + 3
    for watcher in watchers:
        watcher.cancel()
    await _eventually(lambda: hub.subscriber_count == before)
    # A client that goes away without cancelling (channel closed) is freed too.
    async with grpc.aio.insecure_channel(server.address) as channel:
        watcher = Watcher(items_pb2_grpc.ItemServiceStub(channel), user.metadata)
        await watcher.ready()
        assert hub.subscriber_count == before + 1
    await _eventually(lambda: hub.subscriber_count == before)


async def test_rolled_back_write_is_never_announced(
    server: RunningServer, items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    container = server.app.container
    user = await make_user()
    watcher = Watcher(items_stub, user.metadata)
    try:
        await watcher.ready()
        item = await create(items_stub, user.metadata, title="real")
        assert (await watcher.next()).item.id == item.id
        # A write that rolls back (its result refused before COMMIT) announces nothing:
        # not the NOTIFY in its transaction (PostgreSQL), not the hub (SQLite).
        repository = ItemRepository(container.engine, publish=container.item_events.dispatch)
        refused = await repository.update(
            item.id, Scope.everything(), ItemChanges(title="ghost"), accept=lambda _item: False
        )
        assert refused is WriteMiss.STALE
        sentinel = await create(items_stub, user.metadata, title="sentinel")
        event = await watcher.next()
        assert (event.type, event.item.id) == (CREATED, sentinel.id)
    finally:
        watcher.cancel()


async def test_slow_watcher_is_cut_off_and_writers_are_not_held_up(
    settings: Settings, tmp_path: Path, make_user: UserFactory
) -> None:
    running = await start_server(
        make_settings(settings.database_url, tmp_path, watch_queue_size=16)
    )
    hub = running.app.container.item_events
    try:
        user = await make_user()
        async with (
            grpc.aio.insecure_channel(running.address) as writer_channel,
            grpc.aio.insecure_channel(running.address, options=SMALL_WINDOW) as slow_channel,
        ):
            writer = items_pb2_grpc.ItemServiceStub(writer_channel)
            slow = Watcher(items_pb2_grpc.ItemServiceStub(slow_channel), user.metadata)
            fast = Watcher(writer, user.metadata)
            await slow.ready()
            await fast.ready()
            assert hub.subscriber_count == 2
            worst = 0.0
            created = []
            for n in range(150):
                started = time.perf_counter()
                created.append(
                    await create(writer, user.metadata, title=f"n{n}", description="x" * 1000)
                )
                worst = max(worst, time.perf_counter() - started)
            # The stalled watcher was dropped without a single read; writes never waited.
            assert hub.subscriber_count == 1
            assert worst < 2.0
            # The reader that keeps up got everything, in order.
            assert [(await fast.next()).item.id for _ in created] == [c.id for c in created]
            # The slow one gets what was already on the wire, then RESOURCE_EXHAUSTED.
            received, error = await _drain(slow)
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "list the items again to resync" in (error.details() or "")
            assert received < len(created)
            fast.cancel()
    finally:
        await stop_server(running)


async def _drain(watcher: Watcher) -> tuple[int, grpc.aio.AioRpcError]:
    """Read until the stream fails: (events read, the error)."""
    received = 0
    while True:
        try:
            await watcher.next()
        except grpc.aio.AioRpcError as error:
            return received, error
        received += 1


async def test_shutdown_ends_streams_cleanly(
    settings: Settings, tmp_path: Path, make_user: UserFactory
) -> None:
    running = await start_server(make_settings(settings.database_url, tmp_path, grace_period=10))
    user = await make_user()
    async with grpc.aio.insecure_channel(running.address) as channel:
        watcher = Watcher(items_pb2_grpc.ItemServiceStub(channel), user.metadata)
        await watcher.ready()
        started = time.perf_counter()
        await stop_server(running, grace=10)
        assert time.perf_counter() - started < 5, "an open watch must not hold up the stop"
        assert await asyncio.wait_for(watcher.call.read(), 5) is grpc.aio.EOF
        assert await watcher.call.code() == grpc.StatusCode.OK
        assert running.app.container.item_events.subscriber_count == 0


# --- PostgreSQL: LISTEN/NOTIFY -----------------------------------------------------------------


def _require_postgres(settings: Settings) -> None:
    if settings.is_sqlite:
        pytest.skip("cross-process events need PostgreSQL (SQLite's hub is in-process)")


async def test_watcher_sees_writes_made_through_another_instance(
    settings: Settings,
    tmp_path: Path,
    server: RunningServer,
    items_stub: items_pb2_grpc.ItemServiceStub,
    make_user: UserFactory,
) -> None:
    _require_postgres(settings)
    second = await start_server(make_settings(settings.database_url, tmp_path))
    try:
        # A separate engine and listener: nothing is shared in-process.
        assert second.app.container.engine is not server.app.container.engine
        assert second.app.container.item_events is not server.app.container.item_events
        user = await make_user()
        watcher = Watcher(items_stub, user.metadata)  # on the session's server
        try:
            await watcher.ready()
            async with grpc.aio.insecure_channel(second.address) as channel:
                other_instance = items_pb2_grpc.ItemServiceStub(channel)
                item = await create(other_instance, user.metadata, title="via instance two")
                updated = await _update(
                    other_instance, user, items_pb2.Item(id=item.id, title="again"), ["title"]
                )
                await other_instance.DeleteItem(
                    items_pb2.DeleteItemRequest(id=item.id), metadata=user.metadata
                )
            events = [await watcher.next() for _ in range(3)]
            assert [(e.type, e.item) for e in events] == [
                (CREATED, item),
                (UPDATED, updated),
                (DELETED, updated),
            ]
        finally:
            watcher.cancel()
    finally:
        await stop_server(second)


async def test_lost_listener_ends_watchers_and_recovers(
    settings: Settings, tmp_path: Path, make_user: UserFactory
) -> None:
    _require_postgres(settings)
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    running = await start_server(make_settings(settings.database_url, tmp_path))
    hub: ItemEventHub = running.app.container.item_events
    try:
        assert hub.listener is not None
        pid = hub.listener.backend_pid
        assert pid is not None
        user = await make_user()
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = items_pb2_grpc.ItemServiceStub(channel)
            watcher = Watcher(stub, user.metadata)
            await watcher.ready()
            admin = await asyncpg.connect(
                make_url(settings.database_url)
                .set(drivername="postgresql")
                .render_as_string(hide_password=False)
            )
            try:
                await admin.execute("SELECT pg_terminate_backend($1)", pid)
            finally:
                await admin.close()
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await watcher.next()
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
            assert "resync" in (info.value.details() or "")
            # The listener reconnects; a new watch works again.
            await _eventually(
                lambda: hub.listener is not None and hub.listener.backend_pid not in (None, pid), 10
            )
            again = Watcher(stub, user.metadata)
            await again.ready()
            item = await create(stub, user.metadata, title="after reconnect")
            assert (await again.next()).item.id == item.id
            again.cancel()
    finally:
        await stop_server(running)


# --- PostgreSQL: the outbox, the notifier and the catch-up sweep -------------------------------


def _orphan_writer(server: RunningServer) -> tuple[ItemRepository, PgDirect]:
    """A writer whose events nobody announces: what a process that died right after
    its COMMITs leaves behind (the outbox rows, committed, and no notifier)."""
    settings = server.app.settings
    direct = create_pg_direct(settings)
    assert direct is not None
    return ItemRepository(server.app.container.engine, direct=direct), direct


@pytest.fixture
def session_sweep_held_off(server: RunningServer) -> Iterator[None]:
    """The session's server sweeps the same database (rows older than 5 s): on a slow
    machine it could take a test's rows first. Held off, the test's own notifier is
    the only sender of its rows."""
    notifier = server.app.container.item_notifier
    if notifier is None:
        pytest.skip("the outbox notifier exists on PostgreSQL only")
    before, notifier.catch_up_after = notifier.catch_up_after, 3600.0
    try:
        yield
    finally:
        notifier.catch_up_after = before


async def _outbox_rows(server: RunningServer, item_ids: list[int]) -> int:
    direct = server.app.container.pg_direct
    assert direct is not None
    async with direct.connection() as connection:
        found: int = await connection.fetchval(
            "SELECT count(*) FROM item_outbox WHERE item_id = ANY($1::bigint[])", item_ids
        )
    return found


async def test_events_a_dead_writer_committed_are_announced_once_by_the_sweep(
    settings: Settings, tmp_path: Path, make_user: UserFactory, session_sweep_held_off: None
) -> None:
    _require_postgres(settings)
    running = await start_server(
        make_settings(settings.database_url, tmp_path, watch_catch_up_after=0.5)
    )
    notifier = running.app.container.item_notifier
    assert notifier is not None
    repository, direct = _orphan_writer(running)
    try:
        user = await make_user()
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = items_pb2_grpc.ItemServiceStub(channel)
            watcher = Watcher(stub, user.metadata)
            await watcher.ready()
            swept_before = notifier.swept
            kept = await repository.add(NewItem("kept", "", ItemStatus.PENDING, user.id))
            first = await repository.add(NewItem("first", "", ItemStatus.PENDING, user.id))
            later = await repository.update(first.id, Scope.everything(), ItemChanges(title="b"))
            assert isinstance(later, ItemRecord)
            assert await _outbox_rows(running, [kept.id, first.id]) == 3  # committed, waiting
            # Announced by the sweep (0.5 s old), in order; `first`'s CREATED is superseded
            # by its update (it carries the newer state) and is not announced.
            events = [await watcher.next() for _ in range(2)]
            assert [(e.type, e.item.id, e.item.title) for e in events] == [
                (CREATED, kept.id, "kept"),
                (UPDATED, first.id, "b"),
            ]
            assert events[1].item.etag == later.etag
            # (The sweep counts its rows when its reply arrives, which can be after the
            # notifications reached the watcher; other tests' leftovers may add to it.)
            await _eventually(lambda: notifier.swept - swept_before >= 2)
            assert await _outbox_rows(running, [kept.id, first.id]) == 0
            # Nothing twice: after two more sweeps, the next event is a new write's.
            await asyncio.sleep(2 * notifier.sweep_every + 0.5)
            sentinel = await create(stub, user.metadata, title="sentinel")
            event = await watcher.next()
            assert (event.type, event.item.id) == (CREATED, sentinel.id)
            watcher.cancel()
    finally:
        await direct.close()
        await stop_server(running)


async def test_stop_announces_the_queued_events_first(
    settings: Settings,
    server: RunningServer,
    items_stub: items_pb2_grpc.ItemServiceStub,
    make_user: UserFactory,
    session_sweep_held_off: None,
) -> None:
    """A graceful stop flushes the notifier: its queued events reach the watchers of
    another instance at once, not a catch-up sweep later."""
    _require_postgres(settings)
    # A notifier of its own that has not run yet: every event below is still queued.
    notifier = OutboxNotifier(settings.database_url, catch_up_after=60)
    _repository, direct = _orphan_writer(server)
    repository = ItemRepository(
        server.app.container.engine, direct=direct, announce=notifier.announce
    )
    user = await make_user()
    watcher = Watcher(items_stub, user.metadata)  # on the session's server
    try:
        await watcher.ready()
        made = [
            await repository.add(NewItem(f"q{n}", "", ItemStatus.PENDING, user.id))
            for n in range(20)
        ]
        assert notifier.pending == 20
        assert notifier.sent == 0
        await notifier.start()
        await notifier.stop()  # returns once the queue is announced
        assert notifier.pending == 0
        assert notifier.sent == 20  # by its batches, not by any sweep
        assert await _outbox_rows(server, [m.id for m in made]) == 0
        got = [await watcher.next() for _ in made]
        assert [(e.type, e.item.id) for e in got] == [(CREATED, m.id) for m in made]
    finally:
        watcher.cancel()
        await notifier.stop()
        await direct.close()


async def test_a_full_queue_defers_events_to_the_sweep_and_loses_none(
    settings: Settings,
    server: RunningServer,
    items_stub: items_pb2_grpc.ItemServiceStub,
    make_user: UserFactory,
    session_sweep_held_off: None,
) -> None:
    _require_postgres(settings)
    notifier = OutboxNotifier(
        settings.database_url, catch_up_after=0.3, sweep_every=0.2, max_pending=5
    )
    _repository, direct = _orphan_writer(server)
    repository = ItemRepository(
        server.app.container.engine, direct=direct, announce=notifier.announce
    )
    user = await make_user()
    watcher = Watcher(items_stub, user.metadata)
    try:
        await watcher.ready()
        made = [
            await repository.add(NewItem(f"b{n}", "", ItemStatus.PENDING, user.id))
            for n in range(8)
        ]
        # The writes all succeeded; three events did not fit in the queue.
        assert (notifier.pending, notifier.deferred) == (5, 3)
        await notifier.start()
        got = [await watcher.next() for _ in made]
        # The five queued first, then the three the sweep found (each once, in order).
        assert [e.item.id for e in got] == [m.id for m in made]
        # Counted when each statement's reply arrives (maybe after the watcher's events).
        await _eventually(lambda: notifier.sent == 5 and notifier.swept >= 3)
        assert await _outbox_rows(server, [m.id for m in made]) == 0
    finally:
        watcher.cancel()
        await notifier.stop()
        await direct.close()
