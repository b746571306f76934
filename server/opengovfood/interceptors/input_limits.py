"""The one input-bounding step: every request's fields are size-checked (rpc/input_limits.py)
before the servicer, so no per-character or per-element work ever runs on unbounded
client data. Must sit inside ErrorInterceptor so its refusals become statuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf.message import Message

from opengovfood.interceptors.base import StreamBehavior, UnaryBehavior, WrappingInterceptor
from opengovfood.rpc.input_limits import check_request


def _check(request: Any) -> None:
    # Client-streaming methods (only server reflection's) get an iterator of messages,
    # each bounded by the message size limit; ours all take one message.
    if isinstance(request, Message):
        check_request(request)


class InputLimitInterceptor(WrappingInterceptor):
    def wrap_unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            _check(request)
            return await behavior(request, context)

        return unary

    def wrap_stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        async def stream(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            _check(request)
            async for response in behavior(request, context):
                yield response

        return stream
