"""Exceptions raised by the client, one class per gRPC status a caller acts on.

Every failed call raises an `OpenGovFoodError` subclass (never a bare
`grpc.RpcError`), mapped from the status code. The rich status the server sends
(google.rpc.Status in the `grpc-status-details-bin` trailer, decoded with
grpcio-status) is exposed where it helps: `reason` and `domain` on every error
(google.rpc.ErrorInfo: a stable UPPER_SNAKE_CASE cause to branch on, e.g.
`TOKEN_EXPIRED`, `ETAG_MISMATCH`; the server's reasons are listed in docs/api.md),
`InvalidArgumentError.field_violations` (google.rpc.BadRequest) and
`RateLimitedError.retry_after` (google.rpc.RetryInfo).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

REQUEST_ID_KEY = "x-request-id"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad request field, as the server named it (e.g. `item.title`)."""

    field: str
    description: str


class OpenGovFoodError(Exception):
    """A call failed. `code` is the gRPC status, `message` the server's explanation."""

    def __init__(
        self,
        message: str,
        code: grpc.StatusCode = grpc.StatusCode.UNKNOWN,
        *,
        status: status_pb2.Status | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id

    def __str__(self) -> str:
        reason = f" [{self.reason}]" if self.reason else ""
        return f"{self.code.name}{reason}: {self.message}"

    def _details(self) -> Iterable[Any]:
        return self.status.details if self.status is not None else ()

    def _error_info(self) -> error_details_pb2.ErrorInfo | None:
        for detail in self._details():
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                return info
        return None

    @property
    def reason(self) -> str | None:
        """The server's machine-readable cause (google.rpc.ErrorInfo.reason), e.g.
        "TOKEN_EXPIRED"; None when the status carried no ErrorInfo (a transport error)."""
        info = self._error_info()
        return info.reason if info is not None else None

    @property
    def domain(self) -> str | None:
        """The ErrorInfo domain, "opengovfood.v1" for this service's errors."""
        info = self._error_info()
        return info.domain if info is not None else None


class InvalidArgumentError(OpenGovFoodError):
    """INVALID_ARGUMENT (and OUT_OF_RANGE): the request was wrong; fix it, don't retry."""

    @property
    def field_violations(self) -> tuple[FieldViolation, ...]:
        found: list[FieldViolation] = []
        for detail in self._details():
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                found += [
                    FieldViolation(v.field, v.description) for v in bad_request.field_violations
                ]
        return tuple(found)


class NotFoundError(OpenGovFoodError):
    """NOT_FOUND: no such resource, or not one the caller may see."""


class AlreadyExistsError(OpenGovFoodError):
    """ALREADY_EXISTS, e.g. registering a taken email."""


class PermissionDeniedError(OpenGovFoodError):
    """PERMISSION_DENIED: signed in, but not allowed to do this."""


class UnauthenticatedError(OpenGovFoodError):
    """UNAUTHENTICATED: no valid credentials (after one refresh attempt, if possible)."""


class ConflictError(OpenGovFoodError):
    """ABORTED: a concurrent change won (e.g. a stale etag). Re-read, then retry."""


AbortedError = ConflictError


class FailedPreconditionError(OpenGovFoodError):
    """FAILED_PRECONDITION: the system is not in a state that allows this call."""


class RateLimitedError(OpenGovFoodError):
    """RESOURCE_EXHAUSTED: too many requests; wait `retry_after` seconds when given."""

    @property
    def retry_after(self) -> float | None:
        for detail in self._details():
            if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                info = error_details_pb2.RetryInfo()
                detail.Unpack(info)
                return float(info.retry_delay.ToNanoseconds()) / 1e9
        return None


class UnavailableError(OpenGovFoodError):
    """UNAVAILABLE: the server (or its database) cannot be reached; retries were spent."""


class DeadlineExceededError(OpenGovFoodError):
    """DEADLINE_EXCEEDED: the call took longer than its timeout."""


class CallCancelledError(OpenGovFoodError):
    """CANCELLED: the call was cancelled (by the caller, or the server shutting down)."""


class UnimplementedError(OpenGovFoodError):
    """UNIMPLEMENTED: this server does not offer the method."""


class InternalError(OpenGovFoodError):
    """INTERNAL / UNKNOWN / DATA_LOSS: a server bug; the message carries a request id."""


_BY_CODE: dict[grpc.StatusCode, type[OpenGovFoodError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.ABORTED: ConflictError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: RateLimitedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.CANCELLED: CallCancelledError,
    grpc.StatusCode.UNIMPLEMENTED: UnimplementedError,
    grpc.StatusCode.INTERNAL: InternalError,
    grpc.StatusCode.UNKNOWN: InternalError,
    grpc.StatusCode.DATA_LOSS: InternalError,
}


def error_class(code: grpc.StatusCode) -> type[OpenGovFoodError]:
    return _BY_CODE.get(code, OpenGovFoodError)


def from_rpc_error(error: grpc.RpcError) -> OpenGovFoodError:
    """The exception for a failed call (sync `grpc.RpcError` or `grpc.aio.AioRpcError`)."""
    code = error.code()
    message = error.details() or code.name.lower().replace("_", " ")
    status: status_pb2.Status | None
    try:
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
    except ValueError:  # the trailer disagrees with the status line: ignore the details
        status = None
    request_id = None
    trailers: Any = error.trailing_metadata()  # sync: tuple of pairs; aio: grpc.aio.Metadata
    for key, value in trailers or ():
        if key == REQUEST_ID_KEY:
            request_id = value if isinstance(value, str) else value.decode()
    return error_class(code)(message, code, status=status, request_id=request_id)
