"""Per-RPC context: values the interceptors set and the servicers and logs read.

grpc.aio runs each RPC in its own task, so context variables set by an
interceptor are visible to the servicer and everything it awaits, without
passing metadata around.
"""

from __future__ import annotations

from contextvars import ContextVar

from opengovfood.domain.principal import Principal
from opengovfood.errors import Unauthenticated
from opengovfood.reasons import Reason

__all__ = ["Principal", "current_principal"]

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
principal_var: ContextVar[Principal | None] = ContextVar("principal", default=None)
trace_id_var: ContextVar[str] = ContextVar("trace_id", default="")  # set when tracing is on


def current_principal() -> Principal:
    """The authenticated caller (servicers pass it on to the services explicitly); the
    auth interceptor guarantees it on non-public methods."""
    principal = principal_var.get()
    if principal is None:
        raise Unauthenticated("authentication required", reason=Reason.CREDENTIALS_MISSING)
    return principal
