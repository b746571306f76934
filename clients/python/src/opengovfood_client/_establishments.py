"""EstablishmentService request messages from keyword arguments; shared by the sync and
async clients."""

from __future__ import annotations

import uuid
from typing import TypeAlias

from google.protobuf import field_mask_pb2

from opengovfood_client.v1 import establishments_pb2

RiskCategoryLike: TypeAlias = establishments_pb2.RiskCategory.ValueType | str


def risk_category(value: RiskCategoryLike) -> establishments_pb2.RiskCategory.ValueType:
    """`RISK_CATEGORY_3`, `3`, `category_3` or the enum value."""
    if isinstance(value, int):
        return establishments_pb2.RiskCategory.ValueType(value)
    name = value.strip().upper().replace("-", "_").replace(" ", "_").removeprefix("CATEGORY_")
    if not name.startswith("RISK_CATEGORY_"):
        name = "RISK_CATEGORY_" + name
    try:
        return establishments_pb2.RiskCategory.Value(name)
    except ValueError:
        raise ValueError(f"unknown risk category {value!r}; use 1, 2, 3 or 4") from None


def address(
    street: str | None, city: str | None, state: str | None, postal_code: str | None
) -> establishments_pb2.Address:
    return establishments_pb2.Address(
        street=street or "", city=city or "", state=state or "", postal_code=postal_code or ""
    )


def create(
    name: str,
    *,
    street: str,
    city: str,
    state: str,
    postal_code: str,
    license_number: str,
    facility_type: str,
    risk: RiskCategoryLike | None,
    request_id: str | None,
) -> establishments_pb2.CreateEstablishmentRequest:
    place = establishments_pb2.Establishment(
        name=name,
        address=address(street, city, state, postal_code),
        license_number=license_number,
        facility_type=facility_type,
    )
    if risk is not None:
        place.risk_category = risk_category(risk)
    # Always a request id: it is what makes CreateEstablishment safe to retry.
    return establishments_pb2.CreateEstablishmentRequest(
        establishment=place, request_id=request_id or str(uuid.uuid4())
    )


def update(
    establishment_id: int,
    *,
    name: str | None,
    street: str | None,
    city: str | None,
    state: str | None,
    postal_code: str | None,
    license_number: str | None,
    facility_type: str | None,
    risk: RiskCategoryLike | None,
    etag: str | None,
) -> establishments_pb2.UpdateEstablishmentRequest:
    """Only the given fields are masked (and so changed); "" clears a field."""
    place = establishments_pb2.Establishment(id=establishment_id, etag=etag or "")
    paths: list[str] = []
    for path, value in (("name", name), ("license_number", license_number)):
        if value is not None:
            setattr(place, path, value)
            paths.append(path)
    if facility_type is not None:
        place.facility_type = facility_type
        paths.append("facility_type")
    for part, value in (
        ("street", street),
        ("city", city),
        ("state", state),
        ("postal_code", postal_code),
    ):
        if value is not None:
            setattr(place.address, part, value)
            paths.append(f"address.{part}")
    if risk is not None:
        place.risk_category = risk_category(risk)
        paths.append("risk_category")
    if not paths:
        raise ValueError("nothing to update: give at least one field")
    return establishments_pb2.UpdateEstablishmentRequest(
        establishment=place, update_mask=field_mask_pb2.FieldMask(paths=paths)
    )
