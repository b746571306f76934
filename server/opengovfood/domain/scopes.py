"""Which rows a call may touch, decided by the services from the Principal and applied
by the repositories in every statement (departments will add theirs here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    """`owner_id`: only that user's rows; None: every owner's."""

    owner_id: int | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    @classmethod
    def owned_by(cls, user_id: int) -> Scope:
        return cls(user_id)
