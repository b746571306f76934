"""AnalyzeInspection / GetAnalysis / ListAnalyses against the fake Ollama and OpenAI servers."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest

from opengovfood_client.v1 import agent_pb2, agent_pb2_grpc
from support.agent import (
    GOOD_ANALYSIS,
    ScriptedOllama,
    ScriptedOpenAI,
    add_item,
    analyses_of,
    bad_fields,
)

NOTES = (
    "Walk-in cooler at 48F with sliced ham and potato salad. "
    "Raw chicken stored above ready-to-eat salads. "
    "Handwashing sink blocked by boxes."
)
CHAT_PATH = {"ollama": "/api/chat", "openai": "/v1/chat/completions"}


@pytest.fixture(params=["ollama", "openai"])
def remote(
    request: pytest.FixtureRequest, fake_ollama: ScriptedOllama, fake_openai: ScriptedOpenAI
) -> tuple[str, Any]:
    return request.param, fake_ollama if request.param == "ollama" else fake_openai


def analyze(
    notes: str = NOTES, provider: str = "", item_id: int = 0, model: str = ""
) -> agent_pb2.AnalyzeInspectionRequest:
    return agent_pb2.AnalyzeInspectionRequest(
        notes=notes, provider=provider, item_id=item_id, model=model
    )


async def test_analysis_is_stored_with_sections_evidence_and_score(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, db: Any, remote: tuple[str, Any]
) -> None:
    name, fake = remote
    fake.json_content = json.dumps(GOOD_ANALYSIS)
    user = await make_user()
    item_id = await add_item(db, user.id)

    result = await agent.AnalyzeInspection(
        analyze(provider=name, item_id=item_id), metadata=user.metadata, timeout=30
    )

    assert result.id > 0
    assert result.item_id == item_id
    assert result.summary == GOOD_ANALYSIS["summary"]
    assert result.public_health_narrative == GOOD_ANALYSIS["public_health_narrative"]
    assert not result.narrative_missing
    cited = {v.food_code_section.split("(")[0]: v for v in result.violations}
    # 48F cold holding (P), raw chicken over salads (P), blocked hand sink (Pf).
    assert {"3-501.16", "3-302.11", "5-205.11"} <= set(cited)
    assert cited["3-501.16"].severity == agent_pb2.VIOLATION_SEVERITY_PRIORITY
    for v in result.violations:
        assert v.source == agent_pb2.VIOLATION_SOURCE_RULE
        assert v.code == v.food_code_section
        assert 1 <= v.form_item <= 56
        assert v.evidence
        assert v.evidence in NOTES
        assert v.corrective_action
    assert 0 <= result.score < 100
    assert result.scoring_scheme == "standard"
    assert result.grade in ("Good", "Satisfactory", "Needs improvement", "Unsatisfactory")
    assert result.compliance_score == pytest.approx(result.score / 100)
    assert result.etag
    assert result.update_time == result.create_time
    assert result.provider == name
    assert result.model == ("llama3.2" if name == "ollama" else "gpt-4o-mini")

    # The narrative schema went upstream as a structured-output constraint, with the
    # findings and the notes.
    sent = fake.requests_to(CHAT_PATH[name])[-1].json
    schema = (
        sent["format"] if name == "ollama" else sent["response_format"]["json_schema"]["schema"]
    )
    assert set(schema["required"]) == set(GOOD_ANALYSIS)
    assert NOTES in sent["messages"][-1]["content"]
    assert "3-501.16" in sent["messages"][-1]["content"]

    stored = await analyses_of(db, user.id)
    assert [(a.id, a.notes, a.item_id, a.score) for a in stored] == [
        (result.id, NOTES, item_id, result.score)
    ]
    again = await agent.GetAnalysis(
        agent_pb2.GetAnalysisRequest(id=result.id), metadata=user.metadata
    )
    assert again == result


async def test_model_proposals_are_kept_unscored_when_grounded(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, fake_ollama: ScriptedOllama
) -> None:
    notes = NOTES + " Cook tasted the sauce with a spoon and put it back into the pot."
    fake_ollama.json_content = json.dumps(
        {
            **GOOD_ANALYSIS,
            "proposed_violations": [
                {
                    "food_code_section": "3-301.12",
                    "description": "Tasting spoon reused",
                    "evidence": "tasted the sauce with a spoon and put it back",
                },
                {"food_code_section": "1-234.56", "description": "made up", "evidence": "x"},
            ],
        }
    )
    user = await make_user()
    result = await agent.AnalyzeInspection(analyze(notes), metadata=user.metadata, timeout=30)
    suggested = [v for v in result.violations if v.source == agent_pb2.VIOLATION_SOURCE_MODEL]
    assert [(v.food_code_section, v.severity) for v in suggested] == [
        ("3-301.12", agent_pb2.VIOLATION_SEVERITY_PRIORITY)
    ]
    fake_ollama.json_content = json.dumps(GOOD_ANALYSIS)
    without = await agent.AnalyzeInspection(analyze(notes), metadata=user.metadata, timeout=30)
    assert without.score == result.score  # a suggestion is not counted


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"error": "llama runner process has terminated"}),
        (502, "Bad Gateway"),
        (429, {"error": "too many requests"}),
        (200, None),  # 200 with an answer that is not JSON
    ],
)
async def test_a_failing_model_still_gives_the_findings_and_score(
    agent: agent_pb2_grpc.AgentServiceStub,
    make_user: Any,
    db: Any,
    fake_ollama: ScriptedOllama,
    status: int,
    body: Any,
) -> None:
    if body is None:
        fake_ollama.json_content = "Sure! Here is your analysis: the cooler is warm."
    else:
        fake_ollama.fail("/api/chat", status, body)
    user = await make_user()
    result = await agent.AnalyzeInspection(analyze(), metadata=user.metadata, timeout=30)
    assert result.narrative_missing
    assert result.public_health_narrative == ""
    assert "3-501.16" in result.summary  # the findings, stated plainly
    assert {v.food_code_section.split("(")[0] for v in result.violations} >= {"3-501.16"}
    assert result.score < 100
    assert [a.id for a in await analyses_of(db, user.id)] == [result.id]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (analyze(notes=""), "notes"),
        (analyze(notes="   \n "), "notes"),
        (analyze(notes="x" * 20_001), "notes"),
        (analyze(item_id=-3), "item_id"),
        (analyze(provider="watsonx"), "provider"),
        (analyze(model="bad model name!"), "model"),
    ],
)
async def test_bad_requests_are_invalid_argument(
    agent: agent_pb2_grpc.AgentServiceStub,
    make_user: Any,
    fake_ollama: ScriptedOllama,
    request_: agent_pb2.AnalyzeInspectionRequest,
    field: str,
) -> None:
    user = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await agent.AnalyzeInspection(request_, metadata=user.metadata, timeout=30)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(info.value) == {field}
    assert fake_ollama.requests_to("/api/chat") == []


async def test_notes_of_exactly_the_limit_are_accepted(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, fake_openai: ScriptedOpenAI
) -> None:
    fake_openai.json_content = json.dumps(GOOD_ANALYSIS)
    user = await make_user()
    result = await agent.AnalyzeInspection(
        analyze(notes="n" * 20_000, provider="openai"), metadata=user.metadata, timeout=30
    )
    assert result.id > 0


async def test_item_of_another_user_is_not_found(
    agent: agent_pb2_grpc.AgentServiceStub,
    make_user: Any,
    db: Any,
    fake_ollama: ScriptedOllama,
) -> None:
    fake_ollama.json_content = json.dumps(GOOD_ANALYSIS)
    owner, other = await make_user(), await make_user()
    item_id = await add_item(db, owner.id)
    for missing in (item_id, item_id + 10_000):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await agent.AnalyzeInspection(
                analyze(item_id=missing), metadata=other.metadata, timeout=30
            )
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        assert info.value.details() == f"item {missing} not found"
    # Checked before the model is asked; nothing stored.
    assert fake_ollama.requests_to("/api/chat") == []
    assert await analyses_of(db, other.id) == []


async def test_analyses_are_owner_only(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, fake_ollama: ScriptedOllama
) -> None:
    fake_ollama.json_content = json.dumps(GOOD_ANALYSIS)
    owner, other, admin = await make_user(), await make_user(), await make_user(superuser=True)
    mine = await agent.AnalyzeInspection(analyze(), metadata=owner.metadata, timeout=30)
    for stranger in (other, admin):
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await agent.GetAnalysis(
                agent_pb2.GetAnalysisRequest(id=mine.id), metadata=stranger.metadata
            )
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        listed = await agent.ListAnalyses(
            agent_pb2.ListAnalysesRequest(), metadata=stranger.metadata
        )
        assert mine.id not in [a.id for a in listed.analyses]
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await agent.GetAnalysis(agent_pb2.GetAnalysisRequest(id=0), metadata=owner.metadata)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_list_analyses_pages_newest_first_with_item_filter(
    agent: agent_pb2_grpc.AgentServiceStub,
    make_user: Any,
    db: Any,
    fake_ollama: ScriptedOllama,
) -> None:
    fake_ollama.json_content = json.dumps(GOOD_ANALYSIS)
    user = await make_user()
    item_a, item_b = await add_item(db, user.id), await add_item(db, user.id)
    made = []
    for item in (item_a, item_b, item_a, 0, item_a):
        made.append(
            await agent.AnalyzeInspection(analyze(item_id=item), metadata=user.metadata, timeout=30)
        )

    seen: list[int] = []
    token = ""
    while True:
        page = await agent.ListAnalyses(
            agent_pb2.ListAnalysesRequest(page_size=2, page_token=token),
            metadata=user.metadata,
        )
        assert page.total_size == 5
        assert len(page.analyses) <= 2
        seen += [a.id for a in page.analyses]
        token = page.next_page_token
        if not token:
            break
    assert seen == [a.id for a in reversed(made)]

    only_a = await agent.ListAnalyses(
        agent_pb2.ListAnalysesRequest(filter=f"item_id = {item_a}"), metadata=user.metadata
    )
    assert [a.id for a in only_a.analyses] == [made[4].id, made[2].id, made[0].id]
    assert only_a.total_size == 3
    none = await agent.ListAnalyses(
        agent_pb2.ListAnalysesRequest(filter="item_id = 0"), metadata=user.metadata
    )
    assert [a.id for a in none.analyses] == [made[3].id]
    not_a = await agent.ListAnalyses(
        agent_pb2.ListAnalysesRequest(filter=f"item_id != {item_a}"), metadata=user.metadata
    )
    assert [a.id for a in not_a.analyses] == [made[3].id, made[1].id]
    either = await agent.ListAnalyses(
        agent_pb2.ListAnalysesRequest(filter=f"item_id = {item_b} OR item_id = 0"),
        metadata=user.metadata,
    )
    assert [a.id for a in either.analyses] == [made[3].id, made[1].id]
    since = made[2].create_time.ToJsonString()
    recent = await agent.ListAnalyses(
        agent_pb2.ListAnalysesRequest(filter=f'create_time >= "{since}" AND item_id = {item_a}'),
        metadata=user.metadata,
    )
    assert [a.id for a in recent.analyses] == [made[4].id, made[2].id]

    # A token only works with the filter it was issued for.
    first = await agent.ListAnalyses(
        agent_pb2.ListAnalysesRequest(page_size=1, filter=f"item_id = {item_a}"),
        metadata=user.metadata,
    )
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await agent.ListAnalyses(
            agent_pb2.ListAnalysesRequest(page_size=1, page_token=first.next_page_token),
            metadata=user.metadata,
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(info.value) == {"page_token"}
    # Nor for another caller.
    stranger = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await agent.ListAnalyses(
            agent_pb2.ListAnalysesRequest(
                page_size=1, page_token=first.next_page_token, filter=f"item_id = {item_a}"
            ),
            metadata=stranger.metadata,
        )
    assert bad_fields(info.value) == {"page_token"}


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (agent_pb2.ListAnalysesRequest(page_size=-1), "page_size"),
        (agent_pb2.ListAnalysesRequest(page_token="garbage!"), "page_token"),
        (agent_pb2.ListAnalysesRequest(filter="owner_id = 3"), "filter"),
        (agent_pb2.ListAnalysesRequest(filter="item_id = abc"), "filter"),
        (agent_pb2.ListAnalysesRequest(filter='item_id:"1"'), "filter"),
        (agent_pb2.ListAnalysesRequest(filter="item_id = 1 AND"), "filter"),
        (agent_pb2.ListAnalysesRequest(filter='create_time > "yesterday"'), "filter"),
    ],
)
async def test_list_analyses_bad_arguments(
    agent: agent_pb2_grpc.AgentServiceStub,
    make_user: Any,
    request_: agent_pb2.ListAnalysesRequest,
    field: str,
) -> None:
    user = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await agent.ListAnalyses(request_, metadata=user.metadata)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(info.value) == {field}


async def test_unknown_model_suggests_pull_model(
    agent: agent_pb2_grpc.AgentServiceStub, make_user: Any, fake_ollama: ScriptedOllama
) -> None:
    fake_ollama.known_models_only = True
    user = await make_user()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await agent.AnalyzeInspection(
            analyze(model="mistral:7b"), metadata=user.metadata, timeout=30
        )
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert "'mistral:7b'" in (info.value.details() or "")
    assert "PullModel" in (info.value.details() or "")


async def test_a_long_report_works_on_the_local_model_and_a_long_chat_is_refused(
    agent_stub: agent_pb2_grpc.AgentServiceStub, make_user: Any
) -> None:
    # The main test server's default provider is the local model (2048-token window):
    # the rules read all 10,000 characters; the model only writes from the findings.
    user = await make_user()
    report = ("Walk-in cooler at 48F with sliced ham. " + "Floors clean and dry. " * 440)[:10_000]
    result = await agent_stub.AnalyzeInspection(
        analyze(notes=report), metadata=user.metadata, timeout=120
    )
    assert result.provider == "local"
    assert "3-501.16" in {v.food_code_section.split("(")[0] for v in result.violations}
    assert result.score < 100
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async for _ in agent_stub.Chat(
            agent_pb2.ChatRequest(message="Why? " * 3000), metadata=user.metadata, timeout=30
        ):
            pass
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(info.value) == {"message"}
