"""AnalysisService over in-memory analyses, the real rules engine and scripted providers:
the rules cite and the scheme scores; the model writes and suggests; a failing model
leaves a complete analysis with the narrative marked missing; the inspector's review."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest

from fakes.providers import LARGE, SMALL, ScriptedProvider, Turn
from fakes.repositories import InMemoryAnalyses
from opengovfood.domain.analyses import Violation, ViolationSource
from opengovfood.domain.pagination import PageTokens
from opengovfood.domain.principal import Principal
from opengovfood.errors import Aborted, InvalidArgument, NotFound, PermissionDenied
from opengovfood.inspection.catalogue import catalogue
from opengovfood.inspection.hazards import hazard, hazards
from opengovfood.llm import ModelNotFound, ProviderRegistry, ProviderUnavailable
from opengovfood.services.analyses import AnalysisEdit, AnalysisService, RulesEngine
from opengovfood.services.narrative import findings_summary, grounded_sentences, hazard_facts

PAGE_TOKENS = PageTokens(b"a unit test's page token key, 32 bytes or more")
ANA = Principal(kind="user", user_id=1, name="ana@example.org")
BEN = Principal(kind="user", user_id=2, name="ben@example.org")
SERVICE = Principal(kind="service", user_id=None, name="reports")

DIRTY = (
    "Walk-in cooler holding raw chicken and sliced tomatoes at 47F. "
    "No soap at the hand sink in the kitchen. "
    "Mouse droppings along the wall behind the dry storage shelves."
)
CLEAN = (
    "Routine inspection. All cold holding at 38F or below, hot holding at 150F. "
    "Hand sinks stocked with soap and paper towels. No evidence of pests. "
    "Sanitizer at 200 ppm quat. No violations observed."
)


def registry(*providers: Any) -> ProviderRegistry:
    return ProviderRegistry({p.name: p for p in providers}, providers[0].name)


def service(
    provider: Any, repository: InMemoryAnalyses | None = None, **options: Any
) -> AnalysisService:
    return AnalysisService(
        repository or InMemoryAnalyses(items={7: 1}),
        registry(provider),
        PAGE_TOKENS,
        RulesEngine(),
        scheme=options.get("scheme", "standard"),
        model_timeout=options.get("timeout", 5.0),
    )


def large_answer(
    proposals: Sequence[dict[str, str]] = (), summary: str = "Cold holding and pests."
) -> str:
    return json.dumps(
        {
            "summary": summary,
            "public_health_narrative": "Warm food lets bacteria grow; mice spread disease.",
            "proposed_violations": list(proposals),
        }
    )


def sections(violations: Sequence[Violation]) -> set[str]:
    return {v.food_code_section.split("(")[0] for v in violations}


async def test_rules_cite_with_sections_and_evidence_and_the_scheme_scores() -> None:
    provider = ScriptedProvider(answers=[large_answer()])
    analyses = service(provider)
    stored = await analyses.analyze(ANA, DIRTY, 7, "", "")
    assert {"3-501.16", "6-301.11", "6-501.111"} <= sections(stored.violations)
    for v in stored.violations:
        assert v.source is ViolationSource.RULE
        assert v.severity in ("P", "Pf", "C")
        assert catalogue().resolve(v.food_code_section) is not None
        assert v.evidence
        assert v.evidence in DIRTY
        assert v.corrective_action
        assert v.code == v.food_code_section
    assert stored.score == analyses.score(stored.violations)
    assert stored.score.scheme == "standard"
    assert stored.score.score < 100
    assert stored.compliance_score == stored.score.score / 100
    assert stored.summary == "Cold holding and pests."
    assert stored.public_health_narrative.startswith("Warm food")
    assert not stored.narrative_missing
    assert len(stored.corrective_actions) == len({v.corrective_action for v in stored.violations})
    # The model saw the findings and the candidate sections, and the notes.
    prompt = provider.requests[0]["messages"]
    assert "3-501.16" in prompt[0].content
    assert "Cited violations" in prompt[1].content
    assert "47F" in prompt[1].content


async def test_clean_notes_score_full_marks_and_dirty_notes_less() -> None:
    provider = ScriptedProvider(answers=[large_answer(summary="Clean.")] * 2)
    analyses = service(provider)
    clean = await analyses.analyze(ANA, CLEAN, 0, "", "")
    dirty = await analyses.analyze(ANA, DIRTY, 0, "", "")
    assert clean.violations == ()
    assert (clean.score.score, clean.score.grade) == (100, "Good")
    assert dirty.score.score < clean.score.score


async def test_model_proposals_are_checked_and_not_scored() -> None:
    notes = DIRTY + " Cook tasted the sauce with a spoon and put it back into the pot."
    proposals = [
        # kept: a catalogue section, the notes' own words
        {
            "food_code_section": "3-301.12",
            "description": "Tasting spoon reused",
            "evidence": "tasted the sauce with a spoon and put it back",
        },
        # dropped: not in the catalogue
        {"food_code_section": "9-999.99", "description": "x", "evidence": "hand sink"},
        # dropped: evidence invented
        {
            "food_code_section": "4-601.11",
            "description": "Dirty slicer",
            "evidence": "slicer caked with old meat",
        },
        # dropped: the rules already cite it
        {
            "food_code_section": "3-501.16",
            "description": "Cold holding",
            "evidence": "raw chicken and sliced tomatoes at 47F",
        },
    ]
    analyses = service(ScriptedProvider(answers=[large_answer(proposals)]))
    stored = await analyses.analyze(ANA, notes, 0, "", "")
    suggested = [v for v in stored.violations if v.source is ViolationSource.MODEL]
    assert [v.food_code_section for v in suggested] == ["3-301.12"]
    assert suggested[0].severity == "P"
    without = [v for v in stored.violations if v.source is ViolationSource.RULE]
    assert stored.score == analyses.score(without)  # the suggestion does not count


async def test_a_small_model_rewrites_the_hazards_of_the_findings() -> None:
    narrative = Turn(
        text=[
            "Cold food held above 41 °F lets Listeria and Salmonella multiply. ",
            "Cold food at 99F is unsafe. ",  # a number the facts lack: dropped
            "Customers with sensitive skin should beware. ",  # not in the facts: dropped
            "Mice and rodents carry pathogens and contaminate food with droppings. More",
        ]
    )
    small = ScriptedProvider(name="tiny", limits=SMALL, turns=[narrative])
    long_notes = (DIRTY + " ") * 60  # ~9,000 characters: far past a 512-token window
    stored = await service(small).analyze(ANA, long_notes[:9000], 0, "", "")
    assert stored.public_health_narrative == (
        "Cold food held above 41 °F lets Listeria and Salmonella multiply. "
        "Mice and rodents carry pathogens and contaminate food with droppings."
    )
    assert not stored.narrative_missing
    assert stored.summary == findings_summary(stored.violations)
    request = small.requests[0]
    assert request["max"] is not None
    assert request["max"] <= 128
    prompt = request["messages"][1].content
    assert hazard(22) in prompt  # the cited items' facts, not the notes
    assert "47F" not in prompt
    assert len(prompt) < 2000


async def test_ungrounded_small_model_text_gives_way_to_the_facts() -> None:
    rambling = Turn(text=["The owner is a kind person who loves cooking for the town. "])
    small = ScriptedProvider(name="tiny", limits=SMALL, turns=[rambling])
    stored = await service(small).analyze(ANA, DIRTY, 0, "", "")
    facts = hazard_facts(stored.violations)
    assert stored.public_health_narrative == " ".join(facts[:2])
    assert facts[0] == hazard(22)  # Priority first
    assert not stored.narrative_missing


def test_grounded_sentences() -> None:
    source = "Hot food held below 135 °F (57 °C) lets bacteria grow and make toxins."
    assert grounded_sentences("Hot food below 135 °F lets bacteria grow.", source)
    assert not grounded_sentences("Hot food below 140 °F lets bacteria grow.", source)
    assert not grounded_sentences("Wash your car every weekend please.", source)
    assert not grounded_sentences("Hot food below 135 °F lets bacteria grow", source)  # cut off
    echoed = "Facts: - Hot food held below 135 °F lets bacteria grow. - Hot food below"
    assert grounded_sentences(echoed, source) == "Hot food held below 135 °F lets bacteria grow."


async def test_notes_longer_than_a_window_are_read_in_parts() -> None:
    window = LARGE.__class__(
        context_window=3000,
        reply_reserve=256,
        chat_max_tokens=256,
        analysis_max_tokens=256,
        exact_window=True,
        bounded_output=False,
    )
    notes = " ".join(f"Shelf {n} in the dry store is clean and dry." for n in range(400))
    notes += " Cook tasted the sauce with a spoon and put it back into the pot."
    proposal = {
        "food_code_section": "3-301.12",
        "description": "Tasting spoon reused",
        "evidence": "tasted the sauce with a spoon and put it back",
    }
    answers = [large_answer(summary="Part one.")] + [large_answer([proposal])] * 8
    provider = ScriptedProvider(name="mid", limits=window, answers=answers)
    stored = await service(provider).analyze(ANA, notes, 0, "", "")
    assert len(provider.requests) > 1
    assert stored.summary == "Part one."
    assert [
        v.food_code_section for v in stored.violations if v.source is ViolationSource.MODEL
    ] == ["3-301.12"]


class SlowProvider(ScriptedProvider):
    async def complete_json(self, *args: Any, **kwargs: Any) -> str:
        await asyncio.sleep(10)
        raise AssertionError("not reached")


@pytest.mark.parametrize(
    "provider",
    [
        ScriptedProvider(answers=[ProviderUnavailable("scripted")]),
        ScriptedProvider(answers=["not json at all"]),
        ScriptedProvider(answers=[ModelNotFound("scripted", "scripted-1")]),
        SlowProvider(),
        ScriptedProvider(name="tiny", limits=SMALL, turns=[Turn(text=["  "])]),
    ],
    ids=["unavailable", "invalid-json", "default-model-missing", "timeout", "nothing-usable"],
)
async def test_a_failing_model_leaves_the_findings_and_score(provider: Any) -> None:
    repository = InMemoryAnalyses()
    analyses = service(provider, repository, timeout=0.5)
    stored = await analyses.analyze(ANA, DIRTY, 0, "", "")
    assert stored.narrative_missing
    assert stored.public_health_narrative == ""
    assert {"3-501.16", "6-301.11"} <= sections(stored.violations)
    assert stored.summary == findings_summary(stored.violations)
    assert stored.score == analyses.score(stored.violations)
    assert list(repository.rows) == [stored.id]


async def test_caller_errors_are_still_errors() -> None:
    analyses = service(ScriptedProvider(answers=[ModelNotFound("scripted", "llama9")]))
    with pytest.raises(NotFound, match="llama9"):
        await analyses.analyze(ANA, DIRTY, 0, "", "llama9")
    with pytest.raises(InvalidArgument, match="provider"):
        await analyses.analyze(ANA, DIRTY, 0, "nonesuch", "")
    with pytest.raises(InvalidArgument) as error:
        await analyses.analyze(ANA, "   ", -1, "", "bad model name!")
    assert {v.field for v in error.value.violations} == {"notes", "item_id"}
    with pytest.raises(InvalidArgument, match="at most 20000"):
        await analyses.analyze(ANA, "x" * 20_001, 0, "", "")
    with pytest.raises(NotFound, match="item 7"):
        await analyses.analyze(BEN, DIRTY, 7, "", "")
    with pytest.raises(PermissionDenied):
        await analyses.analyze(SERVICE, DIRTY, 0, "", "")


async def test_analyses_list_newest_first_with_filters() -> None:
    provider = ScriptedProvider(answers=[large_answer()] * 3)
    analyses = service(provider, InMemoryAnalyses(items={5: 1}))
    first = await analyses.analyze(ANA, "a", 5, "", "")
    second = await analyses.analyze(ANA, "b", 0, "", "")
    third = await analyses.analyze(ANA, "c", 5, "", "")
    page = await analyses.list_analyses(ANA, page_size=1)
    assert [a.id for a in page.items] == [third.id]
    assert page.total_size == 3
    rest = await analyses.list_analyses(ANA, page_size=5, page_token=page.next_page_token)
    assert [a.id for a in rest.items] == [second.id, first.id]
    unattached = await analyses.list_analyses(ANA, filter="item_id = 0")
    assert [a.id for a in unattached.items] == [second.id]
    assert (await analyses.list_analyses(BEN)).items == []


# --- UpdateAnalysis -------------------------------------------------------------------


async def analysed(notes: str = DIRTY) -> tuple[AnalysisService, Any]:
    proposal = {
        "food_code_section": "3-301.12",
        "description": "Tasting spoon reused",
        "evidence": "tasted the sauce with a spoon",
    }
    analyses = service(ScriptedProvider(answers=[large_answer([proposal])]))
    stored = await analyses.analyze(ANA, notes + " Cook tasted the sauce with a spoon.", 0, "", "")
    return analyses, stored


def edit(stored: Any, *paths: str, **fields: Any) -> AnalysisEdit:
    return AnalysisEdit(
        analysis_id=stored.id,
        etag=fields.pop("etag", stored.etag),
        update_mask=paths,
        **fields,
    )


async def test_kept_rule_entries_stay_the_rules_and_the_score_follows_the_review() -> None:
    analyses, stored = await analysed()
    rules = [v for v in stored.violations if v.source is ViolationSource.RULE]
    suggestion = next(v for v in stored.violations if v.source is ViolationSource.MODEL)
    cold = next(v for v in rules if v.food_code_section.startswith("3-501.16"))
    kept = [v for v in rules if v is not cold]
    corrected = Violation(
        code="",
        description=cold.description,
        severity="",
        food_code_section=cold.food_code_section,
        evidence=cold.evidence,
        corrected_on_site=True,  # the inspector saw it moved to a working cooler
    )
    updated = await analyses.update_analysis(
        ANA, edit(stored, "violations", violations=(*kept, corrected, suggestion))
    )
    by_section = {v.food_code_section: v for v in updated.violations}
    assert all(by_section[v.food_code_section].source is ViolationSource.RULE for v in kept)
    assert by_section[cold.food_code_section].source is ViolationSource.INSPECTOR
    assert by_section[cold.food_code_section].severity == cold.severity  # from the catalogue
    assert by_section["3-301.12"].source is ViolationSource.INSPECTOR  # accepted: now scored
    assert updated.score == analyses.score(updated.violations)
    assert updated.score.score != stored.score.score
    assert updated.corrective_actions == tuple(
        dict.fromkeys(v.corrective_action for v in updated.violations)
    )
    assert updated.etag != stored.etag
    assert updated.version == stored.version + 1
    assert updated.update_time > stored.update_time


async def test_removing_violations_raises_the_score_and_summary_edits_alone() -> None:
    analyses, stored = await analysed()
    cleared = await analyses.update_analysis(ANA, edit(stored, "violations", violations=()))
    assert (cleared.violations, cleared.score.score, cleared.corrective_actions) == ((), 100, ())
    summary = await analyses.update_analysis(
        ANA,
        edit(
            cleared,
            "summary",
            "corrective_actions",
            summary="  Re-inspected.  ",
            corrective_actions=("Keep logs", " "),
        ),
    )
    assert summary.summary == "Re-inspected."
    assert summary.corrective_actions == ("Keep logs",)
    assert summary.violations == ()


async def test_review_errors() -> None:
    analyses, stored = await analysed()
    with pytest.raises(InvalidArgument, match="update_mask"):
        await analyses.update_analysis(ANA, edit(stored))
    with pytest.raises(InvalidArgument) as error:
        await analyses.update_analysis(ANA, edit(stored, "score", "nonsense", "summary"))
    assert [v.field for v in error.value.violations] == [
        "update_mask.paths[0]",
        "update_mask.paths[1]",
    ]
    bad = (
        Violation(code="", description="", severity="", food_code_section="9-999.99"),
        Violation(code="", description="", severity="C", food_code_section="3-501.16(A)(2)"),
        Violation(code="", description="", severity="", food_code_section="", form_item=3),
    )
    with pytest.raises(InvalidArgument) as error:
        await analyses.update_analysis(ANA, edit(stored, "violations", violations=bad))
    assert [v.field for v in error.value.violations] == [
        "analysis.violations[0].food_code_section",
        "analysis.violations[1].severity",
        "analysis.violations[2].food_code_section",
    ]
    with pytest.raises(InvalidArgument, match="etag"):
        await analyses.update_analysis(ANA, edit(stored, "summary", etag=""))
    with pytest.raises(NotFound):
        await analyses.update_analysis(BEN, edit(stored, "summary", summary="x"))
    await analyses.update_analysis(ANA, edit(stored, "summary", summary="first"))
    with pytest.raises(Aborted, match="changed since its etag"):
        await analyses.update_analysis(ANA, edit(stored, "summary", summary="second"))


async def test_violation_types_are_the_catalogue() -> None:
    analyses = service(ScriptedProvider())
    everything = analyses.violation_types(SERVICE, 0)
    assert len(everything) == len(catalogue())
    assert {t.form_item for t in everything} == set(range(1, 57))
    cold = analyses.violation_types(ANA, 22)
    assert cold
    assert all(t.form_item == 22 for t in cold)
    with pytest.raises(InvalidArgument, match="form_item"):
        analyses.violation_types(ANA, 57)


def test_every_form_item_has_a_hazard() -> None:
    assert set(hazards()) == set(range(1, 57))
    assert all(sentence.endswith(".") for sentence in hazards().values())
