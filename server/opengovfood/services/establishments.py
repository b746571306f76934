"""Establishments: ownership, validation, licence numbers, etags, idempotent creates,
lists. The same conventions as services/items.py: the calling `Principal` first, plain
values after it, `EstablishmentRecord`s back, `opengovfood.errors` raised.

    service = container.establishments
    place = await service.create_establishment(
        principal, name="Café Olé", city="Chicago", license_number="L-1", request_id=uuid
    )
    page = await service.list_establishments(principal, filter='name:"cafe"', order_by="name")
    place = await service.update_establishment(
        principal, place.id, risk_category=3, update_mask=["risk_category"], etag=place.etag
    )
    await service.delete_establishment(principal, place.id, etag=place.etag)

Rules:
- Who (until departments): a user reads and writes the establishments they created;
  another user's is NOT_FOUND. Superusers read and write all. Service principals need
  `items:read` to read (all) and never write.
- Fields: `name` trimmed, 1-200 characters; address parts trimmed, street <= 200,
  city <= 100, state <= 50, postal_code <= 20; `license_number` trimmed, <= 64, empty
  meaning none; `facility_type` trimmed, <= 100; no control characters anywhere;
  `risk_category` a RiskCategory, its number 0-4 or its name (`RISK_CATEGORY_3`, `3`).
  Every bad field is reported at once (INVALID_ARGUMENT, one violation per field,
  paths as in the proto: `establishment.address.city`).
- `license_number` is unique within a licence scope (domain.establishments.
  license_scope: the owner today): a second one is ALREADY_EXISTS with reason
  LICENSE_NUMBER_TAKEN, on create and update alike.
- `update_establishment`: mask paths `name`, `address` (every part), `address.street`,
  `address.city`, `address.state`, `address.postal_code`, `license_number`,
  `facility_type`, `risk_category`, or `*`. Masked fields take the given values (None
  is empty). Without a mask, the given (not None) fields are updated. Output-only and
  unknown paths are INVALID_ARGUMENT. Etags as items (ABORTED on a mismatch).
- `request_id` on create: as CreateItem (24 hours per caller; another body is
  INVALID_ARGUMENT with REQUEST_ID_REUSED).
- `list_establishments`: filter and order fields below (ESTABLISHMENT_FILTERS,
  ESTABLISHMENT_ORDER); `name:"..."` is case- and accent-insensitive; default order
  `name`.
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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from opengovfood.domain import bounds
from opengovfood.domain.bounds import INT64_MAX, checked_id
from opengovfood.domain.establishments import (
    Address,
    EstablishmentChanges,
    EstablishmentRecord,
    HasInspections,
    LicenseTaken,
    NewEstablishment,
    PriorEstablishmentRequest,
    RiskCategory,
    fold,
)
from opengovfood.domain.filters import (
    HAS,
    Field,
    FilterSpec,
    Kind,
    enum_field,
    integer_field,
    string_field,
    timestamp_field,
)
from opengovfood.domain.items import WriteMiss, etag_version, make_etag
from opengovfood.domain.listing import ListQuery, ListSpec
from opengovfood.domain.pagination import OrderSpec, Page, PageTokens, SortField
from opengovfood.domain.principal import SCOPE_ITEMS_READ, Principal
from opengovfood.domain.scopes import Scope
from opengovfood.domain.timestamps import utcnow
from opengovfood.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    excerpt,
)
from opengovfood.reasons import Reason

logger = logging.getLogger("opengovfood.establishments")

REQUEST_TTL = timedelta(hours=24)
PURGE_INTERVAL = 3600.0


@dataclass(frozen=True, slots=True)
class TextRule:
    path: str  # the field's path in the request (violations name it)
    limit: int
    required: bool = False


NAME = TextRule("establishment.name", 200, required=True)
STREET = TextRule("establishment.address.street", 200)
CITY = TextRule("establishment.address.city", 100)
STATE = TextRule("establishment.address.state", 50)
POSTAL_CODE = TextRule("establishment.address.postal_code", 20)
LICENSE_NUMBER = TextRule("establishment.license_number", 64)
FACILITY_TYPE = TextRule("establishment.facility_type", 100)

# Mask path -> the columns it sets (EstablishmentChanges' fields).
MASK_PATHS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "address": ("street", "city", "state", "postal_code"),
    "address.street": ("street",),
    "address.city": ("city",),
    "address.state": ("state",),
    "address.postal_code": ("postal_code",),
    "license_number": ("license_number",),
    "facility_type": ("facility_type",),
    "risk_category": ("risk_category",),
}
OUTPUT_ONLY = ("id", "owner_id", "create_time", "update_time", "etag")
_RULES = {
    "name": NAME,
    "street": STREET,
    "city": CITY,
    "state": STATE,
    "postal_code": POSTAL_CODE,
    "license_number": LICENSE_NUMBER,
    "facility_type": FACILITY_TYPE,
}


def _folded_text_field(name: str, attribute: str) -> Field:
    """`name:"..."`: the value folded as stored names are (domain.establishments.fold)."""

    def parse(text: str) -> str:
        value = fold(bounds.text(text, name, 2000))
        if not value:
            raise ValueError(f"{name} needs a non-empty value")
        return value

    return Field(name, Kind.TEXT, HAS, parse, attribute, (), "text")


RISK_CATEGORY_NAMES = {
    RiskCategory.UNSPECIFIED: "RISK_CATEGORY_UNSPECIFIED",
    RiskCategory.CATEGORY_1: "RISK_CATEGORY_1",
    RiskCategory.CATEGORY_2: "RISK_CATEGORY_2",
    RiskCategory.CATEGORY_3: "RISK_CATEGORY_3",
    RiskCategory.CATEGORY_4: "RISK_CATEGORY_4",
}

ESTABLISHMENT_FILTERS = FilterSpec(
    [
        # The repositories map `name_folded` to the stored folded name.
        _folded_text_field("name", "name_folded"),
        string_field("city"),
        string_field("state"),
        string_field("postal_code"),
        string_field("facility_type"),
        string_field("license_number"),
        enum_field(
            "risk_category",
            [((RISK_CATEGORY_NAMES[c], str(int(c))), int(c)) for c in RiskCategory],
        ),
        integer_field("owner_id"),
        timestamp_field("create_time"),
        timestamp_field("update_time"),
    ]
)
_ID = SortField("id", "integer", "id")
ESTABLISHMENT_ORDER = OrderSpec(
    [
        SortField("name", "text", "name"),
        SortField("create_time", "timestamp", "create_time"),
        SortField("update_time", "timestamp", "update_time"),
        _ID,
    ],
    tiebreaker=_ID,
    default="name",
)
ESTABLISHMENTS = ListSpec(
    "establishments", ESTABLISHMENT_FILTERS, ESTABLISHMENT_ORDER, carry_total=True
)


def parse_risk_category(value: RiskCategory | int | str | None, path: str) -> RiskCategory:
    """A RiskCategory from its enum, number or name; INVALID_ARGUMENT otherwise."""
    if value is None or value == "":
        return RiskCategory.UNSPECIFIED
    if isinstance(value, RiskCategory):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value in RiskCategory._value2member_map_:
            return RiskCategory(value)
    elif isinstance(value, str):
        text = value.strip().upper()
        for category, name in RISK_CATEGORY_NAMES.items():
            if text in (name, name.removeprefix("RISK_CATEGORY_"), str(int(category))):
                return category
    raise InvalidArgument.field(
        path, "must be one of RISK_CATEGORY_1, RISK_CATEGORY_2, RISK_CATEGORY_3, RISK_CATEGORY_4"
    )


def _clean(value: str | None, rule: TextRule, violations: list[FieldViolation]) -> str:
    """The trimmed text, or a violation (length first: later checks see bounded text)."""
    text = (value or "").strip()
    if len(text) > rule.limit:
        violations.append(
            FieldViolation(rule.path, f"must be at most {rule.limit} characters (got {len(text)})")
        )
    elif any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
        violations.append(FieldViolation(rule.path, "must not contain control characters"))
    elif rule.required and not text:
        violations.append(FieldViolation(rule.path, f"is required (1 to {rule.limit} characters)"))
    return text


def _risk(value: RiskCategory | int | str | None, violations: list[FieldViolation]) -> RiskCategory:
    try:
        return parse_risk_category(value, "establishment.risk_category")
    except InvalidArgument as exc:
        violations.extend(exc.violations)
        return RiskCategory.UNSPECIFIED


def _normalise_request_id(request_id: str) -> str:
    try:
        return str(uuid.UUID(request_id.strip()))
    except ValueError:
        raise InvalidArgument.field(
            "request_id", "must be a UUID, e.g. 3f0c2d9e-8a1b-4c7d-9e2f-0a1b2c3d4e5f"
        ) from None


def mask_columns(update_mask: Sequence[str]) -> tuple[str, ...]:
    """The columns an update mask sets; INVALID_ARGUMENT per bad path."""
    violations: list[FieldViolation] = []
    chosen: list[str] = []
    for index, path in enumerate(update_mask):
        where = f"update_mask.paths[{index}]"
        if path == "*":
            if len(update_mask) > 1:
                violations.append(FieldViolation(where, "'*' must be the only path"))
            columns: tuple[str, ...] = tuple(c for cs in MASK_PATHS.values() for c in cs)
        elif path in MASK_PATHS:
            columns = MASK_PATHS[path]
        elif path in OUTPUT_ONLY:
            violations.append(FieldViolation(where, f"{path} is output only and cannot be changed"))
            continue
        else:
            known = ", ".join(MASK_PATHS)
            violations.append(
                FieldViolation(where, f"unknown field {excerpt(path)} (use {known} or *)")
            )
            continue
        chosen.extend(c for c in columns if c not in chosen)
    if violations:
        raise InvalidArgument.for_fields(violations)
    return tuple(chosen)


class EstablishmentRepository(Protocol):
    async def get(self, establishment_id: int, scope: Scope) -> EstablishmentRecord | None: ...
    async def page(self, query: ListQuery, scope: Scope) -> list[EstablishmentRecord]: ...
    async def count(self, query: ListQuery, scope: Scope) -> int: ...
    async def add(self, new: NewEstablishment) -> EstablishmentRecord: ...
    async def add_once(
        self, new: NewEstablishment, request_id: str, body_hash: str, expired_before: datetime
    ) -> EstablishmentRecord | PriorEstablishmentRequest | None: ...
    async def update(
        self,
        establishment_id: int,
        scope: Scope,
        changes: EstablishmentChanges,
        expected_version: int | None = None,
        accept: Callable[[EstablishmentRecord], bool] | None = None,
    ) -> EstablishmentRecord | WriteMiss: ...
    async def delete(
        self,
        establishment_id: int,
        scope: Scope,
        expected_version: int | None = None,
        accept: Callable[[EstablishmentRecord], bool] | None = None,
    ) -> EstablishmentRecord | WriteMiss: ...
    async def purge_requests(self, before: datetime) -> int: ...


def read_scope(principal: Principal) -> Scope:
    """What the caller may read (the same rule as items)."""
    if principal.is_service:
        if not principal.has_scope(SCOPE_ITEMS_READ):
            raise PermissionDenied(
                f"this method needs the '{SCOPE_ITEMS_READ}' scope", reason=Reason.SCOPE_REQUIRED
            )
        return Scope.everything()
    if principal.is_superuser or principal.user_id is None:
        return Scope.everything()
    return Scope.owned_by(principal.user_id)


def write_scope(principal: Principal) -> Scope:
    """What the caller may change."""
    if principal.is_service or principal.user_id is None:
        raise PermissionDenied(
            "service principals may not change establishments",
            reason=Reason.PRINCIPAL_NOT_ALLOWED,
        )
    if principal.is_superuser:
        return Scope.everything()
    return Scope.owned_by(principal.user_id)


def _license_taken(number: str) -> AlreadyExists:
    return AlreadyExists(
        f"an establishment with license_number {excerpt(number)} already exists",
        reason=Reason.LICENSE_NUMBER_TAKEN,
    )


def _not_found(establishment_id: int) -> NotFound:
    return NotFound(f"establishment {establishment_id} not found")


class EstablishmentService:
    def __init__(
        self,
        establishments: EstablishmentRepository,
        page_tokens: PageTokens,
        request_ttl: timedelta = REQUEST_TTL,
        purge_interval: float = PURGE_INTERVAL,
    ) -> None:
        self._establishments = establishments
        self._page_tokens = page_tokens
        self._request_ttl = request_ttl
        self._purge_interval = purge_interval
        self._purger: asyncio.Task[None] | None = None

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self._purger = asyncio.create_task(self._purge_loop(), name="establishment-request-purge")

    async def stop(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
            self._purger = None

    async def _purge_loop(self) -> None:
        while True:
            try:
                await self._establishments.purge_requests(utcnow() - self._request_ttl)
            except Exception:  # a failed purge is retried next round
                logger.warning("purging expired establishment requests failed", exc_info=True)
            await asyncio.sleep(self._purge_interval)

    # --- methods ---------------------------------------------------------------------

    async def create_establishment(
        self,
        principal: Principal,
        *,
        name: str,
        street: str = "",
        city: str = "",
        state: str = "",
        postal_code: str = "",
        license_number: str = "",
        facility_type: str = "",
        risk_category: RiskCategory | int | str | None = None,
        request_id: str | None = None,
    ) -> EstablishmentRecord:
        write_scope(principal)
        assert principal.user_id is not None
        violations: list[FieldViolation] = []
        new = NewEstablishment(
            name=_clean(name, NAME, violations),
            address=Address(
                _clean(street, STREET, violations),
                _clean(city, CITY, violations),
                _clean(state, STATE, violations),
                _clean(postal_code, POSTAL_CODE, violations),
            ),
            license_number=_clean(license_number, LICENSE_NUMBER, violations),
            facility_type=_clean(facility_type, FACILITY_TYPE, violations),
            risk_category=_risk(risk_category, violations),
            owner_id=principal.user_id,
        )
        if violations:
            raise InvalidArgument.for_fields(violations)
        try:
            if not request_id:
                return await self._establishments.add(new)
            return await self._create_once(new, request_id)
        except LicenseTaken:
            raise _license_taken(new.license_number) from None

    async def _create_once(self, new: NewEstablishment, request_id: str) -> EstablishmentRecord:
        key = _normalise_request_id(request_id)
        body = [
            new.name,
            new.address.street,
            new.address.city,
            new.address.state,
            new.address.postal_code,
            new.license_number,
            new.facility_type,
            int(new.risk_category),
        ]
        body_hash = hashlib.sha256(json.dumps(body).encode()).hexdigest()
        outcome = await self._establishments.add_once(
            new, key, body_hash, utcnow() - self._request_ttl
        )
        if outcome is None:
            raise Aborted("the request conflicted with a concurrent one; retry")
        if isinstance(outcome, EstablishmentRecord):
            return outcome
        if outcome.body_hash != body_hash:
            raise InvalidArgument.field(
                "request_id",
                "was already used for a different establishment; use a new request_id",
                reason=Reason.REQUEST_ID_REUSED,
            )
        if outcome.establishment is None:
            raise NotFound("the establishment created with this request_id has since been deleted")
        return outcome.establishment

    async def get_establishment(
        self, principal: Principal, establishment_id: int
    ) -> EstablishmentRecord:
        scope = read_scope(principal)
        if establishment_id == 0:
            raise InvalidArgument.field("id", "is required")
        checked_id(establishment_id, "id")
        record = await self._establishments.get(establishment_id, scope)
        if record is None:
            raise _not_found(establishment_id)
        return record

    async def list_establishments(
        self,
        principal: Principal,
        *,
        page_size: int = 0,
        page_token: str = "",
        filter: str = "",  # the API's name, shadowing the builtin
        order_by: str = "",
    ) -> Page[EstablishmentRecord]:
        scope = read_scope(principal)
        query = ESTABLISHMENTS.query(
            self._page_tokens,
            principal.key,
            page_size=page_size,
            page_token=page_token,
            filter=filter,
            order_by=order_by,
        )
        rows = await self._establishments.page(query, scope)
        total = query.known_total(len(rows))
        if total is None:
            total = await self._establishments.count(query, scope)
        return ESTABLISHMENTS.page(self._page_tokens, query, rows, total)

    async def update_establishment(
        self,
        principal: Principal,
        establishment_id: int,
        *,
        name: str | None = None,
        street: str | None = None,
        city: str | None = None,
        state: str | None = None,
        postal_code: str | None = None,
        license_number: str | None = None,
        facility_type: str | None = None,
        risk_category: RiskCategory | int | str | None = None,
        update_mask: Sequence[str] = (),
        etag: str = "",
    ) -> EstablishmentRecord:
        scope = write_scope(principal)
        given: dict[str, object] = {
            "name": name,
            "street": street,
            "city": city,
            "state": state,
            "postal_code": postal_code,
            "license_number": license_number,
            "facility_type": facility_type,
            "risk_category": risk_category,
        }
        if update_mask:
            columns = mask_columns(update_mask)
        else:
            columns = tuple(c for c, value in given.items() if value is not None)
        violations: list[FieldViolation] = []
        if establishment_id == 0:
            violations.append(FieldViolation("establishment.id", "is required"))
        elif not 0 < establishment_id <= INT64_MAX:
            violations.append(
                FieldViolation("establishment.id", f"must be a positive id of at most {INT64_MAX}")
            )
        if not columns:
            violations.append(
                FieldViolation(
                    "update_mask", "names no field and the establishment sets none to update"
                )
            )
        values: dict[str, object] = {}
        for column in columns:
            if column == "risk_category":
                values[column] = _risk(risk_category, violations)
            else:
                values[column] = _clean(given[column], _RULES[column], violations)  # type: ignore[arg-type]
        expected: int | None = None
        if etag:
            try:
                expected = etag_version(etag, "establishment.etag")
            except InvalidArgument as exc:
                violations.extend(exc.violations)
        if violations:
            raise InvalidArgument.for_fields(violations)

        def same_incarnation(record: EstablishmentRecord) -> bool:
            return make_etag(record.id, record.version - 1, record.create_time) == etag

        changes = EstablishmentChanges(**values)  # type: ignore[arg-type]
        try:
            outcome = await self._establishments.update(
                establishment_id, scope, changes, expected, same_incarnation if etag else None
            )
        except LicenseTaken:
            raise _license_taken(changes.license_number or "") from None
        return _written(outcome, establishment_id)

    async def delete_establishment(
        self, principal: Principal, establishment_id: int, *, etag: str = ""
    ) -> None:
        scope = write_scope(principal)
        if establishment_id == 0:
            raise InvalidArgument.field("id", "is required")
        checked_id(establishment_id, "id")
        expected = etag_version(etag, "etag") if etag else None
        try:
            outcome = await self._establishments.delete(
                establishment_id,
                scope,
                expected,
                (lambda record: record.etag == etag) if etag else None,
            )
        except HasInspections:
            raise FailedPrecondition(
                f"establishment {establishment_id} has inspections (items name it in "
                "establishment_id); delete or move them first",
                reason=Reason.ESTABLISHMENT_HAS_INSPECTIONS,
            ) from None
        _written(outcome, establishment_id)


def _written(
    outcome: EstablishmentRecord | WriteMiss, establishment_id: int
) -> EstablishmentRecord:
    if outcome is WriteMiss.NOT_FOUND:
        raise _not_found(establishment_id)
    if outcome is WriteMiss.STALE:
        raise Aborted(
            "the establishment changed since its etag was read; get it again and retry",
            reason=Reason.ETAG_MISMATCH,
        )
    assert isinstance(outcome, EstablishmentRecord)
    return outcome
