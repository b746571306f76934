"""Departments: the boundary nothing crosses (see domain/scopes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

NAME_MAX = 100
# The department the 0008 migration put every existing user in, and where users made
# without one (self-registration, `users create` without --department) go.
DEFAULT_DEPARTMENT_ID = 1


@dataclass(frozen=True, slots=True)
class DepartmentRecord:
    id: int
    name: str
    create_time: datetime


class DepartmentNameTaken(Exception):
    """Another department has this name (names are unique)."""
