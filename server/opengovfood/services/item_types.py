"""Plain values the items service takes and returns (no ORM, no protobuf)."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opengovfood.errors import InvalidArgument
from opengovfood.reasons import Reason

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ItemStatus(enum.StrEnum):
    """Stored values, in the proto enum's declared order."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


def micros(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def make_etag(item_id: int, version: int, create_time: datetime) -> str:
    """Strong etag: the version plus a hash binding it to this item (and this
    incarnation of the id, via create_time), so an etag from another item never
    matches."""
    digest = hashlib.sha256(f"{item_id}:{version}:{micros(create_time)}".encode()).hexdigest()
    return f"{version}-{digest[:12]}"


def etag_version(etag: str, argument: str) -> int:
    """The version an etag names; INVALID_ARGUMENT if it is not one of ours."""
    version, sep, digest = etag.partition("-")
    if (
        not sep
        or not version.isdigit()
        or len(version) > 12
        or len(digest) != 12
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise InvalidArgument.field(
            argument, "is not an etag this service issued", reason=Reason.ETAG_INVALID
        )
    return int(version)


@dataclass(frozen=True, slots=True)
class ItemRecord:
    id: int
    title: str
    description: str
    status: ItemStatus
    owner_id: int
    create_time: datetime
    update_time: datetime
    version: int

    @property
    def etag(self) -> str:
        return make_etag(self.id, self.version, self.create_time)

    @classmethod
    def from_row(cls, row: Any) -> ItemRecord:
        """From a row in repositories.items.COLUMNS order (a tuple or a Row)."""
        id_, title, description, status, owner_id, create_time, update_time, version = row
        return cls(
            id_, title, description, _STATUSES[status], owner_id, create_time, update_time, version
        )


_STATUSES = {status.value: status for status in ItemStatus}  # faster than ItemStatus(v)


class EventType(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class ItemEvent:
    """One committed change. For DELETED, `item` is the last state."""

    type: EventType
    item: ItemRecord

    @property
    def order_key(self) -> tuple[int, int]:
        """Later writes of one item have larger keys (a delete follows its last version)."""
        return (self.item.version, 1 if self.type is EventType.DELETED else 0)
