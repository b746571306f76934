"""Items as inspection records: establishment_id, kind, result, score, inspect_time on
CreateItem/UpdateItem, their filters in ListItems and WatchItems, an establishment's
history in one call, and DeleteEstablishment refused while inspections name it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import grpc
import pytest
from google.protobuf import field_mask_pb2, timestamp_pb2

from opengovfood_client.v1 import establishments_pb2 as est
from opengovfood_client.v1 import establishments_pb2_grpc, items_pb2, items_pb2_grpc
from support.items import Watcher
from support.reliability import error_info
from support.rpc_errors import field_violations, rpc_error

if TYPE_CHECKING:
    from support.server import TestUser, UserFactory

Items = items_pb2_grpc.ItemServiceStub
Places = establishments_pb2_grpc.EstablishmentServiceStub
INVALID = grpc.StatusCode.INVALID_ARGUMENT
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _stamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


async def _place(places: Places, user: TestUser, name: str = "Taqueria") -> est.Establishment:
    return await places.CreateEstablishment(
        est.CreateEstablishmentRequest(establishment=est.Establishment(name=name)),
        metadata=user.metadata,
    )


async def _inspection(
    items: Items,
    user: TestUser,
    establishment_id: int,
    *,
    when: datetime | None = None,
    kind: int = items_pb2.ITEM_KIND_ROUTINE_INSPECTION,
    result: int = items_pb2.INSPECTION_RESULT_PASS,
    score: int = 90,
    title: str = "Routine inspection",
) -> items_pb2.Item:
    item = items_pb2.Item(
        title=title,
        establishment_id=establishment_id,
        kind=kind,  # type: ignore[arg-type]
        result=result,  # type: ignore[arg-type]
        score=score,
    )
    if when is not None:
        item.inspect_time.CopyFrom(_stamp(when))
    return await items.CreateItem(items_pb2.CreateItemRequest(item=item), metadata=user.metadata)


async def test_create_and_get_an_inspection(
    items_stub: Items, establishments_stub: Places, make_user: UserFactory
) -> None:
    user = await make_user()
    place = await _place(establishments_stub, user)
    item = await _inspection(
        items_stub,
        user,
        place.id,
        when=T0,
        kind=items_pb2.ITEM_KIND_FOLLOW_UP,
        result=items_pb2.INSPECTION_RESULT_PASS_WITH_CONDITIONS,
        score=77,
    )
    assert item.establishment_id == place.id
    assert item.kind == items_pb2.ITEM_KIND_FOLLOW_UP
    assert item.result == items_pb2.INSPECTION_RESULT_PASS_WITH_CONDITIONS
    assert item.score == 77
    assert item.inspect_time.ToDatetime(UTC) == T0
    fetched = await items_stub.GetItem(items_pb2.GetItemRequest(id=item.id), metadata=user.metadata)
    assert fetched == item

    # An item that is no inspection: no establishment, inspected "when created".
    plain = await items_stub.CreateItem(
        items_pb2.CreateItemRequest(item=items_pb2.Item(title="Order thermometers")),
        metadata=user.metadata,
    )
    assert plain.establishment_id == 0
    assert plain.kind == items_pb2.ITEM_KIND_UNSPECIFIED
    assert plain.result == items_pb2.INSPECTION_RESULT_UNSPECIFIED
    assert plain.inspect_time == plain.create_time


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"score": 101}, "item.score"),
        ({"score": -1}, "item.score"),
        ({"kind": 42}, "item.kind"),
        ({"result": 42}, "item.result"),
        ({"establishment_id": -3}, "item.establishment_id"),
        ({"establishment_id": 2**62}, "item.establishment_id"),
    ],
)
async def test_create_validation(
    items_stub: Items, make_user: UserFactory, fields: dict[str, int], bad: str
) -> None:
    user = await make_user()
    error = await rpc_error(
        items_stub.CreateItem(
            items_pb2.CreateItemRequest(item=items_pb2.Item(title="x", **fields)),  # type: ignore[arg-type]
            metadata=user.metadata,
        ),
        INVALID,
    )
    assert set(field_violations(error)) == {bad}


async def test_only_visible_establishments_may_be_named(
    items_stub: Items, establishments_stub: Places, make_user: UserFactory
) -> None:
    owner, other = await make_user(), await make_user()
    admin = await make_user(superuser=True)
    place = await _place(establishments_stub, owner)
    error = await rpc_error(_inspection(items_stub, other, place.id), INVALID)
    missing = await rpc_error(_inspection(items_stub, other, 2**62), INVALID)
    # The same words for "someone else's" and "none at all": existence is not leaked.
    assert field_violations(error)["item.establishment_id"].replace(
        str(place.id), "N"
    ) == field_violations(missing)["item.establishment_id"].replace(str(2**62), "N")
    assert error_info(error)[0] == "FIELD_INVALID"
    # And through UpdateItem.
    mine = await _inspection(items_stub, other, 0)
    await rpc_error(
        items_stub.UpdateItem(
            items_pb2.UpdateItemRequest(
                item=items_pb2.Item(id=mine.id, establishment_id=place.id),
                update_mask=field_mask_pb2.FieldMask(paths=["establishment_id"]),
            ),
            metadata=other.metadata,
        ),
        INVALID,
    )
    # A superuser sees every establishment, so may record an inspection of any.
    by_admin = await _inspection(items_stub, admin, place.id)
    assert (by_admin.establishment_id, by_admin.owner_id) == (place.id, admin.id)


async def test_update_inspection_fields(
    items_stub: Items, establishments_stub: Places, make_user: UserFactory
) -> None:
    user = await make_user()
    first, second = await _place(establishments_stub, user), await _place(establishments_stub, user)
    item = await _inspection(items_stub, user, first.id, when=T0)

    async def update(message: items_pb2.Item, *paths: str) -> items_pb2.Item:
        return await items_stub.UpdateItem(
            items_pb2.UpdateItemRequest(
                item=message,
                update_mask=field_mask_pb2.FieldMask(paths=list(paths)) if paths else None,
            ),
            metadata=user.metadata,
        )

    later = T0 + timedelta(days=2)
    changed = await update(
        items_pb2.Item(
            id=item.id,
            etag=item.etag,
            establishment_id=second.id,
            kind=items_pb2.ITEM_KIND_COMPLAINT,
            result=items_pb2.INSPECTION_RESULT_FAIL,
            score=41,
            inspect_time=_stamp(later),
            title="ignored: not in the mask",
        ),
        "establishment_id",
        "kind",
        "result",
        "score",
        "inspect_time",
    )
    assert (changed.establishment_id, changed.kind, changed.result, changed.score) == (
        second.id,
        items_pb2.ITEM_KIND_COMPLAINT,
        items_pb2.INSPECTION_RESULT_FAIL,
        41,
    )
    assert changed.inspect_time.ToDatetime(UTC) == later
    assert changed.title == item.title

    # Without a mask, the fields that are set; unset ones stay.
    rescored = await update(items_pb2.Item(id=item.id, score=55))
    assert (rescored.score, rescored.kind) == (55, items_pb2.ITEM_KIND_COMPLAINT)

    # Masked with no value: 0 detaches, UNSPECIFIED clears, inspect_time goes back to
    # the create time.
    cleared = await update(
        items_pb2.Item(id=item.id), "establishment_id", "result", "inspect_time", "score"
    )
    assert cleared.establishment_id == 0
    assert cleared.result == items_pb2.INSPECTION_RESULT_UNSPECIFIED
    assert cleared.score == 0
    assert cleared.inspect_time == cleared.create_time

    error = await rpc_error(update(items_pb2.Item(id=item.id, score=500), "score"), INVALID)
    assert set(field_violations(error)) == {"item.score"}
    error = await rpc_error(update(items_pb2.Item(id=item.id), "inspected_at"), INVALID)
    assert set(field_violations(error)) == {"update_mask.paths[0]"}


async def test_history_is_one_call(
    items_stub: Items, establishments_stub: Places, make_user: UserFactory
) -> None:
    """ "What did the last three inspections of this establishment find?" """
    user = await make_user()
    place, elsewhere = (
        await _place(establishments_stub, user),
        await _place(establishments_stub, user, "Elsewhere"),
    )
    # Recorded out of order (an inspector enters an old report late).
    days = [5, 1, 9, 3, 7]
    made = {
        day: await _inspection(
            items_stub, user, place.id, when=T0 + timedelta(days=day), score=day * 10
        )
        for day in days
    }
    await _inspection(items_stub, user, elsewhere.id, when=T0 + timedelta(days=30))
    await items_stub.CreateItem(
        items_pb2.CreateItemRequest(item=items_pb2.Item(title="Not an inspection")),
        metadata=user.metadata,
    )

    history = await items_stub.ListItems(
        items_pb2.ListItemsRequest(
            filter=f"establishment_id = {place.id}", order_by="inspect_time desc", page_size=3
        ),
        metadata=user.metadata,
    )
    assert [i.id for i in history.items] == [made[9].id, made[7].id, made[5].id]
    assert [i.score for i in history.items] == [90, 70, 50]
    assert all(i.result == items_pb2.INSPECTION_RESULT_PASS for i in history.items)
    assert history.total_size == len(days)
    rest = await items_stub.ListItems(
        items_pb2.ListItemsRequest(
            filter=f"establishment_id = {place.id}",
            order_by="inspect_time desc",
            page_size=3,
            page_token=history.next_page_token,
        ),
        metadata=user.metadata,
    )
    assert [i.id for i in rest.items] == [made[3].id, made[1].id]
    assert rest.next_page_token == ""


async def test_filters_on_inspection_fields(
    items_stub: Items, establishments_stub: Places, make_user: UserFactory
) -> None:
    user = await make_user()
    place = await _place(establishments_stub, user)
    routine = await _inspection(items_stub, user, place.id, when=T0)
    failed = await _inspection(
        items_stub,
        user,
        place.id,
        when=T0 + timedelta(days=1),
        kind=items_pb2.ITEM_KIND_FOLLOW_UP,
        result=items_pb2.INSPECTION_RESULT_FAIL,
        score=30,
    )
    complaint = await _inspection(
        items_stub,
        user,
        0,
        kind=items_pb2.ITEM_KIND_COMPLAINT,
        result=items_pb2.INSPECTION_RESULT_NO_ENTRY,
        score=0,
    )

    async def ids(text: str) -> set[int]:
        page = await items_stub.ListItems(
            items_pb2.ListItemsRequest(filter=text), metadata=user.metadata
        )
        return {i.id for i in page.items}

    assert await ids(f"establishment_id = {place.id}") == {routine.id, failed.id}
    assert await ids("kind = ITEM_KIND_FOLLOW_UP") == {failed.id}
    assert await ids("kind = COMPLAINT OR result = INSPECTION_RESULT_FAIL") == {
        complaint.id,
        failed.id,
    }
    assert await ids("result != INSPECTION_RESULT_PASS AND score < 50") == {
        failed.id,
        complaint.id,
    }
    assert await ids(f"inspect_time < {_stamp(T0 + timedelta(hours=1)).ToJsonString()}") == {
        routine.id
    }
    error = await rpc_error(
        items_stub.ListItems(
            items_pb2.ListItemsRequest(filter="kind = ITEM_KIND_BANQUET"), metadata=user.metadata
        ),
        INVALID,
    )
    assert error_info(error)[0] == "FILTER_INVALID"


async def test_watch_filters_on_inspection_fields(
    items_stub: Items, establishments_stub: Places, make_user: UserFactory
) -> None:
    user = await make_user()
    place = await _place(establishments_stub, user)
    watcher = Watcher(
        items_stub,
        user.metadata,
        filter=f"establishment_id = {place.id} AND result = INSPECTION_RESULT_FAIL",
    )
    try:
        await watcher.ready()
        await _inspection(items_stub, user, place.id)  # passes: not watched
        await _inspection(items_stub, user, 0, result=items_pb2.INSPECTION_RESULT_FAIL)
        failed = await _inspection(
            items_stub, user, place.id, result=items_pb2.INSPECTION_RESULT_FAIL
        )
        event = await watcher.next()
        assert event.type == items_pb2.ITEM_EVENT_TYPE_CREATED
        assert (event.item.id, event.item.establishment_id) == (failed.id, place.id)
        assert event.item.inspect_time == failed.inspect_time
    finally:
        watcher.cancel()


async def test_an_establishment_with_inspections_is_not_deleted(
    items_stub: Items, establishments_stub: Places, make_user: UserFactory
) -> None:
    user = await make_user()
    admin = await make_user(superuser=True)
    place = await _place(establishments_stub, user)
    mine = await _inspection(items_stub, user, place.id)
    # Another user's inspection of it (a superuser's) counts too.
    theirs = await _inspection(items_stub, admin, place.id)
    delete = est.DeleteEstablishmentRequest(id=place.id)
    error = await rpc_error(
        establishments_stub.DeleteEstablishment(delete, metadata=user.metadata),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert error_info(error)[0] == "ESTABLISHMENT_HAS_INSPECTIONS"
    await establishments_stub.GetEstablishment(
        est.GetEstablishmentRequest(id=place.id), metadata=user.metadata
    )

    await items_stub.DeleteItem(items_pb2.DeleteItemRequest(id=mine.id), metadata=user.metadata)
    await items_stub.UpdateItem(
        items_pb2.UpdateItemRequest(
            item=items_pb2.Item(id=theirs.id),
            update_mask=field_mask_pb2.FieldMask(paths=["establishment_id"]),
        ),
        metadata=admin.metadata,
    )
    await establishments_stub.DeleteEstablishment(delete, metadata=user.metadata)
    # The item stays; naming the deleted establishment again is refused.
    await rpc_error(_inspection(items_stub, user, place.id), INVALID)
