"""Fuzzing every method: random field values and random bytes as the payload.

Request messages are generated from their descriptors (so a new field or method is
fuzzed without touching this file): strings of any length and Unicode class, NULs,
huge and negative numbers, unknown enum values, random field masks, filters and page
tokens. Invariant for every answer: never UNKNOWN or INTERNAL, no internals in the
message; afterwards the server still answers health SERVING and the database holds
only valid rows.

A grammar-aware generator also writes valid filters, order_by and page tokens with
extreme values (years 1 and 9999 with offsets that push them out of range, 2^63 and
2^64, lone surrogates, very long strings); a list must answer OK or INVALID_ARGUMENT
on the field it could not take, never INTERNAL or UNKNOWN.

No single request may hold the event loop (which the in-process server shares) for
more than LOOP_BUDGET of CPU time: every case is timed by a ticker on the loop, and a
case over budget is run twice more, so only a stall that repeats fails the test.

Cases per method come from OPENGOVFOOD_FUZZ_EXAMPLES (CI default below); `make fuzz`
raises it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import string
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import grpc
import pytest
from google.protobuf import message
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from opengovfood.db.models import Base
from support.loop_lag import LoopLag
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
from support.server import RunningServer, TestUser, UserFactory

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
    # Very long: sized before anything reads it (a per-character pass over one
    # megabyte would hold the event loop past LOOP_BUDGET).
    st.just("w" * 1_000_000),
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


# --- grammar-aware: valid syntax, extreme values ------------------------------------
EXTREME_INTS = st.sampled_from(
    [0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 10**30]
)
OFFSETS = st.sampled_from(
    ["Z", "z", "+00:00", "+01:00", "-01:00", "+14:00", "-12:00", "+23:59", "-23:59"]
)
EDGE_TIMESTAMPS = st.one_of(
    OFFSETS.map(lambda offset: f"0001-01-01T00:00:00{offset}"),
    OFFSETS.map(lambda offset: f"9999-12-31T23:59:59.999999{offset}"),
)
ANY_TIMESTAMPS = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}{}".format,
    st.sampled_from([1, 2, 1969, 1970, 2026, 9998, 9999]),
    st.sampled_from([1, 12]),
    st.sampled_from([1, 28, 31]),
    st.sampled_from([0, 23]),
    st.sampled_from([0, 59]),
    st.sampled_from([0, 59]),
    st.sampled_from(["", ".999999", ".000000001"]),
    OFFSETS,
)
TIMESTAMPS = st.one_of(EDGE_TIMESTAMPS, EDGE_TIMESTAMPS, ANY_TIMESTAMPS)
LONG = st.sampled_from(["a" * 1500, "é" * 1000, "🦠" * 500, "\\" * 700, '\\"' * 400])
SEARCH_TEXT = st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=30), LONG)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# The value each field takes, by the fields the lists know (others get any value).
VALUES: dict[str, st.SearchStrategy[str]] = {
    "owner_id": EXTREME_INTS.map(str),
    "item_id": EXTREME_INTS.map(str),
    "create_time": TIMESTAMPS.map(_quoted),
    "update_time": TIMESTAMPS.map(_quoted),
    "status": st.sampled_from(["PENDING", "ITEM_STATUS_COMPLETED", "cancelled", "BOGUS"]),
    "title": SEARCH_TEXT.map(_quoted),
    "description": SEARCH_TEXT.map(_quoted),
    "email": SEARCH_TEXT.map(_quoted),
    "full_name": SEARCH_TEXT.map(_quoted),
    "is_active": st.sampled_from(["true", "false", "TRUE", "maybe"]),
    "is_superuser": st.sampled_from(["true", "false"]),
}
TIME_FIELDS = ("create_time", "update_time")
COMPARISON = st.sampled_from([*sorted(VALUES), *TIME_FIELDS * 4]).flatmap(
    lambda name: st.tuples(
        st.just(name),
        st.sampled_from(["=", "!=", "<", "<=", ">", ">=", ":"]),
        VALUES[name],
    ).map(" ".join)
)
FILTER_EXPR = st.recursive(
    COMPARISON,
    lambda inner: st.one_of(
        inner.map(lambda e: f"NOT {e}"),
        inner.map(lambda e: f"-{e}"),
        inner.map(lambda e: f"({e})"),
        st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(" ".join),
    ),
    max_leaves=8,
)
SORT_FIELDS = st.sampled_from(["create_time", "update_time", "title", "id", "owner_id", "x" * 150])
ORDER_BY = st.lists(
    st.tuples(SORT_FIELDS, st.sampled_from(["", " desc", " asc", " DESC", " up"])).map("".join),
    min_size=1,
    max_size=5,
).map(lambda parts: ", ".join(parts))
# What a page token may carry back: keys of every kind at and past their ranges.
TOKEN_KEYS = st.one_of(
    EXTREME_INTS,
    st.sampled_from(["\ud800", "\udfff", "", "t" * 3000, 1.5, True, None, [1], {"a": 1}]),
)


@st.composite
def token_bodies(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {
        "k": draw(st.lists(TOKEN_KEYS, max_size=4)),
        "q": draw(st.sampled_from(["", "x", "A" * 16, "aim"])),  # aim: the real fingerprint
    }
    if draw(st.booleans()):
        body["t"] = draw(st.one_of(EXTREME_INTS, st.just(-5), st.just("5")))
    if draw(st.booleans()):
        body["f"], body["after"] = "x", draw(EXTREME_INTS)
    return body


def _unsigned(body: dict[str, Any]) -> str:
    raw = json.dumps({"v": 1, **body}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


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


T = TypeVar("T")
# CPU time one request may hold the event loop (issue 19: 4 MB titles held it 0.4-0.7 s).
LOOP_BUDGET = 0.05


def on_loop(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    """Hypothesis runs sync functions (here in a worker thread); the calls run on the
    test's event loop, where the channel lives."""
    return asyncio.run_coroutine_threadsafe(coro, loop).result(60)


@pytest.fixture(scope="module")
async def loop_lag() -> AsyncIterator[LoopLag]:
    async with LoopLag() as lag:
        yield lag


async def _timed(
    lag: LoopLag,
    channel: grpc.aio.Channel,
    method: Method,
    request: message.Message | bytes,
    metadata: tuple[tuple[str, str], ...],
) -> tuple[Outcome, float]:
    lag.reset()
    outcome = await call(channel, method, request, metadata, stream_wait=0.02)
    await asyncio.sleep(0.012)  # the ticker's next tick sees the end of the call
    return outcome, lag.worst_cpu


def run_case(
    loop: asyncio.AbstractEventLoop,
    lag: LoopLag,
    channel: grpc.aio.Channel,
    method: Method,
    request: message.Message | bytes,
    metadata: tuple[tuple[str, str], ...],
) -> Outcome:
    """One fuzz case, timed: a request holding the loop past LOOP_BUDGET is run twice
    more, and fails the test if it does so every time (a GC pause does not repeat)."""
    outcome, held = on_loop(loop, _timed(lag, channel, method, request, metadata))
    if held > LOOP_BUDGET:
        count("fuzz: cases timed again")
        again = [on_loop(loop, _timed(lag, channel, method, request, metadata))[1] for _ in "12"]
        shown = repr(request)[:300]
        assert min(again) <= LOOP_BUDGET, (
            f"{method.path} held the event loop {min(again) * 1000:.0f} ms: {shown}"
        )
    return outcome


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
    loop_lag: LoopLag,
    method: Method,
    as_: str,
) -> None:
    request_class = method.request_class()

    loop = asyncio.get_running_loop()

    @FUZZ_SETTINGS
    @given(values=message_dicts(method.request_class().DESCRIPTOR))
    def one(values: dict[str, Any]) -> None:
        request = build(request_class, values)
        outcome = run_case(loop, loop_lag, own_channel, method, request, callers[as_])
        count("fuzz: field cases")
        check(method, outcome, strings_in(values))

    await asyncio.to_thread(one)


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
async def test_fuzz_raw_bytes(
    own_channel: grpc.aio.Channel,
    callers: dict[str, tuple[tuple[str, str], ...]],
    loop_lag: LoopLag,
    method: Method,
) -> None:
    loop = asyncio.get_running_loop()

    @settings(FUZZ_SETTINGS, max_examples=RAW_EXAMPLES)
    @given(payload=st.one_of(st.binary(max_size=256), st.binary(min_size=1000, max_size=5000)))
    def one(payload: bytes) -> None:
        outcome = run_case(loop, loop_lag, own_channel, method, payload, callers["superuser"])
        count("fuzz: raw-bytes cases")
        check(method, outcome)

    await asyncio.to_thread(one)


LISTS = [m for m in METHODS if m.name in ("ListItems", "WatchItems", "ListAnalyses", "ListUsers")]
LIST_FIELDS = ("filter", "order_by", "page_token")


@st.composite
def list_requests(draw: st.DrawFn, method: Method) -> dict[str, Any]:
    """A list request whose filter, order_by and page token are valid syntax with extreme
    values; page tokens come unsigned (as anyone can make them), with a made-up signature,
    and signed with the server's own key (so the checks after the signature run too)."""
    fields = method.request_class().DESCRIPTOR.fields_by_name
    values: dict[str, Any] = {}
    if draw(st.booleans()):
        values["filter"] = draw(FILTER_EXPR)
    if "order_by" in fields and draw(st.booleans()):
        values["order_by"] = draw(ORDER_BY)
    if "page_token" in fields and draw(st.booleans()):
        values["page_token"] = (
            draw(st.sampled_from(["unsigned", "forged", "signed"])),
            draw(token_bodies()),
        )
    if "page_size" in fields:
        values["page_size"] = draw(st.sampled_from([0, 1, 1000, 2**31 - 1]))
    return values


def _aim(method: Method, values: dict[str, Any], body: dict[str, Any], caller: str) -> None:
    """Give a generated token body the fingerprint the list computes for this request (as
    anyone could, before tokens were signed), so it reaches the checks of its values."""
    from opengovfood.domain.pagination import fingerprint
    from opengovfood.errors import InvalidArgument
    from opengovfood.services.analyses import ANALYSES
    from opengovfood.services.items import ITEMS
    from opengovfood.services.users import USERS

    if body.get("q") != "aim":
        return
    spec = {"ListItems": ITEMS, "ListAnalyses": ANALYSES, "ListUsers": USERS}[method.name]
    try:
        parsed = spec.filters.parse(values.get("filter", ""))
        ordering = spec.order.parse(values.get("order_by", ""))
    except InvalidArgument:
        return
    body["q"] = fingerprint(spec.name, caller, parsed.canonical, ordering.canonical)
    body["k"] = (body["k"] * len(ordering.keys))[: len(ordering.keys)] or [0] * len(ordering.keys)


@pytest.fixture(scope="module")
async def lister(own_users: UserFactory) -> TestUser:
    return await own_users(superuser=True)


@pytest.mark.parametrize("method", LISTS, ids=lambda m: m.name)
async def test_fuzz_list_grammar(
    own_server: RunningServer,
    own_channel: grpc.aio.Channel,
    lister: TestUser,
    loop_lag: LoopLag,
    method: Method,
) -> None:
    loop = asyncio.get_running_loop()
    seal = own_server.app.container.page_tokens.seal

    @FUZZ_SETTINGS
    @given(values=list_requests(method))
    def one(values: dict[str, Any]) -> None:
        token = values.pop("page_token", None)
        if token is not None:
            kind, body = token
            _aim(method, values, body, f"user:{lister.id}")
            if kind == "signed":
                values["page_token"] = seal(body)
            elif kind == "forged":
                values["page_token"] = _unsigned(body) + ".AAAAAAAAAAAAAAAAAAAAAA"
            else:
                values["page_token"] = _unsigned(body)
        request = build(method.request_class(), values)
        outcome = run_case(loop, loop_lag, own_channel, method, request, lister.metadata)
        count("fuzz: grammar cases")
        check(method, outcome, strings_in(values))
        assert outcome.code in (grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT), outcome
        if outcome.code == grpc.StatusCode.INVALID_ARGUMENT:
            assert outcome.details.startswith(tuple(f"{f}: " for f in LIST_FIELDS)), outcome
            assert len(outcome.details) < 400, outcome.details[:500]

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
