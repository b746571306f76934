"""Authorization matrix, generated from the service descriptors.

Every method of every opengovfood.v1 service is called by principals that must not get
at a first user's data: anonymous, a deactivated user, another ordinary user (aimed at
the first user's resources), a service principal without scopes, a service principal
with `items:read`, and the access token of a sign-in that has ended: after Logout,
after its refresh token was reused, and after the user was deactivated and
reactivated. Each answer is checked against RULES below, and the database must not
change (except rows the caller itself owns, for methods it may call). A method the
descriptors list but RULES does not fails the test: a new method is covered the day
it is added.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2, message

from opengovfood.db.models import Conversation, InspectionAnalysis
from opengovfood.rpc import policy
from opengovfood_client.v1 import (
    agent_pb2,
    establishments_pb2,
    exports_pb2,
    items_pb2,
    users_pb2,
    users_pb2_grpc,
)
from support.items import create
from support.reliability import (
    FORBIDDEN_CODES,
    Method,
    all_methods,
    assert_error_info,
    call,
    changes,
    internals_in,
    snapshot,
)
from support.server import RunningServer, TestUser, UserFactory

C = grpc.StatusCode
OK, UNAUTH, DENIED, NOT_FOUND = C.OK, C.UNAUTHENTICATED, C.PERMISSION_DENIED, C.NOT_FOUND
ENDED_SIGN_INS = ("after_logout", "after_reuse", "after_reactivation")
PRINCIPALS = ("anonymous", "deactivated", "other_user", "service", "items_reader", *ENDED_SIGN_INS)
OWNER_PASSWORD = "owner's own password 7"
OWNER_LICENSE = "OWNER-LICENSE-1"


@dataclass
class World:
    owner: TestUser
    item_id: int
    request_id: str
    analysis_id: int
    conversation_id: int
    refresh_token: str
    establishment_id: int


Build = Callable[[World], message.Message]


@dataclass(frozen=True)
class Rule:
    request: Build
    # principal -> accepted codes; principals not named expect `default`.
    expect: dict[str, frozenset[C]]
    default: frozenset[C]


def rule(request: Build, default: C | set[C], **expect: C | set[C]) -> Rule:
    def as_set(value: C | set[C]) -> frozenset[C]:
        return frozenset(value) if isinstance(value, set) else frozenset({value})

    return Rule(request, {k: as_set(v) for k, v in expect.items()}, as_set(default))


def _signed_in(request: Build, other: C | set[C], reader: C | set[C] = DENIED) -> Rule:
    """A method for signed-in users: token checks first, then the resource rules."""
    return rule(
        request,
        DENIED,
        anonymous=UNAUTH,
        deactivated=UNAUTH,
        other_user=other,
        items_reader=reader,
        **dict.fromkeys(ENDED_SIGN_INS, UNAUTH),
    )


def _mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


# method name -> (request aimed at the owner's data, expected codes per principal).
RULES: dict[str, Rule] = {
    # Public: tokens are ignored; the requests try to take over the owner's account.
    "Register": rule(
        lambda w: users_pb2.RegisterRequest(
            email=w.owner.email, password="a long enough password 1", full_name="x"
        ),
        C.ALREADY_EXISTS,
    ),
    # Every principal guesses from the same address: past five failures the pair backs off.
    "Login": rule(
        lambda w: users_pb2.LoginRequest(email=w.owner.email, password="wrong password 123"),
        {UNAUTH, C.RESOURCE_EXHAUSTED},
    ),
    "RefreshToken": rule(
        lambda w: users_pb2.RefreshTokenRequest(refresh_token=w.refresh_token + "x"), UNAUTH
    ),
    "Logout": _signed_in(
        lambda w: users_pb2.LogoutRequest(refresh_token=w.refresh_token), NOT_FOUND
    ),
    "GetMe": _signed_in(lambda w: users_pb2.GetMeRequest(), OK),
    # Without the caller's password an email change is refused before the email is looked
    # up: whether the owner's email has an account is not revealed.
    "UpdateMe": _signed_in(
        lambda w: users_pb2.UpdateMeRequest(
            user=users_pb2.User(id=w.owner.id, email=w.owner.email), update_mask=_mask("email")
        ),
        C.INVALID_ARGUMENT,
    ),
    "ChangePassword": _signed_in(
        lambda w: users_pb2.ChangePasswordRequest(
            current_password=OWNER_PASSWORD, new_password="taken over password 9"
        ),
        C.INVALID_ARGUMENT,
    ),
    "CreateUser": _signed_in(
        lambda w: users_pb2.CreateUserRequest(
            user=users_pb2.User(
                email=f"evil-{uuid.uuid4().hex[:8]}@example.org", is_superuser=True
            ),
            password="a long enough password 1",
        ),
        DENIED,
    ),
    "GetUser": _signed_in(lambda w: users_pb2.GetUserRequest(id=w.owner.id), NOT_FOUND),
    "ListUsers": _signed_in(lambda w: users_pb2.ListUsersRequest(), DENIED),
    "UpdateUser": _signed_in(
        lambda w: users_pb2.UpdateUserRequest(
            user=users_pb2.User(id=w.owner.id, is_active=False), update_mask=_mask("is_active")
        ),
        DENIED,
    ),
    # Another user reusing the owner's request_id gets an item of its own (checked below).
    "CreateItem": _signed_in(
        lambda w: items_pb2.CreateItemRequest(
            item=items_pb2.Item(title="Mine now"), request_id=w.request_id
        ),
        OK,
    ),
    "GetItem": _signed_in(lambda w: items_pb2.GetItemRequest(id=w.item_id), NOT_FOUND, OK),
    "ListItems": _signed_in(lambda w: items_pb2.ListItemsRequest(), OK, OK),
    "UpdateItem": _signed_in(
        lambda w: items_pb2.UpdateItemRequest(
            item=items_pb2.Item(id=w.item_id, title="pwned"), update_mask=_mask("title")
        ),
        NOT_FOUND,
    ),
    "DeleteItem": _signed_in(lambda w: items_pb2.DeleteItemRequest(id=w.item_id), NOT_FOUND),
    "WatchItems": _signed_in(lambda w: items_pb2.WatchItemsRequest(), OK, OK),
    # Another user's export has none of the owner's rows (checked below); a report of
    # the owner's item is NOT_FOUND.
    "ExportInspections": _signed_in(
        lambda w: exports_pb2.ExportInspectionsRequest(
            format=exports_pb2.EXPORT_FORMAT_LIVES, filter=f"owner_id = {w.owner.id}"
        ),
        OK,
        OK,
    ),
    "RenderInspectionReport": _signed_in(
        lambda w: exports_pb2.RenderInspectionReportRequest(id=w.item_id), NOT_FOUND, OK
    ),
    "AnalyzeInspection": _signed_in(
        lambda w: agent_pb2.AnalyzeInspectionRequest(notes="Cooler at 9C", item_id=w.item_id),
        NOT_FOUND,
    ),
    "GetAnalysis": _signed_in(lambda w: agent_pb2.GetAnalysisRequest(id=w.analysis_id), NOT_FOUND),
    "ListAnalyses": _signed_in(
        lambda w: agent_pb2.ListAnalysesRequest(filter=f"item_id = {w.item_id}"), OK
    ),
    "Chat": _signed_in(
        lambda w: agent_pb2.ChatRequest(message="hello", conversation_id=w.conversation_id),
        NOT_FOUND,
    ),
    "ListModels": _signed_in(lambda w: agent_pb2.ListModelsRequest(), OK),
    "UpdateAnalysis": _signed_in(
        lambda w: agent_pb2.UpdateAnalysisRequest(
            analysis=agent_pb2.InspectionAnalysis(
                id=w.analysis_id, etag="1-0123456789ab", summary="pwned"
            ),
            update_mask=_mask("summary"),
        ),
        NOT_FOUND,
    ),
    # The Food Code catalogue: reference data, for any signed-in principal.
    "ListViolationTypes": rule(
        lambda w: agent_pb2.ListViolationTypesRequest(),
        OK,
        anonymous=UNAUTH,
        deactivated=UNAUTH,
        **dict.fromkeys(ENDED_SIGN_INS, UNAUTH),
    ),
    "PullModel": _signed_in(lambda w: agent_pb2.PullModelRequest(name="smollm2"), DENIED),
    # Another user reusing the owner's request_id and licence number gets its own.
    "CreateEstablishment": _signed_in(
        lambda w: establishments_pb2.CreateEstablishmentRequest(
            establishment=establishments_pb2.Establishment(
                name="Mine now", license_number=OWNER_LICENSE
            ),
            request_id=w.request_id,
        ),
        OK,
    ),
    "GetEstablishment": _signed_in(
        lambda w: establishments_pb2.GetEstablishmentRequest(id=w.establishment_id), NOT_FOUND, OK
    ),
    "ListEstablishments": _signed_in(
        lambda w: establishments_pb2.ListEstablishmentsRequest(), OK, OK
    ),
    "UpdateEstablishment": _signed_in(
        lambda w: establishments_pb2.UpdateEstablishmentRequest(
            establishment=establishments_pb2.Establishment(id=w.establishment_id, name="pwned"),
            update_mask=_mask("name"),
        ),
        NOT_FOUND,
    ),
    "DeleteEstablishment": _signed_in(
        lambda w: establishments_pb2.DeleteEstablishmentRequest(id=w.establishment_id), NOT_FOUND
    ),
}

METHODS = all_methods()


def _leaks_owner(method: Method, responses: list[Any], world: World) -> bool:
    """Does an allowed answer carry the owner's data?"""
    for response in responses:
        if method.name in ("ListItems",) and any(
            i.owner_id == world.owner.id for i in response.items
        ):
            return True
        if method.name == "WatchItems" and response.item.owner_id == world.owner.id:
            return True
        if method.name == "ExportInspections" and (
            response.file_name == "inspections.csv" and response.data.count(b"\n") > 1
        ):
            return True
        if method.name == "ListAnalyses" and len(response.analyses) > 0:
            return True
        if method.name == "GetMe" and response.id == world.owner.id:
            return True
        if method.name == "CreateItem" and response.owner_id == world.owner.id:
            return True
        if method.name == "ListEstablishments" and any(
            e.owner_id == world.owner.id for e in response.establishments
        ):
            return True
        if method.name == "CreateEstablishment" and response.owner_id == world.owner.id:
            return True
    return False


@pytest.fixture(scope="module")
async def world(server: RunningServer, channel: grpc.aio.Channel, make_user: UserFactory) -> World:
    from opengovfood_client.v1 import items_pb2_grpc

    owner = await make_user(password=OWNER_PASSWORD)
    request_id = str(uuid.uuid4())
    item = await create(
        items_pb2_grpc.ItemServiceStub(channel), owner.metadata, request_id=request_id
    )
    # An analysis and a conversation of the owner's, straight in the database (no LLM).
    async with server.app.container.sessions() as session, session.begin():
        analysis = InspectionAnalysis(
            owner_id=owner.id,
            item_id=item.id,
            notes="n",
            summary="s",
            violations=[],
            corrective_actions=[],
            compliance_score=1.0,
            public_health_narrative="p",
            provider="local",
            model="m",
        )
        conversation = Conversation(owner_id=owner.id, provider="local", model="m")
        session.add_all([analysis, conversation])
        await session.flush()
        analysis_id, conversation_id = analysis.id, conversation.id
    # A real refresh token of the owner's when UserService can sign in.
    refresh_token = "no-refresh-token-yet"
    login = next(m for m in METHODS if m.name == "Login")
    outcome = await call(
        channel, login, users_pb2.LoginRequest(email=owner.email, password=OWNER_PASSWORD)
    )
    if outcome.code == OK:
        refresh_token = outcome.responses[0].refresh_token
    from opengovfood_client.v1 import establishments_pb2_grpc

    place = await establishments_pb2_grpc.EstablishmentServiceStub(channel).CreateEstablishment(
        establishments_pb2.CreateEstablishmentRequest(
            establishment=establishments_pb2.Establishment(
                name="Owner's diner", license_number=OWNER_LICENSE
            ),
            request_id=request_id,
        ),
        metadata=owner.metadata,
    )
    # The owner's item is an inspection of that place: it is in the owner's export.
    await items_pb2_grpc.ItemServiceStub(channel).UpdateItem(
        items_pb2.UpdateItemRequest(
            item=items_pb2.Item(id=item.id, establishment_id=place.id),
            update_mask=_mask("establishment_id"),
        ),
        metadata=owner.metadata,
    )
    return World(owner, item.id, request_id, analysis_id, conversation_id, refresh_token, place.id)


async def _ended_sign_ins(
    channel: grpc.aio.Channel, make_user: UserFactory
) -> dict[str, tuple[int | None, tuple[tuple[str, str], ...]]]:
    """Access tokens of real sign-ins (Login) that have since ended, each its own way."""
    users = users_pb2_grpc.UserServiceStub(channel)
    admin = await make_user(superuser=True)
    ended: dict[str, tuple[int | None, tuple[tuple[str, str], ...]]] = {}
    for how in ENDED_SIGN_INS:
        user = await make_user()
        pair = await users.Login(users_pb2.LoginRequest(email=user.email, password=user.password))
        bearer = (("authorization", f"Bearer {pair.access_token}"),)
        if how == "after_logout":
            await users.Logout(
                users_pb2.LogoutRequest(refresh_token=pair.refresh_token), metadata=bearer
            )
        elif how == "after_reuse":
            await users.RefreshToken(
                users_pb2.RefreshTokenRequest(refresh_token=pair.refresh_token)
            )
            with pytest.raises(grpc.aio.AioRpcError):
                await users.RefreshToken(
                    users_pb2.RefreshTokenRequest(refresh_token=pair.refresh_token)
                )
        else:
            for active in (False, True):
                await users.UpdateUser(
                    users_pb2.UpdateUserRequest(
                        user=users_pb2.User(id=user.id, is_active=active),
                        update_mask=_mask("is_active"),
                    ),
                    metadata=admin.metadata,
                )
        ended[how] = (user.id, bearer)
    return ended


@pytest.fixture(scope="module")
async def principals(
    channel: grpc.aio.Channel, make_user: UserFactory
) -> dict[str, tuple[int | None, tuple[tuple[str, str], ...]]]:
    """principal -> (its user id, its metadata)."""
    deactivated = await make_user(active=False)
    other = await make_user()
    return {
        **await _ended_sign_ins(channel, make_user),
        "anonymous": (None, ()),
        "deactivated": (deactivated.id, deactivated.metadata),
        "other_user": (other.id, other.metadata),
        "service": (None, make_user.service_token("reports", frozenset())),
        "items_reader": (
            None,
            make_user.service_token("auditor", frozenset({policy.SCOPE_ITEMS_READ})),
        ),
    }


def test_rules_cover_every_method() -> None:
    names = {m.name for m in METHODS}
    assert len(names) == len(METHODS), "method names repeat across services"
    assert names - RULES.keys() == set(), "methods without a rule in this test"
    assert RULES.keys() - names == set(), "rules for methods the descriptors don't have"


def test_server_policy_covers_every_method() -> None:
    paths = {m.path for m in METHODS}
    assert paths - policy.RULES.keys() == set(), "methods without a rule in rpc/policy.py"
    assert policy.RULES.keys() - paths == set(), "policy rules for unknown methods"
    for path in paths:
        assert policy.rule_for(path) is policy.RULES[path]


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
async def test_matrix(
    server: RunningServer,
    channel: grpc.aio.Channel,
    world: World,
    principals: dict[str, tuple[int | None, tuple[tuple[str, str], ...]]],
    method: Method,
    principal: str,
) -> None:
    rule_ = RULES.get(method.name)
    assert rule_ is not None, f"{method.path} has no rule in the authorization matrix"
    expected = rule_.expect.get(principal, rule_.default)
    caller_id, metadata = principals[principal]
    engine = server.app.container.engine
    before = await snapshot(engine)
    outcome = await call(channel, method, rule_.request(world), metadata)
    after = await snapshot(engine)
    assert outcome.code not in FORBIDDEN_CODES, outcome
    assert outcome.code in expected, f"{method.path} as {principal}: {outcome}"
    assert_error_info(outcome, f"{method.path} as {principal}")
    assert internals_in(outcome.details) is None, outcome.details
    allowed_owner = caller_id if outcome.code == OK else None
    assert changes(before, after, except_owner=allowed_owner) == []
    if principal != "items_reader":  # may read every item (items:read)
        assert not _leaks_owner(method, outcome.responses, world)
