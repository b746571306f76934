"""One way to ask for a page of any list: `ListSpec` (what a list may be filtered and
ordered by) turns a request's page_size / page_token / filter / order_by into a
`ListQuery`, which every repository's `page` and `count` take; `ListSpec.page` turns
the rows back into a `Page` with its next page token.

    ITEMS = ListSpec("items", ITEM_FILTERS, ITEM_ORDER, carry_total=True)
    query = ITEMS.query(tokens, principal.key, page_size=20, page_token=token, filter=text)
    rows = await repository.page(query, scope)        # up to page_size + 1 rows
    total = query.known_total(len(rows))
    if total is None:
        total = await repository.count(query, scope)
    return ITEMS.page(tokens, query, rows, total)

`tokens` is the server's `PageTokens` (signed page tokens, domain/pagination.py).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from opengovfood.domain.filters import FilterSpec, ParsedFilter
from opengovfood.domain.pagination import (
    Ordering,
    OrderSpec,
    Page,
    PageTokens,
    clamp_page_size,
    fingerprint,
)

__all__ = ["ListQuery", "ListSpec", "Page"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A page request, validated: the filter's syntax tree, the total ordering, the
    keyset position (`after`: rows strictly after this sort key) and the page size.
    Repositories fetch `page_size + 1` rows, so the list knows whether more follow."""

    filter: ParsedFilter
    ordering: Ordering
    page_size: int
    after: tuple[Any, ...] | None = None
    total: int | None = None  # the count the first page put in the token (carry_total)
    fingerprint: str = ""  # what the page tokens are bound to

    @property
    def shape(self) -> Hashable:
        """What the SQL statement depends on (values bound per call excluded): a key
        for the repositories' statement caches."""
        return (
            self.filter.canonical,
            self.ordering.canonical,
            self.after is not None,
            self.page_size,
        )

    def known_total(self, fetched: int) -> int | None:
        """total_size without a COUNT when it is known: carried by the token, or a
        complete first page (`fetched` rows, at most page_size) is its own count."""
        if self.total is not None:
            return self.total
        if self.after is None and fetched <= self.page_size:
            return fetched
        return None


@dataclass(frozen=True, slots=True)
class ListSpec:
    """One list: its name (page tokens of one list never work on another), the fields
    it filters and orders by, and whether its tokens carry the first page's count
    (AIP-158 lets total_size be an estimate; deep pages then skip a COUNT)."""

    name: str
    filters: FilterSpec
    order: OrderSpec
    carry_total: bool = False

    def query(
        self,
        tokens: PageTokens,
        caller: str,
        *,
        page_size: int = 0,
        page_token: str = "",
        filter: str = "",  # the API's name, shadowing the builtin
        order_by: str = "",
    ) -> ListQuery:
        """Validate a request (INVALID_ARGUMENT naming the field); `caller` is the
        principal's key: a token works only for whoever it was issued to."""
        size = clamp_page_size(page_size)
        parsed = self.filters.parse(filter)
        ordering = self.order.parse(order_by)
        bound = fingerprint(self.name, caller, parsed.canonical, ordering.canonical)
        cursor = tokens.decode(page_token, ordering, bound)
        if cursor is None:
            return ListQuery(parsed, ordering, size, fingerprint=bound)
        total = cursor.total if self.carry_total else None
        return ListQuery(parsed, ordering, size, cursor.key, total, bound)

    def page(self, tokens: PageTokens, query: ListQuery, rows: Sequence[T], total: int) -> Page[T]:
        """The page of `rows` (as fetched: up to page_size + 1) and its next token."""
        size = query.page_size
        records = list(rows[:size])
        token = ""
        if len(rows) > size:
            carried = total if self.carry_total else None
            token = tokens.encode(query.ordering, records[-1], query.fingerprint, carried)
        return Page(records, token, total)
