"""Items: ownership, validation, etags, idempotent creates, lists and watches.

The service API is plain Python so the gRPC servicer and the Agent's chat tools
(`list_items`, `get_item`, `create_item`, `update_item_status`) share the same rules.
Every method takes the calling `Principal` first (from `opengovfood.context`), plain
values after it, returns `ItemRecord`s (frozen dataclass; `.etag` included) and raises
`opengovfood.errors` exceptions:

    service = container.items
    item = await service.create_item(principal, title="Walk-in cooler", request_id=uuid)
    item = await service.get_item(principal, item.id)
    page = await service.list_items(principal, page_size=20, filter='status = PENDING')
    item = await service.update_item(principal, item.id, status="completed")
    item = await service.update_item(principal, item.id, title="New", etag=item.etag)
    await service.delete_item(principal, item.id, etag=item.etag)
    async with service.watch_items(principal, filter='title:"cooler"') as events:
        async for event in events: ...        # ItemEvent(type, item)

Rules:
- Who: a user reads and writes only their own items; another user's item is NOT_FOUND
  on every method. Superusers read and write all. Service principals need the
  `items:read` scope to read (all items) and may never write (PERMISSION_DENIED).
- `create_item`: title trimmed, 1-100 characters, no control characters; description
  at most 1000 characters (tabs and newlines allowed); status defaults to PENDING.
  Status accepts an `ItemStatus`, its value (`"in_progress"`) or name (`"IN_PROGRESS"`,
  `"ITEM_STATUS_IN_PROGRESS"`). `request_id` (a UUID) makes the call idempotent per
  caller for 24 hours: a repeat returns the item it created (its current state); the
  same request_id with a different title/description/status is INVALID_ARGUMENT; if
  that item was deleted since, NOT_FOUND. Concurrent duplicates create one item.
- `update_item`: `update_mask` paths are `title`, `description`, `status`, or `*`
  (all three). With a mask, masked fields take the given values (None means empty,
  so a masked `title=None` is invalid and a masked `status=None` is invalid). Without
  a mask, the fields that are not None are updated. Output-only paths (`id`,
  `owner_id`, `create_time`, `update_time`, `etag`) and unknown paths are
  INVALID_ARGUMENT, one violation per path (`update_mask.paths[i]`).
- Etags (AIP-154): `"<version>-<hash>"`, changing on every write. With `etag`, an
  update/delete applies only if the item is still at that version, else ABORTED; the
  check is part of the UPDATE/DELETE statement, so concurrent writers never lose an
  update. Without it, the write applies to the current version.
- `list_items`: see services/filters.py (filter language) and services/pagination.py
  (page sizes, order_by, keyset page tokens). Default order `create_time desc`.
- `watch_items`: see services/watch.py. The subscription carries the caller's
  visibility and filter; iterate it inside `async with` so it is freed on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import unicodedata
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Integer, Select, bindparam
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from opengovfood.context import Principal
from opengovfood.db.fast_reads import SqliteFastReads
from opengovfood.db.models import utcnow
from opengovfood.errors import (
    Aborted,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    excerpt,
)
from opengovfood.repositories import items as repo
from opengovfood.rpc.policy import SCOPE_ITEMS_READ
from opengovfood.services.bounds import INT64_MAX, checked_id
from opengovfood.services.filters import (
    FilterSpec,
    ParsedFilter,
    enum_field,
    integer_field,
    text_field,
    timestamp_field,
)
from opengovfood.services.item_types import (
    EventType,
    ItemEvent,
    ItemRecord,
    ItemStatus,
    etag_version,
    make_etag,
)
from opengovfood.services.pagination import (
    Ordering,
    OrderSpec,
    Page,
    PageTokens,
    SortField,
    clamp_page_size,
    fingerprint,
)
from opengovfood.services.watch import ItemEventHub, Subscription

logger = logging.getLogger("opengovfood.items")

TITLE_MAX = 100
DESCRIPTION_MAX = 1000
REQUEST_TTL = timedelta(hours=24)
PURGE_INTERVAL = 3600.0

UPDATABLE = ("title", "description", "status")
OUTPUT_ONLY = ("id", "owner_id", "create_time", "update_time", "etag")

_t = repo.items.c
ITEM_FILTERS = FilterSpec(
    [
        enum_field(
            "status",
            _t.status,
            [
                (("ITEM_STATUS_PENDING", "PENDING"), ItemStatus.PENDING.value),
                (("ITEM_STATUS_IN_PROGRESS", "IN_PROGRESS"), ItemStatus.IN_PROGRESS.value),
                (("ITEM_STATUS_COMPLETED", "COMPLETED"), ItemStatus.COMPLETED.value),
                (("ITEM_STATUS_CANCELLED", "CANCELLED"), ItemStatus.CANCELLED.value),
            ],
        ),
        integer_field("owner_id", _t.owner_id),
        timestamp_field("create_time", _t.create_time),
        timestamp_field("update_time", _t.update_time),
        text_field("title", _t.title),
        text_field("description", _t.description),
    ]
)
_ID = SortField("id", _t.id, "integer", "id")
ITEM_ORDER = OrderSpec(
    [
        SortField("create_time", _t.create_time, "timestamp", "create_time"),
        SortField("update_time", _t.update_time, "timestamp", "update_time"),
        SortField("title", _t.title, "text", "title"),
        _ID,
    ],
    tiebreaker=_ID,
    default="create_time desc",
)

_STATUS_NAMES = {
    **{s.value.upper(): s for s in ItemStatus},
    **{f"ITEM_STATUS_{s.value.upper()}": s for s in ItemStatus},
}


def parse_status(value: ItemStatus | str, argument: str = "item.status") -> ItemStatus:
    if isinstance(value, ItemStatus):
        return value
    status = _STATUS_NAMES.get(str(value).strip().upper())
    if status is None:
        names = ", ".join(f"ITEM_STATUS_{s.value.upper()}" for s in ItemStatus)
        raise InvalidArgument.field(argument, f"must be one of {names}")
    return status


def _text_problem(value: str, allow_newlines: bool) -> str | None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text"
    allowed = "\t\n\r" if allow_newlines else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        return "must not contain control characters"
    return None


def _check_title(value: str | None, violations: list[FieldViolation]) -> str:
    # The length first: the per-character checks only ever see a bounded title.
    title = (value or "").strip()
    if len(title) > TITLE_MAX:
        violations.append(
            FieldViolation(
                "item.title", f"must be at most {TITLE_MAX} characters (got {len(title)})"
            )
        )
    elif problem := _text_problem(title, allow_newlines=False):
        violations.append(FieldViolation("item.title", problem))
    elif not title:
        violations.append(FieldViolation("item.title", "is required (1 to 100 characters)"))
    return title


def _check_description(value: str | None, violations: list[FieldViolation]) -> str:
    description = value or ""
    if len(description) > DESCRIPTION_MAX:
        violations.append(
            FieldViolation(
                "item.description",
                f"must be at most {DESCRIPTION_MAX} characters (got {len(description)})",
            )
        )
    elif problem := _text_problem(description, allow_newlines=True):
        violations.append(FieldViolation("item.description", problem))
    return description


def _check_status(
    value: ItemStatus | str | None, violations: list[FieldViolation], default: ItemStatus | None
) -> ItemStatus | None:
    if value is None or value == "" or str(value).upper() == "ITEM_STATUS_UNSPECIFIED":
        if default is None:
            violations.append(
                FieldViolation("item.status", "must be set to a status other than UNSPECIFIED")
            )
        return default
    try:
        return parse_status(value)
    except InvalidArgument as exc:
        violations.extend(exc.violations)
        return None


def _normalise_request_id(request_id: str) -> str:
    try:
        return str(uuid.UUID(request_id.strip()))
    except ValueError:
        raise InvalidArgument.field(
            "request_id", "must be a UUID, e.g. 3f0c2d9e-8a1b-4c7d-9e2f-0a1b2c3d4e5f"
        ) from None


def _mask_fields(update_mask: Sequence[str]) -> tuple[str, ...]:
    violations: list[FieldViolation] = []
    chosen: list[str] = []
    for index, path in enumerate(update_mask):
        where = f"update_mask.paths[{index}]"
        if path == "*":
            if len(update_mask) > 1:
                violations.append(FieldViolation(where, "'*' must be the only path"))
            chosen.extend(UPDATABLE)
        elif path in UPDATABLE:
            if path not in chosen:
                chosen.append(path)
        elif path in OUTPUT_ONLY:
            violations.append(FieldViolation(where, f"{path} is output only and cannot be changed"))
        else:
            violations.append(
                FieldViolation(
                    where, f"unknown field {excerpt(path)} (use title, description, status or *)"
                )
            )
    if violations:
        raise InvalidArgument.for_fields(violations)
    return tuple(chosen)


class ItemService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        events: ItemEventHub,
        page_tokens: PageTokens,
        request_ttl: timedelta = REQUEST_TTL,
        purge_interval: float = PURGE_INTERVAL,
        fast_reads: SqliteFastReads | None = None,
    ) -> None:
        self._sessions = sessions
        self._page_tokens = page_tokens
        self._reads = repo.ItemReads(sessions, fast_reads)
        self._events = events
        self._request_ttl = request_ttl
        self._purge_interval = purge_interval
        self._purger: asyncio.Task[None] | None = None

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self._purger = asyncio.create_task(self._purge_loop(), name="item-request-purge")

    async def stop(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
            self._purger = None

    async def purge_expired_requests(self) -> int:
        """Delete idempotency records older than the request TTL; returns how many."""
        async with self._sessions() as session, session.begin():
            return await repo.purge_requests(session, utcnow() - self._request_ttl)

    async def _purge_loop(self) -> None:
        while True:
            try:
                purged = await self.purge_expired_requests()
                if purged:
                    logger.info("purged expired item requests", extra={"count": purged})
            except Exception:  # a failed purge is retried next round
                logger.warning("purging expired item requests failed", exc_info=True)
            await asyncio.sleep(self._purge_interval)

    # --- who may do what ---------------------------------------------------------------

    @staticmethod
    def _read_owner(principal: Principal) -> int | None:
        """The owner reads are limited to (None: everything the caller may see)."""
        if principal.is_service:
            if not principal.has_scope(SCOPE_ITEMS_READ):
                raise PermissionDenied(f"this method needs the '{SCOPE_ITEMS_READ}' scope")
            return None
        if principal.is_superuser:
            return None
        return principal.user_id

    @staticmethod
    def _read_scope(principal: Principal) -> list[ColumnElement[bool]]:
        """Conditions limiting reads to what the caller may see (empty: everything)."""
        owner = ItemService._read_owner(principal)
        return [] if owner is None else [_t.owner_id == owner]

    @staticmethod
    def _write_scope(principal: Principal) -> list[ColumnElement[bool]]:
        if principal.is_service or principal.user_id is None:
            raise PermissionDenied("service principals may not change items")
        if principal.is_superuser:
            return []
        return [_t.owner_id == principal.user_id]

    # --- methods ---------------------------------------------------------------------

    async def create_item(
        self,
        principal: Principal,
        *,
        title: str,
        description: str = "",
        status: ItemStatus | str | None = None,
        request_id: str | None = None,
    ) -> ItemRecord:
        self._write_scope(principal)
        assert principal.user_id is not None
        owner_id = principal.user_id
        violations: list[FieldViolation] = []
        clean_title = _check_title(title, violations)
        clean_description = _check_description(description, violations)
        clean_status = _check_status(status, violations, default=ItemStatus.PENDING)
        if violations:
            raise InvalidArgument.for_fields(violations)
        assert clean_status is not None
        values: dict[str, Any] = {
            "title": clean_title,
            "description": clean_description,
            "status": clean_status.value,
            "owner_id": owner_id,
            "version": 1,
        }
        if not request_id:
            async with self._sessions() as session, session.begin():
                return await self._insert(session, values)

        key = _normalise_request_id(request_id)
        body_hash = hashlib.sha256(
            json.dumps([clean_title, clean_description, clean_status.value]).encode()
        ).hexdigest()
        for _attempt in range(3):
            async with self._sessions() as session:
                async with session.begin():
                    now = utcnow()
                    claimed = await repo.claim_request(
                        session, owner_id, key, body_hash, now, now - self._request_ttl
                    )
                    if claimed:
                        record = await self._insert(session, values)
                        await repo.link_request(session, owner_id, key, record.id)
                        return record
                    existing = await repo.get_request(session, owner_id, key)
                if existing is None:
                    continue  # purged or rolled back between the two statements: retry
                if existing.body_hash != body_hash:
                    raise InvalidArgument.field(
                        "request_id",
                        "was already used for a different item; use a new request_id",
                    )
                if existing.item_id is None:
                    raise NotFound("the item created with this request_id has since been deleted")
                row = await repo.get_item(session, existing.item_id, [_t.owner_id == owner_id])
                if row is None:
                    raise NotFound("the item created with this request_id has since been deleted")
                return ItemRecord.from_row(row)
        raise Aborted("the request conflicted with a concurrent one; retry")

    async def _insert(self, session: AsyncSession, values: dict[str, Any]) -> ItemRecord:
        now = utcnow()
        row = await repo.insert_item(session, {**values, "create_time": now, "update_time": now})
        record = ItemRecord.from_row(row)
        await self._events.announce(session, ItemEvent(EventType.CREATED, record))
        return record

    async def get_item(self, principal: Principal, item_id: int) -> ItemRecord:
        owner = self._read_owner(principal)  # a parameter of a prebuilt statement
        if item_id == 0:
            raise InvalidArgument.field("id", "is required")
        checked_id(item_id, "id")
        row = await self._reads.get_visible_item(item_id, owner)
        if row is None:
            raise NotFound(f"item {item_id} not found")
        return ItemRecord.from_row(row)

    async def list_items(
        self,
        principal: Principal,
        *,
        page_size: int = 0,
        page_token: str = "",
        filter: str = "",  # the API's name, shadowing the builtin
        order_by: str = "",
    ) -> Page[ItemRecord]:
        owner = self._read_owner(principal)
        size = clamp_page_size(page_size)
        parsed = ITEM_FILTERS.parse(filter)
        ordering = ITEM_ORDER.parse(order_by)
        query = fingerprint("items", principal.key, parsed.canonical, ordering.canonical)
        cursor = self._page_tokens.decode(page_token, ordering, query)
        values: dict[str, Any] = {"owner": owner}
        if cursor is not None:
            values.update((f"k{i}", v) for i, v in enumerate(cursor.key))
        # One statement per shape, built and compiled once (repositories.items.ItemReads);
        # what varies per call (owner, the keyset position) is a bound parameter.
        scoped, dialect = owner is not None, self._reads.dialect
        shape = (scoped, parsed.canonical, ordering.canonical)
        rows = await self._reads.items(
            ("page", *shape, cursor is not None, size),
            lambda: _page_statement(scoped, parsed, ordering, cursor is not None, size, dialect),
            values,
        )
        if cursor is not None and cursor.total is not None:
            total = cursor.total  # counted by the first page (see services/pagination.py)
        elif cursor is None and len(rows) <= size:
            total = len(rows)  # a complete first page is its own count
        else:
            total = int(
                await self._reads.scalar(
                    ("count", *shape),
                    lambda: repo.count_statement(_conditions(scoped, parsed, dialect)),
                    values,
                )
            )
        records = [ItemRecord.from_row(row) for row in rows[:size]]
        token = (
            self._page_tokens.encode(ordering, records[-1], query, total)
            if len(rows) > size
            else ""
        )
        return Page(records, token, total)

    async def update_item(
        self,
        principal: Principal,
        item_id: int,
        *,
        title: str | None = None,
        description: str | None = None,
        status: ItemStatus | str | None = None,
        update_mask: Sequence[str] = (),
        etag: str = "",
    ) -> ItemRecord:
        scope = self._write_scope(principal)
        if update_mask:
            fields = _mask_fields(update_mask)
        else:
            given = {"title": title, "description": description, "status": status}
            fields = tuple(name for name in UPDATABLE if given[name] is not None)
        violations: list[FieldViolation] = []
        if item_id == 0:
            violations.append(FieldViolation("item.id", "is required"))
        elif not 0 < item_id <= INT64_MAX:
            violations.append(
                FieldViolation("item.id", f"must be a positive id of at most {INT64_MAX}")
            )
        if not fields:
            violations.append(
                FieldViolation("update_mask", "names no field and the item sets none to update")
            )
        values: dict[str, Any] = {}
        if "title" in fields:
            values["title"] = _check_title(title, violations)
        if "description" in fields:
            values["description"] = _check_description(description, violations)
        if "status" in fields:
            checked = _check_status(status, violations, default=None)
            if checked is not None:
                values["status"] = checked.value
        expected: int | None = None
        if etag:
            try:
                expected = etag_version(etag, "item.etag")
            except InvalidArgument as exc:
                violations.extend(exc.violations)
        if violations:
            raise InvalidArgument.for_fields(violations)

        values["update_time"] = utcnow()
        where = [*scope, _t.version == expected] if expected is not None else scope
        async with self._sessions() as session, session.begin():
            row = await repo.update_item(session, item_id, where, values)
            if row is None:
                await self._explain_miss(session, item_id, scope)
                raise AssertionError("unreachable")
            record = ItemRecord.from_row(row)
            if etag and make_etag(record.id, record.version - 1, record.create_time) != etag:
                raise _stale()  # right version of another item/incarnation; rolls back
            await self._events.announce(session, ItemEvent(EventType.UPDATED, record))
        return record

    async def delete_item(self, principal: Principal, item_id: int, *, etag: str = "") -> None:
        scope = self._write_scope(principal)
        if item_id == 0:
            raise InvalidArgument.field("id", "is required")
        checked_id(item_id, "id")
        expected = etag_version(etag, "etag") if etag else None
        where = [*scope, _t.version == expected] if expected is not None else scope
        async with self._sessions() as session, session.begin():
            row = await repo.delete_item(session, item_id, where)
            if row is None:
                await self._explain_miss(session, item_id, scope)
                raise AssertionError("unreachable")
            record = ItemRecord.from_row(row)
            if etag and record.etag != etag:
                raise _stale()
            await self._events.announce(session, ItemEvent(EventType.DELETED, record))

    def watch_items(self, principal: Principal, *, filter: str = "") -> Subscription:
        """A subscription to committed changes the caller may see, narrowed by `filter`.
        Use it as `async with ... as events: async for event in events`."""
        scope = self._read_scope(principal)
        parsed = ITEM_FILTERS.parse(filter)
        owner = principal.user_id if scope else None

        def accepts(item: ItemRecord) -> bool:
            return (owner is None or item.owner_id == owner) and parsed.matches(item)

        return self._events.subscribe(accepts)

    async def _explain_miss(
        self, session: AsyncSession, item_id: int, scope: list[ColumnElement[bool]]
    ) -> None:
        """A conditional write matched nothing: NOT_FOUND unless the caller can see the
        item, in which case its etag was stale."""
        row = await repo.get_item(session, item_id, scope)
        if row is None:
            raise NotFound(f"item {item_id} not found")
        raise _stale()


def _conditions(
    owner_scoped: bool, parsed: ParsedFilter, dialect: str
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if owner_scoped:
        where.append(_t.owner_id == bindparam("owner", type_=Integer()))
    if parsed.node is not None:
        where.append(parsed.where(dialect))
    return where


def _page_statement(
    owner_scoped: bool,
    parsed: ParsedFilter,
    ordering: Ordering,
    after: bool,
    size: int,
    dialect: str,
) -> Select[Any]:
    where = _conditions(owner_scoped, parsed, dialect)
    if after:
        position = tuple(
            bindparam(f"k{i}", type_=field.column.type)
            for i, (field, _) in enumerate(ordering.keys)
        )
        where.append(ordering.after(position))
    return repo.list_statement(where, ordering.clauses(), size + 1)


def _stale() -> Aborted:
    return Aborted("the item changed since its etag was read; get it again and retry")
