"""Sessions end with their sign-in (issue 19, finding 4).

An access token names its sign-in (`sid`, the refresh-token family). Logout, a reused
refresh token, deactivation and reactivation revoke the family, and its access tokens
stop: at once on the process that made the change, within the principal cache TTL on
any other. A deactivated user's old token does not come back with reactivation.
Service tokens have no sign-in and keep working. A warm cache costs no query.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import event

from opengovfood.config import Settings
from opengovfood_client.v1 import items_pb2, items_pb2_grpc, users_pb2, users_pb2_grpc
from support.auth import bearer, login
from support.items import create
from support.server import (
    RunningServer,
    TestUser,
    UserFactory,
    make_settings,
    start_server,
    stop_server,
)

UNAUTH = grpc.StatusCode.UNAUTHENTICATED
OTHER_PROCESS_TTL = 0.5


async def code_of(call: Any) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def get_me(stub: users_pb2_grpc.UserServiceStub, token: str) -> grpc.StatusCode:
    return await code_of(stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(token)))


@pytest.fixture
async def signed_in(
    make_user: UserFactory, users_stub: users_pb2_grpc.UserServiceStub
) -> tuple[TestUser, users_pb2.TokenResponse]:
    user = await make_user()
    return user, await login(users_stub, user.email, user.password)


@pytest.fixture
async def other_process(settings: Settings, tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A second server on the same database: another worker or instance, its own cache."""
    running = await start_server(
        make_settings(settings.database_url, tmp_path, principal_cache_ttl=OTHER_PROCESS_TTL)
    )
    yield running
    await stop_server(running)


@pytest.fixture
async def other_stub(other_process: RunningServer) -> AsyncIterator[users_pb2_grpc.UserServiceStub]:
    async with grpc.aio.insecure_channel(other_process.address) as channel:
        yield users_pb2_grpc.UserServiceStub(channel)


async def test_logout_ends_that_sign_ins_access_tokens_at_once(
    users_stub: users_pb2_grpc.UserServiceStub,
    signed_in: tuple[TestUser, users_pb2.TokenResponse],
) -> None:
    user, pair = signed_in
    assert await get_me(users_stub, pair.access_token) == grpc.StatusCode.OK
    await users_stub.Logout(
        users_pb2.LogoutRequest(refresh_token=pair.refresh_token),
        metadata=bearer(pair.access_token),
    )
    assert await get_me(users_stub, pair.access_token) == UNAUTH
    # Another sign-in of the same user is not affected.
    assert await get_me(users_stub, user.token) == grpc.StatusCode.OK


async def test_logout_ends_the_sign_in_on_other_processes_within_the_ttl(
    users_stub: users_pb2_grpc.UserServiceStub,
    other_stub: users_pb2_grpc.UserServiceStub,
    signed_in: tuple[TestUser, users_pb2.TokenResponse],
) -> None:
    _, pair = signed_in
    assert await get_me(other_stub, pair.access_token) == grpc.StatusCode.OK  # now cached there
    await users_stub.Logout(
        users_pb2.LogoutRequest(refresh_token=pair.refresh_token),
        metadata=bearer(pair.access_token),
    )
    await asyncio.sleep(OTHER_PROCESS_TTL + 0.2)
    assert await get_me(other_stub, pair.access_token) == UNAUTH


async def test_refresh_token_reuse_ends_every_access_token_of_the_sign_in(
    users_stub: users_pb2_grpc.UserServiceStub,
    signed_in: tuple[TestUser, users_pb2.TokenResponse],
) -> None:
    _, first = signed_in
    second = await users_stub.RefreshToken(
        users_pb2.RefreshTokenRequest(refresh_token=first.refresh_token)
    )
    for token in (first.access_token, second.access_token):
        assert await get_me(users_stub, token) == grpc.StatusCode.OK
    # Someone presents the rotated token again: the whole sign-in ends.
    assert (
        await code_of(
            users_stub.RefreshToken(
                users_pb2.RefreshTokenRequest(refresh_token=first.refresh_token)
            )
        )
        == UNAUTH
    )
    for token in (first.access_token, second.access_token):
        assert await get_me(users_stub, token) == UNAUTH


async def _set_active(
    users_stub: users_pb2_grpc.UserServiceStub, admin: TestUser, user_id: int, active: bool
) -> None:
    await users_stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user=users_pb2.User(id=user_id, is_active=active),
            update_mask=field_mask_pb2.FieldMask(paths=["is_active"]),
        ),
        metadata=admin.metadata,
    )


async def test_a_deactivated_users_old_token_stays_dead_after_reactivation(
    users_stub: users_pb2_grpc.UserServiceStub,
    items_stub: items_pb2_grpc.ItemServiceStub,
    make_user: UserFactory,
    signed_in: tuple[TestUser, users_pb2.TokenResponse],
) -> None:
    user, pair = signed_in
    admin = await make_user(superuser=True)
    await _set_active(users_stub, admin, user.id, False)
    assert await get_me(users_stub, pair.access_token) == UNAUTH
    await _set_active(users_stub, admin, user.id, True)
    for token in (pair.access_token, user.token):
        assert await get_me(users_stub, token) == UNAUTH
        assert (
            await code_of(
                items_stub.ListItems(items_pb2.ListItemsRequest(), metadata=bearer(token))
            )
            == UNAUTH
        )
    # The old refresh token cannot start it again either; a new sign-in works.
    assert (
        await code_of(
            users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token=pair.refresh_token))
        )
        == UNAUTH
    )
    fresh = await login(users_stub, user.email, user.password)
    assert await get_me(users_stub, fresh.access_token) == grpc.StatusCode.OK


async def test_reactivation_ends_sign_ins_on_other_processes_within_the_ttl(
    users_stub: users_pb2_grpc.UserServiceStub,
    other_stub: users_pb2_grpc.UserServiceStub,
    make_user: UserFactory,
    signed_in: tuple[TestUser, users_pb2.TokenResponse],
) -> None:
    user, pair = signed_in
    admin = await make_user(superuser=True)
    assert await get_me(other_stub, pair.access_token) == grpc.StatusCode.OK
    await _set_active(users_stub, admin, user.id, False)
    await _set_active(users_stub, admin, user.id, True)
    await asyncio.sleep(OTHER_PROCESS_TTL + 0.2)
    assert await get_me(other_stub, pair.access_token) == UNAUTH


async def test_service_tokens_keep_working(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    metadata = make_user.service_token("reports", frozenset({"items:read"}))
    reply = await items_stub.ListItems(items_pb2.ListItemsRequest(page_size=1), metadata=metadata)
    assert reply.total_size >= 0


async def test_a_user_token_naming_no_sign_in_is_refused(
    server: RunningServer, users_stub: users_pb2_grpc.UserServiceStub, make_user: UserFactory
) -> None:
    user = await make_user()
    tokens = server.app.container.tokens
    without_sid, _ = tokens.issue_access_token(str(user.id))
    made_up, _ = tokens.issue_access_token(str(user.id), session_id="not-a-sign-in")
    assert await get_me(users_stub, without_sid) == UNAUTH
    assert await get_me(users_stub, made_up) == UNAUTH


@contextmanager
def statements_on(server: RunningServer) -> Iterator[list[str]]:
    found: list[str] = []
    engine = server.app.container.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        found.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_warm_cache_costs_no_session_query(
    server: RunningServer,
    items_stub: items_pb2_grpc.ItemServiceStub,
    signed_in: tuple[TestUser, users_pb2.TokenResponse],
) -> None:
    _, pair = signed_in
    item = await create(items_stub, bearer(pair.access_token))
    await items_stub.GetItem(
        items_pb2.GetItemRequest(id=item.id), metadata=bearer(pair.access_token)
    )
    with statements_on(server) as statements:
        for _ in range(10):
            await items_stub.GetItem(
                items_pb2.GetItemRequest(id=item.id), metadata=bearer(pair.access_token)
            )
    assert not [s for s in statements if "refresh_tokens" in s or "FROM users" in s]
