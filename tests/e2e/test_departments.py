"""Departments and roles through the real server: a supervisor sees and reassigns the
department's work and watches it, a department admin manages its users, nothing is
seen across departments (NOT_FOUND), and a change of role or department ends the
user's sign-ins and invalidates what was minted for the old one (page tokens)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf import field_mask_pb2

from opengovfood.domain.principal import SCOPE_ITEMS_READ, Role
from opengovfood_client.v1 import items_pb2, items_pb2_grpc, users_pb2, users_pb2_grpc
from support.items import Watcher, create
from support.rpc_errors import field_violations, rpc_error
from support.server import TestUser, UserFactory

C = grpc.StatusCode
CREATED = items_pb2.ITEM_EVENT_TYPE_CREATED
UPDATED = items_pb2.ITEM_EVENT_TYPE_UPDATED


def _mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


@dataclass
class Team:
    """Department A: inspectors ana and ben, supervisor sue, admin ada; department B:
    inspector zed and supervisor zoe."""

    a: int
    b: int
    ana: TestUser
    ben: TestUser
    sue: TestUser
    ada: TestUser
    zed: TestUser
    zoe: TestUser


@pytest.fixture
async def team(make_user: UserFactory) -> Team:
    a, b = await make_user.department(), await make_user.department()
    return Team(
        a,
        b,
        ana=await make_user(department_id=a),
        ben=await make_user(department_id=a),
        sue=await make_user(department_id=a, role=Role.SUPERVISOR),
        ada=await make_user(department_id=a, role=Role.ADMIN),
        zed=await make_user(department_id=b),
        zoe=await make_user(department_id=b, role=Role.SUPERVISOR),
    )


async def _ids(stub: items_pb2_grpc.ItemServiceStub, user: TestUser, filter: str = "") -> set[int]:
    page = await stub.ListItems(
        items_pb2.ListItemsRequest(filter=filter, page_size=1000), metadata=user.metadata
    )
    return {item.id for item in page.items}


async def test_supervisor_sees_the_department_and_nothing_else(
    items_stub: items_pb2_grpc.ItemServiceStub, team: Team
) -> None:
    ana_item = await create(items_stub, team.ana.metadata, title="Ana's routine inspection")
    ben_item = await create(items_stub, team.ben.metadata, title="Ben's complaint")
    zed_item = await create(items_stub, team.zed.metadata, title="Zed's follow-up")

    # The supervisor: every item of department A, none of B.
    assert await _ids(items_stub, team.sue) == {ana_item.id, ben_item.id}
    got = await items_stub.GetItem(
        items_pb2.GetItemRequest(id=ana_item.id), metadata=team.sue.metadata
    )
    assert got.owner_id == team.ana.id
    for user, foreign in ((team.sue, zed_item), (team.zoe, ana_item), (team.ada, zed_item)):
        await rpc_error(
            items_stub.GetItem(items_pb2.GetItemRequest(id=foreign.id), metadata=user.metadata),
            C.NOT_FOUND,
        )
    # Filters and counts stay within it.
    page = await items_stub.ListItems(
        items_pb2.ListItemsRequest(filter=f"owner_id = {team.zed.id}"), metadata=team.sue.metadata
    )
    assert list(page.items) == []
    assert page.total_size == 0
    # Inspectors: their own only, even within the department.
    assert await _ids(items_stub, team.ana) == {ana_item.id}
    await rpc_error(
        items_stub.GetItem(items_pb2.GetItemRequest(id=ana_item.id), metadata=team.ben.metadata),
        C.NOT_FOUND,
    )
    # A supervisor updates the department's items but deletes only their own.
    updated = await items_stub.UpdateItem(
        items_pb2.UpdateItemRequest(
            item=items_pb2.Item(id=ben_item.id, status=items_pb2.ITEM_STATUS_IN_PROGRESS),
            update_mask=_mask("status"),
        ),
        metadata=team.sue.metadata,
    )
    assert updated.status == items_pb2.ITEM_STATUS_IN_PROGRESS
    assert updated.owner_id == team.ben.id
    await rpc_error(
        items_stub.DeleteItem(
            items_pb2.DeleteItemRequest(id=ben_item.id), metadata=team.sue.metadata
        ),
        C.NOT_FOUND,
    )


async def test_supervisor_reassigns_within_the_department_only(
    items_stub: items_pb2_grpc.ItemServiceStub,
    users_stub: users_pb2_grpc.UserServiceStub,
    make_user: UserFactory,
    team: Team,
) -> None:
    item = await create(items_stub, team.ana.metadata, title="Pending routine inspection")

    def reassign(to: int, by: TestUser, etag: str = "") -> object:
        return items_stub.UpdateItem(
            items_pb2.UpdateItemRequest(
                item=items_pb2.Item(id=item.id, owner_id=to, etag=etag),
                update_mask=_mask("owner_id"),
            ),
            metadata=by.metadata,
        )

    moved = await reassign(team.ben.id, team.sue, etag=item.etag)
    assert moved.owner_id == team.ben.id
    assert moved.etag != item.etag
    assert item.id in await _ids(items_stub, team.ben)
    assert item.id not in await _ids(items_stub, team.ana)

    # Not to another department's user, nor to someone deactivated: the field says why.
    error = await rpc_error(reassign(team.zed.id, team.sue), C.INVALID_ARGUMENT)
    assert "item.owner_id" in field_violations(error)
    gone = await make_user(department_id=team.a, active=False)
    await rpc_error(reassign(gone.id, team.sue), C.INVALID_ARGUMENT)
    # Inspectors may not reassign, not even their own items.
    await rpc_error(reassign(team.ana.id, team.ben), C.PERMISSION_DENIED)
    # Another department's supervisor does not see the item at all.
    await rpc_error(reassign(team.zed.id, team.zoe), C.NOT_FOUND)
    # Without the path in the mask, an owner_id in the message reassigns nothing.
    kept = await items_stub.UpdateItem(
        items_pb2.UpdateItemRequest(
            item=items_pb2.Item(id=item.id, title="Renamed", owner_id=team.ana.id),
            update_mask=_mask("title"),
        ),
        metadata=team.ben.metadata,
    )
    assert kept.owner_id == team.ben.id
    # The department admin may look the members up to choose whom to give work to.
    member = await users_stub.GetUser(
        users_pb2.GetUserRequest(id=team.ben.id), metadata=team.sue.metadata
    )
    assert member.department_id == team.a
    assert member.role == users_pb2.ROLE_INSPECTOR


async def test_supervisor_watches_the_department(
    items_stub: items_pb2_grpc.ItemServiceStub, team: Team
) -> None:
    watcher = Watcher(items_stub, team.sue.metadata)
    ana_watch = Watcher(items_stub, team.ana.metadata)
    try:
        await watcher.ready()
        await ana_watch.ready()
        foreign = await create(items_stub, team.zed.metadata, title="Other county")
        ben_item = await create(items_stub, team.ben.metadata, title="Ben's")
        event = await watcher.next()
        # The first event the supervisor sees is the department's, not the other one's.
        assert (event.type, event.item.id) == (CREATED, ben_item.id)
        assert foreign.id != ben_item.id
        # A reassignment reaches the supervisor and the new owner's watch.
        await items_stub.UpdateItem(
            items_pb2.UpdateItemRequest(
                item=items_pb2.Item(id=ben_item.id, owner_id=team.ana.id),
                update_mask=_mask("owner_id"),
            ),
            metadata=team.sue.metadata,
        )
        assert (await watcher.next()).item.owner_id == team.ana.id
        assert (await ana_watch.until(ben_item.id, UPDATED)).item.owner_id == team.ana.id
    finally:
        watcher.cancel()
        ana_watch.cancel()


async def test_department_admin_manages_its_users_only(
    users_stub: users_pb2_grpc.UserServiceStub, team: Team
) -> None:
    def create_user(department_id: int = 0, **fields: object) -> object:
        return users_stub.CreateUser(
            users_pb2.CreateUserRequest(
                user=users_pb2.User(
                    email=f"new-{uuid.uuid4().hex[:8]}@example.org",
                    is_active=True,
                    department_id=department_id,
                    **fields,  # type: ignore[arg-type]
                ),
                password="a long enough password 1",
            ),
            metadata=team.ada.metadata,
        )

    made = await create_user(role=users_pb2.ROLE_SUPERVISOR)
    assert made.department_id == team.a
    assert made.role == users_pb2.ROLE_SUPERVISOR
    await rpc_error(create_user(team.b), C.NOT_FOUND)
    await rpc_error(create_user(is_superuser=True), C.PERMISSION_DENIED)

    def update(user_id: int, by: TestUser = team.ada, **fields: object) -> object:
        return users_stub.UpdateUser(
            users_pb2.UpdateUserRequest(
                user=users_pb2.User(id=user_id, **fields),  # type: ignore[arg-type]
                update_mask=_mask(*fields),
            ),
            metadata=by.metadata,
        )

    promoted = await update(team.ben.id, role=users_pb2.ROLE_SUPERVISOR)
    assert promoted.role == users_pb2.ROLE_SUPERVISOR
    await rpc_error(update(team.zed.id, is_active=False), C.NOT_FOUND)
    await rpc_error(update(team.ben.id, department_id=team.b), C.NOT_FOUND)
    await rpc_error(update(team.ben.id, is_superuser=True), C.PERMISSION_DENIED)
    await rpc_error(update(team.ana.id, by=team.sue, is_active=False), C.PERMISSION_DENIED)
    await rpc_error(update(team.ada.id, role=users_pb2.ROLE_INSPECTOR), C.FAILED_PRECONDITION)

    listed = await users_stub.ListUsers(
        users_pb2.ListUsersRequest(page_size=100), metadata=team.ada.metadata
    )
    ids = {user.id for user in listed.users}
    assert {team.ana.id, team.ben.id, team.sue.id, team.ada.id, made.id} == ids
    supervisors = await users_stub.ListUsers(
        users_pb2.ListUsersRequest(filter="role = ROLE_SUPERVISOR"), metadata=team.sue.metadata
    )
    assert {u.id for u in supervisors.users} == {team.sue.id, team.ben.id, made.id}
    await rpc_error(
        users_stub.ListUsers(users_pb2.ListUsersRequest(), metadata=team.ana.metadata),
        C.PERMISSION_DENIED,
    )

    own = await users_stub.GetDepartment(
        users_pb2.GetDepartmentRequest(id=team.a), metadata=team.ana.metadata
    )
    assert own.id == team.a
    assert own.name
    await rpc_error(
        users_stub.GetDepartment(
            users_pb2.GetDepartmentRequest(id=team.b), metadata=team.ada.metadata
        ),
        C.NOT_FOUND,
    )


async def test_superuser_runs_departments(
    users_stub: users_pb2_grpc.UserServiceStub, make_user: UserFactory
) -> None:
    root = await make_user(superuser=True)
    name = f"Cook County EH {uuid.uuid4().hex[:6]}"
    made = await users_stub.CreateDepartment(
        users_pb2.CreateDepartmentRequest(department=users_pb2.Department(name=f"  {name} ")),
        metadata=root.metadata,
    )
    assert made.name == name
    assert made.id > 0
    assert made.create_time.seconds > 0
    await rpc_error(
        users_stub.CreateDepartment(
            users_pb2.CreateDepartmentRequest(department=users_pb2.Department(name=name)),
            metadata=root.metadata,
        ),
        C.ALREADY_EXISTS,
    )
    error = await rpc_error(
        users_stub.CreateDepartment(
            users_pb2.CreateDepartmentRequest(department=users_pb2.Department(name=" ")),
            metadata=root.metadata,
        ),
        C.INVALID_ARGUMENT,
    )
    assert "department.name" in field_violations(error)
    found = await users_stub.ListDepartments(
        users_pb2.ListDepartmentsRequest(filter=f'name = "{name}"'), metadata=root.metadata
    )
    assert [d.id for d in found.departments] == [made.id]
    assert found.total_size == 1
    got = await users_stub.GetDepartment(
        users_pb2.GetDepartmentRequest(id=made.id), metadata=root.metadata
    )
    assert got == made
    await rpc_error(
        users_stub.GetDepartment(users_pb2.GetDepartmentRequest(id=2**62), metadata=root.metadata),
        C.NOT_FOUND,
    )
    # A user created into it, with a role; a department that does not exist is NOT_FOUND.
    chief = await users_stub.CreateUser(
        users_pb2.CreateUserRequest(
            user=users_pb2.User(
                email=f"chief-{uuid.uuid4().hex[:8]}@example.org",
                is_active=True,
                department_id=made.id,
                role=users_pb2.ROLE_ADMIN,
            ),
            password="a long enough password 1",
        ),
        metadata=root.metadata,
    )
    assert (chief.department_id, chief.role) == (made.id, users_pb2.ROLE_ADMIN)
    await rpc_error(
        users_stub.CreateUser(
            users_pb2.CreateUserRequest(
                user=users_pb2.User(
                    email=f"lost-{uuid.uuid4().hex[:8]}@example.org", department_id=2**62
                ),
                password="a long enough password 1",
            ),
            metadata=root.metadata,
        ),
        C.NOT_FOUND,
    )


async def test_role_change_ends_the_sign_in_and_its_page_tokens(
    items_stub: items_pb2_grpc.ItemServiceStub,
    users_stub: users_pb2_grpc.UserServiceStub,
    team: Team,
) -> None:
    for _ in range(2):
        await create(items_stub, team.ben.metadata, title="Ben's work")
    pair = await users_stub.Login(
        users_pb2.LoginRequest(email=team.ana.email, password=team.ana.password)
    )
    bearer = (("authorization", f"Bearer {pair.access_token}"),)
    first = await items_stub.ListItems(items_pb2.ListItemsRequest(page_size=1), metadata=bearer)
    assert list(first.items) == []
    assert first.total_size == 0

    await users_stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user=users_pb2.User(id=team.ana.id, role=users_pb2.ROLE_SUPERVISOR),
            update_mask=_mask("role"),
        ),
        metadata=team.ada.metadata,
    )
    # Like a deactivation: the sign-in is over, and its refresh token with it.
    error = await rpc_error(
        items_stub.ListItems(items_pb2.ListItemsRequest(), metadata=bearer), C.UNAUTHENTICATED
    )
    assert error.code() == C.UNAUTHENTICATED
    await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token=pair.refresh_token)),
        C.UNAUTHENTICATED,
    )
    again = await users_stub.Login(
        users_pb2.LoginRequest(email=team.ana.email, password=team.ana.password)
    )
    bearer = (("authorization", f"Bearer {again.access_token}"),)
    me = await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer)
    assert me.role == users_pb2.ROLE_SUPERVISOR
    page = await items_stub.ListItems(items_pb2.ListItemsRequest(page_size=1), metadata=bearer)
    assert page.total_size == 2
    assert page.next_page_token
    # A page token minted for the supervisor is refused once the role changed again.
    await users_stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user=users_pb2.User(id=team.ana.id, role=users_pb2.ROLE_INSPECTOR),
            update_mask=_mask("role"),
        ),
        metadata=team.ada.metadata,
    )
    third = await users_stub.Login(
        users_pb2.LoginRequest(email=team.ana.email, password=team.ana.password)
    )
    bearer = (("authorization", f"Bearer {third.access_token}"),)
    await rpc_error(
        items_stub.ListItems(
            items_pb2.ListItemsRequest(page_size=1, page_token=page.next_page_token),
            metadata=bearer,
        ),
        C.INVALID_ARGUMENT,
    )


async def test_a_moved_user_leaves_the_department_s_work_behind(
    items_stub: items_pb2_grpc.ItemServiceStub,
    users_stub: users_pb2_grpc.UserServiceStub,
    make_user: UserFactory,
    team: Team,
) -> None:
    root = await make_user(superuser=True)
    request_id = str(uuid.uuid4())
    item = await create(
        items_stub, team.ana.metadata, title="Before the move", request_id=request_id
    )
    moved = await users_stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user=users_pb2.User(id=team.ana.id, department_id=team.b),
            update_mask=_mask("department_id"),
        ),
        metadata=root.metadata,
    )
    assert moved.department_id == team.b
    await rpc_error(
        items_stub.GetItem(items_pb2.GetItemRequest(id=item.id), metadata=team.ana.metadata),
        C.UNAUTHENTICATED,
    )
    pair = await users_stub.Login(
        users_pb2.LoginRequest(email=team.ana.email, password=team.ana.password)
    )
    bearer = (("authorization", f"Bearer {pair.access_token}"),)
    await rpc_error(
        items_stub.GetItem(items_pb2.GetItemRequest(id=item.id), metadata=bearer), C.NOT_FOUND
    )
    # The idempotency key does not hand the old department's item back either.
    await rpc_error(
        items_stub.CreateItem(
            items_pb2.CreateItemRequest(
                item=items_pb2.Item(title="Before the move"), request_id=request_id
            ),
            metadata=bearer,
        ),
        C.NOT_FOUND,
    )
    # The old department keeps it; the new one's supervisor does not see it.
    assert item.id in await _ids(items_stub, team.sue)
    assert item.id not in await _ids(items_stub, team.zoe)


async def test_service_principal_confined_to_a_department(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory, team: Team
) -> None:
    mine = await create(items_stub, team.ana.metadata)
    theirs = await create(items_stub, team.zed.metadata)
    reader = make_user.service_token(
        "county-a-reports", frozenset({SCOPE_ITEMS_READ, f"department:{team.a}"})
    )
    listed = await items_stub.ListItems(items_pb2.ListItemsRequest(page_size=1000), metadata=reader)
    ids = {item.id for item in listed.items}
    assert mine.id in ids
    assert theirs.id not in ids
    await rpc_error(
        items_stub.GetItem(items_pb2.GetItemRequest(id=theirs.id), metadata=reader), C.NOT_FOUND
    )
    platform = make_user.service_token("platform", frozenset({SCOPE_ITEMS_READ}))
    both = {
        item.id
        for item in (
            await items_stub.ListItems(
                items_pb2.ListItemsRequest(page_size=1000), metadata=platform
            )
        ).items
    }
    assert {mine.id, theirs.id} <= both


async def test_the_department_shares_its_establishments(
    make_user: UserFactory, server: object, team: Team
) -> None:
    import grpc as _grpc

    from opengovfood_client.v1 import establishments_pb2 as pb
    from opengovfood_client.v1 import establishments_pb2_grpc

    async with _grpc.aio.insecure_channel(server.address) as channel:  # type: ignore[attr-defined]
        stub = establishments_pb2_grpc.EstablishmentServiceStub(channel)
        number = f"L-{uuid.uuid4().hex[:8]}"
        place = await stub.CreateEstablishment(
            pb.CreateEstablishmentRequest(
                establishment=pb.Establishment(name="Ana's diner", license_number=number)
            ),
            metadata=team.ana.metadata,
        )
        # Every member reads it; another department does not see it.
        for member in (team.ben, team.sue, team.ada):
            got = await stub.GetEstablishment(
                pb.GetEstablishmentRequest(id=place.id), metadata=member.metadata
            )
            assert got.id == place.id
        for stranger in (team.zed, team.zoe):
            await rpc_error(
                stub.GetEstablishment(
                    pb.GetEstablishmentRequest(id=place.id), metadata=stranger.metadata
                ),
                C.NOT_FOUND,
            )
            listed = await stub.ListEstablishments(
                pb.ListEstablishmentsRequest(page_size=1000), metadata=stranger.metadata
            )
            assert place.id not in {e.id for e in listed.establishments}
        # Licence numbers are unique within the department, free in another.
        await rpc_error(
            stub.CreateEstablishment(
                pb.CreateEstablishmentRequest(
                    establishment=pb.Establishment(name="Copy", license_number=number)
                ),
                metadata=team.ben.metadata,
            ),
            C.ALREADY_EXISTS,
        )
        await stub.CreateEstablishment(
            pb.CreateEstablishmentRequest(
                establishment=pb.Establishment(name="Same number", license_number=number)
            ),
            metadata=team.zed.metadata,
        )

        # The supervisor updates it; a colleague inspector may not; only Ana deletes it.
        def rename(by: TestUser, name: str) -> object:
            return stub.UpdateEstablishment(
                pb.UpdateEstablishmentRequest(
                    establishment=pb.Establishment(id=place.id, name=name),
                    update_mask=_mask("name"),
                ),
                metadata=by.metadata,
            )

        assert (await rename(team.sue, "Ana's bistro")).name == "Ana's bistro"
        await rpc_error(rename(team.ben, "Ben's now"), C.NOT_FOUND)
        await rpc_error(
            stub.DeleteEstablishment(
                pb.DeleteEstablishmentRequest(id=place.id), metadata=team.sue.metadata
            ),
            C.NOT_FOUND,
        )
        await stub.DeleteEstablishment(
            pb.DeleteEstablishmentRequest(id=place.id), metadata=team.ana.metadata
        )
