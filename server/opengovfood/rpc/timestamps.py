"""datetime <-> google.protobuf.Timestamp, the one way every servicer converts them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf import timestamp_pb2

from opengovfood.errors import InvalidArgument

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def set_timestamp(stamp: timestamp_pb2.Timestamp, value: datetime) -> None:
    """Fill a message's Timestamp field in place from an aware datetime.

    By arithmetic: Timestamp.FromDatetime and copying a sub-message into the parent
    made an Item's conversion ~16 us; a ListItems page converts 50 of them."""
    delta = value - _EPOCH
    stamp.seconds = delta.days * 86400 + delta.seconds
    stamp.nanos = delta.microseconds * 1000


def get_timestamp(stamp: timestamp_pb2.Timestamp, field: str) -> datetime:
    """A message's Timestamp as an aware UTC datetime; INVALID_ARGUMENT on `field` when
    it is outside what Timestamp allows (years 1 to 9999) or its nanos are invalid."""
    if not 0 <= stamp.nanos < 1_000_000_000:
        raise InvalidArgument.field(field, "nanos must be from 0 to 999999999")
    try:
        return _EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)
    except OverflowError:
        raise InvalidArgument.field(
            field, "is out of range (0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)"
        ) from None
