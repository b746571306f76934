"""What differs between grpc.aio and grpc for the client: the channel, the lock, how a
call is cancelled. Hand-written twin of `_sync/_transport.py`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast

import grpc

from opengovfood_client.auth import (
    AioInsecureBearerStream,
    AioInsecureBearerUnary,
    TokenState,
    channel_credentials,
)
from opengovfood_client.config import TLSConfig

T = TypeVar("T")
Req = TypeVar("Req")
Resp = TypeVar("Resp")

if TYPE_CHECKING:
    Channel: TypeAlias = grpc.aio.Channel
    UnaryUnary: TypeAlias = grpc.aio.UnaryUnaryMultiCallable[Req, Resp]
    UnaryStream: TypeAlias = grpc.aio.UnaryStreamMultiCallable[Req, Resp]
    StreamCall: TypeAlias = grpc.aio.UnaryStreamCall[Any, T]
    PageFetch: TypeAlias = Callable[[str], Awaitable[tuple[list[T], str]]]

Lock = asyncio.Lock
# Cancelling the task iterating a stream that was cancelled() ends it quietly.
CANCELLED: tuple[type[BaseException], ...] = (asyncio.CancelledError,)


def open_channel(
    address: str,
    state: TokenState,
    tls: TLSConfig | None,
    insecure: bool,
    options: Sequence[tuple[str, Any]],
) -> Channel:
    credentials = channel_credentials(address, state, tls, insecure)
    if credentials is None:
        return grpc.aio.insecure_channel(
            address,
            options,
            interceptors=[
                cast(Any, AioInsecureBearerUnary(state)),
                cast(Any, AioInsecureBearerStream(state)),
            ],
        )
    return grpc.aio.secure_channel(address, credentials, options)


async def close(channel: Channel) -> None:
    await channel.close(None)


def cancel(call: StreamCall[Any]) -> None:
    call.cancel()


async def gather(*calls: Awaitable[T]) -> list[T]:
    """The results of `calls`, run concurrently."""
    return list(await asyncio.gather(*calls))
