"""UpdateMe is no oracle of which emails have accounts (issue 19, finding 2).

Changing the email needs the caller's current password, checked before the new email
is looked up, and the attempts are rate-limited like sign-ins: a stolen access token can
neither take the account over nor probe emails; the owner still can change theirs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2

from opengovfood.config import Settings
from opengovfood_client.v1 import users_pb2, users_pb2_grpc
from support.auth import login, unique_email
from support.rpc_errors import field_violations, rpc_error
from support.server import (
    RunningServer,
    TestUser,
    UserFactory,
    make_settings,
    start_server,
    stop_server,
)

INVALID = grpc.StatusCode.INVALID_ARGUMENT
BURST = 5


def change_email(email: str, current_password: str = "") -> users_pb2.UpdateMeRequest:
    request = users_pb2.UpdateMeRequest(
        user=users_pb2.User(email=email), update_mask=field_mask_pb2.FieldMask(paths=["email"])
    )
    if current_password:
        request.current_password = current_password
    return request


async def test_taken_email_without_password_reveals_nothing(
    users_stub: users_pb2_grpc.UserServiceStub, make_user: UserFactory
) -> None:
    prober, victim = await make_user(), await make_user()
    for email in (victim.email, unique_email("nobody")):  # taken or free: the same answer
        error = await rpc_error(
            users_stub.UpdateMe(change_email(email), metadata=prober.metadata), INVALID
        )
        assert field_violations(error) == {"current_password": "is required to change the email"}
        error = await rpc_error(
            users_stub.UpdateMe(change_email(email, "not my password 1"), metadata=prober.metadata),
            INVALID,
        )
        assert field_violations(error) == {"current_password": "is incorrect"}
    me = await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=prober.metadata)
    assert me.email == prober.email


async def test_the_owner_changes_the_email_with_the_password(
    users_stub: users_pb2_grpc.UserServiceStub, make_user: UserFactory
) -> None:
    user, other = await make_user(), await make_user()
    await rpc_error(
        users_stub.UpdateMe(change_email(other.email, user.password), metadata=user.metadata),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    new = unique_email("moved")
    updated = await users_stub.UpdateMe(change_email(new, user.password), metadata=user.metadata)
    assert updated.email == new
    assert (await login(users_stub, new, user.password)).access_token
    # The name alone, or the same email again, needs no password.
    same = await users_stub.UpdateMe(
        users_pb2.UpdateMeRequest(
            user=users_pb2.User(email=new.upper(), full_name="Renamed"),
            update_mask=field_mask_pb2.FieldMask(paths=["email", "full_name"]),
        ),
        metadata=user.metadata,
    )
    assert (same.email, same.full_name) == (new, "Renamed")


@pytest.fixture
async def limited(settings: Settings, tmp_path: Path) -> AsyncIterator[RunningServer]:
    running = await start_server(
        make_settings(settings.database_url, tmp_path, login_rate_per_minute=1, login_burst=BURST)
    )
    yield running
    await stop_server(running)


async def test_email_changes_are_rate_limited(limited: RunningServer) -> None:
    factory = UserFactory(limited.app)
    prober: TestUser = await factory()
    victims = [await factory() for _ in range(3)]
    codes = []
    async with grpc.aio.insecure_channel(limited.address) as channel:
        stub = users_pb2_grpc.UserServiceStub(channel)
        for n in range(40):
            email = victims[n % 3].email
            try:
                await stub.UpdateMe(change_email(email, "guessing 1234"), metadata=prober.metadata)
                codes.append(grpc.StatusCode.OK)
            except grpc.aio.AioRpcError as error:
                codes.append(error.code())
    assert grpc.StatusCode.ALREADY_EXISTS not in codes
    assert codes[:BURST] == [INVALID] * BURST
    assert set(codes[BURST:]) == {grpc.StatusCode.RESOURCE_EXHAUSTED}
