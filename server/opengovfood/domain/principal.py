"""Who is calling: a user (with their department and role) or a service with scopes."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Literal

# Lets a service principal read items (GetItem, ListItems, WatchItems): every item, or
# with a `department:<id>` scope as well, that department's only.
SCOPE_ITEMS_READ = "items:read"
KNOWN_SCOPES = frozenset({SCOPE_ITEMS_READ})
# `department:<id>`: confines a service principal to one department.
DEPARTMENT_SCOPE = re.compile(r"department:([1-9][0-9]{0,17})")


def is_known_scope(scope: str) -> bool:
    return scope in KNOWN_SCOPES or DEPARTMENT_SCOPE.fullmatch(scope) is not None


class Role(enum.StrEnum):
    """A user's role within their department (stored values; each includes the one
    before it: a supervisor is also an inspector, an admin also a supervisor)."""

    INSPECTOR = "inspector"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


ROLES = {role.value: role for role in Role}


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in user or a service with scopes. Services take it as an argument.

    `department_id`: the user's department (None for a service principal without a
    `department:<id>` scope: a platform service). Superusers stand above departments."""

    kind: Literal["user", "service"]
    user_id: int | None
    name: str
    is_superuser: bool = False
    scopes: frozenset[str] = field(default_factory=frozenset)
    department_id: int | None = None
    role: Role = Role.INSPECTOR

    @classmethod
    def service(cls, name: str, scopes: frozenset[str]) -> Principal:
        """A service principal; a `department:<id>` scope confines it to that department."""
        department = None
        for scope in scopes:
            if match := DEPARTMENT_SCOPE.fullmatch(scope):
                department = int(match.group(1))
        return cls("service", None, name, scopes=scopes, department_id=department)

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_supervisor(self) -> bool:
        """Sees and updates the department's work (supervisors and department admins)."""
        return self.role is not Role.INSPECTOR

    @property
    def is_department_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def key(self) -> str:
        """Stable identity for rate limits, idempotency keys and page tokens."""
        return f"user:{self.user_id}" if self.kind == "user" else f"service:{self.name}"

    @property
    def view_key(self) -> str:
        """`key` plus what decides what the caller sees: page tokens are bound to it, so
        a token minted before a change of role or department is refused after it."""
        if self.is_superuser:
            return f"{self.key}/all"
        return f"{self.key}/d{self.department_id or 0}/{self.role.value}"


# The server's own command line (`users create`, `db seed`): acts as a superuser.
OPERATOR = Principal(kind="user", user_id=None, name="operator", is_superuser=True)
