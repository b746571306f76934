"""Optional per-principal limit for every authenticated RPC (OPENGOVFOOD_RPC_RATE_PER_SECOND).

Sits inside the auth interceptor, so the principal is known; public methods have
no principal here and are limited by the user service itself (Login, Register).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from opengovfood.context import principal_var
from opengovfood.interceptors.base import StreamBehavior, UnaryBehavior, WrappingInterceptor
from opengovfood.services.rate_limit import RateLimits


class PrincipalRateLimitInterceptor(WrappingInterceptor):
    def __init__(self, limits: RateLimits) -> None:
        super().__init__()
        self._limits = limits

    async def _check(self) -> None:
        principal = principal_var.get()
        if principal is not None:
            await self._limits.check_rpc(principal.key)

    def wrap_unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            await self._check()
            return await behavior(request, context)

        return unary

    def wrap_stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        async def stream(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            await self._check()
            async for response in behavior(request, context):
                yield response

        return stream
