"""Departments: superusers create and list them; members read their own.

    department = await service.create_department(principal, "Cook County EH")
    department = await service.get_department(principal, department.id)
    page = await service.list_departments(principal, page_size=20, filter='name:"county"')

Another department answers NOT_FOUND to a member, like one that does not exist.
"""

from __future__ import annotations

import unicodedata
from typing import Protocol

from opengovfood.domain.departments import NAME_MAX, DepartmentNameTaken, DepartmentRecord
from opengovfood.domain.filters import FilterSpec, string_field
from opengovfood.domain.listing import ListQuery, ListSpec, Page
from opengovfood.domain.pagination import OrderSpec, PageTokens, SortField
from opengovfood.domain.principal import Principal
from opengovfood.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from opengovfood.reasons import Reason

_ID = SortField("id", "integer", "id")
DEPARTMENTS = ListSpec(
    "departments",
    FilterSpec([string_field("name")]),
    OrderSpec([_ID, SortField("name", "text", "name")], tiebreaker=_ID, default="id"),
)


class DepartmentRepository(Protocol):
    async def add(self, name: str) -> DepartmentRecord: ...
    async def get(self, department_id: int) -> DepartmentRecord | None: ...
    async def page(self, query: ListQuery) -> list[DepartmentRecord]: ...
    async def count(self, query: ListQuery) -> int: ...


def _superuser(principal: Principal) -> None:
    if not principal.is_superuser:
        raise PermissionDenied(
            "this method is for superusers only", reason=Reason.SUPERUSER_REQUIRED
        )


def check_name(name: str) -> str:
    clean = name.strip()
    if not clean:
        raise InvalidArgument.field("department.name", "is required (1 to 100 characters)")
    if len(clean) > NAME_MAX:
        raise InvalidArgument.field(
            "department.name", f"must be at most {NAME_MAX} characters (got {len(clean)})"
        )
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in clean):
        raise InvalidArgument.field("department.name", "must not contain control characters")
    return clean


class DepartmentService:
    def __init__(self, departments: DepartmentRepository, page_tokens: PageTokens) -> None:
        self._departments = departments
        self._page_tokens = page_tokens

    async def create_department(self, principal: Principal, name: str) -> DepartmentRecord:
        _superuser(principal)
        clean = check_name(name)
        try:
            return await self._departments.add(clean)
        except DepartmentNameTaken:
            raise AlreadyExists(
                "a department with this name already exists", reason=Reason.DEPARTMENT_NAME_TAKEN
            ) from None

    async def get_department(self, principal: Principal, department_id: int) -> DepartmentRecord:
        if department_id <= 0:
            raise InvalidArgument.field("id", "must be a positive department id")
        found = None
        if principal.is_superuser or principal.department_id == department_id:
            found = await self._departments.get(department_id)
        if found is None:
            raise NotFound(f"department {department_id} not found")
        return found

    async def list_departments(
        self, principal: Principal, *, page_size: int = 0, page_token: str = "", filter: str = ""
    ) -> Page[DepartmentRecord]:
        _superuser(principal)
        query = DEPARTMENTS.query(
            self._page_tokens,
            principal.view_key,
            page_size=page_size,
            page_token=page_token,
            filter=filter,
        )
        rows = await self._departments.page(query)
        total = query.known_total(len(rows))
        if total is None:
            total = await self._departments.count(query)
        return DEPARTMENTS.page(self._page_tokens, query, rows, total)
