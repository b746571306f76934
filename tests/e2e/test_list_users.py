"""ListUsers: AIP-158 pages, total_size, and the filter language."""

from __future__ import annotations

import uuid

import grpc
import pytest

from opengovfood_client.v1 import users_pb2, users_pb2_grpc
from support.rpc_errors import field_violations, rpc_error
from support.server import TestUser as SignedIn
from support.server import UserFactory

Stub = users_pb2_grpc.UserServiceStub
INVALID = grpc.StatusCode.INVALID_ARGUMENT


async def make_named(
    stub: Stub, admin: SignedIn, tag: str, count: int, **fields: bool
) -> list[int]:
    ids = []
    for index in range(count):
        user = await stub.CreateUser(
            users_pb2.CreateUserRequest(
                user=users_pb2.User(
                    email=f"{tag}-{index}@list.example.org",
                    full_name=f"{tag} Person {index}",
                    is_active=fields.get("is_active", True),
                    is_superuser=fields.get("is_superuser", False),
                ),
                password="list password",
            ),
            metadata=admin.metadata,
        )
        ids.append(user.id)
    return ids


async def all_pages(
    stub: Stub, admin: SignedIn, filter_text: str, page_size: int
) -> tuple[list[int], list[int]]:
    """(ids in order, total_size of each page)."""
    ids: list[int] = []
    totals: list[int] = []
    token = ""
    for _ in range(100):
        page = await stub.ListUsers(
            users_pb2.ListUsersRequest(page_size=page_size, page_token=token, filter=filter_text),
            metadata=admin.metadata,
        )
        ids += [user.id for user in page.users]
        totals.append(page.total_size)
        token = page.next_page_token
        if not token:
            return ids, totals
    raise AssertionError("pagination did not end")


async def test_pages_cover_every_match_once_in_id_order(
    users_stub: Stub, make_user: UserFactory
) -> None:
    admin = await make_user(superuser=True)
    tag = f"pg{uuid.uuid4().hex[:8]}"
    created = await make_named(users_stub, admin, tag, 7)
    ids, totals = await all_pages(users_stub, admin, f'email:"{tag}"', page_size=3)
    assert ids == created
    assert totals == [7, 7, 7]


async def test_pages_are_stable_under_inserts(users_stub: Stub, make_user: UserFactory) -> None:
    admin = await make_user(superuser=True)
    tag = f"st{uuid.uuid4().hex[:8]}"
    created = await make_named(users_stub, admin, tag, 4)
    first = await users_stub.ListUsers(
        users_pb2.ListUsersRequest(page_size=2, filter=f"email:{tag}"), metadata=admin.metadata
    )
    later = await make_named(users_stub, admin, tag + "-late", 2)
    rest = await users_stub.ListUsers(
        users_pb2.ListUsersRequest(
            page_size=10, page_token=first.next_page_token, filter=f"email:{tag}"
        ),
        metadata=admin.metadata,
    )
    seen = [u.id for u in first.users] + [u.id for u in rest.users]
    assert seen == created + later  # nothing skipped or repeated
    assert rest.next_page_token == ""


async def test_filters(users_stub: Stub, make_user: UserFactory) -> None:
    admin = await make_user(superuser=True)
    tag = f"ft{uuid.uuid4().hex[:8]}"
    active = await make_named(users_stub, admin, tag + "-a", 2)
    inactive = await make_named(users_stub, admin, tag + "-i", 2, is_active=False)
    admins = await make_named(users_stub, admin, tag + "-s", 1, is_superuser=True)
    scope = f'email:"{tag}"'

    async def ids(filter_text: str) -> list[int]:
        return (await all_pages(users_stub, admin, f"{scope} AND ({filter_text})", 50))[0]

    assert await ids("is_active = true") == active + admins
    assert await ids("is_active = false") == inactive
    assert await ids("is_active != true") == inactive
    assert await ids("is_superuser = true") == admins
    assert await ids("NOT is_superuser = true AND is_active = true") == active
    assert await ids("-is_superuser = true AND is_active = true") == active
    assert await ids("is_active = false OR is_superuser = true") == inactive + admins
    assert await ids(f'full_name:"{tag.upper()}-I PERSON"') == inactive  # case-insensitive
    assert await ids(f"email = {tag}-a-0@list.example.org") == active[:1]
    assert await ids(f'email = "  {tag.upper()}-A-0@LIST.EXAMPLE.ORG"') == active[:1]
    assert await ids(f"email != {tag}-a-0@list.example.org") == active[1:] + inactive + admins
    assert await ids('email:"%"') == []  # LIKE wildcards are plain text
    assert await ids('full_name:"_"') == []


async def test_total_size_counts_all_matches(users_stub: Stub, make_user: UserFactory) -> None:
    admin = await make_user(superuser=True)
    tag = f"tt{uuid.uuid4().hex[:8]}"
    await make_named(users_stub, admin, tag, 3)
    page = await users_stub.ListUsers(
        users_pb2.ListUsersRequest(page_size=1, filter=f"email:{tag}"), metadata=admin.metadata
    )
    assert len(page.users) == 1
    assert page.total_size == 3
    assert page.next_page_token


async def test_page_size_rules(users_stub: Stub, make_user: UserFactory) -> None:
    admin = await make_user(superuser=True)
    error = await rpc_error(
        users_stub.ListUsers(users_pb2.ListUsersRequest(page_size=-1), metadata=admin.metadata),
        INVALID,
    )
    assert set(field_violations(error)) == {"page_size"}
    big = await users_stub.ListUsers(
        users_pb2.ListUsersRequest(page_size=100_000), metadata=admin.metadata
    )
    assert len(big.users) <= 1000


async def test_page_token_is_bound_to_the_filter(users_stub: Stub, make_user: UserFactory) -> None:
    admin = await make_user(superuser=True)
    tag = f"tk{uuid.uuid4().hex[:8]}"
    await make_named(users_stub, admin, tag, 3)
    page = await users_stub.ListUsers(
        users_pb2.ListUsersRequest(page_size=1, filter=f"email:{tag}"), metadata=admin.metadata
    )
    # The same filter spelled differently is the same filter.
    same = await users_stub.ListUsers(
        users_pb2.ListUsersRequest(
            page_size=1, page_token=page.next_page_token, filter=f'  email : "{tag}" '
        ),
        metadata=admin.metadata,
    )
    assert len(same.users) == 1
    error = await rpc_error(
        users_stub.ListUsers(
            users_pb2.ListUsersRequest(
                page_size=1, page_token=page.next_page_token, filter="is_active = true"
            ),
            metadata=admin.metadata,
        ),
        INVALID,
    )
    assert "different filter" in field_violations(error)["page_token"]


@pytest.mark.parametrize(
    "token", ["garbage", "e30", "eyJ2IjoxLCJmIjoiYSIsImFmdGVyIjotMX0", "x" * 500]
)
async def test_bad_page_tokens(users_stub: Stub, make_user: UserFactory, token: str) -> None:
    admin = await make_user(superuser=True)
    error = await rpc_error(
        users_stub.ListUsers(users_pb2.ListUsersRequest(page_token=token), metadata=admin.metadata),
        INVALID,
    )
    assert set(field_violations(error)) == {"page_token"}


@pytest.mark.parametrize(
    ("filter_text", "message"),
    [
        ("password = x", "unknown field 'password'"),
        ("is_active = maybe", "expects true or false"),
        ("is_active : true", "does not support ':'"),
        ("email:", "expected a value"),
        ('email:""', "non-empty"),
        ("(is_active = true", "'(' is never closed"),
        ("is_active = true)", "unbalanced ')'"),
        ("is_active", "expected an operator"),
        ("AND is_active = true", "expected a condition"),
        ("is_active = true OR", "expected a condition but the filter ended"),
        ("email < a", "does not support '<'"),
        ('email:"a\x00"', "control characters"),
        ("(" * 30 + "is_active = true" + ")" * 30, "nested more than"),
        ("email:a AND " * 200, "longer than 2000 characters"),
        ("email:'unterminated", "string is never closed"),
        # The shared grammar wants AND or OR between conditions (no implicit AND).
        ("is_active = true is_superuser = false", "expected AND or OR"),
    ],
)
async def test_bad_filters(
    users_stub: Stub, make_user: UserFactory, filter_text: str, message: str
) -> None:
    admin = await make_user(superuser=True)
    error = await rpc_error(
        users_stub.ListUsers(
            users_pb2.ListUsersRequest(filter=filter_text), metadata=admin.metadata
        ),
        INVALID,
    )
    assert message in field_violations(error)["filter"]
