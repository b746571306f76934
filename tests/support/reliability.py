"""Helpers for the reliability suite: every method from the descriptors, calls by
path with any payload, database snapshots and the "no internals" check."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import message, message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from opengovfood.db.models import Base
from opengovfood_client.v1 import agent_pb2, establishments_pb2, items_pb2, users_pb2

PACKAGE = "opengovfood.v1"
# Figures the suite reports at the end of a run (cases run, faults injected, writes checked).
FIGURES: dict[str, int] = {}


def count(key: str, n: int = 1) -> None:
    FIGURES[key] = FIGURES.get(key, 0) + n


Metadata = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Method:
    path: str  # /opengovfood.v1.ItemService/GetItem
    descriptor: MethodDescriptor

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[1]

    @property
    def streaming(self) -> bool:
        return bool(self.descriptor.server_streaming)

    def request_class(self) -> type[message.Message]:
        return message_factory.GetMessageClass(self.descriptor.input_type)

    def response_class(self) -> type[message.Message]:
        return message_factory.GetMessageClass(self.descriptor.output_type)


def all_methods() -> list[Method]:
    """Every method of every opengovfood.v1 service, read from the generated descriptors."""
    found: list[Method] = []
    for module in (users_pb2, items_pb2, agent_pb2, establishments_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            assert service.full_name.startswith(PACKAGE + ".")
            for method in service.methods:
                found.append(Method(f"/{service.full_name}/{method.name}", method))
    return found


@dataclass
class Outcome:
    code: grpc.StatusCode
    details: str
    responses: list[Any]
    reason: str | None = None  # google.rpc.ErrorInfo.reason, when the status had one
    domain: str | None = None


async def call(
    channel: grpc.aio.Channel,
    method: Method,
    request: message.Message | bytes,
    metadata: Metadata | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 - the gRPC deadline, passed on
    stream_wait: float = 0.3,
) -> Outcome:
    """Call `method` with a message or raw bytes. A stream that stays open is read for
    `stream_wait` seconds and then cancelled: its outcome is OK with what came so far."""
    serializer = (lambda raw: raw) if isinstance(request, bytes) else _serialize
    deserializer = method.response_class().FromString
    md = tuple(metadata) if metadata else None
    responses: list[Any] = []
    try:
        if not method.streaming:
            multi = channel.unary_unary(
                method.path, request_serializer=serializer, response_deserializer=deserializer
            )
            responses.append(await multi(request, metadata=md, timeout=timeout))
            return Outcome(grpc.StatusCode.OK, "", responses)
        stream_call = channel.unary_stream(
            method.path, request_serializer=serializer, response_deserializer=deserializer
        )(request, metadata=md, timeout=timeout)
        try:
            async with asyncio.timeout(stream_wait):
                async for response in stream_call:
                    responses.append(response)
        except TimeoutError:
            # Still open and not refused: the server accepted the stream.
            stream_call.cancel()
        return Outcome(grpc.StatusCode.OK, "", responses)
    except grpc.aio.AioRpcError as error:
        reason, domain = error_info(error)
        return Outcome(error.code(), error.details() or "", responses, reason, domain)


def error_info(error: grpc.aio.AioRpcError) -> tuple[str | None, str | None]:
    """The ErrorInfo reason and domain of a failed call's rich status."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason, info.domain
    return None, None


# Statuses the server itself answers carry an ErrorInfo; these may come from the
# client or the transport instead (a deadline, a cancelled stream, a dropped call).
TRANSPORT_CODES = (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)


def assert_error_info(outcome: Outcome, where: str) -> None:
    if outcome.code == grpc.StatusCode.OK or outcome.code in TRANSPORT_CODES:
        return
    if "metadata size exceeds" in outcome.details:
        return  # the client refused the trailer (its 16 KiB limit): the server's status is lost
    if outcome.code == grpc.StatusCode.RESOURCE_EXHAUSTED and outcome.details.startswith(
        "SERVER: Received message larger than max"
    ):
        # gRPC core refused a request above OPENGOVFOOD_MAX_MESSAGE_BYTES before any of our
        # code ran (several 1 MB fields in one message, e.g. an Establishment's address).
        return
    assert outcome.domain == "opengovfood.v1", f"{where}: no ErrorInfo: {outcome}"
    assert outcome.reason, outcome
    assert re.fullmatch(r"[A-Z][A-Z0-9_]*[A-Z0-9]", outcome.reason), outcome


def _serialize(request: message.Message) -> bytes:
    return request.SerializeToString()


# What a message must never show a caller: SQL, tracebacks, Python names, file paths.
_INTERNALS = re.compile(
    r"Traceback|File \"|\.py\b|/home/|/usr/|/work/|site-packages|sqlalchemy|asyncpg|aiosqlite"
    r"|psycopg|sqlite3|\bSELECT\b|\bINSERT\b|\bUPDATE\b .* SET|\bDELETE FROM\b|\bWHERE\b"
    r"|Error\b|Exception\b|\bNoneType\b|\bobject at 0x|<[a-z_.]+ object|\bKeyError|\bValueError"
    r"|\bTypeError|\bAttributeError|IntegrityError|OperationalError|\[SQL:",
)


def internals_in(details: str, echoed: Sequence[str] = ()) -> str | None:
    """The internal detail `details` leaks, or None. `echoed`: the caller's own strings,
    which a message may quote back ("unknown field 'DELETE FROM'" is not a leak)."""
    for value in sorted(echoed, key=len, reverse=True):
        if value:
            details = details.replace(value, "")
            details = details.replace(repr(value)[1:-1], "")
    found = _INTERNALS.search(details)
    return found.group(0) if found else None


FORBIDDEN_CODES = (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)


async def health_status(channel: grpc.aio.Channel, service: str = "") -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    return int(reply.status)


SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

# The column naming whose row it is, per table (rows of the caller may change).
OWNER_COLUMNS = {
    "users": "id",
    "refresh_tokens": "user_id",
    "items": "owner_id",
    "item_counts": "owner_id",
    "establishment_counts": "owner_id",
    "item_requests": "owner_id",
    "inspection_analyses": "owner_id",
    "conversations": "owner_id",
    "establishments": "owner_id",
    "establishment_requests": "owner_id",
}

Snapshot = dict[str, dict[Any, tuple[Any, ...]]]


async def snapshot(engine: AsyncEngine) -> Snapshot:
    """Every row of every table, by primary key (the test databases are small)."""
    result: Snapshot = {}
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = (await connection.execute(select(table))).all()
            pk = [c.name for c in table.primary_key.columns]
            keys = list(table.columns.keys())
            result[table.name] = {
                tuple(getattr(row, k) for k in pk): tuple(getattr(row, k) for k in keys)
                for row in rows
            }
    return result


def changes(before: Snapshot, after: Snapshot, except_owner: int | None = None) -> list[str]:
    """Rows added, removed or changed, leaving out rows owned by `except_owner`."""
    found: list[str] = []
    for table in Base.metadata.sorted_tables:
        owner_col = OWNER_COLUMNS.get(table.name)
        owner_index = list(table.columns.keys()).index(owner_col) if owner_col else None
        old, new = before.get(table.name, {}), after.get(table.name, {})
        for key in old.keys() | new.keys():
            if old.get(key) == new.get(key):
                continue
            row = new.get(key) or old[key]
            if (
                except_owner is not None
                and owner_index is not None
                and row[owner_index] == except_owner
            ):
                continue
            if table.name == "conversation_messages" and except_owner is not None:
                continue  # checked through conversations' owners by the callers
            if table.name == "item_requests" and key in old and key not in new:
                continue  # expired idempotency records are purged in the background
            if table.name == "item_outbox":
                continue  # a queue: the notifier deletes each event once NOTIFYed; items is checked
            found.append(f"{table.name}{key}: {old.get(key)} -> {new.get(key)}")
    return found
