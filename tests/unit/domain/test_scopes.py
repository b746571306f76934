"""The department boundary's one rule set (domain/scopes.py): who reads, updates,
deletes, reassigns and manages users, for every kind of principal."""

from __future__ import annotations

import pytest

from opengovfood.domain.principal import SCOPE_ITEMS_READ, Principal, Role
from opengovfood.domain.scopes import (
    Scope,
    delete_scope,
    may_manage_users,
    may_reassign,
    may_see_users_of,
    read_scope,
    update_scope,
)
from opengovfood.errors import PermissionDenied


def user(user_id: int, department: int, role: Role = Role.INSPECTOR, **kw: bool) -> Principal:
    return Principal("user", user_id, f"u{user_id}", department_id=department, role=role, **kw)


INSPECTOR = user(1, 10)
SUPERVISOR = user(2, 10, Role.SUPERVISOR)
ADMIN = user(3, 10, Role.ADMIN)
ROOT = user(4, 10, is_superuser=True)
PLATFORM = Principal.service("platform", frozenset({SCOPE_ITEMS_READ}))
COUNTY = Principal.service("county", frozenset({SCOPE_ITEMS_READ, "department:20"}))
NO_SCOPE = Principal.service("bare", frozenset())


@pytest.mark.parametrize(
    ("principal", "read", "update", "delete"),
    [
        (INSPECTOR, Scope(1, 10), Scope(1, 10), Scope(1, 10)),
        (SUPERVISOR, Scope(None, 10), Scope(None, 10), Scope(2, 10)),
        (ADMIN, Scope(None, 10), Scope(None, 10), Scope(3, 10)),
        (ROOT, Scope(), Scope(), Scope()),
    ],
)
def test_user_scopes(principal: Principal, read: Scope, update: Scope, delete: Scope) -> None:
    assert read_scope(principal) == read
    assert update_scope(principal) == update
    assert delete_scope(principal) == delete


def test_services_read_everything_or_their_department_and_write_nothing() -> None:
    assert read_scope(PLATFORM) == Scope.everything()
    assert read_scope(COUNTY) == Scope.department(20)
    with pytest.raises(PermissionDenied):
        read_scope(NO_SCOPE)
    for service in (PLATFORM, COUNTY):
        with pytest.raises(PermissionDenied):
            update_scope(service)
        with pytest.raises(PermissionDenied):
            delete_scope(service)
        assert not may_reassign(service)


def test_admits_is_the_same_rule_in_memory() -> None:
    assert Scope(1, 10).admits(1, 10)
    assert not Scope(1, 10).admits(1, 11)  # own item left behind in another department
    assert not Scope(1, 10).admits(2, 10)
    assert Scope.department(10).admits(2, 10)
    assert not Scope.department(10).admits(2, 11)
    assert Scope.everything().admits(5, 99)
    assert Scope(1, 10).shape == (True, True)
    assert Scope.department(3).shape == (False, True)


def test_who_reassigns_and_manages_users() -> None:
    assert not may_reassign(INSPECTOR)
    assert may_reassign(SUPERVISOR)
    assert may_reassign(ADMIN)
    assert may_reassign(ROOT)
    assert may_manage_users(ADMIN, 10)
    assert not may_manage_users(ADMIN, 11)
    assert not may_manage_users(SUPERVISOR, 10)
    assert not may_manage_users(INSPECTOR, 10)
    assert may_manage_users(ROOT, 11)
    assert may_see_users_of(SUPERVISOR, 10)
    assert not may_see_users_of(SUPERVISOR, 11)
    assert not may_see_users_of(INSPECTOR, 10)


def test_page_tokens_bind_to_what_the_caller_sees() -> None:
    assert INSPECTOR.view_key != user(1, 10, Role.SUPERVISOR).view_key
    assert INSPECTOR.view_key != user(1, 11).view_key
    assert INSPECTOR.key == user(1, 11).key  # rate limits and idempotency keys stay put
