"""Crafted input answers INVALID_ARGUMENT, never INTERNAL (issue 19, finding 3).

- Filter timestamps at the edges of what Python and the drivers hold: a valid RFC 3339
  time whose UTC value falls before year 1 or after 9999 is out of range, in ListItems,
  WatchItems and ListAnalyses alike; the extremes themselves work.
- Page tokens are signed: a token built by hand (as the old, unsigned format allowed,
  with a fingerprint anyone could compute) is refused, whatever it carries (a key of
  2^64, a lone surrogate, a made-up total). A token the server did sign still has every
  value range-checked.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import grpc
import pytest

from opengovfood.domain.pagination import fingerprint
from opengovfood_client.v1 import agent_pb2, items_pb2, items_pb2_grpc
from support.items import create
from support.reliability import all_methods, call
from support.server import RunningServer, TestUser, UserFactory

INVALID = grpc.StatusCode.INVALID_ARGUMENT
OUT_OF_RANGE_TIMES = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00")
EDGE_TIMES = ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00-01:00", "9999-12-31T23:59:59Z")
LISTS = {
    "ListItems": lambda f: items_pb2.ListItemsRequest(filter=f),
    "WatchItems": lambda f: items_pb2.WatchItemsRequest(filter=f),
    "ListAnalyses": lambda f: agent_pb2.ListAnalysesRequest(filter=f),
}


@pytest.fixture(scope="module")
async def caller(make_user: UserFactory, items_stub: items_pb2_grpc.ItemServiceStub) -> TestUser:
    user = await make_user()
    for n in range(3):
        await create(items_stub, user.metadata, title=f"crafted {n}")
    return user


@pytest.mark.parametrize("method", list(LISTS))
@pytest.mark.parametrize("moment", OUT_OF_RANGE_TIMES)
@pytest.mark.parametrize("op", [">", "<", "="])
async def test_filter_times_beyond_year_1_or_9999_are_out_of_range(
    channel: grpc.aio.Channel, caller: TestUser, method: str, moment: str, op: str
) -> None:
    target = next(m for m in all_methods() if m.name == method)
    outcome = await call(
        channel, target, LISTS[method](f'create_time {op} "{moment}"'), caller.metadata
    )
    assert outcome.code == INVALID, outcome
    assert "out of range" in outcome.details, outcome.details


@pytest.mark.parametrize("method", list(LISTS))
@pytest.mark.parametrize("moment", EDGE_TIMES)
async def test_filter_times_at_the_edges_work(
    channel: grpc.aio.Channel, caller: TestUser, method: str, moment: str
) -> None:
    target = next(m for m in all_methods() if m.name == method)
    for op in (">", "<"):
        outcome = await call(
            channel, target, LISTS[method](f'create_time {op} "{moment}"'), caller.metadata
        )
        assert outcome.code == grpc.StatusCode.OK, outcome


def _unsigned(body: dict[str, Any]) -> str:
    """A token as anyone could make one before tokens were signed."""
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _hand_made(caller: TestUser, order: str, key: list[Any], total: int | None = None) -> str:
    query = fingerprint("items", f"user:{caller.id}", "", order)
    body: dict[str, Any] = {"v": 1, "q": query, "k": key}
    if total is not None:
        body["t"] = total
    return _unsigned(body)


@pytest.mark.parametrize(
    ("order_by", "canonical", "key", "total"),
    [
        ("id", "id", [2**64], None),
        ("id", "id", [2**63], None),
        ("title", "title,id", ["\ud800", 1], None),
        ("create_time", "create_time,id", [2**62, 1], None),
        ("", "create_time desc,id desc", [0, 1], 10**9),
    ],
    ids=["key 2^64", "key 2^63", "lone surrogate", "time overflow", "made-up total"],
)
async def test_hand_made_page_tokens_are_refused(
    items_stub: items_pb2_grpc.ItemServiceStub,
    caller: TestUser,
    order_by: str,
    canonical: str,
    key: list[Any],
    total: int | None,
) -> None:
    token = _hand_made(caller, canonical, key, total)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await items_stub.ListItems(
            items_pb2.ListItemsRequest(page_size=1, order_by=order_by, page_token=token),
            metadata=caller.metadata,
        )
    assert info.value.code() == INVALID, info.value.details()
    assert "start again without a page_token" in (info.value.details() or "")


async def test_old_unsigned_tokens_say_start_again(
    items_stub: items_pb2_grpc.ItemServiceStub, caller: TestUser
) -> None:
    token = _hand_made(caller, "create_time desc,id desc", [0, 1])
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await items_stub.ListItems(
            items_pb2.ListItemsRequest(page_size=1, page_token=token), metadata=caller.metadata
        )
    assert info.value.code() == INVALID
    assert info.value.details() == (
        "page_token: is not a page token this list issued; start again without a page_token"
    )


@pytest.mark.parametrize(
    ("order_by", "key", "total"),
    [
        ("id", [2**64], None),
        ("id", [-(2**63) - 1], None),
        ("title", ["\ud800", 1], None),
        ("title", ["x" * 5000, 1], None),
        ("create_time", [2**62, 1], None),
        ("create_time", [1.5, 1], None),
        ("", [0, 1], 2**64),
        ("", [0, 1], -1),
    ],
)
async def test_signed_tokens_are_range_checked_too(
    server: RunningServer,
    items_stub: items_pb2_grpc.ItemServiceStub,
    caller: TestUser,
    order_by: str,
    key: list[Any],
    total: int | None,
) -> None:
    """Defence in depth: even a token with a valid signature binds nothing out of range."""
    from opengovfood.services.items import ITEM_ORDER

    canonical = ITEM_ORDER.parse(order_by).canonical
    body: dict[str, Any] = {"q": fingerprint("items", f"user:{caller.id}", "", canonical), "k": key}
    if total is not None:
        body["t"] = total
    token = server.app.container.page_tokens.seal(body)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await items_stub.ListItems(
            items_pb2.ListItemsRequest(page_size=1, order_by=order_by, page_token=token),
            metadata=caller.metadata,
        )
    assert info.value.code() == INVALID, info.value.details()


async def test_page_tokens_of_another_key_are_refused(
    items_stub: items_pb2_grpc.ItemServiceStub, caller: TestUser
) -> None:
    from opengovfood.domain.pagination import PageTokens

    first = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=1), metadata=caller.metadata
    )
    assert first.next_page_token
    body = json.loads(base64.urlsafe_b64decode(first.next_page_token.split(".")[0] + "=="))
    body.pop("v")
    other = PageTokens(b"another server's key, 32 bytes or more!")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await items_stub.ListItems(
            items_pb2.ListItemsRequest(page_size=1, page_token=other.seal(body)),
            metadata=caller.metadata,
        )
    assert info.value.code() == INVALID
    # The real one continues.
    second = await items_stub.ListItems(
        items_pb2.ListItemsRequest(page_size=1, page_token=first.next_page_token),
        metadata=caller.metadata,
    )
    assert second.items
    assert second.items[0].id != first.items[0].id


def test_page_token_keys_differ_from_the_signing_key_and_across_secrets(tmp_path: Any) -> None:
    from opengovfood.domain.pagination import PAGE_TOKEN_KEY_LABEL
    from opengovfood.services.tokens import TokenService
    from support.server import SECRET, make_settings

    one = TokenService(make_settings("sqlite+aiosqlite:///x.db", tmp_path))
    two = TokenService(
        make_settings("sqlite+aiosqlite:///x.db", tmp_path, secret_key=SECRET + "-other")
    )
    key = one.derive_key(PAGE_TOKEN_KEY_LABEL)
    assert len(key) == 32
    assert key != SECRET.encode()
    assert key == TokenService(make_settings("sqlite+aiosqlite:///x.db", tmp_path)).derive_key(
        PAGE_TOKEN_KEY_LABEL
    )
    assert key != two.derive_key(PAGE_TOKEN_KEY_LABEL)
    assert key != one.derive_key(b"another purpose")


async def test_list_users_tokens_are_signed(users_stub: Any, make_user: UserFactory) -> None:
    from opengovfood_client.v1 import users_pb2

    admin = await make_user(superuser=True)
    await make_user()
    page = await users_stub.ListUsers(
        users_pb2.ListUsersRequest(page_size=1), metadata=admin.metadata
    )
    assert page.next_page_token
    for forged in (
        _unsigned({"v": 1, "f": "x", "after": 2**64}),
        page.next_page_token[:-2] + ("AA" if not page.next_page_token.endswith("AA") else "BB"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await users_stub.ListUsers(
                users_pb2.ListUsersRequest(page_size=1, page_token=forged), metadata=admin.metadata
            )
        assert info.value.code() == INVALID
