"""What differs between grpc.aio and grpc for the client: the channel, the lock, how a
call is cancelled. Hand-written twin of `_async/_transport.py`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import grpc

from opengovfood_client.auth import InsecureBearerInterceptor, TokenState, channel_credentials
from opengovfood_client.config import TLSConfig

T = TypeVar("T")
Req = TypeVar("Req")
Resp = TypeVar("Resp")

if TYPE_CHECKING:
    Channel: TypeAlias = grpc.Channel
    UnaryUnary: TypeAlias = grpc.UnaryUnaryMultiCallable[Req, Resp]
    UnaryStream: TypeAlias = grpc.UnaryStreamMultiCallable[Req, Resp]
    StreamCall: TypeAlias = grpc.CallIterator[T]
    PageFetch: TypeAlias = Callable[[str], tuple[list[T], str]]

Lock = threading.Lock
# Threads are not cancelled: nothing to catch.
CANCELLED: tuple[type[BaseException], ...] = ()


def open_channel(
    address: str,
    state: TokenState,
    tls: TLSConfig | None,
    insecure: bool,
    options: Sequence[tuple[str, Any]],
) -> Channel:
    credentials = channel_credentials(address, state, tls, insecure)
    if credentials is None:
        return grpc.intercept_channel(
            grpc.insecure_channel(address, options), InsecureBearerInterceptor(state)
        )
    return grpc.secure_channel(address, credentials, options)


def close(channel: Channel) -> None:
    channel.close()


def cancel(call: StreamCall[Any]) -> None:
    call.cancel()  # type: ignore[no-untyped-call]


def gather(*results: T) -> list[T]:
    """The results, already computed one after the other (the async twin runs them
    concurrently)."""
    return list(results)
