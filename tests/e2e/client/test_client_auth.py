"""Sign-in with the Python client: kept tokens, refresh before expiry and after an
UNAUTHENTICATED answer, one refresh for many concurrent calls, service tokens."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from opengovfood_client import Client, TokenPair, UnauthenticatedError
from opengovfood_client.aio import AsyncClient
from support import databases
from support.clients import PASSWORD, unique_email
from support.server import RunningServer, UserFactory, make_settings, start_server, stop_server

ACCESS_TTL = 1  # seconds; the server accepts tokens up to 5 s past expiry (clock leeway)
SERVER_LEEWAY = 5


@pytest.fixture(scope="module")
async def short_ttl_server(
    test_database: databases.TestDatabase, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningServer]:
    settings = make_settings(
        test_database.url,
        tmp_path_factory.mktemp("short-ttl"),
        access_token_ttl=timedelta(seconds=ACCESS_TTL),
    )
    running = await start_server(settings)
    yield running
    await stop_server(running)


async def _account(address: str) -> str:
    email = unique_email()
    async with AsyncClient(address) as client:
        await client.users.register(email, PASSWORD, "Auth Test")
    return email


async def test_login_keeps_the_tokens_and_logout_forgets_them(server: RunningServer) -> None:
    email = await _account(server.address)
    seen: list[TokenPair | None] = []
    async with AsyncClient(server.address, on_tokens=seen.append) as client:
        pair = await client.login(email, PASSWORD)
        assert client.tokens == pair
        assert seen == [pair]
        assert pair.expires_at > time.time()
        assert (await client.users.me()).email == email
        await client.logout()
        assert client.tokens is None
        assert seen[-1] is None
        with pytest.raises(UnauthenticatedError, match="missing"):
            await client.users.me()
        # The refresh token was revoked on the server, not just forgotten.
        client.use_tokens(pair)
        with pytest.raises(UnauthenticatedError):
            await client.refresh()


async def test_access_token_is_refreshed_shortly_before_it_expires(
    short_ttl_server: RunningServer,
) -> None:
    email = await _account(short_ttl_server.address)
    seen: list[TokenPair | None] = []
    async with AsyncClient(short_ttl_server.address, on_tokens=seen.append) as client:
        first = await client.login(email, PASSWORD)
        await asyncio.sleep(ACCESS_TTL + 0.1)
        assert (await client.users.me()).email == email
        assert len(seen) == 2, "expected exactly one refresh"
        second = client.tokens
        assert second is not None
        assert second.refresh_token != first.refresh_token  # rotated
        assert second.access_token != first.access_token


async def test_sync_client_refreshes_before_expiry(short_ttl_server: RunningServer) -> None:
    # The server runs on this test's event loop: the blocking client runs in a thread.
    email = await _account(short_ttl_server.address)

    def scenario() -> tuple[TokenPair, TokenPair | None, str]:
        with Client(short_ttl_server.address) as client:
            first = client.login(email, PASSWORD)
            time.sleep(ACCESS_TTL + 0.1)
            me = client.users.me()
            return first, client.tokens, me.email

    first, second, seen_email = await asyncio.to_thread(scenario)
    assert seen_email == email
    assert second is not None
    assert second.refresh_token != first.refresh_token


@pytest.mark.slow
async def test_expired_access_token_is_refreshed_after_unauthenticated(
    short_ttl_server: RunningServer,
) -> None:
    """The client's clock says the token is fine, the server says it expired: the client
    refreshes once and repeats the call."""
    email = await _account(short_ttl_server.address)
    async with AsyncClient(short_ttl_server.address) as client:
        real = await client.login(email, PASSWORD)
    # Same tokens, but a client that believes the access token is good for an hour.
    believed = TokenPair(real.access_token, real.refresh_token, time.time() + 3600, time.time())
    await asyncio.sleep(ACCESS_TTL + SERVER_LEEWAY + 0.5)  # really expired now
    async with AsyncClient(short_ttl_server.address, token=real.access_token) as raw:
        with pytest.raises(UnauthenticatedError):
            await raw.users.me()
    seen: list[TokenPair | None] = []
    async with AsyncClient(short_ttl_server.address, tokens=believed, on_tokens=seen.append) as c:
        assert (await c.users.me()).email == email
        assert len(seen) == 1
        assert seen[0] is not None
        assert seen[0].refresh_token != real.refresh_token


async def test_rejected_access_token_is_refreshed_once_and_the_call_repeated(
    server: RunningServer,
) -> None:
    email = await _account(server.address)
    async with AsyncClient(server.address) as client:
        real = await client.login(email, PASSWORD)
    bogus = TokenPair("not-a-jwt", real.refresh_token, time.time() + 3600, time.time())
    seen: list[TokenPair | None] = []
    async with AsyncClient(server.address, tokens=bogus, on_tokens=seen.append) as client:
        assert (await client.users.me()).email == email
        assert len(seen) == 1
    # The sync client does the same.
    async with AsyncClient(server.address) as client:
        real = await client.login(email, PASSWORD)
    bogus = TokenPair("not-a-jwt", real.refresh_token, time.time() + 3600, time.time())

    def sync_me() -> str:
        with Client(server.address, tokens=bogus) as sync_client:
            return sync_client.users.me().email

    assert await asyncio.to_thread(sync_me) == email


async def test_a_dead_refresh_token_ends_the_session(server: RunningServer) -> None:
    dead = TokenPair("not-a-jwt", "not-a-refresh-token", time.time() + 3600, time.time())
    seen: list[TokenPair | None] = []
    async with AsyncClient(server.address, tokens=dead, on_tokens=seen.append) as client:
        with pytest.raises(UnauthenticatedError):
            await client.users.me()
        assert client.tokens is None
        assert seen == [None]


async def test_many_concurrent_calls_share_one_refresh(short_ttl_server: RunningServer) -> None:
    """Refresh tokens are single use: two refreshes at once would present a used token
    and revoke the whole session. The client refreshes once for everyone."""
    email = await _account(short_ttl_server.address)
    seen: list[TokenPair | None] = []
    async with AsyncClient(short_ttl_server.address, on_tokens=seen.append) as client:
        await client.login(email, PASSWORD)
        await asyncio.sleep(ACCESS_TTL + 0.1)
        users = await asyncio.gather(*(client.users.me() for _ in range(20)))
        assert {u.email for u in users} == {email}
        assert len(seen) == 2  # login + exactly one refresh
        assert (await client.users.me()).email == email  # the session still works

    def threads() -> set[str]:
        with Client(short_ttl_server.address) as sync_client:
            sync_client.login(email, PASSWORD)
            time.sleep(ACCESS_TTL + 0.1)
            with ThreadPoolExecutor(8) as pool:
                found = {u.email for u in pool.map(lambda _: sync_client.users.me(), range(16))}
            found.add(sync_client.users.me().email)
            return found

    assert await asyncio.to_thread(threads) == {email}


async def test_service_token_is_used_as_is(server: RunningServer, make_user: UserFactory) -> None:
    ((_, bearer),) = make_user.service_token("reporting", frozenset({"items:read"}))
    token = bearer.removeprefix("Bearer ")
    async with AsyncClient(server.address, token=token) as client:
        assert client.tokens is None
        # It reaches the server and is accepted (the reporting service may read items).
        page = await client.items.list_page(page_size=1)
        assert page.total_size >= 0
        with pytest.raises(UnauthenticatedError):
            await client.refresh()  # nothing to refresh with a service token


def test_token_pair_round_trips_through_a_dict() -> None:
    pair = TokenPair("a", "r", 1000.0, 900.0)
    assert TokenPair.from_dict(pair.to_dict()) == pair
    assert pair.refresh_at == 990.0  # a tenth of the lifetime early
    long_lived = TokenPair("a", "r", 900.0 + 3600, 900.0)
    assert long_lived.refresh_at == 900.0 + 3600 - 60  # at most a minute early
