"""Authentication and method-level authorization.

Non-public methods need `authorization: Bearer <access token>`; the principal
is put in a context variable (opengovfood.context) for the layers below.
Method rules come from rpc.policy; resource-level rules (ownership) live in the
services.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from opengovfood.context import Principal, principal_var
from opengovfood.errors import PermissionDenied, Unauthenticated
from opengovfood.interceptors.base import (
    StreamBehavior,
    UnaryBehavior,
    WrappingInterceptor,
    metadata_value,
)
from opengovfood.reasons import Reason
from opengovfood.rpc.policy import Rule, rule_for

Authenticate = Callable[[str], Awaitable[Principal]]
# A verified client certificate's principal (mTLS), or None (opengovfood.tls.PeerPrincipals).
PeerAuthenticate = Callable[[grpc.aio.ServicerContext[Any, Any]], Principal | None]


def _bearer(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    header = metadata_value(context, "authorization")
    if header is None:
        raise Unauthenticated(
            "missing 'authorization: Bearer <token>' metadata", reason=Reason.CREDENTIALS_MISSING
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "authorization metadata must be 'Bearer <token>'", reason=Reason.CREDENTIALS_MISSING
        )
    return token.strip()


def _authorize(rule: Rule, principal: Principal) -> None:
    if principal.kind == "service":
        if rule.any_service:
            return
        if rule.service_scope is None:
            raise PermissionDenied(
                "service principals may not call this method", reason=Reason.PRINCIPAL_NOT_ALLOWED
            )
        if not principal.has_scope(rule.service_scope):
            raise PermissionDenied(
                f"this method needs the '{rule.service_scope}' scope", reason=Reason.SCOPE_REQUIRED
            )
        return
    if not rule.users:
        raise PermissionDenied(
            "signed-in users may not call this method", reason=Reason.PRINCIPAL_NOT_ALLOWED
        )
    if rule.superuser_only and not principal.is_superuser:
        raise PermissionDenied(
            "this method is for superusers only", reason=Reason.SUPERUSER_REQUIRED
        )


class AuthInterceptor(WrappingInterceptor):
    """Must sit inside ErrorInterceptor so its errors become statuses."""

    def __init__(
        self, authenticate: Authenticate, peer_authenticate: PeerAuthenticate | None = None
    ) -> None:
        super().__init__()
        self._authenticate = authenticate
        self._peer_authenticate = peer_authenticate

    async def _principal(self, rule: Rule, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        principal = None
        # A bearer token, when sent, wins over the client certificate.
        if self._peer_authenticate is not None and not metadata_value(context, "authorization"):
            principal = self._peer_authenticate(context)
        if principal is None:
            principal = await self._authenticate(_bearer(context))
        _authorize(rule, principal)
        principal_var.set(principal)

    def wrap_unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        rule = rule_for(method)
        if rule is not None and rule.public:
            return behavior

        async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            if rule is None:
                raise PermissionDenied("no access rule is defined for this method")
            await self._principal(rule, context)
            return await behavior(request, context)

        return unary

    def wrap_stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        rule = rule_for(method)
        if rule is not None and rule.public:
            return behavior

        async def stream(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            if rule is None:
                raise PermissionDenied("no access rule is defined for this method")
            await self._principal(rule, context)
            async for response in behavior(request, context):
                yield response

        return stream
