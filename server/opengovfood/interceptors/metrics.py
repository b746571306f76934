"""Standard gRPC server metrics (go-grpc-prometheus names) for every RPC.

The outermost interceptor, so it sees every outcome, including auth refusals.
Label children are bound once per method when the handler is wrapped; an RPC
then costs a few counter increments and one histogram observation.

The code counted is the one the client gets: the code an abort set, OK after a
normal return (or whatever `context.set_code` said), CANCELLED when the client
went away and DEADLINE_EXCEEDED when the deadline did.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import grpc
from prometheus_client import Counter

from opengovfood import metrics
from opengovfood.interceptors.base import Handler, WrappingInterceptor

Context = grpc.aio.ServicerContext[Any, Any]
# grpc's stubs type handler behaviors as synchronous; under grpc.aio they are async.
Behavior = Callable[..., Any]

_CODE_NAMES: dict[object, str] = {}
for _status in grpc.StatusCode:
    _CODE_NAMES[_status] = _status.name
    _CODE_NAMES[_status.value[0]] = _status.name


def final_code(context: Context, error: BaseException | None) -> str:
    """The status code name the RPC ended with."""
    if isinstance(error, (asyncio.CancelledError, GeneratorExit)):
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            return "DEADLINE_EXCEEDED"
        return "CANCELLED"
    code = context.code()
    if code is not None:
        return _CODE_NAMES.get(code, "UNKNOWN")
    # An exception no inner interceptor turned into a status: grpc answers UNKNOWN.
    return "OK" if error is None else "UNKNOWN"


class _MethodMetrics:
    """The label children of one method, bound once."""

    __slots__ = ("_code_labels", "_handled", "handling", "received", "sent", "started")

    def __init__(self, method: str, grpc_type: str) -> None:
        service, _, name = method.lstrip("/").rpartition("/")
        labels = (grpc_type, service, name)
        self.started = metrics.GRPC_STARTED.labels(*labels)
        self.received = metrics.GRPC_MSG_RECEIVED.labels(*labels)
        self.sent = metrics.GRPC_MSG_SENT.labels(*labels)
        self.handling = metrics.GRPC_HANDLING_SECONDS.labels(*labels)
        self._code_labels = labels
        self._handled: dict[str, Counter] = {}

    def handled(self, code: str, started: float) -> None:
        self.handling.observe(time.perf_counter() - started)
        child = self._handled.get(code)
        if child is None:
            child = self._handled[code] = metrics.GRPC_HANDLED.labels(*self._code_labels, code)
        child.inc()


class _CountingContext:
    """For streaming handlers that answer with `context.write`: counts the writes."""

    def __init__(self, context: Context, sent: Counter) -> None:
        self._context = context
        self._sent = sent

    async def write(self, message: Any) -> None:
        await self._context.write(message)
        self._sent.inc()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


async def _count_requests(requests: AsyncIterator[Any], received: Counter) -> AsyncIterator[Any]:
    async for request in requests:
        received.inc()
        yield request


def _wrap_response(
    behavior: Behavior, m: _MethodMetrics, request_streaming: bool
) -> Callable[[Any, Context], Awaitable[Any]]:
    """unary_unary and stream_unary: one response."""

    async def handler(request: Any, context: Context) -> Any:
        m.started.inc()
        started = time.perf_counter()
        if request_streaming:
            request = _count_requests(request, m.received)
        else:
            m.received.inc()
        error: BaseException | None = None
        try:
            response = await behavior(request, context)
        except BaseException as exc:
            error = exc
            raise
        finally:
            code = final_code(context, error)
            if code == "OK":
                m.sent.inc()
            m.handled(code, started)
        return response

    return handler


def _wrap_stream(
    behavior: Behavior, m: _MethodMetrics, request_streaming: bool
) -> Callable[[Any, Context], Any]:
    """unary_stream and stream_stream: an async generator, or a coroutine that writes."""

    if inspect.isasyncgenfunction(behavior):

        async def generator(request: Any, context: Context) -> AsyncIterator[Any]:
            m.started.inc()
            started = time.perf_counter()
            if request_streaming:
                request = _count_requests(request, m.received)
            else:
                m.received.inc()
            error: BaseException | None = None
            try:
                async for response in behavior(request, context):
                    m.sent.inc()
                    yield response
            except BaseException as exc:
                error = exc
                raise
            finally:
                m.handled(final_code(context, error), started)

        return generator

    async def writer(request: Any, context: Context) -> None:
        m.started.inc()
        started = time.perf_counter()
        if request_streaming:
            request = _count_requests(request, m.received)
        else:
            m.received.inc()
        error: BaseException | None = None
        try:
            await behavior(request, cast(Context, _CountingContext(context, m.sent)))
        except BaseException as exc:
            error = exc
            raise
        finally:
            m.handled(final_code(context, error), started)

    return writer


class MetricsInterceptor(WrappingInterceptor):
    def _wrap_handler(self, method: str, handler: Handler) -> Handler:
        des = handler.request_deserializer
        ser = handler.response_serializer
        if handler.unary_unary is not None:
            m = _MethodMetrics(method, "unary")
            return grpc.unary_unary_rpc_method_handler(
                _wrap_response(handler.unary_unary, m, False), des, ser
            )
        if handler.stream_unary is not None:
            m = _MethodMetrics(method, "client_stream")
            return grpc.stream_unary_rpc_method_handler(
                _wrap_response(handler.stream_unary, m, True), des, ser
            )
        if handler.unary_stream is not None:
            m = _MethodMetrics(method, "server_stream")
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(handler.unary_stream, m, False), des, ser
            )
        m = _MethodMetrics(method, "bidi_stream")
        assert handler.stream_stream is not None
        return grpc.stream_stream_rpc_method_handler(
            _wrap_stream(handler.stream_stream, m, True), des, ser
        )
