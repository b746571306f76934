"""UpdateAnalysis (the inspector's review), ListViolationTypes (the catalogue), and
analyses stored before the catalogue still reading, through the real server."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2

from opengovfood.db.models import InspectionAnalysis, utcnow
from opengovfood_client.v1 import agent_pb2, agent_pb2_grpc
from support.agent import GOOD_ANALYSIS, ScriptedOllama, bad_fields
from support.reliability import error_info

NOTES = (
    "Walk-in cooler at 48F with sliced ham and potato salad. "
    "Raw chicken stored above ready-to-eat salads. "
    "Handwashing sink blocked by boxes."
)


async def analysed(
    agent: agent_pb2_grpc.AgentServiceStub, user: Any, fake: ScriptedOllama
) -> agent_pb2.InspectionAnalysis:
    fake.json_content = json.dumps(GOOD_ANALYSIS)
    return await agent.AnalyzeInspection(
        agent_pb2.AnalyzeInspectionRequest(notes=NOTES), metadata=user.metadata, timeout=30
    )


def update(analysis: agent_pb2.InspectionAnalysis, *paths: str) -> agent_pb2.UpdateAnalysisRequest:
    return agent_pb2.UpdateAnalysisRequest(
        analysis=analysis, update_mask=field_mask_pb2.FieldMask(paths=list(paths))
    )


async def test_review_keeps_edits_adds_and_rescores(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, fake_ollama: ScriptedOllama
) -> None:
    user = await make_user()
    original = await analysed(agent, user, fake_ollama)
    edited = agent_pb2.InspectionAnalysis()
    edited.CopyFrom(original)
    del edited.violations[:]
    kept = [v for v in original.violations if not v.food_code_section.startswith("3-302.11")]
    edited.violations.extend(kept)
    # An inspector's addition: only the section is needed; the catalogue fills the rest.
    edited.violations.add(food_code_section="6-501.12", evidence="grease under the fryer")
    edited.violations[0].corrected_on_site = True
    edited.summary = "Reviewed on site with the manager."

    updated = await agent.UpdateAnalysis(
        update(edited, "violations", "summary"), metadata=user.metadata
    )
    sources = {v.food_code_section: v.source for v in updated.violations}
    assert sources[edited.violations[0].food_code_section] == agent_pb2.VIOLATION_SOURCE_INSPECTOR
    for v in kept[1:]:
        assert sources[v.food_code_section] == agent_pb2.VIOLATION_SOURCE_RULE
    added = updated.violations[-1]
    assert (added.food_code_section, added.source) == (
        "6-501.12",
        agent_pb2.VIOLATION_SOURCE_INSPECTOR,
    )
    assert added.severity == agent_pb2.VIOLATION_SEVERITY_CORE
    assert added.form_item
    assert added.description
    assert added.corrective_action
    assert updated.summary == "Reviewed on site with the manager."
    assert updated.score != original.score
    assert updated.compliance_score == pytest.approx(updated.score / 100)
    assert updated.etag != original.etag
    assert updated.update_time.ToDatetime() > original.update_time.ToDatetime()
    assert updated.public_health_narrative == original.public_health_narrative
    read = await agent.GetAnalysis(
        agent_pb2.GetAnalysisRequest(id=original.id), metadata=user.metadata
    )
    assert read == updated

    # The etag read before the change no longer works.
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await agent.UpdateAnalysis(update(original, "summary"), metadata=user.metadata)
    assert info.value.code() == grpc.StatusCode.ABORTED
    assert error_info(info.value)[0] == "ETAG_MISMATCH"

    cleared = agent_pb2.InspectionAnalysis(id=updated.id, etag=updated.etag)
    everything_gone = await agent.UpdateAnalysis(
        update(cleared, "violations"), metadata=user.metadata
    )
    assert (everything_gone.score, len(everything_gone.violations)) == (100, 0)
    assert list(everything_gone.corrective_actions) == []


@pytest.mark.parametrize(
    ("change", "paths", "fields"),
    [
        (lambda a: None, (), {"update_mask"}),
        (lambda a: None, ("score",), {"update_mask.paths[0]"}),
        (lambda a: None, ("summary", "notes"), {"update_mask.paths[1]"}),
        (lambda a: setattr(a, "etag", ""), ("summary",), {"analysis.etag"}),
        (lambda a: setattr(a, "etag", "nonsense"), ("summary",), {"analysis.etag"}),
        (
            lambda a: a.violations.add(food_code_section="99-999.99"),
            ("violations",),
            {"analysis.violations[{n}].food_code_section"},
        ),
        (
            lambda a: a.violations.add(
                food_code_section="3-501.16(A)(2)", severity=agent_pb2.VIOLATION_SEVERITY_CORE
            ),
            ("violations",),
            {"analysis.violations[{n}].severity"},
        ),
    ],
)
async def test_review_errors_name_the_field(
    agent: agent_pb2_grpc.AgentServiceStub,
    make_user: Any,
    fake_ollama: ScriptedOllama,
    change: Any,
    paths: tuple[str, ...],
    fields: set[str],
) -> None:
    user = await make_user()
    analysis = await analysed(agent, user, fake_ollama)
    n = len(analysis.violations)
    change(analysis)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await agent.UpdateAnalysis(update(analysis, *paths), metadata=user.metadata)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(info.value) == {f.replace("{n}", str(n)) for f in fields}


async def test_only_the_owner_reviews(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, fake_ollama: ScriptedOllama
) -> None:
    owner, other, admin = await make_user(), await make_user(), await make_user(superuser=True)
    analysis = await analysed(agent, owner, fake_ollama)
    for stranger in (other, admin):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await agent.UpdateAnalysis(update(analysis, "summary"), metadata=stranger.metadata)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
    service = make_user.service_token("reports", frozenset({"items:read"}))
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await agent.UpdateAnalysis(update(analysis, "summary"), metadata=service)
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_the_catalogue_is_served_to_any_principal(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any
) -> None:
    user = await make_user()
    service = make_user.service_token("reports", frozenset())
    everything = await agent.ListViolationTypes(
        agent_pb2.ListViolationTypesRequest(), metadata=user.metadata
    )
    assert everything == await agent.ListViolationTypes(
        agent_pb2.ListViolationTypesRequest(), metadata=service
    )
    types = everything.violation_types
    assert {t.form_item for t in types} == set(range(1, 57))  # every Form 3-A item
    assert {t.severity for t in types} == {
        agent_pb2.VIOLATION_SEVERITY_PRIORITY,
        agent_pb2.VIOLATION_SEVERITY_PRIORITY_FOUNDATION,
        agent_pb2.VIOLATION_SEVERITY_CORE,
    }
    cold = {t.food_code_section: t for t in types}["3-501.16(A)(2)"]
    assert cold.form_item == 22
    assert cold.severity == agent_pb2.VIOLATION_SEVERITY_PRIORITY
    assert cold.title
    assert cold.corrective_action
    assert cold.form_item_title
    only = await agent.ListViolationTypes(
        agent_pb2.ListViolationTypesRequest(form_item=22), metadata=user.metadata
    )
    assert only.violation_types
    assert {t.form_item for t in only.violation_types} == {22}
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await agent.ListViolationTypes(
            agent_pb2.ListViolationTypesRequest(form_item=57), metadata=user.metadata
        )
    assert bad_fields(info.value) == {"form_item"}
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await agent.ListViolationTypes(agent_pb2.ListViolationTypesRequest())
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_an_analysis_stored_before_the_catalogue_still_reads_and_can_be_reviewed(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any
) -> None:
    user = await make_user()
    async with db() as session:
        legacy = InspectionAnalysis(
            owner_id=user.id,
            item_id=None,
            notes="Cooler warm.",
            summary="Cooler warm.",
            violations=[{"code": "3-501.16", "description": "Cooler at 50F", "severity": "major"}],
            corrective_actions=["Fix the cooler."],
            compliance_score=0.62,
            public_health_narrative="Bacteria grow.",
            provider="local",
            model="smollm2",
            create_time=utcnow(),
            score=None,  # as rows written before migration 0004 read
            update_time=None,
        )
        session.add(legacy)
        await session.commit()
        legacy_id = legacy.id
    read = await agent.GetAnalysis(
        agent_pb2.GetAnalysisRequest(id=legacy_id), metadata=user.metadata
    )
    (violation,) = read.violations
    assert (violation.code, violation.severity, violation.source) == (
        "3-501.16",
        agent_pb2.VIOLATION_SEVERITY_MAJOR,
        agent_pb2.VIOLATION_SOURCE_UNSPECIFIED,
    )
    assert (read.score, read.grade, read.scoring_scheme) == (62, "", "")
    assert read.compliance_score == pytest.approx(0.62)
    assert read.update_time == read.create_time
    # Reviewing it moves it onto the catalogue: the old code resolves to its section.
    reviewed = await agent.UpdateAnalysis(update(read, "violations"), metadata=user.metadata)
    (violation,) = reviewed.violations
    assert violation.food_code_section.startswith("3-501.16")
    assert violation.severity == agent_pb2.VIOLATION_SEVERITY_PRIORITY
    assert violation.source == agent_pb2.VIOLATION_SOURCE_INSPECTOR
    assert reviewed.scoring_scheme == "standard"
    assert reviewed.score < 100
