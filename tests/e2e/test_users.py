"""UserService over the real server: every method's happy path and error codes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2

from opengovfood.config import Settings
from opengovfood_client.v1 import items_pb2, items_pb2_grpc, users_pb2, users_pb2_grpc
from support.auth import bearer, login, unique_email
from support.rpc_errors import field_violations, rpc_error
from support.server import RunningServer, UserFactory, make_settings, start_server, stop_server

Stub = users_pb2_grpc.UserServiceStub
INVALID = grpc.StatusCode.INVALID_ARGUMENT
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
DENIED = grpc.StatusCode.PERMISSION_DENIED
NOT_FOUND = grpc.StatusCode.NOT_FOUND
EXISTS = grpc.StatusCode.ALREADY_EXISTS
PASSWORD = "correct horse 1"


def mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


# --- Register ------------------------------------------------------------------------
async def test_register_creates_an_active_ordinary_user(users_stub: Stub) -> None:
    email = unique_email("reg")
    user = await users_stub.Register(
        users_pb2.RegisterRequest(email=f"  {email.upper()} ", password=PASSWORD, full_name="Ann")
    )
    assert user.id > 0
    assert user.email == email  # trimmed and lower-cased
    assert user.full_name == "Ann"
    assert user.is_active
    assert not user.is_superuser
    assert user.create_time.seconds > 0
    assert user.update_time.seconds > 0
    tokens = await login(users_stub, email, PASSWORD)
    me = await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(tokens.access_token))
    assert me.id == user.id


async def test_register_duplicate_email_is_already_exists(users_stub: Stub) -> None:
    email = unique_email("dup")
    await users_stub.Register(users_pb2.RegisterRequest(email=email, password=PASSWORD))
    error = await rpc_error(
        users_stub.Register(
            users_pb2.RegisterRequest(email=f" {email.upper()}", password=PASSWORD)
        ),
        EXISTS,
    )
    assert error.details() == "a user with this email already exists"


async def test_concurrent_registrations_of_one_email_create_one_user(users_stub: Stub) -> None:
    """Both pass the cheap check; the unique index decides and the loser gets
    ALREADY_EXISTS, not ABORTED or INTERNAL."""
    email = unique_email("race")
    request = users_pb2.RegisterRequest(email=email, password=PASSWORD)
    results = await asyncio.gather(
        *(users_stub.Register(request) for _ in range(6)), return_exceptions=True
    )
    created = [r for r in results if isinstance(r, users_pb2.User)]
    failed = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(created) == 1
    assert len(failed) == 5
    assert {e.code() for e in failed} == {EXISTS}


async def test_register_reports_every_bad_field(users_stub: Stub) -> None:
    error = await rpc_error(
        users_stub.Register(
            users_pb2.RegisterRequest(email="not-an-email", password="short", full_name="x" * 256)
        ),
        INVALID,
    )
    violations = field_violations(error)
    assert set(violations) == {"email", "password", "full_name"}
    assert "at least 8" in violations["password"]
    assert "255" in violations["full_name"]


@pytest.mark.parametrize(
    "email",
    ["", "a@b", "@example.org", "a@@example.org", "a b@example.org", "a@-x.org", "a@x.123"],
)
async def test_register_rejects_malformed_emails(users_stub: Stub, email: str) -> None:
    error = await rpc_error(
        users_stub.Register(users_pb2.RegisterRequest(email=email, password=PASSWORD)), INVALID
    )
    assert set(field_violations(error)) == {"email"}


@pytest.mark.parametrize(
    "password",
    ["a" * 73, "é" * 37, "🍎" * 19],  # 73, 74 and 76 bytes of UTF-8, under 72 characters
)
async def test_password_over_72_bytes_is_invalid_argument(users_stub: Stub, password: str) -> None:
    error = await rpc_error(
        users_stub.Register(users_pb2.RegisterRequest(email=unique_email(), password=password)),
        INVALID,
    )
    assert field_violations(error) == {"password": "must be at most 72 bytes in UTF-8"}


async def test_password_of_exactly_72_bytes_works(users_stub: Stub) -> None:
    email, password = unique_email(), "é" * 36
    await users_stub.Register(users_pb2.RegisterRequest(email=email, password=password))
    assert (await login(users_stub, email, password)).access_token


async def test_full_name_with_control_characters_is_invalid(users_stub: Stub) -> None:
    error = await rpc_error(
        users_stub.Register(
            users_pb2.RegisterRequest(email=unique_email(), password=PASSWORD, full_name="a\x00b")
        ),
        INVALID,
    )
    assert set(field_violations(error)) == {"full_name"}


async def test_register_refused_when_registration_is_closed(
    settings: Settings, tmp_path: Path
) -> None:
    running = await start_server(
        make_settings(settings.database_url, tmp_path, open_registration=False)
    )
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            await rpc_error(
                stub.Register(users_pb2.RegisterRequest(email=unique_email(), password=PASSWORD)),
                DENIED,
            )
    finally:
        await stop_server(running)


# --- Login -------------------------------------------------------------------------
async def test_login_returns_a_bearer_token_pair(
    users_stub: Stub, make_user: UserFactory, settings: Settings
) -> None:
    user = await make_user()
    tokens = await login(users_stub, f" {user.email.upper()} ", user.password)
    assert tokens.token_type == "bearer"
    assert tokens.expires_in == int(settings.access_token_ttl.total_seconds())
    assert tokens.access_token.count(".") == 2
    assert len(tokens.refresh_token) >= 32
    me = await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(tokens.access_token))
    assert me.email == user.email


async def test_login_failures_are_indistinguishable(
    users_stub: Stub, make_user: UserFactory
) -> None:
    user = await make_user()
    inactive = await make_user(active=False)
    unknown = await rpc_error(login(users_stub, unique_email("nobody"), PASSWORD), UNAUTHENTICATED)
    wrong = await rpc_error(login(users_stub, user.email, "wrong password"), UNAUTHENTICATED)
    deactivated = await rpc_error(
        login(users_stub, inactive.email, inactive.password), UNAUTHENTICATED
    )
    malformed = await rpc_error(login(users_stub, "no-at-sign", PASSWORD), UNAUTHENTICATED)
    messages = {e.details() for e in (unknown, wrong, deactivated, malformed)}
    assert messages == {"incorrect email or password"}


async def test_login_validates_its_fields(users_stub: Stub) -> None:
    error = await rpc_error(login(users_stub, "", ""), INVALID)
    assert set(field_violations(error)) == {"email", "password"}
    error = await rpc_error(login(users_stub, unique_email(), "x" * 100), INVALID)
    assert set(field_violations(error)) == {"password"}


async def test_login_timing_does_not_reveal_unknown_emails(
    settings: Settings, tmp_path: Path
) -> None:
    """Unknown email and wrong password both cost one bcrypt check (loose bound)."""
    running = await start_server(make_settings(settings.database_url, tmp_path, bcrypt_rounds=9))
    try:
        from support.server import UserFactory as Factory

        user = await Factory(running.app)()
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)

            async def timed(email: str) -> float:
                loop = asyncio.get_running_loop()
                started = loop.time()
                await rpc_error(login(stub, email, "wrong password"), UNAUTHENTICATED)
                return loop.time() - started

            # Five wrong passwords: the sixth in a row from one address would wait (backoff).
            unknown = sorted([await timed(unique_email()) for _ in range(5)])[2]
            wrong = sorted([await timed(user.email) for _ in range(5)])[2]
        assert unknown > 0.01  # a bcrypt check ran for the unknown email too
        assert 0.33 < unknown / wrong < 3, (unknown, wrong)
    finally:
        await stop_server(running)


# --- RefreshToken and Logout ----------------------------------------------------------
async def test_refresh_rotates_the_refresh_token(users_stub: Stub, make_user: UserFactory) -> None:
    user = await make_user()
    first = await login(users_stub, user.email, user.password)
    second = await users_stub.RefreshToken(
        users_pb2.RefreshTokenRequest(refresh_token=first.refresh_token)
    )
    assert second.refresh_token != first.refresh_token
    assert second.token_type == "bearer"
    me = await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(second.access_token))
    assert me.id == user.id
    third = await users_stub.RefreshToken(
        users_pb2.RefreshTokenRequest(refresh_token=second.refresh_token)
    )
    assert third.access_token


async def test_reused_refresh_token_revokes_the_family(
    users_stub: Stub, make_user: UserFactory
) -> None:
    user = await make_user()
    first = await login(users_stub, user.email, user.password)
    other_session = await login(users_stub, user.email, user.password)
    second = await users_stub.RefreshToken(
        users_pb2.RefreshTokenRequest(refresh_token=first.refresh_token)
    )
    error = await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token=first.refresh_token)),
        UNAUTHENTICATED,
    )
    assert "already used" in (error.details() or "")
    # The thief's reuse ended the legitimate holder's newer token too...
    error = await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token=second.refresh_token)),
        UNAUTHENTICATED,
    )
    assert "revoked" in (error.details() or "")
    # ...but not the user's other sign-in.
    assert (
        await users_stub.RefreshToken(
            users_pb2.RefreshTokenRequest(refresh_token=other_session.refresh_token)
        )
    ).access_token


async def test_concurrent_refreshes_with_one_token_succeed_at_most_once(
    users_stub: Stub, make_user: UserFactory
) -> None:
    user = await make_user()
    tokens = await login(users_stub, user.email, user.password)
    request = users_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token)
    results = await asyncio.gather(
        *(users_stub.RefreshToken(request) for _ in range(8)), return_exceptions=True
    )
    succeeded = [r for r in results if isinstance(r, users_pb2.TokenResponse)]
    failed = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(succeeded) == 1
    assert {e.code() for e in failed} == {UNAUTHENTICATED}


async def test_refresh_token_errors(users_stub: Stub) -> None:
    error = await rpc_error(users_stub.RefreshToken(users_pb2.RefreshTokenRequest()), INVALID)
    assert set(field_violations(error)) == {"refresh_token"}
    error = await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token="made-up")),
        UNAUTHENTICATED,
    )
    assert error.details() == "refresh token is invalid"
    await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token="x" * 10_000)),
        UNAUTHENTICATED,
    )


async def test_expired_refresh_token_is_refused(settings: Settings, tmp_path: Path) -> None:
    running = await start_server(
        make_settings(settings.database_url, tmp_path, refresh_token_ttl=1)
    )
    try:
        from support.server import UserFactory as Factory

        user = await Factory(running.app)()
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = users_pb2_grpc.UserServiceStub(channel)
            tokens = await login(stub, user.email, user.password)
            await asyncio.sleep(1.2)
            error = await rpc_error(
                stub.RefreshToken(
                    users_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token)
                ),
                UNAUTHENTICATED,
            )
            assert error.details() == "refresh token has expired"
    finally:
        await stop_server(running)


async def test_logout_revokes_the_refresh_token(users_stub: Stub, make_user: UserFactory) -> None:
    user = await make_user()
    tokens = await login(users_stub, user.email, user.password)
    await users_stub.Logout(
        users_pb2.LogoutRequest(refresh_token=tokens.refresh_token), metadata=user.metadata
    )
    error = await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token)),
        UNAUTHENTICATED,
    )
    assert error.details() == "refresh token has been revoked"
    # Logging out twice is harmless.
    await users_stub.Logout(
        users_pb2.LogoutRequest(refresh_token=tokens.refresh_token), metadata=user.metadata
    )


async def test_logout_errors(users_stub: Stub, make_user: UserFactory) -> None:
    user, other = await make_user(), await make_user()
    others = await login(users_stub, other.email, other.password)
    await rpc_error(
        users_stub.Logout(users_pb2.LogoutRequest(refresh_token=others.refresh_token)),
        UNAUTHENTICATED,
    )
    error = await rpc_error(
        users_stub.Logout(users_pb2.LogoutRequest(), metadata=user.metadata), INVALID
    )
    assert set(field_violations(error)) == {"refresh_token"}
    # Someone else's token: not found, and it keeps working for its owner.
    await rpc_error(
        users_stub.Logout(
            users_pb2.LogoutRequest(refresh_token=others.refresh_token), metadata=user.metadata
        ),
        NOT_FOUND,
    )
    await rpc_error(
        users_stub.Logout(users_pb2.LogoutRequest(refresh_token="unknown"), metadata=user.metadata),
        NOT_FOUND,
    )
    assert (
        await users_stub.RefreshToken(
            users_pb2.RefreshTokenRequest(refresh_token=others.refresh_token)
        )
    ).access_token


# --- GetMe, UpdateMe, ChangePassword -----------------------------------------------------
async def test_get_me_needs_a_token(users_stub: Stub, make_user: UserFactory) -> None:
    user = await make_user()
    me = await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=user.metadata)
    assert (me.id, me.email, me.full_name) == (user.id, user.email, "Test User")
    await rpc_error(users_stub.GetMe(users_pb2.GetMeRequest()), UNAUTHENTICATED)


async def test_update_me_changes_name_and_email(users_stub: Stub, make_user: UserFactory) -> None:
    user = await make_user()
    new_email = unique_email("renamed")
    updated = await users_stub.UpdateMe(
        users_pb2.UpdateMeRequest(
            user=users_pb2.User(full_name="New Name", email=f" {new_email.upper()} "),
            update_mask=mask("full_name", "email"),
            current_password=user.password,
        ),
        metadata=user.metadata,
    )
    assert (updated.full_name, updated.email) == ("New Name", new_email)
    assert updated.update_time.ToDatetime() >= updated.create_time.ToDatetime()
    # The same access token keeps working, and sign-in uses the new email.
    me = await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=user.metadata)
    assert me.email == new_email
    assert (await login(users_stub, new_email, user.password)).access_token


async def test_update_me_with_empty_mask_uses_the_set_fields(
    users_stub: Stub, make_user: UserFactory
) -> None:
    user = await make_user()
    updated = await users_stub.UpdateMe(
        users_pb2.UpdateMeRequest(user=users_pb2.User(full_name="Only Name")),
        metadata=user.metadata,
    )
    assert (updated.full_name, updated.email) == ("Only Name", user.email)
    error = await rpc_error(
        users_stub.UpdateMe(users_pb2.UpdateMeRequest(), metadata=user.metadata), INVALID
    )
    assert set(field_violations(error)) == {"update_mask"}


async def test_update_me_refuses_unknown_and_immutable_paths(
    users_stub: Stub, make_user: UserFactory
) -> None:
    user = await make_user()
    error = await rpc_error(
        users_stub.UpdateMe(
            users_pb2.UpdateMeRequest(
                user=users_pb2.User(is_superuser=True),
                update_mask=mask("is_superuser", "password_hash"),
            ),
            metadata=user.metadata,
        ),
        INVALID,
    )
    assert "cannot be changed with UpdateMe" in (error.details() or "")
    assert "unknown field 'password_hash'" in (error.details() or "")
    assert list(field_violations(error)) == ["update_mask"]
    me = await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=user.metadata)
    assert not me.is_superuser


async def test_update_me_validation_and_duplicates(
    users_stub: Stub, make_user: UserFactory
) -> None:
    user, other = await make_user(), await make_user()
    error = await rpc_error(
        users_stub.UpdateMe(
            users_pb2.UpdateMeRequest(
                user=users_pb2.User(email="bad", full_name="n" * 300),
                update_mask=mask("email", "full_name"),
            ),
            metadata=user.metadata,
        ),
        INVALID,
    )
    assert set(field_violations(error)) == {"user.email", "user.full_name"}
    await rpc_error(
        users_stub.UpdateMe(
            users_pb2.UpdateMeRequest(
                user=users_pb2.User(email=other.email.upper()),
                update_mask=mask("email"),
                current_password=user.password,
            ),
            metadata=user.metadata,
        ),
        EXISTS,
    )


async def test_change_password_revokes_refresh_tokens(
    users_stub: Stub, make_user: UserFactory
) -> None:
    user = await make_user()
    tokens = await login(users_stub, user.email, user.password)
    await users_stub.ChangePassword(
        users_pb2.ChangePasswordRequest(
            current_password=user.password, new_password="a brand new secret"
        ),
        metadata=user.metadata,
    )
    await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token)),
        UNAUTHENTICATED,
    )
    await rpc_error(login(users_stub, user.email, user.password), UNAUTHENTICATED)
    assert (await login(users_stub, user.email, "a brand new secret")).access_token


async def test_change_password_ends_access_tokens_issued_before_it(
    users_stub: Stub, make_user: UserFactory
) -> None:
    user = await make_user()
    elsewhere = await login(users_stub, user.email, user.password)  # another device
    # Tokens carry whole seconds (iat): change the password in a later second.
    await asyncio.sleep(1.05 - time.time() % 1)
    await users_stub.ChangePassword(
        users_pb2.ChangePasswordRequest(
            current_password=user.password, new_password="a brand new secret"
        ),
        metadata=user.metadata,
    )
    for token in (user.token, elsewhere.access_token):
        error = await rpc_error(
            users_stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(token)), UNAUTHENTICATED
        )
        assert "password was changed" in (error.details() or "")
    # Signing in again, even within the second of the change, gives a working token.
    fresh = await login(users_stub, user.email, "a brand new secret")
    me = await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(fresh.access_token))
    assert me.email == user.email


async def test_change_password_errors(users_stub: Stub, make_user: UserFactory) -> None:
    user = await make_user()

    def change(current: str, new: str) -> object:
        return users_stub.ChangePassword(
            users_pb2.ChangePasswordRequest(current_password=current, new_password=new),
            metadata=user.metadata,
        )

    error = await rpc_error(change("wrong one!", "another secret"), INVALID)
    assert field_violations(error) == {"current_password": "is incorrect"}
    error = await rpc_error(change(user.password, "short"), INVALID)
    assert set(field_violations(error)) == {"new_password"}
    error = await rpc_error(change(user.password, "x" * 80), INVALID)
    assert set(field_violations(error)) == {"new_password"}
    error = await rpc_error(change(user.password, user.password), INVALID)
    assert field_violations(error) == {"new_password": "must differ from the current password"}
    await rpc_error(
        users_stub.ChangePassword(
            users_pb2.ChangePasswordRequest(current_password="a", new_password="b")
        ),
        UNAUTHENTICATED,
    )
    assert (await login(users_stub, user.email, user.password)).access_token


# --- CreateUser, GetUser -----------------------------------------------------------------
async def test_superuser_creates_users(users_stub: Stub, make_user: UserFactory) -> None:
    admin = await make_user(superuser=True)
    email = unique_email("created")
    created = await users_stub.CreateUser(
        users_pb2.CreateUserRequest(
            user=users_pb2.User(
                email=email, full_name="Made", is_active=True, is_superuser=True, id=999999
            ),
            password=PASSWORD,
        ),
        metadata=admin.metadata,
    )
    assert created.id != 999999  # ids are assigned, not taken from the request
    assert (created.email, created.is_active, created.is_superuser) == (email, True, True)
    assert (await login(users_stub, email, PASSWORD)).access_token
    inactive = await users_stub.CreateUser(
        users_pb2.CreateUserRequest(
            user=users_pb2.User(email=unique_email(), is_active=False), password=PASSWORD
        ),
        metadata=admin.metadata,
    )
    assert not inactive.is_active
    await rpc_error(login(users_stub, inactive.email, PASSWORD), UNAUTHENTICATED)


async def test_create_user_errors(users_stub: Stub, make_user: UserFactory) -> None:
    admin, plain = await make_user(superuser=True), await make_user()
    request = users_pb2.CreateUserRequest(
        user=users_pb2.User(email=unique_email(), is_active=True), password=PASSWORD
    )
    await rpc_error(users_stub.CreateUser(request, metadata=plain.metadata), DENIED)
    await rpc_error(users_stub.CreateUser(request), UNAUTHENTICATED)
    error = await rpc_error(
        users_stub.CreateUser(
            users_pb2.CreateUserRequest(user=users_pb2.User(email="x"), password="p"),
            metadata=admin.metadata,
        ),
        INVALID,
    )
    assert set(field_violations(error)) == {"user.email", "password"}
    await rpc_error(
        users_stub.CreateUser(
            users_pb2.CreateUserRequest(user=users_pb2.User(email=plain.email), password=PASSWORD),
            metadata=admin.metadata,
        ),
        EXISTS,
    )


async def test_get_user_self_or_superuser(users_stub: Stub, make_user: UserFactory) -> None:
    admin, user, other = await make_user(superuser=True), await make_user(), await make_user()
    own = await users_stub.GetUser(users_pb2.GetUserRequest(id=user.id), metadata=user.metadata)
    assert own.email == user.email
    seen = await users_stub.GetUser(users_pb2.GetUserRequest(id=user.id), metadata=admin.metadata)
    assert seen.email == user.email
    # Another user's id and a missing id look the same to a non-superuser.
    hidden = await rpc_error(
        users_stub.GetUser(users_pb2.GetUserRequest(id=other.id), metadata=user.metadata),
        NOT_FOUND,
    )
    missing = await rpc_error(
        users_stub.GetUser(users_pb2.GetUserRequest(id=2**62), metadata=user.metadata), NOT_FOUND
    )
    assert hidden.details() == f"user {other.id} not found"
    assert missing.details() == f"user {2**62} not found"
    await rpc_error(
        users_stub.GetUser(users_pb2.GetUserRequest(id=2**62), metadata=admin.metadata), NOT_FOUND
    )
    error = await rpc_error(
        users_stub.GetUser(users_pb2.GetUserRequest(id=0), metadata=admin.metadata), INVALID
    )
    assert set(field_violations(error)) == {"id"}


# --- UpdateUser ----------------------------------------------------------------------
async def test_update_user_every_path(users_stub: Stub, make_user: UserFactory) -> None:
    admin, user = await make_user(superuser=True), await make_user()
    # Promotion takes effect at once for the user's existing token.
    await users_stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user=users_pb2.User(id=user.id, is_superuser=True), update_mask=mask("is_superuser")
        ),
        metadata=admin.metadata,
    )
    page = await users_stub.ListUsers(
        users_pb2.ListUsersRequest(page_size=1), metadata=user.metadata
    )
    assert page.total_size >= 1
    email = unique_email("admin-set")
    updated = await users_stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user=users_pb2.User(
                id=user.id, email=email, full_name="Set By Admin", is_active=True, is_superuser=True
            ),
            update_mask=mask("email", "full_name", "is_active", "is_superuser", "password"),
            password="set by the admin",
        ),
        metadata=admin.metadata,
    )
    assert (updated.email, updated.full_name, updated.is_active, updated.is_superuser) == (
        email,
        "Set By Admin",
        True,
        True,
    )
    assert (await login(users_stub, email, "set by the admin")).access_token
    # A password set by an administrator ends the user's sign-ins.
    await rpc_error(
        users_stub.GetMe(users_pb2.GetMeRequest(), metadata=user.metadata), UNAUTHENTICATED
    )


async def test_update_user_only_touches_masked_fields(
    users_stub: Stub, make_user: UserFactory
) -> None:
    admin, user = await make_user(superuser=True), await make_user()
    updated = await users_stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user=users_pb2.User(id=user.id, full_name="Only This"), update_mask=mask("full_name")
        ),
        metadata=admin.metadata,
    )
    # is_active was False in the message but not in the mask: unchanged.
    assert (updated.full_name, updated.is_active, updated.email) == ("Only This", True, user.email)


async def test_deactivation_takes_effect_at_once(users_stub: Stub, make_user: UserFactory) -> None:
    admin, user = await make_user(superuser=True), await make_user()
    tokens = await login(users_stub, user.email, user.password)
    await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=user.metadata)  # now cached
    await users_stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user=users_pb2.User(id=user.id, is_active=False), update_mask=mask("is_active")
        ),
        metadata=admin.metadata,
    )
    error = await rpc_error(
        users_stub.GetMe(users_pb2.GetMeRequest(), metadata=user.metadata), UNAUTHENTICATED
    )
    assert error.details() == "user is inactive or no longer exists"
    await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token)),
        UNAUTHENTICATED,
    )
    await rpc_error(login(users_stub, user.email, user.password), UNAUTHENTICATED)
    # Reactivated: signing in works again, the old refresh token stays revoked.
    await users_stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user=users_pb2.User(id=user.id, is_active=True), update_mask=mask("is_active")
        ),
        metadata=admin.metadata,
    )
    assert (await login(users_stub, user.email, user.password)).access_token
    await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token)),
        UNAUTHENTICATED,
    )


async def test_password_set_by_admin_revokes_refresh_and_access_tokens(
    users_stub: Stub, make_user: UserFactory
) -> None:
    admin, user = await make_user(superuser=True), await make_user()
    tokens = await login(users_stub, user.email, user.password)
    await asyncio.sleep(1.05 - time.time() % 1)  # tokens carry whole seconds (iat)
    await users_stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user=users_pb2.User(id=user.id), update_mask=mask("password"), password="new one 123"
        ),
        metadata=admin.metadata,
    )
    await rpc_error(
        users_stub.RefreshToken(users_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token)),
        UNAUTHENTICATED,
    )
    await rpc_error(login(users_stub, user.email, user.password), UNAUTHENTICATED)
    # The user's access tokens from before end too; the admin's own still works.
    await rpc_error(
        users_stub.GetMe(users_pb2.GetMeRequest(), metadata=bearer(tokens.access_token)),
        UNAUTHENTICATED,
    )
    assert (await users_stub.GetMe(users_pb2.GetMeRequest(), metadata=admin.metadata)).id


async def test_update_user_errors(users_stub: Stub, make_user: UserFactory) -> None:
    admin, user, other = await make_user(superuser=True), await make_user(), await make_user()

    def update(
        target: users_pb2.User, paths: tuple[str, ...], password: str = "", by: object = admin
    ) -> object:
        return users_stub.UpdateUser(
            users_pb2.UpdateUserRequest(user=target, update_mask=mask(*paths), password=password),
            metadata=by.metadata,  # type: ignore[attr-defined]
        )

    await rpc_error(update(users_pb2.User(id=other.id), ("full_name",), by=user), DENIED)
    error = await rpc_error(update(users_pb2.User(id=user.id), ()), INVALID)
    assert set(field_violations(error)) == {"update_mask"}
    error = await rpc_error(update(users_pb2.User(), ("full_name",)), INVALID)
    assert set(field_violations(error)) == {"user.id"}
    error = await rpc_error(update(users_pb2.User(id=user.id), ("id", "nickname")), INVALID)
    assert "'id' cannot be changed with UpdateUser" in (error.details() or "")
    assert "unknown field 'nickname'" in (error.details() or "")
    error = await rpc_error(update(users_pb2.User(id=user.id), ("password",), "tiny"), INVALID)
    assert set(field_violations(error)) == {"password"}
    error = await rpc_error(update(users_pb2.User(id=user.id, email="nope"), ("email",)), INVALID)
    assert set(field_violations(error)) == {"user.email"}
    await rpc_error(update(users_pb2.User(id=2**62, full_name="x"), ("full_name",)), NOT_FOUND)
    await rpc_error(update(users_pb2.User(id=user.id, email=other.email), ("email",)), EXISTS)
    # A superuser cannot lock themselves out.
    await rpc_error(
        update(users_pb2.User(id=admin.id, is_active=False), ("is_active",)),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    await rpc_error(
        update(users_pb2.User(id=admin.id, is_superuser=False), ("is_superuser",)),
        grpc.StatusCode.FAILED_PRECONDITION,
    )


async def test_demotion_takes_effect_at_once(users_stub: Stub, make_user: UserFactory) -> None:
    admin, other_admin = await make_user(superuser=True), await make_user(superuser=True)
    request = users_pb2.ListUsersRequest(page_size=1)
    await users_stub.ListUsers(request, metadata=other_admin.metadata)
    await users_stub.UpdateUser(
        users_pb2.UpdateUserRequest(
            user=users_pb2.User(id=other_admin.id, is_superuser=False),
            update_mask=mask("is_superuser"),
        ),
        metadata=admin.metadata,
    )
    await rpc_error(users_stub.ListUsers(request, metadata=other_admin.metadata), DENIED)


# --- who may call what -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "request_message"),
    [
        ("CreateUser", users_pb2.CreateUserRequest()),
        ("ListUsers", users_pb2.ListUsersRequest()),
        ("UpdateUser", users_pb2.UpdateUserRequest()),
    ],
)
async def test_admin_methods_refuse_ordinary_users(
    users_stub: Stub, make_user: UserFactory, method: str, request_message: object
) -> None:
    user = await make_user()
    error = await rpc_error(
        getattr(users_stub, method)(request_message, metadata=user.metadata), DENIED
    )
    # An inspector: neither a superuser nor their department's admin (or supervisor).
    assert (
        error.details()
        == {
            "CreateUser": "only superusers and department admins manage users",
            "UpdateUser": "only superusers and department admins manage users",
            "ListUsers": "this method is for superusers and department supervisors or admins",
        }[method]
    )


@pytest.mark.parametrize(
    ("method", "request_message"),
    [
        ("GetMe", users_pb2.GetMeRequest()),
        ("UpdateMe", users_pb2.UpdateMeRequest()),
        ("ChangePassword", users_pb2.ChangePasswordRequest()),
        ("Logout", users_pb2.LogoutRequest()),
        ("GetUser", users_pb2.GetUserRequest(id=1)),
        ("ListUsers", users_pb2.ListUsersRequest()),
        ("CreateUser", users_pb2.CreateUserRequest()),
        ("UpdateUser", users_pb2.UpdateUserRequest()),
    ],
)
async def test_service_principals_cannot_use_user_methods(
    users_stub: Stub, make_user: UserFactory, method: str, request_message: object
) -> None:
    """A service with items:read reads items and nothing else."""
    metadata = make_user.service_token("reports", frozenset({"items:read"}))
    await rpc_error(getattr(users_stub, method)(request_message, metadata=metadata), DENIED)


async def test_service_scope_is_checked_per_method(
    items_stub: items_pb2_grpc.ItemServiceStub, make_user: UserFactory
) -> None:
    no_scope = make_user.service_token("nosy", frozenset())
    error = await rpc_error(
        items_stub.ListItems(items_pb2.ListItemsRequest(), metadata=no_scope), DENIED
    )
    assert error.details() == "this method needs the 'items:read' scope"
    reader = make_user.service_token("reports", frozenset({"items:read"}))
    await rpc_error(items_stub.CreateItem(items_pb2.CreateItemRequest(), metadata=reader), DENIED)
    code = grpc.StatusCode.OK
    try:
        await items_stub.ListItems(items_pb2.ListItemsRequest(), metadata=reader)
    except grpc.aio.AioRpcError as error:  # the item service may not be built yet here
        code = error.code()
    assert code not in (DENIED, UNAUTHENTICATED)


async def test_deactivation_reaches_other_processes_within_the_cache_ttl(
    settings: Settings, tmp_path: Path, make_user: UserFactory, server: RunningServer
) -> None:
    """Another worker (a second server on the same database) has the user cached; it
    stops accepting the token within principal_cache_ttl."""
    ttl = 1.0
    other = await start_server(
        make_settings(settings.database_url, tmp_path, principal_cache_ttl=ttl)
    )
    try:
        admin, user = await make_user(superuser=True), await make_user()
        async with grpc.aio.insecure_channel(other.address) as channel:
            other_stub = users_pb2_grpc.UserServiceStub(channel)
            await other_stub.GetMe(users_pb2.GetMeRequest(), metadata=user.metadata)
            async with grpc.aio.insecure_channel(server.address) as main_channel:
                await users_pb2_grpc.UserServiceStub(main_channel).UpdateUser(
                    users_pb2.UpdateUserRequest(
                        user=users_pb2.User(id=user.id, is_active=False),
                        update_mask=mask("is_active"),
                    ),
                    metadata=admin.metadata,
                )
            loop = asyncio.get_running_loop()
            deactivated_at = loop.time()
            code = grpc.StatusCode.OK
            while code == grpc.StatusCode.OK:
                assert loop.time() - deactivated_at < ttl + 0.5
                try:
                    await other_stub.GetMe(users_pb2.GetMeRequest(), metadata=user.metadata)
                except grpc.aio.AioRpcError as error:
                    code = error.code()
                await asyncio.sleep(0.05)
            assert code == UNAUTHENTICATED
    finally:
        await stop_server(other)


def test_every_user_service_method_has_an_access_rule() -> None:
    from opengovfood.rpc import policy

    service = users_pb2.DESCRIPTOR.services_by_name["UserService"]
    for method in service.methods:
        assert policy.rule_for(f"/{service.full_name}/{method.name}") is not None, method.name


async def test_no_password_hash_or_token_reaches_a_log_line(
    users_stub: Stub, make_user: UserFactory, caplog: pytest.LogCaptureFixture
) -> None:
    email, password = unique_email("logs"), "a secret for logs 1"
    with caplog.at_level("DEBUG"):
        await users_stub.Register(users_pb2.RegisterRequest(email=email, password=password))
        await rpc_error(login(users_stub, email, "wrong secret 99"), UNAUTHENTICATED)
        tokens = await login(users_stub, email, password)
        second = await users_stub.RefreshToken(
            users_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token)
        )
        await rpc_error(
            users_stub.RefreshToken(
                users_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token)
            ),
            UNAUTHENTICATED,
        )
        third = await login(users_stub, email, password)  # the reuse ended the first sign-in
        await users_stub.ChangePassword(
            users_pb2.ChangePasswordRequest(
                current_password=password, new_password="another secret 2"
            ),
            metadata=bearer(third.access_token),
        )
    assert caplog.records  # the access log and the user service did log
    secrets = [
        password,
        "wrong secret 99",
        "another secret 2",
        tokens.access_token,
        tokens.refresh_token,
        second.refresh_token,
        third.access_token,
        third.refresh_token,
        "$2b$",
    ]
    for record in caplog.records:
        if record.name.startswith(QUIETED_LIBRARIES):
            continue  # held at WARNING by configure_logging (checked below)
        text = record.getMessage() + " " + " ".join(map(str, record.__dict__.values()))
        for secret in secrets:
            assert secret not in text, (record.name, record.getMessage())


QUIETED_LIBRARIES = ("aiosqlite", "sqlalchemy")


def test_libraries_that_log_sql_parameters_are_held_at_warning() -> None:
    import logging

    from opengovfood.logs import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in QUIETED_LIBRARIES}
    try:
        configure_logging("json", "DEBUG")
        for name in QUIETED_LIBRARIES:
            assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
