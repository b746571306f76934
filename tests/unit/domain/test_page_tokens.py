"""Page sizes, order_by and page tokens (domain/pagination.py, domain/listing.py)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from opengovfood.domain.filters import FilterSpec, integer_field, text_field
from opengovfood.domain.listing import ListSpec
from opengovfood.domain.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    OrderSpec,
    PageTokens,
    SortField,
    clamp_page_size,
)
from opengovfood.errors import InvalidArgument

_ID = SortField("id", "integer", "id")
ORDER = OrderSpec(
    [
        SortField("create_time", "timestamp", "create_time"),
        SortField("title", "text", "title"),
        _ID,
    ],
    tiebreaker=_ID,
    default="create_time desc",
)
TOKENS = PageTokens(b"a unit test's page token key, 32 bytes or more")
THINGS = ListSpec(
    "things", FilterSpec([integer_field("owner_id"), text_field("title")]), ORDER, carry_total=True
)


@dataclass
class Thing:
    id: int
    title: str
    create_time: datetime


def violation(error: pytest.ExceptionInfo[InvalidArgument]) -> tuple[str, str]:
    (found,) = error.value.violations
    return found.field, found.description


def test_page_sizes() -> None:
    assert clamp_page_size(0) == DEFAULT_PAGE_SIZE
    assert clamp_page_size(7) == 7
    assert clamp_page_size(10**9) == MAX_PAGE_SIZE
    with pytest.raises(InvalidArgument) as error:
        clamp_page_size(-1)
    assert violation(error) == ("page_size", "must not be negative")


def test_order_by_gets_the_tiebreaker_in_the_last_direction() -> None:
    assert ORDER.parse("").canonical == "create_time desc,id desc"
    assert ORDER.parse(" title , create_time DESC").canonical == "title,create_time desc,id desc"
    assert ORDER.parse("id desc, title").canonical == "id desc"  # nothing after a unique key


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("owner_id", "cannot order by 'owner_id'"),
        ("title sideways", "expected 'desc' or nothing after title"),
        ("title, title", "title is listed twice"),
        ("title,,id", "item 2 is empty"),
    ],
)
def test_bad_order_by(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        ORDER.parse(text)
    assert violation(error)[0] == "order_by"
    assert message in violation(error)[1]


def page_of(rows: list[Thing], **request: object) -> tuple[list[Thing], str]:
    query = THINGS.query(TOKENS, "user:1", **request)  # type: ignore[arg-type]
    page = THINGS.page(TOKENS, query, rows[: query.page_size + 1], total=len(rows))
    return page.items, page.next_page_token


def test_token_round_trip_carries_the_key_and_the_total() -> None:
    stamp = datetime(2026, 1, 31, 8, 0, 0, 123456, tzinfo=UTC)
    rows = [Thing(i, f"t{i}", stamp) for i in (3, 2, 1)]
    first, token = page_of(rows, page_size=2)
    assert [t.id for t in first] == [3, 2]
    assert token
    query = THINGS.query(TOKENS, "user:1", page_size=2, page_token=token)
    assert query.after == (stamp, 2)  # microseconds survive
    assert query.total == 3
    assert query.known_total(fetched=1) == 3


def test_a_complete_first_page_is_its_own_count() -> None:
    query = THINGS.query(TOKENS, "user:1", page_size=5)
    assert query.known_total(fetched=3) == 3
    assert query.known_total(fetched=6) is None  # more follow: count them


def test_tokens_are_bound_to_filter_order_and_caller() -> None:
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    _, token = page_of([Thing(2, "b", stamp), Thing(1, "a", stamp)], page_size=1, filter="title:a")
    THINGS.query(TOKENS, "user:1", page_token=token, filter='title : "a"')  # same filter, respelled
    for request in (
        {"filter": "title:b"},
        {"filter": "title:a", "order_by": "title"},
    ):
        with pytest.raises(InvalidArgument) as error:
            THINGS.query(TOKENS, "user:1", page_token=token, **request)  # type: ignore[arg-type]
        assert "different filter, order_by or caller" in violation(error)[1]
    with pytest.raises(InvalidArgument):
        THINGS.query(TOKENS, "user:2", page_token=token, filter="title:a")


def _forged(body: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "garbage!",
        "e30",  # {}
        _forged({"v": 99, "q": "x", "k": []}),
        _forged([1, 2]),
        "x" * 5000,
    ],
)
def test_tokens_we_did_not_issue(token: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        THINGS.query(TOKENS, "user:1", page_token=token)
    assert violation(error)[0] == "page_token"


def _body(token: str) -> dict[str, object]:
    payload = token.split(".")[0]
    body: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    body.pop("v")
    return body


def test_a_token_with_a_wrong_key_is_refused() -> None:
    """Even signed by us (tokens made by hand are refused by their signature first),
    a token whose values the database cannot hold is not one we issued."""
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    _, token = page_of([Thing(2, "b", stamp), Thing(1, "a", stamp)], page_size=1)
    body = _body(token)
    for key in (
        ["not a time", 1],
        [1],
        [1, "2"],
        [2**62, 1],  # microseconds past year 9999
        [0, 2**64],  # no database integer holds it
        [0, -(2**63) - 1],
    ):
        with pytest.raises(InvalidArgument, match="not a page token this list issued"):
            THINGS.query(TOKENS, "user:1", page_token=TOKENS.seal({**body, "k": key}))
    for total in (-1, 2**64, "3", 1.5):
        with pytest.raises(InvalidArgument):
            THINGS.query(TOKENS, "user:1", page_token=TOKENS.seal({**body, "t": total}))
    by_title = THINGS.query(TOKENS, "user:1", order_by="title")
    title_body = {"q": by_title.fingerprint, "k": ["\ud800", 1]}
    with pytest.raises(InvalidArgument):
        THINGS.query(TOKENS, "user:1", order_by="title", page_token=TOKENS.seal(title_body))


def test_unsigned_and_foreign_tokens_say_start_again() -> None:
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    _, token = page_of([Thing(2, "b", stamp), Thing(1, "a", stamp)], page_size=1)
    body = _body(token)
    other = PageTokens(b"another server's key, also 32 bytes long!")
    for forged in (_forged({"v": 1, **body}), other.seal(body), token[:-4] + "AAAA"):
        with pytest.raises(InvalidArgument) as error:
            THINGS.query(TOKENS, "user:1", page_token=forged)
        assert violation(error) == (
            "page_token",
            "is not a page token this list issued; start again without a page_token",
        )
    assert THINGS.query(TOKENS, "user:1", page_token=token).after is not None
