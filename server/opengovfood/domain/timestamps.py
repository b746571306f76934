"""datetime <-> integer microseconds since the epoch (UTC): the one conversion page
tokens, etags and event payloads use. (rpc/timestamps.py converts to protobuf.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(value: datetime) -> int:
    """An aware datetime as microseconds since the epoch."""
    return (value - EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    """Microseconds since the epoch as an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=value)


def utcnow() -> datetime:
    """Now, aware UTC."""
    return datetime.now(UTC)
