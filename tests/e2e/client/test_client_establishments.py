"""Establishments and inspection records through the Python client, sync and async:
typed methods, idempotent create, masks from keyword arguments, the history call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from opengovfood_client import (
    AlreadyExistsError,
    ConflictError,
    FailedPreconditionError,
    risk_category,
)
from opengovfood_client.aio import AsyncClient
from opengovfood_client.v1 import establishments_pb2, items_pb2
from support.clients import signed_in, signed_in_sync
from support.server import RunningServer

T0 = datetime(2026, 5, 4, 11, 0, tzinfo=UTC)


@pytest.fixture
async def client(server: RunningServer) -> AsyncIterator[AsyncClient]:
    signed = await signed_in(server.address)
    yield signed
    await signed.close()


def test_risk_category_spellings() -> None:
    assert risk_category("3") == establishments_pb2.RISK_CATEGORY_3
    assert risk_category("risk_category_4") == establishments_pb2.RISK_CATEGORY_4
    assert risk_category(2) == establishments_pb2.RISK_CATEGORY_2
    with pytest.raises(ValueError, match="unknown risk category"):
        risk_category("high")


async def test_establishment_and_history(client: AsyncClient) -> None:
    place = await client.establishments.create(
        "Pho 88", city="Chicago", license_number="LIC-88", risk_category="2", request_id=None
    )
    assert place.risk_category == establishments_pb2.RISK_CATEGORY_2
    with pytest.raises(AlreadyExistsError) as taken:
        await client.establishments.create("Another", license_number="LIC-88")
    assert taken.value.reason == "LICENSE_NUMBER_TAKEN"
    moved = await client.establishments.update(place.id, city="Evanston", etag=place.etag)
    assert (moved.address.city, moved.name) == ("Evanston", "Pho 88")
    with pytest.raises(ConflictError):
        await client.establishments.update(place.id, name="Stale", etag=place.etag)
    names = [p.name async for p in client.establishments.list(filter='name:"pho"')]
    assert names == ["Pho 88"]

    for day, result in ((1, "pass"), (8, "fail"), (15, "pass-with-conditions"), (22, "pass")):
        await client.items.create(
            f"Visit {day}",
            establishment_id=place.id,
            kind="routine" if day == 1 else "follow-up",
            result=result,
            score=60 + day,
            inspect_time=T0 + timedelta(days=day),
        )
    history = await client.items.history(place.id)
    assert [i.title for i in history] == ["Visit 22", "Visit 15", "Visit 8"]
    assert history[1].result == items_pb2.INSPECTION_RESULT_PASS_WITH_CONDITIONS
    assert history[2].kind == items_pb2.ITEM_KIND_FOLLOW_UP
    with pytest.raises(FailedPreconditionError) as refused:
        await client.establishments.delete(place.id)
    assert refused.value.reason == "ESTABLISHMENT_HAS_INSPECTIONS"
    detached = await client.items.update(history[0].id, establishment_id=0)
    assert detached.establishment_id == 0


async def test_sync_client(server: RunningServer) -> None:
    def session() -> tuple[int, list[int]]:
        with signed_in_sync(server.address) as client:
            place = client.establishments.create("Sync Diner")
            client.items.create("Visit", establishment_id=place.id, kind="complaint", score=70)
            scores = [i.score for i in client.items.history(place.id, last=5)]
            return client.establishments.get(place.id).id, scores

    place_id, scores = await asyncio.to_thread(session)
    assert place_id > 0
    assert scores == [70]
