"""Shared fixtures: a real server on an ephemeral port, on SQLite or PostgreSQL.

OPENGOVFOOD_TEST_DATABASE_URL selects the backend:
- unset or `sqlite`: a SQLite file in a temporary directory;
- `postgresql+asyncpg://user@host:port/anydb`: a fresh, randomly named database
  is created on that server for the session and dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# The server side is imported by the fixtures that use it, so `make test-unit`
# (tests/unit) starts without loading gRPC, SQLAlchemy or the LLM providers.
if TYPE_CHECKING:
    import grpc

    from opengovfood.config import Settings
    from opengovfood_client.v1 import (
        agent_pb2_grpc,
        establishments_pb2_grpc,
        items_pb2_grpc,
        users_pb2_grpc,
    )
    from support.databases import TestDatabase
    from support.server import RunningServer, UserFactory


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    from opengovfood.db import migrate
    from support.databases import create_test_database

    base = os.environ.get("OPENGOVFOOD_TEST_DATABASE_URL", "sqlite")
    with create_test_database(base, tmp_path_factory.mktemp("db")) as database:
        migrate.upgrade(database.url)
        yield database


@pytest.fixture(scope="session")
def settings(test_database: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from support.server import make_settings

    return make_settings(test_database.url, tmp_path_factory.mktemp("server"))


@pytest.fixture(scope="session")
async def server(settings: Settings) -> AsyncIterator[RunningServer]:
    from support.server import start_server, stop_server

    running = await start_server(settings)
    yield running
    await stop_server(running)


@pytest.fixture(scope="session")
async def channel(server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    import grpc

    async with grpc.aio.insecure_channel(server.address) as channel:
        yield channel


@pytest.fixture(scope="session")
def users_stub(channel: grpc.aio.Channel) -> users_pb2_grpc.UserServiceStub:
    from opengovfood_client.v1 import users_pb2_grpc

    return users_pb2_grpc.UserServiceStub(channel)


@pytest.fixture(scope="session")
def items_stub(channel: grpc.aio.Channel) -> items_pb2_grpc.ItemServiceStub:
    from opengovfood_client.v1 import items_pb2_grpc

    return items_pb2_grpc.ItemServiceStub(channel)


@pytest.fixture(scope="session")
def establishments_stub(
    channel: grpc.aio.Channel,
) -> establishments_pb2_grpc.EstablishmentServiceStub:
    from opengovfood_client.v1 import establishments_pb2_grpc

    return establishments_pb2_grpc.EstablishmentServiceStub(channel)


@pytest.fixture(scope="session")
def agent_stub(channel: grpc.aio.Channel) -> agent_pb2_grpc.AgentServiceStub:
    from opengovfood_client.v1 import agent_pb2_grpc

    return agent_pb2_grpc.AgentServiceStub(channel)


@pytest.fixture(scope="session")
def make_user(server: RunningServer) -> UserFactory:
    from support.server import UserFactory

    return UserFactory(server.app)


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database on the backend under test (sync: made outside the loop)."""
    from opengovfood.db import migrate
    from support.databases import create_test_database

    base = os.environ.get("OPENGOVFOOD_TEST_DATABASE_URL", "sqlite")
    (tmp_path / "fresh").mkdir()
    with create_test_database(base, tmp_path / "fresh") as database:
        migrate.upgrade(database.url)
        yield database.url
