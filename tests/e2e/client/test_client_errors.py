"""Every failed call raises the exception for its status, with the rich details exposed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from opengovfood_client import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    OpenGovFoodError,
    PermissionDeniedError,
    RateLimitedError,
    UnauthenticatedError,
)
from opengovfood_client.aio import AsyncClient
from support import databases
from support.clients import PASSWORD, signed_in, unique_email
from support.server import RunningServer, make_settings, start_server, stop_server


@pytest.fixture
async def client(server: RunningServer) -> AsyncIterator[AsyncClient]:
    signed = await signed_in(server.address)
    yield signed
    await signed.close()


async def test_invalid_argument_exposes_field_violations(server: RunningServer) -> None:
    async with AsyncClient(server.address) as anonymous:
        with pytest.raises(InvalidArgumentError) as caught:
            await anonymous.users.register("not-an-email", "short", "x")
    error = caught.value
    fields = {violation.field for violation in error.field_violations}
    assert {"email", "password"} <= fields
    assert all(violation.description for violation in error.field_violations)
    assert error.request_id  # the server's request id, for support questions
    assert "INVALID_ARGUMENT" in str(error)


async def test_item_field_violations(client: AsyncClient) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.items.create(title="", description="x" * 1001)
    fields = {violation.field for violation in caught.value.field_violations}
    assert fields == {"item.title", "item.description"}


async def test_status_codes_map_to_exception_classes(
    server: RunningServer, client: AsyncClient
) -> None:
    me = await client.users.me()
    with pytest.raises(AlreadyExistsError):
        await client.users.register(me.email, PASSWORD, "again")
    with pytest.raises(NotFoundError):
        await client.items.get(987_654_321)
    with pytest.raises(PermissionDeniedError):
        await client.users.list_page()  # superusers only
    async with AsyncClient(server.address) as anonymous:
        with pytest.raises(UnauthenticatedError):
            await anonymous.login(me.email, "wrong password 123")
    item = await client.items.create(title="Walk-in cooler at 9 C")
    await client.items.update(item.id, status="in_progress", etag=item.etag)
    with pytest.raises(ConflictError):  # stale etag
        await client.items.update(item.id, title="Changed", etag=item.etag)
    # All of them are OpenGovFoodError, never a raw grpc.RpcError.
    with pytest.raises(OpenGovFoodError):
        await client.items.delete(item.id, etag=item.etag)


async def test_rate_limit_exposes_retry_after(
    test_database: databases.TestDatabase, tmp_path: Path
) -> None:
    settings = make_settings(test_database.url, tmp_path, login_rate_per_minute=1.0, login_burst=1)
    running = await start_server(settings)
    try:
        async with AsyncClient(running.address) as client:
            email = unique_email()
            with pytest.raises(OpenGovFoodError):  # uses up the one attempt, whatever it says
                await client.login(email, "wrong password 123")
            with pytest.raises(RateLimitedError) as caught:
                await client.login(email, "wrong password 123")
        assert caught.value.retry_after is not None
        assert 0 < caught.value.retry_after <= 60
    finally:
        await stop_server(running)
