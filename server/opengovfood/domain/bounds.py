"""Values from clients, range-checked into what the database can hold — in one place.

Proto fields arrive typed, but not every number or time the server binds into SQL
comes from a typed field: filters spell values as text, page tokens carry them back,
and an LLM's tool call sends JSON numbers of any size. SQLite's INTEGER and
PostgreSQL's BIGINT hold int64; Python's datetime (and so both drivers) holds years
1 to 9999 in UTC; text must be valid UTF-8 (no lone surrogates). Anything outside is
INVALID_ARGUMENT here, never an OverflowError or UnicodeEncodeError deeper down.

Each check raises `OutOfRange` (a ValueError with a message for the caller), so
parsers can add their position; request handlers use the `checked_*` forms, which
answer INVALID_ARGUMENT on the field.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opengovfood.errors import InvalidArgument

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MIN_TIME = datetime(1, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TIME_RANGE = "0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"


class OutOfRange(ValueError):
    """A value the database cannot hold; the message is meant for the caller."""


def int64(value: int, name: str) -> int:
    if type(value) is not int or not INT64_MIN <= value <= INT64_MAX:
        raise OutOfRange(f"{name} must be an integer from {INT64_MIN} to {INT64_MAX}")
    return value


def positive_id(value: int, name: str) -> int:
    """An id column's value: 1 to 2^63-1."""
    if type(value) is not int or not 0 < value <= INT64_MAX:
        raise OutOfRange(f"{name} must be a positive id of at most {INT64_MAX}")
    return value


def utc(value: datetime, name: str) -> datetime:
    """An aware datetime converted to UTC, within years 1 to 9999 once converted."""
    try:
        converted = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise OutOfRange(f"{name} is out of range ({TIME_RANGE})") from None
    return converted


def from_micros(value: int, name: str) -> datetime:
    """Microseconds since the Unix epoch (how page tokens carry times) -> UTC datetime."""
    if type(value) is not int:
        raise OutOfRange(f"{name} must be an integer")
    try:
        moment = _EPOCH + timedelta(microseconds=value)
    except OverflowError:
        raise OutOfRange(f"{name} is out of range ({TIME_RANGE})") from None
    return moment


def text(value: str, name: str, max_chars: int) -> str:
    """Text the database can store: at most `max_chars`, valid UTF-8 (the length first,
    so the encoding check only runs on bounded text)."""
    if type(value) is not str or len(value) > max_chars:
        raise OutOfRange(f"{name} must be text of at most {max_chars} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise OutOfRange(f"{name} must be valid Unicode text") from None
    return value


def checked_id(value: int, field: str) -> int:
    """`positive_id` for a request field: INVALID_ARGUMENT on `field`."""
    try:
        return positive_id(value, field)
    except OutOfRange as exc:
        raise InvalidArgument.field(field, _without_name(str(exc), field)) from None


def checked_int64(value: int, field: str) -> int:
    try:
        return int64(value, field)
    except OutOfRange as exc:
        raise InvalidArgument.field(field, _without_name(str(exc), field)) from None


def _without_name(message: str, name: str) -> str:
    # "id must be ..." on field "id" reads "id: must be ..." in the status.
    return message[len(name) + 1 :] if message.startswith(name + " ") else message
