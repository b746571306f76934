"""Hot SQLite reads on a dedicated connection (db/fast_reads.py): used, equal to the
normal path, never blocked by a writer, and declining what they should not run."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from opengovfood.db import sqlite_inline
from opengovfood.db.fast_reads import SqliteFastReads, compile_read
from opengovfood.domain.principal import Principal
from opengovfood.repositories.items import ItemRepository
from opengovfood.repositories.items import items as items_table
from opengovfood.services.items import ItemService
from opengovfood.services.watch import ItemEventHub
from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.items import create
from support.server import RunningServer, UserFactory


def _fast(server: RunningServer) -> SqliteFastReads:
    if not server.app.settings.is_sqlite:
        pytest.skip("the fast read path exists on SQLite only")
    fast = server.app.container.fast_reads
    assert fast is not None
    return fast


def _path(server: RunningServer) -> str:
    path = make_url(server.app.settings.database_url).database
    assert path
    return path


async def test_get_and_list_are_served_by_the_fast_path(
    server: RunningServer, items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    made = [await create(items_stub, user.metadata, title=f"fast {i}") for i in range(3)]
    fast = _fast(server)
    before = fast.served
    got = await items_stub.GetItem(items_pb2.GetItemRequest(id=made[0].id), metadata=user.metadata)
    page = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=2), metadata=user.metadata
    )
    rest = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=2, page_token=page.next_page_token),
        metadata=user.metadata,
    )
    # GetItem, the first page, its count, the second page.
    assert fast.served - before == 4
    assert got == made[0]  # every field, timestamps and etag included
    assert [i.id for i in (*page.items, *rest.items)] == [m.id for m in reversed(made)]
    assert list(page.items) == list(reversed(made))[:2]
    assert page.total_size == rest.total_size == 3


async def test_fast_and_normal_paths_answer_alike(
    server: RunningServer, items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    _fast(server)
    user = await make_user()
    for i, status in enumerate(["ITEM_STATUS_PENDING", "ITEM_STATUS_COMPLETED"] * 6):
        await create(
            items_stub,
            user.metadata,
            title=f"Cooler {i % 4}",
            status=items_pb2.ItemStatus.Value(status),
        )
    container = server.app.container
    fast = container.items
    normal = ItemService(
        ItemRepository(container.engine),
        ItemEventHub(10, use_notify=False),
        container.page_tokens,
    )
    principal = Principal(kind="user", user_id=user.id, name=user.email)
    queries = [
        ("", ""),
        ("status = COMPLETED", ""),
        ('title:"cooler 1" OR status = PENDING', "title desc"),
        ("NOT status = PENDING", "update_time, id desc"),
        (f'create_time > "2000-01-01T00:00:00Z" AND owner_id = {user.id}', "title, create_time"),
    ]
    for text, order in queries:
        for size in (1, 5, 50):
            pages: dict[str, list[object]] = {}
            for name, service in (("fast", fast), ("normal", normal)):
                token, seen = "", []
                while True:
                    page = await service.list_items(
                        principal, page_size=size, page_token=token, filter=text, order_by=order
                    )
                    seen.append((page.items, page.total_size))
                    token = page.next_page_token
                    if not token:
                        break
                pages[name] = seen
            assert pages["fast"] == pages["normal"], (text, order, size)
            assert sum(len(items) for items, _ in pages["fast"]) == pages["fast"][0][1] > 0
        for item in (await normal.list_items(principal, filter=text)).items:
            assert await fast.get_item(principal, item.id) == await normal.get_item(
                principal, item.id
            )


async def test_a_writer_holding_the_lock_does_not_block_fast_reads(
    server: RunningServer, items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    fast = _fast(server)
    user = await make_user()
    item = await create(items_stub, user.metadata, title="committed")
    writer = sqlite3.connect(_path(server), timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE items SET title = 'uncommitted' WHERE id = ?", (item.id,))
        before = fast.served
        started = time.monotonic()
        got = await items_stub.GetItem(
            items_pb2.GetItemRequest(id=item.id), metadata=user.metadata, timeout=2
        )
        assert time.monotonic() - started < 1.0
        assert got.title == "committed"
        assert fast.served == before + 1
        writer.commit()
    finally:
        writer.close()
    got = await items_stub.GetItem(items_pb2.GetItemRequest(id=item.id), metadata=user.metadata)
    assert got.title == "uncommitted"  # the next read sees the commit


async def test_a_read_over_budget_goes_back_to_the_normal_path_and_stays_there(
    server: RunningServer,
    items_stub: items_pb2_grpc.ItemServiceStub,
    make_user: UserFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = await make_user()
    for i in range(30):
        await create(items_stub, user.metadata, title=f"budget {i}")
    fast = _fast(server)
    request = items_pb2.ListItemsRequest(page_size=10, filter='title:"budget"')
    monkeypatch.setattr(sqlite_inline, "INLINE_BUDGET", 0)
    monkeypatch.setattr(sqlite_inline, "PROGRESS_STEPS", 1)
    declined = fast.declined
    page = await items_stub.ListItems(request, metadata=user.metadata)
    assert fast.declined >= declined + 1
    assert len(page.items) == 10
    assert page.total_size == 30
    monkeypatch.undo()
    # Remembered as slow: not tried inline again, still answered.
    declined, served = fast.declined, fast.served
    again = await items_stub.ListItems(request, metadata=user.metadata)
    assert list(again.items) == list(page.items)
    assert fast.declined >= declined + 1
    assert fast.served == served


def test_the_fast_connection_cannot_write(server: RunningServer) -> None:
    fast = _fast(server)
    connection = fast._connection()
    assert connection is not None
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
        connection.execute("DELETE FROM items")


def test_a_database_not_in_wal_mode_is_never_read_inline(tmp_path: Path) -> None:
    path = str(tmp_path / "journal.db")
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=DELETE")
        setup.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT)")
    fast = SqliteFastReads(path)
    read = compile_read(select(items_table.c.id))
    assert read is not None
    assert fast.fetch(read, {}) is None
    assert fast.declined == 1


def test_statements_with_expanding_parameters_are_not_compiled() -> None:
    assert compile_read(select(items_table.c.id).where(items_table.c.id.in_([1, 2]))) is None


async def test_a_missing_database_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    fast = SqliteFastReads(str(path))
    read = compile_read(select(items_table.c.id))
    assert read is not None
    assert fast.fetch(read, {}) is None
    await asyncio.sleep(0)
    assert not path.exists()
