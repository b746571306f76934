"""`opengov-food serve` runs on uvloop (opengovfood/eventloop.py): unary and streaming
RPCs, database reads and writes, all through a real server process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest

from opengovfood_client.v1 import items_pb2, items_pb2_grpc, users_pb2, users_pb2_grpc
from support.server import SECRET, UserFactory

if TYPE_CHECKING:  # imported here, pytest would try to collect the class
    from support.databases import TestDatabase

SERVE = str(Path(sys.executable).parent / "opengov-food")


@pytest.fixture
def served(test_database: TestDatabase, tmp_path: Path) -> Iterator[tuple[str, int]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [SERVE, "serve", "--address", f"127.0.0.1:{port}"],
        env={
            **os.environ,
            "OPENGOVFOOD_DATABASE_URL": test_database.url,
            "OPENGOVFOOD_SECRET_KEY": SECRET,
            "OPENGOVFOOD_LOG_FORMAT": "console",
            "OPENGOVFOOD_GRACE_PERIOD": "2",
        },
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"127.0.0.1:{port}", proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


async def test_the_server_process_serves_on_uvloop(
    served: tuple[str, int], make_user: UserFactory
) -> None:
    address, pid = served
    user = await make_user()
    async with grpc.aio.insecure_channel(address) as channel:
        await asyncio.wait_for(channel.channel_ready(), 30)
        items = items_pb2_grpc.ItemServiceStub(channel)
        me = await users_pb2_grpc.UserServiceStub(channel).GetMe(
            users_pb2.GetMeRequest(), metadata=user.metadata, timeout=10
        )
        assert me.id == user.id
        watch = items.WatchItems(items_pb2.WatchItemsRequest(), metadata=user.metadata)
        await watch.initial_metadata()  # subscribed
        created = await items.CreateItem(
            items_pb2.CreateItemRequest(item=items_pb2.Item(title="uvloop check")),
            metadata=user.metadata,
            timeout=10,
        )
        event = await asyncio.wait_for(watch.read(), 10)
        assert event.item.id == created.id
        watch.cancel()
        fetched = await items.GetItem(
            items_pb2.GetItemRequest(id=created.id), metadata=user.metadata, timeout=10
        )
        assert fetched.etag == created.etag
    assert "uvloop" in Path(f"/proc/{pid}/maps").read_text()  # noqa: ASYNC240 - /proc, instant
