"""UserService's rules over in-memory repositories: accounts, sign-in, refresh-token
rotation, administrators' limits, ListUsers."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.repositories import InMemoryRefreshTokens, InMemoryUsers
from opengovfood.config import Settings
from opengovfood.domain.pagination import PAGE_TOKEN_KEY_LABEL, PageTokens
from opengovfood.domain.principal import OPERATOR, Principal
from opengovfood.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from opengovfood.services.authn import Authenticator
from opengovfood.services.passwords import PasswordHasher
from opengovfood.services.rate_limit import RateLimits, make_buckets
from opengovfood.services.tokens import TokenService
from opengovfood.services.users import LOGIN_FAILED, UserInput, UserService

PASSWORD = "correct horse 1"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        secret_key="unit-test-secret-key-that-is-long-enough-0123",  # type: ignore[arg-type]
        secret_key_file=tmp_path / "secret",
        bcrypt_rounds=4,
        login_rate_per_minute=10_000,
        login_burst=10_000,
    )


@pytest.fixture
def tokens() -> InMemoryRefreshTokens:
    return InMemoryRefreshTokens()


@pytest.fixture
def users(tokens: InMemoryRefreshTokens) -> InMemoryUsers:
    repository = InMemoryUsers(tokens)
    tokens.users = repository
    return repository


@pytest.fixture
async def service(settings: Settings, users: InMemoryUsers, tokens: InMemoryRefreshTokens):  # type: ignore[no-untyped-def]
    passwords = PasswordHasher(rounds=4)
    token_service = TokenService(settings)
    limits = RateLimits(make_buckets(settings), settings)
    authenticator = Authenticator(token_service, users)
    page_tokens = PageTokens(token_service.derive_key(PAGE_TOKEN_KEY_LABEL))
    yield UserService(
        settings, users, tokens, passwords, token_service, authenticator, limits, page_tokens
    )
    passwords.close()
    await limits.close()


def caller(user_id: int, superuser: bool = False) -> Principal:
    return Principal(kind="user", user_id=user_id, name=f"u{user_id}", is_superuser=superuser)


async def test_register_normalises_and_refuses_duplicates(service: UserService) -> None:
    user = await service.register("  Ana@Example.ORG ", PASSWORD, "Ana", "10.0.0.1")
    assert user.email == "ana@example.org"
    assert user.is_active
    assert not user.is_superuser
    with pytest.raises(AlreadyExists):
        await service.register("ANA@example.org", PASSWORD, "Ana again", "10.0.0.1")
    with pytest.raises(InvalidArgument) as error:
        await service.register("not an email", "short", "x" * 300, "10.0.0.1")
    assert {v.field for v in error.value.violations} == {"email", "password", "full_name"}


async def test_login_answers_one_message_for_every_failure(service: UserService) -> None:
    ana = await service.register("ana@example.org", PASSWORD, "Ana", "c")
    pair = await service.login("ANA@example.org", PASSWORD, "c")
    assert pair.access_token
    assert pair.refresh_token
    assert pair.expires_in > 0
    for email, password in (("nobody@example.org", PASSWORD), ("ana@example.org", "wrong pass")):
        with pytest.raises(Unauthenticated, match=LOGIN_FAILED):
            await service.login(email, password, "c")
    admin = caller(99, superuser=True)
    await service.update_user(admin, UserInput(id=ana.id, is_active=False), ["is_active"], "")
    with pytest.raises(Unauthenticated, match=LOGIN_FAILED):
        await service.login("ana@example.org", PASSWORD, "c")


async def test_refresh_tokens_rotate_and_a_reused_one_ends_the_sign_in(
    service: UserService,
) -> None:
    await service.register("ana@example.org", PASSWORD, "Ana", "c")
    first = await service.login("ana@example.org", PASSWORD, "c")
    second = await service.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(Unauthenticated, match="already used"):
        await service.refresh(first.refresh_token)
    with pytest.raises(Unauthenticated, match="revoked"):
        await service.refresh(second.refresh_token)  # the whole family went
    with pytest.raises(Unauthenticated, match="invalid"):
        await service.refresh("never issued")


async def test_logout_ends_only_the_callers_own_sign_in(service: UserService) -> None:
    ana = await service.register("ana@example.org", PASSWORD, "Ana", "c")
    ben = await service.register("ben@example.org", PASSWORD, "Ben", "c")
    pair = await service.login("ana@example.org", PASSWORD, "c")
    with pytest.raises(NotFound):
        await service.logout(caller(ben.id), pair.refresh_token)
    await service.logout(caller(ana.id), pair.refresh_token)
    with pytest.raises(Unauthenticated, match="revoked"):
        await service.refresh(pair.refresh_token)


async def test_password_change_checks_the_current_one_and_revokes_tokens(
    service: UserService,
) -> None:
    ana = await service.register("ana@example.org", PASSWORD, "Ana", "c")
    pair = await service.login("ana@example.org", PASSWORD, "c")
    with pytest.raises(InvalidArgument, match="current_password"):
        await service.change_password(caller(ana.id), "wrong pass", "another passphrase", "c")
    with pytest.raises(InvalidArgument, match="must differ"):
        await service.change_password(caller(ana.id), PASSWORD, PASSWORD, "c")
    await service.change_password(caller(ana.id), PASSWORD, "another passphrase", "c")
    with pytest.raises(Unauthenticated):
        await service.refresh(pair.refresh_token)
    await service.login("ana@example.org", "another passphrase", "c")


async def test_administrators_cannot_lock_themselves_out(service: UserService) -> None:
    admin = await service.create_user(
        OPERATOR, UserInput(email="root@example.org", is_active=True, is_superuser=True), PASSWORD
    )
    me = caller(admin.id, superuser=True)
    with pytest.raises(FailedPrecondition):
        await service.update_user(me, UserInput(id=admin.id, is_active=False), ["is_active"], "")
    with pytest.raises(FailedPrecondition):
        await service.update_user(
            me, UserInput(id=admin.id, is_superuser=False), ["is_superuser"], ""
        )


async def test_get_user_hides_other_accounts(service: UserService) -> None:
    ana = await service.register("ana@example.org", PASSWORD, "Ana", "c")
    ben = await service.register("ben@example.org", PASSWORD, "Ben", "c")
    with pytest.raises(NotFound):
        await service.get_user(caller(ben.id), ana.id)
    assert (await service.get_user(caller(ana.id), ana.id)).email == "ana@example.org"
    assert (await service.get_user(caller(ben.id, superuser=True), ana.id)).id == ana.id


async def test_update_me_refuses_other_paths_and_taken_emails(service: UserService) -> None:
    ana = await service.register("ana@example.org", PASSWORD, "Ana", "c")
    await service.register("ben@example.org", PASSWORD, "Ben", "c")
    with pytest.raises(InvalidArgument, match="cannot be changed with UpdateMe"):
        await service.update_me(caller(ana.id), UserInput(is_superuser=True), ["is_superuser"])
    taken = UserInput(email="BEN@example.org")
    # Without the password the answer says nothing about whether the email is taken.
    with pytest.raises(InvalidArgument, match="current_password: is required"):
        await service.update_me(caller(ana.id), taken, ["email"])
    with pytest.raises(InvalidArgument, match="current_password: is incorrect"):
        await service.update_me(caller(ana.id), taken, ["email"], "not the password 1", "c")
    with pytest.raises(AlreadyExists):
        await service.update_me(caller(ana.id), taken, ["email"], PASSWORD, "c")
    renamed = await service.update_me(caller(ana.id), UserInput(full_name="Ana B."), [])
    assert renamed.full_name == "Ana B."


async def test_list_users_filters_pages_and_refuses_implicit_and(service: UserService) -> None:
    admin = caller(99, superuser=True)
    for name in ("ana", "ben", "cy"):
        await service.register(f"{name}@example.org", PASSWORD, name.title(), "c")
    page = await service.list_users(admin, page_size=2)
    assert [u.email for u in page.items] == ["ana@example.org", "ben@example.org"]
    assert page.total_size == 3
    assert page.next_page_token
    rest = await service.list_users(admin, page_size=2, page_token=page.next_page_token)
    assert [u.email for u in rest.items] == ["cy@example.org"]
    assert not rest.next_page_token
    found = await service.list_users(admin, filter='full_name:"BE" OR email = CY@EXAMPLE.ORG')
    assert [u.email for u in found.items] == ["ben@example.org", "cy@example.org"]
    with pytest.raises(InvalidArgument, match="expected AND or OR"):
        await service.list_users(admin, filter="is_active = true is_superuser = false")
    with pytest.raises(PermissionDenied):
        await service.list_users(caller(1))
