"""Request id: take `x-request-id` from the caller or make one; return it in trailers."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from typing import Any

import grpc

from opengovfood.context import request_id_var
from opengovfood.interceptors.base import (
    StreamBehavior,
    UnaryBehavior,
    WrappingInterceptor,
    metadata_value,
)

REQUEST_ID_KEY = "x-request-id"
_VALID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def _request_id(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    given = metadata_value(context, REQUEST_ID_KEY)
    if given is not None and _VALID.fullmatch(given):
        return given
    return os.urandom(8).hex()


class RequestIdInterceptor(WrappingInterceptor):
    def wrap_unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            rid = _request_id(context)
            request_id_var.set(rid)
            context.set_trailing_metadata(((REQUEST_ID_KEY, rid),))
            return await behavior(request, context)

        return unary

    def wrap_stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        async def stream(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            rid = _request_id(context)
            request_id_var.set(rid)
            context.set_trailing_metadata(((REQUEST_ID_KEY, rid),))
            async for response in behavior(request, context):
                yield response

        return stream
