"""PostgreSQL's raw-connection path (db/pg_direct.py): it serves the items' reads and
writes, keeps its connections, survives a connection the server killed, answers
SQLAlchemy's errors, and gives up waiting for a connection after the pool timeout."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import bindparam, exc, select, text

from opengovfood.db.pg_direct import PgDirect, asyncpg_connect, compile_statement
from opengovfood.domain.items import ItemStatus, NewItem, UnknownEstablishment
from opengovfood.repositories.items import COLUMNS, ItemRepository
from opengovfood.repositories.items import items as items_table
from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.items import create
from support.server import RunningServer, UserFactory


def _direct(server: RunningServer) -> PgDirect:
    direct = server.app.container.pg_direct
    if direct is None:
        pytest.skip("the raw-connection path exists on PostgreSQL only")
    return direct


def _dsn(server: RunningServer) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(server.app.settings.database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def test_items_are_served_on_raw_connections_that_are_kept(
    server: RunningServer, items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    direct = _direct(server)
    user = await make_user()
    made = await asyncio.gather(
        *(create(items_stub, user.metadata, title=f"direct {n}") for n in range(12))
    )
    opened = direct.opened
    assert 1 <= opened <= direct.size
    for _ in range(3):
        got = await asyncio.gather(
            *(
                items_stub.GetItem(items_pb2.GetItemRequest(id=m.id), metadata=user.metadata)
                for m in made
            )
        )
        assert list(got) == list(made)  # every field, timestamps and etag included
    page = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=5, filter="status = PENDING"), metadata=user.metadata
    )
    newest = sorted(made, key=lambda m: (m.create_time.ToDatetime(), m.id), reverse=True)
    assert list(page.items) == newest[:5]
    assert page.total_size == 12
    assert direct.opened <= max(opened, 12)  # reused, not reopened per call
    assert direct.idle == direct.opened  # every one went back


async def _kill_idle(server: RunningServer) -> int:
    admin = await asyncpg.connect(_dsn(server))
    try:
        return int(
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = 'opengovfood' AND datname = current_database()"
                " AND pid <> pg_backend_pid() AND state = 'idle'"
            )
        )
    finally:
        await admin.close()


async def test_reads_and_transactions_survive_connections_the_server_killed(
    server: RunningServer, items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    direct = _direct(server)
    user = await make_user()
    item = await create(items_stub, user.metadata, title="survivor")
    assert await _kill_idle(server) >= 1
    got = await items_stub.GetItem(items_pb2.GetItemRequest(id=item.id), metadata=user.metadata)
    assert got == item
    assert direct.idle >= 1
    assert await _kill_idle(server) >= 1
    updated = await items_stub.UpdateItem(  # BEGIN finds the dead ones first
        items_pb2.UpdateItemRequest(item=items_pb2.Item(id=item.id, title="still", etag=item.etag)),
        metadata=user.metadata,
    )
    assert updated.title == "still"


async def test_errors_are_sqlalchemys_and_the_pool_waits_only_so_long(
    server: RunningServer, make_user: UserFactory
) -> None:
    _direct(server)
    direct = PgDirect(asyncpg_connect(_dsn(server), 5.0, 30.0, "opengovfood-test"), 1, 0.2)
    try:
        repository = ItemRepository(server.app.container.engine, direct=direct)
        twice = compile_statement(
            text(
                "INSERT INTO item_counts (department_id, owner_id, status, slot, n)"
                " VALUES (-7, -7, 'x', 0, 0)"
            )
        )
        await direct.fetch_once(twice, {})
        with pytest.raises(exc.IntegrityError):  # the primary key
            await direct.fetch_once(twice, {})
        with pytest.raises(UnknownEstablishment):  # a foreign key, as the engine path says
            await repository.add(NewItem("orphan", "", ItemStatus.PENDING, 2**62))
        user = await make_user()
        made = await repository.add(NewItem("mine", "", ItemStatus.PENDING, user.id))
        stmt = compile_statement(select(*COLUMNS).where(items_table.c.id == bindparam("id")))
        async with direct.connection() as held:
            await held.fetch("SELECT 1")
            with pytest.raises(exc.TimeoutError):
                await direct.fetch(stmt, {"id": made.id})
        rows = await direct.fetch(stmt, {"id": made.id})
        assert rows[0]["title"] == "mine"
        async with direct.connection() as connection:  # autocommit: nothing left open
            assert not connection.is_in_transaction()
        with pytest.raises(asyncpg.PostgresError):  # not an outage: left as it is
            await direct.fetch(compile_statement(text("SELECT no_such_column FROM items")), {})
    finally:
        await direct.close()


async def test_a_cancelled_statement_is_cancelled_on_the_server_and_its_connection_kept(
    server: RunningServer,
) -> None:
    """A caller that gives up (a deadline) while its statement waits on a row lock: the
    statement leaves PostgreSQL (asyncpg's CancelRequest is not cut off by dropping the
    connection), and the connection goes back to the pool once the cancel has landed."""
    _direct(server)
    dsn = _dsn(server)
    direct = PgDirect(asyncpg_connect(dsn, 5.0, 30.0, "opengovfood-test"), 1, 5.0)
    locker = await asyncpg.connect(dsn)
    try:
        await direct.fetch_once(
            compile_statement(
                text(
                    "INSERT INTO item_counts (department_id, owner_id, status, slot, n)"
                    " VALUES (-8, -8, 'x', 0, 0)"
                )
            ),
            {},
        )
        bump = compile_statement(
            text("UPDATE item_counts SET n = n + 1 WHERE owner_id = -8 RETURNING n")
        )
        async with direct.connection() as connection:
            backend = connection.get_server_pid()
        async with locker.transaction():
            await locker.execute("SELECT 1 FROM item_counts WHERE owner_id = -8 FOR UPDATE")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(direct.fetch_once(bump, {}), 0.3)
            for _ in range(40):
                waiting = await locker.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = $1"
                    " AND wait_event_type = 'Lock'",
                    backend,
                )
                if waiting == 0:
                    break
                await asyncio.sleep(0.05)
            assert waiting == 0, "the cancelled UPDATE still waits for the lock"
        for _ in range(40):
            if direct.idle == 1:
                break
            await asyncio.sleep(0.05)
        assert direct.idle == 1
        assert direct.opened == 1
        async with direct.connection() as connection:  # the same connection, usable
            assert connection.get_server_pid() == backend
        assert (await direct.fetch_once(bump, {}))[0]["n"] == 1  # the cancelled one never ran
    finally:
        await locker.close()
        await direct.fetch_once(
            compile_statement(text("DELETE FROM item_counts WHERE owner_id = -8")), {}
        )
        await direct.close()
