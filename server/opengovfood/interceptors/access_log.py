"""One structured log line per RPC: method, code, duration, peer, request id.

Never logs request or response bodies, so no token or password can reach a log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc

from opengovfood.context import request_id_var
from opengovfood.interceptors.base import StreamBehavior, UnaryBehavior, WrappingInterceptor

logger = logging.getLogger("opengovfood.access")


def _code_name(context: grpc.aio.ServicerContext[Any, Any], error: BaseException | None) -> str:
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code.name
    if isinstance(code, int):
        for status in grpc.StatusCode:
            if status.value[0] == code:
                return status.name
    if error is None:
        return "OK"
    # CancelledError and friends are BaseException, not Exception.
    return "UNKNOWN" if isinstance(error, Exception) else "CANCELLED"


def _log(method: str, code: str, started: float, peer: str) -> None:
    logger.info(
        "rpc",
        extra={
            "rpc_method": method,
            "grpc_code": code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "peer": peer,
            "request_id": request_id_var.get(),
        },
    )


class AccessLogInterceptor(WrappingInterceptor):
    def wrap_unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            started = time.perf_counter()
            error: BaseException | None = None
            try:
                return await behavior(request, context)
            except BaseException as exc:
                error = exc
                raise
            finally:
                if logger.isEnabledFor(logging.INFO):
                    _log(method, _code_name(context, error), started, context.peer())

        return unary

    def wrap_stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        async def stream(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            started = time.perf_counter()
            error: BaseException | None = None
            try:
                async for response in behavior(request, context):
                    yield response
            except BaseException as exc:
                error = exc
                raise
            finally:
                if logger.isEnabledFor(logging.INFO):
                    _log(method, _code_name(context, error), started, context.peer())

        return stream
