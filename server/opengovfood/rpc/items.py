"""ItemService servicer: protobuf <-> plain values around services.items.ItemService."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import grpc
from google.protobuf import empty_pb2

from opengovfood.context import current_principal
from opengovfood.domain.items import (
    EventType,
    InspectionResult,
    ItemKind,
    ItemRecord,
    ItemStatus,
)
from opengovfood.errors import InvalidArgument
from opengovfood.rpc.timestamps import get_timestamp, set_timestamp
from opengovfood.services.exports import ExportService
from opengovfood.services.items import ItemService
from opengovfood.services.reports import ReportService
from opengovfood_client.v1 import exports_pb2, items_pb2, items_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]

_TO_PB_STATUS = {
    ItemStatus.PENDING: items_pb2.ITEM_STATUS_PENDING,
    ItemStatus.IN_PROGRESS: items_pb2.ITEM_STATUS_IN_PROGRESS,
    ItemStatus.COMPLETED: items_pb2.ITEM_STATUS_COMPLETED,
    ItemStatus.CANCELLED: items_pb2.ITEM_STATUS_CANCELLED,
}
_FROM_PB_STATUS: dict[int, ItemStatus] = {
    number: status for status, number in _TO_PB_STATUS.items()
}
_TO_PB_EVENT = {
    EventType.CREATED: items_pb2.ITEM_EVENT_TYPE_CREATED,
    EventType.UPDATED: items_pb2.ITEM_EVENT_TYPE_UPDATED,
    EventType.DELETED: items_pb2.ITEM_EVENT_TYPE_DELETED,
}
_TO_PB_KIND = {
    ItemKind.UNSPECIFIED: items_pb2.ITEM_KIND_UNSPECIFIED,
    ItemKind.ROUTINE_INSPECTION: items_pb2.ITEM_KIND_ROUTINE_INSPECTION,
    ItemKind.FOLLOW_UP: items_pb2.ITEM_KIND_FOLLOW_UP,
    ItemKind.COMPLAINT: items_pb2.ITEM_KIND_COMPLAINT,
    ItemKind.PRE_OPENING: items_pb2.ITEM_KIND_PRE_OPENING,
    ItemKind.OTHER: items_pb2.ITEM_KIND_OTHER,
}
_FROM_PB_KIND: dict[int, ItemKind] = {number: kind for kind, number in _TO_PB_KIND.items()}
_TO_PB_RESULT = {
    InspectionResult.UNSPECIFIED: items_pb2.INSPECTION_RESULT_UNSPECIFIED,
    InspectionResult.PASS: items_pb2.INSPECTION_RESULT_PASS,
    InspectionResult.PASS_WITH_CONDITIONS: items_pb2.INSPECTION_RESULT_PASS_WITH_CONDITIONS,
    InspectionResult.FAIL: items_pb2.INSPECTION_RESULT_FAIL,
    InspectionResult.NO_ENTRY: items_pb2.INSPECTION_RESULT_NO_ENTRY,
}
_FROM_PB_RESULT: dict[int, InspectionResult] = {n: r for r, n in _TO_PB_RESULT.items()}
_INT32_MAX = 2**31 - 1
CHUNK_BYTES = 64 * 1024  # ExportChunk.data at most (the proto's promise)


def _status(number: int) -> ItemStatus | None:
    """None for UNSPECIFIED; INVALID_ARGUMENT for numbers the enum does not define."""
    if number == items_pb2.ITEM_STATUS_UNSPECIFIED:
        return None
    status = _FROM_PB_STATUS.get(number)
    if status is None:
        raise InvalidArgument.field("item.status", f"unknown status value {number}")
    return status


def _kind(number: int) -> ItemKind:
    kind = _FROM_PB_KIND.get(number)
    if kind is None:
        raise InvalidArgument.field("item.kind", f"unknown kind value {number}")
    return kind


def _result(number: int) -> InspectionResult:
    result = _FROM_PB_RESULT.get(number)
    if result is None:
        raise InvalidArgument.field("item.result", f"unknown result value {number}")
    return result


def _inspect_time(item: items_pb2.Item) -> datetime | None:
    if not item.HasField("inspect_time"):
        return None
    return get_timestamp(item.inspect_time, "item.inspect_time")


def _fill_item(message: items_pb2.Item, item: ItemRecord) -> None:
    """Set `message`'s fields in place: a ListItems page fills the 50 messages where
    they live in the response (built apart, each would then be copied in; and field
    by field is cheaper than the keyword constructor)."""
    message.id = item.id
    message.title = item.title
    message.description = item.description
    message.status = _TO_PB_STATUS[item.status]
    message.owner_id = item.owner_id
    message.etag = item.etag
    message.establishment_id = item.establishment_id or 0
    message.kind = _TO_PB_KIND[item.kind]
    message.result = _TO_PB_RESULT[item.result]
    message.score = item.score
    set_timestamp(message.create_time, item.create_time)
    set_timestamp(message.update_time, item.update_time)
    set_timestamp(message.inspect_time, item.inspect_time or item.create_time)


def item_to_pb(item: ItemRecord) -> items_pb2.Item:
    message = items_pb2.Item()
    _fill_item(message, item)
    return message


class ItemServicer(items_pb2_grpc.ItemServiceServicer):
    def __init__(self, items: ItemService, exports: ExportService, reports: ReportService) -> None:
        self._items = items
        self._exports = exports
        self._reports = reports

    async def CreateItem(
        self, request: items_pb2.CreateItemRequest, context: Context
    ) -> items_pb2.Item:
        item = request.item
        created = await self._items.create_item(
            current_principal(),
            title=item.title,
            description=item.description,
            status=_status(item.status),
            request_id=request.request_id or None,
            establishment_id=item.establishment_id,
            kind=_kind(item.kind),
            result=_result(item.result),
            score=item.score,
            inspect_time=_inspect_time(item),
        )
        return item_to_pb(created)

    async def GetItem(self, request: items_pb2.GetItemRequest, context: Context) -> items_pb2.Item:
        return item_to_pb(await self._items.get_item(current_principal(), request.id))

    async def ListItems(
        self, request: items_pb2.ListItemsRequest, context: Context
    ) -> items_pb2.ListItemsResponse:
        page = await self._items.list_items(
            current_principal(),
            page_size=request.page_size,
            page_token=request.page_token,
            filter=request.filter,
            order_by=request.order_by,
        )
        response = items_pb2.ListItemsResponse(
            next_page_token=page.next_page_token, total_size=min(page.total_size, _INT32_MAX)
        )
        add = response.items.add
        for item in page.items:
            _fill_item(add(), item)
        return response

    async def UpdateItem(
        self, request: items_pb2.UpdateItemRequest, context: Context
    ) -> items_pb2.Item:
        item = request.item
        paths = list(request.update_mask.paths)
        masked = set(paths)
        everything = not paths or "*" in masked

        def wanted(name: str) -> bool:
            # Fields outside the mask are ignored, even malformed ones.
            return everything or name in masked

        if paths:
            # Masked fields take the message's values, defaults included.
            title: str | None = item.title
            description: str | None = item.description
            establishment_id: int | None = item.establishment_id
            score: int | None = item.score
        else:
            # AIP-134: no mask means "the fields that are set" (non-default in proto3).
            title = item.title or None
            description = item.description or None
            establishment_id = item.establishment_id or None
            score = item.score or None
        kind = _kind(item.kind) if wanted("kind") else None
        result = _result(item.result) if wanted("result") else None
        if not paths:
            kind = kind if kind is not ItemKind.UNSPECIFIED else None
            result = result if result is not InspectionResult.UNSPECIFIED else None
        updated = await self._items.update_item(
            current_principal(),
            item.id,
            title=title,
            description=description,
            status=_status(item.status) if wanted("status") else None,
            establishment_id=establishment_id,
            kind=kind,
            result=result,
            score=score,
            inspect_time=_inspect_time(item) if wanted("inspect_time") else None,
            owner_id=item.owner_id if "owner_id" in paths else None,
            update_mask=paths,
            etag=item.etag,
        )
        return item_to_pb(updated)

    async def DeleteItem(
        self, request: items_pb2.DeleteItemRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._items.delete_item(current_principal(), request.id, etag=request.etag)
        return empty_pb2.Empty()

    async def WatchItems(
        self, request: items_pb2.WatchItemsRequest, context: Context
    ) -> AsyncIterator[items_pb2.ItemEvent]:
        subscription = self._items.watch_items(current_principal(), filter=request.filter)
        async with subscription as events:
            # Headers now tell the client the watch is live: writes committed after it
            # receives them are guaranteed to be streamed.
            await context.send_initial_metadata(())
            async for event in events:
                yield items_pb2.ItemEvent(
                    type=_TO_PB_EVENT[event.type], item=item_to_pb(event.item)
                )

    async def ExportInspections(
        self, request: exports_pb2.ExportInspectionsRequest, context: Context
    ) -> AsyncIterator[exports_pb2.ExportChunk]:
        if request.format != exports_pb2.EXPORT_FORMAT_LIVES:
            raise InvalidArgument.field(
                "format",
                "must be EXPORT_FORMAT_LIVES"
                if request.format == exports_pb2.EXPORT_FORMAT_UNSPECIFIED
                else f"unknown export format {request.format}; use EXPORT_FORMAT_LIVES",
            )
        chunks = self._exports.export_lives(current_principal(), filter=request.filter)
        async for chunk in chunks:
            for piece in _pieces(chunk.file_name, chunk.data):
                yield piece

    async def RenderInspectionReport(
        self, request: exports_pb2.RenderInspectionReportRequest, context: Context
    ) -> AsyncIterator[exports_pb2.ExportChunk]:
        name, pdf = await self._reports.render_inspection_report(current_principal(), request.id)
        for piece in _pieces(name, pdf):
            yield piece


def _pieces(file_name: str, data: bytes) -> list[exports_pb2.ExportChunk]:
    """`data` as chunks of at most CHUNK_BYTES."""
    return [
        exports_pb2.ExportChunk(file_name=file_name, data=data[start : start + CHUNK_BYTES])
        for start in range(0, len(data), CHUNK_BYTES)
    ]
