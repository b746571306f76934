"""Domain errors raised by services and mapped to gRPC statuses in one place.

Services raise these; the error interceptor turns them into a status with a
clear message and, for INVALID_ARGUMENT, a google.rpc.BadRequest detail. Any
other exception becomes INTERNAL with a generic message (never internals).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from opengovfood.reasons import Reason


class Code(enum.IntEnum):
    """The gRPC status codes our errors use (same names and numbers as grpc.StatusCode;
    the error interceptor maps them), so no layer below the servicers imports grpc."""

    INVALID_ARGUMENT = 3
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    INTERNAL = 13
    UNAVAILABLE = 14
    UNAUTHENTICATED = 16


EXCERPT_CHARS = 40


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A caller's input, quoted in a message: at most `limit` characters (then "…").
    Messages never echo a whole input: it may be megabytes (and a status message
    travels in HTTP/2 headers, where a long one fails the call)."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit])[:-1] + "…" + repr(text[:limit])[-1]


class ServiceError(Exception):
    """An error meant for the caller. `message` is shown to clients as is; `reason`
    (google.rpc.ErrorInfo, see reasons.py) is what programs branch on: each class has
    a default, and a raise site with a more precise cause names it."""

    code: Code = Code.INTERNAL
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
    code = Code.INVALID_ARGUMENT
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
    code = Code.UNAUTHENTICATED
    reason = Reason.TOKEN_INVALID


class PermissionDenied(ServiceError):
    code = Code.PERMISSION_DENIED
    reason = Reason.ACTION_NOT_ALLOWED


class NotFound(ServiceError):
    code = Code.NOT_FOUND
    reason = Reason.RESOURCE_NOT_FOUND


class AlreadyExists(ServiceError):
    code = Code.ALREADY_EXISTS
    reason = Reason.RESOURCE_ALREADY_EXISTS


class FailedPrecondition(ServiceError):
    code = Code.FAILED_PRECONDITION
    reason = Reason.PRECONDITION_FAILED


class Aborted(ServiceError):
    code = Code.ABORTED
    reason = Reason.CONCURRENT_CHANGE


class ResourceExhausted(ServiceError):
    code = Code.RESOURCE_EXHAUSTED
    reason = Reason.RATE_LIMITED

    def __init__(
        self, message: str, retry_after: float | None = None, *, reason: Reason | None = None
    ) -> None:
        super().__init__(message, reason=reason)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    code = Code.UNAVAILABLE
    reason = Reason.SERVICE_UNAVAILABLE
