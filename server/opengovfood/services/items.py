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
- Inspection record (all optional): `establishment_id` (0/None: none) must name an
  establishment the caller may read (services/establishments.py), else INVALID_ARGUMENT
  on `item.establishment_id` (the same words whether it does not exist or is someone
  else's: existence is not leaked; NOT_FOUND stays about the item itself); `kind` and
  `result` accept the enum, its value or its name (`ITEM_KIND_FOLLOW_UP`, `follow_up`);
  `score` 0-100; `inspect_time` an aware datetime, defaulting to the create time.
- `update_item`: `update_mask` paths are `title`, `description`, `status`,
  `establishment_id`, `kind`, `result`, `score`, `inspect_time`, or `*` (all of them:
  a full replacement). With a mask, masked fields take the given values (None means
  empty, so a masked `title=None` is invalid and a masked `status=None` is invalid; a
  masked `establishment_id` 0 detaches the item; a masked `inspect_time=None` puts it
  back to the create time). Without a mask, the fields that are not None are updated.
  Output-only paths (`id`, `owner_id`, `create_time`, `update_time`, `etag`) and
  unknown paths are INVALID_ARGUMENT, one violation per path (`update_mask.paths[i]`).
- Etags (AIP-154): `"<version>-<hash>"`, changing on every write. With `etag`, an
  update/delete applies only if the item is still at that version, else ABORTED; the
  check is part of the UPDATE/DELETE statement, so concurrent writers never lose an
  update. Without it, the write applies to the current version.
- `list_items`: see domain/filters.py (filter language) and domain/pagination.py
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
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from opengovfood.domain import bounds
from opengovfood.domain.bounds import INT64_MAX, checked_id
from opengovfood.domain.establishments import EstablishmentRecord
from opengovfood.domain.filters import (
    FilterSpec,
    enum_field,
    integer_field,
    text_field,
    timestamp_field,
)
from opengovfood.domain.items import (
    InspectionResult,
    ItemChanges,
    ItemKind,
    ItemRecord,
    ItemStatus,
    NewItem,
    PriorRequest,
    UnknownEstablishment,
    WriteMiss,
    etag_version,
    make_etag,
)
from opengovfood.domain.listing import ListQuery, ListSpec
from opengovfood.domain.pagination import OrderSpec, Page, PageTokens, SortField
from opengovfood.domain.principal import SCOPE_ITEMS_READ, Principal
from opengovfood.domain.scopes import Scope
from opengovfood.domain.timestamps import utcnow
from opengovfood.errors import (
    Aborted,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    excerpt,
)
from opengovfood.reasons import Reason
from opengovfood.services.establishments import read_scope as establishment_read_scope
from opengovfood.services.watch import ItemEventHub, Subscription

logger = logging.getLogger("opengovfood.items")

TITLE_MAX = 100
DESCRIPTION_MAX = 1000
REQUEST_TTL = timedelta(hours=24)
PURGE_INTERVAL = 3600.0

UPDATABLE = (
    "title",
    "description",
    "status",
    "establishment_id",
    "kind",
    "result",
    "score",
    "inspect_time",
)
SCORE_MAX = 100
OUTPUT_ONLY = ("id", "owner_id", "create_time", "update_time", "etag")

ITEM_FILTERS = FilterSpec(
    [
        enum_field(
            "status",
            [
                (("ITEM_STATUS_PENDING", "PENDING"), ItemStatus.PENDING.value),
                (("ITEM_STATUS_IN_PROGRESS", "IN_PROGRESS"), ItemStatus.IN_PROGRESS.value),
                (("ITEM_STATUS_COMPLETED", "COMPLETED"), ItemStatus.COMPLETED.value),
                (("ITEM_STATUS_CANCELLED", "CANCELLED"), ItemStatus.CANCELLED.value),
            ],
        ),
        integer_field("owner_id"),
        timestamp_field("create_time"),
        timestamp_field("update_time"),
        text_field("title"),
        text_field("description"),
        integer_field("establishment_id"),
        enum_field("kind", [((f"ITEM_KIND_{k.name}", k.name), k.value) for k in ItemKind]),
        enum_field(
            "result",
            [((f"INSPECTION_RESULT_{r.name}", r.name), r.value) for r in InspectionResult],
        ),
        integer_field("score"),
        timestamp_field("inspect_time"),
    ]
)
_ID = SortField("id", "integer", "id")
ITEM_ORDER = OrderSpec(
    [
        SortField("create_time", "timestamp", "create_time"),
        SortField("update_time", "timestamp", "update_time"),
        SortField("inspect_time", "timestamp", "inspect_time"),
        SortField("title", "text", "title"),
        _ID,
    ],
    tiebreaker=_ID,
    default="create_time desc",
)
# Later pages carry the first page's count (AIP-158 allows an estimate).
ITEMS = ListSpec("items", ITEM_FILTERS, ITEM_ORDER, carry_total=True)

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


def _enum_value(
    enum_type: type[ItemKind] | type[InspectionResult], prefix: str, value: object
) -> object:
    """The member `value` names (member, stored value, name, prefixed name); None if none."""
    if isinstance(value, enum_type):
        return value
    text = str(value).strip()
    upper = text.upper().removeprefix(prefix)
    for member in enum_type:
        if text == member.value or upper == member.name:
            return member
    return None


def _check_kind(value: ItemKind | str | None, violations: list[FieldViolation]) -> ItemKind:
    if value is None or value == "":
        return ItemKind.UNSPECIFIED
    kind = _enum_value(ItemKind, "ITEM_KIND_", value)
    if not isinstance(kind, ItemKind):
        names = ", ".join(f"ITEM_KIND_{k.name}" for k in ItemKind if k is not ItemKind.UNSPECIFIED)
        violations.append(FieldViolation("item.kind", f"must be one of {names}"))
        return ItemKind.UNSPECIFIED
    return kind


def _check_result(
    value: InspectionResult | str | None, violations: list[FieldViolation]
) -> InspectionResult:
    if value is None or value == "":
        return InspectionResult.UNSPECIFIED
    result = _enum_value(InspectionResult, "INSPECTION_RESULT_", value)
    if not isinstance(result, InspectionResult):
        names = ", ".join(
            f"INSPECTION_RESULT_{r.name}"
            for r in InspectionResult
            if r is not InspectionResult.UNSPECIFIED
        )
        violations.append(FieldViolation("item.result", f"must be one of {names}"))
        return InspectionResult.UNSPECIFIED
    return result


def _check_score(value: int | None, violations: list[FieldViolation]) -> int:
    score = value or 0
    if type(score) is not int or not 0 <= score <= SCORE_MAX:
        violations.append(FieldViolation("item.score", f"must be from 0 to {SCORE_MAX}"))
        return 0
    return score


def _check_inspect_time(
    value: datetime | None, violations: list[FieldViolation]
) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        violations.append(FieldViolation("item.inspect_time", "must carry a time zone"))
        return None
    try:
        return bounds.utc(value, "item.inspect_time")
    except bounds.OutOfRange as exc:
        violations.append(FieldViolation("item.inspect_time", str(exc)))
        return None


def _check_establishment_id(value: int | None, violations: list[FieldViolation]) -> int:
    """0 for none; a positive id to look up; a violation otherwise."""
    if not value:
        return 0
    if type(value) is not int or not 0 < value <= INT64_MAX:
        violations.append(
            FieldViolation(
                "item.establishment_id", f"must be 0 (none) or a positive id up to {INT64_MAX}"
            )
        )
        return 0
    return value


def _no_such_establishment(establishment_id: int) -> FieldViolation:
    return FieldViolation(
        "item.establishment_id",
        f"names no establishment you can see (id {establishment_id})",
    )


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
                    where, f"unknown field {excerpt(path)} (use {', '.join(UPDATABLE)} or *)"
                )
            )
    if violations:
        raise InvalidArgument.for_fields(violations)
    return tuple(chosen)


def read_scope(principal: Principal) -> Scope:
    """What the caller may read of items (and of what is made from them: exports,
    reports)."""
    if principal.is_service:
        if not principal.has_scope(SCOPE_ITEMS_READ):
            raise PermissionDenied(
                f"this method needs the '{SCOPE_ITEMS_READ}' scope",
                reason=Reason.SCOPE_REQUIRED,
            )
        return Scope.everything()
    if principal.is_superuser or principal.user_id is None:
        return Scope.everything()
    return Scope.owned_by(principal.user_id)


class EstablishmentReader(Protocol):
    """Where the items service checks an item's establishment (the establishments'
    repository)."""

    async def get(self, establishment_id: int, scope: Scope) -> EstablishmentRecord | None: ...


class ItemRepository(Protocol):
    async def get(self, item_id: int, scope: Scope) -> ItemRecord | None: ...
    async def page(self, query: ListQuery, scope: Scope) -> list[ItemRecord]: ...
    async def count(self, query: ListQuery, scope: Scope) -> int: ...
    async def add(self, new: NewItem) -> ItemRecord: ...
    async def add_once(
        self, new: NewItem, request_id: str, body_hash: str, expired_before: datetime
    ) -> ItemRecord | PriorRequest | None: ...
    async def update(
        self,
        item_id: int,
        scope: Scope,
        changes: ItemChanges,
        expected_version: int | None = None,
        accept: Callable[[ItemRecord], bool] | None = None,
    ) -> ItemRecord | WriteMiss: ...
    async def delete(
        self,
        item_id: int,
        scope: Scope,
        expected_version: int | None = None,
        accept: Callable[[ItemRecord], bool] | None = None,
    ) -> ItemRecord | WriteMiss: ...
    async def purge_requests(self, before: datetime) -> int: ...


class ItemService:
    def __init__(
        self,
        items: ItemRepository,
        events: ItemEventHub,
        page_tokens: PageTokens,
        request_ttl: timedelta = REQUEST_TTL,
        purge_interval: float = PURGE_INTERVAL,
        establishments: EstablishmentReader | None = None,
    ) -> None:
        self._items = items
        self._establishments = establishments
        self._events = events
        self._page_tokens = page_tokens
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
        return await self._items.purge_requests(utcnow() - self._request_ttl)

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
    def _read_scope(principal: Principal) -> Scope:
        return read_scope(principal)

    @staticmethod
    def _write_scope(principal: Principal) -> Scope:
        """What the caller may change."""
        if principal.is_service or principal.user_id is None:
            raise PermissionDenied(
                "service principals may not change items", reason=Reason.PRINCIPAL_NOT_ALLOWED
            )
        if principal.is_superuser:
            return Scope.everything()
        return Scope.owned_by(principal.user_id)

    # --- methods ---------------------------------------------------------------------

    async def create_item(
        self,
        principal: Principal,
        *,
        title: str,
        description: str = "",
        status: ItemStatus | str | None = None,
        request_id: str | None = None,
        establishment_id: int | None = None,
        kind: ItemKind | str | None = None,
        result: InspectionResult | str | None = None,
        score: int | None = None,
        inspect_time: datetime | None = None,
    ) -> ItemRecord:
        self._write_scope(principal)
        assert principal.user_id is not None
        violations: list[FieldViolation] = []
        clean_title = _check_title(title, violations)
        clean_description = _check_description(description, violations)
        clean_status = _check_status(status, violations, default=ItemStatus.PENDING)
        place = _check_establishment_id(establishment_id, violations)
        clean_kind = _check_kind(kind, violations)
        clean_result = _check_result(result, violations)
        clean_score = _check_score(score, violations)
        when = _check_inspect_time(inspect_time, violations)
        if place and not violations and not await self._can_see_establishment(principal, place):
            violations.append(_no_such_establishment(place))
        if violations:
            raise InvalidArgument.for_fields(violations)
        assert clean_status is not None
        new = NewItem(
            clean_title,
            clean_description,
            clean_status,
            principal.user_id,
            establishment_id=place or None,
            kind=clean_kind,
            result=clean_result,
            score=clean_score,
            inspect_time=when,
        )
        try:
            if not request_id:
                return await self._items.add(new)
            return await self._create_once(new, request_id)
        except UnknownEstablishment:
            raise InvalidArgument.for_fields([_no_such_establishment(place)]) from None

    async def _create_once(self, new: NewItem, request_id: str) -> ItemRecord:
        key = _normalise_request_id(request_id)
        body: list[object] = [new.title, new.description, new.status.value]
        inspection = [
            new.establishment_id,
            new.kind.value,
            new.result.value,
            new.score,
            new.inspect_time.isoformat() if new.inspect_time else None,
        ]
        if inspection != [None, "unspecified", "unspecified", 0, None]:
            body.extend(inspection)  # without them, the hash of an older item's request
        body_hash = hashlib.sha256(json.dumps(body).encode()).hexdigest()
        outcome = await self._items.add_once(new, key, body_hash, utcnow() - self._request_ttl)
        if outcome is None:
            raise Aborted("the request conflicted with a concurrent one; retry")
        if isinstance(outcome, ItemRecord):
            return outcome
        if outcome.body_hash != body_hash:
            raise InvalidArgument.field(
                "request_id",
                "was already used for a different item; use a new request_id",
                reason=Reason.REQUEST_ID_REUSED,
            )
        if outcome.item is None:
            raise NotFound("the item created with this request_id has since been deleted")
        return outcome.item

    async def _can_see_establishment(self, principal: Principal, establishment_id: int) -> bool:
        if self._establishments is None:
            return False
        scope = establishment_read_scope(principal)
        return await self._establishments.get(establishment_id, scope) is not None

    async def get_item(self, principal: Principal, item_id: int) -> ItemRecord:
        scope = self._read_scope(principal)
        if item_id == 0:
            raise InvalidArgument.field("id", "is required")
        checked_id(item_id, "id")
        record = await self._items.get(item_id, scope)
        if record is None:
            raise NotFound(f"item {item_id} not found")
        return record

    async def list_items(
        self,
        principal: Principal,
        *,
        page_size: int = 0,
        page_token: str = "",
        filter: str = "",  # the API's name, shadowing the builtin
        order_by: str = "",
    ) -> Page[ItemRecord]:
        scope = self._read_scope(principal)
        query = ITEMS.query(
            self._page_tokens,
            principal.key,
            page_size=page_size,
            page_token=page_token,
            filter=filter,
            order_by=order_by,
        )
        rows = await self._items.page(query, scope)
        total = query.known_total(len(rows))
        if total is None:
            total = await self._items.count(query, scope)
        return ITEMS.page(self._page_tokens, query, rows, total)

    async def update_item(
        self,
        principal: Principal,
        item_id: int,
        *,
        title: str | None = None,
        description: str | None = None,
        status: ItemStatus | str | None = None,
        establishment_id: int | None = None,
        kind: ItemKind | str | None = None,
        result: InspectionResult | str | None = None,
        score: int | None = None,
        inspect_time: datetime | None = None,
        update_mask: Sequence[str] = (),
        etag: str = "",
    ) -> ItemRecord:
        scope = self._write_scope(principal)
        if update_mask:
            fields = _mask_fields(update_mask)
        else:
            given = {
                "title": title,
                "description": description,
                "status": status,
                "establishment_id": establishment_id,
                "kind": kind,
                "result": result,
                "score": score,
                "inspect_time": inspect_time,
            }
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
        new_title = _check_title(title, violations) if "title" in fields else None
        new_description = (
            _check_description(description, violations) if "description" in fields else None
        )
        new_status = _check_status(status, violations, default=None) if "status" in fields else None
        place = (
            _check_establishment_id(establishment_id, violations)
            if "establishment_id" in fields
            else None
        )
        new_kind = _check_kind(kind, violations) if "kind" in fields else None
        new_result = _check_result(result, violations) if "result" in fields else None
        new_score = _check_score(score, violations) if "score" in fields else None
        new_time = (
            _check_inspect_time(inspect_time, violations) if "inspect_time" in fields else None
        )
        expected: int | None = None
        if etag:
            try:
                expected = etag_version(etag, "item.etag")
            except InvalidArgument as exc:
                violations.extend(exc.violations)
        if place and not violations and not await self._can_see_establishment(principal, place):
            violations.append(_no_such_establishment(place))
        if violations:
            raise InvalidArgument.for_fields(violations)

        def same_incarnation(record: ItemRecord) -> bool:
            # The right version of another item (or of a deleted and re-made id).
            return make_etag(record.id, record.version - 1, record.create_time) == etag

        changes = ItemChanges(
            new_title,
            new_description,
            new_status,
            establishment_id=place,
            kind=new_kind,
            result=new_result,
            score=new_score,
            inspect_time=new_time,
            inspect_time_reset="inspect_time" in fields and new_time is None,
        )
        try:
            outcome = await self._items.update(
                item_id, scope, changes, expected, same_incarnation if etag else None
            )
        except UnknownEstablishment:
            raise InvalidArgument.for_fields([_no_such_establishment(place or 0)]) from None
        return _written(outcome, item_id)

    async def delete_item(self, principal: Principal, item_id: int, *, etag: str = "") -> None:
        scope = self._write_scope(principal)
        if item_id == 0:
            raise InvalidArgument.field("id", "is required")
        checked_id(item_id, "id")
        expected = etag_version(etag, "etag") if etag else None
        outcome = await self._items.delete(
            item_id, scope, expected, (lambda record: record.etag == etag) if etag else None
        )
        _written(outcome, item_id)

    def watch_items(self, principal: Principal, *, filter: str = "") -> Subscription:
        """A subscription to committed changes the caller may see, narrowed by `filter`.
        Use it as `async with ... as events: async for event in events`."""
        owner = self._read_scope(principal).owner_id
        parsed = ITEM_FILTERS.parse(filter)

        def accepts(item: ItemRecord) -> bool:
            return (owner is None or item.owner_id == owner) and parsed.matches(item)

        return self._events.subscribe(accepts)


def _written(outcome: ItemRecord | WriteMiss, item_id: int) -> ItemRecord:
    if outcome is WriteMiss.NOT_FOUND:
        raise NotFound(f"item {item_id} not found")
    if outcome is WriteMiss.STALE:
        raise _stale()
    assert isinstance(outcome, ItemRecord)
    return outcome


def _stale() -> Aborted:
    return Aborted(
        "the item changed since its etag was read; get it again and retry",
        reason=Reason.ETAG_MISMATCH,
    )
