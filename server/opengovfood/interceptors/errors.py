"""Exception -> gRPC status, in one place.

ServiceError subclasses carry their code and a message meant for the caller;
every status carries a google.rpc.ErrorInfo (reason from reasons.py, domain
opengovfood.v1), INVALID_ARGUMENT also a google.rpc.BadRequest and
RESOURCE_EXHAUSTED a google.rpc.RetryInfo. Database outages become UNAVAILABLE. Anything else is a
bug: logged with its traceback, answered INTERNAL with a generic message and
the request id, never with internals.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, NoReturn

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from sqlalchemy import exc as sa_exc

from opengovfood.context import request_id_var
from opengovfood.errors import InvalidArgument, ResourceExhausted, ServiceError
from opengovfood.interceptors.base import (
    Handler,
    StreamBehavior,
    UnaryBehavior,
    WrappingInterceptor,
)
from opengovfood.interceptors.request_id import REQUEST_ID_KEY
from opengovfood.reasons import DOMAIN, Reason

logger = logging.getLogger("opengovfood.errors")

DATABASE_UNAVAILABLE = "the database is unavailable; retry later"


def _pack(status: status_pb2.Status, detail: Message) -> None:
    packed = any_pb2.Any()
    packed.Pack(detail)
    status.details.append(packed)


def rich_status(code: int, message: str, reason: Reason) -> status_pb2.Status:
    """A google.rpc.Status with the ErrorInfo every error of ours carries."""
    status = status_pb2.Status(code=code, message=message)
    _pack(status, error_details_pb2.ErrorInfo(reason=reason.value, domain=DOMAIN))
    return status


def status_for(error: ServiceError) -> grpc.Status:
    """The rich status (with details) for a domain error."""
    status = rich_status(int(error.code), error.message, error.reason)
    if isinstance(error, InvalidArgument) and error.violations:
        detail = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in error.violations
            ]
        )
        packed = any_pb2.Any()
        packed.Pack(detail)
        status.details.append(packed)
    if isinstance(error, ResourceExhausted) and error.retry_after is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(error.retry_after * 1e9))
        packed = any_pb2.Any()
        packed.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        status.details.append(packed)
    return rpc_status.to_status(status)


def _is_database_outage(error: BaseException) -> bool:
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (ConnectionError, TimeoutError, OSError))


async def abort_for(error: Exception, context: grpc.aio.ServicerContext[Any, Any]) -> NoReturn:
    """Abort the RPC with the status `error` stands for."""
    if isinstance(error, ServiceError):
        await _abort(context, status_for(error))
    if isinstance(error, NotImplementedError):
        # The generated servicer base answers methods a later release implements.
        await _abort_with(
            context, grpc.StatusCode.UNIMPLEMENTED, "method not implemented", Reason.NOT_IMPLEMENTED
        )
    if _is_database_outage(error):
        logger.warning("database unavailable: %s", type(error).__name__)
        await _abort_with(
            context, grpc.StatusCode.UNAVAILABLE, DATABASE_UNAVAILABLE, Reason.DATABASE_UNAVAILABLE
        )
    if isinstance(error, sa_exc.IntegrityError):
        logger.warning("integrity conflict: %s", error.orig.__class__.__name__)
        await _abort_with(
            context,
            grpc.StatusCode.ABORTED,
            "the change conflicted with another one; retry",
            Reason.CONCURRENT_CHANGE,
        )
    logger.error("unhandled error in RPC", exc_info=error)
    await _abort_with(
        context,
        grpc.StatusCode.INTERNAL,
        f"internal error (request id {request_id_var.get()})",
        Reason.INTERNAL_ERROR,
    )
    raise AssertionError("unreachable")  # context.abort always raises


async def _abort(context: grpc.aio.ServicerContext[Any, Any], status: grpc.Status) -> NoReturn:
    trailers = ((REQUEST_ID_KEY, request_id_var.get()),)
    await context.abort(status.code, status.details, tuple(status.trailing_metadata) + trailers)
    raise AssertionError("unreachable")


async def _abort_with(
    context: grpc.aio.ServicerContext[Any, Any],
    code: grpc.StatusCode,
    message: str,
    reason: Reason,
) -> NoReturn:
    await _abort(context, rpc_status.to_status(rich_status(code.value[0], message, reason)))


class Undecodable:
    """Stands in for a request whose bytes do not parse: grpc.aio would otherwise
    answer UNKNOWN with the protobuf error (and the message type) in the details."""

    __slots__ = ()


UNDECODABLE = Undecodable()


def _safe_deserializer(deserialize: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserialize is None:
        return None

    def parse(data: bytes) -> Any:
        try:
            return deserialize(data)
        except Exception:  # noqa: BLE001 - DecodeError and friends: the caller's bytes are bad
            return UNDECODABLE

    return parse


async def _refuse_undecodable(context: grpc.aio.ServicerContext[Any, Any]) -> NoReturn:
    await abort_for(
        InvalidArgument(
            "the request payload is not a valid protobuf message for this method",
            reason=Reason.PAYLOAD_UNDECODABLE,
        ),
        context,
    )


class ErrorInterceptor(WrappingInterceptor):
    def _wrap_handler(self, method: str, handler: Handler) -> Handler:
        wrapped = super()._wrap_handler(method, handler)
        return wrapped._replace(  # type: ignore[attr-defined,no-any-return]
            request_deserializer=_safe_deserializer(wrapped.request_deserializer)
        )

    def wrap_unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            if request is UNDECODABLE:
                await _refuse_undecodable(context)
            try:
                return await behavior(request, context)
            except grpc.aio.AbortError:
                raise
            except Exception as error:  # noqa: BLE001 - this is the one place that maps them
                await abort_for(error, context)

        return unary

    def wrap_stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        async def stream(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            if request is UNDECODABLE:
                await _refuse_undecodable(context)
            try:
                async for response in behavior(request, context):
                    yield response
            except grpc.aio.AbortError:
                raise
            except Exception as error:  # noqa: BLE001
                await abort_for(error, context)

        return stream
