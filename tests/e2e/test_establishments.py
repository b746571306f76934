"""EstablishmentService: every method and error code, who sees what, filters (the
accent-insensitive name search included), pages, etags and idempotent creates,
through the real server."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import grpc
import pytest
from google.protobuf import field_mask_pb2

from opengovfood.domain.principal import SCOPE_ITEMS_READ
from opengovfood_client.v1 import establishments_pb2 as pb
from opengovfood_client.v1 import establishments_pb2_grpc
from support.reliability import error_info
from support.rpc_errors import field_violations, rpc_error

if TYPE_CHECKING:
    from support.server import TestUser, UserFactory

Stub = establishments_pb2_grpc.EstablishmentServiceStub
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND


def _place(
    name: str = "Café Olé",
    *,
    city: str = "Chicago",
    state: str = "IL",
    postal_code: str = "60614",
    street: str = "2001 N Clark St",
    license_number: str = "",
    facility_type: str = "Restaurant",
    risk_category: int = pb.RISK_CATEGORY_1,
) -> pb.Establishment:
    return pb.Establishment(
        name=name,
        address=pb.Address(street=street, city=city, state=state, postal_code=postal_code),
        license_number=license_number,
        facility_type=facility_type,
        risk_category=risk_category,  # type: ignore[arg-type]
    )


async def _create(
    stub: Stub, user: TestUser, place: pb.Establishment | None = None, request_id: str = ""
) -> pb.Establishment:
    return await stub.CreateEstablishment(
        pb.CreateEstablishmentRequest(establishment=place or _place(), request_id=request_id),
        metadata=user.metadata,
        timeout=10,
    )


async def _list(stub: Stub, user: TestUser, **fields: object) -> pb.ListEstablishmentsResponse:
    return await stub.ListEstablishments(
        pb.ListEstablishmentsRequest(**fields),  # type: ignore[arg-type]
        metadata=user.metadata,
        timeout=10,
    )


def _license() -> str:
    return f"L-{uuid.uuid4().hex[:10]}"


async def test_create_get_roundtrip(establishments_stub: Stub, make_user: UserFactory) -> None:
    user = await make_user()
    number = _license()
    created = await _create(
        establishments_stub,
        user,
        _place(
            "  Café Olé  ",
            license_number=f" {number} ",
            risk_category=pb.RISK_CATEGORY_3,
        ),
    )
    assert created.id > 0
    assert created.name == "Café Olé"
    assert created.license_number == number
    assert created.address.city == "Chicago"
    assert created.address.postal_code == "60614"
    assert created.facility_type == "Restaurant"
    assert created.risk_category == pb.RISK_CATEGORY_3
    assert created.owner_id == user.id
    assert created.etag
    assert created.create_time == created.update_time
    fetched = await establishments_stub.GetEstablishment(
        pb.GetEstablishmentRequest(id=created.id), metadata=user.metadata
    )
    assert fetched == created


@pytest.mark.parametrize(
    ("place", "fields"),
    [
        (_place(""), {"establishment.name"}),
        (_place("   "), {"establishment.name"}),
        (_place("x" * 201), {"establishment.name"}),
        (_place("tab\tname"), {"establishment.name"}),
        (_place("ok", city="c" * 101), {"establishment.address.city"}),
        (_place("ok", state="s" * 51), {"establishment.address.state"}),
        (_place("ok", postal_code="9" * 21), {"establishment.address.postal_code"}),
        (_place("ok", street="s" * 201), {"establishment.address.street"}),
        (_place("ok", license_number="n" * 65), {"establishment.license_number"}),
        (_place("ok", facility_type="f" * 101), {"establishment.facility_type"}),
        (_place("ok", risk_category=9), {"establishment.risk_category"}),
        (_place("", city="c" * 101), {"establishment.name", "establishment.address.city"}),
    ],
)
async def test_create_validation(
    establishments_stub: Stub, make_user: UserFactory, place: pb.Establishment, fields: set[str]
) -> None:
    user = await make_user()
    error = await rpc_error(_create(establishments_stub, user, place), INVALID)
    assert set(field_violations(error)) == fields
    assert error_info(error)[0] == "FIELD_INVALID"


async def test_license_number_is_unique_per_owner(
    establishments_stub: Stub, make_user: UserFactory
) -> None:
    user, other = await make_user(), await make_user()
    number = _license()
    first = await _create(establishments_stub, user, _place("One", license_number=number))
    error = await rpc_error(
        _create(establishments_stub, user, _place("Two", license_number=number)),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert error_info(error)[0] == "LICENSE_NUMBER_TAKEN"
    assert number in (error.details() or "")
    # Another owner's scope is another namespace (until departments).
    await _create(establishments_stub, other, _place("Elsewhere", license_number=number))
    # Any number of establishments may lack a licence number.
    await _create(establishments_stub, user, _place("No licence A"))
    await _create(establishments_stub, user, _place("No licence B"))
    # An update onto a taken number is refused the same way.
    second = await _create(establishments_stub, user, _place("Two", license_number=_license()))
    error = await rpc_error(
        establishments_stub.UpdateEstablishment(
            pb.UpdateEstablishmentRequest(
                establishment=pb.Establishment(id=second.id, license_number=number),
                update_mask=field_mask_pb2.FieldMask(paths=["license_number"]),
            ),
            metadata=user.metadata,
        ),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert error_info(error)[0] == "LICENSE_NUMBER_TAKEN"
    unchanged = await establishments_stub.GetEstablishment(
        pb.GetEstablishmentRequest(id=first.id), metadata=user.metadata
    )
    assert unchanged == first


async def test_idempotent_create(establishments_stub: Stub, make_user: UserFactory) -> None:
    user, other = await make_user(), await make_user()
    request_id = str(uuid.uuid4())
    place = _place("Repeat Diner", license_number=_license())
    first = await _create(establishments_stub, user, place, request_id)
    again = await _create(establishments_stub, user, place, request_id)
    assert again == first
    listed = await _list(establishments_stub, user, filter='name:"Repeat Diner"')
    assert [p.id for p in listed.establishments] == [first.id]
    # The same id with another body is refused; another caller's id is theirs.
    error = await rpc_error(
        _create(establishments_stub, user, _place("Other Diner"), request_id), INVALID
    )
    assert error_info(error)[0] == "REQUEST_ID_REUSED"
    mine = await _create(establishments_stub, other, _place("Repeat Diner"), request_id)
    assert mine.id != first.id
    error = await rpc_error(_create(establishments_stub, user, place, "not-a-uuid"), INVALID)
    assert set(field_violations(error)) == {"request_id"}


async def test_ownership(establishments_stub: Stub, make_user: UserFactory, server: object) -> None:
    owner, stranger = await make_user(), await make_user()
    admin = await make_user(superuser=True)
    place = await _create(establishments_stub, owner, _place(license_number=_license()))
    get = pb.GetEstablishmentRequest(id=place.id)

    for call in (
        establishments_stub.GetEstablishment(get, metadata=stranger.metadata),
        establishments_stub.UpdateEstablishment(
            pb.UpdateEstablishmentRequest(establishment=pb.Establishment(id=place.id, name="Mine")),
            metadata=stranger.metadata,
        ),
        establishments_stub.DeleteEstablishment(
            pb.DeleteEstablishmentRequest(id=place.id), metadata=stranger.metadata
        ),
    ):
        await rpc_error(call, NOT_FOUND)
    assert place.id not in [
        p.id for p in (await _list(establishments_stub, stranger)).establishments
    ]

    # Superusers read and write everyone's.
    assert await establishments_stub.GetEstablishment(get, metadata=admin.metadata) == place
    renamed = await establishments_stub.UpdateEstablishment(
        pb.UpdateEstablishmentRequest(
            establishment=pb.Establishment(id=place.id, name="Renamed by admin"),
            update_mask=field_mask_pb2.FieldMask(paths=["name"]),
        ),
        metadata=admin.metadata,
    )
    assert renamed.owner_id == owner.id
    listed = await _list(establishments_stub, admin, filter=f"owner_id = {owner.id}")
    assert [p.id for p in listed.establishments] == [place.id]


async def test_service_principals_read_with_items_read_and_never_write(
    establishments_stub: Stub, make_user: UserFactory, server: object
) -> None:
    owner = await make_user()
    place = await _create(establishments_stub, owner)
    reader = make_user.service_token("exporter", frozenset({SCOPE_ITEMS_READ}))
    nobody = make_user.service_token("nobody", frozenset())
    fetched = await establishments_stub.GetEstablishment(
        pb.GetEstablishmentRequest(id=place.id), metadata=reader
    )
    assert fetched.id == place.id
    await rpc_error(
        establishments_stub.GetEstablishment(
            pb.GetEstablishmentRequest(id=place.id), metadata=nobody
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await rpc_error(
        establishments_stub.CreateEstablishment(
            pb.CreateEstablishmentRequest(establishment=_place()), metadata=reader
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


async def test_unauthenticated(establishments_stub: Stub) -> None:
    await rpc_error(
        establishments_stub.ListEstablishments(pb.ListEstablishmentsRequest()),
        grpc.StatusCode.UNAUTHENTICATED,
    )


async def test_get_and_delete_argument_errors(
    establishments_stub: Stub, make_user: UserFactory
) -> None:
    user = await make_user()
    error = await rpc_error(
        establishments_stub.GetEstablishment(
            pb.GetEstablishmentRequest(id=0), metadata=user.metadata
        ),
        INVALID,
    )
    assert set(field_violations(error)) == {"id"}
    await rpc_error(
        establishments_stub.GetEstablishment(
            pb.GetEstablishmentRequest(id=-5), metadata=user.metadata
        ),
        INVALID,
    )
    await rpc_error(
        establishments_stub.GetEstablishment(
            pb.GetEstablishmentRequest(id=2**62), metadata=user.metadata
        ),
        NOT_FOUND,
    )
    error = await rpc_error(
        establishments_stub.DeleteEstablishment(
            pb.DeleteEstablishmentRequest(id=1, etag="bogus"), metadata=user.metadata
        ),
        INVALID,
    )
    assert error_info(error)[0] == "ETAG_INVALID"


async def test_update_with_mask_and_etags(
    establishments_stub: Stub, make_user: UserFactory
) -> None:
    user = await make_user()
    place = await _create(establishments_stub, user, _place("Old Name"))

    def update(
        establishment: pb.Establishment, paths: list[str] | None = None
    ) -> grpc.aio.UnaryUnaryCall[pb.UpdateEstablishmentRequest, pb.Establishment]:
        return establishments_stub.UpdateEstablishment(
            pb.UpdateEstablishmentRequest(
                establishment=establishment,
                update_mask=field_mask_pb2.FieldMask(paths=paths) if paths is not None else None,
            ),
            metadata=user.metadata,
        )

    # Only masked fields change; the address part path leaves the others alone.
    moved = await update(
        pb.Establishment(
            id=place.id,
            etag=place.etag,
            name="Ignored",
            address=pb.Address(city="Evanston", street="ignored"),
        ),
        ["address.city"],
    )
    assert moved.name == "Old Name"
    assert moved.address.city == "Evanston"
    assert moved.address.street == place.address.street
    assert moved.etag != place.etag
    assert moved.update_time.ToDatetime() >= place.update_time.ToDatetime()

    # The old etag is stale now: ABORTED, and nothing changes.
    error = await rpc_error(
        update(pb.Establishment(id=place.id, etag=place.etag, name="Lost"), ["name"]),
        grpc.StatusCode.ABORTED,
    )
    assert error_info(error)[0] == "ETAG_MISMATCH"

    # `address` replaces all four parts; no mask updates the fields that are set.
    readdressed = await update(
        pb.Establishment(id=place.id, address=pb.Address(city="Skokie")), ["address"]
    )
    assert readdressed.address == pb.Address(city="Skokie")
    unmasked = await update(
        pb.Establishment(id=place.id, name="New Name", risk_category=pb.RISK_CATEGORY_4)
    )
    assert unmasked.name == "New Name"
    assert unmasked.risk_category == pb.RISK_CATEGORY_4
    assert unmasked.address.city == "Skokie"
    assert unmasked.facility_type == "Restaurant"

    # Bad paths and bad values: one violation each.
    error = await rpc_error(
        update(pb.Establishment(id=place.id), ["owner_id", "nonsense", "name"]), INVALID
    )
    assert set(field_violations(error)) == {"update_mask.paths[0]", "update_mask.paths[1]"}
    error = await rpc_error(
        update(pb.Establishment(id=place.id, name=""), ["name", "risk_category"]), INVALID
    )
    assert set(field_violations(error)) == {"establishment.name"}
    error = await rpc_error(update(pb.Establishment(id=place.id)), INVALID)
    assert set(field_violations(error)) == {"update_mask"}
    error = await rpc_error(update(pb.Establishment(name="x"), ["name"]), INVALID)
    assert set(field_violations(error)) == {"establishment.id"}
    # A masked UNSPECIFIED risk category clears the assessment.
    cleared = await update(pb.Establishment(id=place.id), ["risk_category"])
    assert cleared.risk_category == pb.RISK_CATEGORY_UNSPECIFIED


async def test_delete(establishments_stub: Stub, make_user: UserFactory) -> None:
    user = await make_user()
    place = await _create(establishments_stub, user)
    changed = await establishments_stub.UpdateEstablishment(
        pb.UpdateEstablishmentRequest(
            establishment=pb.Establishment(id=place.id, facility_type="Bakery")
        ),
        metadata=user.metadata,
    )
    error = await rpc_error(
        establishments_stub.DeleteEstablishment(
            pb.DeleteEstablishmentRequest(id=place.id, etag=place.etag), metadata=user.metadata
        ),
        grpc.StatusCode.ABORTED,
    )
    assert error_info(error)[0] == "ETAG_MISMATCH"
    await establishments_stub.DeleteEstablishment(
        pb.DeleteEstablishmentRequest(id=place.id, etag=changed.etag), metadata=user.metadata
    )
    await rpc_error(
        establishments_stub.GetEstablishment(
            pb.GetEstablishmentRequest(id=place.id), metadata=user.metadata
        ),
        NOT_FOUND,
    )
    await rpc_error(
        establishments_stub.DeleteEstablishment(
            pb.DeleteEstablishmentRequest(id=place.id), metadata=user.metadata
        ),
        NOT_FOUND,
    )


async def test_filters(establishments_stub: Stub, make_user: UserFactory) -> None:
    user = await make_user()
    number = _license()
    cafe = await _create(
        establishments_stub,
        user,
        _place("Café Olé", city="Chicago", risk_category=pb.RISK_CATEGORY_3, license_number=number),
    )
    bakery = await _create(
        establishments_stub,
        user,
        _place(
            "ÉCOLE Bakery",
            city="Evanston",
            state="IL",
            postal_code="60201",
            facility_type="Bakery",
            risk_category=pb.RISK_CATEGORY_1,
        ),
    )
    grill = await _create(
        establishments_stub,
        user,
        _place("Straße Grill", city="Chicago", state="IL", risk_category=pb.RISK_CATEGORY_2),
    )

    async def ids(text: str) -> set[int]:
        page = await _list(establishments_stub, user, filter=text)
        assert page.total_size == len(page.establishments)
        return {p.id for p in page.establishments}

    # Case- and accent-insensitive name search, both ways round.
    assert await ids('name:"cafe ole"') == {cafe.id}
    assert await ids('name:"CAFÉ"') == {cafe.id}
    assert await ids('name:"ecole"') == {bakery.id}
    assert await ids('name:"strasse"') == {grill.id}
    assert await ids('name:"olé" OR name:"bakery"') == {cafe.id, bakery.id}
    assert await ids('name:"%"') == set()
    assert await ids('city = "Chicago"') == {cafe.id, grill.id}
    assert await ids('city = "chicago"') == set()  # `=` is exact; `:` searches
    assert await ids('city:"chic"') == {cafe.id, grill.id}
    assert await ids('postal_code = "60201"') == {bakery.id}
    assert await ids('facility_type = "Bakery"') == {bakery.id}
    assert await ids('state = "IL" AND NOT city = "Evanston"') == {cafe.id, grill.id}
    assert await ids(f'license_number = "{number}"') == {cafe.id}
    assert await ids("risk_category = RISK_CATEGORY_3") == {cafe.id}
    assert await ids("risk_category >= RISK_CATEGORY_2") == {cafe.id, grill.id}
    assert await ids("risk_category < 2") == {bakery.id}
    assert await ids(f"create_time >= {_rfc3339(bakery)}") == {bakery.id, grill.id}

    for bad, hint in (
        ('title:"x"', "unknown field"),
        ("name = x", "does not support"),
        ("risk_category = RISK_CATEGORY_9", "no value"),
        ('city = "x" AND', "ended"),
    ):
        error = await rpc_error(_list(establishments_stub, user, filter=bad), INVALID)
        assert hint in (error.details() or ""), error.details()
        assert error_info(error)[0] == "FILTER_INVALID"


def _rfc3339(place: pb.Establishment) -> str:
    return place.create_time.ToJsonString()


async def test_order_and_keyset_pages(establishments_stub: Stub, make_user: UserFactory) -> None:
    user = await make_user()
    names = ["Delta", "alpha", "Charlie", "Bravo", "Echo", "Alpha"]
    made = [await _create(establishments_stub, user, _place(n)) for n in names]

    async def walk(order_by: str, page_size: int = 2) -> list[str]:
        seen: list[str] = []
        token = ""
        while True:
            page = await _list(
                establishments_stub, user, order_by=order_by, page_size=page_size, page_token=token
            )
            assert page.total_size == len(names)
            seen.extend(p.name for p in page.establishments)
            token = page.next_page_token
            if not token:
                return seen

    assert await walk("") == sorted(names)  # default: name (code point order)
    assert await walk("name desc") == sorted(names, reverse=True)
    assert await walk("create_time") == names
    assert await walk("create_time desc", page_size=4) == names[::-1]

    # Stable under concurrent inserts: a new row before the cursor is not seen twice.
    first = await _list(establishments_stub, user, page_size=3)
    await _create(establishments_stub, user, _place("Aardvark"))
    rest = await _list(establishments_stub, user, page_size=10, page_token=first.next_page_token)
    assert [p.name for p in first.establishments] + [p.name for p in rest.establishments] == sorted(
        names
    )

    error = await rpc_error(_list(establishments_stub, user, order_by="title"), INVALID)
    assert error_info(error)[0] == "ORDER_BY_INVALID"
    error = await rpc_error(
        _list(establishments_stub, user, order_by="name desc", page_token=first.next_page_token),
        INVALID,
    )
    assert error_info(error)[0] == "PAGE_TOKEN_INVALID"
    await rpc_error(_list(establishments_stub, user, page_size=-1), INVALID)
    assert len(made) == len(names)
