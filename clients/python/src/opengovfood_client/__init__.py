"""Python client for the OpenGov-Food gRPC service (package opengovfood.v1).

    from opengovfood_client import Client

    with Client("127.0.0.1:50051") as client:
        client.login("ann@example.org", "a long passphrase")
        for item in client.items.list():
            print(item.id, item.title)

`AsyncClient` (in `opengovfood_client.aio`) is the asyncio twin. The generated
messages and stubs live in `opengovfood_client.v1`.
"""

__version__ = "0.1.0"

from opengovfood_client._establishments import risk_category
from opengovfood_client._requests import inspection_result, item_kind, item_status, status_name
from opengovfood_client.auth import TokenPair
from opengovfood_client.client import ChatStream, Client, Stream
from opengovfood_client.config import (
    ChannelSettings,
    Keepalive,
    RetryPolicy,
    TLSConfig,
)
from opengovfood_client.errors import (
    AbortedError,
    AlreadyExistsError,
    CallCancelledError,
    ConflictError,
    DeadlineExceededError,
    FailedPreconditionError,
    FieldViolation,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    OpenGovFoodError,
    PermissionDeniedError,
    RateLimitedError,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
)


def __getattr__(name: str) -> object:
    # AsyncClient lazily, so sync users never import grpc.aio machinery they don't use.
    if name == "AsyncClient":
        from opengovfood_client.aio import AsyncClient

        return AsyncClient
    raise AttributeError(name)


__all__ = [
    "AbortedError",
    "AlreadyExistsError",
    "AsyncClient",
    "CallCancelledError",
    "ChannelSettings",
    "ChatStream",
    "Client",
    "ConflictError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "FieldViolation",
    "InternalError",
    "InvalidArgumentError",
    "Keepalive",
    "NotFoundError",
    "OpenGovFoodError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RetryPolicy",
    "Stream",
    "TLSConfig",
    "TokenPair",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "inspection_result",
    "item_kind",
    "item_status",
    "risk_category",
    "status_name",
]
