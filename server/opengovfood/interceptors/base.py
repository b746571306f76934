"""A base for interceptors that wrap method handlers.

grpc.aio calls `intercept_service` on every RPC; the handler it gets back from
`continuation` is the same object for every call of a method, so the wrapped
handler is built once per method and cached. Streaming responses are the known
pitfall: an async-generator handler must be wrapped by an async generator, a
handler that writes with `context.write` by a coroutine.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import grpc

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
UnaryBehavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]
StreamBehavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Any]]


if TYPE_CHECKING:
    _ServerInterceptor = grpc.aio.ServerInterceptor[Any, Any]
else:  # grpc's classes are generic only in the stubs
    _ServerInterceptor = grpc.aio.ServerInterceptor


class WrappingInterceptor(_ServerInterceptor):
    """Subclasses implement `wrap_unary` and `wrap_stream` for one method."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[Handler, Handler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method: str = handler_call_details.method
        cached = self._cache.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = self._wrap_handler(method, handler)
        self._cache[method] = (handler, wrapped)
        return wrapped

    def _wrap(self, method: str, behavior: Any) -> Any:
        if inspect.isasyncgenfunction(behavior):
            return self.wrap_stream(method, behavior)
        return self.wrap_unary(method, behavior)

    def _wrap_handler(self, method: str, handler: Handler) -> Handler:
        des = handler.request_deserializer
        ser = handler.response_serializer
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap(method, handler.unary_unary), des, ser
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap(method, handler.unary_stream), des, ser
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap(method, handler.stream_unary), des, ser
            )
        return grpc.stream_stream_rpc_method_handler(
            self._wrap(method, handler.stream_stream), des, ser
        )

    def wrap_unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        raise NotImplementedError

    def wrap_stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        raise NotImplementedError


class WrappingChain(_ServerInterceptor):
    """Several WrappingInterceptors as one. grpc.aio runs every interceptor's
    `intercept_service` coroutine on every RPC, one awaiting the next, only to get
    back the same cached handler; the chain runs one and wraps each method's handler
    once with all of them (the first outermost, as grpc.aio orders them)."""

    def __init__(self, interceptors: Sequence[WrappingInterceptor]) -> None:
        self._interceptors = tuple(interceptors)
        self._cache: dict[str, tuple[Handler, Handler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method: str = handler_call_details.method
        cached = self._cache.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = handler
        for interceptor in reversed(self._interceptors):
            wrapped = interceptor._wrap_handler(method, wrapped)
        self._cache[method] = (handler, wrapped)
        return wrapped


def chained(
    interceptors: Sequence[grpc.aio.ServerInterceptor[Any, Any]],
) -> list[grpc.aio.ServerInterceptor[Any, Any]]:
    """`interceptors` in the same order, each run of WrappingInterceptors as one chain."""
    out: list[grpc.aio.ServerInterceptor[Any, Any]] = []
    run: list[WrappingInterceptor] = []
    for interceptor in interceptors:
        if isinstance(interceptor, WrappingInterceptor):
            run.append(interceptor)
            continue
        if run:
            out.append(WrappingChain(run) if len(run) > 1 else run[0])
            run = []
        out.append(interceptor)
    if run:
        out.append(WrappingChain(run) if len(run) > 1 else run[0])
    return out


def metadata_value(context: grpc.aio.ServicerContext[Any, Any], key: str) -> str | None:
    """First value of a metadata key (keys arrive lower-cased)."""
    for item in context.invocation_metadata() or ():
        if item[0] == key:
            value = item[1]
            return value if isinstance(value, str) else None
    return None
