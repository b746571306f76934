"""Every error carries a google.rpc.ErrorInfo (AIP-193): a stable UPPER_SNAKE_CASE
reason from one catalogue (opengovfood.reasons) and the domain opengovfood.v1; the
Python client exposes it. (The fuzz and authz-matrix suites check that every status
they provoke carries one.)"""

from __future__ import annotations

import re
import time
from pathlib import Path

import grpc
import jwt
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from opengovfood.reasons import DESCRIPTIONS, DOMAIN, Reason
from opengovfood_client import (
    AsyncClient,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    UnauthenticatedError,
)
from opengovfood_client.v1 import items_pb2, items_pb2_grpc
from support.reliability import error_info
from support.server import SECRET, RunningServer, UserFactory

SERVER = Path(__file__).resolve().parents[2] / "server" / "opengovfood"


def test_the_catalogue_is_stable_and_documented() -> None:
    for reason in Reason:
        assert reason.value == reason.name
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*", reason.value), reason
        code, text = DESCRIPTIONS[reason]
        assert code in grpc.StatusCode.__members__, (reason, code)
        assert text.endswith("."), reason
    assert set(DESCRIPTIONS) == set(Reason)
    assert DOMAIN == "opengovfood.v1"


def test_every_reason_is_raised_somewhere() -> None:
    """No reason is documented but never sent (the catalogue is not aspirational)."""
    source = "\n".join(p.read_text() for p in SERVER.rglob("*.py") if p.name != "reasons.py")
    unused = [r.name for r in Reason if f"Reason.{r.name}" not in source]
    assert unused == []


async def _reason(call: object) -> tuple[grpc.StatusCode, str | None, str | None]:
    try:
        await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as error:
        return (error.code(), *error_info(error))
    raise AssertionError("the call succeeded")


async def test_statuses_carry_their_reason(
    server: RunningServer, make_user: UserFactory, items_stub: items_pb2_grpc.ItemServiceStub
) -> None:
    user = await make_user()
    md = (("authorization", f"Bearer {user.token}"),)
    cases = {
        "missing token": (
            items_stub.GetItem(items_pb2.GetItemRequest(id=1)),
            (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_MISSING"),
        ),
        "unknown item": (
            items_stub.GetItem(items_pb2.GetItemRequest(id=2**40), metadata=md),
            (grpc.StatusCode.NOT_FOUND, "RESOURCE_NOT_FOUND"),
        ),
        "bad filter": (
            items_stub.ListItems(items_pb2.ListItemsRequest(filter="nope = 1"), metadata=md),
            (grpc.StatusCode.INVALID_ARGUMENT, "FILTER_INVALID"),
        ),
        "bad order_by": (
            items_stub.ListItems(items_pb2.ListItemsRequest(order_by="colour"), metadata=md),
            (grpc.StatusCode.INVALID_ARGUMENT, "ORDER_BY_INVALID"),
        ),
        "bad page token": (
            items_stub.ListItems(items_pb2.ListItemsRequest(page_token="xyz"), metadata=md),
            (grpc.StatusCode.INVALID_ARGUMENT, "PAGE_TOKEN_INVALID"),
        ),
        "empty title": (
            items_stub.CreateItem(items_pb2.CreateItemRequest(item=items_pb2.Item()), metadata=md),
            (grpc.StatusCode.INVALID_ARGUMENT, "FIELD_INVALID"),
        ),
    }
    for name, (call, (code, reason)) in cases.items():
        assert await _reason(call) == (code, reason, DOMAIN), name

    async with grpc.aio.insecure_channel(server.address) as channel:
        unknown = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="no.such.Service")
        )
        assert await _reason(unknown) == (grpc.StatusCode.NOT_FOUND, "RESOURCE_NOT_FOUND", DOMAIN)
        raw = channel.unary_unary("/opengovfood.v1.ItemService/GetItem")
        undecodable = raw(b"\xff\xff\xff", metadata=md)
        assert await _reason(undecodable) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "PAYLOAD_UNDECODABLE",
            DOMAIN,
        )


async def test_the_python_client_exposes_the_reason(
    server: RunningServer, make_user: UserFactory
) -> None:
    user = await make_user()
    async with AsyncClient(server.address, token=user.token) as client:
        item = await client.items.create(title="reasons")
        await client.items.update(item.id, title="changed")
        with pytest.raises(ConflictError) as stale:
            await client.items.update(item.id, title="again", etag=item.etag)
        assert stale.value.reason == "ETAG_MISMATCH"
        assert stale.value.domain == DOMAIN
        assert "[ETAG_MISMATCH]" in str(stale.value)
        with pytest.raises(NotFoundError) as missing:
            await client.items.get(2**40)
        assert missing.value.reason == "RESOURCE_NOT_FOUND"
        with pytest.raises(InvalidArgumentError) as invalid:
            await client.items.list_page(filter="title ~ 1")
        assert invalid.value.reason == "FILTER_INVALID"
        assert invalid.value.field_violations  # BadRequest still travels with it

    now = int(time.time())
    expired = jwt.encode(
        {
            "sub": str(user.id),
            "iat": now - 120,
            "nbf": now - 120,
            "exp": now - 60,
            "iss": "opengovfood",
            "aud": "opengovfood",
            "jti": "expired-token",
            "token_type": "access",
            "scope": "",
        },
        SECRET,
        algorithm="HS256",
    )
    async with AsyncClient(server.address, token=expired) as client:
        with pytest.raises(UnauthenticatedError) as old:
            await client.users.me()
        assert old.value.reason == "TOKEN_EXPIRED"
    async with AsyncClient(server.address) as client:
        with pytest.raises(UnauthenticatedError) as failed:
            await client.login(user.email, "not the password 1")
        assert failed.value.reason == "LOGIN_FAILED"
