"""ItemService's rules over an in-memory repository: who may do what, validation,
etags, idempotent creates, lists and watches."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from fakes.repositories import InMemoryEstablishments, InMemoryItems
from opengovfood.domain.establishments import Address, NewEstablishment, RiskCategory
from opengovfood.domain.items import InspectionResult, ItemKind, ItemStatus
from opengovfood.domain.pagination import PageTokens
from opengovfood.domain.principal import SCOPE_ITEMS_READ, Principal
from opengovfood.errors import Aborted, InvalidArgument, NotFound, PermissionDenied
from opengovfood.services.items import ItemService
from opengovfood.services.watch import ItemEventHub

PAGE_TOKENS = PageTokens(b"a unit test's page token key, 32 bytes or more")

ANA = Principal(kind="user", user_id=1, name="ana@example.org")
BEN = Principal(kind="user", user_id=2, name="ben@example.org")
ADMIN = Principal(kind="user", user_id=3, name="admin@example.org", is_superuser=True)
READER = Principal(
    kind="service", user_id=None, name="reports", scopes=frozenset({SCOPE_ITEMS_READ})
)
NO_SCOPE = Principal(kind="service", user_id=None, name="other")


@pytest.fixture
def hub() -> ItemEventHub:
    return ItemEventHub(16, use_notify=False)


@pytest.fixture
def repository(hub: ItemEventHub) -> InMemoryItems:
    return InMemoryItems(publish=hub.dispatch)


@pytest.fixture
def service(repository: InMemoryItems, hub: ItemEventHub) -> ItemService:
    return ItemService(repository, hub, PAGE_TOKENS)


def fields(error: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.description for v in error.value.violations}


async def test_create_validates_and_defaults(service: ItemService) -> None:
    item = await service.create_item(ANA, title="  Cooler at 9 °C  ", description="line\nbreak")
    assert (item.title, item.status, item.owner_id, item.version) == (
        "Cooler at 9 °C",
        ItemStatus.PENDING,
        1,
        1,
    )
    with pytest.raises(InvalidArgument) as error:
        await service.create_item(ANA, title="", description="x" * 1001, status="LATE")
    assert set(fields(error)) == {"item.title", "item.description", "item.status"}
    with pytest.raises(InvalidArgument) as error:
        await service.create_item(ANA, title="a\x07b")
    assert fields(error) == {"item.title": "must not contain control characters"}


@pytest.mark.parametrize("spelling", ["in_progress", "IN_PROGRESS", "ITEM_STATUS_IN_PROGRESS"])
async def test_status_spellings(service: ItemService, spelling: str) -> None:
    item = await service.create_item(ANA, title="t", status=spelling)
    assert item.status is ItemStatus.IN_PROGRESS


async def test_another_users_item_is_not_found_everywhere(service: ItemService) -> None:
    item = await service.create_item(ANA, title="mine")
    with pytest.raises(NotFound):
        await service.get_item(BEN, item.id)
    with pytest.raises(NotFound):
        await service.update_item(BEN, item.id, title="theirs")
    with pytest.raises(NotFound):
        await service.delete_item(BEN, item.id)
    assert (await service.get_item(ADMIN, item.id)).id == item.id
    assert (await service.list_items(BEN)).items == []


async def test_service_principals_read_with_the_scope_and_never_write(
    service: ItemService,
) -> None:
    item = await service.create_item(ANA, title="seen by reports")
    assert (await service.get_item(READER, item.id)).id == item.id
    assert (await service.list_items(READER)).total_size == 1
    with pytest.raises(PermissionDenied, match="items:read"):
        await service.get_item(NO_SCOPE, item.id)
    with pytest.raises(PermissionDenied):
        await service.create_item(READER, title="no")
    with pytest.raises(PermissionDenied):
        await service.update_item(READER, item.id, title="no")


async def test_update_mask_rules(service: ItemService) -> None:
    item = await service.create_item(ANA, title="t", description="d")
    updated = await service.update_item(ANA, item.id, description=None, update_mask=["description"])
    assert updated.description == ""
    assert updated.title == "t"
    assert updated.version == 2
    unmasked = await service.update_item(ANA, item.id, status="completed")
    assert unmasked.status is ItemStatus.COMPLETED
    assert unmasked.description == ""
    with pytest.raises(InvalidArgument) as error:
        await service.update_item(ANA, item.id, update_mask=["id", "nope", "title"])
    assert set(fields(error)) == {"update_mask.paths[0]", "update_mask.paths[1]"}
    with pytest.raises(InvalidArgument) as error:
        await service.update_item(ANA, item.id)
    assert "update_mask" in fields(error)
    with pytest.raises(InvalidArgument) as error:
        await service.update_item(ANA, item.id, title="x", update_mask=["*", "title"])
    assert fields(error) == {"update_mask.paths[0]": "'*' must be the only path"}


async def test_etags_guard_updates_and_deletes(service: ItemService) -> None:
    item = await service.create_item(ANA, title="v1")
    fresh = await service.update_item(ANA, item.id, title="v2", etag=item.etag)
    assert fresh.etag != item.etag
    with pytest.raises(Aborted):
        await service.update_item(ANA, item.id, title="v3", etag=item.etag)
    with pytest.raises(Aborted):
        await service.delete_item(ANA, item.id, etag=item.etag)
    with pytest.raises(InvalidArgument) as error:
        await service.update_item(ANA, item.id, title="v3", etag="not-an-etag")
    assert fields(error) == {"item.etag": "is not an etag this service issued"}
    # An etag of another item at the same version is stale, not a match.
    other = await service.create_item(ANA, title="other")
    with pytest.raises(Aborted):
        await service.update_item(ANA, fresh.id, title="v3", etag=other.etag.replace("1-", "2-"))
    await service.delete_item(ANA, item.id, etag=fresh.etag)
    with pytest.raises(NotFound):
        await service.get_item(ANA, item.id)


async def test_idempotent_creates(service: ItemService, repository: InMemoryItems) -> None:
    request_id = str(uuid.uuid4())
    first = await service.create_item(ANA, title="once", request_id=request_id)
    again = await service.create_item(ANA, title="once", request_id=request_id.upper())
    assert again == first
    assert len(repository.rows) == 1
    # Per caller: the same id from someone else is their own request.
    theirs = await service.create_item(BEN, title="once", request_id=request_id)
    assert theirs.id != first.id
    with pytest.raises(InvalidArgument) as error:
        await service.create_item(ANA, title="different", request_id=request_id)
    assert "request_id" in fields(error)
    await service.delete_item(ANA, first.id)
    with pytest.raises(NotFound, match="since been deleted"):
        await service.create_item(ANA, title="once", request_id=request_id)
    with pytest.raises(InvalidArgument) as error:
        await service.create_item(ANA, title="x", request_id="not-a-uuid")
    assert "request_id" in fields(error)


async def test_list_pages_filters_and_total(service: ItemService) -> None:
    for n in range(7):
        await service.create_item(ANA, title=f"item {n}", status="completed" if n % 2 else None)
    await service.create_item(BEN, title="item of someone else")
    seen, token, totals = [], "", set()
    while True:
        page = await service.list_items(ANA, page_size=3, page_token=token, order_by="title")
        seen += [i.title for i in page.items]
        totals.add(page.total_size)
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"item {n}" for n in range(7)]
    assert totals == {7}
    done = await service.list_items(ANA, filter="status = COMPLETED AND title:item")
    assert [i.title for i in done.items] == ["item 5", "item 3", "item 1"]  # newest first
    assert done.total_size == 3
    with pytest.raises(InvalidArgument):
        await service.list_items(ANA, filter="title = x")


async def test_watch_sees_committed_changes_the_caller_may_see(service: ItemService) -> None:
    async with service.watch_items(ANA, filter="status = COMPLETED") as events:
        await service.create_item(BEN, title="not mine", status="completed")
        item = await service.create_item(ANA, title="mine")
        await service.update_item(ANA, item.id, status="completed")
        event = await events.next()
    assert event is not None
    assert event.item.id == item.id
    assert event.type.value == "updated"


async def test_purge_removes_only_expired_requests(
    service: ItemService, repository: InMemoryItems
) -> None:
    await service.create_item(ANA, title="kept", request_id=str(uuid.uuid4()))
    assert await service.purge_expired_requests() == 0
    assert len(repository.requests) == 1


# --- inspection records ---------------------------------------------------------------


@pytest.fixture
def places() -> InMemoryEstablishments:
    return InMemoryEstablishments()


@pytest.fixture
def inspections(
    repository: InMemoryItems, hub: ItemEventHub, places: InMemoryEstablishments
) -> ItemService:
    return ItemService(repository, hub, PAGE_TOKENS, establishments=places)


async def _place(places: InMemoryEstablishments, owner: int) -> int:
    record = await places.add(
        NewEstablishment("Diner", Address(), "", "", RiskCategory.UNSPECIFIED, owner)
    )
    return record.id


async def test_inspection_fields_validate_together(inspections: ItemService) -> None:
    with pytest.raises(InvalidArgument) as error:
        await inspections.create_item(
            ANA,
            title="x",
            kind="banquet",
            result="passed with flying colours",
            score=101,
            inspect_time=datetime(2026, 1, 1),  # naive
            establishment_id=-1,
        )
    assert set(fields(error)) == {
        "item.kind",
        "item.result",
        "item.score",
        "item.inspect_time",
        "item.establishment_id",
    }


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("ITEM_KIND_FOLLOW_UP", ItemKind.FOLLOW_UP),
        ("follow_up", ItemKind.FOLLOW_UP),
        (" routine_inspection ", ItemKind.ROUTINE_INSPECTION),
        (ItemKind.OTHER, ItemKind.OTHER),
        (None, ItemKind.UNSPECIFIED),
    ],
)
async def test_kind_spellings(inspections: ItemService, kind: str, expected: ItemKind) -> None:
    item = await inspections.create_item(ANA, title="x", kind=kind)
    assert item.kind is expected


async def test_establishment_must_be_visible(
    inspections: ItemService, places: InMemoryEstablishments
) -> None:
    anas, bens = await _place(places, ANA.user_id or 0), await _place(places, BEN.user_id or 0)
    item = await inspections.create_item(
        ANA, title="x", establishment_id=anas, result=InspectionResult.FAIL, score=40
    )
    assert (item.establishment_id, item.result, item.score) == (anas, InspectionResult.FAIL, 40)
    for hidden in (bens, 999):
        with pytest.raises(InvalidArgument) as error:
            await inspections.create_item(ANA, title="x", establishment_id=hidden)
        assert set(fields(error)) == {"item.establishment_id"}
    by_admin = await inspections.create_item(ADMIN, title="x", establishment_id=bens)
    assert by_admin.establishment_id == bens


async def test_inspect_time_defaults_and_resets_to_the_create_time(
    inspections: ItemService,
) -> None:
    when = datetime(2026, 2, 3, 4, 5, tzinfo=UTC)
    item = await inspections.create_item(ANA, title="x", inspect_time=when)
    assert item.inspect_time == when
    plain = await inspections.create_item(ANA, title="y")
    assert plain.inspect_time == plain.create_time
    reset = await inspections.update_item(ANA, item.id, update_mask=["inspect_time"])
    assert reset.inspect_time == reset.create_time
    # `*` replaces everything: the inspection fields go back to their defaults.
    replaced = await inspections.update_item(
        ANA, item.id, title="z", status="pending", update_mask=["*"]
    )
    assert (replaced.kind, replaced.score, replaced.establishment_id) == (
        ItemKind.UNSPECIFIED,
        0,
        None,
    )


async def test_history_order(inspections: ItemService, places: InMemoryEstablishments) -> None:
    place = await _place(places, ANA.user_id or 0)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for day in (3, 1, 2, 5, 4):
        await inspections.create_item(
            ANA, title=f"day {day}", establishment_id=place, inspect_time=base.replace(day=day)
        )
    page = await inspections.list_items(
        ANA, filter=f"establishment_id = {place}", order_by="inspect_time desc", page_size=3
    )
    assert [i.title for i in page.items] == ["day 5", "day 4", "day 3"]
    assert page.total_size == 5
