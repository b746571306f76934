"""Analyses of inspections: the latest analysis of an item is its record (the item's
score follows it, through the inspector's review), and an inspection of an establishment
marks `repeat` on what the previous inspection of that establishment also cited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from google.protobuf import field_mask_pb2, timestamp_pb2

from opengovfood_client.v1 import (
    agent_pb2,
    agent_pb2_grpc,
    establishments_pb2,
    establishments_pb2_grpc,
    items_pb2,
    items_pb2_grpc,
)
from support.agent import GOOD_ANALYSIS, ScriptedOllama

COLD_AND_SINK = "Sliced ham in the reach-in at 49F. Hand sink blocked by a mop bucket."
COLD_ONLY = "Potato salad in the reach-in at 47F. Everything else in order."


def stamp(days_ago: int) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(datetime.now(UTC) - timedelta(days=days_ago))
    return ts


async def inspection(
    items: items_pb2_grpc.ItemServiceStub,
    user: Any,
    establishment_id: int,
    days_ago: int,
    kind: int = items_pb2.ITEM_KIND_ROUTINE_INSPECTION,
) -> items_pb2.Item:
    return await items.CreateItem(
        items_pb2.CreateItemRequest(
            item=items_pb2.Item(
                title=f"Inspection {days_ago} days ago",
                establishment_id=establishment_id,
                kind=kind,
                inspect_time=stamp(days_ago),
            )
        ),
        metadata=user.metadata,
    )


async def analyse(
    agent: agent_pb2_grpc.AgentServiceStub, user: Any, notes: str, item_id: int
) -> agent_pb2.InspectionAnalysis:
    return await agent.AnalyzeInspection(
        agent_pb2.AnalyzeInspectionRequest(notes=notes, item_id=item_id),
        metadata=user.metadata,
        timeout=30,
    )


def by_section(analysis: agent_pb2.InspectionAnalysis) -> dict[str, agent_pb2.Violation]:
    return {v.food_code_section.split("(")[0]: v for v in analysis.violations}


async def test_follow_up_marks_repeats_and_the_item_score_follows_its_latest_analysis(
    agent: agent_pb2_grpc.AgentServiceStub,
    items: items_pb2_grpc.ItemServiceStub,
    agent_channel: grpc.aio.Channel,
    make_user: Any,
    fake_ollama: ScriptedOllama,
) -> None:
    fake_ollama.json_content = json.dumps(GOOD_ANALYSIS)
    user = await make_user()
    establishments = establishments_pb2_grpc.EstablishmentServiceStub(agent_channel)
    place = await establishments.CreateEstablishment(
        establishments_pb2.CreateEstablishmentRequest(
            establishment=establishments_pb2.Establishment(
                name="Taqueria Sol", license_number=f"L-{user.id}"
            )
        ),
        metadata=user.metadata,
    )
    routine = await inspection(items, user, place.id, days_ago=30)
    follow_up = await inspection(
        items, user, place.id, days_ago=2, kind=items_pb2.ITEM_KIND_FOLLOW_UP
    )

    first = await analyse(agent, user, COLD_AND_SINK, routine.id)
    assert not any(v.repeat for v in first.violations)
    second = await analyse(agent, user, COLD_ONLY, follow_up.id)
    assert by_section(second)["3-501.16"].repeat  # cold holding cited both times

    # Each item's score is its analysis's; the repeat weighs more in the score.
    got = await items.GetItem(items_pb2.GetItemRequest(id=follow_up.id), metadata=user.metadata)
    assert got.score == second.score
    again = await analyse(agent, user, COLD_ONLY, 0)  # the same notes, no history
    assert second.score < again.score
    got = await items.GetItem(items_pb2.GetItemRequest(id=routine.id), metadata=user.metadata)
    assert got.score == first.score

    # The inspector's review of the latest analysis is the record: the item follows it.
    reviewed = await agent.UpdateAnalysis(
        agent_pb2.UpdateAnalysisRequest(
            analysis=agent_pb2.InspectionAnalysis(id=second.id, etag=second.etag),
            update_mask=field_mask_pb2.FieldMask(paths=["violations"]),
        ),
        metadata=user.metadata,
    )
    assert reviewed.score == 100
    got = await items.GetItem(items_pb2.GetItemRequest(id=follow_up.id), metadata=user.metadata)
    assert got.score == 100

    # A newer analysis of the routine item takes over; reviewing the older one then
    # changes the analysis, not the item.
    newer = await analyse(agent, user, COLD_ONLY, routine.id)
    older = await agent.GetAnalysis(
        agent_pb2.GetAnalysisRequest(id=first.id), metadata=user.metadata
    )
    await agent.UpdateAnalysis(
        agent_pb2.UpdateAnalysisRequest(
            analysis=agent_pb2.InspectionAnalysis(id=older.id, etag=older.etag),
            update_mask=field_mask_pb2.FieldMask(paths=["violations"]),
        ),
        metadata=user.metadata,
    )
    got = await items.GetItem(items_pb2.GetItemRequest(id=routine.id), metadata=user.metadata)
    assert got.score == newer.score != 100
