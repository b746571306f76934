"""Keyset pagination for every list (AIP-132/158): page sizes, `order_by`, page tokens.

- `clamp_page_size(n)`: 0 -> 50, above 1000 -> 1000, negative -> INVALID_ARGUMENT.
- `OrderSpec.parse(order_by)`: a comma list of sortable fields, each optionally
  followed by `desc` (or `asc`); unknown or repeated fields -> INVALID_ARGUMENT. The
  tiebreaker (a unique column, e.g. `id`) is always appended in the direction of the
  last key, so the order is total and one index can serve it.
- Page tokens are opaque: base64url JSON holding the last row's sort key and a
  fingerprint of (list name, caller, canonical filter, canonical order), signed with
  HMAC-SHA256 under a key only the server knows (`PageTokens`, the key derived from the
  signing secret through its own label; services/tokens.py). They grant nothing: the
  next page is still narrowed by the caller's visibility and filter. A token presented
  with another filter/order/caller, one whose signature does not match (forged, or an
  older unsigned one) or one that does not decode is INVALID_ARGUMENT on `page_token`
  ("start again without a page_token"). Every value a token carries back is
  range-checked again (domain/bounds.py): it will be bound into SQL. The page size
  may change between pages.
- A list may put the total it counted for its first page in the token (`total=`), so
  later pages skip a COUNT that costs O(matching rows) (~95 ms per million on SQLite):
  AIP-158 lets total_size be an estimate, and this one is exact as of the first page.
  The signature means the total is the server's own count.
- The repositories turn an `Ordering` into ORDER BY and the keyset predicate
  (repositories/sql_lists.py); the cost of page N does not grow with N. Sort columns
  must be NOT NULL.

Lists use these through `domain/listing.py` (`ListSpec`, `ListQuery`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from opengovfood.domain import bounds
from opengovfood.domain.timestamps import to_micros
from opengovfood.errors import InvalidArgument, excerpt
from opengovfood.reasons import Reason

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_ORDER_BY_LENGTH = 200
_TOKEN_VERSION = 2  # 1: unsigned (refused since tokens are signed)
_MAX_TOKEN_LENGTH = 2048
_MAC_BYTES = 16  # HMAC-SHA256 truncated to 128 bits (RFC 2104 allows it; enough to forge nothing)
# What a sort key's text may be: the longest sortable column (titles) with room to spare.
_MAX_KEY_TEXT = 1000
PAGE_TOKEN_KEY_LABEL = b"opengovfood page tokens v2"
RESTART = "start again without a page_token"

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
        if len(text) > MAX_ORDER_BY_LENGTH:  # before any splitting
            raise InvalidArgument.field(
                self.argument,
                f"is longer than {MAX_ORDER_BY_LENGTH} characters",
                reason=Reason.ORDER_BY_INVALID,
            )
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
                    f"cannot order by {excerpt(name)} (use {known}, each optionally desc)",
                    reason=Reason.ORDER_BY_INVALID,
                )
            if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                raise InvalidArgument.field(
                    self.argument,
                    f"expected 'desc' or nothing after {name}, got {excerpt(part.strip())}",
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
    """A sort key value from a token, range-checked as if a client had typed it."""
    if kind == "timestamp":
        return bounds.from_micros(value, "key")
    if kind == "integer":
        return bounds.int64(value, "key")
    return bounds.text(value, "key", _MAX_KEY_TEXT)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page token continues: after `key`; `total` is the total_size the
    first page counted, when the token carries one."""

    key: tuple[Any, ...]
    total: int | None


class PageTokens:
    """Signs and checks page tokens: `<base64url JSON>.<base64url HMAC-SHA256>`.

    `key` must be known to the server only; build it with `TokenService.derive_key`
    (HMAC of the signing secret, or of the RS256/ES256 private key, with the label
    PAGE_TOKEN_KEY_LABEL), so every worker and instance with the same configuration
    accepts the others' tokens and nobody else can make one."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("page token keys must be at least 32 bytes")
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def seal(self, body: Mapping[str, Any]) -> str:
        """Any JSON object, signed; `open` gives it back."""
        payload = json.dumps({"v": _TOKEN_VERSION, **body}, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def open(self, token: str, argument: str = "page_token") -> dict[str, Any]:
        """The body of a token this server sealed; INVALID_ARGUMENT otherwise."""
        invalid = InvalidArgument.field(
            argument,
            f"is not a page token this list issued; {RESTART}",
            reason=Reason.PAGE_TOKEN_INVALID,
        )
        if len(token) > _MAX_TOKEN_LENGTH:
            raise invalid
        body_text, dot, mac_text = token.partition(".")
        if not dot:
            raise invalid  # an unsigned (version 1) token, or not a token at all
        try:
            payload, mac = _unb64(body_text), _unb64(mac_text)
        except (binascii.Error, ValueError):
            raise invalid from None
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise invalid
        try:
            body = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            raise invalid from None
        if not isinstance(body, dict) or body.get("v") != _TOKEN_VERSION:
            raise invalid
        return body

    def encode(
        self, ordering: Ordering, row: object, query_fingerprint: str, total: int | None = None
    ) -> str:
        """The token for the page after `row`; `total`, when given, is carried to the
        next pages (see `decode`)."""
        key = [
            _encode_value(f.kind, v)
            for (f, _), v in zip(ordering.keys, ordering.key_of(row), strict=True)
        ]
        fields: dict[str, Any] = {"q": query_fingerprint, "k": key}
        if total is not None:
            fields["t"] = total
        return self.seal(fields)

    def decode(
        self,
        token: str,
        ordering: Ordering,
        query_fingerprint: str,
        argument: str = "page_token",
    ) -> Cursor | None:
        """The token's `Cursor`; None for an empty token."""
        if not token:
            return None
        body = self.open(token, argument)
        if body.get("q") != query_fingerprint:
            raise InvalidArgument.field(
                argument,
                f"was issued for a different filter, order_by or caller; {RESTART}",
                reason=Reason.PAGE_TOKEN_INVALID,
            )
        invalid = InvalidArgument.field(
            argument,
            f"is not a page token this list issued; {RESTART}",
            reason=Reason.PAGE_TOKEN_INVALID,
        )
        key = body.get("k")
        total = body.get("t")
        if not isinstance(key, list) or len(key) != len(ordering.keys):
            raise invalid
        try:
            if total is not None:
                total = bounds.int64(total, "total")
                if total < 0:
                    raise invalid
            values = tuple(
                _decode_value(f.kind, v) for (f, _), v in zip(ordering.keys, key, strict=True)
            )
        except bounds.OutOfRange:
            raise invalid from None
        return Cursor(values, total)


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str
    total_size: int
