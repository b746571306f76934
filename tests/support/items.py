"""Helpers for ItemService tests: status codes, BadRequest details, watchers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

from opengovfood_client.v1 import items_pb2, items_pb2_grpc

Metadata = Sequence[tuple[str, str]]


async def code_of(call: Awaitable[Any]) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """field -> description from the google.rpc.BadRequest detail."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            found: dict[str, str] = {}
            for detail in status.details:
                bad = error_details_pb2.BadRequest()
                if detail.Unpack(bad):
                    found.update({v.field: v.description for v in bad.field_violations})
            return found
    return {}


async def create(
    stub: items_pb2_grpc.ItemServiceStub,
    metadata: Metadata,
    title: str = "Walk-in cooler check",
    description: str = "",
    status: int = items_pb2.ITEM_STATUS_UNSPECIFIED,
    request_id: str = "",
) -> items_pb2.Item:
    return await stub.CreateItem(
        items_pb2.CreateItemRequest(
            item=items_pb2.Item(title=title, description=description, status=status),
            request_id=request_id,
        ),
        metadata=metadata,
        timeout=10,
    )


class Watcher:
    """A WatchItems stream; `await ready()` returns once the server subscribed it."""

    def __init__(
        self, stub: items_pb2_grpc.ItemServiceStub, metadata: Metadata, filter: str = ""
    ) -> None:
        self.call = stub.WatchItems(
            items_pb2.WatchItemsRequest(filter=filter), metadata=tuple(metadata)
        )

    async def ready(self) -> None:
        await asyncio.wait_for(self.call.initial_metadata(), 10)

    async def next(self, wait: float = 10) -> items_pb2.ItemEvent:
        event = await asyncio.wait_for(self.call.read(), wait)
        assert event is not grpc.aio.EOF, "stream ended"
        return event  # type: ignore[no-any-return]

    async def until(self, item_id: int, type: int, wait: float = 10) -> items_pb2.ItemEvent:
        """Skip events until one for `item_id` of `type` (other tests' noise)."""
        while True:
            event = await self.next(wait)
            if event.item.id == item_id and event.type == type:
                return event

    def cancel(self) -> None:
        self.call.cancel()
