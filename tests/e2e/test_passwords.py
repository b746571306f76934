"""Password policy and the bcrypt pool: limits, dummy checks, backpressure, cost upgrades."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import bcrypt
import grpc
import pytest
from sqlalchemy import select

from opengovfood.config import Settings
from opengovfood.db.models import User
from opengovfood.errors import InvalidArgument, ResourceExhausted
from opengovfood.services.passwords import PasswordHasher, hash_cost, password_violations
from opengovfood_client.v1 import users_pb2_grpc
from support.auth import login
from support.server import UserFactory, make_settings, start_server, stop_server


@pytest.fixture
async def hasher() -> AsyncIterator[PasswordHasher]:
    made = PasswordHasher(rounds=4)
    yield made
    made.close()


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "is required"),
        ("seven77", "at least 8 characters"),
        ("x" * 73, "at most 72 bytes"),
        ("ü" * 37, "at most 72 bytes"),  # 37 characters, 74 bytes
        ("bad \udc80 surrogate", "valid Unicode"),
    ],
)
def test_password_policy(password: str, problem: str) -> None:
    violations = password_violations(password, "new_password")
    assert [v.field for v in violations] == ["new_password"]
    assert problem in violations[0].description


def test_password_policy_accepts_the_limits() -> None:
    assert password_violations("eight888") == []
    assert password_violations("x" * 72) == []
    assert password_violations("ü" * 36) == []


async def test_hash_and_verify(hasher: PasswordHasher) -> None:
    hashed = await hasher.hash("a good password")
    assert hash_cost(hashed) == 4
    assert await hasher.verify("a good password", hashed)
    assert not await hasher.verify("a bad password", hashed)
    assert not await hasher.verify("x" * 100, hashed)  # never raises past 72 bytes
    assert not await hasher.verify("a good password", "not-a-bcrypt-hash")
    assert not await hasher.verify("a good password", None)  # dummy check, always False


async def test_hash_refuses_overlong_input_instead_of_crashing(hasher: PasswordHasher) -> None:
    with pytest.raises(InvalidArgument):
        await hasher.hash("y" * 73)


async def test_pool_sheds_load_beyond_max_pending() -> None:
    small = PasswordHasher(rounds=8, max_threads=1, max_pending=2)
    try:
        results = await asyncio.gather(
            *(small.hash("password 123") for _ in range(4)), return_exceptions=True
        )
    finally:
        small.close()
    assert sum(isinstance(r, str) for r in results) == 2
    refused = [r for r in results if isinstance(r, ResourceExhausted)]
    assert len(refused) == 2
    assert refused[0].retry_after == 1.0


async def test_login_upgrades_a_hash_made_at_another_cost(
    settings: Settings, tmp_path: Path
) -> None:
    running = await start_server(make_settings(settings.database_url, tmp_path, bcrypt_rounds=5))
    try:
        user = await UserFactory(running.app)()
        old_hash = bcrypt.hashpw(user.password.encode(), bcrypt.gensalt(4)).decode()
        async with running.app.container.sessions() as session, session.begin():
            row = await session.get(User, user.id)
            assert row is not None
            row.hashed_password = old_hash
        async with grpc.aio.insecure_channel(running.address) as channel:
            await login(users_pb2_grpc.UserServiceStub(channel), user.email, user.password)
        async with running.app.container.sessions() as session:
            stored = await session.scalar(select(User.hashed_password).where(User.id == user.id))
        assert stored is not None
        assert hash_cost(stored) == 5
        assert bcrypt.checkpw(user.password.encode(), stored.encode())
    finally:
        await stop_server(running)
