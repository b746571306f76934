"""Huge inputs are refused by their size before any work on them (issue 19, finding 1).

Every field carrying ~4 MB answers INVALID_ARGUMENT naming the field, with a short
message, and the event loop (which the in-process test server shares) is never held
for long: before the size bound, a 4 MB title cost 0.4-0.7 s of per-character checks
on the loop while every other caller waited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2, message
from google.protobuf.descriptor import FieldDescriptor

from opengovfood.rpc.input_limits import DEFAULT, LIMITS, check_request
from opengovfood_client.v1 import agent_pb2, items_pb2, users_pb2
from support.items import create
from support.loop_lag import LoopLag
from support.reliability import all_methods, call
from support.rpc_errors import field_violations
from support.server import TestUser, UserFactory

HUGE = 4_000_000
# CPU time on the loop's thread between two ticks (not wall time: on a loaded machine
# the process may wait for a core). A per-character pass over 4 MB is 0.4 s and more.
MAX_LOOP_LAG = 0.1


def _request_fields() -> dict[str, FieldDescriptor]:
    found: dict[str, FieldDescriptor] = {}

    def walk(descriptor: Any) -> None:
        for field in descriptor.fields:
            if field.full_name in found:
                continue
            found[field.full_name] = field
            if field.message_type is not None:
                walk(field.message_type)

    for method in all_methods():
        walk(method.descriptor.input_type)
    return found


def test_every_declared_limit_names_a_request_text_field() -> None:
    fields = _request_fields()
    for name in LIMITS:
        assert name in fields, f"{name} is not a field of any request"
        field = fields[name]
        # Text is bounded in characters; a repeated message field by its element count.
        text = field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES)
        assert text or field.is_repeated, name


def test_undeclared_text_fields_get_the_default() -> None:
    request = items_pb2.GetItemRequest()
    check_request(request)  # nothing set: nothing to refuse
    assert DEFAULT.ceiling <= 4096


def _big(n: int = HUGE) -> str:
    return "a" * n


Build = Callable[[int], message.Message]
CASES: dict[str, tuple[str, Build, str]] = {
    "create title": (
        "CreateItem",
        lambda item_id: items_pb2.CreateItemRequest(item=items_pb2.Item(title=_big())),
        "item.title",
    ),
    "create description": (
        "CreateItem",
        lambda item_id: items_pb2.CreateItemRequest(
            item=items_pb2.Item(title="t", description=_big())
        ),
        "item.description",
    ),
    "update title": (
        "UpdateItem",
        lambda item_id: items_pb2.UpdateItemRequest(
            item=items_pb2.Item(id=item_id, title=_big()),
            update_mask=field_mask_pb2.FieldMask(paths=["title"]),
        ),
        "item.title",
    ),
    "update mask path": (
        "UpdateItem",
        lambda item_id: items_pb2.UpdateItemRequest(
            item=items_pb2.Item(id=item_id, title="t"),
            update_mask=field_mask_pb2.FieldMask(paths=[_big()]),
        ),
        "update_mask.paths[0]",
    ),
    "many mask paths": (
        "UpdateItem",
        lambda item_id: items_pb2.UpdateItemRequest(
            item=items_pb2.Item(id=item_id, title="t"),
            update_mask=field_mask_pb2.FieldMask(paths=["title"] * 100_000),
        ),
        "update_mask.paths",
    ),
    "filter": (
        "ListItems",
        lambda item_id: items_pb2.ListItemsRequest(filter=_big()),
        "filter",
    ),
    "order_by": (
        "ListItems",
        lambda item_id: items_pb2.ListItemsRequest(order_by=_big()),
        "order_by",
    ),
    "page_token": (
        "ListItems",
        lambda item_id: items_pb2.ListItemsRequest(page_token=_big()),
        "page_token",
    ),
    "watch filter": (
        "WatchItems",
        lambda item_id: items_pb2.WatchItemsRequest(filter=_big()),
        "filter",
    ),
    "chat message": ("Chat", lambda item_id: agent_pb2.ChatRequest(message=_big()), "message"),
    "analysis notes": (
        "AnalyzeInspection",
        lambda item_id: agent_pb2.AnalyzeInspectionRequest(notes=_big()),
        "notes",
    ),
    "model name": (
        "AnalyzeInspection",
        lambda item_id: agent_pb2.AnalyzeInspectionRequest(notes="n", model=_big()),
        "model",
    ),
    "analysis review evidence": (
        "UpdateAnalysis",
        lambda item_id: agent_pb2.UpdateAnalysisRequest(
            analysis=agent_pb2.InspectionAnalysis(
                id=1,
                etag="1-0123456789ab",
                violations=[agent_pb2.Violation(food_code_section="3-501.16", evidence=_big())],
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["violations"]),
        ),
        "analysis.violations[0].evidence",
    ),
    "update me name": (
        "UpdateMe",
        lambda item_id: users_pb2.UpdateMeRequest(
            user=users_pb2.User(full_name=_big()),
            update_mask=field_mask_pb2.FieldMask(paths=["full_name"]),
        ),
        "user.full_name",
    ),
    "register email": (
        "Register",
        lambda item_id: users_pb2.RegisterRequest(
            email=_big() + "@example.org", password="long enough 1"
        ),
        "email",
    ),
    "login password": (
        "Login",
        lambda item_id: users_pb2.LoginRequest(email="a@example.org", password=_big()),
        "password",
    ),
    "change password": (
        "ChangePassword",
        lambda item_id: users_pb2.ChangePasswordRequest(
            current_password=_big(), new_password="long enough 1"
        ),
        "current_password",
    ),
}


@pytest.fixture(scope="module")
async def flooder(make_user: UserFactory) -> TestUser:
    return await make_user()


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
async def test_huge_input_is_refused_by_size_without_holding_the_loop(
    channel: grpc.aio.Channel, items_stub: Any, flooder: TestUser, case: str
) -> None:
    method_name, build, field = CASES[case]
    method = next(m for m in all_methods() if m.name == method_name)
    item = await create(items_stub, flooder.metadata)
    request = build(item.id)
    worst: list[float] = []
    for _ in range(2):  # a stall is a stall every time; noise is not
        async with LoopLag() as lag:
            for _ in range(3):  # in a row, as the attack did
                outcome = await call(channel, method, request, flooder.metadata, stream_wait=2.0)
                assert outcome.code == grpc.StatusCode.INVALID_ARGUMENT, (case, outcome.code)
                assert len(outcome.details) < 200, outcome.details[:300]
                assert outcome.details.startswith(f"{field}: "), outcome.details
        worst.append(lag.worst_cpu)
        if lag.worst_cpu < MAX_LOOP_LAG:
            break
    assert min(worst) < MAX_LOOP_LAG, f"{case}: the loop was held {min(worst) * 1000:.0f} ms"


async def test_oversized_field_is_named_in_the_violations(
    items_stub: Any, flooder: TestUser
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await items_stub.CreateItem(
            items_pb2.CreateItemRequest(item=items_pb2.Item(title="t", description=_big(5000))),
            metadata=flooder.metadata,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(caught.value) == {
        "item.description": "must be at most 1000 characters (got 5000)"
    }
