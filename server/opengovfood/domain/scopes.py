"""Which rows a call may touch: the one place the department boundary is decided.

The services ask these functions for a `Scope` given the calling `Principal`; every
repository applies the scope to every statement it runs (`repositories/scoping.py`
turns it into the WHERE conditions), and the in-process checks (WatchItems, fakes) use
`Scope.admits`. Nothing else decides who sees what.

| principal                          | reads                         | updates              |
|------------------------------------|-------------------------------|----------------------|
| superuser                          | everything                    | everything           |
| supervisor / department admin      | their department's rows       | the same             |
| inspector                          | their own rows in their dept. | the same             |
| service with `items:read`          | everything, or its department | nothing              |

Establishments are the department's shared register: every member reads them
(`department_read_scope`); updating follows the table. Deleting stays with the owner
(within their department) and superusers. A row of another department is simply not
within the scope, so it answers NOT_FOUND.
"""

from __future__ import annotations

from dataclasses import dataclass

from opengovfood.domain.principal import SCOPE_ITEMS_READ, Principal
from opengovfood.errors import PermissionDenied
from opengovfood.reasons import Reason


@dataclass(frozen=True, slots=True)
class Scope:
    """`owner_id`: only that user's rows; `department_id`: only that department's rows;
    None: no condition on it (both None: every row)."""

    owner_id: int | None = None
    department_id: int | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(None, None)

    @classmethod
    def owned_by(cls, user_id: int, department_id: int | None = None) -> Scope:
        return cls(user_id, department_id)

    @classmethod
    def department(cls, department_id: int) -> Scope:
        return cls(None, department_id)

    @property
    def shape(self) -> tuple[bool, bool]:
        """Which conditions apply: statements are cached per shape, values bound."""
        return (self.owner_id is not None, self.department_id is not None)

    def admits(self, owner_id: int, department_id: int) -> bool:
        """The same rule in memory (a watched event, a fake repository)."""
        return (self.owner_id is None or owner_id == self.owner_id) and (
            self.department_id is None or department_id == self.department_id
        )


def _user_scope(principal: Principal, department_wide: bool) -> Scope:
    if principal.is_superuser or principal.user_id is None:
        return Scope.everything()
    if department_wide and principal.is_supervisor and principal.department_id is not None:
        return Scope.department(principal.department_id)
    return Scope.owned_by(principal.user_id, principal.department_id)


def read_scope(principal: Principal) -> Scope:
    """What the caller may read (items, analyses, establishments' inspections).
    A service principal needs `items:read`; PERMISSION_DENIED without it."""
    if principal.is_service:
        if not principal.has_scope(SCOPE_ITEMS_READ):
            raise PermissionDenied(
                f"this method needs the '{SCOPE_ITEMS_READ}' scope", reason=Reason.SCOPE_REQUIRED
            )
        if principal.department_id is not None:
            return Scope.department(principal.department_id)
        return Scope.everything()
    return _user_scope(principal, department_wide=True)


def department_read_scope(principal: Principal) -> Scope:
    """What the caller may read of the department's shared rows (establishments): the
    whole department for every member, inspectors included."""
    if principal.is_service or principal.is_superuser or principal.user_id is None:
        return read_scope(principal)
    if principal.department_id is None:
        return Scope.owned_by(principal.user_id)
    return Scope.department(principal.department_id)


def user_only(principal: Principal, what: str = "change items") -> None:
    """Service principals may read at most; writes are for signed-in users."""
    if principal.is_service or principal.user_id is None:
        raise PermissionDenied(
            f"service principals may not {what}", reason=Reason.PRINCIPAL_NOT_ALLOWED
        )


def update_scope(principal: Principal, what: str = "change items") -> Scope:
    """What the caller may change (supervisors: the department's items)."""
    user_only(principal, what)
    return _user_scope(principal, department_wide=True)


def delete_scope(principal: Principal, what: str = "change items") -> Scope:
    """What the caller may delete: their own rows (superusers: any)."""
    user_only(principal, what)
    return _user_scope(principal, department_wide=False)


def may_reassign(principal: Principal) -> bool:
    """Whether the caller may give an item to another member (`owner_id` in the mask)."""
    return principal.is_superuser or (principal.is_supervisor and not principal.is_service)


def may_manage_users(principal: Principal, department_id: int | None) -> bool:
    """Whether the caller may create or change the users of `department_id`."""
    if principal.is_superuser:
        return True
    return (
        not principal.is_service
        and principal.is_department_admin
        and department_id is not None
        and department_id == principal.department_id
    )


def may_see_users_of(principal: Principal, department_id: int | None) -> bool:
    """GetUser / ListUsers beyond oneself: superusers, and a department's supervisors
    and admins for its members (whom a supervisor reassigns work to)."""
    if principal.is_superuser:
        return True
    return (
        not principal.is_service
        and principal.is_supervisor
        and department_id is not None
        and department_id == principal.department_id
    )
