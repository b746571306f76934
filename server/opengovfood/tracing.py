"""Optional OpenTelemetry tracing: a server span per RPC, a child span per SQL statement.

Off unless OPENGOVFOOD_OTEL_ENDPOINT is set; then it needs the `otel` extra
(`pip install 'opengov-food[otel]'`), imported only here and only then. Spans go
to an OTLP/gRPC collector; an incoming W3C `traceparent` metadata entry makes the
RPC's span a child of the caller's. The trace id of the current RPC is kept in a
context variable (also when tracing is off it is simply empty) so every log line
can carry it next to the request id.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from opengovfood.config import Settings
from opengovfood.context import trace_id_var
from opengovfood.interceptors.base import StreamBehavior, UnaryBehavior, WrappingInterceptor
from opengovfood.interceptors.metrics import final_code

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

logger = logging.getLogger("opengovfood.tracing")

OTEL_EXTRA_MISSING = (
    "OPENGOVFOOD_OTEL_ENDPOINT needs the otel extra: pip install 'opengov-food[otel]'"
)
# Codes that are the server's fault (OpenTelemetry's rule for gRPC server spans).
_SERVER_ERRORS = frozenset(
    {"UNKNOWN", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"}
)


class TracingUnavailable(ValueError):
    """Tracing is configured but the otel extra is not installed."""


@dataclass
class Tracing:
    provider: TracerProvider
    tracer: Tracer

    def interceptor(self) -> TracingInterceptor:
        return TracingInterceptor(self.tracer)

    def instrument(self, engine: AsyncEngine) -> Callable[[], None]:
        return _instrument_engine(engine, self.tracer)

    def shutdown(self) -> None:
        """Flush what is queued (bounded by the exporter timeout) and stop."""
        self.provider.shutdown()


def setup(settings: Settings) -> Tracing | None:
    if settings.otel_endpoint is None:
        return None
    try:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    except ImportError as exc:
        raise TracingUnavailable(OTEL_EXTRA_MISSING) from exc

    from opengovfood import __version__

    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": settings.otel_service_name, "service.version": __version__}
        ),
        sampler=ParentBased(TraceIdRatioBased(settings.otel_sample_ratio)),
    )
    exporter = OTLPSpanExporter(
        endpoint=settings.otel_endpoint,
        insecure=settings.otel_endpoint.startswith("http://"),
        timeout=5,
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return Tracing(provider, provider.get_tracer("opengovfood"))


class TracingInterceptor(WrappingInterceptor):
    def __init__(self, tracer: Tracer) -> None:
        super().__init__()
        self._tracer = tracer
        from opentelemetry import context as otel_context
        from opentelemetry.propagate import extract
        from opentelemetry.trace import SpanKind, set_span_in_context

        self._context = otel_context
        self._extract = extract
        self._set_span = set_span_in_context
        self._kind = SpanKind.SERVER

    def _start(self, method: str, context: grpc.aio.ServicerContext[Any, Any]) -> tuple[Span, Any]:
        carrier = {
            key: value
            for key, value in (context.invocation_metadata() or ())
            if isinstance(value, str)
        }
        service, _, name = method.lstrip("/").rpartition("/")
        span = self._tracer.start_span(
            method.lstrip("/"),
            context=self._extract(carrier),
            kind=self._kind,
            attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": name},
        )
        token = self._context.attach(self._set_span(span))
        span_context = span.get_span_context()
        if span_context.is_valid:
            trace_id_var.set(format(span_context.trace_id, "032x"))
        return span, token

    def _end(
        self,
        span: Span,
        token: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        error: BaseException | None,
    ) -> None:
        from opentelemetry.trace import Status, StatusCode

        code = final_code(context, error)
        span.set_attribute("rpc.grpc.status_code", getattr(grpc.StatusCode, code).value[0])
        if code in _SERVER_ERRORS:
            span.set_status(Status(StatusCode.ERROR, code))
        span.end()
        self._context.detach(token)

    def wrap_unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            span, token = self._start(method, context)
            error: BaseException | None = None
            try:
                return await behavior(request, context)
            except BaseException as exc:
                error = exc
                raise
            finally:
                self._end(span, token, context, error)

        return unary

    def wrap_stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        async def stream(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            span, token = self._start(method, context)
            error: BaseException | None = None
            try:
                async for response in behavior(request, context):
                    yield response
            except BaseException as exc:
                error = exc
                raise
            finally:
                self._end(span, token, context, error)

        return stream


_SPANS_KEY = "opengovfood.otel_spans"


def _instrument_engine(engine: AsyncEngine, tracer: Tracer) -> Callable[[], None]:
    """A CLIENT span around every statement, child of the RPC's span."""
    from opentelemetry.trace import SpanKind, Status, StatusCode

    sync_engine = engine.sync_engine
    system = "sqlite" if sync_engine.dialect.name == "sqlite" else "postgresql"

    def before(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        span = tracer.start_span(
            f"{operation} {system}".strip(),
            kind=SpanKind.CLIENT,
            attributes={"db.system": system, "db.statement": statement, "db.operation": operation},
        )
        conn.info.setdefault(_SPANS_KEY, []).append(span)

    def after(conn: Any, *_args: Any) -> None:
        spans = conn.info.get(_SPANS_KEY)
        if spans:
            spans.pop().end()

    def failed(exception_context: Any) -> None:
        conn = exception_context.connection
        spans = conn.info.get(_SPANS_KEY) if conn is not None else None
        if spans:
            span = spans.pop()
            span.set_status(
                Status(StatusCode.ERROR, type(exception_context.original_exception).__name__)
            )
            span.end()

    listeners: list[tuple[str, Callable[..., None]]] = [
        ("before_cursor_execute", before),
        ("after_cursor_execute", after),
        ("handle_error", failed),
    ]
    for name, listener in listeners:
        event.listen(sync_engine, name, listener)

    def remove() -> None:
        for name, listener in listeners:
            event.remove(sync_engine, name, listener)

    return remove
