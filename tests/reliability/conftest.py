"""Reliability suite: a server of its own per module where tests change server-wide
state, and the figures each run reports (cases, faults, writes) at the end."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest

from opengovfood.db import migrate
from support.databases import TestDatabase, create_test_database
from support.reliability import FIGURES
from support.server import RunningServer, UserFactory, make_settings, start_server, stop_server


@pytest.fixture(scope="module")
def own_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    """A database of the module's own (same backend as the session's)."""
    base = os.environ.get("OPENGOVFOOD_TEST_DATABASE_URL", "sqlite")
    with create_test_database(base, tmp_path_factory.mktemp("own-db")) as database:
        migrate.upgrade(database.url)
        yield database


@pytest.fixture(scope="module")
async def own_server(
    own_database: TestDatabase, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningServer]:
    tmp: Path = tmp_path_factory.mktemp("own-server")
    settings = make_settings(
        own_database.url,
        tmp,
        access_log=False,
        # No LLM is reachable: agent calls answer UNAVAILABLE quickly, never hang.
        llm_provider="ollama",
        ollama_url="http://127.0.0.1:9",
    )
    running = await start_server(settings)
    yield running
    await stop_server(running)


@pytest.fixture(scope="module")
async def own_channel(own_server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(own_server.address) as channel:
        yield channel


@pytest.fixture(scope="module")
def own_users(own_server: RunningServer) -> UserFactory:
    return UserFactory(own_server.app)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for key, value in sorted(Counter(FIGURES).items()):
            terminalreporter.write_line(f"{key}: {value}")
