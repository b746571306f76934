"""Fuzzing every method: random field values and random bytes as the payload.

Request messages are generated from their descriptors (so a new field or method is
fuzzed without touching this file): strings of any length and Unicode class, NULs,
huge and negative numbers, unknown enum values, random field masks, filters and page
tokens. Invariant for every answer: never UNKNOWN or INTERNAL, no internals in the
message; afterwards the server still answers health SERVING and the database holds
only valid rows.

Cases per method come from OPENGOVFOOD_FUZZ_EXAMPLES (CI default below); `make fuzz`
raises it.
"""

from __future__ import annotations

import asyncio
import base64
import os
import string
from collections.abc import Coroutine
from typing import Any

import grpc
import pytest
from google.protobuf import message
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from opengovfood.db.models import Base
from support.reliability import (
    FORBIDDEN_CODES,
    SERVING,
    Method,
    Outcome,
    all_methods,
    assert_error_info,
    call,
    count,
    health_status,
    internals_in,
)
from support.server import RunningServer, UserFactory

EXAMPLES = int(os.environ.get("OPENGOVFOOD_FUZZ_EXAMPLES", "40"))
RAW_EXAMPLES = max(10, EXAMPLES // 2)
METHODS = all_methods()
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("OPENGOVFOOD_FUZZ_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

# Text: every Unicode category except surrogates (protobuf refuses to encode them),
# plus the awkward parts spelled out: NULs, controls, RTL, combining marks, SQL, huge.
ODD = "\x00\x01\x7f\u200b\u202e\u0301\ufeff\uffff\U0010ffff'\";--%_\\*"
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.text(st.sampled_from(ODD + string.ascii_letters), max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "x" * 101,
            "y" * 1001,
            "z" * 70_000,
            "' OR 1=1 --",
            "'; DROP TABLE items; --",
            "Robert'); DELETE FROM users;--",
            "%",
            "_",
            "\\",
            "../../etc/passwd",
            "${jndi:ldap://x}",
            "{{7*7}}",
        ]
    ),
)
# Shapes the filter and order_by grammars care about.
FILTER = st.one_of(
    TEXT,
    st.lists(
        st.sampled_from(
            [
                "status",
                "owner_id",
                "create_time",
                "title",
                "item_id",
                "email",
                "=",
                "!=",
                "<",
                ">=",
                ":",
                "AND",
                "OR",
                "NOT",
                "(",
                ")",
                '"walk-in"',
                "ITEM_STATUS_PENDING",
                "1",
                "-1",
                "99999999999999999999999",
                '"2024-01-01T00:00:00Z"',
                '"not a time"',
                "*",
                "desc",
                ",",
            ]
        ),
        max_size=12,
    ).map(" ".join),
)
TOKEN = st.one_of(
    TEXT,
    st.binary(max_size=64).map(lambda b: b.hex()),
    st.binary(max_size=48).map(lambda b: base64.urlsafe_b64encode(b).decode()),
)
INT64 = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, -1, 1, 2**31 - 1, 2**31, -(2**31), 2**63 - 1, -(2**63)]),
)
INT32 = st.integers(-(2**31), 2**31 - 1)
FLOAT = st.floats(allow_nan=True, allow_infinity=True, width=64)
MASK_PATHS = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "title",
                "description",
                "status",
                "full_name",
                "email",
                "is_active",
                "is_superuser",
                "password",
                "id",
                "owner_id",
                "etag",
                "*",
                "",
                "title.x",
            ]
        ),
        TEXT,
    ),
    max_size=5,
)


def _field_strategy(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    t = field.type
    if field.message_type is not None:
        if field.message_type.full_name == "google.protobuf.FieldMask":
            inner: st.SearchStrategy[Any] = MASK_PATHS.map(lambda p: {"paths": p})
        elif field.message_type.full_name == "google.protobuf.Timestamp":
            inner = st.fixed_dictionaries({}, optional={"seconds": INT64, "nanos": INT32})
        elif depth >= 2:
            inner = st.just({})
        else:
            inner = message_dicts(field.message_type, depth + 1)
    elif t == FieldDescriptor.TYPE_STRING:
        name = field.name
        inner = FILTER if name in ("filter", "order_by") else TOKEN if "token" in name else TEXT
    elif t == FieldDescriptor.TYPE_BYTES:
        inner = st.binary(max_size=64)
    elif t == FieldDescriptor.TYPE_BOOL:
        inner = st.booleans()
    elif t == FieldDescriptor.TYPE_ENUM:
        inner = st.one_of(st.sampled_from([v.number for v in field.enum_type.values]), INT32)
    elif t in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        inner = FLOAT if t == FieldDescriptor.TYPE_DOUBLE else st.floats(width=32)
    elif t in (
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_SFIXED64,
    ):
        inner = INT64
    elif t in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):
        inner = st.integers(0, 2**64 - 1)
    elif t in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
        inner = st.integers(0, 2**32 - 1)
    else:
        inner = INT32
    if field.is_repeated:
        return st.lists(inner, max_size=3)
    return inner


def message_dicts(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Field values for `descriptor`, each field present or not."""
    return st.fixed_dictionaries(
        {}, optional={f.name: _field_strategy(f, depth) for f in descriptor.fields}
    )


def build(cls: type[message.Message], values: dict[str, Any]) -> message.Message:
    msg = cls()
    _fill(msg, values)
    return msg


def _fill(msg: message.Message, values: dict[str, Any]) -> None:
    for name, value in values.items():
        field = msg.DESCRIPTOR.fields_by_name[name]
        if field.message_type is not None:
            if field.is_repeated:
                for v in value:
                    _fill(getattr(msg, name).add(), v)
            else:
                _fill(getattr(msg, name), value)
        elif field.is_repeated:
            getattr(msg, name).extend(value)
        else:
            setattr(msg, name, value)


def on_loop(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Outcome]) -> Outcome:
    """Hypothesis runs sync functions (here in a worker thread); the calls run on the
    test's event loop, where the channel lives."""
    return asyncio.run_coroutine_threadsafe(coro, loop).result(60)


def strings_in(values: Any) -> list[str]:
    """Every string of a generated request (the server may quote them back)."""
    if isinstance(values, str):
        return [values]
    if isinstance(values, dict):
        return [s for v in values.values() for s in strings_in(v)]
    if isinstance(values, list):
        return [s for v in values for s in strings_in(v)]
    return []


def check(method: Method, outcome: Any, echoed: list[str] | None = None) -> None:
    assert outcome.code not in FORBIDDEN_CODES, f"{method.path}: {outcome.code} {outcome.details}"
    assert_error_info(outcome, method.path)
    leaked = internals_in(outcome.details, echoed or [])
    assert leaked is None, f"{method.path} leaked {leaked!r}: {outcome.details}"


@pytest.fixture(scope="module")
async def callers(own_users: UserFactory) -> dict[str, tuple[tuple[str, str], ...]]:
    user = await own_users()
    admin = await own_users(superuser=True)
    return {"user": user.metadata, "superuser": admin.metadata}


@pytest.mark.parametrize("as_", ["user", "superuser"])
@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
async def test_fuzz_fields(
    own_channel: grpc.aio.Channel,
    callers: dict[str, tuple[tuple[str, str], ...]],
    method: Method,
    as_: str,
) -> None:
    request_class = method.request_class()

    loop = asyncio.get_running_loop()

    @FUZZ_SETTINGS
    @given(values=message_dicts(method.request_class().DESCRIPTOR))
    def one(values: dict[str, Any]) -> None:
        request = build(request_class, values)
        outcome = on_loop(loop, call(own_channel, method, request, callers[as_], stream_wait=0.02))
        count("fuzz: field cases")
        check(method, outcome, strings_in(values))

    await asyncio.to_thread(one)


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
async def test_fuzz_raw_bytes(
    own_channel: grpc.aio.Channel,
    callers: dict[str, tuple[tuple[str, str], ...]],
    method: Method,
) -> None:
    loop = asyncio.get_running_loop()

    @settings(FUZZ_SETTINGS, max_examples=RAW_EXAMPLES)
    @given(payload=st.one_of(st.binary(max_size=256), st.binary(min_size=1000, max_size=5000)))
    def one(payload: bytes) -> None:
        outcome = on_loop(
            loop, call(own_channel, method, payload, callers["superuser"], stream_wait=0.02)
        )
        count("fuzz: raw-bytes cases")
        check(method, outcome)

    await asyncio.to_thread(one)


async def test_after_fuzzing_server_healthy_and_data_valid(
    own_server: RunningServer, own_channel: grpc.aio.Channel
) -> None:
    """Runs last in this module: the server answers and every stored row is valid."""
    assert await health_status(own_channel) == SERVING
    engine = own_server.app.container.engine
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            await connection.execute(text(f"SELECT count(*) FROM {table.name}"))
        items = (
            await connection.execute(text("SELECT title, description, status FROM items"))
        ).all()
        users = (await connection.execute(text("SELECT email, full_name FROM users"))).all()
    for title, description, status in items:
        assert 1 <= len(title) <= 100, title
        assert title == title.strip(), title
        assert len(description) <= 1000
        assert "\x00" not in description + title
        assert status in {"pending", "in_progress", "completed", "cancelled"}
    for email, full_name in users:
        assert "@" in email
        assert "\x00" not in email + full_name
    count("fuzz: rows validated", len(items) + len(users))
