"""Domain errors raised by services and mapped to gRPC statuses in one place.

Services raise these; the error interceptor turns them into a status with a
clear message and, for INVALID_ARGUMENT, a google.rpc.BadRequest detail. Any
other exception becomes INTERNAL with a generic message (never internals).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import grpc

from opengovfood.reasons import Reason


class ServiceError(Exception):
    """An error meant for the caller. `message` is shown to clients as is; `reason`
    (google.rpc.ErrorInfo, see reasons.py) is what programs branch on: each class has
    a default, and a raise site with a more precise cause names it."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    reason: Reason = Reason.INTERNAL_ERROR

    def __init__(self, message: str, *, reason: Reason | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class FieldViolation:
    """One bad field of a request (google.rpc.BadRequest.FieldViolation)."""

    __slots__ = ("description", "field")

    def __init__(self, field: str, description: str) -> None:
        self.field = field
        self.description = description

    def __repr__(self) -> str:
        return f"FieldViolation({self.field!r}, {self.description!r})"


class InvalidArgument(ServiceError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = Reason.FIELD_INVALID

    def __init__(
        self,
        message: str,
        violations: Sequence[FieldViolation] = (),
        *,
        reason: Reason | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.violations = tuple(violations)

    @classmethod
    def for_fields(
        cls, violations: Iterable[FieldViolation], *, reason: Reason | None = None
    ) -> InvalidArgument:
        found = tuple(violations)
        message = "; ".join(f"{v.field}: {v.description}" for v in found) or "invalid request"
        return cls(message, found, reason=reason)

    @classmethod
    def field(
        cls, field: str, description: str, *, reason: Reason | None = None
    ) -> InvalidArgument:
        return cls.for_fields([FieldViolation(field, description)], reason=reason)


class Unauthenticated(ServiceError):
    code = grpc.StatusCode.UNAUTHENTICATED
    reason = Reason.TOKEN_INVALID


class PermissionDenied(ServiceError):
    code = grpc.StatusCode.PERMISSION_DENIED
    reason = Reason.ACTION_NOT_ALLOWED


class NotFound(ServiceError):
    code = grpc.StatusCode.NOT_FOUND
    reason = Reason.RESOURCE_NOT_FOUND


class AlreadyExists(ServiceError):
    code = grpc.StatusCode.ALREADY_EXISTS
    reason = Reason.RESOURCE_ALREADY_EXISTS


class FailedPrecondition(ServiceError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    reason = Reason.PRECONDITION_FAILED


class Aborted(ServiceError):
    code = grpc.StatusCode.ABORTED
    reason = Reason.CONCURRENT_CHANGE


class ResourceExhausted(ServiceError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = Reason.RATE_LIMITED

    def __init__(
        self, message: str, retry_after: float | None = None, *, reason: Reason | None = None
    ) -> None:
        super().__init__(message, reason=reason)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    code = grpc.StatusCode.UNAVAILABLE
    reason = Reason.SERVICE_UNAVAILABLE


class DeadlineExceeded(ServiceError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED
    reason = Reason.DEADLINE_EXCEEDED


class Unimplemented(ServiceError):
    code = grpc.StatusCode.UNIMPLEMENTED
    reason = Reason.NOT_IMPLEMENTED
