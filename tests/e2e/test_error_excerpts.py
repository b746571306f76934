"""Messages quote a short excerpt of the input; RefreshToken is rate-limited (issue 19,
finding 7). An invalid order_by of 3,000 characters once came back whole in the status
message, which travels in HTTP/2 headers: the caller saw RESOURCE_EXHAUSTED "metadata
size exceeds soft limit" instead of INVALID_ARGUMENT."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2

from opengovfood.config import Settings
from opengovfood_client.v1 import items_pb2, users_pb2, users_pb2_grpc
from support.auth import login
from support.reliability import all_methods, call
from support.server import (
    RunningServer,
    TestUser,
    UserFactory,
    make_settings,
    start_server,
    stop_server,
)

INVALID = grpc.StatusCode.INVALID_ARGUMENT
SHORT = 300  # characters: a message that names the problem, not one that repeats the input


def method(name: str) -> Any:
    return next(m for m in all_methods() if m.name == name)


@pytest.fixture(scope="module")
async def caller(make_user: UserFactory) -> TestUser:
    return await make_user(superuser=True)


@pytest.mark.parametrize(
    ("name", "request_"),
    [
        ("ListItems", items_pb2.ListItemsRequest(order_by="x" * 3000)),
        ("ListItems", items_pb2.ListItemsRequest(order_by="title " + "y" * 180)),
        ("ListItems", items_pb2.ListItemsRequest(order_by="z" * 190)),
        ("ListItems", items_pb2.ListItemsRequest(order_by="w" * 600)),
        ("ListItems", items_pb2.ListItemsRequest(filter="q" * 1500 + " = 1")),
        ("ListItems", items_pb2.ListItemsRequest(filter="owner_id = " + "9" * 1500)),
        ("ListItems", items_pb2.ListItemsRequest(filter='status = "' + "p" * 1500 + '"')),
        ("ListUsers", users_pb2.ListUsersRequest(filter="n" * 900 + " = x")),
        ("ListUsers", users_pb2.ListUsersRequest(filter="is_active = " + "t" * 900)),
        (
            "UpdateItem",
            items_pb2.UpdateItemRequest(
                item=items_pb2.Item(id=1, title="t"),
                update_mask=field_mask_pb2.FieldMask(paths=["p" * 300]),
            ),
        ),
        (
            "UpdateMe",
            users_pb2.UpdateMeRequest(update_mask=field_mask_pb2.FieldMask(paths=["m" * 300])),
        ),
    ],
)
async def test_invalid_input_is_quoted_as_a_short_excerpt(
    channel: grpc.aio.Channel, caller: TestUser, name: str, request_: Any
) -> None:
    outcome = await call(channel, method(name), request_, caller.metadata)
    assert outcome.code == INVALID, outcome
    assert len(outcome.details) < SHORT, outcome.details


@pytest.fixture
async def limited(settings: Settings, tmp_path: Path) -> AsyncIterator[RunningServer]:
    running = await start_server(
        make_settings(settings.database_url, tmp_path, refresh_rate_per_minute=1, refresh_burst=3)
    )
    yield running
    await stop_server(running)


async def test_refresh_token_is_rate_limited(limited: RunningServer) -> None:
    user = await UserFactory(limited.app)()
    codes = []
    async with grpc.aio.insecure_channel(limited.address) as channel:
        stub = users_pb2_grpc.UserServiceStub(channel)
        pair = await login(stub, user.email, user.password)
        refresh = pair.refresh_token
        for n in range(6):
            try:
                token = refresh if n == 0 else f"made-up refresh token {n}"
                refreshed = await stub.RefreshToken(
                    users_pb2.RefreshTokenRequest(refresh_token=token)
                )
                refresh = refreshed.refresh_token
                codes.append(grpc.StatusCode.OK)
            except grpc.aio.AioRpcError as error:
                codes.append(error.code())
    unauth, exhausted = grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.RESOURCE_EXHAUSTED
    assert codes == [grpc.StatusCode.OK, unauth, unauth, exhausted, exhausted, exhausted]
