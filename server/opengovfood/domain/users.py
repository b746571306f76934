"""Users and refresh tokens as the services see them (never a password hash, except
in the `Credentials` a sign-in checks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from opengovfood.domain.departments import DEFAULT_DEPARTMENT_ID
from opengovfood.domain.principal import Role


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as callers see it: never a password hash."""

    id: int
    email: str
    full_name: str
    is_active: bool
    is_superuser: bool
    create_time: datetime
    update_time: datetime
    department_id: int = DEFAULT_DEPARTMENT_ID  # superusers too, though above it
    role: Role = Role.INSPECTOR


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a sign-in or a password change checks."""

    user: UserRecord
    hashed_password: str


@dataclass(frozen=True, slots=True)
class AuthState:
    """What authenticating a user's access token needs to know."""

    email: str
    is_active: bool
    is_superuser: bool
    sessions_valid_after: datetime | None  # tokens issued before it are refused
    session_live: bool = True  # the sign-in the token names is not revoked (session_state)
    department_id: int = DEFAULT_DEPARTMENT_ID
    role: Role = Role.INSPECTOR


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str  # normalised
    hashed_password: str
    full_name: str
    is_active: bool
    is_superuser: bool
    department_id: int = DEFAULT_DEPARTMENT_ID
    role: Role = Role.INSPECTOR


@dataclass(frozen=True, slots=True)
class UserChanges:
    """The fields an update sets; None leaves a field as it is."""

    email: str | None = None
    full_name: str | None = None
    is_active: bool | None = None
    is_superuser: bool | None = None
    hashed_password: str | None = None
    sessions_valid_after: datetime | None = None
    department_id: int | None = None
    role: Role | None = None


class DepartmentMissing(Exception):
    """The department a user was to join does not exist."""


class EmailTaken(Exception):
    """Another user has this email (emails are unique, case-insensitively)."""


@dataclass(frozen=True, slots=True)
class TokenState:
    """A stored refresh token (by hash)."""

    id: int
    user_id: int
    family_id: str
    expire_time: datetime
    used_time: datetime | None
    revoked_time: datetime | None


@dataclass(frozen=True, slots=True)
class Rotation:
    """What presenting a refresh token found: its state (None: unknown token) and
    whether it was live and is now used, replaced by the new one."""

    state: TokenState | None
    rotated: bool
    user_inactive: bool = False  # live, but its user is inactive or gone: nothing changed
