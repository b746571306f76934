"""Items as every layer sees them: the record, its status, its etag, its events."""

from __future__ import annotations

import enum
import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime

from opengovfood.domain.timestamps import to_micros
from opengovfood.errors import InvalidArgument
from opengovfood.reasons import Reason


class ItemStatus(enum.StrEnum):
    """Stored values, in the proto enum's declared order."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ItemKind(enum.StrEnum):
    """What kind of visit an item records; stored values, in the proto's order."""

    UNSPECIFIED = "unspecified"
    ROUTINE_INSPECTION = "routine_inspection"
    FOLLOW_UP = "follow_up"
    COMPLAINT = "complaint"
    PRE_OPENING = "pre_opening"
    OTHER = "other"


class InspectionResult(enum.StrEnum):
    """An inspection's outcome; stored values, in the proto's order."""

    UNSPECIFIED = "unspecified"
    PASS = "pass"
    PASS_WITH_CONDITIONS = "pass_with_conditions"
    FAIL = "fail"
    NO_ENTRY = "no_entry"


# Remembered: a page of 50 items hashed 50 times per ListItems (a tenth of its CPU).
@functools.lru_cache(maxsize=65536)
def make_etag(item_id: int, version: int, create_time: datetime) -> str:
    """Strong etag: the version plus a hash binding it to this item (and this
    incarnation of the id, via create_time), so an etag from another item never
    matches."""
    digest = hashlib.sha256(f"{item_id}:{version}:{to_micros(create_time)}".encode()).hexdigest()
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
    # The inspection record (all optional; an item need not be an inspection).
    establishment_id: int | None = None
    kind: ItemKind = ItemKind.UNSPECIFIED
    result: InspectionResult = InspectionResult.UNSPECIFIED
    score: int = 0
    inspect_time: datetime | None = None  # None only before it is stored: then create_time

    @property
    def etag(self) -> str:
        return make_etag(self.id, self.version, self.create_time)


# Stored value -> enum; a dict lookup is faster than ItemStatus(value).
STATUSES = {status.value: status for status in ItemStatus}
KINDS = {kind.value: kind for kind in ItemKind}
RESULTS = {result.value: result for result in InspectionResult}


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item to create (fields validated); the repository adds id, times, version."""

    title: str
    description: str
    status: ItemStatus
    owner_id: int
    establishment_id: int | None = None
    kind: ItemKind = ItemKind.UNSPECIFIED
    result: InspectionResult = InspectionResult.UNSPECIFIED
    score: int = 0
    inspect_time: datetime | None = None  # None: the create time


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


@dataclass(frozen=True, slots=True)
class ItemChanges:
    """The fields an update sets (validated); None leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    status: ItemStatus | None = None
    establishment_id: int | None = None  # 0 clears it (the item names no establishment)
    kind: ItemKind | None = None
    result: InspectionResult | None = None
    score: int | None = None
    inspect_time: datetime | None = None
    inspect_time_reset: bool = False  # back to the create time (masked, no value)


class UnknownEstablishment(Exception):
    """A write named an establishment that is not there (deleted meanwhile)."""


class WriteMiss(enum.Enum):
    """Why a conditional update or delete changed nothing."""

    NOT_FOUND = "not_found"  # no such item within the caller's scope
    STALE = "stale"  # the item is there, at another version than the etag named


@dataclass(frozen=True, slots=True)
class PriorRequest:
    """An idempotent create whose request_id was used before: what that call sent
    (`body_hash`) and the item it created (None: deleted since)."""

    body_hash: str
    item: ItemRecord | None
