"""Domain errors raised by services and mapped to gRPC statuses in one place.

Services raise these; the error interceptor turns them into a status with a
clear message and, for INVALID_ARGUMENT, a google.rpc.BadRequest detail. Any
other exception becomes INTERNAL with a generic message (never internals).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import grpc

EXCERPT_CHARS = 40


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A caller's input, quoted in a message: at most `limit` characters (then "…").
    Messages never echo a whole input: it may be megabytes (and a status message
    travels in HTTP/2 headers, where a long one fails the call)."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit])[:-1] + "…" + repr(text[:limit])[-1]


class ServiceError(Exception):
    """An error meant for the caller. `message` is shown to clients as is."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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

    def __init__(self, message: str, violations: Sequence[FieldViolation] = ()) -> None:
        super().__init__(message)
        self.violations = tuple(violations)

    @classmethod
    def for_fields(cls, violations: Iterable[FieldViolation]) -> InvalidArgument:
        found = tuple(violations)
        message = "; ".join(f"{v.field}: {v.description}" for v in found) or "invalid request"
        return cls(message, found)

    @classmethod
    def field(cls, field: str, description: str) -> InvalidArgument:
        return cls.for_fields([FieldViolation(field, description)])


class Unauthenticated(ServiceError):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(ServiceError):
    code = grpc.StatusCode.PERMISSION_DENIED


class NotFound(ServiceError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(ServiceError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(ServiceError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(ServiceError):
    code = grpc.StatusCode.ABORTED


class ResourceExhausted(ServiceError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceeded(ServiceError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class Unimplemented(ServiceError):
    code = grpc.StatusCode.UNIMPLEMENTED
