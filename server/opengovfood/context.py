"""Per-RPC context: values the interceptors set and the layers below read.

grpc.aio runs each RPC in its own task, so context variables set by an
interceptor are visible to the servicer and everything it awaits, without
passing metadata around.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal

from opengovfood.errors import PermissionDenied, Unauthenticated
from opengovfood.reasons import Reason


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in user or a service with scopes."""

    kind: Literal["user", "service"]
    user_id: int | None
    name: str
    is_superuser: bool = False
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def key(self) -> str:
        """Stable identity for rate limits and idempotency keys."""
        return f"user:{self.user_id}" if self.kind == "user" else f"service:{self.name}"


request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
principal_var: ContextVar[Principal | None] = ContextVar("principal", default=None)
peer_var: ContextVar[str] = ContextVar("peer", default="")
trace_id_var: ContextVar[str] = ContextVar("trace_id", default="")  # set when tracing is on


def current_principal() -> Principal:
    """The authenticated caller; the auth interceptor guarantees it on non-public methods."""
    principal = principal_var.get()
    if principal is None:
        raise Unauthenticated("authentication required", reason=Reason.CREDENTIALS_MISSING)
    return principal


def current_user_id() -> int:
    """The calling user's id; services calling user-only methods are refused."""
    principal = current_principal()
    if principal.user_id is None:
        raise PermissionDenied(
            "this method is for signed-in users, not service principals",
            reason=Reason.PRINCIPAL_NOT_ALLOWED,
        )
    return principal.user_id
