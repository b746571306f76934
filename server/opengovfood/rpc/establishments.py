"""EstablishmentService servicer: protobuf <-> plain values around
services.establishments.EstablishmentService."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import empty_pb2

from opengovfood.context import current_principal
from opengovfood.domain.establishments import EstablishmentRecord, RiskCategory
from opengovfood.errors import InvalidArgument
from opengovfood.rpc.timestamps import set_timestamp
from opengovfood.services.establishments import EstablishmentService
from opengovfood_client.v1 import establishments_pb2, establishments_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]

_INT32_MAX = 2**31 - 1


def _risk(number: int) -> RiskCategory:
    """The proto enum's numbers are the categories; others are INVALID_ARGUMENT."""
    try:
        return RiskCategory(number)
    except ValueError:
        raise InvalidArgument.field(
            "establishment.risk_category", f"unknown risk category value {number}"
        ) from None


def _fill_establishment(
    message: establishments_pb2.Establishment, record: EstablishmentRecord
) -> None:
    """Set `message`'s fields in place, its address where it lives (a page of 50 built
    apart would be copied into the response, each address into its establishment)."""
    address = record.address
    message.id = record.id
    message.name = record.name
    where = message.address
    where.street = address.street
    where.city = address.city
    where.state = address.state
    where.postal_code = address.postal_code
    message.license_number = record.license_number
    message.facility_type = record.facility_type
    message.risk_category = int(record.risk_category)  # type: ignore[assignment]
    message.owner_id = record.owner_id
    message.etag = record.etag
    set_timestamp(message.create_time, record.create_time)
    set_timestamp(message.update_time, record.update_time)


def establishment_to_pb(record: EstablishmentRecord) -> establishments_pb2.Establishment:
    message = establishments_pb2.Establishment()
    _fill_establishment(message, record)
    return message


class EstablishmentServicer(establishments_pb2_grpc.EstablishmentServiceServicer):
    def __init__(self, establishments: EstablishmentService) -> None:
        self._establishments = establishments

    async def CreateEstablishment(
        self, request: establishments_pb2.CreateEstablishmentRequest, context: Context
    ) -> establishments_pb2.Establishment:
        place = request.establishment
        created = await self._establishments.create_establishment(
            current_principal(),
            name=place.name,
            street=place.address.street,
            city=place.address.city,
            state=place.address.state,
            postal_code=place.address.postal_code,
            license_number=place.license_number,
            facility_type=place.facility_type,
            risk_category=_risk(place.risk_category),
            request_id=request.request_id or None,
        )
        return establishment_to_pb(created)

    async def GetEstablishment(
        self, request: establishments_pb2.GetEstablishmentRequest, context: Context
    ) -> establishments_pb2.Establishment:
        return establishment_to_pb(
            await self._establishments.get_establishment(current_principal(), request.id)
        )

    async def ListEstablishments(
        self, request: establishments_pb2.ListEstablishmentsRequest, context: Context
    ) -> establishments_pb2.ListEstablishmentsResponse:
        page = await self._establishments.list_establishments(
            current_principal(),
            page_size=request.page_size,
            page_token=request.page_token,
            filter=request.filter,
            order_by=request.order_by,
        )
        response = establishments_pb2.ListEstablishmentsResponse(
            next_page_token=page.next_page_token, total_size=min(page.total_size, _INT32_MAX)
        )
        add = response.establishments.add
        for record in page.items:
            _fill_establishment(add(), record)
        return response

    async def UpdateEstablishment(
        self, request: establishments_pb2.UpdateEstablishmentRequest, context: Context
    ) -> establishments_pb2.Establishment:
        place = request.establishment
        paths = list(request.update_mask.paths)
        address = place.address
        values: dict[str, Any] = {
            "name": place.name,
            "street": address.street,
            "city": address.city,
            "state": address.state,
            "postal_code": address.postal_code,
            "license_number": place.license_number,
            "facility_type": place.facility_type,
        }
        if not paths:
            # AIP-134: no mask means "the fields that are set" (non-default in proto3).
            values = {name: value or None for name, value in values.items()}
        # Fields outside the mask are ignored, even malformed ones.
        wants_risk = (not paths and place.risk_category != 0) or bool(
            {"risk_category", "*"} & set(paths)
        )
        updated = await self._establishments.update_establishment(
            current_principal(),
            place.id,
            **values,
            risk_category=_risk(place.risk_category) if wants_risk else None,
            update_mask=paths,
            etag=place.etag,
        )
        return establishment_to_pb(updated)

    async def DeleteEstablishment(
        self, request: establishments_pb2.DeleteEstablishmentRequest, context: Context
    ) -> empty_pb2.Empty:
        await self._establishments.delete_establishment(
            current_principal(), request.id, etag=request.etag
        )
        return empty_pb2.Empty()
