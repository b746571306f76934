"""Keyset pagination for every list (AIP-132/158): page sizes, `order_by`, page tokens.

- `clamp_page_size(n)`: 0 -> 50, above 1000 -> 1000, negative -> INVALID_ARGUMENT.
- `OrderSpec.parse(order_by)`: a comma list of sortable fields, each optionally
  followed by `desc` (or `asc`); unknown or repeated fields -> INVALID_ARGUMENT. The
  tiebreaker (a unique column, e.g. `id`) is always appended in the direction of the
  last key, so the order is total and one index can serve it.
- Page tokens are opaque base64url JSON holding the last row's sort key and a
  fingerprint of (list name, caller, canonical filter, canonical order). They grant
  nothing: the next page is still narrowed by the caller's visibility and filter.
  A token presented with another filter/order/caller, or one that does not decode,
  is INVALID_ARGUMENT on `page_token`. The page size may change between pages.
- A list may put the total it counted for its first page in the token (`total=`), so
  later pages skip a COUNT that costs O(matching rows) (~95 ms per million on SQLite):
  AIP-158 lets total_size be an estimate, and this one is exact as of the first page.
  A forged total only misleads the caller holding the token.
- The repositories turn an `Ordering` into ORDER BY and the keyset predicate
  (repositories/sql_lists.py); the cost of page N does not grow with N. Sort columns
  must be NOT NULL.

Lists use these through `domain/listing.py` (`ListSpec`, `ListQuery`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from opengovfood.domain.timestamps import from_micros, to_micros
from opengovfood.errors import InvalidArgument
from opengovfood.reasons import Reason

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_TOKEN_VERSION = 1
_MAX_TOKEN_LENGTH = 2048

SortKind = Literal["integer", "text", "timestamp"]


def clamp_page_size(value: int, argument: str = "page_size") -> int:
    if value < 0:
        raise InvalidArgument.field(argument, "must not be negative")
    if value == 0:
        return DEFAULT_PAGE_SIZE
    return min(value, MAX_PAGE_SIZE)


@dataclass(frozen=True, eq=False)
class SortField:
    """A field a list may be ordered by (repositories map `name` to a column)."""

    name: str
    kind: SortKind
    attribute: str  # attribute of a record holding the value


@dataclass(frozen=True, eq=False)
class Ordering:
    keys: tuple[tuple[SortField, bool], ...]  # (field, descending)

    @property
    def canonical(self) -> str:
        return ",".join(f"{f.name} desc" if desc else f.name for f, desc in self.keys)

    def key_of(self, row: object) -> tuple[Any, ...]:
        return tuple(getattr(row, f.attribute) for f, _ in self.keys)


class OrderSpec:
    """The fields one list may be ordered by."""

    def __init__(
        self,
        fields: Iterable[SortField],
        tiebreaker: SortField,
        default: str,
        argument: str = "order_by",
    ) -> None:
        self.fields: Mapping[str, SortField] = {f.name: f for f in fields}
        self.tiebreaker = tiebreaker
        self.default = default
        self.argument = argument

    def parse(self, text: str) -> Ordering:
        text = text.strip() or self.default
        keys: list[tuple[SortField, bool]] = []
        seen: set[str] = set()
        for index, part in enumerate(text.split(",")):
            words = part.split()
            if not words:
                raise InvalidArgument.field(
                    self.argument, f"item {index + 1} is empty", reason=Reason.ORDER_BY_INVALID
                )
            name = words[0]
            field = self.fields.get(name)
            if field is None:
                known = ", ".join(self.fields)
                raise InvalidArgument.field(
                    self.argument,
                    f"cannot order by {name!r} (use {known}, each optionally desc)",
                    reason=Reason.ORDER_BY_INVALID,
                )
            if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                raise InvalidArgument.field(
                    self.argument,
                    f"expected 'desc' or nothing after {name}, got {part.strip()!r}",
                    reason=Reason.ORDER_BY_INVALID,
                )
            if name in seen:
                raise InvalidArgument.field(
                    self.argument, f"{name} is listed twice", reason=Reason.ORDER_BY_INVALID
                )
            seen.add(name)
            keys.append((field, len(words) == 2 and words[1].lower() == "desc"))
        # Anything after a unique key is redundant; make the order total with the tiebreaker.
        unique = self.tiebreaker.name
        cut = next((i for i, (f, _) in enumerate(keys) if f.name == unique), None)
        if cut is not None:
            keys = keys[: cut + 1]
        else:
            keys.append((self.tiebreaker, keys[-1][1]))
        return Ordering(tuple(keys))


def fingerprint(*parts: str) -> str:
    """What a page token is bound to."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def _encode_value(kind: SortKind, value: Any) -> Any:
    if kind == "timestamp":
        assert isinstance(value, datetime)
        return to_micros(value)
    return value


def _decode_value(kind: SortKind, value: Any) -> Any:
    if kind == "timestamp":
        if type(value) is not int:
            raise ValueError
        return from_micros(value)
    if kind == "integer":
        if type(value) is not int:
            raise ValueError
        return value
    if type(value) is not str:
        raise ValueError
    return value


def encode_token(
    ordering: Ordering, row: object, query_fingerprint: str, total: int | None = None
) -> str:
    """`total`, when given, is carried to the next pages (see `decode_cursor`)."""
    key = [
        _encode_value(f.kind, v)
        for (f, _), v in zip(ordering.keys, ordering.key_of(row), strict=True)
    ]
    fields: dict[str, Any] = {"v": _TOKEN_VERSION, "q": query_fingerprint, "k": key}
    if total is not None:
        fields["t"] = total
    body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page token continues: after `key`; `total` is the total_size the
    first page counted, when the token carries one."""

    key: tuple[Any, ...]
    total: int | None


def decode_cursor(
    token: str, ordering: Ordering, query_fingerprint: str, argument: str = "page_token"
) -> Cursor | None:
    """The token's `Cursor`; None for an empty token."""
    if not token:
        return None
    invalid = InvalidArgument.field(
        argument, "is not a page token this list issued", reason=Reason.PAGE_TOKEN_INVALID
    )
    if len(token) > _MAX_TOKEN_LENGTH:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(body, dict) or body.get("v") != _TOKEN_VERSION:
        raise invalid
    if body.get("q") != query_fingerprint:
        raise InvalidArgument.field(
            argument,
            "was issued for a different filter, order_by or caller; "
            "start again without a page_token",
        )
    key = body.get("k")
    total = body.get("t")
    if not isinstance(key, list) or len(key) != len(ordering.keys):
        raise invalid
    if total is not None and (type(total) is not int or total < 0):
        raise invalid
    try:
        values = tuple(
            _decode_value(f.kind, v) for (f, _), v in zip(ordering.keys, key, strict=True)
        )
    except (ValueError, OverflowError):
        raise invalid from None
    return Cursor(values, total)


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str
    total_size: int
