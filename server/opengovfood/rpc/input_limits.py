"""How much text a request may carry, per field: the cheap size bound that runs before
any per-character or per-element work on client data (interceptors/input_limits.py).

Every string and bytes field of every request is bounded with `len()` (O(1) on a decoded
protobuf string) and every repeated field by its element count, before the servicer
runs. A field declared below is refused beyond twice its contract's maximum plus 256
characters (its `ceiling`): a near miss (a title of 101 characters, or of 100 inside
spaces the service trims) still reaches the service, whose precise rules report every
bad field at once, while anything of another order of magnitude stops here. A field
nobody declared (a new one) gets DEFAULT: it is bounded the day it is added.

Why here and not in each service: one walk over the decoded request covers every
method and field, including ones a service forgets, and the services' validation
(Unicode categories, regular expressions, parsers) only ever sees bounded input.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from opengovfood.errors import FieldViolation, InvalidArgument


@dataclass(frozen=True, slots=True)
class Limit:
    chars: int  # the contract's maximum (characters for text, bytes for bytes)
    headroom: int | None = None  # beyond `chars`; None: chars + 256
    items: int = 64  # repeated fields: most elements
    message: str = ""  # what the violation says; default "must be at most N characters"

    @property
    def ceiling(self) -> int:
        return self.chars + (self.chars + 256 if self.headroom is None else self.headroom)

    def describe(self, got: int) -> str:
        return self.message or f"must be at most {self.chars} characters (got {got})"


DEFAULT = Limit(1024, headroom=0)

_EMAIL = Limit(254)
_PASSWORD = Limit(72, message="must be at most 72 bytes in UTF-8")
_FULL_NAME = Limit(255)
# Any refresh token the server did not issue answers UNAUTHENTICATED, whatever its size.
_REFRESH_TOKEN = Limit(512, headroom=16_384)
_PAGE_TOKEN = Limit(2048, headroom=0)
_FILTER = Limit(2000, headroom=0, message="is longer than 2000 characters")
_MODEL = Limit(200)
_PROVIDER = Limit(64)
_V1 = "opengovfood.v1."

# Keyed by the proto field's full name; tests check each names a real request field.
LIMITS: dict[str, Limit] = {
    _V1 + "RegisterRequest.email": _EMAIL,
    _V1 + "RegisterRequest.password": _PASSWORD,
    _V1 + "RegisterRequest.full_name": _FULL_NAME,
    _V1 + "LoginRequest.email": _EMAIL,
    _V1 + "LoginRequest.password": _PASSWORD,
    _V1 + "RefreshTokenRequest.refresh_token": _REFRESH_TOKEN,
    _V1 + "LogoutRequest.refresh_token": _REFRESH_TOKEN,
    _V1 + "User.email": _EMAIL,
    _V1 + "User.full_name": _FULL_NAME,
    _V1 + "UpdateMeRequest.current_password": _PASSWORD,
    _V1 + "ChangePasswordRequest.current_password": _PASSWORD,
    _V1 + "ChangePasswordRequest.new_password": _PASSWORD,
    _V1 + "CreateUserRequest.password": _PASSWORD,
    _V1 + "UpdateUserRequest.password": _PASSWORD,
    _V1 + "ListUsersRequest.page_token": _PAGE_TOKEN,
    _V1 + "ListUsersRequest.filter": _FILTER,
    _V1 + "Item.title": Limit(100),
    _V1 + "Item.description": Limit(1000),
    _V1 + "Item.etag": Limit(64),
    _V1 + "CreateItemRequest.request_id": Limit(64),
    _V1 + "ListItemsRequest.page_token": _PAGE_TOKEN,
    _V1 + "ListItemsRequest.filter": _FILTER,
    _V1 + "ListItemsRequest.order_by": Limit(200),
    _V1 + "DeleteItemRequest.etag": Limit(64),
    _V1 + "WatchItemsRequest.filter": _FILTER,
    _V1 + "ExportInspectionsRequest.filter": _FILTER,
    _V1 + "AnalyzeInspectionRequest.notes": Limit(20_000),
    _V1 + "AnalyzeInspectionRequest.model": _MODEL,
    _V1 + "AnalyzeInspectionRequest.provider": _PROVIDER,
    _V1 + "ListAnalysesRequest.page_token": _PAGE_TOKEN,
    _V1 + "ListAnalysesRequest.filter": _FILTER,
    _V1 + "ChatRequest.message": Limit(20_000),
    _V1 + "ChatRequest.model": _MODEL,
    _V1 + "ChatRequest.provider": _PROVIDER,
    _V1 + "PullModelRequest.name": _MODEL,
    # UpdateAnalysis: the inspector's review (services/analyses.py has the exact rules).
    _V1 + "InspectionAnalysis.summary": Limit(4000),
    _V1 + "InspectionAnalysis.violations": Limit(0, items=100),
    _V1 + "InspectionAnalysis.corrective_actions": Limit(1000, items=100),
    _V1 + "InspectionAnalysis.public_health_narrative": Limit(4000),
    _V1 + "InspectionAnalysis.provider": _PROVIDER,
    _V1 + "InspectionAnalysis.model": _MODEL,
    _V1 + "InspectionAnalysis.grade": Limit(64),
    _V1 + "InspectionAnalysis.scoring_scheme": Limit(64),
    _V1 + "InspectionAnalysis.etag": Limit(64),
    _V1 + "Violation.code": Limit(64),
    _V1 + "Violation.food_code_section": Limit(64),
    _V1 + "Violation.description": Limit(1000),
    _V1 + "Violation.evidence": Limit(2000),
    _V1 + "Violation.corrective_action": Limit(1000),
    # Establishments
    _V1 + "Establishment.name": Limit(200),
    _V1 + "Establishment.license_number": Limit(64),
    _V1 + "Establishment.facility_type": Limit(100),
    _V1 + "Establishment.etag": Limit(64),
    _V1 + "Address.street": Limit(200),
    _V1 + "Address.city": Limit(100),
    _V1 + "Address.state": Limit(50),
    _V1 + "Address.postal_code": Limit(20),
    _V1 + "CreateEstablishmentRequest.request_id": Limit(64),
    _V1 + "ListEstablishmentsRequest.page_token": _PAGE_TOKEN,
    _V1 + "ListEstablishmentsRequest.filter": _FILTER,
    _V1 + "ListEstablishmentsRequest.order_by": Limit(200),
    _V1 + "DeleteEstablishmentRequest.etag": Limit(64),
    "google.protobuf.FieldMask.paths": Limit(64, items=16),
}

_TEXT = (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES)
_MAX_DEPTH = 8  # our requests nest 2 deep; deeper is not one of our messages


def check_request(request: Message) -> None:
    """INVALID_ARGUMENT with a violation per oversized field; costs O(fields set)."""
    violations: list[FieldViolation] = []
    _check(request, "", violations, 0)
    if violations:
        raise InvalidArgument.for_fields(violations)


def _check(message: Message, prefix: str, violations: list[FieldViolation], depth: int) -> None:
    if depth > _MAX_DEPTH:
        violations.append(FieldViolation(prefix.rstrip(".") or "request", "is nested too deep"))
        return
    for field, value in message.ListFields():
        path = prefix + field.name
        limit = LIMITS.get(field.full_name, DEFAULT)
        if field.is_repeated:
            if len(value) > limit.items:
                violations.append(FieldViolation(path, f"must have at most {limit.items} elements"))
                continue
            for index, element in enumerate(value):
                _check_value(field, element, f"{path}[{index}]", limit, violations, depth)
        else:
            _check_value(field, value, path, limit, violations, depth)


def _check_value(
    field: FieldDescriptor,
    value: object,
    path: str,
    limit: Limit,
    violations: list[FieldViolation],
    depth: int,
) -> None:
    if field.type in _TEXT:
        size = len(value)  # type: ignore[arg-type]
        if size > limit.ceiling:
            violations.append(FieldViolation(path, limit.describe(size)))
    elif field.type == FieldDescriptor.TYPE_MESSAGE:
        _check(value, path + ".", violations, depth + 1)  # type: ignore[arg-type]
