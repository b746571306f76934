"""ListAnalyses' filter (AND-ed comparisons on ``item_id`` and ``create_time``) and
its opaque keyset page tokens."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import UTC, datetime
from typing import cast

from opengovfood.errors import InvalidArgument
from opengovfood.repositories.analyses import Comparison, Op

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_FILTER_LENGTH = 1000

_TERM = re.compile(
    r"""\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s*
        (?P<op><=|>=|!=|=|<|>)\s*
        (?P<value>"[^"]*"|[^\s"()]+)\s*""",
    re.VERBOSE,
)
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)
_FIELDS = ("item_id", "create_time")


def page_size(value: int) -> int:
    if value < 0:
        raise InvalidArgument.field("page_size", "must not be negative")
    if value == 0:
        return DEFAULT_PAGE_SIZE
    return min(value, MAX_PAGE_SIZE)


def _bad(description: str) -> InvalidArgument:
    return InvalidArgument.field("filter", description)


def _timestamp(raw: str) -> datetime:
    text = raw[1:-1] if raw.startswith('"') else raw
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"create_time needs an RFC 3339 timestamp, got {raw}") from None
    if value.tzinfo is None:
        raise _bad(f"create_time needs a time zone (e.g. 'Z'), got {raw}")
    return value.astimezone(UTC)


def parse_filter(text: str) -> list[Comparison]:
    """``item_id = 5 AND create_time >= "2025-01-01T00:00:00Z"``; empty: no filter.

    ``item_id = 0`` selects analyses attached to no item.
    """
    text = text.strip()
    if not text:
        return []
    if len(text) > MAX_FILTER_LENGTH:
        raise _bad(f"must be at most {MAX_FILTER_LENGTH} characters")
    comparisons: list[Comparison] = []
    for part in _AND.split(text):
        match = _TERM.fullmatch(part)
        if match is None:
            raise _bad(
                f"cannot parse '{part.strip()}'; expected comparisons such as "
                "'item_id = 5' joined by AND"
            )
        field, op, raw = match["field"], cast(Op, match["op"]), match["value"]
        if field not in _FIELDS:
            raise _bad(f"unknown field '{field}'; filter on item_id or create_time")
        if field == "item_id":
            if not re.fullmatch(r"-?\d{1,19}", raw):
                raise _bad(f"item_id needs an integer, got {raw}")
            number = int(raw)
            if number == 0 and op not in ("=", "!="):
                raise _bad("item_id = 0 (no item) only works with = and !=")
            comparisons.append(Comparison("item_id", op, number or None))
        else:
            comparisons.append(Comparison("create_time", op, _timestamp(raw)))
    return comparisons


def _fingerprint(filter_text: str) -> str:
    normalized = " ".join(filter_text.split())
    return hashlib.sha256(normalized.encode()).hexdigest()[:16]


def encode_token(filter_text: str, create_time: datetime, last_id: int) -> str:
    payload = {"t": create_time.astimezone(UTC).isoformat(), "i": last_id}
    payload["f"] = _fingerprint(filter_text)
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, filter_text: str) -> tuple[datetime, int] | None:
    """The keyset position in ``token``; ``None`` for an empty token.

    A token only encodes a position: the owner filter always applies, so a token
    grants nothing. A token from another filter is refused.
    """
    if not token:
        return None
    bad = InvalidArgument.field("page_token", "is not a valid page token")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        position = (datetime.fromisoformat(payload["t"]), int(payload["i"]))
        fingerprint = str(payload["f"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise bad from None
    if fingerprint != _fingerprint(filter_text):
        raise InvalidArgument.field(
            "page_token", "was issued for a different filter; start again without a token"
        )
    return position
