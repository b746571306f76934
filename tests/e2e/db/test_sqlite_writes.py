"""SQLite's item writes on one thread (db/sqlite_writes.py): they serve the server's
item writes, a write whose caller was cancelled before COMMIT rolls back (one still
queued never runs), a failure rolls back, commits are announced, and a write that
cannot get its turn in time answers like an exhausted pool."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import exc

from opengovfood.db.sqlite_writes import SqliteTransaction, SqliteWrites
from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.items import create
from support.server import RunningServer, UserFactory


async def test_item_writes_go_through_the_writer(
    server: RunningServer, items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    writes = server.app.container.sqlite_writes
    if writes is None:
        pytest.skip("the write thread exists on SQLite only")
    user = await make_user()
    before = writes.served
    item = await create(items_stub, user.metadata, title="written once")
    await items_stub.UpdateItem(
        items_pb2.UpdateItemRequest(item=items_pb2.Item(id=item.id, title="twice", etag=item.etag)),
        metadata=user.metadata,
    )
    await items_stub.DeleteItem(items_pb2.DeleteItemRequest(id=item.id), metadata=user.metadata)
    assert writes.served - before == 3


def _database(tmp_path: Path) -> str:
    path = str(tmp_path / "writes.db")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.close()
    return path


def _insert(  # type: ignore[no-untyped-def]
    n: int,
    pause: float = 0.0,
    fail: bool = False,
    inside: threading.Event | None = None,
    release: threading.Event | None = None,
):
    def work(tx: SqliteTransaction) -> int:
        tx._connection.execute("INSERT INTO t (n) VALUES (?)", (n,))
        if inside is not None:
            inside.set()
        if release is not None:
            release.wait(10)
        time.sleep(pause)
        if fail:
            raise ValueError("refused")
        return n

    return work


def _rows(path: str) -> list[int]:
    connection = sqlite3.connect(path)
    try:
        return [n for (n,) in connection.execute("SELECT n FROM t ORDER BY n")]
    finally:
        connection.close()


async def test_a_write_whose_caller_gave_up_does_not_land(tmp_path: Path) -> None:
    path = _database(tmp_path)
    writes = SqliteWrites(path, busy_timeout_ms=1000, queue_timeout=5.0)
    announced: list[int] = []
    try:
        # Events, not sleeps: on a loaded machine the loop may not run for a while, and
        # the write must still be inside its transaction when its caller gives up.
        inside, release = threading.Event(), threading.Event()
        running = asyncio.create_task(
            writes.run(_insert(1, inside=inside, release=release), announced.append)
        )
        queued = asyncio.create_task(writes.run(_insert(2), announced.append))
        assert await asyncio.to_thread(inside.wait, 10)
        running.cancel()  # on the thread, before COMMIT: it rolls back
        queued.cancel()  # still waiting for its turn: it never runs
        await asyncio.wait({running, queued}, timeout=10)  # both callers have given up
        assert running.cancelled()
        release.set()
        await asyncio.gather(running, queued, return_exceptions=True)
        await asyncio.sleep(0.4)
        assert announced == []
        assert _rows(path) == []

        with pytest.raises(ValueError, match="refused"):
            await writes.run(_insert(3, fail=True), announced.append)
        assert _rows(path) == []  # rolled back, not announced
        assert await writes.run(_insert(4), announced.append) == 4
        await asyncio.sleep(0.05)
        assert announced == [4]
        assert _rows(path) == [4]
    finally:
        await writes.close()


async def test_a_locked_database_and_a_long_queue_answer_sqlalchemys_errors(
    tmp_path: Path,
) -> None:
    path = _database(tmp_path)
    writes = SqliteWrites(path, busy_timeout_ms=200, queue_timeout=0.3)
    locker = sqlite3.connect(path, timeout=0)
    locker.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        outcomes = await asyncio.gather(
            *(writes.run(_insert(n)) for n in range(5)), return_exceptions=True
        )
        kinds = {type(outcome) for outcome in outcomes}
        assert exc.OperationalError in kinds  # "database is locked" after the busy timeout
        assert exc.TimeoutError in kinds  # waited longer than the queue timeout
        assert kinds <= {exc.OperationalError, exc.TimeoutError}
        assert time.monotonic() - started < 2.0
    finally:
        locker.rollback()
        locker.close()
        await writes.close()
    assert _rows(path) == []
