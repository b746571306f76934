"""Assertions on gRPC errors and their google.rpc details."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

DETAILS_KEY = "grpc-status-details-bin"


async def rpc_error(call: Awaitable[Any], code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    """Await `call`, which must fail with `code`; return the error."""
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    error = info.value
    assert error.code() == code, f"expected {code.name}, got {error.code().name}: {error.details()}"
    return error


def _status(error: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    for key, value in error.trailing_metadata() or ():
        if key == DETAILS_KEY:
            return status_pb2.Status.FromString(value)
    return None


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """field -> description from the BadRequest detail (empty if there is none)."""
    status = _status(error)
    found: dict[str, str] = {}
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            for violation in bad.field_violations:
                found[violation.field] = violation.description
    return found


def retry_delay(error: grpc.aio.AioRpcError) -> float | None:
    """Seconds from the RetryInfo detail, None if there is none."""
    status = _status(error)
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            return float(info.retry_delay.ToNanoseconds()) / 1e9
    return None
