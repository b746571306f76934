"""EstablishmentService's rules over an in-memory repository: validation, masks,
licence numbers, who may do what, the folded name search, delete refusal."""

from __future__ import annotations

import uuid

import pytest

from fakes.repositories import InMemoryEstablishments
from opengovfood.domain.establishments import RiskCategory, fold, license_scope
from opengovfood.domain.pagination import PageTokens
from opengovfood.domain.principal import SCOPE_ITEMS_READ, Principal
from opengovfood.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from opengovfood.reasons import Reason
from opengovfood.services.establishments import (
    EstablishmentService,
    mask_columns,
    parse_risk_category,
)

PAGE_TOKENS = PageTokens(b"a unit test's page token key, 32 bytes or more")
ANA = Principal(kind="user", user_id=1, name="ana@example.org")
BEN = Principal(kind="user", user_id=2, name="ben@example.org")
ADMIN = Principal(kind="user", user_id=3, name="admin@example.org", is_superuser=True)
READER = Principal(
    kind="service", user_id=None, name="reports", scopes=frozenset({SCOPE_ITEMS_READ})
)


@pytest.fixture
def repository() -> InMemoryEstablishments:
    return InMemoryEstablishments()


@pytest.fixture
def service(repository: InMemoryEstablishments) -> EstablishmentService:
    return EstablishmentService(repository, PAGE_TOKENS)


def fields(error: pytest.ExceptionInfo[InvalidArgument]) -> set[str]:
    return {v.field for v in error.value.violations}


def test_fold_removes_accents_and_case() -> None:
    assert fold("Café Olé") == "cafe ole"
    assert fold("STRAßE") == "strasse"
    assert fold("\uff23\uff41\uff46\uff45") == "cafe"  # full-width forms (NFKD)
    assert fold("Smørrebrød") == "smørrebrød"  # ø is a letter, not o + accent


def test_license_scope_is_the_owner_until_departments() -> None:
    assert license_scope(7) == 7


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, RiskCategory.UNSPECIFIED),
        (3, RiskCategory.CATEGORY_3),
        ("RISK_CATEGORY_4", RiskCategory.CATEGORY_4),
        (" risk_category_2 ", RiskCategory.CATEGORY_2),
        ("1", RiskCategory.CATEGORY_1),
        (RiskCategory.CATEGORY_1, RiskCategory.CATEGORY_1),
    ],
)
def test_parse_risk_category(value: object, expected: RiskCategory) -> None:
    assert parse_risk_category(value, "r") is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [5, -1, "RISK_CATEGORY_5", "high", True])
def test_parse_risk_category_refuses(value: object) -> None:
    with pytest.raises(InvalidArgument):
        parse_risk_category(value, "r")  # type: ignore[arg-type]


def test_mask_paths() -> None:
    assert mask_columns(["address"]) == ("street", "city", "state", "postal_code")
    assert mask_columns(["address.city", "name", "address"]) == (
        "city",
        "name",
        "street",
        "state",
        "postal_code",
    )
    assert len(mask_columns(["*"])) == 8
    with pytest.raises(InvalidArgument) as error:
        mask_columns(["etag", "address.country", "*"])
    assert fields(error) == {"update_mask.paths[0]", "update_mask.paths[1]", "update_mask.paths[2]"}


async def test_create_validates_every_field_at_once(service: EstablishmentService) -> None:
    with pytest.raises(InvalidArgument) as error:
        await service.create_establishment(
            ANA,
            name=" ",
            street="s" * 201,
            city="bad\x00city",
            state="s" * 51,
            postal_code="p" * 21,
            license_number="l" * 65,
            facility_type="f" * 101,
            risk_category=7,
        )
    assert fields(error) == {
        "establishment.name",
        "establishment.address.street",
        "establishment.address.city",
        "establishment.address.state",
        "establishment.address.postal_code",
        "establishment.license_number",
        "establishment.facility_type",
        "establishment.risk_category",
    }


async def test_create_trims_and_defaults(service: EstablishmentService) -> None:
    place = await service.create_establishment(ANA, name="  Diner ", city=" Chicago ")
    assert (place.name, place.address.city, place.risk_category, place.license_number) == (
        "Diner",
        "Chicago",
        RiskCategory.UNSPECIFIED,
        "",
    )
    assert place.owner_id == 1


async def test_license_numbers(service: EstablishmentService) -> None:
    await service.create_establishment(ANA, name="A", license_number="L1")
    with pytest.raises(AlreadyExists) as error:
        await service.create_establishment(ANA, name="B", license_number=" L1 ")
    assert error.value.reason is Reason.LICENSE_NUMBER_TAKEN
    await service.create_establishment(BEN, name="B", license_number="L1")
    other = await service.create_establishment(ANA, name="C", license_number="L2")
    with pytest.raises(AlreadyExists):
        await service.update_establishment(ANA, other.id, license_number="L1")


async def test_who_may_do_what(service: EstablishmentService) -> None:
    place = await service.create_establishment(ANA, name="Ana's")
    with pytest.raises(NotFound):
        await service.get_establishment(BEN, place.id)
    with pytest.raises(NotFound):
        await service.update_establishment(BEN, place.id, name="Ben's")
    with pytest.raises(NotFound):
        await service.delete_establishment(BEN, place.id)
    assert (await service.get_establishment(ADMIN, place.id)).id == place.id
    assert (await service.get_establishment(READER, place.id)).id == place.id
    with pytest.raises(PermissionDenied):
        await service.create_establishment(READER, name="x")
    assert (await service.list_establishments(BEN)).total_size == 0


async def test_update_rules(service: EstablishmentService) -> None:
    place = await service.create_establishment(ANA, name="Old", city="Chicago", state="IL")
    moved = await service.update_establishment(
        ANA, place.id, city="Evanston", name="ignored", update_mask=["address.city"]
    )
    assert (moved.name, moved.address.city, moved.address.state) == ("Old", "Evanston", "IL")
    cleared = await service.update_establishment(ANA, place.id, update_mask=["address"])
    assert cleared.address.city == cleared.address.state == ""
    with pytest.raises(Aborted):
        await service.update_establishment(ANA, place.id, name="New", etag=place.etag)
    with pytest.raises(InvalidArgument) as error:
        await service.update_establishment(ANA, place.id, update_mask=["name"])
    assert fields(error) == {"establishment.name"}
    with pytest.raises(InvalidArgument) as error:
        await service.update_establishment(ANA, place.id, name="x", etag="nonsense")
    assert fields(error) == {"establishment.etag"}


async def test_idempotent_create(service: EstablishmentService) -> None:
    key = str(uuid.uuid4())
    first = await service.create_establishment(ANA, name="Once", request_id=key)
    assert await service.create_establishment(ANA, name="Once", request_id=key) == first
    with pytest.raises(InvalidArgument) as error:
        await service.create_establishment(ANA, name="Twice", request_id=key)
    assert error.value.reason is Reason.REQUEST_ID_REUSED
    await service.delete_establishment(ANA, first.id)
    with pytest.raises(NotFound):
        await service.create_establishment(ANA, name="Once", request_id=key)


async def test_list_searches_the_folded_name(service: EstablishmentService) -> None:
    cafe = await service.create_establishment(ANA, name="Café Olé")
    await service.create_establishment(ANA, name="Diner")
    page = await service.list_establishments(ANA, filter='name:"CAFE"')
    assert [p.id for p in page.items] == [cafe.id]
    names = [p.name for p in (await service.list_establishments(ANA)).items]
    assert names == ["Café Olé", "Diner"]


async def test_delete_refused_while_inspections_name_it(
    service: EstablishmentService, repository: InMemoryEstablishments
) -> None:
    place = await service.create_establishment(ANA, name="Inspected")
    repository.referenced.add(place.id)
    with pytest.raises(FailedPrecondition) as error:
        await service.delete_establishment(ANA, place.id)
    assert error.value.reason is Reason.ESTABLISHMENT_HAS_INSPECTIONS
    assert (await service.get_establishment(ANA, place.id)).id == place.id
    repository.referenced.discard(place.id)
    await service.delete_establishment(ANA, place.id)
